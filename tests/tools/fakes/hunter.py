"""A fake Hunter.io API v2 written from providers.md (§2, §5 and the corrections of §0.1): Domain
Search with its audience filters and company lookups, Email Finder, Email Verifier (202 while it
works, 222 and 451 for some addresses), the account, Hunter's auth and error bodies, refused
domains, scripted answers and a record of the requests received."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

TEST_KEY = "test-api-key"
SLOW_EMAIL = "maya@northern-bean.example"  # 202 (still verifying) on the first check, then 200
FAILING_EMAIL = "info@harbour-roasters.example"  # always 222 (the SMTP check failed)
RESET_DATE = "2025-03-20"  # the fake account's next monthly reset (§2.7)
# Domains Hunter refuses: "the domain is invalid, has no MX record or its owner has asked us to
# stop processing" (§0.1, Email Finder's table). Whether Domain Search answers the same is [U]:
# this fake does, on Domain Search and Email Finder alike.
INVALID_DOMAIN = (
    "invalid_domain",
    "The domain is invalid, has no MX record or its owner has asked us to stop processing",
)

Scripted = tuple[int, dict[str, Any]]
THROTTLED: Scripted = (
    403,
    {
        "errors": [
            {"id": "too_many_requests", "code": 403, "details": "You have reached the rate limit"}
        ]
    },
)
QUOTA_SPENT: Scripted = (
    429,
    {
        "errors": [
            {
                "id": "too_many_requests",
                "code": 429,
                "details": "You have exceeded your usage limit",
            }
        ]
    },
)
IN_PROGRESS: Scripted = (
    202,
    {"errors": [{"id": "verification_in_progress", "code": 202, "details": "Still verifying"}]},
)
SERVER_ERROR: Scripted = (
    500,
    {"errors": [{"id": "server_error", "code": 500, "details": "Something went wrong"}]},
)

_PEOPLE = [
    ("Maya", "Okafor", "Owner", "executive", "management", "valid"),
    ("Omar", "Lindqvist", "Head Barista", "senior", "support", "valid"),
    ("Priya", "Hale", "Operations Manager", "senior", "management", "accept_all"),
    ("Tomas", "Reyes", "Marketing Lead", "senior", "marketing", "valid"),
    ("Iris", "Nakamura", "Finance Manager", "senior", "finance", "valid"),
    ("Felix", "Obi", "Barista", "junior", "support", "unknown"),
    ("Hana", "Kowal", "Barista", "junior", "support", "valid"),
    ("Leo", "Marsh", "Roaster", "senior", "support", "valid"),
    ("Nina", "Brandt", "Events Coordinator", "junior", "marketing", "accept_all"),
    ("Sam", "Doyle", "Shift Supervisor", "junior", "management", "valid"),
    ("Zara", "Quinn", "Pastry Chef", "senior", "support", "valid"),
    ("Ezra", "Holt", "Delivery Driver", "junior", "support", "invalid"),
]


def person(
    domain: str, first: str, last: str, position: str, seniority: str, department: str, status: str
) -> dict[str, Any]:
    """One Domain Search email entry in Hunter's shape (providers.md §2.4)."""
    return {
        "value": f"{first.lower()}@{domain}",
        "type": "personal",
        "confidence": 70 + len(first + last) % 30,
        "sources": [],
        "first_name": first,
        "last_name": last,
        "position": position,
        "seniority": seniority,
        "department": department,
        "linkedin": f"https://www.linkedin.example/in/{first.lower()}-{last.lower()}",
        "twitter": None,
        "phone_number": None,
        "verification": {"date": "2025-02-01", "status": status},
    }


