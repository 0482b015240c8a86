"""Copying catalogues between engines (a real SQLite file and a real PostgreSQL database): an exact copy
into an empty destination, and a merge into an existing register that is idempotent, hands in only what is
new, and reports conflicting records instead of merging them."""

from __future__ import annotations

import io
import time
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from tests.data.lifecycle_fixtures import GROUP_SIZE, add_person, add_photo, approve, decide_face
from tests.data.raw_sql import raw_connection

from consentdesk.core.consent.releases import record_consent
from consentdesk.core.forms import Submission, load_form
from consentdesk.core.store import Catalogue, NewImage
from consentdesk.core.store.copy import CopyError, copy_between
from consentdesk.core.values import Analysis, Box, ConsentStatus, Face, FindingState

A, B = [100, 100, 80, 100], [400, 120, 80, 100]
FINDING = [600, 600, 200, 40]

#: Tables and the columns that order their rows (every row of every table is compared).
TABLES = {
    "meta": "key",
    "form_ids": "id",
    "consents": "id",
    "consent_files": "consent_id, field",
    "consent_events": "id",
    "shoots": "id",
    "images": "id",
    "analyses": "id",
    "faces": "id",
    "findings": "id",
    "face_decisions": "id",
    "finding_decisions": "id",
    "image_reviews": "id",
    "approvals": "id",
    "approval_channels": "approval_id, channel",
    "paper_scans": "id",
    "audit": "seq",
    "audit_copies": "source_hash",
}


def dump(cat: Catalogue) -> dict[str, list[dict]]:
    """Every row of every table, read with plain SQL, as {column: value} (column order differs by engine)."""
    conn = raw_connection(cat)
    try:
        out = {}
        for table, order in TABLES.items():
            cur = conn.execute(f"SELECT * FROM {table} ORDER BY {order}")
            names = [d[0] for d in cur.description]
            out[table] = [
                {k: bytes(v) if isinstance(v, memoryview) else v for k, v in zip(names, row, strict=True)}
                for row in cur.fetchall()
            ]
        return out
    finally:
        conn.close()


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    return buffer.getvalue()


def add_shoot_photo(cat: Catalogue, sha: str) -> int:
    shoot = cat.create_shoot("Open day", "/photos/open-day")
    analysis = Analysis(
        path="/photos/open-day/x.jpg",
        width=GROUP_SIZE[0],
        height=GROUP_SIZE[1],
        faces=(Face(Box.from_list(A), 0.8),),
        analyser_version="test",
    )
    new = NewImage(sha, "/photos/open-day/x.jpg", 1234, GROUP_SIZE[0], GROUP_SIZE[1], "2026:11:01 10:00:00")
    return cat.add_image(new, analysis, shoot)[0].id


def fill_desk(cat: Catalogue, tmp_path: Path) -> dict:
    """A handful of everything a desk holds: records with files, a withdrawal, a paper scan, photos in a
    shoot, face/finding/photo decisions and an approval."""
    person = add_person(cat, "Desk Person")
    other = add_person(cat, "Second Person")
    cat.withdraw_consent(other.id, date(2026, 11, 20), "changed their mind")
    reserved = cat.reserve_form_ids(2)
    cat.add_paper_scan(reserved[0], 1, "scan.png", "image/png", png((10, 20, 30)))
    image = add_photo(cat, tmp_path / "a.jpg", [A, B], [FINDING], sha="1" * 64)
    decide_face(cat, image, A, "linked", person.id)
    decide_face(cat, image, B, "blur")
    finding = cat.review_state(image).findings[0]
    cat.add_finding_decision(image, finding, FindingState.DISMISSED, "a sign, not a name")
    approve(cat, image, "AP-1", ["website", "instagram"], "/exports/a.jpg", [person.id])
    rejected = add_shoot_photo(cat, "2" * 64)
    cat.add_image_review(rejected, "rejected", "out of focus")
    return {"person": person, "other": other, "reserved": reserved, "image": image, "rejected": rejected}


@pytest.fixture
def pg_url(pg_server):
    return pg_server.url(pg_server.new_database())


