"""Pick the release that covers one face: a search over `review.workflow.suggest_consents`, the face crop and the
selected record's reference photo side by side, so a person decides. There is no automatic matching.

Keyboard: type to search (debounced), Up/Down/Page keys move in the list while typing, Enter links the
selected record, Esc cancels.

The suggestions and the reference photo are read in workers (`run_task`), the newest request winning, so
typing never waits for the catalogue. Enter pressed before the results of what was typed have arrived
links the first of those results, not of an older search.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, ConsentQuery
from consentdesk.core.values import Consent
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.busy import describe_error, in_catalogue
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.words import face_word, item_word
from consentdesk.ui.kit.workers import Latest, run_task

ID_ROLE = Qt.ItemDataRole.UserRole + 1
PHOTO_SIDE = 200
NAVIGATION_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}


def _photo_label(name: str) -> QLabel:
    label = QLabel("")
    label.setObjectName(name)
    label.setFixedSize(PHOTO_SIDE, PHOTO_SIDE)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


class ConsentPicker(Dialog):
    def __init__(
        self,
        catalogue: Catalogue,
        image_id: int,
        face_n: int,
        face_crop: QImage | None = None,
        parent: QWidget | None = None,
        *,
        clip: bool = False,
    ) -> None:
        super().__init__(parent, title=f"Link {face_word(clip)} {face_n} to a release")
        # a clip's faces are people (person tracks) and the picture beside them is the frame shown
        self.face, self.item = face_word(clip), item_word(clip)
        self.catalogue = catalogue
        self.image_id = image_id
        self.face_n = face_n
        self.chosen: str | None = None
        self._consents: dict[str, Consent] = {}
        self._searches = Latest()  # only the results of the newest search are shown
        self._searching = False
        self._accept_when_found = False  # Enter came before the results of the text typed
        self._photos = Latest()  # only the reference photo of the release selected last
        self.setMinimumSize(860, 520)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.refresh)
        self._build(face_crop)
        self.refresh()

    def _build(self, face_crop: QImage | None) -> None:
        intro = text_label(
            f"Who is {self.face} {self.face_n}? Compare the face with the reference photo yourself; "
            "ConsentDesk never matches faces automatically.",
            "hint",
        )
        footer = self.footer()
        footer.cancel()
        self.link_button = footer.primary(f"Link {self.face} {self.face_n}")
        body = QGridLayout()
        body.addLayout(self._build_search(), 0, 0)
        body.addWidget(self._build_photos(face_crop), 0, 1)
        body.setColumnStretch(0, 1)
        layout = self.plain(gap=spacing.GAP)
        layout.addWidget(intro)
        layout.addLayout(body, 1)
        layout.addWidget(footer)
        self.search.setFocus()

    def _build_search(self) -> QVBoxLayout:
        """The search box (arrow keys typed in it move in the list) and the suggested releases."""
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Search name, ID or location · ↑↓ choose · Enter links")
        self.search.setAccessibleName("Search releases")
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.installEventFilter(self)
        self.list = QListWidget()
        self.list.setObjectName("pickerList")
        self.list.setAccessibleName("Suggested releases")
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(self._show_selected)
        self.list.itemActivated.connect(lambda _i: self.accept())
        self.empty = text_label("", "hint")
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.list, 1)
        left.addWidget(self.empty)
        return left

    def _build_photos(self, face_crop: QImage | None) -> QFrame:
        """The face in this photo beside the selected release's reference photo, and its details."""
        self.face_photo = _photo_label("pickerFace")
        if face_crop is not None and not face_crop.isNull():
            self.face_photo.setPixmap(self._fit(face_crop))
        else:
            self.face_photo.setText(f"The {self.item} is still loading")
        self.reference_photo = _photo_label("pickerReference")
        self.details = text_label("", name="pickerDetails")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        photos = QFrame()
        photos.setObjectName("pickerPhotos")
        grid = QGridLayout(photos)
        grid.setContentsMargins(12, 10, 12, 12)
        for col, (title, widget) in enumerate(
            (
                (f"{self.face.capitalize()} {self.face_n} in this {self.item}", self.face_photo),
                ("Reference photo", self.reference_photo),
            )
        ):
            grid.addWidget(text_label(title, "subheading", wrap=False), 0, col)
            grid.addWidget(widget, 1, col)
        grid.addWidget(self.details, 2, 0, 1, 2)
        grid.setRowStretch(3, 1)
        return photos

    @staticmethod
    def _fit(image: QImage) -> QPixmap:
        return QPixmap.fromImage(
            image.scaled(
                PHOTO_SIDE,
                PHOTO_SIDE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    # --- data -------------------------------------------------------------------------------------

    def is_loaded(self) -> bool:
        return not self._searching and not self._timer.isActive()

    def refresh(self) -> None:
        """Suggestions from core (in a worker); with search text, only the records that match it (core's
        search)."""
        self._timer.stop()
        text = self.search.text().strip()
        image_id = self.image_id
        self._searching = True
        if self.list.count() == 0:
            self.empty.setText("Looking for releases…")
        run_task(
            in_catalogue(self.catalogue, lambda cat, _c: _suggestions(cat, image_id, text)),
            lambda found: self._found(text, found),
            self._search_failed,
            owner=self,
            latest=self._searches,  # a newer search may be on its way
        )

    def _search_failed(self, exc: BaseException) -> None:
        self._searching = self._accept_when_found = False
        self.list.clear()
        self.link_button.setEnabled(False)
        self.empty.setText(
            f"The releases could not be read: {describe_error(exc)}. Press Esc, check the connection "
            "to the catalogue and try again."
        )

    def _found(self, text: str, suggestions: list[workflow.ConsentSuggestion]) -> None:
        self._searching = False
        self.list.clear()
        self._consents = {}
        for s in suggestions:
            consent = s.consent
            self._consents[consent.id] = consent
            lines = [f"{consent.full_name} — {consent.id}", s.why]
            if s.warning:
                lines.append(f"⚠ {s.warning[:1].upper()}{s.warning[1:]}")
            item = QListWidgetItem("\n".join(lines))
            item.setData(ID_ROLE, consent.id)
            if s.warning:
                item.setForeground(QColor("#A81F14"))
            self.list.addItem(item)
        if suggestions:
            self.empty.setText("")
            self.list.setCurrentRow(0)
        else:
            self.empty.setText(
                f"No release matches “{text}”. Check the spelling, or press Esc and blur the face (B)."
                if text
                else f"No release is suggested for this {self.item}. Type part of a name or an ID to search."
            )
            self._show_selected(None)
        self.link_button.setEnabled(bool(suggestions))
        if self._accept_when_found:
            self._accept_when_found = False
            self.accept()

    def _show_selected(self, current: QListWidgetItem | None, _previous: object = None) -> None:
        consent = self._consents.get(current.data(ID_ROLE)) if current is not None else None
        if consent is None:
            self._photos.drop()
            self.reference_photo.setPixmap(QPixmap())
            self.reference_photo.setText("")
            self.details.setText("")
            return
        answers = consent.answers
        facts = [
            f"<b>{consent.full_name}</b> · {consent.id}",
            " · ".join(str(v) for v in (answers.get("role"), answers.get("location")) if v),
            f"Signed {consent.signed_at.date().isoformat()}"
            + (f" · expires {consent.expires_on.isoformat()}" if consent.expires_on else ""),
        ]
        self.details.setText("<br>".join(f for f in facts if f))
        self.reference_photo.setPixmap(QPixmap())
        self.reference_photo.setText("Loading the reference photo…")
        consent_id = consent.id
        run_task(
            in_catalogue(self.catalogue, lambda cat, _c: _reference_photo(cat, consent_id)),
            self._show_reference,
            lambda exc: self._show_reference(None, describe_error(exc)),
            owner=self,
            latest=self._photos,
        )

    def _show_reference(self, image: QImage | None, error: str = "") -> None:
        if image is None or image.isNull():
            self.reference_photo.setPixmap(QPixmap())
            self.reference_photo.setText(
                f"The reference photo could not be read: {error}"
                if error
                else "No reference photo on this record"
            )
        else:
            self.reference_photo.setPixmap(self._fit(image))

    # --- keyboard ---------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Up/Down/Page keys typed in the search box move the selection in the list."""
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in NAVIGATION_KEYS
        ):
            forwarded = QKeyEvent(event.type(), event.key(), event.modifiers(), event.text())
            QApplication.sendEvent(self.list, forwarded)
            return True
        return super().eventFilter(watched, event)

    def accept(self) -> None:
        if self._timer.isActive():  # Enter typed before the debounce fired: search what was typed
            self.refresh()
        if self._searching:
            self._accept_when_found = True  # links the first result of the text typed, when it arrives
            return
        item = self.list.currentItem()
        if item is None:
            self.empty.setText("No release is selected: type part of a name, or press Esc to go back.")
            return
        self.chosen = item.data(ID_ROLE)
        super().accept()


def _suggestions(catalogue: Catalogue, image_id: int, text: str) -> list[workflow.ConsentSuggestion]:
    """Worker: core's suggestions; with search text, only the records core's search matches."""
    suggestions = workflow.suggest_consents(catalogue, image_id, text=text)
    if text:
        matching = {c.id for c in catalogue.list_consents(ConsentQuery(text=text))}
        suggestions = [s for s in suggestions if s.consent.id in matching]
    return suggestions


def _reference_photo(catalogue: Catalogue, consent_id: str) -> QImage:
    """Worker: the record's reference photo decoded (QImage is safe off the GUI thread; QPixmap is not)."""
    stored = catalogue.consent_file(consent_id, "reference_photo")
    return QImage.fromData(stored[1]) if stored else QImage()