def canned_domains() -> dict[str, list[dict[str, Any]]]:
    """Twelve people at a café chain, one generic mailbox at a roaster, nobody at a quiet café."""
    northern = "northern-bean.example"
    harbour = "harbour-roasters.example"
    return {
        northern: [person(northern, *row) for row in _PEOPLE],
        harbour: [
            {
                "value": FAILING_EMAIL,
                "type": "generic",
                "confidence": 88,
                "sources": [],
                "first_name": None,
                "last_name": None,
                "position": None,
                "seniority": None,
                "department": None,
                "linkedin": None,
                "twitter": None,
                "phone_number": "+44 161 496 0000",
                "verification": {"date": None, "status": None},
            }
        ],
        "quiet-corner.example": [],
    }


@dataclass
class Received:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Fake:
    domains: dict[str, list[dict[str, Any]]]
    script: dict[str, list[Scripted]]
    received: list[Received] = field(default_factory=list)
    verifications: dict[str, int] = field(default_factory=dict)
    refused: frozenset[str] = frozenset()  # domains answered 400 invalid_domain
    unverifiable: frozenset[str] = frozenset()  # addresses the verifier answers 222
    claimed: frozenset[str] = frozenset()  # addresses the verifier answers 451
    slow: frozenset[str] = frozenset({SLOW_EMAIL})  # 202 on the first check, then 200
    unverifiable_every: int = 0  # every Nth distinct address checked answers 222, always
    companies: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (domain, org)

    def endpoint(
        self, name: str, answer: Callable[[QueryParams], Response]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            self.received.append(
                Received(request.url.path, dict(request.query_params), dict(request.headers))
            )
            if _key_of(request) != TEST_KEY:
                return error(401, "authentication_failed", "No user found for the API key supplied")
            if self.script.get(name):
                return scripted(*self.script[name].pop(0))
            return answer(request.query_params)

        return handle

    def domain_of(self, params: QueryParams) -> str | None:
        """The domain asked about: `domain` wins over `company` (§2.4). A company name is turned
        into a domain first, which for a generic name may be another firm's (§0.1)."""
        if params.get("domain"):
            return params["domain"].lower()
        wanted = _squash(params.get("company", ""))
        for name, (domain, _) in self.companies.items():
            if _squash(name) == wanted:
                return domain
        return next((domain for domain in self.domains if _squash(_label(domain)) == wanted), None)

    def organization_of(self, domain: str) -> str:
        named = [org for found, org in self.companies.values() if found == domain]
        return named[0] if named else _organization(domain)

    def domain_search(self, params: QueryParams) -> Response:
        if not params.get("domain") and not params.get("company"):
            return error(400, "wrong_params", "You are missing the domain parameter")
        limit, offset = _number(params, "limit", 10), _number(params, "offset", 0)
        if limit is None or not 1 <= limit <= 100 or offset is None or offset < 0:
            return error(400, "wrong_params", "limit must be 1-100 and offset 0 or more")
        domain = self.domain_of(params)
        if domain in self.refused:
            return error(400, *INVALID_DOMAIN)
        refusal = _refuse_filters(params)
        if refusal is not None:
            return refusal
        known = domain in self.domains if domain else False
        emails = [
            e for e in (self.domains[domain] if domain and known else []) if _wanted(e, params)
        ]
        data = {
            "domain": domain if params.get("domain") or known else None,
            "disposable": False,
            "webmail": False,
            "accept_all": False,
            "pattern": "{first}" if emails else None,
            "organization": self.organization_of(domain) if domain and known else None,
            "country": "GB" if known else None,
            "state": None,
            "emails": emails[offset : offset + limit],
            "linked_domains": [],
        }
        # meta.results is the total that match, not the page's size (§2.4)
        meta = {"results": len(emails), "limit": limit, "offset": offset, "params": dict(params)}
        return JSONResponse({"data": data, "meta": meta})

    def email_finder(self, params: QueryParams) -> Response:
        first, last = params.get("first_name", ""), params.get("last_name", "")
        if not (params.get("domain") or params.get("company")) or not (first and last):
            return error(400, "wrong_params", "You are missing the domain or name parameters")
        domain = self.domain_of(params)
        if domain in self.refused:
            return error(400, *INVALID_DOMAIN)
        match = next(
            (
                entry
                for entry in self.domains.get(domain or "", [])
                if (entry["first_name"] or "").lower() == first.lower()
                and (entry["last_name"] or "").lower() == last.lower()
            ),
            {},
        )
        data = {
            "first_name": first,
            "last_name": last,
            "email": match.get("value"),
            "score": match.get("confidence"),
            "domain": domain,
            "accept_all": False,
            "position": match.get("position"),
            "twitter": None,
            "linkedin_url": match.get("linkedin"),
            "phone_number": None,
            "company": _organization(domain) if domain else None,
            "sources": [],
            "verification": match.get("verification", {"date": None, "status": None}),
        }
        return JSONResponse({"data": data, "meta": {"params": dict(params)}})

    def email_verifier(self, params: QueryParams) -> Response:
        email = params.get("email", "").lower()
        if "@" not in email:
            return error(400, "wrong_params", "You are missing the email parameter")
        self.verifications[email] = self.verifications.get(email, 0) + 1
        nth = list(self.verifications).index(email) + 1  # in the order first checked
        every = self.unverifiable_every
        unverifiable = email in self.unverifiable or (every and nth % every == 0)
        if email == FAILING_EMAIL or unverifiable:
            # 222: "verification failed ... outside of our control ... retry later" (§0.1)
            return error(222, "verification_failed", "The remote SMTP server answered unexpectedly")
        if email in self.claimed:
            # 451: the owner claimed the address; "you shouldn't process it" (§0.1)
            return error(451, "claimed_email", "The owner of this email address asked us to stop")
        if email in self.slow and self.verifications[email] == 1:
            # the verifier works up to 20 s, then answers 202; asking again is free (§0.1, §2.2)
            return scripted(*IN_PROGRESS)
        known = [entry for entries in self.domains.values() for entry in entries]
        entry = next((entry for entry in known if entry["value"] == email), None)
        status = (entry["verification"]["status"] or "valid") if entry else "unknown"
        return JSONResponse(
            {"data": verification(email, status), "meta": {"params": {"email": email}}}
        )

    def account(self, params: QueryParams) -> Response:
        """The account (§2.7): the old `calls` and the current `requests`, and the reset date."""
        used = len(self.received)
        data = {
            "first_name": "Test",
            "last_name": "Account",
            "email": "owner@leadgen.example",
            "plan_name": "Starter",
            "plan_level": 1,
            "reset_date": RESET_DATE,
            "team_id": 1,
            "calls": {"used": used, "available": 2000},
            "requests": {
                "searches": {"used": used, "available": 500},
                "verifications": {"used": 0, "available": 1000},
                "credits": {"used": used, "available": 2000},
            },
        }
        return JSONResponse({"data": data})


def hunter_app(
    *,
    domains: dict[str, list[dict[str, Any]]] | None = None,
    script: dict[str, list[Scripted]] | None = None,
    refused: set[str] | frozenset[str] = frozenset(),
    unverifiable: set[str] | frozenset[str] = frozenset(),
    claimed: set[str] | frozenset[str] = frozenset(),
    slow: set[str] | frozenset[str] = frozenset({SLOW_EMAIL}),
    companies: dict[str, tuple[str, str]] | None = None,
    unverifiable_every: int = 0,
) -> Starlette:
    """The fake; `app.state.received` lists the requests it got.

    `domains` maps a domain to its Domain Search emails (default: `canned_domains()`); a company
    matches the domain whose first label it spells ("Northern Bean" → northern-bean.example),
    unless `companies` maps the name to a (domain, organization) of its own (another firm's, for
    a generic name). `refused` domains are answered 400 invalid_domain; the verifier answers
    222 for `unverifiable` addresses (and every `unverifiable_every`th distinct address it is
    asked about), 451 for `claimed` ones and 202 once for `slow` ones.
    `script` maps an endpoint name ("domain-search", "email-finder", "email-verifier",
    "account") to answers given, in order, before the normal ones; a body's "_headers" become
    response headers and a "_text" replaces the JSON body.
    """
    fake = _Fake(
        domains if domains is not None else canned_domains(),
        {name: list(answers) for name, answers in (script or {}).items()},
        refused=frozenset(d.lower() for d in refused),
        unverifiable=frozenset(e.lower() for e in unverifiable),
        claimed=frozenset(e.lower() for e in claimed),
        slow=frozenset(e.lower() for e in slow),
        companies=dict(companies or {}),
        unverifiable_every=unverifiable_every,
    )
    answers = {
        "domain-search": fake.domain_search,
        "email-finder": fake.email_finder,
        "email-verifier": fake.email_verifier,
        "account": fake.account,
    }
    app = Starlette(
        routes=[
            Route(f"/v2/{name}", fake.endpoint(name, answer)) for name, answer in answers.items()
        ]
    )
    app.state.received = fake.received
    return app


def verification(email: str, status: str) -> dict[str, Any]:
    """The Email Verifier's `data` for one address (providers.md §2.6)."""
    return {
        "status": status,
        "result": {"valid": "deliverable", "invalid": "undeliverable"}.get(status, "risky"),
        "_deprecation_notice": "Using result is deprecated, use status instead",
        "score": {"valid": 91, "invalid": 5}.get(status, 50),
        "email": email,
        "regexp": True,
        "gibberish": False,
        "disposable": status == "disposable",
        "webmail": status == "webmail",
        "mx_records": True,
        "smtp_server": True,
        "smtp_check": status == "valid",
        "accept_all": status == "accept_all",
        "block": False,
        "sources": [],
    }


def error(status: int, error_id: str, details: str) -> Response:
    return JSONResponse({"errors": [{"id": error_id, "code": status, "details": details}]}, status)


def scripted(status: int, body: dict[str, Any]) -> Response:
    body = dict(body)
    headers: dict[str, str] = body.pop("_headers", {})
    if "_text" in body:
        return PlainTextResponse(body["_text"], status, headers=headers)
    return JSONResponse(body, status, headers=headers)


# Domain Search filters and their documented values (§0.1; values outside them are refused, as
# Hunter may answer with a 400 such as invalid_department: §2.4).
FILTERS = {
    "type": {"personal", "generic"},
    "seniority": {"junior", "senior", "executive"},
    "department": {
        "executive", "it", "finance", "management", "sales", "legal", "support", "hr",
        "marketing", "communication",
    },
}  # fmt: skip


def _refuse_filters(params: QueryParams) -> Response | None:
    for name, allowed in FILTERS.items():
        values = [v for v in params.get(name, "").split(",") if v]
        if any(value not in allowed for value in values):
            return error(400, f"invalid_{name}", f"The {name} parameter is invalid")
    return None


def _wanted(entry: dict[str, Any], params: QueryParams) -> bool:
    """Whether an address passes every filter given: each filter keeps the addresses whose
    field is one of its comma-separated values (a generic mailbox has no seniority or
    department, so asking for one leaves the mailboxes out)."""
    for name in FILTERS:
        values = [v for v in params.get(name, "").split(",") if v]
        if values and entry.get(name) not in values:
            return False
    return True


def _key_of(request: Request) -> str | None:
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return bearer[7:].strip()
    return request.headers.get("x-api-key") or request.query_params.get("api_key")


def _number(params: QueryParams, name: str, default: int) -> int | None:
    value = params.get(name)
    if value is None:
        return default
    return int(value) if re.fullmatch(r"-?\d+", value) else None


def _label(domain: str) -> str:
    return domain.split(".")[0]


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _organization(domain: str) -> str:
    return _label(domain).replace("-", " ").title()
