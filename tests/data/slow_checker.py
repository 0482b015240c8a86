"""An importer checker that takes its time (a photo that is slow to check), for tests that stop an import
half-way; module-level so the import's spawned worker processes can load it."""

from __future__ import annotations

import time

from tests.data.photo_files import one_face


def slow(path: str):
    time.sleep(30)
    return one_face(path)
