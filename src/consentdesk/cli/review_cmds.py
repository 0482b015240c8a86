"""`consentdesk status|link|face|resolve|reject|approve|takedown|queue`: verify an image before posting.

IMAGE is a catalogue image id or the path of an imported file (matched by content, SHA-256, then by
the stored path, so a renamed or moved file is still found).

`status` without `--channel` prints the reasons shared by every channel once, then each remaining
reason once with every channel it blocks ("does not cover Facebook, Instagram or X"), so a long list
does not repeat itself; `--json` keeps the reasons per channel for scripts.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from consentdesk.cli.common import ExitCode, UserError, open_catalogue, print_json
from consentdesk.cli.listing import add_limit_option, pages, rows, stream
from consentdesk.core.values import STATE_WORDS

if TYPE_CHECKING:
    from consentdesk.core.review.workflow import QueueItem
    from consentdesk.core.store import Catalogue


def register(sub: argparse._SubParsersAction) -> None:
    st = sub.add_parser("status", help="is an image cleared for posting, and if not, why not")
    st.add_argument("image", metavar="IMAGE", help="image id or path")
    st.add_argument("--channel", help="only this channel (default: every channel)")
    st.add_argument("--on", type=_date, metavar="YYYY-MM-DD", help="posting date (default: today)")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.set_defaults(func=cmd_status)

    link = sub.add_parser("link", help="link face N of an image to a consent record")
    link.add_argument("image", metavar="IMAGE")
    link.add_argument("n", type=int, metavar="N", help="face number (as shown by status)")
    link.add_argument("consent_id", metavar="CONSENT_ID")
    link.set_defaults(func=cmd_link)

    _register_decisions(sub)
    _register_approval(sub)


def _register_decisions(sub: argparse._SubParsersAction) -> None:
    face = sub.add_parser(
        "face",
        help="mark face N (or every face not linked: --others --blur): blur, not a person, unresolved; "
        "in a clip, the same person as M",
    )
    face.add_argument("image", metavar="IMAGE")
    face.add_argument("n", type=int, metavar="N", nargs="?", help="face number (as shown by status)")
    face.add_argument(
        "--others", action="store_true", help="every face still needing a decision (with --blur: blur the crowd)"
    )
    what = face.add_mutually_exclusive_group(required=True)
    what.add_argument("--blur", dest="state", action="store_const", const="blur")
    what.add_argument("--not-a-person", dest="state", action="store_const", const="not_a_person")
    what.add_argument("--unresolved", dest="state", action="store_const", const="unresolved")
    what.add_argument(
        "--same-as", type=int, metavar="M", help="a clip's person track N is the same person as track M"
    )
    what.add_argument("--separate", action="store_true", help="undo --same-as: N is a person of their own again")
    face.set_defaults(func=cmd_face)

    res = sub.add_parser("resolve", help="resolve finding N: redact on export, dismiss, or unresolved")
    res.add_argument("image", metavar="IMAGE")
    res.add_argument("n", type=int, metavar="N")
    how = res.add_mutually_exclusive_group(required=True)
    how.add_argument("--redact", action="store_true")
    how.add_argument("--dismiss", metavar="REASON", help="why the finding is harmless")
    how.add_argument("--unresolved", action="store_true")
    res.set_defaults(func=cmd_resolve)

    rej = sub.add_parser("reject", help="reject an image: it is never to be posted")
    rej.add_argument("image", metavar="IMAGE")
    rej.add_argument("--reason", required=True)
    rej.set_defaults(func=cmd_reject)



def _register_approval(sub: argparse._SubParsersAction) -> None:
    ap = sub.add_parser("approve", help="approve an image for channels and export the cleaned copy")
    ap.add_argument("image", metavar="IMAGE")
    ap.add_argument("--channel", action="append", required=True, help="channel (repeat for several)")
    ap.add_argument("--out", required=True, metavar="DIR", help="folder for the approved copy")
    ap.add_argument("--on", type=_date, metavar="YYYY-MM-DD", help="posting date (default: today)")
    ap.add_argument("--json", action="store_true")
    ap.set_defaults(func=cmd_approve)

    td = sub.add_parser(
        "takedown", help="record that an approved copy's posts were taken down and its export deleted"
    )
    td.add_argument("image", metavar="IMAGE")
    td.add_argument(
        "--approval",
        action="append",
        metavar="ID",
        help="only this approval (repeat for several); default: every copy that must come down",
    )
    td.set_defaults(func=cmd_takedown)

    q = sub.add_parser("queue", help="images still to verify, with what blocks each")
    q.add_argument(
        "--on", type=_date, metavar="YYYY-MM-DD", help="date to judge consents on (default: today)"
    )
    q.add_argument("--json", action="store_true")
    add_limit_option(q)
    q.set_defaults(func=cmd_queue)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def resolve_image(catalogue: Catalogue, text: str) -> int:
    """An image id, or a path matched by its content (SHA-256) and then by its stored path."""
    if text.isdigit():
        try:
            return catalogue.get_image(int(text)).id
        except KeyError:
            raise UserError(f"there is no image {text}; `consentdesk images` lists them") from None
    path = Path(text).expanduser()
    if path.is_file():
        from consentdesk.core.media.imaging import ImageError, sha256_file

        try:
            found = catalogue.find_image_by_sha(sha256_file(path))
        except ImageError as exc:
            raise UserError(str(exc)) from exc
        if found:
            return found.id
    wanted = {str(path), str(path.resolve())}
    for image in catalogue.list_images():
        if image.path in wanted:
            return image.id
    raise UserError(f"{text} is not in the catalogue; import it first with `consentdesk import {text}`")


def cmd_status(args: argparse.Namespace) -> int:
    from consentdesk.core.review import policy, workflow

    with open_catalogue(args) as catalogue:
        image_id = resolve_image(catalogue, args.image)
        try:  # the channel list is the policy's own (`review.workflow.all_channels`), never a copy here
            result = workflow.status(catalogue, image_id, args.on, [args.channel] if args.channel else None)
        except policy.UnknownChannel as exc:
            raise UserError(str(exc)) from exc
        clip = catalogue.stored_clip(image_id)
    common = result.common_reasons()
    per_channel = {c: [r for r in cl.reasons if r not in common] for c, cl in result.clearances.items()}
    if args.json:
        print_json(_status_json(result, common, per_channel, clip))
        return 0
    what = "Clip" if clip else "Image"
    print(f"{what} {result.image.id} ({result.image.path}) on {result.on.isoformat()}: {result.summary}")
    for reason in result.takedown:  # a copy that may be posted now comes first: it must come down
        print(f"Take down: {reason}")
    print(policy.look_yourself(bool(clip)))
    if clip:
        for f in result.state.faces:
            track = clip.face_tracks[f.n - 1]
            joined = f", same person as {f.same_as}" if f.same_as is not None else ""
            print(f"  person {f.n}: {track.first:.1f}-{track.last:.1f} s, {STATE_WORDS[str(f.state)]}{joined}")
    cleared = result.cleared_channels
    if cleared:
        print(f"Cleared for: {', '.join(cleared)}")
    blocked = [c for c in result.channels if c not in cleared]
    if not blocked:
        return 0
    print(f"Not cleared for: {', '.join(blocked)}")
    for reason in common:
        print(f"  - {reason}")
    for group in result.channel_reasons():  # one line per reason, naming every channel it blocks
        prefix = "" if group.names_channels else f"[{', '.join(group.channels)}] "
        print(f"  - {prefix}{group.text}")
    return 0


def _status_json(result, common: list[str], per_channel: dict, clip) -> dict:
    """`status --json`: a clip's faces and findings (its tracks) also give their first and last second."""
    return (
        {
            "image": result.image.id,
            "path": result.image.path,
            "on": result.on.isoformat(),
            "summary": result.summary,
            "badge": result.badge().value,
            "take_down": list(result.takedown),
            "channels": result.channels,
            "cleared": {c: cl.cleared for c, cl in result.clearances.items()},
            "reasons": common,
            "channel_reasons": {c: r for c, r in per_channel.items() if r},
            "faces": [
                {"n": f.n, "box": f.box.as_list(), "state": str(f.state), "consent": f.consent_id}
                | _seconds(clip.face_tracks if clip else (), f.n)
                | ({"same_as": f.same_as} if clip else {})
                for f in result.state.faces
            ],
            "findings": [
                {
                    "n": f.n,
                    "kind": str(f.kind),
                    "severity": str(f.severity),
                    "text": f.text,
                    "box": f.box.as_list(),
                    "state": str(f.state),
                }
                | _seconds(clip.finding_tracks if clip else (), f.n)
                for f in result.state.findings
            ],
        }
        | ({"clip": clip.info.to_json()} if clip else {})
    )


