"""The `website` provider's crawler against a fake web of business sites, reached through the
fake web as an HTTP proxy (as a company network routes traffic): what it reads, where it stops,
and that it keeps to the sites' robots.txt, their own domain and a polite pace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.tools.fakes.web import FakeWeb, fake_web_as_proxy
from webapp.tools.providers.http import ProviderHttp, RateLimits, new_client, user_agent
from webapp.tools.providers.timeouts import CallTimeouts
from webapp.tools.providers.website import HOST_INTERVAL_S, MAX_PAGES, WebsiteClient

CONTACT = "ops@leadgen.example"


class Waits:
    """The crawler's sleep: returns at once, remembers each wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeb]:
    with fake_web_as_proxy(monkeypatch) as fake:
        yield fake


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def site(web: FakeWeb, waits: Waits) -> AsyncIterator[WebsiteClient]:
    async with new_client(CONTACT) as client:  # made after the proxy is set: it honours it
        yield WebsiteClient(
            ProviderHttp(client, RateLimits(sleep=waits)),
            timeouts=CallTimeouts(website_s=1.0),
            sleep=waits,
            clock=lambda: 0.0,
        )


async def test_a_mailto_on_the_contact_page_with_the_name_and_role_beside_it(
    site: WebsiteClient, web: FakeWeb
) -> None:
    found = await site.contacts("http://mailto.example/")

    best = found.contacts[0]
    assert (best.email, best.name, best.role) == ("maya@mailto.example", "Maya Okafor", "Owner")
    assert best.source_url == "http://mailto.example/contact"
    assert "bookings@mailto.example" in [c.email for c in found.contacts]
    assert web.pages_of("mailto.example")[:2] == ["/robots.txt", "/"]
    assert found.trouble is None


async def test_json_ld_people_and_the_business_address(site: WebsiteClient) -> None:
    found = await site.contacts("jsonld.example")

    emails = [(c.email, c.name, c.role) for c in found.contacts]
    assert emails[0] == ("omar@jsonld.example", "Omar Lindqvist", "Manager")
    assert "hello@jsonld.example" in [email for email, _, _ in emails]


async def test_what_a_page_states_outright_beats_a_guess_made_on_another(
    site: WebsiteClient,
) -> None:
    # The home page's link has a name and a title beside it (a guess); the contact page's
    # JSON-LD states them: across pages as on one page, the stated ones win.
    found = await site.contacts("http://twopages.example/")

    [sam] = found.contacts
    assert (sam.name, sam.role) == ("Samantha Reyes", "Owner")
    assert sam.source_url == "http://twopages.example/contact"  # where the name came from
    assert sam.how == "mailto"  # still the surest way it was found


async def test_an_obfuscated_address(site: WebsiteClient) -> None:
    found = await site.contacts("http://obfuscated.example")

    assert [c.email for c in found.contacts] == ["priya@obfuscated.example"]


async def test_a_contact_page_two_links_deep(site: WebsiteClient, web: FakeWeb) -> None:
    found = await site.contacts("http://deep.example/")

    assert [c.email for c in found.contacts] == ["info@deep.example"]
    assert found.pages == [
        "http://deep.example/",
        "http://deep.example/about",
        "http://deep.example/about/contact",
    ]


async def test_a_robots_txt_that_forbids_us_is_kept(site: WebsiteClient, web: FakeWeb) -> None:
    found = await site.contacts("http://robots.example/")

    assert found.contacts == [] and found.pages == []
    assert web.pages_of("robots.example") == ["/robots.txt"]
    assert found.trouble == "Its website's robots.txt does not allow reading its pages"


async def test_a_redirect_to_another_domain_is_not_followed(
    site: WebsiteClient, web: FakeWeb
) -> None:
    found = await site.contacts("http://redirect.example/")

    assert found.contacts == []
    assert web.pages_of("elsewhere.example") == []
    assert found.trouble == "Its website sends visitors to another domain (elsewhere.example)"