def test_round_trip_sqlite_postgresql_sqlite_is_exact(tmp_path: Path, pg_url: str):
    desk_path, back_path = tmp_path / "desk.sqlite", tmp_path / "back.sqlite"
    with Catalogue.open(desk_path) as desk:
        made = fill_desk(desk, tmp_path)
        original = dump(desk)

    there = copy_between(desk_path, pg_url)
    back = copy_between(pg_url, back_path)
    assert there.mode == back.mode == "new" and there.ok and back.ok and not back.conflicts

    with Catalogue.open(back_path, create=False) as copy, Catalogue.open(pg_url, create=False) as register:
        final, middle = dump(copy), dump(register)
        for table in TABLES:
            if table in ("audit", "meta"):
                continue
            assert final[table] == original[table] == middle[table], table
        # The chain is the desk's chain, hash for hash, followed by one entry per copy.
        n = len(original["audit"])
        assert final["audit"][:n] == original["audit"]
        assert [e["action"] for e in final["audit"][n:]] == ["catalogue.copied", "catalogue.copied"]
        assert final["audit"][n]["hash"] == middle["audit"][n]["hash"]
        assert copy.verify_audit().ok and register.verify_audit().ok
        # Files byte for byte, decisions, statuses.
        assert copy.consent_file(made["person"].id, "signature") == desk_consent_file(desk_path, made)
        assert copy.get_consent(made["other"].id).status is ConsentStatus.WITHDRAWN
        assert copy.review_state(made["image"]).faces[0].consent_id == made["person"].id
        assert register.review_state(made["rejected"]).rejected
        # The register hands out fresh ids after the copied ones.
        new_shoot = register.create_shoot("Next day", "/photos/next")
        assert new_shoot > max(r["id"] for r in middle["shoots"])
        assert register.verify_audit().ok
    assert there.tables["consents"].added == 2 and there.tables["audit"].added == n


def desk_consent_file(path: Path, made: dict):
    with Catalogue.open(path, create=False) as desk:
        return desk.consent_file(made["person"].id, "signature")


def test_copying_the_same_desk_twice_adds_nothing_the_second_time(tmp_path: Path, catalogue_locator: str):
    desk_path = tmp_path / "desk.sqlite"
    with Catalogue.open(desk_path) as desk:
        fill_desk(desk, tmp_path)
        desk_entries = len(desk.audit_entries())
    with Catalogue.open(catalogue_locator) as register:
        add_person(register, "Register Person")
        add_photo(register, tmp_path / "r.jpg", [A], sha="3" * 64)
        register_before = dump(register)

    first = copy_between(desk_path, catalogue_locator)
    assert first.mode == "merge" and first.ok, first.conflicts
    assert first.tables["consents"].added == 2 and first.tables["images"].added == 2
    assert first.tables["audit"].added == desk_entries + 0  # each desk entry once, as audit.copied
    with Catalogue.open(catalogue_locator, create=False) as register:
        after_first = dump(register)
        assert register.verify_audit().ok
        actions = [e.action for e in register.audit_entries()]
        assert actions.count("audit.copied") == desk_entries and actions[-1] == "catalogue.copied"
        # The register's own rows are untouched (a merge never rewrites what is there).
        for table in ("consents", "images", "face_decisions"):
            assert all(row in after_first[table] for row in register_before[table])

    second = copy_between(desk_path, catalogue_locator)
    assert second.ok and not any(c.added for c in second.tables.values())
    assert second.tables["consents"].present == 2 and second.tables["audit"].present == desk_entries
    with Catalogue.open(catalogue_locator, create=False) as register:
        assert dump(register) == after_first
        assert register.verify_audit().ok


