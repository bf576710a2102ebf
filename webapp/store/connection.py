"""Opening SQLite connections with the project's pragmas, and applying migrations. The writer's
connection is plain sqlite3, opened and used only in the writer's own thread; readers are
aiosqlite connections."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

from webapp.store.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""


def open_writer(path: str) -> sqlite3.Connection:
    """The writer's connection, in WAL mode and migrated. Call it in the writer's thread.
    StoreError, saying why, when the path is a folder or not SQLite or cannot be made."""
    if Path(path).expanduser().is_dir():
        raise StoreError(f"{path} is a folder, not a database file; use another --db file.")
    try:
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; every write says BEGIN IMMEDIATE.
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"{path}: {_cannot_open(error)}; use another --db file.") from error
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()  # the first read of the file
        if mode is None or str(mode[0]).lower() != "wal":
            raise StoreError(f"{path}: SQLite could not switch the database to WAL mode.")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn, path)
    except sqlite3.Error as error:
        conn.close()
        if str(error) == "file is not a database":
            raise StoreError(f"{path} is not a SQLite database; use another --db file.") from error
        raise StoreError(
            f"{path}: SQLite cannot use it ({error}); use another --db file."
        ) from error
    except BaseException:
        conn.close()
        raise
    return conn


def _cannot_open(error: OSError | sqlite3.Error) -> str:
    if isinstance(error, OSError):  # from making its folder
        return f"cannot make its folder ({error.strerror or error})"
    return f"SQLite cannot open it ({error})"


async def connect_reader(path: str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA query_only = ON")
    except BaseException:
        await conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Apply the migrations this file lacks; return the schema version it ends at."""
    row = conn.execute("PRAGMA user_version").fetchone()
    version = int(row[0]) if row else 0
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{path} was written by a newer leadgen (schema {version}, this one knows "
            f"{len(MIGRATIONS)}); upgrade leadgen or use another --db file."
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[number - 1]}\n"
                f"PRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"{path}: migration {number} failed: {error}") from error
    return len(MIGRATIONS)
