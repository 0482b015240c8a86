"""The face stage in its own thread beside the background stages gives the same analysis as in turn."""

from __future__ import annotations

from tests.data.builders import build_image

from consentdesk.core.vision.analyse import Analyser, AnalyserConfig


def test_overlapped_and_sequential_checks_find_the_same(tmp_path):
    scene, truth = build_image(2, (1600, 1200), seed=4)  # a screen and a patient label, people
    path = tmp_path / "scene.jpg"
    scene.save(path, quality=92)
    overlapped = Analyser(AnalyserConfig(overlap=True)).analyse_path(path)
    in_turn = Analyser(AnalyserConfig(overlap=False)).analyse_path(path)
    assert overlapped.error is None and in_turn.error is None
    assert overlapped.faces == in_turn.faces and len(overlapped.faces) >= len(truth.faces) - 1
    assert overlapped.findings == in_turn.findings and overlapped.findings
    assert {"faces", "text", "codes"} <= set(overlapped.timings)


def test_one_thread_workers_do_not_overlap_and_many_threads_do():
    assert not AnalyserConfig(threads=1).overlapping()
    assert AnalyserConfig(threads=2).overlapping()
    assert not AnalyserConfig(threads=2, overlap=False).overlapping()
