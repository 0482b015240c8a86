"""The data-protection lifecycle: withdrawal, expiry, SAR bundles, erasure, paper forms and safety.

Each job is its own small module (`withdrawal`, `expiry`, `sar`, `erasure`, `paper`, `safety`) so the
GUI imports just what a screen needs. This package imports nothing on purpose: `records` is used by the
catalogue itself, and importing the job modules here would make that a cycle.
"""
