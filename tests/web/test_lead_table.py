"""The leads table as a workspace: searched, filtered, sorted and paged on the server, for 500
leads as for 5; on the run page, as the fragment its form swaps in, in the CSV and the API."""

from __future__ import annotations

import csv
import html
import io
import re

import httpx
import pytest
from starlette.applications import Starlette

from tests.web.helpers import finished_run
from webapp.core.leads import Lead
from webapp.store import Store
from webapp.web.lead_table import PER_PAGE, BadLeadQuery, LeadQuery, lead_page

STATUSES = ["valid", "accept_all", "unknown", "invalid", None]
CITIES = ["Leeds", "Bristol", "Zürich", "Bath"]


def made_leads(count: int) -> list[Lead]:
    """`count` leads, every fifth without an email, with statuses, cities and sources in turn."""
    leads = []
    for n in range(count):
        has_email = n % 5 != 4
        leads.append(
            Lead(
                business_name=f"Shop {n:03d}",
                domain=f"shop{n}.example",
                email=f"owner{n}@shop{n}.example" if has_email else None,
                email_status=STATUSES[n % 4] if has_email else None,
                email_confidence=(n * 37) % 100 if has_email else None,
                contact_first_name="Ana" if n % 7 == 0 else None,
                city=CITIES[n % 4],
                source="osm" if n % 3 == 0 else "demo",
                source_id=str(n),
            )
        )
    return leads


def test_filters_keep_only_the_leads_they_name() -> None:
    leads = made_leads(500)

    def names(query: LeadQuery) -> set[str]:
        return {lead.business_name for lead in query.select(leads)}

    with_email = names(LeadQuery(has_email=True))
    verified = names(LeadQuery(verified=True))
    osm = names(LeadQuery(source="osm"))
    accepts_all = names(LeadQuery(status="accept_all"))
    both = names(LeadQuery(verified=True, source="osm"))

    assert len(with_email) == 400
    assert verified == {lead.business_name for lead in leads if lead.email_status == "valid"}
    assert len(verified) == 100
    assert osm == {f"Shop {n:03d}" for n in range(0, 500, 3)}
    assert all(int(name[5:]) % 4 == 1 for name in accepts_all) and len(accepts_all) == 100
    assert both == verified & osm


def test_the_search_reads_names_contacts_emails_and_cities_without_accents() -> None:
    leads = made_leads(40)

    assert [lead.business_name for lead in LeadQuery(q="shop 007").select(leads)] == ["Shop 007"]
    assert len(LeadQuery(q="zurich").select(leads)) == 10  # "Zürich", accents folded
    assert len(LeadQuery(q="  ANA ").select(leads)) == 6  # a contact's name, any case
    assert [lead.email for lead in LeadQuery(q="owner12@").select(leads)] == [
        "owner12@shop12.example"
    ]
    assert LeadQuery(q="nothing like it").select(leads) == []


def test_sorts_put_leads_without_the_value_last_whichever_the_order() -> None:
    leads = made_leads(60)

    for order in ("asc", "desc"):
        sorted_leads = LeadQuery(sort="confidence", order=order).select(leads)
        values = [lead.email_confidence for lead in sorted_leads]
        present = [v for v in values if v is not None]
        assert present == sorted(present, reverse=order == "desc")
        assert values[len(present) :] == [None] * (len(values) - len(present))

    by_status = [lead.email_status for lead in LeadQuery(sort="status").select(leads)]
    assert by_status[:15] == ["valid"] * 12 + ["accept_all"] * 3  # best first
    assert by_status[-12:] == [None] * 12
    by_city = LeadQuery(sort="city", order="desc").select(leads)
    assert [lead.city for lead in by_city][:15] == ["Zürich"] * 15
    by_name = LeadQuery(sort="business", order="desc").select(leads)
    assert by_name[0].business_name == "Shop 059"


def test_500_leads_come_50_a_page_and_a_page_past_the_end_shows_the_last() -> None:
    leads = made_leads(500)

    third = lead_page(leads, LeadQuery(page=3))
    past_the_end = lead_page(leads, LeadQuery(page=99, has_email=True))

    assert (third.page, third.pages, third.first, third.last) == (3, 10, 101, 150)
    assert [lead.business_name for lead in third.rows] == [f"Shop {n:03d}" for n in range(100, 150)]
    assert (third.total, third.matching, third.with_email, third.verified) == (500, 500, 400, 100)
    assert dict(third.statuses) == {"valid": 100, "accept_all": 100, "unknown": 100, "invalid": 100}
    assert [status for status, _ in third.statuses][:2] == ["valid", "accept_all"]
    assert (past_the_end.page, past_the_end.pages, len(past_the_end.rows)) == (8, 8, PER_PAGE)
    assert lead_page([], LeadQuery()).rows == [] and lead_page([], LeadQuery()).first == 0


def test_links_keep_what_was_asked_and_leave_out_the_defaults() -> None:
    query = LeadQuery(q="café", verified=True, sort="city", page=4)

    assert LeadQuery().link() == ""
    assert query.link(page=5) == "q=caf%C3%A9&verified=1&sort=city&page=5"
    assert query.sorted_by("city") == "q=caf%C3%A9&verified=1&sort=city&order=desc"
    assert query.sorted_by("confidence") == "q=caf%C3%A9&verified=1&sort=confidence&order=desc"
    assert query.sorted_by("business") == "q=caf%C3%A9&verified=1&sort=business"
    assert (query.aria_sort("city"), query.aria_sort("business")) == ("ascending", "none")


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "9" * 5000}, "page"),
        ({"sort": "price"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"q": "x" * 1_000_000}, "q"),
        ({"has_email": "perhaps"}, "has_email"),
    ],
)
def test_a_query_it_cannot_read_says_which_part(params: dict[str, str], words: str) -> None:
    with pytest.raises(BadLeadQuery, match=f"^{words}: "):
        LeadQuery.from_params(params)


