"""Build a deterministic test set of photos with ground truth, from images that ship in installed wheels.

Why generated: real photos of patients cannot be test data. Faces come from scikit-image's bundled
photos (astronaut, cameraman); backgrounds from its other bundled photos; documents, patient labels,
blood-bag barcodes, QR codes, screens and harmless signs are drawn here and pasted with a mild
perspective warp and blur. Every image gets a ground-truth record (face boxes, item kinds and boxes).

    python -m tests.data.builders OUT_DIR --count 30
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from consentdesk.core.vision.pii import PERSONAL_KINDS

# (crop box in the source photo, face box inside that crop), measured once with the face model.
_FACE_SOURCES = {
    "astronaut": ((120, 10, 330, 250), (62, 48, 88, 120)),
    "camera": ((150, 60, 310, 260), (52, 59, 55, 78)),
}
_BACKGROUNDS = ("coffee", "chelsea", "rocket", "brick", "grass", "gravel", "retina", "hubble_deep_field")
_FIRST = ["John", "Mary", "Aisha", "Peter", "Grace", "Tomasz", "Priya", "David", "Fatima", "Oliver"]
_LAST = ["Smith", "Jones", "Patel", "Khan", "Brown", "Wilson", "Taylor", "Evans", "Walker", "Hughes"]
_STREETS = ["High Street", "Church Road", "Station Road", "Mill Lane", "Park Avenue", "Victoria Road"]
_POSTCODES = ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "LS1 4AP", "EH1 2NG", "BS1 5TR", "NE1 7RU"]
_SIGNS = [
    ["Give blood today"],
    ["Donor centre", "Open Monday to Saturday"],
    ["Thank you for", "saving lives"],
    ["Every donation counts"],
    ["Cafe", "Tea and biscuits"],
    ["Please take a seat"],
]

PERSONAL = {str(kind) for kind in PERSONAL_KINDS} - {"vehicle_plate"}  # a plate is judged apart


@dataclass
class Truth:
    """Ground truth for one built image; boxes are [x, y, w, h] in image pixels."""

    file: str
    width: int
    height: int
    clean: bool
    faces: list[list[int]] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)  # {"kind", "box", "text"}


# ----------------------------------------------------------------------------- value generators


def nhs_number(rng: random.Random, valid: bool = True) -> str:
    """A 10-digit NHS number; valid ones pass Modulus 11, invalid ones have a wrong check digit."""
    while True:
        body = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check == 10:
            continue
        if not valid:
            check = (check + rng.randint(1, 9)) % 10
        digits = "".join(map(str, body)) + str(check)
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def uk_phone(rng: random.Random) -> str:
    import phonenumbers

    while True:
        num = f"07{rng.randint(400, 999)} {rng.randint(100000, 999999)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(num, "GB")):
            return num


def donation_number(rng: random.Random) -> tuple[str, str]:
    """(human-readable ISBT 128 donation identification number, barcode content)."""
    fac = f"{rng.choice('GWAB')}{rng.randint(1000, 9999)}"
    year, serial = f"{rng.randint(20, 26):02d}", f"{rng.randint(0, 999999):06d}"
    return f"{fac} {year} {serial}", f"={fac}{year}{serial}"


# ----------------------------------------------------------------------------- drawing helpers


def _font(size: int) -> ImageFont.FreeTypeFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _text_card(
    lines: list[tuple[str, str | None]], size: int, bg=(250, 250, 246), fg=(20, 20, 20), pad=None, font=None
):
    """Render lines on a card; returns (RGB image, [(kind, text, box)]) with boxes in card pixels."""
    font = font or _font(size)
    pad = pad or size
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    widths = [probe.textbbox((0, 0), t, font=font)[2] for t, _ in lines]
    w = max(widths) + 2 * pad
    h = int(len(lines) * size * 1.6) + 2 * pad
    card = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(card)
    items = []
    for i, (text, kind) in enumerate(lines):
        y = pad + int(i * size * 1.6)
        draw.text((pad, y), text, font=font, fill=fg)
        if kind:
            x0, y0, x1, y1 = draw.textbbox((pad, y), text, font=font)
            items.append((kind, text, (x0, y0, x1 - x0, y1 - y0)))
    return card, items


def _warp_paste(
    scene: Image.Image, patch: Image.Image, x: int, y: int, rng: random.Random, boxes, jitter=0.05, blur=0.6
):
    """Paste `patch` at (x, y) with a mild random perspective warp; map patch boxes into scene boxes."""
    import cv2

    pw, ph = patch.size
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    j = [(rng.uniform(-jitter, jitter) * pw, rng.uniform(-jitter, jitter) * ph) for _ in range(4)]
    dst = np.float32([[jitter * pw + dx, jitter * ph + dy] for dx, dy in j]) + src
    out_w, out_h = int(pw * (1 + 2 * jitter) + 2), int(ph * (1 + 2 * jitter) + 2)
    m = cv2.getPerspectiveTransform(src, dst)
    arr = cv2.warpPerspective(np.asarray(patch), m, (out_w, out_h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), m, (out_w, out_h))
    warped = Image.fromarray(arr)
    if blur:
        warped = warped.filter(ImageFilter.GaussianBlur(blur))
    scene.paste(warped, (x, y), Image.fromarray(mask))
    mapped = []
    for kind, text, (bx, by, bw, bh) in boxes:
        pts = np.float32([[bx, by], [bx + bw, by], [bx + bw, by + bh], [bx, by + bh]]).reshape(-1, 1, 2)
        q = cv2.perspectiveTransform(pts, m).reshape(-1, 2)
        x0, y0 = q.min(axis=0)
        x1, y1 = q.max(axis=0)
        mapped.append(
            {"kind": kind, "text": text, "box": [int(x + x0), int(y + y0), int(x1 - x0), int(y1 - y0)]}
        )
    return mapped


def _skimage(name: str) -> np.ndarray:
    from skimage import data

    img = getattr(data, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    if img.dtype != np.uint8:
        img = (img * 255).astype(np.uint8) if img.max() <= 1 else img.astype(np.uint8)
    return img[:, :, :3]


def _background(rng: random.Random, w: int, h: int) -> Image.Image:
    img = Image.fromarray(_skimage(rng.choice(_BACKGROUNDS))).resize((w, h), Image.Resampling.BILINEAR)
    return img.filter(ImageFilter.GaussianBlur(2))


def _paste_face(
    scene: Image.Image, rng: random.Random, x: int, y: int, face_px: int, blur: float
) -> list[int]:
    """Paste a person's head so that the face is about face_px wide; returns the face box."""
    name = rng.choice(list(_FACE_SOURCES))
    (cx0, cy0, cx1, cy1), (fx, fy, fw, fh) = _FACE_SOURCES[name]
    crop = Image.fromarray(_skimage(name)).crop((cx0, cy0, cx1, cy1))
    if rng.random() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        fx = (cx1 - cx0) - fx - fw
    k = face_px / fw
    crop = crop.resize((max(1, int(crop.width * k)), max(1, int(crop.height * k))), Image.Resampling.LANCZOS)
    if blur:
        crop = crop.filter(ImageFilter.GaussianBlur(blur))
    scene.paste(crop, (x, y))
    return [int(x + fx * k), int(y + fy * k), int(fw * k), int(fh * k)]