def _seconds(tracks, n: int) -> dict:
    """A clip's face or finding: its first and last second on screen (the track's sightings)."""
    if not tracks or n > len(tracks):
        return {}
    return {"first_s": round(tracks[n - 1].first, 2), "last_s": round(tracks[n - 1].last, 2)}


def cmd_link(args: argparse.Namespace) -> int:
    from consentdesk.core.review import workflow
    from consentdesk.core.store import CatalogueError

    with open_catalogue(args) as catalogue:
        image_id = resolve_image(catalogue, args.image)
        try:
            warning = workflow.link_face(catalogue, image_id, args.n, args.consent_id)
        except (workflow.ReviewError, CatalogueError) as exc:
            raise UserError(str(exc)) from exc
    print(f"Face {args.n} of image {image_id} linked to {args.consent_id.strip().upper()}.")
    if warning:
        print(f"Warning: {warning}")
    return 0


def cmd_face(args: argparse.Namespace) -> int:
    from consentdesk.core.review import workflow
    from consentdesk.core.store import CatalogueError
    from consentdesk.core.values import FaceState

    if args.others and (args.n is not None or args.state != "blur"):
        raise UserError("--others blurs every face not linked: give it with --blur and without a face number")
    if not args.others and args.n is None:
        raise UserError("give a face number N (as shown by `consentdesk status`), or --others --blur")
    with open_catalogue(args) as catalogue:
        image_id = resolve_image(catalogue, args.image)
        try:
            if args.same_as is not None or args.separate:
                return _same_person(workflow, catalogue, image_id, args)
            if args.others:
                blurred = workflow.blur_others(catalogue, image_id)
            else:
                workflow.set_face(catalogue, image_id, args.n, FaceState(args.state))
        except (workflow.ReviewError, CatalogueError) as exc:
            raise UserError(str(exc)) from exc
    if args.others:
        n = len(blurred)
        print(
            f"{n} face{'s' if n != 1 else ''} of image {image_id} will be blurred on export"
            + (f": {', '.join(map(str, blurred))}." if blurred else " (every face is linked or decided already).")
        )
        return 0
    words = {
        "blur": "will be blurred on export",
        "not_a_person": "marked not a person",
        "unresolved": "unresolved",
    }
    print(f"Face {args.n} of image {image_id} {words[args.state]}.")
    return 0


