"""Contacts read from a business's own pages: mailto, JSON-LD, visible text, links to follow."""

from __future__ import annotations

import json
from typing import Any

from webapp.tools.providers.page_contacts import (
    PageContact,
    contact_links,
    contacts_on_page,
    rank_contacts,
)

URL = "https://www.joes.co.uk/"
DOMAIN = "joes.co.uk"


def found(body: str, *, domain: str = DOMAIN) -> dict[str, PageContact]:
    html = f"<html><head><title>Joe's</title></head><body>{body}</body></html>"
    return {c.email: c for c in contacts_on_page(html, page_url=URL, domain=domain)}


def ld(data: Any) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def contact(email: str, kind: str, name: str | None = None, role: str | None = None) -> PageContact:
    return PageContact(email, kind, name, role, None, URL, "text")


# mailto links


def test_a_mailto_link_gives_its_address_without_the_subject() -> None:
    page = found('<a href="mailto:Jane@Joes.co.uk?subject=Hello%20there">Email us</a>')
    assert list(page) == ["jane@joes.co.uk"]
    assert page["jane@joes.co.uk"].how == "mailto"
    assert page["jane@joes.co.uk"].source_url == URL


def test_a_mailto_link_is_percent_decoded_and_read_in_any_case() -> None:
    assert list(found('<a href="MAILTO:bob%40joes.co.uk">Bob</a>')) == ["bob@joes.co.uk"]


def test_a_mailto_link_with_several_addresses_gives_each() -> None:
    page = found('<a href="mailto:ann@joes.co.uk,%20bob@joes.co.uk?cc=x@joes.co.uk">Us</a>')
    assert list(page) == ["ann@joes.co.uk", "bob@joes.co.uk"]


# JSON-LD


def test_json_ld_organization_email_with_mailto_prefix_and_its_telephone() -> None:
    block = ld(
        {
            "@context": "https://schema.org",
            "@type": "LocalBusiness",
            "email": "mailto:Info@joes.co.uk",
            "telephone": "+44 161 496 0000",
        }
    )
    info = found(block)["info@joes.co.uk"]
    assert (info.kind, info.how, info.phone) == ("role", "json-ld", "+44 161 496 0000")


def test_json_ld_contact_point_list() -> None:
    block = ld(
        {
            "@type": "Organization",
            "contactPoint": [
                {"@type": "ContactPoint", "email": "sales@joes.co.uk", "telephone": "0161 1"},
                {
                    "@type": "ContactPoint",
                    "email": "bookings@joes.co.uk",
                    "contactType": "Bookings",
                },
            ],
        }
    )
    page = found(block)
    assert list(page) == ["sales@joes.co.uk", "bookings@joes.co.uk"]
    assert page["sales@joes.co.uk"].phone == "0161 1"
    assert page["bookings@joes.co.uk"].role == "Bookings"


def test_json_ld_graph_and_a_top_level_list() -> None:
    graph = ld({"@graph": [{"@type": "WebSite"}, {"@type": "Cafe", "email": "hello@joes.co.uk"}]})
    listed = ld([{"@type": "Organization", "email": ["office@joes.co.uk"]}])
    assert list(found(graph + listed)) == ["hello@joes.co.uk", "office@joes.co.uk"]


def test_json_ld_person_gives_name_title_and_telephone() -> None:
    block = ld(
        {
            "@type": "Restaurant",
            "founder": {"name": "Jane Smith", "jobTitle": "Head Chef", "email": "jane@joes.co.uk"},
            "employee": [
                {"@type": "Person", "givenName": "Bob", "familyName": "Lee", "telephone": "07700"}
                | {"email": "bob@joes.co.uk"}
            ],
        }
    )
    page = found(block)
    assert (page["jane@joes.co.uk"].name, page["jane@joes.co.uk"].role) == (
        "Jane Smith",
        "Head Chef",
    )
    assert (page["bob@joes.co.uk"].name, page["bob@joes.co.uk"].phone) == ("Bob Lee", "07700")
    assert page["jane@joes.co.uk"].kind == "personal"


