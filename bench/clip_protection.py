"""Clips in data protection: a SAR bundle with a clip and a clip's proxy, time and memory in the clip's length.

    python -m bench.clip_protection [--seconds 20] [--long 5] [--repeat 3]

Builds a 1280x720 30 fps phone clip (tests/data/clip_builder.py) and a copy `--long` times as long (its
packets repeated, as bench/video.py does). The short clip is checked once (faces only); the long one is
given the same tracks (what is measured is the re-encoding, not the detector). Each measurement runs in a
fresh process, so its peak memory (max RSS) is its own. Prints medians and ratios: the SAR bundle's time
per second of clip and its peak memory, long clip over short (goal: flat, ratio about 1.0), and the same
for making the proxy a team register keeps (480 px H.264).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench.video import _long_copy, _run

ROOT = Path(__file__).resolve().parent.parent

SAR = """
import sys, time, pickle, pathlib, hashlib, os
os.environ['CONSENTDESK_HOME'] = sys.argv[4]
from consentdesk.core.store import Catalogue, NewImage
from consentdesk.core.media.imaging import sha256_file
from consentdesk.core.protection.sar import build_sar_bundle
from consentdesk.core.review import workflow
sys.path.insert(0, '.')
from tests.data.lifecycle_fixtures import add_person
clip, analysis = pathlib.Path(sys.argv[1]), pickle.loads(pathlib.Path(sys.argv[2]).read_bytes())
with Catalogue.open(pathlib.Path(sys.argv[3]) / 'cat.sqlite') as cat:
    me = add_person(cat, 'Bench Person')
    record, _ = cat.add_image(NewImage(sha256_file(clip), str(clip), clip.stat().st_size, analysis.width, analysis.height), analysis)
    workflow.link_face(cat, record.id, 1, me.id)
    t = time.perf_counter()
    contents = build_sar_bundle(cat, me.id, pathlib.Path(sys.argv[3]) / 'bundle.zip')
    dt = time.perf_counter() - t
assert contents.images[0].bundle_name, contents.images[0].problem
_out = {'seconds': dt}
"""

PROXY = """
import sys, time, pathlib
from consentdesk.core.media.proxy import make_proxy
t = time.perf_counter()
p = make_proxy(sys.argv[1], pathlib.Path(sys.argv[2]) / 'proxy.mp4')
_out = {'seconds': time.perf_counter() - t, 'bytes': p.path.stat().st_size}
"""

CHECK = """
import sys, pickle, pathlib
from consentdesk.core.vision.clip_analysis import ClipAnalyser, ClipConfig
r = ClipAnalyser(ClipConfig(background=False, face_side=960)).analyse(sys.argv[1])
assert r.error is None, r.error
pathlib.Path(sys.argv[2]).write_bytes(pickle.dumps(r))
_out = {'tracks': len(r.face_tracks), 'duration': r.clip.duration}
"""


def _measure(code: str, repeat: int, *args: str) -> tuple[float, float]:
    """Median seconds and median peak RSS (MB) over `repeat` fresh processes."""
    runs = [_run(code, *args) for _ in range(repeat)]
    return statistics.median(r["seconds"] for r in runs), statistics.median(r["max_rss_mb"] for r in runs)


def _sar(clip: Path, analysis: Path, folder: Path, repeat: int) -> tuple[float, float]:
    runs = []
    for i in range(repeat):
        work = folder / f"sar-{clip.stem}-{i}"
        work.mkdir()
        runs.append(_run(SAR, str(clip), str(analysis), str(work), str(work / "home")))
    return statistics.median(r["seconds"] for r in runs), statistics.median(r["max_rss_mb"] for r in runs)


def _clips(folder: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    """The 720p phone clip and its copy `--long` times as long."""
    sys.path.insert(0, str(ROOT))
    from tests.data.clip_builder import ClipSpec, write_clip

    short, long = folder / "short.mp4", folder / "long.mp4"
    write_clip(short, ClipSpec(seconds=args.seconds, size=(1280, 720), scene="phone", audio=True, seed=7))
    _long_copy(short, long, args.long)
    return short, long


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--long", type=int, default=5, help="the long clip is this many times longer")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs, load average " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        short, long = _clips(folder, args)
        facts = _run(CHECK, str(short), str(folder / "analysis.pkl"))
        print(f"clips: {facts['duration']:.0f} s and {facts['duration'] * args.long:.0f} s, 1280x720, "
              f"{facts['tracks']} person tracks (one linked to the person, the others pixelated)")
        for name, job in (
            ("SAR bundle", lambda clip: _sar(clip, folder / "analysis.pkl", folder, args.repeat)),
            ("proxy", lambda clip: _measure(PROXY, args.repeat, str(clip), str(folder))),
        ):
            (s_time, s_mem), (l_time, l_mem) = job(short), job(long)
            duration = facts["duration"]
            print(f"{name}: short {s_time:.1f} s ({s_time / duration:.2f} x duration), peak {s_mem:.1f} MB; "
                  f"long {l_time:.1f} s ({l_time / (duration * args.long):.2f} x duration), peak {l_mem:.1f} MB; "
                  f"memory ratio long/short {l_mem / s_mem:.2f} (goal: flat, about 1.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
