"""The PySide6 user interface. Importing it first guards against a PySide6 reference-count bug."""

from consentdesk.qt_env import guard_none_refcount

guard_none_refcount()
