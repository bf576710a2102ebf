"""How long each provider call may wait for its answer, from what each provider documents
(providers.md §0.4: httpx's read timeout is the longest wait for the next chunk of data, so it
must exceed the longest time the provider documents before it answers)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class CallTimeouts:
    connect_s: float = 5.0
    # Text Search answers at once; a short wait.
    google_search_s: float = 15.0
    # Domain Search answers at once; a short wait.
    hunter_search_s: float = 15.0
    # The Email Verifier works for up to 20 s before it answers (202 if still unsure): §0.1.
    hunter_verify_s: float = 30.0
    # Nominatim looks a name up at once; a short wait.
    nominatim_s: float = 10.0
    # The query's own `[timeout:N]`: Overpass stops it (with a `remark`) after N seconds.
    overpass_query_s: int = 60
    # A query may wait up to about 15 s in Overpass's queue, then run up to its N s (§0.3).
    overpass_read_s: float = 60 + 15 + 10
    # /api/status answers at once.
    overpass_status_s: float = 10.0
    # A business's own web page: a slow host is given up on, not waited for.
    website_s: float = 10.0

    def of(self, read_s: float) -> httpx.Timeout:
        """An httpx timeout waiting `read_s` for the answer (and for the request to go)."""
        return httpx.Timeout(read_s, connect=min(self.connect_s, read_s))

    @classmethod
    def all_at(cls, seconds: float) -> CallTimeouts:
        """Every wait set to `seconds` (the query's own Overpass timeout kept): for tests of a
        provider that never answers."""
        return cls(
            connect_s=seconds,
            google_search_s=seconds,
            hunter_search_s=seconds,
            hunter_verify_s=seconds,
            nominatim_s=seconds,
            overpass_read_s=seconds,
            overpass_status_s=seconds,
            website_s=seconds,
        )


DOCUMENTED = CallTimeouts()
