"""Accounts: people with passwords (argon2), their browser sessions and their API tokens. The
shell (`python -m webapp users|tokens`) and the settings page both come through here, so the
rules for names and passwords are the same everywhere."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from webapp.core.models import iso_timestamp, utc_now
from webapp.store import Store
from webapp.store.accounts import TokenRecord, UsernameTaken, UserRecord

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,39}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
TOKEN_PREFIX = "lg_"
MAX_TOKEN_NAME = 80
PASSWORD_CHECKS_AT_ONCE = 4  # argon2 holds 64 MiB for each hash or check while it runs
PASSWORD_CHECK_WAIT_S = 3.0  # longest a login waits for a turn before it is told to come back

T = TypeVar("T")


class PasswordChecksBusy(Exception):
    """Every turn to hash or check a password stayed taken while this one waited."""

    def __init__(self) -> None:
        super().__init__("The server is busy checking other logins. Try again in a few seconds.")


class AccountError(Exception):
    """A name, password or token the user can fix; the message says how."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class User:
    """Who a request is from."""

    user_id: str
    username: str
    is_admin: bool

    @classmethod
    def of(cls, record: UserRecord) -> User:
        return cls(record.user_id, record.username, record.is_admin)


# The single user of LEADGEN_AUTH=off, and of the command line's runs.
LOCAL_USER = User("local", "local", True)


