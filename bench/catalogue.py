"""How fast is the register with a big catalogue? Prints median query times on SQLite and PostgreSQL.

Fills a catalogue through the store's public interface (the same calls the dialogs and the importer
make: `record_consent`, `create_shoot`, `add_image` with an `Analysis` built here, face and finding
decisions, approvals, withdrawals), many calls to one transaction so a fill takes minutes, not hours.
The data is meant to look like a few years of a blood service's photo work: names in several scripts
and with accents, a dozen donor centres, consents signed over three years for two years (so some
expire within the month and many have expired), one to four faces a photo, some findings.

Then it times the register's queries (several runs each, median) at the chosen size and at 1/100 of
it, and prints a table: query, engine, small median, full median and the growth ratio, plus the fill
time and catalogue size. Goal: every query under 100 ms at full size on both engines; `audit verify`
streams, so its peak memory must not grow with the register.

    PYTHONPATH=src .venv/bin/python bench/catalogue.py [--size small|full] [--engine sqlite|postgresql|both]

The PostgreSQL register is, by default, a row-for-row copy of the filled SQLite catalogue (same data,
same audit chain; `--pg-fill interface` fills it through the store instead, about ten round trips a photo,
which takes hours on a busy machine). Filled catalogues are cached in bench/out/ (SQLite files, and a
PostgreSQL cluster under bench/out/pg-cluster) keyed by size, so a second run only times; `--refill`
throws the cache away. The "full min" column is the fastest run: on a shared machine the median carries
other programs' load, the fastest run less so (the load average is printed with the sizes).
The GUI figures (time to first window, to each page's first rows, longest freeze) come from
bench/window.py.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.data.pg_server; consentdesk itself comes from PYTHONPATH

from consentdesk import paths  # noqa: E402
from consentdesk.core.consent.releases import record_consent  # noqa: E402
from consentdesk.core.forms import Submission, load_form  # noqa: E402
from consentdesk.core.protection.expiry import expiry_dashboard  # noqa: E402
from consentdesk.core.review import workflow  # noqa: E402
from consentdesk.core.store import Catalogue, ConsentQuery, NewImage  # noqa: E402
from consentdesk.core.values import (  # noqa: E402
    Analysis,
    Box,
    ConsentStatus,
    Face,
    FaceState,
    Finding,
    FindingKind,
    FindingState,
    Severity,
)

OUT = ROOT / "bench" / "out"


@dataclass(frozen=True)
class Size:
    name: str
    images: int
    consents: int
    decisions: int
    withdrawals: int
    approvals: int


SIZES = {
    "full": Size("full", 100_000, 20_000, 5_000, 300, 300),
    "small": Size("small", 1_000, 200, 50, 3, 3),
}
BATCH = 1_000  # calls per transaction while filling

# --- realistic data ---------------------------------------------------------------------------------

FIRST = [
    "Siân", "Zoë", "José", "François", "Łukasz", "Björn", "Chloé", "Aoife", "Niamh", "Dafydd",
    "Mohammed", "Fatima", "Aisha", "Oluwaseun", "Chidi", "Priya", "Rajesh", "Anjali", "Mei", "Hiroshi",
    "Ana", "João", "Müller", "Renée", "Ines", "Grzegorz", "Øystein", "Agnieszka", "Tomás", "Saoirse",
    "Αλέξανδρος", "Ελένη", "Дмитрий", "Анастасия", "فاطمة", "محمد", "王伟", "李娜", "प्रिया", "राहुल",
    "Emma", "Olivia", "Jack", "Harry", "George", "Amelia", "Isla", "Noah", "Leo", "Ava",
]  # fmt: skip
LAST = [
    "O'Brien", "Ní Bhriain", "Jones", "Williams", "Davies", "Evans", "Smith", "Brown", "Taylor", "Wilson",
    "Okafor", "Adeyemi", "Khan", "Ahmed", "Hussain", "Patel", "Sharma", "Singh", "Chen", "Wang",
    "Kowalski", "Nowak", "Wiśniewski", "Müller", "Schröder", "Ødegaard", "García", "Fernández",
    "Gonçalves", "Lefèvre", "Παπαδόπουλος", "Иванов", "Смирнова", "الحسن", "张", "गुप्ता",
    "Murphy", "Kelly", "Robinson", "Wright", "Thompson", "Walker", "Hughes", "Edwards", "Green", "Hall",
]  # fmt: skip
LOCATIONS = [
    "Manchester Donor Centre", "Leeds Donor Centre", "Birmingham Donor Centre", "Bristol Donor Centre",
    "Newcastle Donor Centre", "Liverpool Donor Centre", "West End Donor Centre", "Sheffield Donor Centre",
    "Nottingham Donor Centre", "Oxford Donor Centre", "Plymouth Donor Centre", "Tooting Donor Centre",
    "Cardiff community session", "Brighton community session", "Norwich community session",
]  # fmt: skip
PHOTOGRAPHERS = ["Alex Morgan", "Sam Okoro", "Jo Nakamura", "Chris Lefèvre", "Pat Ó Súilleabháin"]
FINDINGS = [
    (FindingKind.PERSON_NAME, Severity.HIGH, "Name: Jane Example"),
    (FindingKind.NHS_NUMBER, Severity.HIGH, "943 476 5919"),
    (FindingKind.SCREEN, Severity.MEDIUM, ""),
    (FindingKind.BARCODE, Severity.MEDIUM, "0123456789"),
    (FindingKind.TEXT, Severity.LOW, "Give blood, save lives"),
]
#: Search texts timed: part of a common Latin surname, a Greek name, and an accent-free "sian".
SEARCHES = {"search 'okaf'": "okaf", "search 'Ελένη'": "Ελένη", "search 'sian'": "sian"}


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class Filler:
    """Fills one catalogue through the store interface, reproducibly from a seed."""

    def __init__(self, cat: Catalogue, size: Size, today: date, seed: int = 8) -> None:
        self.cat, self.size, self.today = cat, size, today
        self.rng = random.Random(seed)
        self.form = load_form("model_release", 1)
        examples = paths.forms_dir() / "examples"
        self.base = json.loads((examples / "adult.json").read_text(encoding="utf-8"))["answers"]
        self.signature = (examples / "signature-adult.png").read_bytes()
        self.consent_ids: list[str] = []
        self.image_ids: list[int] = []

    def run(self) -> None:
        steps = [
            ("consents", self.size.consents, self._consent),
            ("images", self.size.images, self._image),
            ("face links", self.size.decisions, self._link),
            ("finding decisions", self.size.decisions // 5, self._finding_decision),
            ("withdrawals", self.size.withdrawals, self._withdraw),
            ("approvals", self.size.approvals, self._approve),
        ]
        for label, count, step in steps:
            started = time.monotonic()
            for first in range(0, count, BATCH):
                with self.cat.transaction():
                    for i in range(first, min(count, first + BATCH)):
                        step(i)
                done = min(count, first + BATCH)
                if done % (BATCH * 10) == 0 or done == count:
                    print(f"    {label}: {done}/{count} ({time.monotonic() - started:.0f} s)", flush=True)

    def _consent(self, i: int) -> None:
        rng = self.rng
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        signed_day = self.today - timedelta(days=rng.randrange(0, 3 * 365))
        signed = datetime.combine(signed_day, datetime.min.time(), UTC) + timedelta(
            minutes=rng.randrange(8 * 60, 18 * 60)
        )
        answers = dict(
            self.base,
            full_name=name,
            duration="2y",
            email=f"person{i}@example.org",
            location=rng.choice(LOCATIONS),
            photographer=rng.choice(PHOTOGRAPHERS),
            session_date=signed_day.isoformat(),
            notes="",
        )
        consent = record_consent(
            self.cat,
            self.form,
            Submission(answers, {"signature": self.signature}),
            source=rng.choice(("screen", "paper", "cli")),
            signed_at=signed,
        )
        self.consent_ids.append(consent.id)

    def _image(self, i: int) -> None:
        rng = self.rng
        per_shoot = 200
        if i % per_shoot == 0:
            shoot_day = self.today - timedelta(days=rng.randrange(0, 3 * 365))
            self._shoot_day = shoot_day
            self._shoot = self.cat.create_shoot(f"{rng.choice(LOCATIONS)} {shoot_day}", "/photos/import")
        captured = datetime.combine(self._shoot_day, datetime.min.time()) + timedelta(
            seconds=9 * 3600 + i % per_shoot * 37
        )
        width, height = rng.choice(((4000, 3000), (3000, 2000), (6000, 4000)))
        faces = tuple(
            Face(
                Box(rng.randrange(0, width - 400), rng.randrange(0, height - 400), 200 + k * 20, 240),
                0.6 + k / 20,
            )
            for k in range(rng.randint(1, 4))
        )
        findings = tuple(
            Finding(
                kind, Box(rng.randrange(0, width - 300), rng.randrange(0, height - 100), 300, 80), text, sev
            )
            for kind, sev, text in rng.sample(FINDINGS, rng.choice((0, 0, 0, 0, 1, 1, 2)))
        )
        path = f"/photos/shoot-{self._shoot}/IMG_{i:06d}.jpg"
        analysis = Analysis(path, width, height, faces, findings, None, "bench-1", {"faces": 0.4})
        new = NewImage(
            sha256=hashlib.sha256(f"bench-{i}".encode()).hexdigest(),
            path=path,
            file_size=rng.randrange(2_000_000, 9_000_000),
            width=width,
            height=height,
            captured_at=captured.isoformat(),
            camera="Canon EOS R6",
        )
        record, _ = self.cat.add_image(new, analysis, self._shoot)
        self.image_ids.append(record.id)

    def _link(self, i: int) -> None:
        image_id = self.rng.choice(self.image_ids)
        state = self.cat.review_state(image_id)
        face = self.rng.choice(state.faces)
        self.cat.add_face_decision(image_id, face, FaceState.LINKED, self.rng.choice(self.consent_ids))

    def _finding_decision(self, i: int) -> None:
        for _ in range(20):
            image_id = self.rng.choice(self.image_ids)
            state = self.cat.review_state(image_id)
            if state.findings:
                finding = self.rng.choice(state.findings)
                if self.rng.random() < 0.5:
                    self.cat.add_finding_decision(image_id, finding, FindingState.REDACT, None)
                else:
                    self.cat.add_finding_decision(image_id, finding, FindingState.DISMISSED, "poster text")
                return

    def _withdraw(self, i: int) -> None:
        consent_id = self.consent_ids[i * 7 % len(self.consent_ids)]
        self.cat.withdraw_consent(consent_id, self.today - timedelta(days=i % 90), "asked by email")

    def _approve(self, i: int) -> None:
        image_id = self.image_ids[(i * 13 + 5) % len(self.image_ids)]
        linked = sorted(self.cat.review_state(image_id).linked_consent_ids)
        self.cat.record_approval(
            f"AP-bench-{i:05d}",
            image_id,
            self.today - timedelta(days=i % 300),
            ["instagram", "website"],
            f"/exports/approved-{i:05d}.jpg",
            hashlib.sha256(f"export-{i}".encode()).hexdigest(),
            linked,
        )


# --- where the catalogues live ------------------------------------------------------------------------


class PgCluster:
    """A PostgreSQL cluster kept under bench/out so a filled register survives between runs."""

    def __init__(self) -> None:
        from tests.data.pg_server import PgServer, _bindir

        root = OUT / "pg-cluster"
        socket_dir = Path(tempfile.mkdtemp(prefix="cd-bench-pg-"))
        run_as = "postgres" if os.geteuid() == 0 else None
        root.mkdir(parents=True, exist_ok=True)
        if run_as:
            import pwd

            info = pwd.getpwnam(run_as)
            for path in (root, socket_dir):
                os.chown(path, info.pw_uid, info.pw_gid)
        self.server = PgServer(root, socket_dir, _bindir(), run_as, port=55000 + os.getpid() % 1000)
        if (self.server.data_dir / "PG_VERSION").exists():
            options = (
                f"-c listen_addresses='' -c unix_socket_directories='{socket_dir}' "
                f"-p {self.server.port} -c fsync=off"
            )
            result = self.server._run(
                "pg_ctl", "-D", str(self.server.data_dir), "-l", str(root / "server.log"), "-o", options,
                "-w", "start",
            )  # fmt: skip
            if result.returncode != 0:
                raise RuntimeError(f"pg_ctl start failed: {result.stderr[-400:]}")
        else:
            shutil.rmtree(self.server.data_dir, ignore_errors=True)
            self.server.start()

    def url(self, database: str) -> str:
        return self.server.url(database)

    def recreate(self, database: str) -> None:
        with self.server.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            conn.execute(f'CREATE DATABASE "{database}"')

    def analyze(self, database: str) -> None:
        with self.server.admin(database) as conn:
            conn.execute("ANALYZE")

    def size_bytes(self, database: str) -> int:
        with self.server.admin() as conn:
            return int(conn.execute("SELECT pg_database_size(%s)", (database,)).fetchone()[0])

    def stop(self) -> None:
        self.server._run("pg_ctl", "-D", str(self.server.data_dir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.server.socket_dir, ignore_errors=True)


def open_filled(
    engine: str, size: Size, pg: PgCluster | None, refill: bool, pg_fill: str = "copy"
) -> tuple[Catalogue, dict[str, Any]]:
    """The filled catalogue for (engine, size), filling it first when it is not cached."""
    OUT.mkdir(parents=True, exist_ok=True)
    marker = OUT / f"filled-{engine}-{size.name}.json"
    database = f"bench_{size.name}"
    locator = str(OUT / f"catalogue-{size.name}.sqlite") if engine == "sqlite" else pg.url(database)
    if marker.exists() and not refill:
        info = json.loads(marker.read_text())
        return Catalogue.open(locator, create=False), info
    marker.unlink(missing_ok=True)
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(locator + suffix).unlink(missing_ok=True)
    else:
        pg.recreate(database)
    source = OUT / f"filled-sqlite-{size.name}.json"
    if engine == "postgresql" and pg_fill == "copy" and source.exists():
        print(f"  copying the filled SQLite {size.name} catalogue to PostgreSQL", flush=True)
        started = time.monotonic()
        copy_to_postgresql(OUT / f"catalogue-{size.name}.sqlite", locator)
        pg.analyze(database)  # what autovacuum does soon after a bulk load
        info = dict(json.loads(source.read_text()), copy_s=round(time.monotonic() - started, 1))
        marker.write_text(json.dumps(info))
        return Catalogue.open(locator, create=False), info
    print(f"  filling {engine} {size.name}: {size}", flush=True)
    today = date.today()
    started = time.monotonic()
    cat = Catalogue.open(locator)
    Filler(cat, size, today).run()
    fill_s = time.monotonic() - started
    if engine == "postgresql":
        pg.analyze(database)
    info = {"today": today.isoformat(), "fill_s": round(fill_s, 1)}
    marker.write_text(json.dumps(info))
    return cat, info


def copy_to_postgresql(sqlite_file: Path, url: str) -> None:
    """Copy a filled SQLite catalogue row for row into a new PostgreSQL register (the fill made through the
    store interface costs about ten statements a photo, too slow for a server on a shared machine).

    Rows are copied as stored, so the audit chain, whose hashes cover the text exactly, verifies on the
    copy. The register is created by the store's own migrations; identity sequences are left behind the
    copied ids, which is harmless here because the benchmark only reads.
    """
    from sqlalchemy import create_engine, insert, select

    from consentdesk.core.store import schema
    from consentdesk.core.store.migrations import migrate

    source = create_engine(f"sqlite+pysqlite:///{sqlite_file}")
    target = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with source.connect() as read, target.begin() as write:
            migrate(write)
            # A verbatim copy by the owner: the server keeps the rows' actors and the chain as they are.
            write.exec_driver_sql("SET LOCAL consentdesk.copying = 'on'")
            have = set(write.execute(select(schema.meta.c.key)).scalars())
            meta = [dict(r._mapping) for r in read.execute(select(schema.meta)) if r.key not in have]
            if meta:
                write.execute(insert(schema.meta), meta)
            for table in (*schema.COPY_ORDER, schema.audit):
                columns = (
                    [table.c[name] for name in schema.CONSENT_WRITABLE]
                    if table is schema.consents
                    else list(table.c)
                )
                order = list(table.primary_key.columns)
                batch: list[dict[str, Any]] = []
                for row in read.execute(select(*columns).order_by(*order)).yield_per(5000):
                    batch.append(dict(row._mapping))
                    if len(batch) == 5000:
                        write.execute(insert(table), batch)
                        batch.clear()
                if batch:
                    write.execute(insert(table), batch)
    finally:
        source.dispose()
        target.dispose()


def catalogue_bytes(cat: Catalogue, pg: PgCluster | None, size: Size) -> int:
    if cat.path is not None:
        return sum(
            p.stat().st_size for p in cat.path.parent.glob(cat.path.name + "*") if ".bak" not in p.name
        )
    return pg.size_bytes(f"bench_{size.name}")


# --- timing ------------------------------------------------------------------------------------------


def timed_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and fastest of `repeat` runs in ms (the fastest shows the cost without other programs' load)."""
    fn()  # warm: the first run pays for connecting and the page cache, not what a user waits for
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def queue_first_page(cat: Catalogue, today: date) -> Any:
    """The To-verify page's first 50 rows with their states (review.queue has no paging yet)."""
    try:
        return workflow.queue(cat, today, limit=50)  # type: ignore[call-arg]
    except TypeError:
        return [cat.review_state(i.id) for i in cat.images_to_verify(limit=50)]


