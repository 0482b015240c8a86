"""One wording per state on the photo: harmless text nobody has to decide on is tagged "info" (for
information, does not block) in the Library's preview and in the review alike, never "dismissed" (which
says a person decided) and never "?" (which asks for a decision that is not needed)."""

from __future__ import annotations

import pytest
from tests.data.lifecycle_fixtures import GROUP_SIZE, write_group_photo
from tests.ui.conftest import module_catalogue, window_on_copy

from consentdesk.core.media.imaging import sha256_file
from consentdesk.core.store.images import NewImage
from consentdesk.core.values import Analysis, Box, Face, Finding, FindingKind, Severity
from consentdesk.ui.kit.image_canvas import LEGEND, tag_text
from consentdesk.ui.library.library_page import LibraryPage

WORDS, NHS = [1200, 900, 200, 60], [300, 700, 220, 50]


def with_harmless_text(cat, folder):
    photo, faces = write_group_photo(folder / "shoot")
    analysis = Analysis(
        path=str(photo),
        width=GROUP_SIZE[0],
        height=GROUP_SIZE[1],
        faces=(Face(Box.from_list(faces[0]), 0.9),),
        findings=(
            Finding(FindingKind.TEXT, Box.from_list(WORDS), "Every donation counts", Severity.LOW),
            Finding(FindingKind.NHS_NUMBER, Box.from_list(NHS), "943 476 5919", Severity.HIGH),
        ),
        analyser_version="test",
    )
    new = NewImage(sha256_file(photo), str(photo), photo.stat().st_size, GROUP_SIZE[0], GROUP_SIZE[1])
    record, _ = cat.add_image(new, analysis)
    return record.id


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    return module_catalogue(tmp_path_factory, "finding-words", with_harmless_text)


def test_harmless_text_reads_info_in_the_library_and_the_review(photo, tmp_path, qtbot):
    path, image_id = photo
    with window_on_copy(path, tmp_path, qtbot) as win:
        library = win.page(LibraryPage)
        win.show_page(library)
        qtbot.waitUntil(lambda: bool(library.visible_rows()), timeout=20_000)
        library.select_image(image_id)
        qtbot.waitUntil(lambda: len(library.canvas.overlays) == 3, timeout=20_000)
        in_library = {o.key: tag_text(o) for o in library.canvas.overlays}
        win.open_review(image_id, [image_id])
        view = win.review_view
        qtbot.waitUntil(lambda: len(view.canvas.overlays) == 3, timeout=20_000)
        in_review = {o.key: tag_text(o) for o in view.canvas.overlays}
        numbers = {f.kind: f.n for f in view.status.state.findings}  # numbered in reading order
    harmless, nhs = numbers[FindingKind.TEXT], numbers[FindingKind.NHS_NUMBER]
    assert in_library == in_review
    assert in_review[("finding", harmless)] == f"F{harmless} info"
    assert in_review[("finding", nhs)] == f"F{nhs} ?"  # personal data still asks for a decision
    assert "info: for information, does not block" in LEGEND
