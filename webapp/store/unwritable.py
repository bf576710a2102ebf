"""Writes the database refuses for a reason outside leadgen (it is read-only, its disk is full
or failing, another program holds its lock): the caller of the write hears DatabaseUnwritable,
in words, so that the web answers 503 rather than a crash."""

from __future__ import annotations

import sqlite3

from webapp.store.connection import StoreError

# SQLite's primary result code -> (why, in words; when to try again)
REASONS = {
    sqlite3.SQLITE_READONLY: ("read-only", "when it is writable"),
    sqlite3.SQLITE_FULL: ("its disk is full", "when there is room"),
    sqlite3.SQLITE_IOERR: ("its disk failed to write", "when the disk works again"),
    sqlite3.SQLITE_BUSY: ("another program holds its write lock", "in a moment"),
    sqlite3.SQLITE_LOCKED: ("another program holds its write lock", "in a moment"),
}


class DatabaseUnwritable(StoreError):
    """The database refused a write, and nothing of that write was saved."""

    def __init__(self, reason: str, then: str) -> None:
        super().__init__(
            f"The database cannot be written just now ({reason}); nothing was saved. "
            f"Try again {then}."
        )
        self.reason = reason


def refusal(error: Exception) -> Exception:
    """`error` as the writer's caller should hear it: DatabaseUnwritable (caused by `error`)
    when SQLite refused the write for one of REASONS, otherwise `error` itself."""
    code = getattr(error, "sqlite_errorcode", None)  # (absent on an error made by hand)
    if not isinstance(error, sqlite3.Error) or not isinstance(code, int):
        return error
    reason = REASONS.get(code & 0xFF)  # an extended code keeps the primary one in its low byte
    if reason is None:
        return error
    unwritable = DatabaseUnwritable(*reason)
    unwritable.__cause__ = error
    return unwritable
