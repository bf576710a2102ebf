"""The exit statuses of every command: 0 when it did what it was asked and a run it watched
succeeded; 1 when a run ended otherwise, a run id is unknown, or the database or --output file
cannot be used; 2 when the goal or an option is unusable."""

from __future__ import annotations

EXIT_OK, EXIT_RUN_NOT_OK, EXIT_USAGE = 0, 1, 2