def _same_person(workflow, catalogue: Catalogue, image_id: int, args: argparse.Namespace) -> int:  # noqa: ANN001
    """`face CLIP N --same-as M` and its undo `--separate`."""
    if args.same_as is not None:
        joined = workflow.same_person(catalogue, image_id, args.n, args.same_as)
        print(f"Person {args.n} of clip {image_id} is the same person as {joined}: decided with {joined}.")
    else:
        workflow.separate_person(catalogue, image_id, args.n)
        print(f"Person {args.n} of clip {image_id} is a person of their own again.")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from consentdesk.core.review import workflow
    from consentdesk.core.store import CatalogueError
    from consentdesk.core.values import FindingState

    if args.redact:
        state, reason, words = FindingState.REDACT, None, "will be redacted on export"
    elif args.dismiss is not None:
        state, reason, words = FindingState.DISMISSED, args.dismiss, "dismissed"
    else:
        state, reason, words = FindingState.UNRESOLVED, None, "unresolved"
    with open_catalogue(args) as catalogue:
        image_id = resolve_image(catalogue, args.image)
        try:
            workflow.set_finding(catalogue, image_id, args.n, state, reason)
        except (workflow.ReviewError, CatalogueError) as exc:
            raise UserError(str(exc)) from exc
    print(f"Finding {args.n} of image {image_id} {words}.")
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    from consentdesk.core.review import workflow
    from consentdesk.core.store import CatalogueError

    with open_catalogue(args) as catalogue:
        image_id = resolve_image(catalogue, args.image)
        try:
            workflow.reject(catalogue, image_id, args.reason)
        except (workflow.ReviewError, CatalogueError) as exc:
            raise UserError(str(exc)) from exc
    print(f"Image {image_id} rejected; it will not be offered for posting.")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    from consentdesk.core.review import export, policy
    from consentdesk.core.store import CatalogueError

    with open_catalogue(args) as catalogue:
        image_id = resolve_image(catalogue, args.image)
        try:
            result = export.approve(catalogue, image_id, args.channel, args.out, args.on)
        except export.AlreadyApproved as exc:
            # nothing to do is not an error: the copy made then is named, as a first approval names its own
            print(f"consentdesk: {exc}", file=sys.stderr)
            earlier = exc.approval
            if args.json:
                print_json(
                    {
                        "approval": earlier.id,
                        "path": earlier.export_path,
                        "sha256": earlier.export_sha256,
                        "channels": list(earlier.channels),
                        "already_approved": True,
                    }
                )
            else:
                print(earlier.export_path)
            return ExitCode.OK
        except export.NotCleared as exc:
            on = (args.on or date.today()).isoformat()
            lines = "\n".join(f"  - {r}" for r in exc.reasons)
            raise UserError(
                f"image {image_id} was not approved: it is not cleared for "
                f"{', '.join(c for c, cl in exc.clearances.items() if not cl.cleared)} on {on}:\n{lines}",
                exit_code=ExitCode.PROBLEMS,
            ) from exc
        except (export.ExportError, policy.UnknownChannel, CatalogueError) as exc:
            raise UserError(str(exc)) from exc
    if args.json:
        print_json(
            {
                "approval": result.approval.id,
                "path": str(result.path),
                "sha256": result.sha256,
                "channels": list(result.approval.channels),
                "model_release_status": result.release_status,
            }
        )
    else:
        print(result.path)
    return 0


