"""A provider's refusal of one item of a batch (one domain, one address): that item's trouble,
not the step's. Everything else a client raises is a plain ToolError about every call."""

from __future__ import annotations

from webapp.core.errors import ToolError


class ItemRefused(ToolError):
    """The provider refused this one item (Hunter's 400 `invalid_domain`, 404, 422): asking
    again will not help, and the other items of the batch are not concerned. `reason` is what
    the lead's notes say, in words a user can act on."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, retryable=False)
        self.reason = reason
