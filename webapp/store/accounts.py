"""Accounts as rows: users, their sessions and API tokens, and the app's own secret."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from webapp.store.readers import ReaderPool
from webapp.store.writer import Writer


class UsernameTaken(Exception):
    """Another account already has this name (names are compared without case)."""


@dataclass(frozen=True)
class UserRecord:
    user_id: str
    username: str
    password_hash: str
    is_admin: bool
    created_at: str

    @classmethod
    def of(cls, row: sqlite3.Row) -> UserRecord:
        return cls(
            user_id=row["id"],
            username=row["username"],
            password_hash=row["password_hash"],
            is_admin=bool(row["is_admin"]),
            created_at=row["created_at"],
        )


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    user_id: str
    name: str
    prefix: str
    created_at: str
    last_used_at: str | None


_USER_COLUMNS = "u.id, u.username, u.password_hash, u.is_admin, u.created_at"


class AccountRepository:
    """Sessions and tokens are kept only as SHA-256 hashes of what the browser or the script
    holds, so a copy of the database opens no door. Passwords arrive here already hashed
    (argon2, in webapp/runtime/accounts.py)."""

    def __init__(self, writer: Writer, readers: ReaderPool) -> None:
        self.writer = writer
        self.readers = readers

    # -- users ----------------------------------------------------------------------------------

    async def user_count(self) -> int:
        row = await self.readers.fetchone("SELECT count(*) FROM users")
        return int(row[0]) if row else 0

    async def add_user(self, user: UserRecord, *, only_if_first: bool = False) -> bool:
        """Insert the user; False when `only_if_first` and an account already exists (two
        people racing to create the first account: one wins)."""

        def insert(conn: sqlite3.Connection) -> bool:
            if only_if_first and conn.execute("SELECT 1 FROM users LIMIT 1").fetchone():
                return False
            try:
                conn.execute(
                    "INSERT INTO users (id, username, password_hash, is_admin, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        user.user_id,
                        user.username,
                        user.password_hash,
                        int(user.is_admin),
                        user.created_at,
                    ),
                )
            except sqlite3.IntegrityError as error:
                raise UsernameTaken(user.username) from error
            return True

        added: bool = await self.writer.run(insert)
        return added

    async def user_named(self, username: str) -> UserRecord | None:
        row = await self.readers.fetchone(
            f"SELECT {_USER_COLUMNS} FROM users AS u WHERE u.username = ? COLLATE NOCASE",
            (username,),
        )
        return UserRecord.of(row) if row else None

    async def user(self, user_id: str) -> UserRecord | None:
        row = await self.readers.fetchone(
            f"SELECT {_USER_COLUMNS} FROM users AS u WHERE u.id = ?", (user_id,)
        )
        return UserRecord.of(row) if row else None

    async def users(self) -> list[UserRecord]:
        rows = await self.readers.fetchall(
            f"SELECT {_USER_COLUMNS} FROM users AS u ORDER BY u.username COLLATE NOCASE"
        )
        return [UserRecord.of(row) for row in rows]

    async def remove_user(self, user_id: str) -> bool:
        """Delete the account with its sessions and tokens (its runs stay, seen by nobody), and
        pause its monitors in the same transaction: nobody would see what they find, and with
        real keys they would go on spending. An admin sees and deletes them on /monitors."""

        def delete(conn: sqlite3.Connection) -> bool:
            removed = conn.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount > 0
            if removed:
                conn.execute(
                    "UPDATE monitors SET status = 'paused' WHERE user_id = ? AND status = 'active'",
                    (user_id,),
                )
            return removed

        removed: bool = await self.writer.run(delete)
        return removed

    async def set_password(self, user_id: str, password_hash: str) -> None:
        def update(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
            )

        await self.writer.run(update)

    # -- sessions -------------------------------------------------------------------------------

    async def add_session(
        self, token_hash: str, user_id: str, created_at: str, *, now: float, expires_at: float
    ) -> None:
        """Keep the new session, and forget the ones that have expired."""

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (token_hash, user_id, created_at, expires_at),
            )
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))

        await self.writer.run(insert)

    async def session_user(self, token_hash: str, now: float) -> UserRecord | None:
        row = await self.readers.fetchone(
            f"SELECT {_USER_COLUMNS} FROM sessions AS s JOIN users AS u ON u.id = s.user_id "
            "WHERE s.token_hash = ? AND s.expires_at > ?",
            (token_hash, now),
        )
        return UserRecord.of(row) if row else None

    async def end_session(self, token_hash: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

        await self.writer.run(delete)

    async def end_sessions_of(self, user_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

        await self.writer.run(delete)

    # -- API tokens -----------------------------------------------------------------------------

    async def add_token(self, token: TokenRecord, token_hash: str) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    token.token_id,
                    token.user_id,
                    token.name,
                    token_hash,
                    token.prefix,
                    token.created_at,
                ),
            )

        await self.writer.run(insert)

    async def token_user(self, token_hash: str) -> tuple[UserRecord, str] | None:
        """The token's user and the token's id."""
        row = await self.readers.fetchone(
            f"SELECT {_USER_COLUMNS}, t.id AS token_id FROM api_tokens AS t "
            "JOIN users AS u ON u.id = t.user_id WHERE t.token_hash = ?",
            (token_hash,),
        )
        return (UserRecord.of(row), row["token_id"]) if row else None

    def touch_token_soon(self, token_id: str, used_at: str) -> None:
        def update(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (used_at, token_id))

        self.writer.submit(update)

    async def tokens_of(self, user_id: str) -> list[TokenRecord]:
        rows = await self.readers.fetchall(
            "SELECT id, user_id, name, prefix, created_at, last_used_at FROM api_tokens "
            "WHERE user_id = ? ORDER BY created_at DESC, id DESC",
            (user_id,),
        )
        return [
            TokenRecord(
                token_id=row["id"],
                user_id=row["user_id"],
                name=row["name"],
                prefix=row["prefix"],
                created_at=row["created_at"],
                last_used_at=row["last_used_at"],
            )
            for row in rows
        ]

    async def revoke_token(self, token_id: str, user_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM api_tokens WHERE id = ? AND user_id = ?", (token_id, user_id)
            )
            return cursor.rowcount > 0

        revoked: bool = await self.writer.run(delete)
        return revoked

    # -- the app's secret -----------------------------------------------------------------------

    async def secret(self, name: str, new_value: str) -> str:
        """The secret called `name`, created as `new_value` if there is none yet (the first
        process to ask wins; every process then signs with the same key)."""

        def get_or_insert(conn: sqlite3.Connection) -> str:
            conn.execute(
                "INSERT OR IGNORE INTO app_secrets (name, value) VALUES (?, ?)", (name, new_value)
            )
            row = conn.execute("SELECT value FROM app_secrets WHERE name = ?", (name,)).fetchone()
            return str(row[0])

        value: str = await self.writer.run(get_or_insert)
        return value
