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
import hashlib
import io
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import throwaway_server  # noqa: E402  (bench/ is on the path when a script runs)

from consentdesk.core.consent.releases import record_consent  # noqa: E402
from consentdesk.core.forms import FormDefinition, Submission, load_form  # noqa: E402
from consentdesk.core.review import workflow  # noqa: E402
from consentdesk.core.store import Catalogue, ConflictError, NewImage, team  # noqa: E402
from consentdesk.core.values import Analysis, Box, Face, FaceState  # noqa: E402

if TYPE_CHECKING:
    from tests.data.pg_server import PgServer

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


@dataclass
class _Session:
    """One person signed in to the register, and what happened to what they did."""

    cat: Catalogue
    name: str
    seed: int
    rng: random.Random
    form: FormDefinition
    example: dict
    signature: bytes
    timings: dict[str, list[float]] = field(default_factory=dict)
    acknowledged: dict[str, list] = field(
        default_factory=lambda: {"consents": [], "images": [], "decisions": 0}
    )
    refusals: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record_release(self, n: int) -> str:
        answers = dict(self.example["answers"], full_name=f"{self.name} Donor {n}")
        consent = record_consent(
            self.cat,
            self.form,
            Submission(answers, {"signature": self.signature}),
            source="cli",
            signed_at=datetime.now().astimezone(),
        )
        self.acknowledged["consents"].append(consent.id)
        return "record release"

    def import_photo(self, n: int) -> str:
        data = _photo_bytes(self.seed * 100_000 + n)
        sha = hashlib.sha256(data).hexdigest()
        analysis = Analysis(
            path=f"/cards/{self.name}/{n}.jpg",
            width=320,
            height=240,
            faces=(Face(Box(20, 20, 60, 60), 0.9), Face(Box(200, 30, 60, 60), 0.8)),
            findings=(),
            analyser_version="bench",
        )
        self.cat.add_image(
            NewImage(sha, f"/cards/{self.name}/{n}.jpg", len(data), 320, 240), analysis, data=data
        )
        self.acknowledged["images"].append(sha)
        return "import photo"

    def review(self, started: float) -> tuple[str, float] | None:
        """Open one of the first few photos to verify and decide a face on the view loaded; returns the
        action and when its timing started (after the opening, timed apart), or None with nothing to do."""
        queue = self.cat.images_to_verify(limit=20)
        if not queue:
            time.sleep(0.05)
            return None
        image = queue[self.rng.randrange(min(len(queue), 4))]  # the same few photos: conflicts happen
        view = workflow.image_state(self.cat, image.id)
        self.timings.setdefault("open photo to review", []).append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        face = self.rng.choice(view.faces)
        state = self.rng.choice([FaceState.BLUR, FaceState.NOT_A_PERSON])
        try:
            workflow.set_face(self.cat, image.id, face.n, state, seen=view)
        except ConflictError as exc:
            self.refusals.append(str(exc))
            return "refused (conflict)", started
        self.acknowledged["decisions"] += 1
        return "review decision", started

    def act(self, role: str, n: int, started: float) -> tuple[str, float] | None:
        if role == "photographer" and n % 2:
            return self.record_release(n), started
        if role == "photographer":
            return self.import_photo(n), started
        return self.review(started)


def _client(args: tuple[str, str, str, float, int]) -> dict:
    """One person's session: returns timings per action and what the register acknowledged."""
    url, name, role, seconds, seed = args
    examples = ROOT / "forms" / "examples"
    form = load_form("model_release", 1)
    example = json.loads((examples / "adult.json").read_text(encoding="utf-8"))
    signature = (examples / "signature-adult.png").read_bytes()
    deadline = time.monotonic() + seconds
    with Catalogue.open(url, create=False) as cat:
        session = _Session(cat, name, seed, random.Random(seed), form, example, signature)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            started = time.perf_counter()
            try:
                done = session.act(role, n, started)
            except Exception as exc:  # noqa: BLE001 - counted and printed, the bench goes on
                session.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if done is not None:
                action, since = done
                session.timings.setdefault(action, []).append((time.perf_counter() - since) * 1000)
    return {
        "name": name,
        "timings": session.timings,
        "acknowledged": session.acknowledged,
        "refusals": session.refusals,
        "errors": session.errors,
    }


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    return parser.parse_args()


