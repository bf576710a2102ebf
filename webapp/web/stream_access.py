"""Open event streams end with the credential that opened them: a logout, a revoked API token
or a removed person ends that person's streams at once in this process (the account pages ask
for it), and within ACCESS_CHECK_S in every other one (each checks its streams' credentials)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from webapp.core.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

ACCESS_CHECK_S = 5.0


class Endable(Protocol):
    def drop(self) -> None: ...


@dataclass(eq=False)
class Credential:
    """What opened a stream: whose it is, and how to ask whether it still holds."""

    user_id: str
    key: str  # the same for every stream opened with it (one check answers for all)
    holds: Callable[[], Awaitable[bool]] = field(repr=False)


class StreamAccess:
    def __init__(self, interval_s: float = ACCESS_CHECK_S) -> None:
        self.interval_s = interval_s
        self._open: dict[Endable, Credential] = {}
        self._task: asyncio.Task[None] | None = None
        self.ended = 0

    def __len__(self) -> int:
        """How many open streams it watches."""
        return len(self._open)

    def opened(self, stream: Endable, credential: Credential) -> None:
        self._open[stream] = credential
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch(), name="stream-access")

    def closed(self, stream: Endable) -> None:
        self._open.pop(stream, None)

    async def check(self, user_id: str | None = None) -> int:
        """End the open streams (of `user_id`, or all) whose credential no longer holds; how
        many were ended."""
        streams = [
            (stream, credential)
            for stream, credential in list(self._open.items())
            if user_id is None or credential.user_id == user_id
        ]
        answers: dict[str, bool] = {}
        ended = 0
        for stream, credential in streams:
            if credential.key not in answers:
                answers[credential.key] = await credential.holds()
            if not answers[credential.key] and self._open.pop(stream, None) is not None:
                stream.drop()  # its stream ends; a browser asking again is told to log in
                ended += 1
        self.ended += ended
        return ended

    async def _watch(self) -> None:
        while self._open:
            await asyncio.sleep(self.interval_s)
            try:
                await self.check()
            except Exception:  # (the database may be busy: the next round asks again)
                logger.exception("could not check the open streams' credentials")

    async def close(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
