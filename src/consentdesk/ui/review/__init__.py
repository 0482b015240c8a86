"""The To-verify page and the review screen with its dialogs (link a release, reasons, approve)."""
