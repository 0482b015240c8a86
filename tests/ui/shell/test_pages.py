"""The page contract and paged loading: the window appears without reading the big lists, each page reads
its rows in a worker when first shown, tables fetch more rows when scrolled, and a refresh changes only
the rows that changed. Real widgets on a real SQLite catalogue filled through the Catalogue API."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from PIL import Image
from PySide6.QtCore import Qt, QThread
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QTableView
from tests.ui.conftest import EXAMPLES, example

from consentdesk.core.consent.releases import record_consent
from consentdesk.core.forms import Submission, load_form
from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, NewImage
from consentdesk.core.values import Analysis, Box, Face
from consentdesk.ui.expiry.expiry_page import ExpiryPage
from consentdesk.ui.kit.lazy_model import Loaded, PagedModel
from consentdesk.ui.kit.page import Page
from consentdesk.ui.library.library_page import LibraryPage
from consentdesk.ui.releases.register_page import RegisterPage
from consentdesk.ui.review.queue_page import ID_ROLE, QueuePage
from consentdesk.ui.shell.main_window import PAGES, MainWindow

PHOTOS = 230  # more than two pages of 100


def settle(qtbot, page: Page) -> None:
    qtbot.waitUntil(page.is_loaded, timeout=20_000)


def on_screen(table, role: int = Qt.ItemDataRole.DisplayRole, column: int = 0) -> list:
    """What the table itself shows (its own model, which paints), top to bottom."""
    model = table.model()
    return [model.index(r, column).data(role) for r in range(model.rowCount())]


def scroll_to_end(qtbot, table) -> None:
    """The user drags the scroll bar to the bottom (once the table has laid out its rows)."""
    bar = table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() < bar.maximum(), timeout=10_000)
    bar.setValue(bar.maximum())


@pytest.fixture
def big(tmp_path, catalogue: Catalogue) -> Catalogue:
    """PHOTOS photos with one face each (all waiting to be verified) and 3 releases, one ending soon."""
    jpeg = tmp_path / "tiny.jpg"
    Image.new("RGB", (64, 48), (90, 120, 160)).save(jpeg, "JPEG")
    with catalogue.transaction():
        shoot = catalogue.create_shoot("Donor day", "test")
        for i in range(PHOTOS):
            analysis = Analysis(
                str(jpeg), 64, 48, faces=(Face(Box(10, 10, 20, 20), 0.9),), analyser_version="t"
            )
            new = NewImage(
                f"{i:064x}", str(jpeg), 100, 64, 48, captured_at=f"2026-01-01T10:{i // 60:02d}:{i % 60:02d}"
            )
            catalogue.add_image(new, analysis, shoot)
    raw = example("adult.json")
    signature = (EXAMPLES / "signature-adult.png").read_bytes()
    form = load_form("model_release", 1)
    for name in ("Ada One", "Ben Two", "Cy Three"):
        answers = dict(raw["answers"], full_name=name, duration="1y")
        record_consent(catalogue, form, Submission(answers, {"signature": signature}), source="cli")
    return catalogue


# --- the contract -----------------------------------------------------------------------------------------


def test_every_registered_page_keeps_the_contract(qtbot, catalogue):
    titles = [page_class.TITLE for page_class in PAGES]
    assert all(titles) and len(set(titles)) == len(titles)
    for page_class in PAGES:
        assert issubclass(page_class, Page)
        assert page_class.load is not Page.load and page_class.refresh is not Page.refresh, page_class
        page = page_class(catalogue)
        qtbot.addWidget(page)
        assert not page.is_loaded()  # constructing a page reads nothing
        for action in page.page_actions():
            assert isinstance(action, QAction) and action.property("menu") in ("File", "Review")
    window = MainWindow(catalogue)
    qtbot.addWidget(window)
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == titles
    assert [type(p) for p in window.pages] == PAGES
    menus = {a.text() for m in window.menuBar().actions() if m.menu() for a in m.menu().actions()}
    assert {"Import photos and clips…", "Import folder…", "To verify"} <= menus  # pages' own actions are in the menus


def test_window_appears_before_the_big_lists_are_read(qtbot, big):
    window = MainWindow(big)
    qtbot.addWidget(window)
    queue, expiry = window.page(QueuePage), window.page(ExpiryPage)
    register, library = window.page(RegisterPage), window.page(LibraryPage)
    assert not register.is_loaded()  # not even the first page reads before the window is shown
    window.show()
    settle(qtbot, register)
    assert register.model.rowCount() == 3
    # pages nobody has looked at have read nothing
    assert queue.model.rowCount() == 0 and queue.model.total == 0 and not queue.is_loaded()
    assert expiry.expiring_model.rowCount() == 0 and expiry.blocked_model.rowCount() == 0
    assert library.model.rowCount() == 0 and not library.is_loaded()

    window.show_page(queue)
    assert queue.model.rowCount() == 0  # switching pages returns at once: the rows come from a worker
    settle(qtbot, queue)
    assert queue.model.total == PHOTOS and queue.model.rowCount() == 100
    assert queue.review_order() == [im.id for im in big.images_to_verify()]  # the review walks them all
    assert queue.current_id() == queue.review_order()[0]
    assert window.count_label.isHidden()  # the record count belongs to the register

    window.show_page(expiry)
    settle(qtbot, expiry)
    assert expiry.expiring_model.rowCount() == 0  # one-year releases signed today end in a year


def test_tables_fetch_more_rows_when_scrolled(qtbot, big):
    window = MainWindow(big)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    queue = window.page(QueuePage)
    window.show_page(queue)
    settle(qtbot, queue)
    assert queue.model.rowCount() in (100, 200) and queue.model.canFetchMore()  # a page or two, not all
    qtbot.wait(500)
    assert queue.model.rowCount() <= 200  # nothing more is read until the user scrolls (a QTreeView would)
    while queue.model.rowCount() < PHOTOS:
        loaded = queue.model.rowCount()
        bar = queue.table.verticalScrollBar()
        bar.setValue(bar.maximum())  # the user scrolls to the end
        qtbot.waitUntil(lambda n=loaded: queue.model.rowCount() > n, timeout=20_000)
        assert queue.model.rowCount() - loaded <= 100  # one page at a time
    assert not queue.model.canFetchMore()
    assert queue.image_ids() == queue.review_order() == on_screen(queue.table, ID_ROLE)

    library = window.page(LibraryPage)
    window.show_page(library)
    settle(qtbot, library)
    loaded = library.model.rowCount()
    assert loaded in (100, 200) and library.subtitle.text() == f"{PHOTOS} photos"
    bar = library.grid.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: library.model.rowCount() > loaded, timeout=20_000)


def test_showing_a_page_again_refreshes_only_what_changed(qtbot, big):
    window = MainWindow(big)
    qtbot.addWidget(window)
    window.show()
    queue = window.page(QueuePage)
    window.show_page(queue)
    settle(qtbot, queue)
    ids = queue.image_ids()
    queue.select_id(ids[5])
    resets, removed = [], []
    queue.model.modelReset.connect(lambda: resets.append(1))
    queue.model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))

    workflow.reject(big, ids[0], "wristband legible")  # decided elsewhere
    window.show_page(window.pages[0])
    window.show_page(queue)  # shown again: an incremental refresh
    settle(qtbot, queue)
    assert (0, 0) in removed and resets == []  # the rejected photo's row left; nothing was rebuilt
    assert queue.image_ids()[:5] == ids[1:6] and queue.model.rowCount() >= len(ids)
    assert queue.current_id() == ids[5]  # the selection stayed on the same photo
    assert queue.model.total == PHOTOS - 1
    assert on_screen(queue.table, ID_ROLE) == queue.image_ids()  # the table shows the refreshed rows
    assert queue.table.currentIndex().data(ID_ROLE) == ids[5]


def test_expiry_tables_page_when_scrolled_and_show_the_linked_counts(qtbot, big):
    """60 photos lost clearance (more than a page of 50); a release ending soon has 3 linked photos."""
    ada, ben, cy = (c.id for c in sorted(big.list_consents(), key=lambda c: c.full_name))
    ids = [im.id for im in big.images_to_verify()]
    for image_id in ids[:60]:
        workflow.link_face(big, image_id, 1, ada)
    for image_id in ids[60:63]:
        workflow.link_face(big, image_id, 1, ben)
    big.withdraw_consent(ada, date.today(), "asked")
    window = MainWindow(big)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    expiry = window.page(ExpiryPage)
    expiry.days.setValue(400)  # the one-year releases signed today end within 400 days
    window.show_page(expiry)
    settle(qtbot, expiry)
    blocked = expiry.blocked_table
    assert len(on_screen(blocked)) == 50 and expiry.blocked_title.text() == "Photos and clips that lost clearance (60)"
    assert set(on_screen(blocked, column=1)) == {f"{ada} withdrawn"}
    scroll_to_end(qtbot, blocked)
    qtbot.waitUntil(lambda: len(on_screen(blocked)) == 60, timeout=20_000)
    assert not blocked.model().canFetchMore()

    expiring = expiry.expiring_table
    assert on_screen(expiring) == sorted([ben, cy])  # the withdrawn release no longer ends: it lapsed
    qtbot.waitUntil(lambda: "counting…" not in on_screen(expiring, column=4), timeout=10_000)
    counts = dict(zip(on_screen(expiring), on_screen(expiring, column=4), strict=True))
    assert counts == {ben: "3", cy: "0"}  # counted afterwards, straight into the table


def test_paged_model_reads_in_a_worker_and_merges_refreshes(qtbot):
    """The model on its own, over a plain list: where the loader runs, fetchMore, and the merge."""
    gui = threading.current_thread()
    data = list(range(250))
    threads = []

    class Numbers(PagedModel):
        COLUMNS = ("n",)

        def cell(self, row, column, role):
            return str(row) if role == 0 else None

    def loader(want: int) -> Loaded:
        threads.append(threading.current_thread())
        snapshot = list(data)
        return Loaded(len(snapshot), snapshot[:want], lambda offset, limit: snapshot[offset : offset + limit])

    model = Numbers(key=lambda n: n, page_size=100)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    with qtbot.waitSignal(model.loaded):
        model.load(loader)
    assert threads and threads[0] is not gui and QThread.currentThread() is QApplication.instance().thread()
    assert model.rows == data[:100] and model.canFetchMore()
    with qtbot.waitSignal(model.fetched):
        model.fetchMore()
    assert model.rows == data[:200]

    data.remove(3)
    data.insert(10, 1000)
    inserted, removed, resets = [], [], []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    model.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.loaded):
        model.load(loader, incremental=True)  # re-reads the 200 rows loaded, not just the first page
    assert model.rows == data[:200] and resets == []
    assert len(removed) == 1 and len(inserted) == 1  # one row out, one row in: nothing else moved


def test_form_definitions_are_loaded_once():
    """The queue asks for the form of every image: each (name, version) is read once, then reused."""
    assert load_form() is load_form()
    assert load_form("model_release", 1) is load_form("model_release", 1)
    assert load_form("model_release", load_form().version) is load_form()


def test_opening_another_catalogue_reloads_the_page_shown_and_resets_the_others(qtbot, big, tmp_path):
    window = MainWindow(big)
    qtbot.addWidget(window)
    window.show()
    queue, library = window.page(QueuePage), window.page(LibraryPage)
    window.show_page(library)
    settle(qtbot, library)
    window.show_page(queue)
    settle(qtbot, queue)
    assert queue.model.total == PHOTOS and library.model.rowCount() > 0
    other = tmp_path / "other.sqlite"
    Catalogue.open(other).close()
    assert window.open_catalogue(other)
    settle(qtbot, queue)
    assert queue.model.total == 0 and queue.empty.isVisibleTo(queue)  # read again, from the new file
    assert library.model.rowCount() == 0 and not library.is_loaded()  # read when next shown
