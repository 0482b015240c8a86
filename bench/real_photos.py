"""Measure the check on a folder of REAL photographs labelled by eye (the set itself is never committed).

    .venv/bin/python bench/real_photos.py DIR [--save out.json] [--compare before.json] [--thorough] [--config NAME=VALUE]

DIR holds the photos and `labels.json`: for each file name, `faces: [min, max]` (visible human faces,
paintings and posters included; a range where small background faces are uncertain) and, per kind,
`text`, `plate`, `code`, `screen`, `document`: true (present and legible), false (absent) or null (no
opinion), `names` (a person's name is legible) and `clean` (true: nothing that must be resolved, so
every blocking finding on it is a false alarm). `faces` may be null (counted apart, see --face-boxes). Prints, per kind, recall on the photos that show it and false alarms on the photos that do
not; face counts in range and the face-count error; personal-data findings (the kinds that block a post)
on photos labelled with no text; and the median time per photo. Figures are printed, never asserted.

Why a second bench beside bench/analyse.py: that one scores composites pasted on a few stock photos,
which say little about small background faces, real signs and real number plates.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from consentdesk.core.vision.pii import PERSONAL_KINDS  # noqa: E402

#: label key -> finding kinds that satisfy it
KINDS = {
    "text": None,  # any finding read from text (harmless text, names, plates, ...)
    "plate": {"vehicle_plate"},
    "code": {"barcode", "qr_code"},
    "screen": {"screen"},
    "document": {"document"},
    "names": {"person_name"},
}
_NOT_TEXT = {"barcode", "qr_code", "screen", "document"}
#: kinds that block a post (personal data); a plate is judged by its own label
PERSONAL = {str(kind) for kind in PERSONAL_KINDS} - {"vehicle_plate"}  # a plate is judged apart
#: severities that stop a photo being cleared (what a reviewer must resolve by hand)
BLOCKING = {"high", "medium"}


def _kinds_found(result: dict, key: str) -> bool:
    kinds = {f["kind"] for f in result["findings"]}
    want = KINDS[key]
    return bool(kinds - _NOT_TEXT) if want is None else bool(kinds & want)


def score(labels: dict[str, dict], results: dict[str, dict]) -> dict:
    """Per-kind recall and false alarms, face figures and personal-data findings, from labels and results."""
    per_kind = {k: {"hit": 0, "pos": 0, "false": 0, "neg": 0, "missed": [], "false_on": []} for k in KINDS}
    out = {
        "per_kind": per_kind,
        "photos": len(labels),
        **dict.fromkeys(("face_in_range", "face_truth_min", "face_missed", "face_extra", "face_err"), 0),
        **dict.fromkeys(("no_face_photos", "false_face_photos", "clean_photos"), 0),
        "face_off": [],
        "personal_on_textless": [],
        "blocking_on_clean": [],
    }
    for name, lab in labels.items():
        r = results[name]
        if lab.get("clean"):
            out["clean_photos"] += 1
            out["blocking_on_clean"] += [f"{name}:{f['kind']}" for f in r["findings"] if f["severity"] in BLOCKING]
        _score_faces(out, name, lab, len(r["faces"]))
        for key, s in per_kind.items():
            if lab.get(key) is not None:
                _score_kind(s, name, bool(lab[key]), _kinds_found(r, key))
        if lab.get("text") is False:
            out["personal_on_textless"] += [f"{name}:{f['kind']}" for f in r["findings"] if f["kind"] in PERSONAL]
    return out


def _score_faces(out: dict, name: str, lab: dict, n: int) -> None:
    lo, hi = (n, n) if lab.get("faces") is None else lab["faces"]
    out["face_truth_min"] += lo
    if lo <= n <= hi:
        out["face_in_range"] += 1
    else:
        out["face_off"].append(f"{name} ({n} for {lo}-{hi})")
    out["face_missed"] += max(0, lo - n)
    out["face_extra"] += max(0, n - hi)
    out["face_err"] += max(0, lo - n) + max(0, n - hi)
    if hi == 0:
        out["no_face_photos"] += 1
        out["false_face_photos"] += int(n > 0)


def _score_kind(s: dict, name: str, truth: bool, found: bool) -> None:
    if truth:
        s["pos"] += 1
        s["hit"] += int(found)
        if not found:
            s["missed"].append(name)
    else:
        s["neg"] += 1
        s["false"] += int(found)
        if found:
            s["false_on"].append(name)


def report(s: dict, times: list[float]) -> None:
    print(f"{'kind':9s} {'recall':>12s} {'false alarms':>14s}")
    for k, v in s["per_kind"].items():
        rec = f"{v['hit']}/{v['pos']}" + (f" {v['hit'] / v['pos']:.0%}" if v["pos"] else "")
        fa = f"{v['false']}/{v['neg']}"
        print(f"{k:9s} {rec:>12s} {fa:>14s}")
        if v["missed"]:
            print(f"   missed: {', '.join(v['missed'])}")
        if v["false_on"]:
            print(f"   false on: {', '.join(v['false_on'])}")
    n = s["photos"]
    print(
        f"faces: count in range on {s['face_in_range']}/{n} photos; "
        f"below range by {s['face_missed']} (of >= {s['face_truth_min']} faces), above range by {s['face_extra']}"
    )
    print(f"   false faces on {s['false_face_photos']}/{s['no_face_photos']} photos without faces")
    if s["face_off"]:
        print(f"   out of range: {', '.join(s['face_off'])}")
    print(
        f"personal-data findings on photos with no text: {len(s['personal_on_textless'])} "
        f"{', '.join(s['personal_on_textless'])}"
    )
    nc = s["clean_photos"]
    if nc:
        nb = len(s["blocking_on_clean"])
        print(
            f"blocking false alarms on clean photos: {nb} on {nc} photos ({20 * nb / nc:.2f} per 20 clean photos) "
            f"{', '.join(s['blocking_on_clean'])}"
        )
    if times:
        print(
            f"time per photo: median {statistics.median(times):.3f} s, max {max(times):.3f} s ({len(times)} photos)"
        )


def face_recall(path: str, results: dict[str, dict], min_px: int) -> None:
    """Faces boxed by eye (bench/face_boxes.py): per photo found / boxed, then by size band and false faces."""
    from face_boxes import FaceBoxes, recall  # bench/ is on sys.path when run as a script

    truth = FaceBoxes.load(path)
    found = {name: [list(b) for b in _xywh(f["box"] for f in r["faces"])] for name, r in results.items()}
    for name in truth.faces:
        if name in found:
            one = FaceBoxes({name: truth.faces[name]}, truth.regions, truth.unsure)
            print(f"   {name}: {recall(one, found, min_px).share()} faces >= {min_px} px")
    for line in recall(truth, found, min_px).lines():
        print(line)


def _xywh(boxes) -> list[tuple[float, float, float, float]]:
    out = []
    for b in boxes:
        if isinstance(b, dict):
            out.append((b["x"], b["y"], b["w"], b["h"]))
        else:
            out.append(tuple(b))
    return out


def config_with(config, overrides: list[str]):
    """`config` with NAME=VALUE overrides (ints, floats and booleans as written)."""
    import dataclasses

    changes = {}
    for item in overrides:
        name, _, raw = item.partition("=")
        current = getattr(config, name)
        kind = type(current) if current is not None else bool if raw.lower() in {"true", "false"} else int
        changes[name] = raw.lower() in {"1", "true", "yes"} if kind is bool else kind(raw)
    return dataclasses.replace(config, **changes)


def main(argv: list[str] | None = None) -> int:
    a = _arguments(argv)
    d = Path(a.dir)
    labels = {k: v for k, v in json.loads((d / "labels.json").read_text()).items() if not k.startswith("_")}
    from consentdesk.core.vision.analyse import Analyser, AnalyserConfig

    config = AnalyserConfig.thorough() if a.thorough else AnalyserConfig()
    results, times = _check_all(Analyser(config_with(config, a.config)), d, labels)
    if a.save:
        Path(a.save).write_text(json.dumps(results))
    before = json.loads(Path(a.compare).read_text()) if a.compare else None
    if before is not None:
        print("== before")
        report(score(labels, before), [])
        print("== after")
    report(score(labels, results), times)
    if a.face_boxes:
        face_recall(a.face_boxes, results, a.min_face)
    if before is not None:
        _changes(labels, before, results)
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir")
    p.add_argument("--save", help="write per-photo results (JSON), for --compare later")
    p.add_argument("--compare", help="a saved run: also print its figures, then the photos that changed")
    p.add_argument("--thorough", action="store_true", help="use AnalyserConfig.thorough()")
    p.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one AnalyserConfig field (e.g. ocr_det_side=736), to measure a setting before changing it",
    )
    p.add_argument(
        "--face-boxes",
        help="JSON {file: [[x, y, w, h], ...]}: every face checked by eye on crowd photos (bench/face_boxes.py); "
        "prints the share of faces at least --min-face px wide that a detected face covers, by size band, "
        "and the false faces",
    )
    p.add_argument("--min-face", type=int, default=12)
    return p.parse_args(argv)


def _check_all(analyser, d: Path, labels: dict[str, dict]) -> tuple[dict[str, dict], list[float]]:
    """Every labelled photo checked once (models loaded first, outside the timings); prints stage medians
    and CPU time per photo with the machine's load."""
    analyser.analyse_path(d / next(iter(labels)))
    results: dict[str, dict] = {}
    times: list[float] = []
    cpu: list[float] = []
    stages: dict[str, list[float]] = {}
    load = os.getloadavg()[0]
    for name in labels:
        started = time.process_time()
        r = analyser.analyse_path(d / name)
        cpu.append(time.process_time() - started)
        if r.error:
            print(f"{name}: {r.error}")
        results[name] = r.to_json()
        times.append(r.timings.get("total", 0.0))
        for k, v in r.timings.items():
            stages.setdefault(k, []).append(v)
    print("median per stage: " + ", ".join(f"{k} {statistics.median(v):.3f} s" for k, v in stages.items()))
    print(
        f"CPU time per photo (all threads): median {statistics.median(cpu):.3f} s; "
        f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return results, times


def _changes(labels: dict[str, dict], before: dict[str, dict], results: dict[str, dict]) -> None:
    for name in labels:
        b, r = before[name], results[name]
        kb = sorted(Counter(f["kind"] for f in b["findings"]).items())
        ka = sorted(Counter(f["kind"] for f in r["findings"]).items())
        if len(b["faces"]) != len(r["faces"]) or kb != ka:
            print(f"  {name}: faces {len(b['faces'])} -> {len(r['faces'])}; {kb} -> {ka}")


if __name__ == "__main__":
    raise SystemExit(main())
