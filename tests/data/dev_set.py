"""The vision development set: composites on real photographs, with the scenes that matter in practice.

Why a second set beside `builders.build_test_set`: that one is the regression set the unit tests were
tuned on (labelled forms only). This one is built the way a new user's photos look: an appointment list
on a monitor (times then names, no labels, small and at an angle, with moiré), a printed letter on a
desk, name badges, a whiteboard rota with OCR-hostile spacing, car number plates in a car park, and
clean photos that show only harmless text (shop signs, posters with the organisation's own words,
station signage, receipts with business details), plus real photos of text that ship in scikit-image.
Text is drawn in varied fonts, sizes, angles, blur and glare. Every image gets ground truth.

    python -m tests.data.dev_set OUT_DIR --count 60
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageFont
from tests.data.builders import (
    _FIRST,
    _LAST,
    _POSTCODES,
    _STREETS,
    PERSONAL,
    Truth,
    _bag_label,
    _cells,
    _paste_face,
    _patient_label,
    _qr,
    _skimage,
    _text_card,
    _warp_paste,
    nhs_number,
)

DEV_PERSONAL = PERSONAL | {"vehicle_plate"}

_FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
_FONTS = [
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSans-Oblique.ttf",
]
#: More names than the regression set, from several backgrounds, none of them in the recogniser's tests.
_MORE_FIRST = _FIRST + ["Siobhan", "Kwame", "Olivia", "Mohammed", "Hannah", "Raj", "Chloe", "Liam", "Zainab"]
_MORE_LAST = _LAST + ["O'Brien", "Okafor", "Nowak", "Campbell", "Robinson", "Singh", "Murphy", "Clarke"]
_BG_REAL = ("coffee", "chelsea", "rocket", "astronaut", "camera", "coins", "brick", "gravel")
_SHOP_SIGNS = [
    ["Greggs", "Bakers since 1939"],
    ["Costa Coffee", "Open 7am - 7pm"],
    ["Boots Pharmacy"],
    ["Marks & Spencer", "Food Hall"],
    ["Sale", "Up to 50% off"],
    ["Oxfam Books"],
]
_POSTERS = [
    ["Give blood", "Do something amazing"],
    ["NHS Blood and Transplant", "Donor Centre"],
    ["Become a donor today", "blood.co.uk"],
    ["Thank you", "for saving lives"],
    ["Every donation counts", "Book now"],
]
_STATION = [
    ["Leeds", "Platform 3"],
    ["Way out", "Taxis and buses"],
    ["Manchester Piccadilly"],
    ["Kings Cross St Pancras", "Northern line"],
    ["Platform 2", "Trains to York"],
]


def _font(rng: random.Random, size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(_FONT_DIR + rng.choice(_FONTS), size)
    except OSError:
        return ImageFont.load_default(size=size)


def _card(rng, lines, size, bg=(250, 250, 246), fg=(20, 20, 20), pad=None, font=None):
    """Lines on a card in one random font; returns (image, [(kind, text, box)])."""
    return _text_card(lines, size, bg, fg, pad, font=font or _font(rng, size))


def _glare(img: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    """A soft bright spot, like a ceiling light on glossy paper or glass."""
    w, h = img.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.2, 0.5) * max(w, h)
    g = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None] * strength
    arr = np.asarray(img).astype(np.float32)
    return Image.fromarray(np.clip(arr + (255 - arr) * g, 0, 255).astype(np.uint8))


def _moire(img: Image.Image, rng: random.Random) -> Image.Image:
    """Interference stripes a camera records off a monitor."""
    w, h = img.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a, period = rng.uniform(0, np.pi), rng.uniform(5, 12)
    stripes = 1 - 0.12 * (0.5 + 0.5 * np.sin((xx * np.cos(a) + yy * np.sin(a)) * 2 * np.pi / period))
    return Image.fromarray((np.asarray(img).astype(np.float32) * stripes[..., None]).astype(np.uint8))


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_MORE_FIRST)} {rng.choice(_MORE_LAST)}"


def _appointment_screen(rng: random.Random, size: int, legible: bool):
    """A monitor showing the day's appointment list: a time, then a full name, line after line."""
    lines = [("Appointments", None)]
    for i in range(rng.randint(4, 6)):
        t = f"{9 + i // 2:02d}:{(i % 2) * 30:02d}"
        sep = rng.choice(["  ", " ", ""]) if i % 3 == 2 else "  "  # sometimes OCR glues them
        lines.append((f"{t}{sep}{_name(rng)}", "person_name" if legible else None))
    content, items = _card(rng, lines, size, bg=(235, 242, 255), fg=(10, 30, 90), pad=size)
    content = _moire(content, rng)
    bezel = max(12, int(size * 0.8))
    out = Image.new("RGB", (content.width + 2 * bezel, content.height + 2 * bezel), (18, 18, 20))
    out.paste(content, (bezel, bezel))
    items = [(k, t, (x + bezel, y + bezel, w, h)) for k, t, (x, y, w, h) in items]
    return out, [("screen", "", (0, 0, out.width, out.height)), *items]


