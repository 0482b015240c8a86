"""Verifying a photo before posting: the clearance rules (`policy`), the reviewer's decisions and status
(`workflow`), re-checks that carry decisions over (`recheck`), and the cleaned export (`redaction`, `export`)."""
