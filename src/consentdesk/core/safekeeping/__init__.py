"""Keeping the catalogue safe: backups while the app runs, verified restores, and the health check."""
