"""The provider answer cache: what identifies an answer, expiry, and what is never kept."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.tools.fakes.osm import REMARK_TIMEOUT
from webapp.store import Store
from webapp.tools.providers.http import cache_key
from webapp.tools.providers.osm import _complete


def test_the_key_ignores_credentials_and_sees_everything_else() -> None:
    base = cache_key("Hunter", "GET", "https://h/v2/domain-search", {"params": {"domain": "a"}})
    with_key = cache_key(
        "Hunter",
        "GET",
        "https://h/v2/domain-search",
        {"params": {"domain": "a", "api_key": "secret"}, "headers": {"X-API-KEY": "secret"}},
    )
    other = cache_key("Hunter", "GET", "https://h/v2/domain-search", {"params": {"domain": "b"}})

    assert base == with_key
    assert base != other
    assert "secret" not in with_key


async def test_answers_expire_after_their_time_to_live(tmp_path: Path) -> None:
    store = await Store.open(str(tmp_path / "c.db"))
    clock = [1000.0]
    store.cache.wall_clock = lambda: clock[0]
    try:
        store.cache.put_soon("k", "Hunter", '{"body": "x"}', ttl_s=60)
        await store.writer.flush()
        fresh = await store.cache.get("k")
        clock[0] += 61
        stale = await store.cache.get("k")
    finally:
        await store.close()

    assert fresh == '{"body": "x"}'
    assert stale is None


def test_an_overpass_answer_with_a_remark_is_never_kept() -> None:
    request = httpx.Request("POST", "http://o/api/interpreter")
    finished = httpx.Response(200, json={"elements": []}, request=request)
    cut_short = httpx.Response(
        200, json={"elements": [], "remark": REMARK_TIMEOUT}, request=request
    )

    assert _complete(finished) is True
    assert _complete(cut_short) is False
    assert _complete(httpx.Response(200, text="<html>", request=request)) is False
