"""A clip's low-resolution preview: one frame at any instant, or the frames in turn at the clip's own pace.

Decoding never runs on the GUI thread. A still frame (`show_at`) is decoded in a worker (`video.frame_at`,
the newest request wins); playing (`play`) is one long worker that decodes forward from the playhead
(`video.frames_from`), waits until each frame is due and hands it over as a QImage, dropping frames when
it falls behind rather than drifting. Pausing cancels that worker; the last frame stays on screen.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from consentdesk.core.media import video
from consentdesk.ui.kit.busy import describe_error
from consentdesk.ui.kit.image_canvas import rgb_to_qimage
from consentdesk.ui.kit.workers import Latest, TaskControl, run_task

#: Long side of preview frames: enough to judge a box, cheap to decode and convert on two cores.
PREVIEW_SIDE = 480
#: A frame this late (seconds) is decoded but not shown, so playing keeps the clip's pace.
TOO_LATE = 0.08


def paced(frames: Iterator[tuple[float, object]], start: float, control: TaskControl) -> Iterator[tuple[float, object]]:
    """The frames each at its time from the first one (the clip's pace); late ones left out; stops when
    cancelled. The clock starts at the first frame: reaching it (a seek, then decoding from the key frame
    before it) may take a while, and the frames after it must not all count as late for that."""
    began = None
    for t, rgb in frames:
        if began is None:
            began, start = time.monotonic(), t
        wait = began + (t - start) - time.monotonic()
        if wait > 0 and control.cancel_event.wait(wait):
            return
        if wait < -TOO_LATE:
            continue
        yield t, rgb


def play_frames(path: str, start: float, control: TaskControl) -> float:
    """Worker: report (t, QImage) for each frame from `start`, at the clip's pace; returns where it stopped."""
    last = start
    try:
        frames = video.frames_from(path, start, PREVIEW_SIDE, cancel=lambda: control.cancelled)
        for t, rgb in paced(frames, start, control):
            control.report((t, rgb_to_qimage(rgb)))
            last = t
    except video.Cancelled:
        pass
    return last


class ClipPlayer(QObject):
    """Frames for the clip review. `frame_ready(t, image)` for every frame shown; `stopped(t)` when playing
    ends (at the end, or paused); `failed(text)` says why a frame cannot be shown."""

    frame_ready = Signal(float, QImage)
    stopped = Signal(float)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self._stills = Latest()
        self._playing: TaskControl | None = None

    @property
    def playing(self) -> bool:
        return self._playing is not None

    def open(self, path: str | None) -> None:
        self.pause()
        self._stills.drop()
        self.path = path

    def show_at(self, t: float) -> None:
        """Decode the frame at `t` in a worker; only the newest request is shown."""
        if self.path is None:
            return
        path = self.path
        run_task(
            lambda _c: (t, rgb_to_qimage(video.frame_at(path, t, PREVIEW_SIDE))),
            lambda result: self.frame_ready.emit(*result),
            self._failed,
            owner=self,
            latest=self._stills,
        )

    def play(self, start: float) -> None:
        if self.path is None or self._playing is not None:
            return
        self._stills.drop()  # a still frame still on its way must not land over the playing ones
        path = self.path
        control = run_task(
            lambda c: play_frames(path, start, c),
            lambda t: self._ended(control, t),
            lambda exc: self._play_failed(control, exc),
            on_progress=lambda frame: self._played(control, frame),
            owner=self,
            long=True,  # seconds to minutes: never in the queue of a photo's status or a page's rows
        )
        self._playing = control

    def _played(self, control: TaskControl, frame: tuple[float, QImage]) -> None:
        if control is self._playing:  # a paused run's last frames are not shown after the pause
            self.frame_ready.emit(*frame)

    def pause(self) -> None:
        if self._playing is not None:
            self._playing.cancel()
            self._playing = None

    def _ended(self, control: TaskControl, t: float) -> None:
        """The run reached the clip's end (a paused run ends quietly: the pause was already said)."""
        if control is self._playing:
            self._playing = None
            self.stopped.emit(t)

    def _play_failed(self, control: TaskControl, exc: BaseException) -> None:
        if control is self._playing:
            self._playing = None
            self.stopped.emit(-1.0)
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self.failed.emit(f"This part of the clip cannot be shown: {describe_error(exc)}")
