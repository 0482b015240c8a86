import threading

from PySide6.QtCore import QThread

from consentdesk.ui.kit.workers import run_task


def test_result_progress_and_errors_arrive_on_the_gui_thread(qtbot):
    gui_thread = QThread.currentThread()
    seen, results, errors = [], [], []

    def work(control):
        assert QThread.currentThread() is not gui_thread
        for i in range(3):
            control.report(i)
        return "done"

    def on_done(value):
        results.append((value, QThread.currentThread() is gui_thread))

    run_task(
        work, on_done=on_done, on_progress=lambda v: seen.append((v, QThread.currentThread() is gui_thread))
    )
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == [("done", True)]
    assert seen == [(0, True), (1, True), (2, True)]

    run_task(lambda control: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ZeroDivisionError)


def test_cancel_is_cooperative(qtbot):
    started = threading.Event()
    results = []

    def work(control):
        started.set()
        control.cancel_event.wait(5)
        return "stopped" if control.cancelled else "timed out"

    control = run_task(work, on_done=results.append)
    assert started.wait(5)
    control.cancel()
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == ["stopped"]


def test_long_jobs_never_hold_up_a_quick_read(qtbot):
    """Two imports (say) running for minutes on the long-jobs pool: a photo's status still arrives."""
    from consentdesk.ui.kit.workers import idle

    release = threading.Event()
    long_started = []

    def long_job(control):
        long_started.append(1)
        release.wait(20)
        return "long"

    from PySide6.QtCore import QThreadPool

    jobs = max(3, QThreadPool.globalInstance().maxThreadCount() + 1)  # more than the interactive pool holds
    try:
        for _ in range(jobs):
            run_task(long_job, long=True)
        qtbot.waitUntil(lambda: len(long_started) == 2, timeout=5000)
        quick = []
        for n in range(3):
            run_task(lambda control, n=n: n, on_done=quick.append)
        qtbot.waitUntil(lambda: sorted(quick) == [0, 1, 2], timeout=5000)
        assert len(long_started) == 2  # the other long jobs wait their turn, behind their busy notes
    finally:
        release.set()
    qtbot.waitUntil(idle, timeout=10_000)
    assert len(long_started) == jobs


def test_latest_delivers_only_the_newest_answer_and_always_settles(qtbot):
    """Three requests of one stream answered out of order: only the newest is shown; each one settles."""
    from consentdesk.ui.kit.workers import Latest, idle

    stream = Latest()
    gates = [threading.Event() for _ in range(3)]
    shown, settled = [], []
    for n, gate in enumerate(gates):
        run_task(
            lambda control, n=n, gate=gate: gate.wait(10) and n,
            on_done=shown.append,
            latest=stream,
            on_settled=settled.append,
        )
    for gate in (gates[2], gates[0], gates[1]):  # the newest answers first, the older ones later
        gate.set()
    qtbot.waitUntil(idle, timeout=10_000)
    assert shown == [2]
    assert sorted(settled) == [0, 1, 2]

    follow_up = []
    run_task(lambda control: "page 2", on_done=follow_up.append, latest=stream.ticket())
    qtbot.waitUntil(idle, timeout=10_000)
    assert follow_up == ["page 2"]  # work for the current request is delivered
    stream.drop()
    run_task(lambda control: "late", on_done=follow_up.append, latest=stream.ticket())
    stream.drop()  # superseded while on its way
    qtbot.waitUntil(idle, timeout=10_000)
    assert follow_up == ["page 2"]


def test_a_deleted_owner_gets_no_callback(qtbot):
    from PySide6.QtWidgets import QWidget

    from consentdesk.ui.kit.workers import Latest, idle

    gate = threading.Event()
    widget = QWidget()
    calls = []
    run_task(lambda control: gate.wait(10), on_done=lambda _v: calls.append(widget.objectName()), owner=widget,
             latest=Latest())
    widget.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(widget), timeout=5000)
    gate.set()
    qtbot.waitUntil(idle, timeout=10_000)
    assert calls == []
