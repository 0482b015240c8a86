"""Video benchmark: checking and exporting a phone clip, memory in the clip's length, people found.

    python -m bench.video [--seconds 60] [--long 10] [--repeat 3] [--skip-long]

Builds a 1080p 30 fps "phone" clip with tests/data/clip_builder.py (people standing, walking through at
faces 44-160 px, a cut, a label, sound), and a clip `--long` times as long by repeating its packets. Each
measurement runs in a fresh process, so its peak memory (max RSS) is its own. Prints medians and ratios:
check time / clip duration (goal <= 0.5), export time / duration (goal <= 1.5) and the approving computer's
face check of the copy, peak memory of the long clip / the short one (goal <= 1.0, flat), and the share
of people on screen >= 1 s with a face >= 40 px tall that a track found (goal >= 0.95), with tracks per
person (1.0 = one track per person).
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
import json, sys, time
from consentdesk.core.vision.clip_analysis import ClipAnalyser, ClipConfig
path, background = sys.argv[1], sys.argv[2] == '1'
options = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
a = ClipAnalyser(ClipConfig(background=background, **options))
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
if len(sys.argv) > 4:  # the approving computer's face check of the copy (clip_face_check), every person blurred
    from consentdesk.core.review.clip_face_check import faces_left
    t = time.perf_counter(); c = time.process_time()
    left = faces_left(out, list(enumerate(r.face_tracks, start=1)), [])
    _out.update(check_seconds=time.perf_counter() - t, check_cpu=time.process_time() - c, faces_left=len(left))
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
    parser.add_argument("--skip-export", action="store_true", help="time the check only")
    parser.add_argument(
        "--config", action="append", metavar="JSON",
        help='ClipConfig fields to compare, e.g. \'{"face_side": 1280}\' (repeatable; default: the defaults)',
    )
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
        if not args.skip_timing:
            rows = [_check_config(clip, folder, config, args) for config in (args.config or ["{}"])]
            _table(rows)
        if not args.skip_long:
            _memory(clip, folder, args)
    return 0


def _check_config(clip: Path, folder: Path, config: str, args: argparse.Namespace) -> dict:
    """Time the check with one configuration (and the export of its result): medians over the repeats."""
    checks, exports = [], []
    for i in range(args.repeat):
        checks.append(_run(CHECK, str(clip), "1", str(folder / "analysis.pkl"), config))
        if not args.skip_export:
            exports.append(_run(EXPORT, str(clip), str(folder / "analysis.pkl"), str(folder / f"out{i}.mp4"), "check"))
    print(f"\nconfig {config}")
    return {"config": config, **_report(checks, exports, folder)}


def _report(checks: list[dict], exports: list[dict], folder: Path) -> dict:
    duration = checks[0]["duration"]
    check_s = statistics.median(c["seconds"] for c in checks)
    check_cpu = statistics.median(c["cpu"] for c in checks)
    stages = {k: round(statistics.median(c["timings"].get(k, 0) for c in checks), 1) for k in checks[0]["timings"]}
    print(f"clip: {duration:.0f} s, 1920x1080, 30 fps, {checks[0]['tracks']} person tracks, {checks[0]['findings']} finding tracks")
    print(f"check:  median {check_s:.1f} s = {check_s / duration:.2f} x duration (goal <= 0.5); stages {stages}")
    # CPU seconds (both cores together): what an idle 2-core machine needs at least half of, whatever the load
    print(f"CPU time: check {check_cpu:.1f} s ({check_cpu / duration / 2:.2f} x duration over 2 cores)")
    if exports:
        export_s = statistics.median(e["seconds"] for e in exports)
        export_cpu = statistics.median(e["cpu"] for e in exports)
        print(f"export: median {export_s:.1f} s = {export_s / duration:.2f} x duration (goal <= 1.5); "
              f"CPU {export_cpu:.1f} s ({export_cpu / duration / 2:.2f} x duration over 2 cores)")
        look_s = statistics.median(e["check_seconds"] for e in exports)
        look_cpu = statistics.median(e["check_cpu"] for e in exports)
        print(f"face check of the copy: median {look_s:.1f} s = {look_s / duration:.2f} x duration; CPU "
              f"{look_cpu:.1f} s; faces left {[e['faces_left'] for e in exports]} (every person blurred: 0)")
    load = os.getloadavg()
    print(f"load average after the runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    recall, per_person, people = _recall(folder / "analysis.pkl", folder / "phone.truth.json")
    print(f"people on screen >= 1 s with a face >= 40 px: {people}; found {recall:.2%} (goal >= 95%); "
          f"tracks per person found {per_person:.2f} (1.00 = one each)")
    return {"cpu": check_cpu, "wall": check_s, "duration": duration, "found": recall, "people": people,
            "per_person": per_person, "load": load[0]}


def _table(rows: list[dict]) -> None:
    print(f"\n{'config':<58} {'CPU s':>6} {'wall s':>7} {'wall/clip':>9} {'found':>7} {'tracks/person':>13} {'load':>5}")
    for r in rows:
        print(f"{r['config']:<58} {r['cpu']:>6.1f} {r['wall']:>7.1f} {r['wall'] / r['duration']:>9.2f} "
              f"{r['found']:>7.0%} {r['per_person']:>13.2f} {r['load']:>5.1f}")


def _memory(clip: Path, folder: Path, args: argparse.Namespace) -> None:
    long_clip = folder / "long.mp4"
    _long_copy(clip, long_clip, args.long)
    # faces only, at 960 px (memory is about buffering, not the detector's working size)
    faces_960 = json.dumps({"face_side": 960})
    short_mem = _run(CHECK, str(clip), "0", str(folder / "a1.pkl"), faces_960)["max_rss_mb"]
    long_mem = _run(CHECK, str(long_clip), "0", str(folder / "a2.pkl"), faces_960)["max_rss_mb"]
    print(f"memory (check, faces at 960 px, peak RSS): {args.seconds:.0f} s clip {short_mem:.0f} MB, "
          f"{args.seconds * args.long:.0f} s clip {long_mem:.0f} MB, ratio {long_mem / short_mem:.2f} (goal <= 1.0)")
    e_short = _run(EXPORT, str(clip), str(folder / "a1.pkl"), str(folder / "m1.mp4"))["max_rss_mb"]
    e_long = _run(EXPORT, str(long_clip), str(folder / "a2.pkl"), str(folder / "m2.mp4"))["max_rss_mb"]
    print(f"memory (export, peak RSS): {e_short:.0f} MB vs {e_long:.0f} MB, ratio {e_long / e_short:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
