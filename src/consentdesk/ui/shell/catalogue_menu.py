"""File menu: Back up catalogue…, Restore from backup…, Check catalogue… (with Find moved photos…).

Each presents one `core.safekeeping` call run off the GUI thread. The functions take the main window
(anything with `catalogue`, `open_catalogue(path)` and a status bar) because restore has to close and
reopen the catalogue the whole window is using.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
    QPlainTextEdit,
    QStatusBar,
    QWidget,
)

from consentdesk import paths
from consentdesk.core.safekeeping.backups import RestoreReport, SafetyError, backup, restore
from consentdesk.core.safekeeping.health import CheckReport, check
from consentdesk.core.store import Catalogue
from consentdesk.ui.kit.busy import describe_error, in_catalogue, run_busy, show_message, show_problem
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.workers import TaskControl

BACKUP_FILTER = "ConsentDesk catalogue (*.sqlite *.db);;All files (*)"


class CatalogueWindow(Protocol):
    catalogue: Catalogue

    def open_catalogue(self, path: Path) -> bool: ...

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt API


# --- backup ----------------------------------------------------------------------------------------------


def backup_catalogue(window: CatalogueWindow) -> TaskControl | None:
    parent = window if isinstance(window, QWidget) else None
    current = window.catalogue.path or paths.data_dir() / "team-register.sqlite"
    stamp = datetime.now().strftime("%Y-%m-%d-%H%M")
    suggested = str(current.parent / f"{current.stem}-backup-{stamp}.sqlite")
    path, _ = QFileDialog.getSaveFileName(
        parent,
        "Back up catalogue",
        suggested,
        BACKUP_FILTER,
        options=QFileDialog.Option.DontConfirmOverwrite,  # asked below, so force is a deliberate choice
    )
    if not path:
        return None
    out = Path(path)
    force = False
    if out.exists():
        answer = QMessageBox.question(
            parent,
            "Replace the existing file?",
            f"{out.name} already exists in {out.parent}. Replace it with a new backup?\n\n"
            "The file there now will be lost.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
        force = True

    def done(written: Path) -> None:
        window.statusBar().showMessage(f"Backed up the catalogue to {written}.", 10000)
        show_message(
            parent,
            "Backup saved",
            f"The catalogue is backed up to {written.name} in {written.parent}.",
            details="Keep it somewhere safe: it holds personal data. Restore it with File ▸ Restore from "
            "backup….",
            folder=written.parent,
        )

    def failed(exc: BaseException) -> None:
        extra = "" if isinstance(exc, SafetyError) else " Choose another folder (check it has free space)."
        show_problem(
            parent,
            "Backup not saved",
            f"No backup was written: {describe_error(exc)}.",
            f"The catalogue itself is unchanged.{extra}",
        )

    return run_busy(
        parent,
        "Backing up",
        f"Writing a consistent copy of the catalogue to {out.name}…",
        in_catalogue(current, lambda cat, _c: backup(cat, out, force=force)),
        done,
        failed,
    )


# --- restore ---------------------------------------------------------------------------------------------


def confirm_restore(parent: QWidget | None, current: Path, source: Path) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Restore from backup?")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"Replace the catalogue you have open with the backup {source.name}?")
    box.setInformativeText(
        "Everything recorded since that backup was made (releases, withdrawals, erasures, reviews) will no "
        "longer be in the register.\n\n"
        f"The backup is checked first; if it fails its checks nothing changes. The current file is not "
        f"deleted: it is kept beside it as {current.name}.before-restore-<date-time>.\n\n"
        "If anyone was erased since the backup, their data comes back with it: erase them again."
    )
    restore_button = box.addButton("Restore and replace", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is restore_button


def restore_catalogue(window: CatalogueWindow) -> TaskControl | None:
    parent = window if isinstance(window, QWidget) else None
    if window.catalogue.path is None:
        show_problem(
            parent,
            "Not restored",
            "A team register is restored on its server by your administrator, not from this window.",
        )
        return None
    current = window.catalogue.path
    path, _ = QFileDialog.getOpenFileName(parent, "Restore from backup", str(current.parent), BACKUP_FILTER)
    if not path:
        return None
    source = Path(path)
    if source.resolve() == current.resolve():
        show_problem(parent, "Not restored", "That is the catalogue you have open; choose a backup file.")
        return None
    if not confirm_restore(parent, current, source):
        return None
    window.catalogue.close()  # restore replaces the file; nothing may hold it open meanwhile

    def reopen() -> bool:
        return window.open_catalogue(current)

    def done(report: RestoreReport) -> None:
        reopen()
        kept = (
            f"\n\nThe catalogue it replaced is kept as {report.previous_kept_as}."
            if report.previous_kept_as
            else ""
        )
        show_message(
            parent,
            "Catalogue restored",
            f"Restored from {report.restored_from.name}; {report.audit_entries} audit entries verified.{kept}",
        )

    def failed(exc: BaseException) -> None:
        reopen()
        show_problem(
            parent,
            "Not restored",
            f"The backup was not restored: {describe_error(exc)}.",
            "Your catalogue is unchanged and open again. Choose another backup.",
        )

    return run_busy(
        parent,
        "Restoring",
        f"Checking {source.name} and restoring it…",
        lambda _control: restore(current, source),
        done,
        failed,
    )


# --- check -----------------------------------------------------------------------------------------------


def report_lines(report: CheckReport) -> tuple[str, list[str]]:
    """A headline and the details, in the words the CLI uses."""
    if report.ok and not report.files:
        headline = "No problems found."
    elif report.ok:
        n = len(report.files)
        headline = (
            f"The catalogue is sound, but {n} photo file{'s are' if n != 1 else ' is'} missing or changed."
        )
    else:
        headline = "The catalogue is damaged: restore the latest backup (File ▸ Restore from backup…)."
    lines = ["Catalogue structure: " + ("OK" if not report.integrity else "PROBLEMS")]
    lines += [f"    {p}" for p in report.integrity]
    lines.append(
        f"Audit trail: {report.audit_entries} entries, " + ("intact" if not report.audit else "BROKEN")
    )
    lines += [f"    {p}" for p in report.audit]
    lines.append(f"Photo files: {report.images_checked} checked, {len(report.files)} missing or changed")
    lines += [f"    photo {f.image_id}: {f.problem}  {f.path}" for f in report.files]
    for image_id, path in report.relinked:
        lines.append(f"    photo {image_id}: found at {path} (updated)")
    if report.from_register:
        n = len(report.from_register)
        lines.append(
            f"{n} photo{'s are' if n != 1 else ' is'} not on this computer; review, export and subject access "
            "bundles use the team register's working copy."
        )
    if report.compacted is not None:
        lines.append(
            "Erased data: rewritten out of the register's files."
            if report.compacted
            else "Erased data: rewritten out of the register's files when the administrator runs Check."
        )
    if report.files:
        lines.append(
            "\nMissing or changed photos cannot be checked or exported. If they were moved, press "
            "Find moved photos… and choose the folder they are in now."
        )
    return headline, lines


class CheckReportDialog(Dialog):
    def __init__(self, window: CatalogueWindow, report: CheckReport) -> None:
        super().__init__(
            window if isinstance(window, QWidget) else None, title="Catalogue check", name="checkReportDialog"
        )
        self.window_ = window
        self.headline = text_label("", "sectionTitle")
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Check details")
        footer = self.footer()
        self.relink_button = footer.add_left("Find moved photos…", self.find_moved)
        footer.primary("Close")
        self.plain(self.headline, (self.details, 1), footer)
        self.resize(720, 420)
        self.show_report(report)

    def show_report(self, report: CheckReport) -> None:
        self.report = report
        headline, lines = report_lines(report)
        self.headline.setText(headline)
        self.details.setPlainText("\n".join(lines))
        self.relink_button.setVisible(bool(report.files))

    def find_moved(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder the photos were moved to", str(Path.home()))
        if not folder:
            return
        self.relink_button.setEnabled(False)

        def done(report: CheckReport) -> None:
            self.relink_button.setEnabled(True)
            self.show_report(report)

        def failed(exc: BaseException) -> None:
            self.relink_button.setEnabled(True)
            show_problem(
                self, "Search failed", f"The photos could not be searched for: {describe_error(exc)}."
            )

        run_busy(
            self,
            "Finding moved photos",
            f"Looking for the missing photos in {folder} by their content…",
            in_catalogue(
                self.window_.catalogue.locator,
                lambda cat, _c: check(cat, files=True, relink_folder=Path(folder)),
            ),
            done,
            failed,
        )


def _check_job(cat: Catalogue, control: TaskControl) -> CheckReport:
    n = len(cat.list_images())
    control.report(
        f"Checking the catalogue structure, the audit trail and {n} photo file{'s' if n != 1 else ''} "
        "(each photo is read in full, so this can take a while)…"
    )
    return check(cat, files=True)


def check_catalogue(window: CatalogueWindow) -> TaskControl:
    parent = window if isinstance(window, QWidget) else None

    def done(report: CheckReport) -> None:
        window.statusBar().showMessage(report_lines(report)[0], 10000)
        CheckReportDialog(window, report).exec()

    def failed(exc: BaseException) -> None:
        show_problem(
            parent,
            "Check not finished",
            f"The catalogue could not be checked: {describe_error(exc)}.",
            "If it says the file is damaged, restore the latest backup (File ▸ Restore from backup…).",
        )

    return run_busy(
        parent,
        "Checking catalogue",
        "Checking the catalogue structure and the audit trail…",
        in_catalogue(window.catalogue.locator, _check_job),
        done,
        failed,
    )
