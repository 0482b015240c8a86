"""Text detection through RapidOCR's own call and through `text._detect` (one OpenCV pass): same boxes?
and CPU time of each, alternating photo by photo.

    .venv/bin/python bench/text_detect.py DIR [--count 20]

Each photo is decoded as the check decodes it (2000 px), reduced to the detection size (960 px) and
detected both ways on one thread. Prints how many photos gave the same boxes (within 1 px), the median CPU
time of each way and the ratio, with the load average. Nothing asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir")
    p.add_argument("--count", type=int, default=20)
    a = p.parse_args(argv)
    import numpy as np

    from consentdesk.core.media import imaging
    from consentdesk.core.vision.frame import resize
    from consentdesk.core.vision.text import TextReader, _detect

    det = TextReader(threads=1)._load().text_det
    photos = sorted(f for f in Path(a.dir).iterdir() if f.suffix.lower() in {".jpg", ".jpeg"})[: a.count]
    load = os.getloadavg()[0]
    same, cpu = 0, {"rapidocr": [], "one pass": []}
    for i, f in enumerate(photos):
        rgb = imaging.load(f, max_side=2000).rgb
        small = resize(rgb, min(2.0, 960 / max(rgb.shape[:2])))
        got = {}
        for way in ("rapidocr", "one pass") if i % 2 == 0 else ("one pass", "rapidocr"):
            c = time.process_time()
            boxes = det(np.ascontiguousarray(small[:, :, ::-1]))[0] if way == "rapidocr" else _detect(det, small)
            cpu[way].append(time.process_time() - c)
            got[way] = np.zeros((0, 4, 2)) if boxes is None or not len(boxes) else np.asarray(boxes, float)
        a_, b_ = got["rapidocr"], got["one pass"]
        same += a_.shape == b_.shape and (not a_.size or float(np.abs(a_ - b_).max()) <= 1.0)
    med = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"{len(photos)} photos; load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"same boxes on {same}/{len(photos)} photos")
    print(f"detection CPU per photo: rapidocr {med['rapidocr']:.3f} s, one pass {med['one pass']:.3f} s "
          f"(ratio {med['one pass'] / med['rapidocr']:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
