"""Draw the candidate panels the screen check judged on a photo, and print what was measured on each.

    .venv/bin/python bench/draw_panels.py PHOTO [PHOTO ...] [--out DIR] [--min-share 0.03]

Runs the whole check (`Analyser.analyse_path`) with `regions.judge_panel` wrapped, so each quad judged
(Canny outlines, bright blobs, dark holes) is recorded with its `PanelFacts`. Writes DIR/<photo>.png: the
work-size picture with each quad covering at least `--min-share` of it, green if judged a screen, red
otherwise, numbered as in the printed lines (box in work pixels, verdict, reason, dark sides, bezel ends,
tilt, UI bar, small/big text rows, saturation). Why: a missed screen is usually a panel found but judged
"no bezel" (a window inside the display, edged by its own toolbars) or no panel found at all; the drawing
tells which.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _record(log: list) -> None:
    """Wrap `regions.judge_panel` so each call appends (quad, facts, image shape) to `log`."""
    from consentdesk.core.vision import regions

    judge = regions.judge_panel

    def recording(hsv, quad, boxes=()):
        facts = judge(hsv, quad, boxes)
        log.append((quad.copy(), facts, hsv.shape))
        return facts

    regions.judge_panel = recording


def _draw(path: Path, log: list, out: Path, min_share: float) -> None:
    import cv2

    h, w = log[0][2][:2]
    img = cv2.resize(cv2.imread(str(path)), (w, h), interpolation=cv2.INTER_AREA)
    for i, (quad, f, _) in enumerate(log):
        x, y, bw, bh = cv2.boundingRect(quad.astype(np.int32))
        if bw * bh < min_share * w * h:
            continue
        print(
            f"  {i} box={(x, y, bw, bh)} {f.verdict}: {f.reason} | dark_sides={f.dark_sides} "
            f"ends={f.bezel_ends} tilt={f.tilt_deg:.1f} ui={f.ui_bar} rows={f.small_text_rows}/{f.big_text_rows} "
            f"sat={f.saturation:.0f}"
        )
        colour = (0, 255, 0) if f.verdict == "screen" else (0, 0, 255)
        cv2.polylines(img, [quad.astype(np.int32)], True, colour, 2)
        cv2.putText(img, str(i), (x + 5, y + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 0, 255), 2)
    cv2.imwrite(str(out / f"{path.stem}.png"), img)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("photos", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path("/tmp/panels"))
    ap.add_argument("--min-share", type=float, default=0.03)
    args = ap.parse_args(argv)
    from consentdesk.core.vision.analyse import Analyser

    args.out.mkdir(parents=True, exist_ok=True)
    log: list = []
    _record(log)
    analyser = Analyser()
    for path in args.photos:
        log.clear()
        found = [(f.kind.value, f.text) for f in analyser.analyse_path(path).findings]
        print(path.name, [k for k in found if k[0] in ("screen", "document")])
        if log:
            _draw(path, log, args.out, args.min_share)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