def _letter(rng: random.Random, size: int):
    """A printed letter: salutation name without a label, address block, a merged NHS number."""
    name = _name(rng)
    nhs = nhs_number(rng)
    nhs_line = rng.choice([f"NHS number: {nhs}", f"NHS{nhs.replace(' ', '')}", f"NHS No.{nhs}"])
    lines = [
        ("NHS Blood and Transplant", None),
        (f"{rng.choice(['Mr', 'Mrs', 'Ms', 'Dr'])} {name}", "person_name"),
        (f"{rng.randint(1, 200)} {rng.choice(_STREETS)}", "address"),
        (rng.choice(_POSTCODES), "postcode"),
        (nhs_line, "nhs_number"),
        (f"Dear {name.split()[0]},", None),
        ("Thank you for your donation.", None),
    ]
    return _card(rng, lines, size, bg=(252, 252, 250))


def _badge(rng: random.Random, size: int):
    name = _name(rng)
    lines = [(name, "person_name"), (rng.choice(["Volunteer", "Donor Carer", "Nurse", "Session Lead"]), None)]
    return _card(rng, lines, size, bg=rng.choice([(255, 255, 255), (230, 240, 255)]), pad=size // 2)


def _rota(rng: random.Random, size: int):
    """A whiteboard rota: day or time, then a name (some glued by OCR-hostile spacing)."""
    lines = [("Rota", None)]
    for day in rng.sample(["Mon", "Tue", "Wed", "Thu", "Fri"], 4):
        lines.append((f"{day}{rng.choice([' ', '  ', ' - '])}{_name(rng)}", "person_name"))
    return _card(rng, lines, size, bg=(245, 245, 240), fg=(20, 40, 140))


def _plate_text(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNOPRSTUVWXYZ"
    style = rng.random()
    if style < 0.7:  # current UK: AB12 CDE (no Z in the first two letters; real age identifiers)
        tag = letters.replace("Z", "")
        age = rng.choice([*range(2, 27), *range(51, 76)])
        return f"{rng.choice(tag)}{rng.choice(tag)}{age:02d} {''.join(rng.choice(letters) for _ in range(3))}"
    if style < 0.85:  # French/Italian style AB-123-CD
        return f"{rng.choice(letters)}{rng.choice(letters)}-{rng.randint(100, 999)}-{rng.choice(letters)}{rng.choice(letters)}"
    return f"{rng.randint(1, 9)}{''.join(rng.choice(letters) for _ in range(3))}{rng.randint(100, 999)}"  # US


def _plate(rng: random.Random, size: int):
    text = _plate_text(rng)
    bg = rng.choice([(250, 210, 20), (245, 245, 245)])
    font = ImageFont.truetype(_FONT_DIR + "DejaVuSansCondensed-Bold.ttf", size)
    card, items = _card(
        rng, [(text, "vehicle_plate")], size, bg=bg, fg=(10, 10, 10), pad=size // 4, font=font
    )
    edged = Image.new("RGB", (card.width + 6, card.height + 6), (30, 30, 30))
    edged.paste(card, (3, 3))
    # the car around it: a grey-ish body panel
    body = Image.new(
        "RGB", (int(edged.width * 2.6), int(edged.height * 4)), tuple(rng.randint(40, 200) for _ in range(3))
    )
    ox, oy = (body.width - edged.width) // 2, int(body.height * 0.55)
    body.paste(edged, (ox, oy))
    _, _, (bx, by, bw, bh) = items[0]
    return body, [("vehicle_plate", text, (ox, oy, edged.width, edged.height))]


def _receipt(rng: random.Random, size: int):
    shop = rng.choice(["Tesco Express", "Co-op Food", "Sainsbury's Local", "Pret A Manger"])
    lines = [
        (shop, None),
        (f"{rng.randint(1, 99)} {rng.choice(_STREETS)}", None),
        (rng.choice(_POSTCODES), None),
        (f"Tel 0113 496 {rng.randint(1000, 9999)}", None),
        (f"VAT No {rng.randint(100, 999)} {rng.randint(1000, 9999)} {rng.randint(10, 99)}", None),
        (f"Sandwich     £{rng.randint(2, 5)}.{rng.randint(10, 99)}", None),
        (f"TOTAL        £{rng.randint(5, 20)}.{rng.randint(10, 99)}", None),
        ("Card payment", None),
    ]
    return _card(
        rng, lines, size, bg=(250, 250, 248), font=ImageFont.truetype(_FONT_DIR + "DejaVuSansMono.ttf", size)
    )


def _sign(rng: random.Random, size: int, texts: list[str]):
    colours = rng.choice(
        [
            ((200, 20, 40), (255, 255, 255)),
            ((255, 230, 0), (0, 0, 0)),
            ((20, 60, 150), (255, 255, 255)),
            ((30, 30, 30), (255, 200, 0)),
        ]
    )
    return _card(rng, [(t, None) for t in texts], size, bg=colours[0], fg=colours[1])


# ----------------------------------------------------------------------------- scenes

SCENES = ("label", "bag", "screen", "letter", "badge", "plates", "rota", "clean", "clean", "clean")


def build_dev_image(index: int, size: tuple[int, int], seed: int = 0) -> tuple[Image.Image, Truth]:
    rng = random.Random(seed * 7_919 + index * 31 + 5)
    w, h = size
    u = w / 4000
    scene_kind = SCENES[index % len(SCENES)]
    bg = Image.fromarray(_skimage(rng.choice(_BG_REAL))).resize((w, h), Image.Resampling.BICUBIC)
    scene = bg.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
    cells = _cells(w, h, rng)
    truth = Truth(file="", width=w, height=h, clean=scene_kind == "clean")

    def place(built, cell, jitter=0.06, glare=0.0, blur=None, max_frac=0.9):
        cx, cy, cw, ch = cell
        patch, items = built
        if glare:
            patch = _glare(patch, rng, glare)
        if patch.width > cw * max_frac or patch.height > ch * max_frac:
            k = min(cw * max_frac / patch.width, ch * max_frac / patch.height)
            patch = patch.resize(
                (max(1, int(patch.width * k)), max(1, int(patch.height * k))), Image.Resampling.LANCZOS
            )
            items = [(kd, t, tuple(int(v * k) for v in b)) for kd, t, b in items]
        x = cx + rng.randint(0, max(0, int(cw - patch.width * (1 + 2 * jitter))))
        y = cy + rng.randint(0, max(0, int(ch - patch.height * (1 + 2 * jitter))))
        b = rng.uniform(0.3, 1.2) * u * 2 if blur is None else blur
        truth.items.extend(_warp_paste(scene, patch, x, y, rng, items, jitter=jitter, blur=b))

    text_px = int(rng.uniform(40, 70) * u)
    glare = rng.choice([0.0, 0.0, 0.35, 0.55])
    if scene_kind == "label":
        place(_patient_label(rng, text_px), cells.pop(), jitter=0.08, glare=glare)
    elif scene_kind == "bag":
        place(_bag_label(rng, text_px), cells.pop())
        place(_qr(rng, text_px), cells.pop())
    elif scene_kind == "screen":
        # from 1/20 of the photo's width (names not legible, the screen still is one) to a big monitor
        frac = rng.choice([0.05, 0.08, 0.15, 0.22, 0.28])
        legible = frac >= 0.15
        patch = _appointment_screen(rng, text_px, legible)
        k = frac * w / patch[0].width
        img = patch[0].resize((int(patch[0].width * k), int(patch[0].height * k)), Image.Resampling.LANCZOS)
        items = [(kd, t, tuple(int(v * k) for v in b)) for kd, t, b in patch[1]]
        cx, cy, cw, ch = cells.pop()
        place(
            (img, items),
            (cx, cy, max(cw, img.width + 40), max(ch, img.height + 40)),
            jitter=0.12,
            max_frac=1.0,
        )
    elif scene_kind == "letter":
        place(_letter(rng, text_px), cells.pop(), jitter=0.1, glare=glare)
    elif scene_kind == "badge":
        place(_badge(rng, int(text_px * 1.2)), cells.pop(), jitter=0.08)
        if rng.random() < 0.5:
            place(_badge(rng, int(text_px * 1.2)), cells.pop(), jitter=0.08)
    elif scene_kind == "plates":
        for _ in range(rng.randint(1, 3)):
            plate_px = int(rng.uniform(28, 70) * u)  # character height 28-70 px in a 4000 px photo
            place(_plate(rng, plate_px), cells.pop(), jitter=0.05)
    elif scene_kind == "rota":
        place(_rota(rng, text_px), cells.pop(), jitter=0.06, glare=glare)
    else:
        choice = rng.random()
        if choice < 0.3:
            place(_sign(rng, int(text_px * 1.5), rng.choice(_SHOP_SIGNS)), cells.pop())
            place(_sign(rng, int(text_px * 1.3), rng.choice(_POSTERS)), cells.pop())
        elif choice < 0.55:
            place(_sign(rng, int(text_px * 1.5), rng.choice(_STATION)), cells.pop())
            place(_sign(rng, int(text_px * 1.2), rng.choice(_POSTERS)), cells.pop())
        elif choice < 0.8:
            place(_receipt(rng, text_px), cells.pop(), jitter=0.06)
            place(_sign(rng, int(text_px * 1.4), rng.choice(_SHOP_SIGNS)), cells.pop())
        else:  # real photographs of harmless text, shipped with scikit-image
            for name in ("text", "page"):
                real = Image.fromarray(_skimage(name))
                real = real.resize((real.width * 4, real.height * 4), Image.Resampling.BICUBIC)
                place((real, []), cells.pop(), jitter=0.04, blur=0.5)
        truth.items = [i for i in truth.items if i["kind"] not in DEV_PERSONAL]

    for i in range(rng.randint(1, 3)):
        if not cells:
            break
        cx, cy, cw, ch = cells.pop()
        face_px = int((rng.uniform(200, 320) if i == 0 else rng.uniform(60, 110)) * u)
        blur = 0.0 if i == 0 else rng.uniform(0.8, 1.8) * u
        x = cx + rng.randint(0, max(0, cw - int(face_px * 2.6)))
        y = cy + rng.randint(0, max(0, ch - int(face_px * 3.0)))
        truth.faces.append(_paste_face(scene, rng, x, y, face_px, blur))
    return scene, truth


def build_dev_set(out_dir: str | Path, n: int = 60, seed: int = 0, large_every: int = 4) -> list[Truth]:
    """Write n JPEGs (12 MP; every `large_every`-th one 24 MP) plus truth.jsonl; returns the truths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truths = []
    for i in range(n):
        size = (6000, 4000) if large_every and i % large_every == large_every - 1 else (4000, 3000)
        scene, truth = build_dev_image(i, size, seed)
        truth.file = f"dev_{i:03d}.jpg"
        scene.save(out / truth.file, "JPEG", quality=random.Random(i).choice([82, 88, 92]))
        truths.append(truth)
    with (out / "truth.jsonl").open("w") as fh:
        for t in truths:
            fh.write(json.dumps(asdict(t)) + "\n")
    return truths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Build the vision development set.")
    p.add_argument("out_dir")
    p.add_argument("--count", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    truths = build_dev_set(a.out_dir, a.count, a.seed)
    print(f"built {len(truths)} images in {a.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
