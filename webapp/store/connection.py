"""Opening SQLite connections with the project's pragmas, and applying migrations."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite

from webapp.store.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""


async def connect(path: str, *, writer: bool) -> aiosqlite.Connection:
    if path != ":memory:":
        await asyncio.to_thread(_ensure_parent_folder, path)
    # isolation_level=None: no implicit transactions; every write says BEGIN IMMEDIATE itself.
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        if writer:
            mode = await (await conn.execute("PRAGMA journal_mode = WAL")).fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise StoreError(f"{path}: SQLite could not switch the database to WAL mode.")
            await conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        await conn.close()
        raise
    return conn


def _ensure_parent_folder(path: str) -> None:
    Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


async def migrate(conn: aiosqlite.Connection, path: str) -> int:
    """Apply the migrations this file lacks; return the schema version it ends at."""
    row = await (await conn.execute("PRAGMA user_version")).fetchone()
    version = int(row[0]) if row else 0
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{path} was written by a newer leadgen (schema {version}, this one knows "
            f"{len(MIGRATIONS)}); upgrade leadgen or use another --db file."
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        script = MIGRATIONS[number - 1]
        try:
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error as error:
            if conn.in_transaction:
                await conn.rollback()
            raise StoreError(f"{path}: migration {number} failed: {error}") from error
    return len(MIGRATIONS)
