"""Set-up helpers for the data-protection lifecycle tests.

Face links and approvals go through the store's public methods, as the review code writes them.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from consentdesk import paths
from consentdesk.core.consent.releases import record_consent
from consentdesk.core.forms import Submission, load_form
from consentdesk.core.photos.importer import file_sha256
from consentdesk.core.store import Catalogue, NewImage
from consentdesk.core.values import Analysis, Box, Consent, Face, FaceState, Finding, FindingKind, Severity

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
    face = next(f for f in cat.review_state(image_id).faces if f.box.as_list() == list(box))
    cat.add_face_decision(image_id, face, FaceState(state), consent_id)


def approve(
    cat: Catalogue, image_id: int, approval_id: str, channels: list[str], export: str, consents: list[str]
) -> None:
    cat.record_approval(approval_id, image_id, date(2026, 11, 2), channels, export, "e" * 64, consents)


def write_group_photo(folder: Path) -> tuple[Path, list[list[int]]]:
    """A generated group photo (real faces from scikit-image's sample pictures) and its face boxes."""
    from tests.data.builders import build_image

    folder.mkdir(parents=True, exist_ok=True)
    image, truth = build_image(GROUP_INDEX, GROUP_SIZE, GROUP_SEED)
    path = folder / "group.jpg"
    image.save(path, "JPEG", quality=92)
    return path, truth.faces


def write_crowd_photo(folder: Path, count: int = 214) -> tuple[Path, list[list[int]]]:
    """A generated crowd: `count` small faces (skin-toned ovals with eyes and a mouth) in rows behind two
    large ones, on a 1600x1200 photo; returns its path and the face boxes, large ones first."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", GROUP_SIZE, (96, 110, 124))
    draw = ImageDraw.Draw(image)
    boxes = [[300, 650, 220, 280], [1080, 640, 230, 290]]  # the two people at the front
    columns, size = 27, 40
    for i in range(count - len(boxes)):
        row, col = divmod(i, columns)
        x, y = 40 + col * 57 + (row % 2) * 20, 40 + row * 66
        boxes.append([x, y, size, size + 8])
    for n, (x, y, w, h) in enumerate(boxes):
        tone = (224 - (n * 37) % 90, 172 - (n * 23) % 60, 140 - (n * 11) % 50)
        draw.ellipse([x, y, x + w, y + h], fill=tone)
        draw.ellipse([x + w * 0.25, y + h * 0.35, x + w * 0.38, y + h * 0.45], fill=(30, 30, 30))
        draw.ellipse([x + w * 0.62, y + h * 0.35, x + w * 0.75, y + h * 0.45], fill=(30, 30, 30))
        draw.line([x + w * 0.35, y + h * 0.72, x + w * 0.65, y + h * 0.72], fill=(120, 40, 40), width=2)
    path = folder / "crowd.jpg"
    image.save(path, "JPEG", quality=90)
    return path, boxes
