"""Sharing clips on a team register, proxy first: a reviewer at another site reviews from the proxy.

The import does this for each new clip on a register; `share_clips` does it afterwards (clips imported
before proxies existed, or whose proxy could not be made then), on the computer that has the originals.
Each clip is read from its original, checked against the SHA-256 it was imported with (a changed file would
not match its stored tracks), turned into a proxy (`media/proxy.py`) in a private temporary folder and
handed to the register (`cd_store_clip_proxy`). A clip that is missing, changed, damaged or refused is
reported with the reason and the batch goes on.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from consentdesk.core.media import imaging
from consentdesk.core.media.proxy import make_proxy
from consentdesk.core.media.video import Cancelled, ClipError
from consentdesk.core.store import Catalogue, CatalogueError
from consentdesk.core.values import ImageRecord


@dataclass(slots=True)
class ShareReport:
    shared: list[int] = field(default_factory=list)  # image ids given a proxy now
    already: list[int] = field(default_factory=list)  # the register had one
    problems: list[tuple[int, str]] = field(default_factory=list)  # (image id, what went wrong and what to do)
    cancelled: bool = False


def share_clip(
    catalogue: Catalogue,
    image: ImageRecord,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> bool:
    """Give the register a proxy of this clip, made from its original here; False when it had one.
    Raises ClipError (with what to do) when the original cannot be used, `Cancelled` when cancelled."""
    original = Path(image.path)
    name = original.name
    try:
        if imaging.sha256_file(original) != image.sha256:
            raise ClipError(
                f"{name} changed since it was imported, so its proxy would not match its checked tracks; "
                "import the changed file again as a new clip"
            )
    except imaging.ImageError as exc:
        raise ClipError(f"the original of {name} cannot be read here ({exc}); share it from the computer that has it") from exc
    with tempfile.TemporaryDirectory(prefix="consentdesk-proxy-") as tmp:
        proxy = make_proxy(original, Path(tmp) / "proxy.mp4", progress=progress, cancel=cancel)
        data = proxy.path.read_bytes()
    return catalogue.store_clip_proxy(image.sha256, data, proxy.width, proxy.height)


def clips_without_proxy(catalogue: Catalogue, images: Iterable[ImageRecord]) -> list[ImageRecord]:
    """The clips among `images` the register keeps no proxy of (two queries, whatever the number)."""
    images = list(images)
    clips = catalogue.clip_ids([i.id for i in images])
    candidates = [i for i in images if i.id in clips]
    held = catalogue.stored_proxy_shas(i.sha256 for i in candidates)
    return [i for i in candidates if i.sha256 not in held]


def share_clips(
    catalogue: Catalogue,
    images: Iterable[ImageRecord],
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ShareReport:
    """`share_clip` for each clip among `images` that has no proxy yet; the batch goes on past a bad one."""
    report = ShareReport()
    todo = clips_without_proxy(catalogue, images)
    for done, image in enumerate(todo):
        step = None if progress is None else (lambda f, d=done: progress((d + f) / len(todo)))
        try:
            (report.shared if share_clip(catalogue, image, step, cancel) else report.already).append(image.id)
        except Cancelled:
            report.cancelled = True
            break
        except (ClipError, CatalogueError) as exc:
            report.problems.append((image.id, str(exc)))
    return report
