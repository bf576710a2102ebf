from __future__ import annotations

import asyncio

from webapp.web.loop_lag import LoopLagMonitor


def test_the_monitor_keeps_the_worst_lag_it_was_told() -> None:
    monitor = LoopLagMonitor()

    for lag_s in (0.002, 0.0421, -0.001, 0.010):
        monitor.record(lag_s)

    assert monitor.worst_s == 0.0421
    assert monitor.worst_ms == 42.1


async def test_the_monitor_watches_until_stopped_and_stopping_twice_is_harmless() -> None:
    monitor = LoopLagMonitor(interval_s=0)
    monitor.start()
    monitor.start()  # already watching: no second task
    watching = [t for t in asyncio.all_tasks() if t.get_name() == "loop-lag"]
    await asyncio.sleep(0)

    await monitor.stop()
    await monitor.stop()

    assert len(watching) == 1
    assert watching[0].cancelled()
