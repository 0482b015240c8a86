"""Draw the application icon: a photo of a person with a tick, on the NHS blue.

Writes resources/icons/consentdesk.png (256 px: the window icon and the Linux desktop entry's) and
consentdesk.ico (16 to 256 px, the Windows executable's). Run again after changing the drawing:

    .venv/bin/python packaging/make_icon.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "icons"
BLUE = (0, 94, 184)  # NHS blue
DARK = (0, 48, 135)
GREEN = (0, 150, 57)
WHITE = (255, 255, 255)


def draw(size: int = 1024) -> Image.Image:
    s = size / 1024
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((40 * s, 40 * s, 984 * s, 984 * s), radius=200 * s, fill=BLUE)
    # the photo: a white card with a person (head and shoulders) in dark blue
    d.rounded_rectangle((190 * s, 210 * s, 790 * s, 770 * s), radius=60 * s, fill=WHITE)
    d.ellipse((395 * s, 300 * s, 585 * s, 490 * s), fill=DARK)
    d.pieslice((290 * s, 520 * s, 690 * s, 920 * s), 180, 360, fill=DARK)
    d.rectangle((190 * s, 720 * s, 790 * s, 770 * s), fill=WHITE)
    # the tick: consent recorded
    d.ellipse((600 * s, 600 * s, 900 * s, 900 * s), fill=GREEN, outline=WHITE, width=int(28 * s))
    d.line(
        [(672 * s, 752 * s), (730 * s, 810 * s), (830 * s, 690 * s)],
        fill=WHITE,
        width=int(44 * s),
        joint="curve",
    )
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw()
    big.resize((256, 256), Image.Resampling.LANCZOS).save(OUT / "consentdesk.png", optimize=True)
    sizes = [(n, n) for n in (16, 24, 32, 48, 64, 128, 256)]
    big.save(OUT / "consentdesk.ico", sizes=sizes)
    print(f"wrote {OUT / 'consentdesk.png'} and {OUT / 'consentdesk.ico'}")


if __name__ == "__main__":
    main()
