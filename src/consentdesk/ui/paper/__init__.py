"""The Paper forms page: scans waiting for their answers."""