async def run_with_500_more(app: Starlette, client: httpx.AsyncClient) -> tuple[str, int]:
    """A finished demo run, and 500 more leads saved to it (as a monitor adds its finds)."""
    run_id = await finished_run(app, client, "Find 5 coffee shops in Manchester")
    store: Store = app.state.store
    run = await store.runs.get(run_id)
    assert run is not None
    await store.outputs.save_lead_list(
        run_id=run_id,
        step_id="more",
        user_id=run.user_id,
        name="more",
        leads=made_leads(500),
        duplicates_dropped=0,
    )
    total = (await client.get(f"/api/runs/{run_id}/leads")).json()["total"]
    return run_id, total


def shown(page: str) -> list[str]:
    """The business names in the rows of a page's leads table."""
    body = page.split('<table class="leads-table">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>\s*<td>(?:<a [^>]*>)?([^<]+)", body)
    return [html.unescape(row).strip() for row in rows]


async def test_the_run_page_shows_one_page_of_its_500_leads_with_the_filters_it_offers(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id, total = await run_with_500_more(app, client)

    page = (await client.get(f"/runs/{run_id}")).text
    second = (await client.get(f"/runs/{run_id}?page=2")).text

    assert total == 505
    assert len(shown(page)) == PER_PAGE and len(shown(second)) == PER_PAGE
    assert not set(shown(page)) & set(shown(second))
    assert f"Showing 1–50 of {total} leads saved" in page
    assert "Page 1 of 11" in page and 'rel="next"' in page and 'rel="prev"' not in page
    assert f'href="/runs/{run_id}?page=2#leads"' in page  # works without JavaScript
    assert re.search(r"With an email \(40\d\)", page)
    assert "accepts all (10" in page  # statuses in words, with their counts


async def test_the_fragment_filters_sorts_and_pages_and_the_address_bar_follows(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id, _ = await run_with_500_more(app, client)
    asked = "has_email=1&source=osm&sort=confidence&order=desc"

    first = await client.get(f"/runs/{run_id}/leads?{asked}", headers={"HX-Request": "true"})
    second = await client.get(f"/runs/{run_id}/leads?{asked}&page=2")
    api = (await client.get(f"/api/runs/{run_id}/leads?{asked}")).json()

    expected = [lead["businessName"] for lead in api["leads"]]
    assert api["matching"] == api["count"] == len(expected) > 2 * PER_PAGE
    assert all(lead["email"] and lead["source"] == "osm" for lead in api["leads"])
    confidences = [lead["emailConfidence"] for lead in api["leads"]]
    assert confidences == sorted(confidences, reverse=True)
    assert first.status_code == 200 and '<div id="lead-results">' in first.text
    assert "<html" not in first.text  # a fragment
    assert shown(first.text) + shown(second.text) == expected[: 2 * PER_PAGE]
    assert first.headers["HX-Replace-Url"] == f"/runs/{run_id}?{asked}"
    assert second.headers["HX-Replace-Url"] == f"/runs/{run_id}?{asked}&page=2"
    assert f"matching leads ({api['total']} saved)" in first.text
    assert 'aria-sort="descending"' in first.text


async def test_the_csv_honours_the_tables_search_and_filters(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id, total = await run_with_500_more(app, client)

    page = (await client.get(f"/runs/{run_id}?status=accept_all&city=x")).text
    link = re.search(r'href="(/runs/\w+/leads\.csv\?[^"]+)" download>Download these (\d+)', page)
    assert link is not None
    filtered = await client.get(html.unescape(link[1]))
    everything = await client.get(f"/runs/{run_id}/leads.csv")
    nothing = await client.get(f"/runs/{run_id}/leads.csv?q=no+such+lead")

    rows = list(csv.DictReader(io.StringIO(filtered.text)))
    assert len(rows) == int(link[2]) >= 100
    assert {row["Email Status"] for row in rows} == {"accept_all"}
    assert "-leads-filtered-" in filtered.headers["content-disposition"]
    assert len(list(csv.DictReader(io.StringIO(everything.text)))) == total
    assert nothing.status_code == 404 and "No lead matches" in nothing.text


async def test_a_table_query_it_cannot_read_is_a_400_in_words_on_every_route(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client, "Find 5 coffee shops in Manchester")

    answers = [
        await client.get(f"/runs/{run_id}?page=abc"),
        await client.get(f"/runs/{run_id}/leads?sort=price"),
        await client.get(f"/runs/{run_id}/leads.csv?order=up"),
        await client.get(f"/api/runs/{run_id}/leads?page=-5"),
        await client.get("/runs/run_unknown/leads?page=2"),
    ]

    assert [answer.status_code for answer in answers] == [400, 400, 400, 400, 404]
    assert "The leads table cannot show this: page:" in answers[0].text
    assert answers[3].json()["error"]["message"].startswith("The leads table cannot show this")
