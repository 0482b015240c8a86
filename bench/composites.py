"""Build a labelled set of composites on REAL photographs, for bench/real_photos.py.

    .venv/bin/python bench/composites.py PHOTOS_DIR OUT_DIR [--count 60] [--seed 0]

PHOTOS_DIR holds real photographs (never committed). Each output photo is one of them with one generated
object pasted in with a mild perspective warp, blur and lighting, and `labels.json` says what it shows,
in the format bench/real_photos.py reads:
- small Code 128 donation labels (1.2-1.6 px per bar, as on a label photographed from a few metres),
  small QR codes and DataMatrix codes;
- letters, badges and rotas with names (`names`);
- monitors (dark bezel, lit window with a UI, some partly covered by a hand) (`screen`);
- things that are not screens: framed posters behind glass, backlit adverts, town signs, and white pages
  on a dark table (the last is a `document`);
- number plates: UK, German (EU band, spaced), US states (state name and slogan, vanity plates) and Dubai
  (Arabic and Latin side by side).
Faces are not labelled here (`faces: null`): the backgrounds' own faces are scored on the real photos.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
_FIRST = ["Aisha", "Tom", "Grace", "Kwame", "Siobhan", "Raj", "Olivia", "Liam", "Zainab", "Hannah", "Piotr"]
_LAST = ["Okafor", "Nowak", "Campbell", "Robinson", "Singh", "Murphy", "Clarke", "Patel", "Evans", "Hughes"]
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_STATES = [
    ("WASHINGTON", "Evergreen State"),
    ("CALIFORNIA", "dmv.ca.gov"),
    ("TEXAS", "The Lone Star State"),
    ("FLORIDA", "Sunshine State"),
    ("OREGON", "Pacific Wonderland"),
    ("NEW YORK", "Excelsior"),
]
_VANITY = ["GOHAWKS", "LUVMYDOG", "SURFSUP", "BIGBLUE", "CA2NYC", "ROADTRP", "MYBEAST"]
KINDS = (
    "code128",
    "code128",
    "qr",
    "datamatrix",
    "names",
    "names",
    "screen",
    "screen_covered",
    "poster",
    "backlit",
    "town_sign",
    "page_dark",
    "plate_uk",
    "plate_de",
    "plate_us",
    "plate_vanity",
    "plate_dubai",
)


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_FONT_DIR + name, size)


def _text_size(text: str, font) -> tuple[int, int]:
    box = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox((0, 0), text, font=font)
    return box[2] - box[0], box[3] - box[1]


def _lines_card(lines: list[str], size: int, bg, fg, font_name="DejaVuSans.ttf", pad=None) -> Image.Image:
    font = _font(font_name, size)
    pad = pad or size
    w = max(_text_size(t, font)[0] for t in lines) + 2 * pad
    h = int(len(lines) * size * 1.5) + 2 * pad
    card = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(card)
    for i, t in enumerate(lines):
        d.text((pad, pad + int(i * size * 1.5)), t, font=font, fill=fg)
    return card


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


# ----------------------------------------------------------------------------- objects (size = photo width)


def _code128(rng, width):
    import zxingcpp
    from tests.data.builders import donation_number

    human, content = donation_number(rng)
    bars = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.Code128).to_image(scale=1, add_quiet_zones=True)
    bars = Image.fromarray(np.asarray(bars)).convert("RGB")
    # 1.2-1.6 px per bar in a 1200 px wide photo, scaled with the photo
    k = rng.uniform(1.2, 1.6) * width / 1200
    bars = bars.resize((max(1, round(bars.width * k)), max(8, round(bars.width * k * 0.25))), Image.BILINEAR)
    txt = _lines_card([human], max(7, int(bars.height * 0.28)), "white", (20, 20, 20), pad=2)
    out = Image.new("RGB", (max(bars.width, txt.width) + 8, bars.height + txt.height + 8), "white")
    out.paste(bars, (4, 4))
    out.paste(txt, (4, bars.height + 4))
    return out, {"code": True}


def _qr(rng, width):
    import zxingcpp

    fmt = zxingcpp.BarcodeFormat.QRCode
    img = zxingcpp.create_barcode(f"https://example.org/consent/{rng.randint(10000, 99999)}", fmt).to_image(
        scale=1, add_quiet_zones=True
    )
    img = Image.fromarray(np.asarray(img)).convert("RGB")
    side = round(rng.uniform(0.035, 0.06) * width)
    return img.resize((side, side), Image.NEAREST if side > 3 * img.width else Image.BILINEAR), {"code": True}


def _datamatrix(rng, width):
    import zxingcpp

    img = zxingcpp.create_barcode(f"G{rng.randint(10**11, 10**12 - 1)}", zxingcpp.BarcodeFormat.DataMatrix)
    img = Image.fromarray(np.asarray(img.to_image(scale=1, add_quiet_zones=True))).convert("RGB")
    side = round(rng.uniform(0.03, 0.05) * width)
    return img.resize((side, side), Image.BILINEAR), {"code": True}


def _names(rng, width):
    size = max(12, int(width * rng.uniform(0.012, 0.02)))
    style = rng.choice(["letter", "badge", "rota"])
    if style == "letter":
        lines = ["NHS Blood and Transplant", f"Mrs {_name(rng)}", f"{rng.randint(1, 99)} Park Road", "Dear donor,"]
        card = _lines_card(lines, size, (252, 252, 250), (20, 20, 20), "DejaVuSerif.ttf")
    elif style == "badge":
        card = _lines_card([_name(rng), rng.choice(["Volunteer", "Nurse"])], size * 2, (255, 255, 255), (10, 10, 60))
    else:
        lines = ["Rota"] + [f"{d}  {_name(rng)}" for d in ("Mon", "Tue", "Wed")]
        card = _lines_card(lines, size, (245, 245, 240), (20, 40, 140))
    return card, {"names": True, "text": True}


def _ui(rng, w, h) -> Image.Image:
    """A lit window: title bar, sidebar, rows of a list (a UI's layout)."""
    img = Image.new("RGB", (w, h), rng.choice([(235, 240, 250), (250, 250, 250), (30, 34, 40)]))
    d = ImageDraw.Draw(img)
    dark = img.getpixel((0, 0))[0] < 100
    fg = (220, 220, 220) if dark else (30, 30, 60)
    d.rectangle((0, 0, w, max(4, h // 14)), fill=rng.choice([(40, 90, 170), (60, 60, 70), (200, 60, 50)]))
    d.rectangle((0, h // 14, w // 5, h), fill=(200, 205, 215) if not dark else (45, 50, 58))
    size = max(6, h // 22)
    font = _font("DejaVuSans.ttf", size)
    for i in range(8):
        y = h // 14 + size + int(i * size * 1.8)
        if y > h - size:
            break
        d.text((w // 5 + size, y), f"{9 + i // 2}:{rng.choice(['00', '30'])}  {_name(rng)}", font=font, fill=fg)
    return img


def _monitor(rng, width, covered=False):
    sw = int(width * rng.uniform(0.18, 0.32))
    sh = int(sw * rng.uniform(0.56, 0.66))
    bezel = max(3, int(sw * rng.uniform(0.015, 0.04)))
    out = Image.new("RGB", (sw + 2 * bezel, sh + 2 * bezel), rng.choice([(15, 15, 18), (35, 35, 38), (200, 200, 205)]))
    out.paste(_ui(rng, sw, sh), (bezel, bezel))
    arr = np.asarray(out).astype(np.float32)
    yy, xx = np.mgrid[0 : out.height, 0 : out.width]
    period = rng.uniform(4, 9)
    arr[bezel:-bezel, bezel:-bezel] *= (1 - 0.08 * (0.5 + 0.5 * np.sin((xx + yy) * 2 * np.pi / period)))[
        bezel:-bezel, bezel:-bezel, None
    ]
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if covered:  # a hand over one side: skin-coloured palm and fingers
        d = ImageDraw.Draw(out)
        skin = rng.choice([(224, 172, 140), (170, 120, 90), (110, 75, 55)])
        cx = rng.choice([0.15, 0.85]) * out.width
        r = out.height * 0.28
        d.ellipse((cx - r, out.height * 0.45 - r, cx + r, out.height * 0.45 + r * 1.6), fill=skin)
        for k in range(4):
            fx = cx - r + k * r * 0.6
            d.rounded_rectangle((fx, out.height * 0.1, fx + r * 0.42, out.height * 0.5), r * 0.2, fill=skin)
    return out, {"screen": True, "text": True}


def _poster(rng, width):
    """A printed poster behind glass: thin dark frame, bright paper, a photo and big lettering."""
    pw = int(width * rng.uniform(0.15, 0.28))
    ph = int(pw * rng.uniform(1.2, 1.45))
    paper = Image.new("RGB", (pw, ph), (250, 248, 240))
    d = ImageDraw.Draw(paper)
    d.rectangle((pw // 10, ph // 10, pw - pw // 10, ph // 2), fill=tuple(rng.randint(60, 220) for _ in range(3)))
    f = _font("DejaVuSans-Bold.ttf", max(8, pw // 9))
    d.text((pw // 10, ph * 0.58), rng.choice(["Give blood", "Summer Fair", "Open Day"]), font=f, fill=(180, 20, 40))
    d.text((pw // 10, ph * 0.75), rng.choice(["Save lives", "All welcome"]), font=f, fill=(30, 30, 30))
    frame = max(2, pw // 60)
    out = ImageOps.expand(paper, frame, fill=(25, 25, 25))
    return _glass(rng, out), {"screen": False, "clean": True}


def _glass(rng, img):
    arr = np.asarray(img).astype(np.float32)
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    streak = np.clip(1 - np.abs((xx - yy * 0.6) - w * rng.uniform(0.2, 0.8)) / (w * 0.12), 0, 1)
    arr += (255 - arr) * streak[..., None] * 0.35
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _backlit(rng, width):
    """A backlit advert (light box): bright, saturated image, dark surround, a slogan."""
    pw = int(width * rng.uniform(0.18, 0.3))
    ph = int(pw * rng.choice([0.6, 1.4]))
    top = np.array([rng.randint(150, 255) for _ in range(3)], np.float32)
    bottom = np.array([rng.randint(150, 255) for _ in range(3)], np.float32)
    t = np.linspace(0, 1, ph)[:, None, None]
    arr = np.broadcast_to(top * (1 - t) + bottom * t, (ph, pw, 3)).copy()
    arr = np.clip(arr * 1.15 + 25, 0, 255).astype(np.uint8)
    img = Image.fromarray(arr)
    d = ImageDraw.Draw(img)
    f = _font("DejaVuSans-Bold.ttf", max(8, pw // 8))
    d.text((pw // 12, ph // 3), rng.choice(["NEW", "SALE", "Fresh"]), font=f, fill=(255, 255, 255))
    d.text((pw // 12, ph // 2), rng.choice(["taste it", "50% off"]), font=f, fill=(20, 20, 20))
    out = ImageOps.expand(img, max(3, pw // 25), fill=(20, 20, 22))
    return out, {"screen": False, "clean": True}


def _town_sign(rng, width):
    pw = int(width * rng.uniform(0.15, 0.25))
    ph = int(pw * 0.45)
    img = Image.new("RGB", (pw, ph), (245, 245, 245))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, pw - 1, ph - 1), outline=(15, 15, 15), width=max(2, pw // 40))
    f = _font("DejaVuSans-Bold.ttf", max(8, pw // 9))
    d.text((pw * 0.1, ph * 0.15), rng.choice(["Leeds", "Harrogate", "Welcome to"]), font=f, fill=(15, 15, 15))
    d.text((pw * 0.1, ph * 0.55), rng.choice(["Please drive", "carefully"]), font=f, fill=(15, 15, 15))
    return img, {"screen": False, "clean": True}


def _page_dark(rng, width):
    """A white page of text lying on a dark table (the table is part of the object)."""
    pw = int(width * rng.uniform(0.18, 0.28))
    ph = int(pw * 1.41)
    page = Image.new("RGB", (pw, ph), (246, 246, 242))
    d = ImageDraw.Draw(page)
    f = _font("DejaVuSerif.ttf", max(6, pw // 32))
    y = ph // 10
    words = ["the", "results", "of", "the", "survey", "were", "shared", "with", "the", "team", "and", "the", "board", "in", "March"]
    while y < ph * 0.9:
        d.text((pw // 10, y), " ".join(rng.choice(words) for _ in range(7)), font=f, fill=(30, 30, 30))
        y += int(pw // 32 * 1.6)
    table = Image.new("RGB", (int(pw * 1.5), int(ph * 1.3)), tuple(rng.randint(15, 45) for _ in range(3)))
    table.paste(page.rotate(rng.uniform(-8, 8), expand=True, fillcolor=table.getpixel((0, 0))), (pw // 5, ph // 12))
    return table, {"screen": False, "document": True, "text": True}


def _plate_img(text, bg, fg, h, band=None, top=None, bottom=None, side=None):
    font = _font("DejaVuSansCondensed-Bold.ttf", h)
    tw, th = _text_size(text, font)
    band_w = int(h * 0.55) if band else 0
    side_w = int(h * 1.6) if side else 0
    w = tw + band_w + side_w + int(h * 0.6)
    ph = int(h * (1.5 if not (top or bottom) else 2.2))
    img = Image.new("RGB", (w, ph), bg)
    d = ImageDraw.Draw(img)
    if band:
        d.rectangle((0, 0, band_w, ph), fill=(0, 51, 153))
        d.text((band_w * 0.2, ph * 0.6), band, font=_font("DejaVuSans-Bold.ttf", max(6, h // 3)), fill="white")
    ty = (ph - th) // 2 - (h // 10 if not top else -h // 12)
    d.text((band_w + side_w + h * 0.3, ty - h * 0.12), text, font=font, fill=fg)
    if side:
        d.text((band_w + h * 0.25, ph * 0.2), side, font=_font("DejaVuSans-Bold.ttf", int(h * 0.6)), fill=fg)
    small = _font("DejaVuSerif-Italic.ttf", max(6, h // 3))
    if top:
        d.text(((w - _text_size(top, small)[0]) // 2, h * 0.08), top, font=_font("DejaVuSans-Bold.ttf", h // 3), fill=(20, 40, 140))
    if bottom:
        d.text(((w - _text_size(bottom, small)[0]) // 2, ph - h * 0.45), bottom, font=small, fill=(20, 40, 140))
    return ImageOps.expand(img, max(1, h // 14), fill=(30, 30, 30))


def _plate(rng, width, style):
    h = max(10, int(width * rng.uniform(0.012, 0.02)))
    if style == "plate_uk":
        age = rng.choice([*range(2, 27), *range(51, 76)])
        text = f"{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}{age:02d} {''.join(rng.sample(_LETTERS, 3))}"
        bg = rng.choice([(250, 210, 20), (245, 245, 245)])
        img = _plate_img(text, bg, (10, 10, 10), h, band=rng.choice([None, "UK"]))
    elif style == "plate_de":
        text = f"{rng.choice(['H', 'B', 'M', 'HD', 'SOG'])} {''.join(rng.sample(_LETTERS, 2))} {rng.randint(1, 9999)}"
        img = _plate_img(text, (245, 245, 245), (10, 10, 10), h, band="D")
    elif style == "plate_us":
        state, slogan = rng.choice(_STATES)
        text = rng.choice(
            [f"{rng.randint(100, 999)}-{''.join(rng.sample(_LETTERS, 3))}", f"{''.join(rng.sample(_LETTERS, 3))}{rng.randint(1000, 9999)}",
             f"{rng.randint(1, 9)}{''.join(rng.sample(_LETTERS, 3))}{rng.randint(100, 999)}"]
        )
        img = _plate_img(text, (248, 248, 245), (20, 30, 110), h, top=state, bottom=slogan)
    elif style == "plate_vanity":
        state, slogan = rng.choice(_STATES)
        text = rng.choice(_VANITY)
        img = _plate_img(text, (248, 248, 245), (20, 30, 110), h, top=state, bottom=slogan)
    else:  # Dubai: emirate in Arabic and Latin, a code letter, the number
        text = f"{rng.choice('ABCDEFGHIJKLMNOPQRS')} {rng.randint(10000, 99999)}"
        img = _plate_img(text, (250, 250, 250), (10, 10, 10), h, side="دبي", top="DUBAI")
    return img, {"plate": True, "text": True}


def make_object(rng: random.Random, kind: str, width: int):
    if kind == "code128":
        return _code128(rng, width)
    if kind == "qr":
        return _qr(rng, width)
    if kind == "datamatrix":
        return _datamatrix(rng, width)
    if kind == "names":
        return _names(rng, width)
    if kind in ("screen", "screen_covered"):
        return _monitor(rng, width, covered=kind == "screen_covered")
    if kind == "poster":
        return _poster(rng, width)
    if kind == "backlit":
        return _backlit(rng, width)
    if kind == "town_sign":
        return _town_sign(rng, width)
    if kind == "page_dark":
        return _page_dark(rng, width)
    return _plate(rng, width, kind)


def compose(photo: Path, kind: str, rng: random.Random) -> tuple[Image.Image, dict]:
    from tests.data.builders import _warp_paste

    scene = ImageOps.exif_transpose(Image.open(photo)).convert("RGB")
    if max(scene.size) < 1200:  # the pasted object is sized for a camera photo
        k = 1200 / max(scene.size)
        scene = scene.resize((round(scene.width * k), round(scene.height * k)), Image.LANCZOS)
    obj, label = make_object(rng, kind, scene.width)
    if obj.width >= scene.width * 0.9 or obj.height >= scene.height * 0.9:
        obj.thumbnail((int(scene.width * 0.6), int(scene.height * 0.6)))
    x = rng.randint(0, max(0, scene.width - obj.width - 10))
    y = rng.randint(0, max(0, scene.height - obj.height - 10))
    jitter = 0.02 if kind.startswith(("code", "qr", "datam")) else 0.05
    _warp_paste(scene, obj, x, y, rng, [], jitter=jitter, blur=0.4 if kind.startswith("code") else 0.6)
    full = {"faces": None, "text": None, "plate": False, "code": False, "screen": False, "document": None}
    full.update(label)
    full["composite"] = kind
    return scene, full


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("photos")
    p.add_argument("out")
    p.add_argument("--count", type=int, default=68)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    rng = random.Random(a.seed)
    photos = sorted(f for f in Path(a.photos).iterdir() if f.suffix.lower() in {".jpg", ".jpeg", ".png"})
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    labels = {}
    for i in range(a.count):
        kind = KINDS[i % len(KINDS)]
        img, label = compose(rng.choice(photos), kind, rng)
        name = f"comp_{i:03d}_{kind}.jpg"
        img.save(out / name, quality=90)
        labels[name] = label
    (out / "labels.json").write_text(json.dumps(labels, indent=1))
    print(f"{len(labels)} composites in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