def test_business_telephone_without_an_address_goes_to_its_mailboxes_only() -> None:
    block = ld({"@type": "LocalBusiness", "telephone": "0161 496 0000"})
    page = found(
        block + '<a href="mailto:info@joes.co.uk">i</a> <a href="mailto:al@joes.co.uk">a</a>'
    )
    assert (page["info@joes.co.uk"].phone, page["al@joes.co.uk"].phone) == ("0161 496 0000", None)


def test_broken_json_ld_does_not_hide_the_rest_of_the_page() -> None:
    page = found('<script type="application/ld+json">{"email": </script><p>info@joes.co.uk</p>')
    assert list(page) == ["info@joes.co.uk"]


def test_the_same_address_from_json_ld_and_a_mailto_is_merged_as_mailto() -> None:
    person = {"@type": "Person", "name": "Jane Smith", "jobTitle": "Owner"}
    body = ld(person | {"email": "jane@joes.co.uk", "telephone": "0161 2"}) + (
        '<p>Write to <a href="mailto:jane@joes.co.uk">jane@joes.co.uk</a></p>'
    )
    assert list(found(body).values()) == [
        PageContact("jane@joes.co.uk", "personal", "Jane Smith", "Owner", "0161 2", URL, "mailto")
    ]


def test_json_ld_name_and_title_win_over_what_surrounds_a_mailto() -> None:
    body = '<p>Jane S Smith, Manager: <a href="mailto:jane@joes.co.uk">Email</a></p>' + ld(
        {"@type": "Person", "name": "Jane Smith", "jobTitle": "Owner", "email": "jane@joes.co.uk"}
    )
    jane = found(body)["jane@joes.co.uk"]
    assert (jane.name, jane.role, jane.how) == ("Jane Smith", "Owner", "mailto")


# visible text


def test_an_address_in_the_visible_text() -> None:
    page = found("<footer><p>Email: enquiries@joes.co.uk.</p></footer>")
    assert list(page.values()) == [contact("enquiries@joes.co.uk", "role")]


def test_square_bracket_obfuscation() -> None:
    page = found("<p>jane [at] joes [dot] co [dot] uk</p>")
    assert page["jane@joes.co.uk"].how == "obfuscated"


def test_round_bracket_obfuscation() -> None:
    assert list(found("<p>jane (at) joes (dot) co (dot) uk</p>")) == ["jane@joes.co.uk"]


def test_bracketed_at_with_real_dots() -> None:
    assert list(found("<p>Mail: jane(at)joes.co.uk</p>")) == ["jane@joes.co.uk"]


def test_capitalised_words_obfuscation() -> None:
    assert list(found("<p>jane AT joes DOT co DOT uk</p>")) == ["jane@joes.co.uk"]


def test_lower_case_words_obfuscation() -> None:
    assert list(found("<p>write to jane at joes dot co dot uk</p>")) == ["jane@joes.co.uk"]


def test_prose_is_not_turned_into_addresses() -> None:
    prose = (
        "<p>Meet us at the cafe. Find us at joes dot co dot uk or visit us at joes.co.uk."
        " We're at joes dot co dot uk every day; open at 9 dot 30. Order online at joes.co.uk</p>"
    )
    assert found(prose) == {}


def test_addresses_in_scripts_styles_noscript_and_templates_are_not_text() -> None:
    body = (
        '<script>var e = "dev@joes.co.uk";</script><style>/* css@joes.co.uk */</style>'
        "<noscript>ns@joes.co.uk</noscript><template><p>tpl@joes.co.uk</p></template>"
        + ld({"@type": "Organization", "email": "info@joes.co.uk"})
    )
    assert list(found(body)) == ["info@joes.co.uk"]