def review_states_page(cat: Catalogue) -> Any:
    """The queue page's 50 states in one batch, where the store offers it (else one at a time)."""
    page = [i.id for i in cat.images_to_verify(limit=50)]
    batch = getattr(cat, "review_states", None)
    return batch(page) if batch else [cat.review_state(i) for i in page]


def subjects(cat: Catalogue, today: date) -> tuple[int, str]:
    """A linked image and a consent with links, picked the same way at each size."""
    links = cat.lapsed_links(date(1970, 1, 2))  # every current link to an expired or withdrawn consent
    c = cat.list_consents(ConsentQuery(status=ConsentStatus.ACTIVE, today=today), limit=200)
    counts = cat.linked_image_counts([x.id for x in c])
    consent_id = max(counts, key=lambda k: (counts[k], k)) if counts else c[0].id
    image_id = links[len(links) // 2].image_id if links else cat.list_images(limit=1)[0].id
    return image_id, consent_id


def measure(cat: Catalogue, today: date, repeat: int) -> dict[str, float]:
    image_id, consent_id = subjects(cat, today)
    expired = ConsentQuery(status=ConsentStatus.EXPIRED, today=today)
    withdrawn = ConsentQuery(status=ConsentStatus.WITHDRAWN, today=today)
    expiring = ConsentQuery(expiring_before=today + timedelta(days=30), today=today)
    expiring_ids = [c.id for c in cat.list_consents(expiring)]
    to_verify = cat.count_images_to_verify()
    queries: dict[str, Callable[[], Any]] = {}
    for label, text in SEARCHES.items():
        queries[label] = lambda text=text: cat.list_consents(ConsentQuery(text=text, today=today), limit=50)
    queries |= {
        "count_consents (all)": lambda: cat.count_consents(),
        "count_consents 'okaf'": lambda: cat.count_consents(ConsentQuery(text="okaf", today=today)),
        "status expired, page 1": lambda: cat.list_consents(expired, limit=50),
        "count expired": lambda: cat.count_consents(expired),
        "status withdrawn, page 1": lambda: cat.list_consents(withdrawn, limit=50),
        "expiry_dashboard(30)": lambda: expiry_dashboard(cat, 30, today),
        "expiring consents (list)": lambda: cat.list_consents(expiring),
        "linked_image_counts(expiring)": lambda: cat.linked_image_counts(expiring_ids),
        "images_to_verify(50)": lambda: cat.images_to_verify(limit=50),
        "images_to_verify(50, last)": lambda: cat.images_to_verify(limit=50, offset=max(0, to_verify - 50)),
        "count_images_to_verify": lambda: cat.count_images_to_verify(),
        "queue page 1 (+states)": lambda: queue_first_page(cat, today),
        "review.status(image)": lambda: workflow.status(cat, image_id, today),
        "review_states(queue page)": lambda: review_states_page(cat),
        "review_state(image)": lambda: cat.review_state(image_id),
        "images_linked_to(consent)": lambda: cat.images_linked_to(consent_id),
        "lapsed_links(today)": lambda: cat.lapsed_links(today),
        "list_images(200)": lambda: cat.list_images(limit=200),
        "verify_audit": lambda: cat.verify_audit(),
    }
    results, fastest = {}, {}
    for label, fn in queries.items():
        slow = label in ("verify_audit", "expiry_dashboard(30)")
        results[label], fastest[label] = timed_ms(fn, 3 if slow else repeat)
        print(f"    {label:<30} {results[label]:9.1f} ms (fastest {fastest[label]:.1f})", flush=True)
    gc.collect()
    tracemalloc.start()
    report = cat.verify_audit()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results["verify_audit peak MiB"] = peak / 2**20
    # The same stream stopped after two batches: equal peaks mean memory follows the batch, not the trail.
    gc.collect()
    tracemalloc.start()
    for n, _row in enumerate(cat.iter_audit_rows()):
        if n == 4_000:
            break
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results["audit stream 4,000 peak MiB"] = peak / 2**20
    results["audit entries"] = float(report.entries)
    return results, fastest


def run_engine(engine: str, sizes: list[Size], pg: PgCluster | None, args: argparse.Namespace) -> list[dict]:
    rows = []
    for size in sizes:
        print(f"{engine} {size.name}:", flush=True)
        cat, info = open_filled(engine, size, pg, args.refill, args.pg_fill)
        try:
            today = date.fromisoformat(info["today"])
            results, fastest = measure(cat, today, args.repeat)
            rows.append(
                {
                    "engine": engine,
                    "size": size.name,
                    "fill_s": info["fill_s"],
                    "copy_s": info.get("copy_s"),
                    "bytes": catalogue_bytes(cat, pg, size),
                    "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "results": results,
                    "fastest": fastest,
                    "load": os.getloadavg()[0],
                }
            )
        finally:
            cat.close()
    return rows


def _fmt(value: float | None) -> str:
    return f"{value:9.1f}" if value is not None else "        -"


def print_table(rows: list[dict]) -> None:
    by = {(r["engine"], r["size"]): r for r in rows}
    engines = sorted({r["engine"] for r in rows}, key=["sqlite", "postgresql"].index)
    labels = list(rows[0]["results"])
    print()
    print(
        f"{'query':<30} {'engine':<10} {'small ms':>9} {'full ms':>9} {'ratio':>7} {'full min':>9}  goal <100 ms"
    )
    for label in labels:
        for engine in engines:
            small = by.get((engine, "small"), {}).get("results", {}).get(label)
            full = by.get((engine, "full"), {}).get("results", {}).get(label)
            best = by.get((engine, "full"), {}).get("fastest", {}).get(label)
            ratio = f"{full / small:7.1f}" if small and full else "      -"
            if label == "verify_audit peak MiB":  # the whole trail against the first two batches of it
                part = by.get((engine, "full"), {}).get("results", {}).get("audit stream 4,000 peak MiB")
                goal = "" if not (full and part) else "flat" if full < 1.2 * part else "grows"
            elif "MiB" in label or "entries" in label:
                goal = ""
            else:
                goal = "" if full is None else "ok" if full < 100 else "over"
            print(f"{label:<30} {engine:<10} {_fmt(small)} {_fmt(full)} {ratio} {_fmt(best)}  {goal}")
    print()
    for r in rows:
        print(
            f"{r['engine']:<10} {r['size']:<5} fill {r['fill_s']:8.1f} s"
            + (f" (SQLite's, copied in {r['copy_s']:.1f} s)" if r.get("copy_s") is not None else "")
            + ", "
            f"catalogue {r['bytes'] / 2**20:8.1f} MiB, "
            f"process peak RSS {r['maxrss_mib']:.0f} MiB, load average {r['load']:.1f} on {os.cpu_count()} CPUs"
        )
    print("GUI figures (time to first window, each page's first rows, longest freeze): see bench/window.py")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=("small", "full"), default="full")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--refill", action="store_true", help="fill again even when a cached catalogue exists"
    )
    parser.add_argument("--fill-only", action="store_true", help="fill (or check the cache) and stop")
    parser.add_argument(
        "--pg-fill",
        choices=("copy", "interface"),
        default="copy",
        help="PostgreSQL: copy the filled SQLite catalogue (default, when there is one) or fill through the store",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    sizes = [SIZES["small"]] + ([SIZES["full"]] if args.size == "full" else [])
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    pg = PgCluster() if "postgresql" in engines else None
    rows: list[dict] = []
    try:
        for engine in engines:
            if args.fill_only:
                for size in sizes:
                    open_filled(engine, size, pg, args.refill, args.pg_fill)[0].close()
                continue
            rows += run_engine(engine, sizes, pg, args)
    finally:
        if pg is not None:
            pg.stop()
    if rows:
        print_table(rows)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
