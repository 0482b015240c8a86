"""Several people on one team register at once: throughput, latency per action, and nothing lost.

Starts a throwaway PostgreSQL cluster (tests/data/pg_server.py), initialises a register with its roles, and
runs N client processes for D seconds, each signed in as its own person (photographers, reviewers and a
data-protection officer). Photographers record releases and import small photos (the register keeps the
working copy); reviewers make decisions, several on the same photos on purpose, each on the view they
loaded, so some are refused as conflicts. Afterwards it checks: every acknowledged action is in the
register exactly once, the audit chain verifies, every refusal was a conflict message. Prints p50/p95 per
action and the throughput.

    .venv/bin/python bench/team.py [--clients 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-1"


def _photo_bytes(seed: int) -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("RGB", (320, 240), tuple(rng.randrange(256) for _ in range(3)))
    image.putpixel((0, 0), (seed % 256, seed // 256 % 256, seed // 65536 % 256))  # every photo different
    image.putpixel((1, 0), (seed // 16777216 % 256, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _client(args: tuple[str, str, str, float, int]) -> dict:
    """One person's session: returns timings per action and what the register acknowledged."""
    import hashlib
    from datetime import datetime

    from consentdesk.core.consent.releases import record_consent
    from consentdesk.core.forms import Submission, load_form
    from consentdesk.core.review import workflow
    from consentdesk.core.store import Catalogue, ConflictError, NewImage
    from consentdesk.core.values import Analysis, Box, Face, FaceState

    url, name, role, seconds, seed = args
    rng = random.Random(seed)
    form = load_form("model_release", 1)
    example = json.loads((ROOT / "forms" / "examples" / "adult.json").read_text(encoding="utf-8"))
    signature = (ROOT / "forms" / "examples" / "signature-adult.png").read_bytes()
    timings: dict[str, list[float]] = {}
    acknowledged: dict[str, list] = {"consents": [], "images": [], "decisions": 0}
    refusals: list[str] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    with Catalogue.open(url, create=False) as cat:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            started = time.perf_counter()
            try:
                if role == "photographer" and n % 2:
                    answers = dict(example["answers"], full_name=f"{name} Donor {n}")
                    consent = record_consent(
                        cat,
                        form,
                        Submission(answers, {"signature": signature}),
                        source="cli",
                        signed_at=datetime.now().astimezone(),
                    )
                    action = "record release"
                    acknowledged["consents"].append(consent.id)
                elif role == "photographer":
                    data = _photo_bytes(seed * 100_000 + n)
                    sha = hashlib.sha256(data).hexdigest()
                    analysis = Analysis(
                        path=f"/cards/{name}/{n}.jpg",
                        width=320,
                        height=240,
                        faces=(Face(Box(20, 20, 60, 60), 0.9), Face(Box(200, 30, 60, 60), 0.8)),
                        findings=(),
                        analyser_version="bench",
                    )
                    record, _ = cat.add_image(
                        NewImage(sha, f"/cards/{name}/{n}.jpg", len(data), 320, 240), analysis, data=data
                    )
                    action = "import photo"
                    acknowledged["images"].append(sha)
                else:
                    queue = cat.images_to_verify(limit=20)
                    if not queue:
                        time.sleep(0.05)
                        continue
                    image = queue[rng.randrange(min(len(queue), 4))]  # the same few photos: conflicts happen
                    view = workflow.image_state(cat, image.id)
                    timings.setdefault("open photo to review", []).append(
                        (time.perf_counter() - started) * 1000
                    )
                    started = time.perf_counter()
                    face = rng.choice(view.faces)
                    action = "review decision"
                    try:
                        workflow.set_face(
                            cat,
                            image.id,
                            face.n,
                            rng.choice([FaceState.BLUR, FaceState.NOT_A_PERSON]),
                            seen=view,
                        )
                        acknowledged["decisions"] += 1
                    except ConflictError as exc:
                        refusals.append(str(exc))
                        action = "refused (conflict)"
            except Exception as exc:  # noqa: BLE001 - counted and printed, the bench goes on
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            timings.setdefault(action, []).append((time.perf_counter() - started) * 1000)
    return {
        "name": name,
        "timings": timings,
        "acknowledged": acknowledged,
        "refusals": refusals,
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()

    from tests.data.pg_server import start_server

    from consentdesk.core.store import Catalogue, team

    server = start_server()
    try:
        database = server.new_database("teambench")
        admin_url = server.url(database)
        people = []
        with Catalogue.open(admin_url) as admin:
            team.init(admin)
            for i in range(args.clients):
                role = "photographer" if i % 2 == 0 else "reviewer"
                name = f"{role[:5]}{i:02d}"
                team.add_user(admin, name, role, PASSWORD)
                people.append((name, role))
        # Seed a few photos so reviewers have work from the first second.
        jobs = [
            (server.url(database, user=name, password=PASSWORD), name, role, args.seconds, i + 1)
            for i, (name, role) in enumerate(people)
        ]
        started = time.monotonic()
        with get_context("spawn").Pool(len(jobs)) as pool:
            results = pool.map(_client, jobs)
        elapsed = time.monotonic() - started

        with Catalogue.open(admin_url, create=False) as admin:
            consent_ids = [c for r in results for c in r["acknowledged"]["consents"]]
            shas = [s for r in results for s in r["acknowledged"]["images"]]
            stored_consents = {c.id for c in admin.list_consents()}
            stored_images = [i.sha256 for i in admin.list_images()]
            decisions = sum(r["acknowledged"]["decisions"] for r in results)
            review_entries = sum(1 for e in admin.iter_audit_rows() if e["action"] == "review.face")
            chain = admin.verify_audit()
            copies = sum(1 for s in set(shas) if admin.photo_file(s) is not None)
    finally:
        server.stop()

    timings: dict[str, list[float]] = {}
    for r in results:
        for action, values in r["timings"].items():
            timings.setdefault(action, []).extend(values)
    refusals = [x for r in results for x in r["refusals"]]
    errors = [x for r in results for x in r["errors"]]
    print(
        f"{args.clients} clients for {args.seconds:.0f} s on PostgreSQL (this machine, {elapsed:.1f} s wall)"
    )
    print(f"{'action':<22}{'count':>8}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for action, values in sorted(timings.items()):
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(
            f"{action:<22}{len(values):>8}{len(values) / elapsed:>8.1f}{statistics.median(values):>9.1f}{p95:>9.1f}"
        )
    lost = len(set(consent_ids) - stored_consents) + len(set(shas) - set(stored_images))
    duplicated = (len(consent_ids) - len(set(consent_ids))) + (len(stored_images) - len(set(stored_images)))
    unclear = [r for r in refusals if "was just changed" not in r and "checked again" not in r]
    print(f"releases {len(consent_ids)}, photos {len(shas)} (working copies {copies}), decisions {decisions}")
    print(
        f"lost {lost}, duplicated {duplicated}, decisions in audit {review_entries} (acknowledged {decisions})"
    )
    print(f"conflicts refused {len(refusals)} (unclear messages: {len(unclear)}); errors {len(errors)}")
    for error in errors[:5]:
        print(f"  error: {error}")
    print(f"audit chain: {'verified' if chain.ok else 'BROKEN'} ({chain.entries} entries)")
    ok = (
        not lost
        and not duplicated
        and chain.ok
        and not unclear
        and not errors
        and review_entries == decisions
    )
    print("RESULT:", "OK" if ok else "PROBLEMS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