def test_offline_laptop_hands_in_only_its_new_work(tmp_path: Path, pg_url: str):
    with Catalogue.open(pg_url) as register:
        made = fill_desk(register, tmp_path)
    laptop_path = tmp_path / "laptop.sqlite"
    copy_between(pg_url, laptop_path)  # taken before the day out

    with Catalogue.open(laptop_path, create=False) as laptop:
        laptop_start = len(laptop.audit_entries())
        newcomer = add_person(laptop, "Field Person")
        decide_face(laptop, made["image"], B, "linked", newcomer.id)
        laptop.withdraw_consent(made["person"].id, date(2026, 11, 24), "asked at the stand")
        field_photo = add_photo(laptop, tmp_path / "f.jpg", [A], sha="4" * 64)
        decide_face(laptop, field_photo, A, "not_a_person")
        laptop_new_entries = len(laptop.audit_entries()) - laptop_start
    with Catalogue.open(pg_url, create=False) as register:
        office = add_person(register, "Office Person")  # the register went on meanwhile
        register_before = dump(register)

    report = copy_between(laptop_path, pg_url)
    assert report.ok, report.conflicts
    added = {name: c.added for name, c in report.tables.items() if c.added}
    assert added == {
        "form_ids": 1,
        "consents": 1,
        "consent_files": 1,
        "consent_events": 1,
        "images": 1,
        "analyses": 1,
        "faces": 1,
        "face_decisions": 2,
        "audit": laptop_new_entries + 1,  # plus the laptop's own `catalogue.copied` entry from its creation
        "audit_copies": laptop_new_entries + 1,
    }
    with Catalogue.open(pg_url, create=False) as register:
        assert register.verify_audit().ok
        assert register.get_consent(made["person"].id).status is ConsentStatus.WITHDRAWN
        assert register.get_consent(office.id).status is ConsentStatus.ACTIVE
        faces = {f.n: f for f in register.review_state(made["image"]).faces}
        assert faces[2].consent_id == newcomer.id
        assert register.find_image_by_sha("4" * 64) is not None
        copied = [e for e in register.audit_entries() if e.action == "audit.copied"]
        assert {e.details["source"]["action"] for e in copied} >= {"consent.signed", "consent.withdrawn"}
        image_entry = next(e for e in copied if e.details["source"]["action"] == "image.imported")
        assert image_entry.subject == f"image:{register.find_image_by_sha('4' * 64).id}"
        assert len(dump(register)["consents"]) == len(register_before["consents"]) + 1

    again = copy_between(laptop_path, pg_url)
    assert again.ok and not any(c.added for c in again.tables.values())

    # The laptop is refreshed from the register. Handing in again brings only the laptop's record of that
    # refresh (its summary and the states of the records it added: two audit entries, no summary of its
    # own); after that, copying either way adds nothing.
    refresh = copy_between(pg_url, laptop_path)
    assert refresh.ok and refresh.tables["consents"].added == 1  # the office's record
    back = copy_between(laptop_path, pg_url)
    assert {name: c.added for name, c in back.tables.items() if c.added} == {"audit": 2, "audit_copies": 2}
    for source, dest in ((pg_url, laptop_path), (laptop_path, pg_url), (pg_url, laptop_path)):
        settled = copy_between(source, dest)
        assert settled.ok and not any(c.added for c in settled.tables.values()), (source, dest)
    with (
        Catalogue.open(laptop_path, create=False) as laptop,
        Catalogue.open(pg_url, create=False) as register,
    ):
        assert laptop.verify_audit().ok and register.verify_audit().ok
        mine, theirs = dump(laptop), dump(register)
        for table in ("form_ids", "consents", "consent_files"):
            assert mine[table] == theirs[table], table


