"""Consent: recording signed releases, paper forms and their scans, and checking scanned signatures."""
