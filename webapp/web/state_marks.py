"""How each state shows: an icon and a word beside its colour, never colour alone."""

from __future__ import annotations

STATE_ICONS = {
    "pending": "○",
    "running": "◐",
    "retrying": "↻",
    "succeeded": "✓",
    "failed": "✗",
    "skipped": "⤼",
    "cancelled": "■",
    "partial": "◑",
    "interrupted": "⚡",
}
ACTIVE_RUN = frozenset({"pending", "running"})
RETRYABLE_RUN = frozenset({"failed", "partial", "cancelled"})
