"""Many rows in one statement (webapp/store/rows.py): every row is written, in statements
SQLite accepts, and what was changed is counted."""

from __future__ import annotations

import sqlite3
from typing import cast

import pytest

from webapp.store.rows import MAX_PARAMETERS, insert_rows, update_rows


@pytest.fixture
def conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)")
    return conn


class Statements:
    """Counts the statements run on a connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn, self.count = conn, 0

    def execute(self, sql: str, params: list[object]) -> sqlite3.Cursor:
        assert len(params) <= MAX_PARAMETERS
        self.count += 1
        return self.conn.execute(sql, params)

    @property
    def total_changes(self) -> int:
        return self.conn.total_changes


def as_conn(statements: Statements) -> sqlite3.Connection:
    return cast(sqlite3.Connection, statements)


def test_more_rows_than_one_statement_takes_are_all_inserted_in_order(
    conn: sqlite3.Connection,
) -> None:
    rows = [(i, f"lead {i}", i / 2) for i in range(1, 1001)]  # 3,000 values: 4 statements
    counted = Statements(conn)

    changed = insert_rows(as_conn(counted), "INSERT INTO t (id, name, score) VALUES", rows)

    assert changed == 1000
    assert counted.count == 4
    assert conn.execute("SELECT id, name, score FROM t ORDER BY id").fetchall() == rows


def test_ignored_rows_are_not_counted_and_nothing_is_run_for_no_rows(
    conn: sqlite3.Connection,
) -> None:
    insert_rows(conn, "INSERT INTO t (id, name, score) VALUES", [(1, "a", 1.0)])
    counted = Statements(conn)

    assert (
        insert_rows(as_conn(counted), "INSERT OR IGNORE INTO t (id, name, score) VALUES", []) == 0
    )
    changed = insert_rows(
        conn, "INSERT OR IGNORE INTO t (id, name, score) VALUES", [(1, "dup", 0.0), (2, "b", 2.0)]
    )

    assert counted.count == 0
    assert changed == 1
    assert conn.execute("SELECT name FROM t ORDER BY id").fetchall() == [("a",), ("b",)]


def test_each_row_updates_its_own_row_and_keeps_what_it_leaves_out(
    conn: sqlite3.Connection,
) -> None:
    insert_rows(conn, "INSERT INTO t (id, name, score) VALUES", [(i, "old", 0.0) for i in range(5)])

    changed = update_rows(
        conn,
        "UPDATE t SET name = coalesce(v.column2, t.name), score = v.column3 "
        "FROM (VALUES {values}) AS v WHERE t.id = v.column1",
        [(1, "one", 1.5), (3, None, 3.5), (9, "absent", 9.0)],
    )

    assert changed == 2
    assert conn.execute("SELECT id, name, score FROM t ORDER BY id").fetchall() == [
        (0, "old", 0.0),
        (1, "one", 1.5),
        (2, "old", 0.0),
        (3, "old", 3.5),
        (4, "old", 0.0),
    ]
