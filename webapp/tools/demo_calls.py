"""One call to the demo directory as the tools see it: a configurable latency, so a demo run is
watchable, and an optional share of retryable failures, so retries can be seen.
"""

from __future__ import annotations

import hashlib
import logging
import random

from webapp.core.errors import ToolError
from webapp.core.tooling import ToolEnv
from webapp.tools.providers.usage import before_request
from webapp.tools.services import ToolServices

logger = logging.getLogger(__name__)

DEMO_PROVIDER = "demo"
DEMO_LABEL = "demo directory"


async def demo_call(services: ToolServices, env: ToolEnv, what: str) -> None:
    """Wait `demo_latency_ms` through `services.sleep`, then fail with `demo_failure_rate`.

    Whether an attempt fails depends only on (run id, step id, attempt), so a run is
    reproducible and a retry gets a fresh draw. `what` names the call, e.g. "the places search".
    """
    before_request(DEMO_LABEL)
    settings = services.settings
    if settings.demo_latency_ms > 0:
        await services.sleep(settings.demo_latency_ms / 1000)
    rate = settings.demo_failure_rate
    if rate <= 0:
        return
    seed = hashlib.sha256(f"{env.run_id}\n{env.step.id}\n{env.attempt}".encode()).digest()
    if random.Random(int.from_bytes(seed[:8], "big")).random() < rate:
        logger.info(
            "Simulated demo failure: %s, step %s, attempt %s", what, env.step.id, env.attempt
        )
        raise ToolError(
            f"The demo directory did not answer {what} (simulated failure, "
            f"LEADGEN_DEMO_FAILURE_RATE={rate:g}); retrying usually works.",
            retryable=True,
        )
