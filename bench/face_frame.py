"""Time the face stage on one 1080p frame (what the clip check runs per sampled frame), per input size.

    .venv/bin/python bench/face_frame.py [--repeat 7] [--threads N]

CenterFace's cost follows the pixels it is given, so the figure that matters for a clip is the cost at
the size the frame is reduced to before detection: 1920 (full frame), 1280 (the photo check's first
pass) and 960 px (faces down to ~36 px of the 1080p frame). Prints the median wall time and CPU time
(all threads) of `FaceDetector.detect` at each size, with the machine's load average beside them.
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


def frame_1080p():
    """A 1080p frame with people in it, from scikit-image's photos (no data set needed)."""
    import cv2
    import numpy as np
    from skimage import data

    scene = cv2.resize(data.coffee(), (1920, 1080), interpolation=cv2.INTER_LINEAR)
    face = data.astronaut()[20:260, 110:330]
    for i, size in enumerate((220, 120, 70, 40)):
        small = cv2.resize(face, (size, round(size * 240 / 220)), interpolation=cv2.INTER_AREA)
        x, y = 100 + i * 420, 200
        scene[y : y + small.shape[0], x : x + small.shape[1]] = small
    return np.ascontiguousarray(scene)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--threads", type=int, default=0, help="the detector's threads (0: every core)")
    a = p.parse_args(argv)
    import cv2

    from consentdesk.core.vision.faces import FaceDetector
    from consentdesk.core.vision.frame import resize

    if a.threads:
        cv2.setNumThreads(a.threads)  # the resize before detection
    frame = frame_1080p()
    detector = FaceDetector(threads=a.threads or None)
    detector.detect(frame)  # load the model outside the timings
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; threads {a.threads or 'all'}")
    for side in (1920, 1280, 960):
        small = resize(frame, side / 1920)
        walls, cpus, found = [], [], 0
        for _ in range(a.repeat):
            t, c = time.perf_counter(), time.process_time()
            found = len(detector.detect(small))
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        print(
            f"input {small.shape[1]}x{small.shape[0]}: median {statistics.median(walls):.3f} s wall, "
            f"{statistics.median(cpus):.3f} s CPU; {found} faces"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