async def test_a_redirect_within_the_business_domain_is_followed(site: WebsiteClient) -> None:
    found = await site.contacts("http://canonical.example/")

    assert [c.email for c in found.contacts] == ["team@canonical.example"]
    assert found.pages == ["http://www.canonical.example/home"]


async def test_a_huge_page_is_read_only_so_far(site: WebsiteClient, web: FakeWeb) -> None:
    found = await site.contacts("http://huge.example/")

    assert found.contacts == []  # its one address lies past the part read
    assert found.pages == ["http://huge.example/"]


async def test_a_slow_site_is_given_up_on(site: WebsiteClient) -> None:
    found = await site.contacts("http://slow.example/")

    assert found.contacts == []
    assert found.trouble == "Its website did not answer (slow or unreachable)"


async def test_a_site_that_refused_is_never_asked_again(site: WebsiteClient, web: FakeWeb) -> None:
    first = await site.contacts("http://forbidden.example/")
    again = await site.contacts("http://forbidden.example/other")

    assert first.trouble == "Its website refused leadgen (HTTP 403)"
    assert (
        again.trouble == "Its website (forbidden.example) refused leadgen earlier; not asked again"
    )
    assert web.pages_of("forbidden.example") == ["/robots.txt", "/"]


async def test_other_firms_addresses_and_asset_names_are_not_taken(site: WebsiteClient) -> None:
    found = await site.contacts("http://others.example/")

    assert found.contacts == []


async def test_pages_are_paced_per_host_and_at_most_a_handful(
    site: WebsiteClient, web: FakeWeb, waits: Waits
) -> None:
    await site.contacts("http://mailto.example/")

    asked = web.pages_of("mailto.example")
    assert len(asked) <= 1 + MAX_PAGES  # robots.txt and the pages
    assert waits.calls.count(HOST_INTERVAL_S) == len(asked) - 1  # the clock stands still


async def test_the_crawler_names_itself_with_a_contact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    class Recording(FakeWeb):
        async def __call__(self, scope: dict[str, object], receive: object, send: object) -> None:
            headers = dict(scope.get("headers") or [])  # type: ignore[call-overload]
            seen.append(headers.get(b"user-agent", b"").decode())
            await super().__call__(scope, receive, send)

    from tests.tools.live_server import serving

    with serving(Recording()) as url:
        monkeypatch.setenv("HTTP_PROXY", url)
        async with new_client(CONTACT) as client:
            crawler = WebsiteClient(ProviderHttp(client), sleep=Waits(), clock=lambda: 0.0)
            await crawler.contacts("http://obfuscated.example/")

    assert seen and all(agent == user_agent(CONTACT) for agent in seen)
    assert CONTACT in seen[0]


async def test_pages_are_kept_like_other_answers_and_a_second_read_asks_nothing(
    web: FakeWeb, waits: Waits
) -> None:
    class Cache:
        def __init__(self) -> None:
            self.kept: dict[str, str] = {}

        async def get(self, key: str) -> str | None:
            return self.kept.get(key)

        def put_soon(self, key: str, provider: str, value: str, ttl_s: float) -> None:
            self.kept[key] = value

    cache = Cache()
    async with new_client(CONTACT) as client:
        http = ProviderHttp(client, RateLimits(sleep=waits), cache=cache, cache_ttl_s=3600)
        first = await WebsiteClient(http, sleep=waits, clock=lambda: 0.0).contacts(
            "http://mailto.example/"
        )
        asked = len(web.requests)
        again = await WebsiteClient(http, sleep=waits, clock=lambda: 0.0).contacts(
            "http://mailto.example/"
        )

    assert [c.email for c in again.contacts] == [c.email for c in first.contacts]
    # only what was not a page read whole went out again: the 404s (robots.txt, /about)
    assert sorted(path for _, path in web.requests[asked:]) == ["/about", "/robots.txt"]
