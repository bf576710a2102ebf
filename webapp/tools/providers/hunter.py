"""Hunter.io API v2 client: Domain Search, Email Finder and Email Verifier behind Hunter's rate
limits, its answers mapped to ToolErrors (403 throttles, 429 ends the quota, a refused domain
concerns that domain only), and the credits they cost as Hunter counts them (providers.md §0.1)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from webapp.core.errors import ToolError
from webapp.tools.providers.charges import ChargeLedger
from webapp.tools.providers.errors import ItemRefused
from webapp.tools.providers.http import (
    CACHE_HEADER,
    ProviderHttp,
    RateLimits,
    Sleep,
    SlidingWindow,
    cache_key,
    retry_after_seconds,
)
from webapp.tools.providers.timeouts import DOCUMENTED, CallTimeouts
from webapp.tools.providers.usage import add_credits

PROVIDER = "Hunter"
# Requests a second and a minute, per API key and endpoint (providers.md §2.3).
SECOND_MARGIN, MINUTE_MARGIN = 1, 10  # stay a little under Hunter's limits
RATE_LIMITS: dict[str, tuple[int, int]] = {
    "domain-search": (15, 500),
    "email-finder": (15, 500),
    "email-verifier": (10, 300),
}
VERIFY_TRIES = 3
VERIFY_WAIT_S = 2.0
VERIFY_LONGEST_WAIT_S = 20.0  # Hunter's verifier works up to 20 s (providers.md)
THROTTLE_WAIT_S = 1.0
NO_DATA = frozenset({204, 451})  # 451: the person asked Hunter not to process their data
EMAIL_STATUSES = frozenset({"valid", "invalid", "accept_all", "webmail", "disposable", "unknown"})
FREE_STATUSES = frozenset({"unknown", "disposable"})  # verifications Hunter does not charge
VERIFY_CREDITS = 0.5  # a verification costs half a credit (§0.1)
# What the verifier may say of an address: a status, "claimed" (451: its owner asked not to be
# processed, so it must be dropped) or "failed" (222: the check failed; try later).
Verdict = Literal[
    "valid", "invalid", "accept_all", "webmail", "disposable", "unknown", "claimed", "failed"
]
# Hunter's words for a refused domain (§0.1, Email Finder's `invalid_domain`).
REFUSED_WORDS = {
    "invalid_domain": "Hunter refused the domain: invalid, no mail server, or its owner opted out",
}
QUOTA_MESSAGE = (
    "Hunter quota exhausted: the account's monthly requests are used up; "
    "upgrade the plan or wait for the reset."
)


@dataclass(frozen=True)
class HunterEmail:
    """One address from a Domain Search, with the person behind it when Hunter knows them."""

    value: str
    type: str | None = None
    confidence: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    position: str | None = None
    seniority: str | None = None
    department: str | None = None
    linkedin: str | None = None
    phone_number: str | None = None
    verification_status: str | None = None

    def lead_fields(self) -> dict[str, Any]:
        """The contact fields of a Lead (providers.md §4, canonical lead record)."""
        return {
            "contact_first_name": self.first_name,
            "contact_last_name": self.last_name,
            "contact_title": self.position,
            "email": self.value,
            "email_status": self.verification_status,
            "email_confidence": self.confidence,
            "linkedin_url": self.linkedin,
        }


@dataclass(frozen=True)
class DomainSearch:
    """One page of a Domain Search; `total` is every address Hunter has (meta.results)."""

    domain: str | None
    organization: str | None = None
    pattern: str | None = None
    accept_all: bool | None = None
    emails: list[HunterEmail] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class FoundEmail:
    """The address Email Finder guessed for a person, with its score (0-100)."""

    email: str
    score: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    position: str | None = None
    linkedin_url: str | None = None
    verification_status: str | None = None


@dataclass(frozen=True)
class Audience:
    """Whom a Domain Search asks for (§0.1 filters): e.g. owners and executives."""

    type: str | None = None  # personal, generic
    seniority: str | None = None  # junior, senior, executive (comma list)
    department: str | None = None  # executive, management, sales ... (comma list)

    def params(self) -> dict[str, str]:
        chosen = {"type": self.type, "seniority": self.seniority, "department": self.department}
        return {name: value for name, value in chosen.items() if value}


def hunter_limiter(limits: RateLimits, endpoint: str) -> SlidingWindow:
    """The endpoint's limiter, shared by every client of the process: a little under Hunter's
    per-second and per-minute limits in any window (a margin for clocks that disagree)."""
    per_second, per_minute = RATE_LIMITS[endpoint]
    windows = ((1.0, per_second - SECOND_MARGIN), (60.0, per_minute - MINUTE_MARGIN))
    return limits.window(f"hunter:{endpoint}", windows)


class HunterClient:
    """Calls Hunter with the key in the X-API-KEY header (never in a URL that may be logged).

    `requests` counts the HTTP answers received; `credits` estimates what they cost by Hunter's
    rules: Domain Search 1 per 1-10 emails returned, Email Finder 1 per email found, Email
    Verifier 1 per verification except unknown and disposable; nothing found costs nothing.
    """

    def __init__(
        self,
        http: ProviderHttp,
        *,
        api_key: str,
        base_url: str,
        limits: RateLimits | None = None,
        sleep: Sleep = asyncio.sleep,
        timeouts: CallTimeouts = DOCUMENTED,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.limits = limits or http.limits
        self.sleep = sleep
        self.timeouts = timeouts
        self.requests = 0
        self.credits = 0.0
        self.ledger = ChargeLedger(api_key, self._reset_date, cache=http.cache, clock=wall_clock)

    def usage(self) -> dict[str, float]:
        return {"requests": self.requests, "credits": self.credits}

    async def _spend(self, credits: float, response: httpx.Response) -> None:
        """Count credits here and against the step that is running (and its run's budget):
        an answer served from the cache cost nothing, and neither does a request Hunter
        already charged for in this billing period (§0.1)."""
        if not credits or response.headers.get(CACHE_HEADER) == "hit":
            return
        if not await self.ledger.charge(_request_key(response)):
            return
        self.credits += credits
        add_credits(PROVIDER, credits)

    async def domain_search(
        self,
        *,
        domain: str | None = None,
        company: str | None = None,
        limit: int = 10,
        offset: int = 0,
        audience: Audience | None = None,
    ) -> DomainSearch:
        """The addresses Hunter knows at a domain (or a company's domain), `limit` from `offset`,
        of the people `audience` asks for. A refused domain raises ItemRefused."""
        if not domain and not company:
            raise ToolError(
                "Hunter Domain Search needs a domain or a company name.", retryable=False
            )
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if domain:
            params["domain"] = domain
        if company:
            params["company"] = company
        params.update(audience.params() if audience else {})
        response = await self._get("domain-search", params, self.timeouts.hunter_search_s)
        if response.status_code in NO_DATA:
            return DomainSearch(domain=domain)
        body = self._json(response)
        data, meta = _object(body.get("data")), _object(body.get("meta"))
        found = (_hunter_email(item) for item in _objects(data.get("emails")))
        emails = [email for email in found if email is not None]
        # one credit for each 1-10 addresses returned; nothing found is free (§2.3, §0.1)
        await self._spend(math.ceil(len(emails) / 10), response)
        total = _integer(meta.get("results"))
        return DomainSearch(
            domain=_text(data.get("domain")),
            organization=_text(data.get("organization")),
            pattern=_text(data.get("pattern")),
            accept_all=data.get("accept_all") if isinstance(data.get("accept_all"), bool) else None,
            emails=emails,
            total=total if total is not None else offset + len(emails),
        )

    async def email_finder(
        self, *, domain: str, first_name: str, last_name: str
    ) -> FoundEmail | None:
        """The most likely address of a person at a domain; None when Hunter finds none."""
        params = {"domain": domain, "first_name": first_name, "last_name": last_name}
        response = await self._get("email-finder", params, self.timeouts.hunter_search_s)
        if response.status_code in NO_DATA:
            return None
        data = _object(self._json(response).get("data"))
        email = _text(data.get("email"))
        if email is None:
            return None
        await self._spend(1, response)
        return FoundEmail(
            email=email,
            score=_integer(data.get("score")),
            first_name=_text(data.get("first_name")),
            last_name=_text(data.get("last_name")),
            position=_text(data.get("position")),
            linkedin_url=_text(data.get("linkedin_url")),
            verification_status=_text(_object(data.get("verification")).get("status")),
        )

    async def verify(self, email: str, *, tries: int = VERIFY_TRIES) -> Verdict:
        """What the Email Verifier says of the address (§2.6, §0.1): its status, "claimed"
        (451: drop the address, never store or email it) or "failed" (222: the check failed;
        try later).

        The verifier works for up to 20 s before answering (the read timeout waits longer); a
        202 (still verifying) is asked again after the Retry-After or 2 s, `tries` requests in
        all, then counts as unknown.
        """
        for attempt in range(1, tries + 1):
            response = await self._get(
                "email-verifier", {"email": email}, self.timeouts.hunter_verify_s
            )
            if response.status_code == 222:
                return "failed"
            if response.status_code == 451:
                return "claimed"
            if response.status_code == 204:
                return "unknown"
            if response.status_code != 202:
                return await self._charged_status(self._json(response), response)
            if attempt < tries:
                wait = retry_after_seconds(response)
                # (a 202's wait is the verifier still working: never longer than it would take)
                await self.sleep(
                    VERIFY_WAIT_S if wait is None else min(wait, VERIFY_LONGEST_WAIT_S)
                )
        return "unknown"

    async def _charged_status(self, body: dict[str, Any], response: httpx.Response) -> Verdict:
        status = _text(_object(body.get("data")).get("status"))
        if status not in EMAIL_STATUSES:
            return "unknown"
        if status not in FREE_STATUSES:
            await self._spend(VERIFY_CREDITS, response)
        return status  # type: ignore[return-value]  # one of EMAIL_STATUSES, checked above

    async def account_reset(self) -> str | None:
        """When the account's monthly credits reset (`data.reset_date`, §2.7), as Hunter
        writes it ("2025-07-02"); None when Hunter does not say. A free request."""
        response = await self.http.send(
            PROVIDER,
            "GET",
            f"{self.base_url}/v2/account",
            headers={"X-API-KEY": self.api_key},
            timeout=self.timeouts.of(self.timeouts.hunter_search_s),
        )
        self.requests += 1
        if response.status_code != 200:
            return None
        return _text(_object((_json_object(response) or {}).get("data")).get("reset_date"))

    async def _reset_date(self) -> str | None:
        try:
            return await self.account_reset()
        except ToolError:  # not knowing only means a repeat is counted as charged
            return None

    async def _get(
        self, endpoint: str, params: Mapping[str, str | int], read_s: float
    ) -> httpx.Response:
        """One GET through the endpoint's limiter; a 2xx or 451 answer, else the matching
        ToolError (ItemRefused when only this item is concerned)."""
        response = await self.http.send(
            PROVIDER,
            "GET",
            f"{self.base_url}/v2/{endpoint}",
            bucket=hunter_limiter(self.limits, endpoint),
            cache=True,
            params=params,
            headers={"X-API-KEY": self.api_key},
            timeout=self.timeouts.of(read_s),
        )
        if response.headers.get(CACHE_HEADER) != "hit":
            self.requests += 1
        if 200 <= response.status_code < 300 or response.status_code == 451:
            return response
        raise hunter_error(response, api_key=self.api_key)

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        body = _json_object(response)
        if body is None:
            raise ToolError(
                f"Hunter sent an answer that is not JSON (HTTP {response.status_code}); "
                "trying again."
            )
        return body


def hunter_error(response: httpx.Response, *, api_key: str = "") -> ToolError:
    """The ToolError for one of Hunter's error answers (providers.md §2.2, §0.1). A 400, 404 or
    422 concerns the one domain or address asked about (ItemRefused); 401 and 429 concern every
    call. Hunter's own words are quoted only for a refused request or key, with the key blanked
    should they echo it."""
    code = response.status_code
    error_id, details = (
        text.replace(api_key, "[key]") if text and api_key else text for text in _error_of(response)
    )
    if code == 401:
        return ToolError(
            f"Hunter rejected the API key ({error_id or 'authentication_failed'}); "
            "check HUNTER_API_KEY.",
            retryable=False,
        )
    if code == 403:
        wait = retry_after_seconds(response)
        return ToolError(
            "Hunter is rate-limiting these requests; slowing down.",
            retry_after=THROTTLE_WAIT_S if wait is None else wait,
        )
    if code == 429:
        return ToolError(QUOTA_MESSAGE, retryable=False)
    if code >= 500:
        return ToolError(
            f"Hunter had a server error (HTTP {code}); trying again.",
            retry_after=retry_after_seconds(response),
        )
    reason = f"{error_id}: {details}" if error_id and details else details or error_id
    message = f"Hunter refused the request (HTTP {code}): {reason or 'no details given'}."
    if code in (400, 404, 422):
        words = REFUSED_WORDS.get(error_id or "") or (
            f"Hunter refused it (HTTP {code}: {reason})"
            if reason
            else f"Hunter refused it (HTTP {code})"
        )
        return ItemRefused(message, reason=words)
    return ToolError(message, retryable=False)


def _request_key(response: httpx.Response) -> str:
    """What identifies a request for Hunter's billing: the endpoint and its parameters."""
    request = response.request
    params = dict(request.url.params)
    url = str(request.url.copy_with(query=None))
    return cache_key(PROVIDER, request.method, url, {"params": params})


def _error_of(response: httpx.Response) -> tuple[str | None, str | None]:
    """The first error's id and details from `{"errors":[{"id","code","details"}]}`."""
    errors = _objects((_json_object(response) or {}).get("errors"))
    if not errors:
        return None, None
    return _text(errors[0].get("id")), _text(errors[0].get("details"))


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:  # not JSON (an HTML error page, a proxy's text): the caller decides
        return None
    return body if isinstance(body, dict) else None


def _hunter_email(item: dict[str, Any]) -> HunterEmail | None:
    value = _text(item.get("value"))
    if value is None:
        return None
    return HunterEmail(
        value=value,
        type=_text(item.get("type")),
        confidence=_integer(item.get("confidence")),
        first_name=_text(item.get("first_name")),
        last_name=_text(item.get("last_name")),
        position=_text(item.get("position")),
        seniority=_text(item.get("seniority")),
        department=_text(item.get("department")),
        linkedin=_text(item.get("linkedin")),
        phone_number=_text(item.get("phone_number")),
        verification_status=_text(_object(item.get("verification")).get("status")),
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
