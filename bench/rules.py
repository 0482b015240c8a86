"""What the rule checks cost: decoding every upload before it is saved, and the badge in `queue`/`images`.

Prints medians (ms) of repeated runs:
- `picture_check` on the example signature (600×200 PNG), a 12 MP JPEG reference photo and a
  2480×3508 (A4 at 300 dpi) PNG scan: the price of decoding and checking before saving;
- `workflow.queue` and `workflow.image_badge` over a catalogue of N images with two faces each (one
  linked to a release), i.e. what `consentdesk queue` and `consentdesk images` now compute per photo.

    .venv/bin/python bench/rules.py [--images 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from timing import median_ms  # noqa: E402  (bench/ is on the path when a script runs)

from consentdesk import paths  # noqa: E402
from consentdesk.core.consent.releases import parse_consent_json, record_consent  # noqa: E402
from consentdesk.core.media import picture_check  # noqa: E402
from consentdesk.core.review import workflow  # noqa: E402
from consentdesk.core.store import Catalogue, NewImage  # noqa: E402
from consentdesk.core.values import Analysis, Box, Face  # noqa: E402


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def pictures(repeat: int) -> dict[str, float]:
    signature = (paths.forms_dir() / "examples" / "signature-adult.png").read_bytes()
    photo = encoded(Image.effect_mandelbrot((4000, 3000), (-2, -1.2, 1, 1.2), 60).convert("RGB"), "JPEG")
    scan = encoded(Image.effect_noise((2480, 3508), 20).convert("L"), "PNG")
    return {
        "signature 600x200 PNG": median_ms(
            lambda: picture_check.check_picture(signature, picture_check.SIGNATURE), repeat
        ),
        "photo 12 MP JPEG": median_ms(
            lambda: picture_check.check_picture(photo, picture_check.PHOTO), repeat
        ),
        "scan A4 300 dpi PNG": median_ms(
            lambda: picture_check.check_picture(scan, picture_check.SCAN), repeat
        ),
    }


def queue(n: int, repeat: int) -> dict[str, float]:
    examples = paths.forms_dir() / "examples"
    raw = json.loads((examples / "adult.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp, Catalogue.open(Path(tmp) / "bench.sqlite") as catalogue:
        doc = parse_consent_json(json.dumps(raw), examples)
        consent = record_consent(
            catalogue, doc.form, doc.submission, source="cli", signed_at=datetime.now().astimezone()
        )
        shoot = catalogue.create_shoot("bench", "bench")
        ids = []
        for i in range(n):
            analysis = Analysis(
                path=f"/b/{i}.jpg", width=4000, height=3000,
                faces=(Face(Box(100, 100, 200, 200), 0.9), Face(Box(900, 120, 200, 200), 0.9)),
                analyser_version="bench",
            )  # fmt: skip
            new = NewImage(sha256=f"{i:064x}", path=f"/b/{i}.jpg", file_size=1, width=4000, height=3000)
            image_id = catalogue.add_image(new, analysis, shoot)[0].id
            workflow.link_face(catalogue, image_id, 1, consent.id)
            ids.append(image_id)
        return {
            f"queue of {n} images": median_ms(lambda: workflow.queue(catalogue), repeat),
            f"badges of {n} images": median_ms(
                lambda: [workflow.image_badge(catalogue, i) for i in ids], repeat
            ),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for name, ms in {**pictures(args.repeat), **queue(args.images, args.repeat)}.items():
        print(f"{name:<28} median {ms:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
