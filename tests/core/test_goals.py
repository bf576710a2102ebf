"""parse_goal: the ways people write goals, the overrides a form sends, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.core import goal_text
from webapp.core.errors import GoalError
from webapp.core.goals import (
    DEFAULT_MAX_VOLUME,
    DEFAULT_VOLUME,
    EMPTY_GOAL_MESSAGE,
    HTML_GOAL_MESSAGE,
    MAX_GOAL_LENGTH,
    parse_goal,
)
from webapp.core.models import LeadGenGoal

D = DEFAULT_VOLUME


def fields(goal: LeadGenGoal) -> tuple[str, str, str | None, int, list[str], bool]:
    return (
        goal.target_persona,
        goal.target_region,
        goal.target_country,
        goal.volume,
        goal.preferred_channels,
        goal.include_monitoring,
    )


# (text, persona, region, country, volume, channels, monitoring)
PHRASINGS: list[tuple[str, str, str, str | None, int, list[str], bool]] = [
    ("Find 20 coffee shops in Manchester", "coffee shops", "Manchester", "GB", 20, [], False),
    ("50 dentists in Leeds and email them", "dentists", "Leeds", "GB", 50, ["email"], False),
    ("plumbers near Bristol, UK", "plumbers", "Bristol", "GB", D, [], False),
    (
        "Get me 100 florists in New York and monitor for new ones",
        "florists",
        "New York",
        "US",
        100,
        [],
        True,
    ),
    ("find me some bakeries in Paris", "bakeries", "Paris", "FR", D, [], False),
    ("Find twenty dentists in Leeds", "dentists", "Leeds", "GB", 20, [], False),
    ("Find a dozen florists in York", "florists", "York", "GB", 12, [], False),
    ("Find a hundred gyms in Glasgow", "gyms", "Glasgow", "GB", 100, [], False),
    ("Find twenty-five cafés in Leeds", "cafés", "Leeds", "GB", 25, [], False),
    ("Find two hundred and fifty bars in Leeds", "bars", "Leeds", "GB", 250, [], False),
    ("Find half a dozen bakers in Bath", "bakers", "Bath", "GB", 6, [], False),
    ("Find around 30 vets in Cardiff", "vets", "Cardiff", "GB", 30, [], False),
    ("about 30 vets in Cardiff", "vets", "Cardiff", "GB", 30, [], False),
    ("Find up to 30 vets in Cardiff", "vets", "Cardiff", "GB", 30, [], False),
    ("Find 20-30 dentists in Leeds", "dentists", "Leeds", "GB", 30, [], False),
    ("Find the top 10 restaurants in Leeds", "restaurants", "Leeds", "GB", 10, [], False),
    ("Find dentists in Leeds, 50 leads", "dentists", "Leeds", "GB", 50, [], False),
    ("Find 15 accountants in London, England", "accountants", "London", "GB", 15, [], False),
    ("Find 10 cafés in Austin, TX", "cafés", "Austin, TX", "US", 10, [], False),
    ("Find 10 cafés in Austin, Texas", "cafés", "Austin, Texas", "US", 10, [], False),
    ("Find 10 pubs in Dublin, Ireland", "pubs", "Dublin", "IE", 10, [], False),
    (
        "I need 40 vegan restaurants in Berlin, DE",
        "vegan restaurants",
        "Berlin",
        "DE",
        40,
        [],
        False,
    ),
    (
        "Find 20 vegan restaurants in Paris, France",
        "vegan restaurants",
        "Paris",
        "FR",
        20,
        [],
        False,
    ),
    ("Find 20 florists in Bristol UK", "florists", "Bristol", "GB", 20, [], False),
    ("Find 10 yoga studios", "yoga studios", "", None, 10, [], False),
    ("Find plumbers near me", "plumbers", "", None, D, [], False),
    ("Find 20 coffee shops in Manchester!!!", "coffee shops", "Manchester", "GB", 20, [], False),
    (
        "  Find   20  coffee   shops  in  Manchester ",
        "coffee shops",
        "Manchester",
        "GB",
        20,
        [],
        False,
    ),
    ("FIND 20 COFFEE SHOPS IN MANCHESTER", "coffee shops", "Manchester", "GB", 20, [], False),
    ("find 20 coffee shops in manchester", "coffee shops", "Manchester", "GB", 20, [], False),
    (
        "find 20 dentists in newcastle upon tyne",
        "dentists",
        "Newcastle upon Tyne",
        "GB",
        20,
        [],
        False,
    ),
    ("cafés in Zürich", "cafés", "Zürich", "CH", D, [], False),
    ("Find 30 gyms in São Paulo", "gyms", "São Paulo", "BR", 30, [], False),
    ("cafés <5 miles from Leeds", "cafés", "Leeds", "GB", D, [], False),
    ("Find 20 coffee shops within 5 miles of Leeds", "coffee shops", "Leeds", "GB", 20, [], False),
    (
        "Find 20 independent coffee shops in Manchester",
        "independent coffee shops",
        "Manchester",
        "GB",
        20,
        [],
        False,
    ),
    ("Looking for the best local plumbers in Bristol", "plumbers", "Bristol", "GB", D, [], False),
    ("Search for 25 hair salons in Sydney", "hair salons", "Sydney", "AU", 25, [], False),
    ("List 10 estate agents in Edinburgh", "estate agents", "Edinburgh", "GB", 10, [], False),
    (
        "Can you please find me 15 barbers in Liverpool?",
        "barbers",
        "Liverpool",
        "GB",
        15,
        [],
        False,
    ),
    ("In Manchester, find 20 coffee shops", "coffee shops", "Manchester", "GB", 20, [], False),
    ("Find 20 24-hour gyms in Leeds", "24-hour gyms", "Leeds", "GB", 20, [], False),
    ("Find five star hotels in Paris", "five star hotels", "Paris", "FR", D, [], False),
    ("Find 20 bars and restaurants in Leeds", "bars and restaurants", "Leeds", "GB", 20, [], False),
    (
        "Find 20 email marketing agencies in London",
        "email marketing agencies",
        "London",
        "GB",
        20,
        [],
        False,
    ),
    ("Find 20 call centres in Leeds", "call centres", "Leeds", "GB", 20, [], False),
    ("London dentists", "dentists", "London", "GB", D, [], False),
    (
        "Find 20 coffee shops in Manchester that serve brunch",
        "coffee shops that serve brunch",
        "Manchester",
        "GB",
        20,
        [],
        False,
    ),
    (
        "Find 20 coffee shops in Manchester and Leeds",
        "coffee shops",
        "Manchester and Leeds",
        "GB",
        20,
        [],
        False,
    ),
    ("Find 20 dentists in the Leeds area", "dentists", "Leeds", "GB", 20, [], False),
    ("Find bakeries across the UK", "bakeries", "UK", "GB", D, [], False),
    ("Find 20 hotels in Europe", "hotels", "Europe", None, 20, [], False),
    ("Find 20 dentists in springfield", "dentists", "Springfield", None, 20, [], False),
    ("Find dentists in Toronto, CA", "dentists", "Toronto", "CA", D, [], False),
    ("Find dentists in Fresno, CA", "dentists", "Fresno, CA", "US", D, [], False),
    (
        "Find 20 dentists in Leeds and send them an email sequence",
        "dentists",
        "Leeds",
        "GB",
        20,
        ["email"],
        False,
    ),
    (
        "Find 20 dentists in Leeds and reach out by email",
        "dentists",
        "Leeds",
        "GB",
        20,
        ["email"],
        False,
    ),
    ("Find 30 plumbers in Leeds to cold email", "plumbers", "Leeds", "GB", 30, ["email"], False),
    ("Cold email 30 plumbers in Leeds", "plumbers", "Leeds", "GB", 30, ["email"], False),
    ("Email 50 dentists in Leeds", "dentists", "Leeds", "GB", 50, ["email"], False),
    ("Find 20 dentists in Leeds. Email them.", "dentists", "Leeds", "GB", 20, ["email"], False),
    ("Find 20 dentists in Leeds, no email", "dentists", "Leeds", "GB", 20, [], False),
    ("Find 20 plumbers in Leeds and call them", "plumbers", "Leeds", "GB", 20, [], False),
    (
        "Find 20 dentists in Leeds and keep an eye out for new ones",
        "dentists",
        "Leeds",
        "GB",
        20,
        [],
        True,
    ),
    ("Find 20 dentists in Leeds and watch for new ones", "dentists", "Leeds", "GB", 20, [], True),
    ("Find 20 dentists in Leeds and track new openings", "dentists", "Leeds", "GB", 20, [], True),
    ("Find 20 dentists in Leeds and monitor weekly", "dentists", "Leeds", "GB", 20, [], True),
    ("Monitor new cafés in Leeds", "cafés", "Leeds", "GB", D, [], True),
    ("Find 20 dentists in Leeds but don't monitor", "dentists", "Leeds", "GB", 20, [], False),
    (
        "Find 20 dentists in Leeds, reach out by email and watch for new ones",
        "dentists",
        "Leeds",
        "GB",
        20,
        ["email"],
        True,
    ),
]


@pytest.mark.parametrize(
    ("text", "persona", "region", "country", "volume", "channels", "monitoring"), PHRASINGS
)
def test_reads_the_ways_people_write_goals(
    text: str,
    persona: str,
    region: str,
    country: str | None,
    volume: int,
    channels: list[str],
    monitoring: bool,
) -> None:
    goal = parse_goal(text)

    assert fields(goal) == (persona, region, country, volume, channels, monitoring)
    assert goal.raw_goal == text.strip()


@pytest.mark.parametrize(
    ("text", "timing"),
    [
        ("Find 20 dentists in Leeds", "asap"),
        ("Find 20 dentists in Leeds by Friday", "by Friday"),
        ("Find 20 dentists in Leeds this week", "this week"),
        ("Find 20 dentists in Leeds ASAP", "asap"),
        ("Find 20 dentists in Leeds as soon as possible", "asap"),
        ("Find 20 dentists in Leeds next month", "next month"),
        ("Find 20 dentists in Leeds within 2 weeks", "within 2 weeks"),
        ("Find 20 dentists in Leeds by the end of the week", "by the end of the week"),
        ("Find 20 dentists in Leeds before March 3rd", "before March 3rd"),
        ("Find 20 dentists in Leeds and email them by Friday", "by Friday"),
    ],
)
def test_reads_when_the_leads_are_wanted(text: str, timing: str) -> None:
    goal = parse_goal(text)

    assert goal.timing == timing
    assert (goal.target_persona, goal.target_region) == ("dentists", "Leeds")


@pytest.mark.parametrize(
    ("text", "field", "fragments"),
    [
        ("", "goal", [EMPTY_GOAL_MESSAGE]),
        ("   \n\t ", "goal", ["Type a goal", "Find 20 coffee shops in Manchester"]),
        ("Find 20 in Manchester", "persona", ["what kind of business", "for example"]),
        ("20", "persona", ["what kind of business", "Find 20 coffee shops"]),
        ("Manchester", "persona", ["what kind of business"]),
        ("Find 20 leads in Manchester", "persona", ["what kind of business"]),
        ("Find 0 dentists", "volume", ["between 1 and 500", "0"]),
        ("Find 1,000 dentists in Leeds", "volume", ["between 1 and 500", "1,000"]),
        ("Find 10 million dentists", "volume", ["between 1 and 500", "10,000,000"]),
        ("Find -5 dentists", "volume", ["between 1 and 500", "the goal asks for -5"]),
        ("Find 2.5 dentists", "volume", ["whole number", "2.5"]),
        ("<script>alert(1)</script>", "goal", [HTML_GOAL_MESSAGE]),
        ("Find 20 <b>dentists</b> in Leeds", "goal", [HTML_GOAL_MESSAGE]),
        ("Find dentists <img src=x onerror=alert(1)>", "goal", [HTML_GOAL_MESSAGE]),
        ("Find dentists <img src=x onerror=alert(1)", "goal", [HTML_GOAL_MESSAGE]),
        ("Find dentists in Leeds</b>", "goal", [HTML_GOAL_MESSAGE]),
        ("Find ＜script＞ dentists", "goal", [HTML_GOAL_MESSAGE]),
        ("Find 20 dentists\x00 in Leeds", "goal", ["control character", "U+0000"]),
        ("Find 20 dentists\x07 in Leeds", "goal", ["control character", "U+0007"]),
        ("Find 20 \u202edentists", "goal", ["control character", "U+202E"]),
        ("Find 20 " + "very " * 30 + "good dentists", "persona", ["100 characters or fewer"]),
    ],
)
def test_bad_goals_say_what_to_fix(text: str, field: str, fragments: list[str]) -> None:
    with pytest.raises(GoalError) as caught:
        parse_goal(text)

    assert caught.value.field == field
    for fragment in fragments:
        assert fragment in caught.value.message


def test_a_lone_less_than_sign_is_not_markup() -> None:
    goal = parse_goal("Find 10 cafés <5 miles from Leeds")

    assert (goal.target_persona, goal.target_region, goal.volume) == ("cafés", "Leeds", 10)


def test_a_huge_goal_fails_on_its_length_before_any_other_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def must_not_run(*args: Any) -> Any:
        raise AssertionError("the text was read before its length was checked")

    monkeypatch.setattr(goal_text, "_reject_controls", must_not_run)
    monkeypatch.setattr(goal_text, "_normalise", must_not_run)
    with pytest.raises(GoalError) as caught:
        parse_goal("<b>" + "x" * 1_000_000)

    assert caught.value.field == "goal"
    assert str(MAX_GOAL_LENGTH) in caught.value.message
    assert "1,000,003" in caught.value.message


def test_a_goal_of_exactly_the_limit_is_accepted() -> None:
    text = "Find dentists in Leeds" + " " * (MAX_GOAL_LENGTH - 22)

    assert len(text) == MAX_GOAL_LENGTH
    assert parse_goal(text).target_persona == "dentists"


# --- overrides --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"volume": 35}, ("dentists", "Leeds", "GB", 35, ["email"], False)),
        ({"volume": "35"}, ("dentists", "Leeds", "GB", 35, ["email"], False)),
        ({"volume": " 40 "}, ("dentists", "Leeds", "GB", 40, ["email"], False)),
        ({"volume": 12.0}, ("dentists", "Leeds", "GB", 12, ["email"], False)),
        ({"region": "Paris"}, ("dentists", "Paris", "FR", 50, ["email"], False)),
        ({"region": "springfield"}, ("dentists", "Springfield", None, 50, ["email"], False)),
        ({"region": ""}, ("dentists", "", None, 50, ["email"], False)),
        ({"country": "ie"}, ("dentists", "Leeds", "IE", 50, ["email"], False)),
        ({"country": "United States"}, ("dentists", "Leeds", "US", 50, ["email"], False)),
        ({"country": "UK"}, ("dentists", "Leeds", "GB", 50, ["email"], False)),
        ({"region": "Lyon", "country": "FR"}, ("dentists", "Lyon", "FR", 50, ["email"], False)),
        ({"persona": "Orthodontists"}, ("orthodontists", "Leeds", "GB", 50, ["email"], False)),
        ({"email": False}, ("dentists", "Leeds", "GB", 50, [], False)),
        ({"email": True}, ("dentists", "Leeds", "GB", 50, ["email"], False)),
        ({"monitoring": True}, ("dentists", "Leeds", "GB", 50, ["email"], True)),
        (
            {"volume": None, "region": None, "country": None, "persona": None, "email": None},
            ("dentists", "Leeds", "GB", 50, ["email"], False),
        ),
    ],
)
def test_overrides_win_over_the_text(
    overrides: dict[str, Any], expected: tuple[object, ...]
) -> None:
    assert fields(parse_goal("50 dentists in Leeds and email them", **overrides)) == expected


def test_email_and_monitoring_overrides_add_and_remove() -> None:
    goal = parse_goal(
        "Find 10 florists in Leeds and watch for new ones", email=True, monitoring=False
    )

    assert (goal.preferred_channels, goal.include_monitoring) == (["email"], False)


def test_timing_override_wins_and_defaults_to_asap() -> None:
    assert parse_goal("Find dentists by Friday", timing="next quarter").timing == "next quarter"
    assert parse_goal("Find dentists", timing="  ").timing == "asap"


def test_overrides_stand_in_for_what_the_text_lacks() -> None:
    goal = parse_goal("20", persona="coffee shops", region="Manchester")

    assert fields(goal) == ("coffee shops", "Manchester", "GB", 20, [], False)


def test_an_override_replaces_a_bad_volume_in_the_text() -> None:
    assert parse_goal("Find 0 dentists", volume=5).volume == 5


def test_max_and_default_volume_are_configurable() -> None:
    assert parse_goal("Find dentists").volume == DEFAULT_VOLUME
    assert parse_goal("Find dentists", default_volume=7).volume == 7
    assert parse_goal("Find dentists", default_volume=50, max_volume=10).volume == 10
    assert parse_goal("Find 1,000 dentists", max_volume=5000).volume == 1000
    with pytest.raises(GoalError, match="between 1 and 10 leads"):
        parse_goal("Find 11 dentists", max_volume=10)
    assert DEFAULT_MAX_VOLUME == 500


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"volume": -5}, "volume", "between 1 and 500 leads; you asked for -5"),
        ({"volume": 0}, "volume", "between 1 and 500"),
        ({"volume": 10_000_000}, "volume", "between 1 and 500"),
        ({"volume": "abc"}, "volume", "whole number"),
        ({"volume": 2.5}, "volume", "whole number"),
        ({"volume": True}, "volume", "whole number"),
        ({"volume": "9" * 50}, "volume", "whole number"),
        ({"country": "Narnia"}, "country", "two-letter ISO code"),
        ({"country": "XX"}, "country", "two-letter ISO code"),
        ({"country": 44}, "country", "must be text"),
        ({"region": "x" * 101}, "region", "100 characters or fewer"),
        ({"region": "<b>Leeds</b>"}, "region", "HTML markup"),
        ({"region": "Leeds\x00"}, "region", "control character"),
        ({"persona": "y" * 101}, "persona", "100 characters or fewer"),
        ({"persona": "<script>x</script>"}, "persona", "HTML markup"),
        ({"persona": "   "}, "persona", "what kind of business"),
        ({"timing": "<i>soon</i>"}, "timing", "HTML markup"),
        ({"email": "yes"}, "email", "true or false"),
        ({"monitoring": 1}, "monitoring", "true or false"),
    ],
)
def test_bad_overrides_name_their_field(
    overrides: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(GoalError) as caught:
        parse_goal("Find 20 dentists in Leeds", **overrides)

    assert caught.value.field == field
    assert fragment in caught.value.message


def test_an_unknown_override_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="colour"):
        parse_goal("Find 20 dentists in Leeds", colour="blue")


@pytest.mark.parametrize("config", [{"max_volume": 0}, {"default_volume": "20"}])
def test_bad_configuration_is_a_value_error(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="whole number of at least 1"):
        parse_goal("Find 20 dentists in Leeds", **config)


# --- any text ---------------------------------------------------------------------------------

GOAL_WORDS = st.sampled_from(
    "find get me 20 twenty a dozen 1,000 0 2.5 up to coffee shops dentists in near Leeds , UK"
    " Austin TX and email them monitor for new ones by Friday this week < > <b> the some"
    " - ( ) . ! cafés Zürich don't no with that leads".split()
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=600), st.lists(GOAL_WORDS, max_size=40).map(" ".join)))
def test_any_text_gives_a_goal_or_a_goal_error(text: str) -> None:
    try:
        goal = parse_goal(text)
    except GoalError as error:
        assert error.message
        assert error.field in {"goal", "volume", "region", "persona"}
        return
    assert 1 <= goal.volume <= DEFAULT_MAX_VOLUME
    assert goal.target_persona.strip()
    assert goal.target_persona == goal.target_persona.lower()
    assert len(goal.target_region) <= 100


@pytest.mark.parametrize("text", ["asdf", "asdf in Leeds", "qwerty uiop", "hello world"])
def test_words_that_name_no_business_are_asked_about(text: str) -> None:
    with pytest.raises(GoalError) as caught:
        parse_goal(text)
    assert caught.value.field == "persona"
    assert "could not find a kind of business" in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "Find 20 yoga studios in Leeds",
        "Find a florist in Bath",
        "web design agencies in Leeds",
        "20 HVAC engineers",
        "dog groomers near York",
    ],
)
def test_kinds_of_business_outside_any_list_are_still_read(text: str) -> None:
    assert parse_goal(text).target_persona


def test_a_kind_of_business_typed_in_its_field_is_taken_as_written() -> None:
    assert parse_goal("asdf", persona="Zorbing centres").target_persona == "zorbing centres"