def cmd_takedown(args: argparse.Namespace) -> int:
    from consentdesk.core.review import workflow
    from consentdesk.core.store import CatalogueError

    with open_catalogue(args) as catalogue:
        image_id = resolve_image(catalogue, args.image)
        try:
            recorded = workflow.record_takedown(catalogue, image_id, args.approval)
        except (workflow.ReviewError, CatalogueError) as exc:
            raise UserError(str(exc)) from exc
    for done in recorded:
        print(f"Approval {done.approval_id} of image {image_id}: take-down recorded by {done.recorded_by}.")
    return 0


def _queue_state(item: QueueItem) -> str:
    """What holds one photo on the list, in words."""
    if item.takedown:
        n = len(item.takedown)
        return f"take down {n} approved cop{'y' if n == 1 else 'ies'} (consentdesk takedown IMAGE)"
    b = item.blockers
    if b.total == 0:
        return "ready to approve"
    return (
        f"{b.unresolved_faces} face(s), {b.unresolved_findings} finding(s) unresolved, "
        f"{b.consent_problems} consent problem(s)" + (", analysis failed" if b.analysis_error else "")
    )


def cmd_queue(args: argparse.Namespace) -> int:
    """Streams the list a page at a time: the first lines print at once however long it is."""
    from consentdesk.core.review import workflow

    on = args.on or date.today()
    with open_catalogue(args) as catalogue:
        fetch = lambda offset, count: workflow.queue(catalogue, on, limit=count, offset=offset)  # noqa: E731
        stream(
            rows(pages(fetch, args.limit)),
            as_json=args.json,
            to_json=_queue_json,
            to_line=_queue_line,
            empty="Nothing to verify: every imported photo is approved or rejected.",
        )
    return ExitCode.OK


def _queue_json(i: QueueItem) -> dict:
    return {
        "image": i.image.id,
        "path": i.image.path,
        "shoot": i.image.shoot_id,
        "captured_at": i.image.captured_at,
        "summary": i.summary,
        "badge": i.badge.value,
        "badge_words": i.badge.words,
        "unresolved_faces": i.blockers.unresolved_faces,
        "unresolved_findings": i.blockers.unresolved_findings,
        "consent_problems": i.blockers.consent_problems,
        "analysis_error": i.blockers.analysis_error,
        "ready": i.blockers.total == 0 and not i.takedown,
        "take_down": list(i.takedown),
    }


def _queue_line(i: QueueItem) -> str:
    return f"{i.image.id:>6}  {i.badge.words:<17}  shoot {i.image.shoot_id}  {_queue_state(i)}  {i.image.path}"