def test_cloudflare_protected_address_is_decoded() -> None:
    key = 0x42
    encoded = bytes([key, *(b ^ key for b in b"anna@joes.co.uk")]).hex()
    page = found(
        f'<a href="/cdn-cgi/l/email-protection#{encoded}"><span data-cfemail="{encoded}">'
        "[email&#160;protected]</span></a>"
    )
    assert page["anna@joes.co.uk"].how == "obfuscated"


# which addresses count


def test_addresses_on_other_domains_and_a_designers_footer_are_dropped() -> None:
    body = (
        '<p><a href="mailto:info@joes.co.uk">info</a> Also: bob@joesbakery.co.uk</p>'
        '<footer>Site by <a href="mailto:studio@designco.example">DesignCo</a>,'
        " help: support@wix.com</footer>"
    )
    assert list(found(body)) == ["info@joes.co.uk"]


def test_an_address_on_a_subdomain_of_the_business_is_kept() -> None:
    assert list(found("<p>orders@shop.joes.co.uk</p>")) == ["orders@shop.joes.co.uk"]


def test_a_domain_given_as_a_url_is_understood() -> None:
    assert list(found("<p>al@joes.co.uk</p>", domain="https://www.joes.co.uk/")) == [
        "al@joes.co.uk"
    ]


def test_webmail_addresses_are_kept_as_webmail() -> None:
    body = "<p>joescafe@gmail.com or joe.smith@hotmail.co.uk or joe [at] yahoo [dot] fr</p>"
    page = found(body)
    assert {email: c.kind for email, c in page.items()} == {
        "joescafe@gmail.com": "webmail",
        "joe.smith@hotmail.co.uk": "webmail",
        "joe@yahoo.fr": "webmail",
    }


def test_no_reply_addresses_are_dropped() -> None:
    body = (
        "<p>no-reply@joes.co.uk noreply@joes.co.uk donotreply@joes.co.uk do-not-reply@joes.co.uk"
        " mailer-daemon@joes.co.uk postmaster@joes.co.uk al@joes.co.uk</p>"
    )
    assert list(found(body)) == ["al@joes.co.uk"]


def test_asset_names_that_look_like_addresses_are_dropped() -> None:
    body = "<p>logo@2x.png icon@3x.webp image@3x.jpg badge@live.svg al@joes.co.uk</p>"
    assert list(found(body)) == ["al@joes.co.uk"]


def test_placeholder_addresses_are_dropped_unless_they_are_the_business() -> None:
    body = "<p>you@example.com name@domain.com yourname@gmail.com email@example.com</p>"
    assert found(body) == {}
    assert list(found("<p>you@example.com</p>", domain="example.com")) == ["you@example.com"]


def test_kind_of_role_and_personal_addresses() -> None:
    page = found("<p>Bookings.Leeds@joes.co.uk, hi@joes.co.uk and jane.smith@joes.co.uk</p>")
    assert [c.kind for c in page.values()] == ["role", "role", "personal"]


# what the page says beside an address


def test_name_and_title_beside_a_mailto_in_the_same_paragraph() -> None:
    body = (
        "<div><h2>Contact</h2><p><strong>Jane Smith</strong>, Owner — "
        '<a href="mailto:jane@joes.co.uk">jane@joes.co.uk</a></p></div>'
    )
    jane = found(body)["jane@joes.co.uk"]
    assert (jane.name, jane.role) == ("Jane Smith", "Owner")


def test_team_member_cards_each_get_their_own_name_title_and_phone() -> None:
    card = (
        '<li><div class="team-member"><h3>{name}</h3><p>{role}</p>'
        '<p><a href="mailto:{email}">Email</a> <a href="tel:{tel}">Call</a></p></div></li>'
    )
    body = "<ul>{}{}</ul>".format(
        card.format(
            name="Jane Smith", role="Managing Director", email="jane@joes.co.uk", tel="+441"
        ),
        card.format(name="Omar Khan", role="Head Chef", email="omar@joes.co.uk", tel="+442"),
    )
    page = found(body)
    assert (page["jane@joes.co.uk"].name, page["jane@joes.co.uk"].role) == (
        "Jane Smith",
        "Managing Director",
    )
    assert (page["omar@joes.co.uk"].name, page["omar@joes.co.uk"].role) == (
        "Omar Khan",
        "Head Chef",
    )
    assert (page["jane@joes.co.uk"].phone, page["omar@joes.co.uk"].phone) == ("+441", "+442")


