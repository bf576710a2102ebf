"""In-memory lead lists, sequences and monitors: the ports of `webapp.core.ports` for tests and
keyless demos. Every save is idempotent per (run id, step id); nothing outlives the process.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from webapp.core.leads import Lead, dedupe_leads
from webapp.core.ports import EmailSequence, Monitor, SavedLeadList

logger = logging.getLogger(__name__)

StepKey = tuple[str, str]


def new_id(prefix: str) -> str:
    """A fresh id such as `list_3f9a0c1b2d4e`."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class MemoryLeadLists:
    """Saved lead lists by id; a list's leads are deduplicated again as they are saved."""

    def __init__(self) -> None:
        self.lists: dict[str, SavedLeadList] = {}
        self.owners: dict[str, str] = {}
        self._by_step: dict[StepKey, str] = {}

    async def save_lead_list(
        self,
        *,
        run_id: str,
        step_id: str,
        user_id: str,
        name: str,
        leads: Sequence[Lead],
        duplicates_dropped: int,
    ) -> SavedLeadList:
        existing = self._by_step.get((run_id, step_id))
        if existing is not None:
            logger.info("Lead list %s was already saved by %s/%s", existing, run_id, step_id)
            return self.lists[existing].model_copy(deep=True, update={"created": False})
        kept, dropped = dedupe_leads(leads)
        saved = SavedLeadList(
            list_id=new_id("list"),
            name=name,
            saved=len(kept),
            duplicates_dropped=duplicates_dropped + dropped,
            leads=[lead.model_copy(deep=True) for lead in kept],
        )
        self.lists[saved.list_id] = saved
        self.owners[saved.list_id] = user_id
        self._by_step[(run_id, step_id)] = saved.list_id
        return saved.model_copy(deep=True)

    def for_user(self, user_id: str) -> list[SavedLeadList]:
        return [saved for list_id, saved in self.lists.items() if self.owners[list_id] == user_id]


class MemorySequences:
    """Drafted email sequences by id."""

    def __init__(self) -> None:
        self.sequences: dict[str, EmailSequence] = {}
        self.owners: dict[str, str] = {}
        self._by_step: dict[StepKey, str] = {}

    async def save_sequence(
        self, *, run_id: str, step_id: str, user_id: str, sequence: EmailSequence
    ) -> EmailSequence:
        existing = self._by_step.get((run_id, step_id))
        if existing is not None:
            logger.info("Sequence %s was already saved by %s/%s", existing, run_id, step_id)
            return self.sequences[existing].model_copy(deep=True, update={"created": False})
        saved = sequence.model_copy(
            deep=True,
            update={"sequence_id": sequence.sequence_id or new_id("seq"), "created": True},
        )
        self.sequences[saved.sequence_id] = saved
        self.owners[saved.sequence_id] = user_id
        self._by_step[(run_id, step_id)] = saved.sequence_id
        return saved.model_copy(deep=True)


class MemoryMonitors:
    """Monitors (saved searches that run again on a schedule) by id."""

    def __init__(self) -> None:
        self.monitors: dict[str, Monitor] = {}
        self.owners: dict[str, str] = {}
        self._by_step: dict[StepKey, str] = {}

    async def save_monitor(
        self, *, run_id: str, step_id: str, user_id: str, monitor: Monitor
    ) -> Monitor:
        existing = self._by_step.get((run_id, step_id))
        if existing is not None:
            logger.info("Monitor %s was already saved by %s/%s", existing, run_id, step_id)
            return self.monitors[existing].model_copy(deep=True, update={"created": False})
        saved = monitor.model_copy(
            deep=True,
            update={"monitor_id": monitor.monitor_id or new_id("mon"), "created": True},
        )
        self.monitors[saved.monitor_id] = saved
        self.owners[saved.monitor_id] = user_id
        self._by_step[(run_id, step_id)] = saved.monitor_id
        return saved.model_copy(deep=True)