# ----------------------------------------------------------------------------- objects


def _patient_label(rng: random.Random, size: int):
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    dob = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1940, 2005)}"
    lines = [
        ("PATIENT LABEL", None),
        (f"Name: {first} {last}", "person_name"),
        (f"DOB: {dob}", "date_of_birth"),
        (f"NHS No: {nhs_number(rng)}", "nhs_number"),
        (f"{rng.randint(1, 120)} {rng.choice(_STREETS)}", "address"),
        (rng.choice(_POSTCODES), "postcode"),
    ]
    if rng.random() < 0.5:
        lines.insert(4, (f"Tel: {uk_phone(rng)}", "phone"))
    return _text_card(lines, size)


def _bag_label(rng: random.Random, size: int):
    """Blood-bag / wristband label: Code 128 with an ISBT-style donation number, readable below."""
    import zxingcpp

    human, content = donation_number(rng)
    bars = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.Code128).to_image(scale=max(2, size // 12))
    bars = Image.fromarray(np.asarray(bars)).convert("RGB")
    bars = bars.resize((bars.width, int(size * 3)))
    card, items = _text_card([(human, "donation_number")], size)
    pad = size
    out = Image.new(
        "RGB", (max(bars.width, card.width) + 2 * pad, bars.height + card.height + 2 * pad), "white"
    )
    out.paste(bars, (pad, pad))
    out.paste(card, (pad, pad + bars.height))
    items = [(k, t, (bx + pad, by + pad + bars.height, bw, bh)) for k, t, (bx, by, bw, bh) in items]
    items.append(("barcode", content, (pad, pad, bars.width, bars.height)))
    return out, items


def _qr(rng: random.Random, size: int):
    import qrcode

    img = qrcode.make(
        f"https://example.org/consent/{rng.randint(10000, 99999)}", box_size=max(4, size // 5), border=2
    )
    img = img.get_image().convert("RGB")
    return img, [("qr_code", "", (0, 0, img.width, img.height))]


def _screen(rng: random.Random, size: int):
    """A monitor: dark bezel around a bright window showing a record (the screen is the item)."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    content, _ = _text_card(
        [("Donor record", None), (f"{first} {last}", None), ("Appointments", None), ("Blood group O+", None)],
        size,
        bg=(235, 242, 255),
        fg=(10, 30, 90),
        pad=size * 2,
    )
    bezel = max(16, int(size * 1.2))
    out = Image.new("RGB", (content.width + 2 * bezel, content.height + 2 * bezel), (18, 18, 20))
    out.paste(content, (bezel, bezel))
    return out, [("screen", "", (0, 0, out.width, out.height))]


def _sign(rng: random.Random, size: int, with_invalid_nhs: bool):
    lines = [(t, None) for t in rng.choice(_SIGNS)]
    if with_invalid_nhs:
        lines.append((f"Ref {nhs_number(rng, valid=False)}", None))
    colours = rng.choice(
        [((200, 20, 40), (255, 255, 255)), ((255, 230, 0), (0, 0, 0)), ((20, 60, 150), (255, 255, 255))]
    )
    return _text_card(lines, size, bg=colours[0], fg=colours[1])


# ----------------------------------------------------------------------------- scenes


def _cells(w: int, h: int, rng: random.Random) -> list[tuple[int, int, int, int]]:
    cw, ch = w // 3, h // 3
    cells = [(c * cw, r * ch, cw, ch) for r in range(3) for c in range(3)]
    rng.shuffle(cells)
    return cells


def build_image(index: int, size: tuple[int, int], seed: int = 0) -> tuple[Image.Image, Truth]:
    """One scene. index % 5: 0 patient label, 1 bag label + QR, 2 screen + label, 3-4 clean photos."""
    rng = random.Random(seed * 100_003 + index)
    w, h = size
    u = w / 4000  # unit: sizes are designed for a 4000 px wide photo
    scene = _background(rng, w, h)
    cells = _cells(w, h, rng)
    truth = Truth(file="", width=w, height=h, clean=index % 5 >= 3)

    def place(patch_builder, cell):
        cx, cy, cw, ch = cell
        patch, items = patch_builder
        if patch.width > cw * 0.9 or patch.height > ch * 0.9:
            k = min(cw * 0.9 / patch.width, ch * 0.9 / patch.height)
            patch = patch.resize((int(patch.width * k), int(patch.height * k)), Image.Resampling.LANCZOS)
            items = [(kd, t, tuple(int(v * k) for v in b)) for kd, t, b in items]
        x = cx + rng.randint(0, max(0, int(cw - patch.width * 1.1)))
        y = cy + rng.randint(0, max(0, int(ch - patch.height * 1.1)))
        truth.items.extend(_warp_paste(scene, patch, x, y, rng, items))

    kind = index % 5
    text_px = int(rng.uniform(44, 60) * u)
    if kind == 0:
        place(_patient_label(rng, text_px), cells.pop())
    elif kind == 1:
        place(_bag_label(rng, text_px), cells.pop())
        place(_qr(rng, text_px), cells.pop())
    elif kind == 2:
        place(_screen(rng, text_px), cells.pop())
        place(_patient_label(rng, text_px), cells.pop())
    else:
        place(_sign(rng, int(text_px * 1.5), with_invalid_nhs=rng.random() < 0.5), cells.pop())
        truth.items = [i for i in truth.items if i["kind"] not in PERSONAL]

    # people: one or two in the foreground, one or two small and blurred in the background
    n_big, n_small = rng.randint(1, 2), rng.randint(1, 2)
    for i in range(n_big + n_small):
        if not cells:
            break
        cx, cy, cw, ch = cells.pop()
        face_px = int((rng.uniform(200, 320) if i < n_big else rng.uniform(60, 90)) * u)
        blur = 0.0 if i < n_big else rng.uniform(1.0, 2.0) * u
        x = cx + rng.randint(0, max(0, cw - int(face_px * 2.6)))
        y = cy + rng.randint(0, max(0, ch - int(face_px * 3.0)))
        truth.faces.append(_paste_face(scene, rng, x, y, face_px, blur))
    return scene, truth


def build_test_set(out_dir: str | Path, n: int = 30, seed: int = 0, large_every: int = 4) -> list[Truth]:
    """Write n JPEGs (12 MP; every `large_every`-th one 24 MP) plus truth.jsonl; returns the truths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truths = []
    for i in range(n):
        size = (6000, 4000) if large_every and i % large_every == large_every - 1 else (4000, 3000)
        scene, truth = build_image(i, size, seed)
        truth.file = f"img_{i:03d}.jpg"
        scene.save(out / truth.file, "JPEG", quality=90)
        truths.append(truth)
    with (out / "truth.jsonl").open("w") as fh:
        for t in truths:
            fh.write(json.dumps(asdict(t)) + "\n")
    return truths


def load_truths(out_dir: str | Path) -> list[Truth]:
    path = Path(out_dir) / "truth.jsonl"
    return [Truth(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Build the generated vision test set.")
    p.add_argument("out_dir")
    p.add_argument("--count", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    truths = build_test_set(a.out_dir, a.count, a.seed)
    print(f"built {len(truths)} images in {a.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# ----------------------------------------------------------------------------- scoring


def _hit(gt: list[int], box: list[int], slack: float = 0.5) -> bool:
    """A found box matches a truth box when it overlaps it (truth box grown by `slack` of its size)."""
    gx, gy, gw, gh = gt
    gx, gy, gw, gh = gx - gw * slack / 2, gy - gh * slack / 2, gw * (1 + slack), gh * (1 + slack)
    x, y, w, h = box
    return x < gx + gw and gx < x + w and y < gy + gh and gy < y + h


def evaluate(truths: list[Truth], results: dict[str, dict]) -> dict[str, float]:
    """Recall of confidential items and faces, and false personal-data findings per clean photo.

    `results` maps file name -> Analysis.to_json().
    """
    items_total = items_found = faces_total = faces_found = false_personal = false_other = 0
    missed: list[str] = []
    clean = [t for t in truths if t.clean]
    for t in truths:
        r = results[t.file]
        for item in t.items:
            items_total += 1
            kinds = {item["kind"]}
            if any(f["kind"] in kinds and _hit(item["box"], f["box"]) for f in r["findings"]):
                items_found += 1
            else:
                missed.append(f"{t.file}:{item['kind']}:{item['text']}")
        for face in t.faces:
            faces_total += 1
            if any(_hit(face, f["box"], 0.3) for f in r["faces"]):
                faces_found += 1
        if t.clean:
            false_personal += sum(1 for f in r["findings"] if f["kind"] in PERSONAL)
            false_other += sum(
                1 for f in r["findings"] if f["kind"] not in PERSONAL and f["severity"] != "low"
            )
    extra_faces = sum(
        sum(1 for f in results[t.file]["faces"] if not any(_hit(g, f["box"], 0.3) for g in t.faces))
        for t in truths
    )
    return {
        "item_recall": items_found / items_total if items_total else 1.0,
        "face_recall": faces_found / faces_total if faces_total else 1.0,
        "false_personal_per_clean": false_personal / len(clean) if clean else 0.0,
        "false_other_per_clean": false_other / len(clean) if clean else 0.0,
        "extra_faces_per_image": extra_faces / len(truths) if truths else 0.0,
        "items_total": items_total,
        "faces_total": faces_total,
        "missed": missed,  # type: ignore[dict-item]
    }


def evaluate_by_kind(truths: list[Truth], results: dict[str, dict], personal: set[str] | None = None) -> dict:
    """Recall per item kind, face counts in range, and false personal-data findings per clean photo.

    `results` maps file name -> Analysis.to_json(). A face count is "in range" when the number of faces
    found is within 20 % (at least 1) of the truth.
    """
    personal = personal if personal is not None else PERSONAL
    per_kind: dict[str, list[int]] = {}
    missed: list[str] = []
    false_kinds: dict[str, int] = {}
    faces_in_range = 0
    for t in truths:
        r = results[t.file]
        for item in t.items:
            hit = any(f["kind"] == item["kind"] and _hit(item["box"], f["box"]) for f in r["findings"])
            per_kind.setdefault(item["kind"], [0, 0])
            per_kind[item["kind"]][0] += int(hit)
            per_kind[item["kind"]][1] += 1
            if not hit:
                missed.append(f"{t.file}:{item['kind']}:{item['text']}")
        found = sum(any(_hit(g, f["box"], 0.3) for g in t.faces) for f in r["faces"])
        if (
            abs(found - len(t.faces)) <= max(1, round(0.2 * len(t.faces)))
            and len(r["faces"]) <= len(t.faces) + 1
        ):
            faces_in_range += 1
        if t.clean:
            for f in r["findings"]:
                if f["kind"] in personal:
                    false_kinds[f["kind"]] = false_kinds.get(f["kind"], 0) + 1
    clean = [t for t in truths if t.clean]
    confidential = [v for k, v in per_kind.items()]
    return {
        "per_kind": {k: (v[0], v[1]) for k, v in sorted(per_kind.items())},
        "item_recall": sum(v[0] for v in confidential) / max(1, sum(v[1] for v in confidential)),
        "face_counts_in_range": faces_in_range / len(truths) if truths else 1.0,
        "false_personal_per_clean": sum(false_kinds.values()) / len(clean) if clean else 0.0,
        "false_kinds": false_kinds,
        "clean_photos": len(clean),
        "missed": missed,
    }
