"""The small shared kit every page builds on: running work off the GUI thread, busy notes, announcements,
lazy table models, the photo canvas, the `Page` base class, roles, settings and the style."""
