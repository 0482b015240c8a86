"""Video benchmark: checking and exporting a phone clip, memory in the clip's length, people found.

    python -m bench.video [--seconds 60] [--long 10] [--repeat 3] [--skip-long]

Builds a 1080p 30 fps "phone" clip with tests/data/clip_builder.py (people standing, walking through at
faces 44-160 px, a cut, a label, sound), and a clip `--long` times as long by repeating its packets. Each
measurement runs in a fresh process, so its peak memory (max RSS) is its own. Prints medians and ratios:
check time / clip duration (goal <= 0.5), export time / duration (goal <= 1.5), peak memory of the long
clip / the short one (goal <= 1.0, flat), and the share of people on screen >= 1 s with a face >= 40 px
tall that a track found (goal >= 0.95), with tracks per person (1.0 = one track per person).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str, *args: str) -> dict:
    """Run `code` in a fresh interpreter; it prints one JSON line (plus max RSS added here)."""
    wrapper = code + "\nimport resource, json as _j\n_out['max_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\nprint(_j.dumps(_out))\n"
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if result.returncode:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


CHECK = """
import sys, time
from consentdesk.core.vision.clip_analysis import ClipAnalyser, ClipConfig
path, background = sys.argv[1], sys.argv[2] == '1'
side = int(sys.argv[4]) if len(sys.argv) > 4 else 1920
a = ClipAnalyser(ClipConfig(background=background, face_side=side))
t = time.perf_counter(); c = time.process_time(); r = a.analyse(path); dt = time.perf_counter() - t
cpu = time.process_time() - c
assert r.error is None, r.error
import pickle, pathlib
pathlib.Path(sys.argv[3]).write_bytes(pickle.dumps(r))
_out = {'seconds': dt, 'cpu': cpu, 'duration': r.clip.duration, 'tracks': len(r.face_tracks),
        'findings': len(r.finding_tracks), 'timings': r.timings}
"""

EXPORT = """
import sys, time, pickle, pathlib
from consentdesk.core.review.clip_export import Redaction, export_clip
r = pickle.loads(pathlib.Path(sys.argv[2]).read_bytes())
out = pathlib.Path(sys.argv[3]); out.unlink(missing_ok=True)
t = time.perf_counter(); c = time.process_time()
export_clip(sys.argv[1], out, [Redaction(tr) for tr in r.face_tracks] + [Redaction(tr, True) for tr in r.finding_tracks])
_out = {'seconds': time.perf_counter() - t, 'cpu': time.process_time() - c, 'duration': r.clip.duration}
"""


def _recall(analysis_pickle: Path, truth_path: Path) -> tuple[float, float, int]:
    import pickle

    from tests.data.clip_builder import ClipTruth

    r = pickle.loads(analysis_pickle.read_bytes())
    truth = ClipTruth.load(truth_path)
    by_t = {round(f.t, 3): f for f in truth.frames}
    people = truth.people(min_seconds=1.0, min_face=40)
    found: dict[int, set[int]] = {p: set() for p in people}
    for k, track in enumerate(r.face_tracks):
        for p in track.points:
            frame = by_t.get(round(p.t, 3))
            if not p.seen or frame is None:
                continue
            for person, (x, y, w, h) in frame.faces.items():
                b = p.box
                ix = max(0, min(b.x + b.w, x + w) - max(b.x, x))
                iy = max(0, min(b.y + b.h, y + h) - max(b.y, y))
                inter = ix * iy
                if person in found and inter / (b.w * b.h + w * h - inter) >= 0.3:
                    found[person].add(k)
    hit = [len(v) for v in found.values() if v]
    return len(hit) / max(1, len(found)), statistics.mean(hit) if hit else 0.0, len(found)


def _long_copy(src: Path, dst: Path, times: int) -> None:
    """The clip's packets `times` over, one after the other (no re-encoding): a long clip in seconds."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in (inp.streams.video[0], *inp.streams.audio[:1])}
        offset = dict.fromkeys(streams, 0)
        end = dict.fromkeys(streams, 0)
        lead = dict.fromkeys(streams, 0)  # how far a copy's first dts lies before its first pts (B-frames)
        for _ in range(times):
            inp.seek(0)
            for packet in inp.demux(*[s for s in inp.streams if s.index in streams]):
                if packet.dts is None:
                    continue
                index = packet.stream.index
                lead[index] = max(lead[index], -packet.dts)
                packet.pts += offset[index]
                packet.dts += offset[index]
                end[index] = max(end[index], packet.pts + (packet.duration or 0), packet.dts + (packet.duration or 0))
                packet.stream = streams[index]
                out.mux(packet)
            # the next copy starts where this one ended, stream by stream
            offset = {i: end[i] + lead[i] for i in streams}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--long", type=int, default=10, help="the long clip is this many times longer")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--skip-timing", action="store_true", help="only the memory comparison")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.data.clip_builder import ClipSpec, write_clip

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = folder / "phone.mp4"
        truth = write_clip(clip, ClipSpec(seconds=args.seconds, size=(1920, 1080), scene="phone", audio=True, seed=7))
        truth.save(folder / "phone.truth.json")
        checks, exports = [], []
        for i in range(0 if args.skip_timing else args.repeat):
            checks.append(_run(CHECK, str(clip), "1", str(folder / "analysis.pkl")))
            exports.append(_run(EXPORT, str(clip), str(folder / "analysis.pkl"), str(folder / f"out{i}.mp4")))
        if checks:
            _report(checks, exports, folder)
        if not args.skip_long:
            _memory(clip, folder, args)
    return 0