def test_a_name_given_as_the_text_of_the_mailto_link() -> None:
    body = (
        '<footer><a href="mailto:sam@joes.co.uk">Sam Jones</a>'
        ' <a href="mailto:info@joes.co.uk">Info</a></footer>'
    )
    assert [c.name for c in found(body).values()] == ["Sam Jones", None]


def test_a_list_of_several_people_lends_no_name_to_a_bare_address() -> None:
    body = (
        "<div><p>Jane Smith</p><p>Omar Khan</p>"
        '<a href="mailto:jane@joes.co.uk">a</a><a href="mailto:omar@joes.co.uk">b</a></div>'
    )
    assert [c.name for c in found(body).values()] == [None, None]


def test_a_business_name_beside_a_mailbox_is_not_a_person() -> None:
    body = (
        "<footer><p>Joe's Coffee House</p>"
        '<p><a href="mailto:info@joes.co.uk">Email</a></p></footer>'
    )
    assert found(body)["info@joes.co.uk"].name is None


# contact_links


def test_contact_links_order_and_filters() -> None:
    html = (
        '<a href="/">Home</a><a href="/menu">Menu</a><a href="/find-us">Find us</a>'
        '<a href="about-us/#story">Our story</a><a href="https://www.joes.co.uk/#top">Top</a>'
        '<a href="https://designco.example/contact">Site by DesignCo</a>'
        '<a href="mailto:info@joes.co.uk">Contact</a><a href="ftp://joes.co.uk/contact">Files</a>'
        '<a href="https://shop.joes.co.uk/Get-In-Touch#form">Write to us</a>'
        '<a href="/about-us/">About</a>'
    )
    assert contact_links(html, page_url=URL) == [
        "https://shop.joes.co.uk/Get-In-Touch",
        "https://www.joes.co.uk/about-us/",
        "https://www.joes.co.uk/find-us",
    ]


def test_contact_links_find_impressum_kontakt_and_folded_accents() -> None:
    html = (
        '<a href="/team">Das Team</a><a href="/legal">Mentions légales</a>'
        '<a href="/de/impressum">Impressum</a><a href="/de/k">Kontakt</a>'
    )
    assert contact_links(html, page_url="https://joes.example/de/", limit=3) == [
        "https://joes.example/de/impressum",
        "https://joes.example/de/k",
        "https://joes.example/team",
    ]
    assert contact_links('<a href="/x">Mentions Légales</a>', page_url="https://joes.example/") == [
        "https://joes.example/x"
    ]


def test_contact_links_never_give_the_page_itself() -> None:
    html = '<a href="/contact#form">Contact</a><a href="/contact/">Contact again</a>'
    assert contact_links(html, page_url="https://joes.example/contact") == []


# rank_contacts


def test_rank_contacts_puts_named_people_first_and_webmail_last() -> None:
    contacts = [
        contact("joes@gmail.com", "webmail"),
        contact("info@joes.co.uk", "role"),
        contact("bookings@joes.co.uk", "role"),
        contact("al@joes.co.uk", "personal"),
        contact("hello@joes.co.uk", "role"),
        contact("bo@joes.co.uk", "personal", name="Bo Li"),
        contact("cy@joes.co.uk", "personal"),
        contact("contact@joes.co.uk", "role"),
        contact("enquiries@joes.co.uk", "role"),
        contact("di@joes.co.uk", "personal", name="Di Ng", role="Owner"),
    ]
    assert [c.email.split("@")[0] for c in rank_contacts(contacts)] == [
        "di",
        "bo",
        "al",
        "cy",
        "contact",
        "hello",
        "info",
        "enquiries",
        "bookings",
        "joes",
    ]
