"""The consent register page, the release form dialog (with its signature pad), one record's dialog and the
data-protection dialogs it opens (withdrawal and its take-down list, erasure, SAR bundle)."""
