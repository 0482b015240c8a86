"""Set-up helpers for the data-protection lifecycle tests.

Until the review module lands, face links and approvals are written straight into the tables migration 3
defines (newest face_decisions row per face = the current decision), exactly as review code would.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from consentdesk import paths
from consentdesk.core.catalogue import Catalogue, NewImage, utc_now
from consentdesk.core.consents import record_consent
from consentdesk.core.forms import Submission, load_form
from consentdesk.core.importer import file_sha256
from consentdesk.core.model import Analysis, Box, Consent, Face, Finding, FindingKind, Severity

EXAMPLES = paths.forms_dir() / "examples"

#: Seed 0, index 8 of the generated test set: two large faces and two small background faces.
GROUP_SEED, GROUP_INDEX, GROUP_SIZE = 0, 8, (1600, 1200)


def add_person(
    cat: Catalogue, name: str, *, signed_days_ago: int = 0, duration: str = "2y", email: str | None = None
) -> Consent:
    raw = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    answers = dict(raw["answers"], full_name=name, duration=duration)
    answers["email"] = email or f"{name.split()[0].lower()}@example.org"
    signed = datetime.now().astimezone() - timedelta(days=signed_days_ago)
    answers["session_date"] = signed.date().isoformat()
    files = {"signature": (EXAMPLES / "signature-adult.png").read_bytes()}
    return record_consent(
        cat, load_form("model_release", 1), Submission(answers, files), source="cli", signed_at=signed
    )


def add_photo(
    cat: Catalogue, path: Path, faces: list[list[int]], findings: list[list[int]] = (), sha: str | None = None
) -> int:
    """Add an image with an analysis holding exactly these face and finding boxes; returns its id."""
    analysis = Analysis(
        path=str(path),
        width=GROUP_SIZE[0],
        height=GROUP_SIZE[1],
        faces=tuple(Face(Box.from_list(b), 0.9) for b in faces),
        findings=tuple(
            Finding(FindingKind.PERSON_NAME, Box.from_list(b), "Name: X", Severity.HIGH) for b in findings
        ),
        analyser_version="test",
    )
    new = NewImage(
        sha256=sha or file_sha256(path),
        path=str(path),
        file_size=path.stat().st_size if path.exists() else 1,
        width=GROUP_SIZE[0],
        height=GROUP_SIZE[1],
    )
    record, _ = cat.add_image(new, analysis)
    return record.id


def face_id(cat: Catalogue, image_id: int, box: list[int]) -> int:
    """The stored id of the current analysis's face with this box."""
    return next(f.id for f in cat.current_analysis(image_id).faces if f.box.as_list() == list(box))


def decide_face(
    cat: Catalogue, image_id: int, box: list[int], state: str, consent_id: str | None = None
) -> None:
    with cat.transaction():
        cat.db["face_decisions"].insert(
            {
                "image_id": image_id,
                "face_id": face_id(cat, image_id, box),
                "state": state,
                "consent_id": consent_id,
                "decided_at": utc_now(),
                "decided_by": "tester",
            }
        )
        cat.append_audit(
            "face.decided", f"image:{image_id}", {"state": state, "consent_id": consent_id, "box": list(box)}
        )


def approve(
    cat: Catalogue, image_id: int, approval_id: str, channels: list[str], export: str, consents: list[str]
) -> None:
    with cat.transaction():
        cat.db["approvals"].insert(
            {
                "id": approval_id,
                "image_id": image_id,
                "approved_at": "2026-11-01T10:00:00+00:00",
                "approved_by": "tester",
                "posting_date": "2026-11-02",
                "export_path": export,
                "export_sha256": "e" * 64,
                "consent_ids": json.dumps(consents),
            }
        )
        for ch in channels:
            cat.db["approval_channels"].insert({"approval_id": approval_id, "channel": ch})
        cat.append_audit(
            "image.approved", f"image:{image_id}", {"approval": approval_id, "consents": consents}
        )


def write_group_photo(folder: Path) -> tuple[Path, list[list[int]]]:
    """A generated group photo (real faces from scikit-image's sample pictures) and its face boxes."""
    from tests.data.builders import build_image

    folder.mkdir(parents=True, exist_ok=True)
    image, truth = build_image(GROUP_INDEX, GROUP_SIZE, GROUP_SEED)
    path = folder / "group.jpg"
    image.save(path, "JPEG", quality=92)
    return path, truth.faces
