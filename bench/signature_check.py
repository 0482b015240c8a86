"""How long the scan import's signature check takes per page (QR corners, frame search, ink count),
next to the QR read alone it adds to, on a 200 dpi render and on a phone-sized rotated JPEG.

    PYTHONPATH=src python bench/signature_check.py
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.timing import median_ms  # noqa: E402

from consentdesk.core.consent.signature_check import check_signatures, qr_codes  # noqa: E402
from consentdesk.core.forms import Submission, load_form  # noqa: E402
from consentdesk.core.pdf.form_to_sign import write_form_to_sign  # noqa: E402
from consentdesk.core.store import Catalogue  # noqa: E402

ANSWERS = {"full_name": "Bench Person", "role": "donor", "uses": ["social_media"], "channels": ["instagram"]}


def main() -> None:
    form = load_form()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with Catalogue.open(folder / "c.sqlite") as cat:
            write_form_to_sign(cat, form, Submission(ANSWERS, {}), folder / "f.pdf")
        subprocess.run(
            ["pdftoppm", "-r", "200", "-png", str(folder / "f.pdf"), str(folder / "p")], check=True
        )
        page = Image.open(sorted(folder.glob("p-*.png"))[-1])
        page.load()
        photo = page.convert("RGB").rotate(3, expand=True, fillcolor="white").resize((2400, 3400))
        buf = io.BytesIO()
        photo.save(buf, "JPEG", quality=85)
        photo = Image.open(io.BytesIO(buf.getvalue()))
        photo.load()
        for name, picture in (("200 dpi scan", page), ("rotated 2400x3400 JPEG", photo)):
            qr = median_ms(lambda p=picture: qr_codes(p), 7)
            codes = qr_codes(picture)
            check = median_ms(lambda p=picture, c=codes: check_signatures(p, form, c), 7)
            print(f"{name}: QR read {qr:.0f} ms, signature check after it {check:.0f} ms (medians of 7)")


if __name__ == "__main__":
    main()