def test_conflicting_record_is_reported_and_not_merged(tmp_path: Path, catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as register:
        form_id = register.reserve_form_ids(1)[0]
    laptop_path = tmp_path / "laptop.sqlite"
    copy_between(catalogue_locator, laptop_path)
    form = load_form("model_release", 1)

    def sign(cat: Catalogue, name: str):
        person = add_person(cat, name)  # a valid set of answers and files, then the same on paper
        answers = dict(cat.get_consent(person.id).answers, full_name=name)
        files = {"signature": cat.consent_file(person.id, "signature")[1]}
        return record_consent(cat, form, Submission(answers, files), source="paper", form_id=form_id)

    with Catalogue.open(laptop_path, create=False) as laptop:
        sign(laptop, "Laptop Name")
        image = add_photo(laptop, tmp_path / "c.jpg", [A], sha="5" * 64)
        decide_face(laptop, image, A, "linked", form_id)
        approve(laptop, image, "AP-9", ["website"], "/exports/c.jpg", [form_id])
    with Catalogue.open(catalogue_locator, create=False) as register:
        sign(register, "Register Name")
        kept = register.get_consent(form_id)

    report = copy_between(laptop_path, catalogue_locator)
    assert not report.ok
    assert any(form_id in c and "answers" in c for c in report.conflicts)
    assert any("AP-9" in c for c in report.conflicts)
    assert not any("Laptop Name" in c or "Register Name" in c for c in report.conflicts)  # ids only
    assert report.tables["face_decisions"].skipped == 1 and report.tables["approvals"].skipped == 1
    with Catalogue.open(catalogue_locator, create=False) as register:
        assert register.get_consent(form_id) == kept
        image_here = register.find_image_by_sha("5" * 64)
        assert image_here is not None  # what does not conflict is still copied
        assert register.review_state(image_here.id).faces[0].consent_id is None
        assert register.review_approvals(image_here.id) == []
        assert register.verify_audit().ok


def test_erasure_is_never_undone_by_a_copy(tmp_path: Path, pg_url: str):
    with Catalogue.open(pg_url) as register:
        made = fill_desk(register, tmp_path)
    laptop_path = tmp_path / "laptop.sqlite"
    copy_between(pg_url, laptop_path)
    with Catalogue.open(pg_url, create=False) as register:
        register.erase_consent(made["person"].id, date(2026, 11, 25))
    report = copy_between(laptop_path, pg_url)
    assert any(made["person"].id in c and "erased in the destination" in c for c in report.conflicts)
    with Catalogue.open(pg_url, create=False) as register:
        erased = register.get_consent(made["person"].id)
        assert erased.status is ConsentStatus.ERASED and erased.answers == {}
        assert register.images_linked_to(made["person"].id) == {}
        assert register.consent_file(made["person"].id, "signature") is None
    # The other way, the laptop is told to erase too; its copy is not touched by the copy.
    back = copy_between(pg_url, laptop_path)
    assert any(made["person"].id in c and "erased in the source" in c for c in back.conflicts)
    with Catalogue.open(laptop_path, create=False) as laptop:
        assert laptop.get_consent(made["person"].id).status is ConsentStatus.ACTIVE


def test_refuses_a_damaged_source_chain_and_the_same_catalogue_twice(tmp_path: Path):
    desk_path = tmp_path / "desk.sqlite"
    with Catalogue.open(desk_path) as desk:
        add_person(desk, "Desk Person")
        conn = raw_connection(desk)
        conn.execute("DROP TRIGGER audit_append_only_update")
        conn.execute("UPDATE audit SET actor = 'someone else' WHERE seq = 2")
        conn.close()
    with pytest.raises(CopyError, match="damaged"):
        copy_between(desk_path, tmp_path / "copy.sqlite")
    assert not (tmp_path / "copy.sqlite").exists()  # a failed copy leaves no half-made file
    with pytest.raises(CopyError, match="both the source and the destination"):
        copy_between(desk_path, str(tmp_path / "." / "desk.sqlite"))

    good_path, register_path = tmp_path / "good.sqlite", tmp_path / "register.sqlite"
    with Catalogue.open(good_path) as good:
        add_person(good, "Good Person")
    with Catalogue.open(register_path) as register:
        add_person(register, "Register Person")
        conn = raw_connection(register)
        conn.execute("DROP TRIGGER audit_append_only_delete")
        conn.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
        conn.close()
        damaged = dump(register)
    with pytest.raises(CopyError, match="damaged"):
        copy_between(good_path, register_path)
    with Catalogue.open(register_path, create=False) as register:
        assert dump(register) == damaged  # nothing was copied into a register whose trail is damaged


def test_decisions_made_on_both_sides_since_they_parted(tmp_path: Path, catalogue_locator: str):
    """The newest decision counts, so an older one from the laptop must not silently overrule a later one
    taken in the register: it is reported. A newer one from the laptop is handed in and counts."""
    with Catalogue.open(catalogue_locator) as register:
        made = fill_desk(register, tmp_path)
    laptop_path = tmp_path / "laptop.sqlite"
    copy_between(catalogue_locator, laptop_path)
    with Catalogue.open(laptop_path, create=False) as laptop:
        decide_face(laptop, made["image"], B, "not_a_person")  # earlier
        laptop.add_image_review(made["image"], "rejected", "wrong backdrop")  # earlier
    time.sleep(1.1)  # decision times have one-second resolution
    with Catalogue.open(catalogue_locator, create=False) as register:
        decide_face(register, made["image"], B, "unresolved")  # later
    with Catalogue.open(laptop_path, create=False) as laptop:
        decide_face(laptop, made["image"], A, "blur")  # later still, on a face the register left alone

    report = copy_between(laptop_path, catalogue_locator)
    assert (
        len(report.conflicts) == 1 and "older than the destination's newest decision" in report.conflicts[0]
    )
    assert report.tables["face_decisions"].added == 1 and report.tables["image_reviews"].added == 1
    with Catalogue.open(catalogue_locator, create=False) as register:
        faces = {f.n: f.state for f in register.review_state(made["image"]).faces}
        assert faces == {1: "blur", 2: "unresolved"}
        assert register.review_state(made["image"]).rejected
        assert register.verify_audit().ok


def test_an_older_analysis_from_the_laptop_is_reported_not_made_current(tmp_path: Path, pg_url: str):
    with Catalogue.open(pg_url) as register:
        made = fill_desk(register, tmp_path)
    laptop_path = tmp_path / "laptop.sqlite"
    copy_between(pg_url, laptop_path)

    def recheck(where: str | Path, faces: list[list[int]]) -> None:
        analysis = Analysis(
            path="a.jpg",
            width=GROUP_SIZE[0],
            height=GROUP_SIZE[1],
            faces=tuple(Face(Box.from_list(b), 0.9) for b in faces),
            analyser_version="test-2",
        )
        with Catalogue.open(where, create=False) as cat:
            cat.save_analysis(made["image"], analysis)

    recheck(laptop_path, [A])
    time.sleep(1.1)  # analysis times have one-second resolution
    recheck(pg_url, [A, B, [700, 100, 80, 100]])
    with Catalogue.open(pg_url, create=False) as register:
        current = register.current_analysis(made["image"])

    report = copy_between(laptop_path, pg_url)
    assert any("older than the destination's current one" in c for c in report.conflicts)
    assert report.tables["analyses"].added == 0 and report.tables["analyses"].skipped == 1
    with Catalogue.open(pg_url, create=False) as register:
        assert register.current_analysis(made["image"]) == current


def test_a_merge_carries_clips_their_tracks_and_same_person_decisions(tmp_path: Path, catalogue_locator: str):
    """A clip checked and reviewed on a laptop, copied into a register that already holds work: its tracks
    (what an export destroys), its decisions and its "same person as" come along, and a second copy adds
    nothing."""
    from tests.core.review.test_same_person import add_clip

    from consentdesk.core.review import workflow
    from consentdesk.core.values import FaceState

    desk_path = tmp_path / "desk.sqlite"
    with Catalogue.open(desk_path) as desk:
        person = add_person(desk, "Clip Person")
        clip = add_clip(desk, sha="e" * 64)
        workflow.link_face(desk, clip, 1, person.id)
        workflow.same_person(desk, clip, 3, 1)
        workflow.same_person(desk, clip, 4, 2)
        workflow.separate_person(desk, clip, 4)
        workflow.set_face(desk, clip, 2, FaceState.BLUR)
        tracks = desk.stored_clip(clip).face_tracks
        faces = [(f.n, f.state, f.consent_id, f.same_as) for f in workflow.image_state(desk, clip).faces]
    with Catalogue.open(catalogue_locator) as register:
        add_photo(register, tmp_path / "r.jpg", [A], sha="3" * 64)

    first = copy_between(desk_path, catalogue_locator)
    assert first.ok, first.conflicts
    assert first.tables["clip_analyses"].added == 1 and first.tables["track_merges"].added == 3
    with Catalogue.open(catalogue_locator, create=False) as register:
        here = register.find_image_by_sha("e" * 64).id
        assert register.stored_clip(here).face_tracks == tracks
        assert [(f.n, f.state, f.consent_id, f.same_as) for f in workflow.image_state(register, here).faces] == faces
        assert faces[2][3] == 1 and faces[3][3] is None  # 3 is 1; 4 was 2 and is a person of its own again
        assert register.verify_audit().ok
    second = copy_between(desk_path, catalogue_locator)
    assert second.ok and not any(c.added for c in second.tables.values())
    assert second.tables["track_merges"].present == 3