def _report(checks: list[dict], exports: list[dict], folder: Path) -> None:
    duration = checks[0]["duration"]
    check_s = statistics.median(c["seconds"] for c in checks)
    export_s = statistics.median(e["seconds"] for e in exports)
    stages = {k: round(statistics.median(c["timings"].get(k, 0) for c in checks), 1) for k in checks[0]["timings"]}
    print(f"clip: {duration:.0f} s, 1920x1080, 30 fps, {checks[0]['tracks']} person tracks, {checks[0]['findings']} finding tracks")
    check_cpu = statistics.median(c["cpu"] for c in checks)
    export_cpu = statistics.median(e["cpu"] for e in exports)
    print(f"check:  median {check_s:.1f} s = {check_s / duration:.2f} x duration (goal <= 0.5); stages {stages}")
    print(f"export: median {export_s:.1f} s = {export_s / duration:.2f} x duration (goal <= 1.5)")
    # CPU seconds (both cores together): what an idle 2-core machine needs at least half of, whatever the load
    print(f"CPU time: check {check_cpu:.1f} s ({check_cpu / duration / 2:.2f} x duration over 2 cores), "
          f"export {export_cpu:.1f} s ({export_cpu / duration / 2:.2f} x duration over 2 cores)")
    load = os.getloadavg()
    print(f"load average after the runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    recall, per_person, people = _recall(folder / "analysis.pkl", folder / "phone.truth.json")
    print(f"people on screen >= 1 s with a face >= 40 px: {people}; found {recall:.2%} (goal >= 95%); "
          f"tracks per person found {per_person:.2f} (1.00 = one each)")


def _memory(clip: Path, folder: Path, args: argparse.Namespace) -> None:
    long_clip = folder / "long.mp4"
    _long_copy(clip, long_clip, args.long)
    # faces only, at 960 px (memory is about buffering, not the detector's working size)
    short_mem = _run(CHECK, str(clip), "0", str(folder / "a1.pkl"), "960")["max_rss_mb"]
    long_mem = _run(CHECK, str(long_clip), "0", str(folder / "a2.pkl"), "960")["max_rss_mb"]
    print(f"memory (check, faces at 960 px, peak RSS): {args.seconds:.0f} s clip {short_mem:.0f} MB, "
          f"{args.seconds * args.long:.0f} s clip {long_mem:.0f} MB, ratio {long_mem / short_mem:.2f} (goal <= 1.0)")
    e_short = _run(EXPORT, str(clip), str(folder / "a1.pkl"), str(folder / "m1.mp4"))["max_rss_mb"]
    e_long = _run(EXPORT, str(long_clip), str(folder / "a2.pkl"), str(folder / "m2.mp4"))["max_rss_mb"]
    print(f"memory (export, peak RSS): {e_short:.0f} MB vs {e_long:.0f} MB, ratio {e_long / e_short:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