def _add_people(admin_url: str, clients: int) -> list[tuple[str, str]]:
    """Initialise the register with its roles and one person per client: (name, role)."""
    people = []
    with Catalogue.open(admin_url) as admin:
        team.init(admin)
        for i in range(clients):
            role = "photographer" if i % 2 == 0 else "reviewer"
            name = f"{role[:5]}{i:02d}"
            team.add_user(admin, name, role, PASSWORD)
            people.append((name, role))
    return people


def _run_clients(
    server: PgServer, database: str, people: list[tuple[str, str]], seconds: float
) -> tuple[list[dict], float]:
    """Every person's session in a process of its own, all at once; returns their results and the wall time."""
    jobs = [
        (server.url(database, user=name, password=PASSWORD), name, role, seconds, i + 1)
        for i, (name, role) in enumerate(people)
    ]
    started = time.monotonic()
    with get_context("spawn").Pool(len(jobs)) as pool:
        results = pool.map(_client, jobs)
    return results, time.monotonic() - started


@dataclass
class _Check:
    """What the register holds afterwards, beside what the clients were told."""

    consent_ids: list[str]
    shas: list[str]
    stored_consents: set[str]
    stored_images: list[str]
    decisions: int
    review_entries: int
    chain: object  # the audit chain's verification
    copies: int


def _check_register(admin_url: str, results: list[dict]) -> _Check:
    with Catalogue.open(admin_url, create=False) as admin:
        shas = [s for r in results for s in r["acknowledged"]["images"]]
        return _Check(
            consent_ids=[c for r in results for c in r["acknowledged"]["consents"]],
            shas=shas,
            stored_consents={c.id for c in admin.list_consents()},
            stored_images=[i.sha256 for i in admin.list_images()],
            decisions=sum(r["acknowledged"]["decisions"] for r in results),
            review_entries=sum(1 for e in admin.iter_audit_rows() if e["action"] == "review.face"),
            chain=admin.verify_audit(),
            copies=sum(1 for s in set(shas) if admin.photo_file(s) is not None),
        )


def _print_timings(results: list[dict], elapsed: float) -> None:
    timings: dict[str, list[float]] = {}
    for r in results:
        for action, values in r["timings"].items():
            timings.setdefault(action, []).extend(values)
    print(f"{'action':<22}{'count':>8}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for action, values in sorted(timings.items()):
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(
            f"{action:<22}{len(values):>8}{len(values) / elapsed:>8.1f}{statistics.median(values):>9.1f}{p95:>9.1f}"
        )


def _print_checks(check: _Check, results: list[dict]) -> bool:
    """Print what was lost, duplicated or refused unclearly; True when nothing was."""
    refusals = [x for r in results for x in r["refusals"]]
    errors = [x for r in results for x in r["errors"]]
    consent_ids, shas, stored_images = check.consent_ids, check.shas, check.stored_images
    lost = len(set(consent_ids) - check.stored_consents) + len(set(shas) - set(stored_images))
    duplicated = (len(consent_ids) - len(set(consent_ids))) + (len(stored_images) - len(set(stored_images)))
    unclear = [r for r in refusals if "was just changed" not in r and "checked again" not in r]
    print(
        f"releases {len(consent_ids)}, photos {len(shas)} (working copies {check.copies}), decisions {check.decisions}"
    )
    print(
        f"lost {lost}, duplicated {duplicated}, decisions in audit {check.review_entries} (acknowledged {check.decisions})"
    )
    print(f"conflicts refused {len(refusals)} (unclear messages: {len(unclear)}); errors {len(errors)}")
    for error in errors[:5]:
        print(f"  error: {error}")
    print(f"audit chain: {'verified' if check.chain.ok else 'BROKEN'} ({check.chain.entries} entries)")
    return (
        not lost
        and not duplicated
        and check.chain.ok
        and not unclear
        and not errors
        and check.review_entries == check.decisions
    )


def main() -> int:
    args = _parse_args()
    with throwaway_server() as server:
        database = server.new_database("teambench")
        admin_url = server.url(database)
        people = _add_people(admin_url, args.clients)
        results, elapsed = _run_clients(server, database, people, args.seconds)
        check = _check_register(admin_url, results)
    print(
        f"{args.clients} clients for {args.seconds:.0f} s on PostgreSQL (this machine, {elapsed:.1f} s wall)"
    )
    _print_timings(results, elapsed)
    ok = _print_checks(check, results)
    print("RESULT:", "OK" if ok else "PROBLEMS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
