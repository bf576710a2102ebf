"""Many rows in one statement, rather than sqlite3's `executemany` (a call, and a release of the
GIL, per row)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

# SQLite's limit on parameters in one statement before 3.32 (32,766 since): rows are sent in
# statements of at most this many values, whatever the SQLite underneath.
MAX_PARAMETERS = 999


def insert_rows(conn: sqlite3.Connection, insert: str, rows: Sequence[Sequence[Any]]) -> int:
    """`insert` is an INSERT up to its VALUES ("INSERT INTO t (a, b) VALUES"); it is run for
    `rows` in as few statements as the parameter limit allows. Returns the rows it changed
    (an INSERT OR IGNORE leaves out those it ignored)."""
    return _run(conn, lambda values: f"{insert} {values}", rows)


def update_rows(conn: sqlite3.Connection, update: str, rows: Sequence[Sequence[Any]]) -> int:
    """`update` is an UPDATE ... FROM (VALUES {values}) AS v ..., naming each row's values
    v.column1, v.column2 and so on; it is run for `rows` as `insert_rows` runs an INSERT. No
    two rows may update the same row of the table (which of them would win is not said)."""
    return _run(conn, lambda values: update.format(values=values), rows)


def statement_chunks(items: Sequence[T], width: int) -> list[Sequence[T]]:
    """`items` in pieces that each fit in one statement, at `width` parameters an item."""
    per = max(1, MAX_PARAMETERS // width)
    return [items[start : start + per] for start in range(0, len(items), per)]


def value_rows(count: int, width: int) -> str:
    """The placeholders of `count` rows of `width` values, for a VALUES list: "(?, ?), (?, ?)"."""
    return ", ".join(["(" + ", ".join("?" * width) + ")"] * count)


def _run(
    conn: sqlite3.Connection, statement: Callable[[str], str], rows: Sequence[Sequence[Any]]
) -> int:
    """`statement(values)` for each chunk of `rows`; the rows changed.

    sqlite3's `executemany` steps each row in a call of its own, and lets go of the GIL around
    each one. The writer and the readers are threads beside a busy event loop: each time one
    lets go of the GIL, taking it back can cost up to the switch interval, and every event in
    the batch waits with it (bench/README.md, `bench.load`, has the figures). A statement of many
    rows lets go once per statement, not once per row.
    """
    before = conn.total_changes
    if rows:
        width = len(rows[0])
        for part in statement_chunks(rows, width):
            values = value_rows(len(part), width)
            conn.execute(statement(values), [value for one in part for value in one])
    return conn.total_changes - before
