"""parse_goal on anything at all, as a form or a JSON body could send it: the goal's text and
every override of any type, with any limits. The answer is a goal within those limits or a
GoalError that names the field and says what to do; never another exception."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from webapp.core.errors import GoalError
from webapp.core.goals import MAX_FIELD_LENGTH, MAX_GOAL_LENGTH, parse_goal

FIELDS = {"goal", "volume", "region", "country", "persona", "email", "monitoring", "timing"}
TAG = re.compile(r"<\s*/?\s*[a-z!?][^<>]*>", re.IGNORECASE)  # a whole tag
WORDS = st.sampled_from(
    "Find find get 20 twenty a dozen 0 -3 2.5 1e9 999999 coffee shops dentists plumbers in near"
    " Leeds UK , GB US Austin TX and email them monitor for new ones by Friday < > <b> <script>"
    " &lt; \" ' \x00 \u202e =HYPERLINK( @ + - cafés Zürich".split()
)
GOALS = st.sampled_from(
    [
        "Find 20 coffee shops in Manchester",
        "50 dentists in Leeds and email them",
        "plumbers near Bristol, UK and monitor for new ones",
        "Get me a dozen bakeries in Austin, TX by Friday",
    ]
)
TEXT = st.one_of(
    GOALS,
    st.tuples(GOALS, st.lists(WORDS, max_size=8).map(" ".join)).map(" ".join),
    st.lists(WORDS, max_size=30).map(" ".join),
    st.text(max_size=MAX_GOAL_LENGTH + 20),
)
# Whatever a JSON body can carry, and then some (bytes, long text: what a caller might pass).
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
ANY = st.one_of(JSON, st.binary(max_size=10), st.text(min_size=90, max_size=130))
PLAUSIBLE = {
    "persona": st.one_of(st.sampled_from(["cafes", "dentists", 'x" y', "<b>"]), TEXT),
    "region": st.one_of(st.sampled_from(["Leeds", "Austin, TX", "", "Zürich"]), TEXT),
    "country": st.sampled_from(["GB", "us", "Narnia", "", "XX", "gb "]),
    "volume": st.one_of(st.integers(-5, 2000), st.integers(0, 2000).map(str)),
    "email": st.booleans() | st.none(),
    "monitoring": st.booleans() | st.none(),
    "timing": st.one_of(st.sampled_from(["by Friday", "asap", "<i>now</i>"]), TEXT),
}
OVERRIDES = st.fixed_dictionaries(
    {}, optional={name: st.one_of(value, value, value, ANY) for name, value in PLAUSIBLE.items()}
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(GOALS, TEXT, ANY), overrides=OVERRIDES, top=st.integers(1, 1000) | st.just(500)
)
@example(text="Find 20 cafes in Leeds", overrides={"volume": float("inf")}, top=500)
@example(text="Find 20 cafes in Leeds", overrides={"volume": 10**400}, top=500)
@example(text="Find 20 cafes in Leeds", overrides={"country": ["GB"]}, top=500)
@example(text="Find 20 cafes in Leeds", overrides={"region": "x" * 101}, top=500)
def test_anything_gives_a_goal_within_limits_or_a_goal_error(
    text: Any, overrides: dict[str, Any], top: int
) -> None:
    try:
        goal = parse_goal(text, **overrides, max_volume=top)
    except GoalError as error:
        event(f"refused: {error.field}")
        assert error.message.strip()
        assert error.field in FIELDS
        return
    event("a goal")
    assert isinstance(text, str) and len(text.strip()) <= MAX_GOAL_LENGTH
    assert 1 <= goal.volume <= top
    assert goal.target_persona.strip()
    for value in (goal.target_persona, goal.target_region, goal.timing or ""):
        assert not TAG.search(value), value
        assert len(value) <= MAX_GOAL_LENGTH
    assert len(goal.target_region) <= MAX_FIELD_LENGTH
    for name in ("persona", "region"):
        if isinstance(overrides.get(name), str) and overrides[name].strip():
            assert len(overrides[name].strip()) <= MAX_FIELD_LENGTH
    if goal.target_country is not None:
        assert re.fullmatch(r"[A-Z]{2}", goal.target_country)
    assert isinstance(goal.include_monitoring, bool)
