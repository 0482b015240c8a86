"""phonenumbers, for finding and validating numbers only (consentdesk/core/vision/pii.py).

Replaces the contrib hook, which also collects the geocoding, carrier and time-zone tables (about 45 MB
before compression) that nothing here asks for. Region metadata is imported by region code at run time,
so its modules are all listed."""

from PyInstaller.utils.hooks import collect_submodules

UNUSED = ("phonenumbers.geo", "phonenumbers.carrier", "phonenumbers.timezone", "phonenumbers.tzdata")

hiddenimports = collect_submodules("phonenumbers", filter=lambda name: not name.startswith(UNUSED))
