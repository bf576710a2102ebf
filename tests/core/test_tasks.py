"""cancel_and_wait: a task stopped on purpose is waited for, and whoever waits for it can still
be cancelled (the pattern it replaces, `suppress(CancelledError)` around the wait, swallowed
the caller's own cancellation)."""

from __future__ import annotations

import asyncio

import pytest

from webapp.core.tasks import cancel_and_wait
from webapp.web.loop_lag import LoopLagMonitor


async def slow_to_stop(stopping: asyncio.Event, let_go: asyncio.Event) -> None:
    """A task that takes its time to wind down once cancelled."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        stopping.set()
        await let_go.wait()
        raise


async def test_the_task_is_cancelled_and_waited_for() -> None:
    stopping, let_go = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(slow_to_stop(stopping, let_go))
    await asyncio.sleep(0)
    stopper = asyncio.create_task(cancel_and_wait(task, None))
    await stopping.wait()
    assert not stopper.done()  # it waits for the task to wind down
    let_go.set()
    await stopper  # and returns: the cancellation asked for is not the caller's
    assert task.cancelled()


async def test_a_caller_cancelled_while_it_waits_is_cancelled() -> None:
    stopping, let_go = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(slow_to_stop(stopping, let_go))
    await asyncio.sleep(0)
    stopper = asyncio.create_task(cancel_and_wait(task))
    await stopping.wait()

    stopper.cancel()  # the caller itself is told to stop while it waits
    let_go.set()

    with pytest.raises(asyncio.CancelledError):
        await stopper
    assert stopper.cancelled()


async def test_an_error_the_task_ends_with_is_raised() -> None:
    async def fails_on_cancel() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RuntimeError("broke while stopping") from None

    task = asyncio.create_task(fails_on_cancel())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="broke while stopping"):
        await cancel_and_wait(task)


async def test_stopping_the_loop_lag_monitor_passes_the_callers_cancellation_on() -> None:
    monitor = LoopLagMonitor()
    monitor.start()
    await asyncio.sleep(0)
    stopper = asyncio.create_task(monitor.stop())
    await asyncio.sleep(0)  # it has cancelled the watch and waits for it

    stopper.cancel()

    with pytest.raises(asyncio.CancelledError):
        await stopper
