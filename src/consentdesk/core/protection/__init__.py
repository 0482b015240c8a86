"""The data-protection lifecycle: withdrawal and take-down lists, expiry, subject access bundles, erasure."""
