"""The fault suite (issue 6): providers, the database, viewers and the server itself failing
mid-run; after each, the run's story is still whole and true (see truth.py)."""
