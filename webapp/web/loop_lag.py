"""How late the event loop runs what is due: a task asks to wake every `interval_s` and records
by how much it woke late. The worst since the app started is in GET /healthz (`loopLagMaxMs`):
while one callback holds the loop, every request and stream waits that long."""

from __future__ import annotations

import asyncio

from webapp.core.tasks import cancel_and_wait

INTERVAL_S = 0.025


class LoopLagMonitor:
    def __init__(self, interval_s: float = INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.worst_s = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def worst_ms(self) -> float:
        return round(self.worst_s * 1000, 1)

    def record(self, lag_s: float) -> None:
        if lag_s > self.worst_s:
            self.worst_s = lag_s

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval_s
            await asyncio.sleep(self.interval_s)
            self.record(loop.time() - due)