def token_hash(token: str) -> str:
    """What a browser or a script holds is a random token; the database keeps its SHA-256 only.
    The web layer signs the session token into a cookie; scripts send an API token as
    `Authorization: Bearer lg_...`."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_username(username: str) -> str:
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise AccountError(
            "A username is 1 to 40 letters, digits, dots, dashes, underscores or @, "
            "starting with a letter or digit.",
            "username",
        )
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"A password needs at least {MIN_PASSWORD} characters.", "password")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"A password has at most {MAX_PASSWORD} characters.", "password")
    return password


class Accounts:
    def __init__(
        self,
        store: Store,
        *,
        hasher: PasswordHasher | None = None,
        session_s: float = 14 * 86400,
        wall_clock: Callable[[], float] = time.time,
        checks_at_once: int = PASSWORD_CHECKS_AT_ONCE,
        check_wait_s: float = PASSWORD_CHECK_WAIT_S,
    ) -> None:
        self.store = store
        self.repo = store.accounts
        self.hasher = hasher or PasswordHasher()
        self.session_s = session_s
        self.wall_clock = wall_clock
        self.check_wait_s = check_wait_s
        self._turns = asyncio.Semaphore(checks_at_once)
        self._dummy_hash: str | None = None

    # -- users ----------------------------------------------------------------------------------

    async def any_user(self) -> bool:
        return await self.repo.user_count() > 0

    async def add_user(
        self, username: str, password: str, *, admin: bool = False, only_if_first: bool = False
    ) -> User | None:
        """The new account; None when `only_if_first` and someone created one meanwhile."""
        username = check_username(username)
        check_password(password)
        record = UserRecord(
            user_id=f"usr_{uuid.uuid4().hex[:16]}",
            username=username,
            password_hash=await self._argon2(lambda: self.hasher.hash(password)),
            is_admin=admin,
            created_at=iso_timestamp(utc_now()),
        )
        try:
            added = await self.repo.add_user(record, only_if_first=only_if_first)
        except UsernameTaken as taken:
            message = f"There is already an account called {username}."
            raise AccountError(message, "username") from taken
        return User.of(record) if added else None

    async def users(self) -> list[UserRecord]:
        return await self.repo.users()

    async def remove_user(self, username: str) -> bool:
        record = await self.repo.user_named(username)
        return record is not None and await self.repo.remove_user(record.user_id)

    async def user_named(self, username: str) -> User | None:
        record = await self.repo.user_named(username)
        return User.of(record) if record else None

    async def authenticate(self, username: str, password: str) -> User | None:
        """The user when the password is theirs. An unknown name costs a hash check as well,
        so the answer's timing does not tell which names exist."""
        record = await self.repo.user_named(username.strip())
        if record is None or len(password) > MAX_PASSWORD:
            await self._argon2(lambda: self._verify(self._dummy(), password[:MAX_PASSWORD]))
            return None
        password_hash = record.password_hash
        if not await self._argon2(lambda: self._verify(password_hash, password)):
            return None
        if self.hasher.check_needs_rehash(password_hash):
            rehashed = await self._argon2(lambda: self.hasher.hash(password))
            await self.repo.set_password(record.user_id, rehashed)
        return User.of(record)

    async def _argon2(self, work: Callable[[], T]) -> T:
        """`work` in a worker thread once one of the few turns is free; PasswordChecksBusy
        when none was for `check_wait_s`. argon2 is slow on purpose (tens of ms of CPU, 64 MiB):
        in a thread, a login never stalls the event loop that serves everyone's live pages; and
        only a few at once, so that a burst of logins cannot take the server's memory."""
        try:
            async with asyncio.timeout(self.check_wait_s):
                await self._turns.acquire()
        except TimeoutError:
            raise PasswordChecksBusy() from None
        # The turn comes back when the thread ends, not when a cancelled request stops
        # waiting for it: the thread runs on, holding its memory, until it is done.
        running = asyncio.ensure_future(asyncio.to_thread(work))
        running.add_done_callback(self._turn_over)
        return await asyncio.shield(running)

    def _turn_over(self, running: asyncio.Future[Any]) -> None:
        self._turns.release()
        if not running.cancelled():
            running.exception()  # seen, even when nobody awaits it any more

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_hex(16))
        return self._dummy_hash

    # -- sessions -------------------------------------------------------------------------------

    async def start_session(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        now = self.wall_clock()
        await self.repo.add_session(
            token_hash(token),
            user.user_id,
            iso_timestamp(utc_now()),
            now=now,
            expires_at=now + self.session_s,
        )
        return token

    async def session_user(self, token: str) -> User | None:
        record = await self.repo.session_user(token_hash(token), self.wall_clock())
        return User.of(record) if record else None

    async def session_holds(self, token: str) -> bool:
        """The session still lets its user in (not ended, not expired, the user not removed)."""
        return await self.session_user(token) is not None

    async def token_holds(self, token: str) -> bool:
        """The API token still lets its user in (not revoked, the user not removed); unlike
        `token_user`, asking does not count as a use."""
        return await self.repo.token_user(token_hash(token)) is not None

    async def end_session(self, token: str) -> None:
        await self.repo.end_session(token_hash(token))

    # -- API tokens -----------------------------------------------------------------------------

    async def create_token(self, user: User, name: str = "") -> tuple[str, TokenRecord]:
        """A new token (shown once: only its hash is kept) and its record."""
        name = " ".join(name.split())[:MAX_TOKEN_NAME] or "API token"
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(
            token_id=f"tok_{uuid.uuid4().hex[:12]}",
            user_id=user.user_id,
            name=name,
            prefix=token[:10],
            created_at=iso_timestamp(utc_now()),
            last_used_at=None,
        )
        await self.repo.add_token(record, token_hash(token))
        return token, record

    async def token_user(self, token: str) -> User | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        found = await self.repo.token_user(token_hash(token))
        if found is None:
            return None
        record, token_id = found
        self.repo.touch_token_soon(token_id, iso_timestamp(utc_now()))
        return User.of(record)

    async def tokens_of(self, user: User) -> list[TokenRecord]:
        return await self.repo.tokens_of(user.user_id)

    async def revoke_token(self, user: User, token_id: str) -> bool:
        return await self.repo.revoke_token(token_id, user.user_id)

    async def secret_key(self) -> str:
        """The key this app signs cookies with, kept in the database so that every process
        and every restart agree (LEADGEN_SECRET_KEY overrides it)."""
        return await self.repo.secret("session_key", secrets.token_urlsafe(48))
