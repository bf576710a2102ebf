"""The stylesheet and the vendored htmx files are served from here, with cache-busting links,
and the vendored files are exactly the pinned releases (static/vendor/README.md)."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from webapp.web.resources import site_dir

STATIC = site_dir("static")
VENDORED = ["htmx-2.0.11.min.js", "htmx-ext-sse-2.2.4.min.js"]


def pinned_checksums() -> dict[str, str]:
    """File name → sha256, from the table in static/vendor/README.md."""
    table = (STATIC / "vendor" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", table, re.MULTILINE)
    return dict(rows)


async def test_the_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/app.css")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.content == (STATIC / "app.css").read_bytes()


@pytest.mark.parametrize("name", VENDORED)
async def test_the_vendored_scripts_are_served(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/static/vendor/{name}")

    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert response.content == (STATIC / "vendor" / name).read_bytes()


def test_the_vendored_files_match_their_pinned_checksums() -> None:
    pinned = pinned_checksums()

    assert sorted(pinned) == sorted(VENDORED)
    for name, checksum in pinned.items():
        assert hashlib.sha256((STATIC / "vendor" / name).read_bytes()).hexdigest() == checksum


async def test_pages_link_static_files_with_a_hash_of_their_content(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/")).text

    links = re.findall(r'(?:href|src)="/static/([^"?]+)\?v=([0-9a-f]+)"', page)
    assert {"app.css", *(f"vendor/{name}" for name in VENDORED)} <= {path for path, _ in links}
    for path, version in links:
        assert hashlib.sha256((STATIC / path).read_bytes()).hexdigest().startswith(version)
        assert (await client.get(f"/static/{path}?v={version}")).status_code == 200
