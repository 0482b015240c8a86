"""Faker, for its person-name lists only (consentdesk/core/vision/names.py imports them by locale).

Replaces the contrib hook, which collects every provider of every locale (about 25 MB). Importing Faker
still walks each provider package (faker.config), so the packages come, but of their locales only the
person names."""

from PyInstaller.utils.hooks import collect_submodules


def _wanted(name: str) -> bool:
    return name.count(".") <= 2 or name.startswith("faker.providers.person.")


hiddenimports = collect_submodules("faker.providers", filter=_wanted)
