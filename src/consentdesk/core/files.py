"""Writing a file so that it is either all there or not there at all.

Why one helper: PDFs, SAR bundles, backups, exported photos, cached working copies and thumbnails all hold
something a person relies on. A crash, a full disk or a bug part-way must never leave half a file under
the real name, nor damage a file already there, so each is built under a temporary name beside its
target (same folder, so the final rename is one atomic step on the same file system) and moved into
place only once complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class TargetExists(FileExistsError):
    """`atomic_write(..., replace=False)` found a file already at the target; nothing was written there."""


def atomic_write(
    out: Path | str,
    build: Callable[[Path], T],
    *,
    private: bool = True,
    replace: bool = True,
    durable: bool = False,
) -> T:
    """Call `build(tmp)` to write a temporary file beside `out`, then move it into place in one step.

    `private` keeps the file readable by its owner only (forms, bundles and backups hold personal data);
    otherwise it gets the usual 0644. With `replace=False` an existing file at `out` is never overwritten
    (checked before building and again, atomically, when moving into place) and `TargetExists` is raised.
    `durable` flushes the file to disk before it takes the real name. Returns what `build` returned.
    A failure at any point removes the temporary file and leaves `out` as it was.
    """
    out = Path(out)
    if not replace and out.exists():
        raise TargetExists(str(out))
    folder = out.parent if str(out.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)  # mode 0600
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        result = build(tmp)
        if not private:
            os.chmod(tmp, 0o644)
        if durable:
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, out)
        else:
            _move_without_replacing(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return result


def _move_without_replacing(tmp: Path, out: Path) -> None:
    """A hard link fails if the name is taken, so two writers can never overwrite each other's file."""
    try:
        os.link(tmp, out)
    except FileExistsError:
        raise TargetExists(str(out)) from None
    except OSError:  # a file system without hard links: check, then rename (a small window remains)
        if out.exists():
            raise TargetExists(str(out)) from None
        os.replace(tmp, out)
        return
    tmp.unlink()
