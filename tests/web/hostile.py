"""What the escaping tests share: the payloads an attacker would type (or plant in a provider's
data), and a reader that says whether a page, fragment or SVG would run any of them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ATTRIBUTE = 'x" onmouseover="alert(1)'  # plain words to the goal parser, an attribute if unescaped
ENTITIES = "&lt;script&gt;alert(2)&lt;/script&gt;"  # must show as typed, not as a tag
MARKUP = (SCRIPT, IMG)
HYPERLINK = '=HYPERLINK("http://evil.example","x")'
FORMULAS = (HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1")
NEUTRALISED = ("'",)  # what a formula cell of the CSV starts with
RAW_MARKS = ("<script>alert", "<img src=x", "onerror=alert(1)>", 'onmouseover="alert')
LINK_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "sse-connect"})
UNSAFE_SCHEMES = re.compile(r"^(?:javascript|vbscript|data):", re.IGNORECASE)
URL_IGNORED = re.compile(r"[\t\n\r]")  # browsers drop these anywhere in a URL
STATIC_SCRIPT = re.compile(r"^/static/[\w./-]+\.js\?v=\w+$")


class _Scan(HTMLParser):
    """Everything in a document that a browser would run: script elements that are not our
    own static files, images and frames, event-handler attributes (`on*`, htmx's `hx-on`) and
    links to javascript:, vbscript: or data: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and not STATIC_SCRIPT.match(values.get("src", "")):
            self.found.append(f"<script {values}>")
        if tag in ("img", "iframe", "object", "embed", "image", "foreignobject"):
            self.found.append(f"<{tag} {values}>")
        if tag == "a" and "href" in values:
            self.links.append(values["href"])
        for name, value in values.items():
            if name.startswith(("on", "hx-on")):
                self.found.append(f"{name}={value!r} on <{tag}>")
            url = URL_IGNORED.sub("", value).lstrip("".join(map(chr, range(33))))
            if name in LINK_ATTRIBUTES and UNSAFE_SCHEMES.match(url):
                self.found.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def scan(document: str) -> _Scan:
    parser = _Scan()
    parser.feed(document)
    parser.close()
    return parser


def assert_inert(document: str, where: str) -> None:
    """Nothing typed or planted comes back as markup: not as raw text, not once parsed."""
    for mark in RAW_MARKS:
        assert mark not in document, f"{mark!r} unescaped in {where}"
    found = scan(document).found
    assert not found, f"{where} would run: {found}"


def visible_text(document: str) -> str:
    """The text a browser shows (entities decoded), runs of white space made one space."""
    return " ".join("".join(scan(document).text).split())


def graph_titles(document: str) -> dict[str, str]:
    """Each plan-graph node's tooltip, read by an XML parser from the page's first <svg>: the
    SVG must be well-formed, and what a user typed must come back out as the same text."""
    match = re.search(r"<svg\b.*?</svg>", document, re.DOTALL)
    assert match, "no svg"
    root = ET.fromstring(match.group(0))
    titles = {}
    for node in root.iter("g"):
        title = node.find("title")
        if node.get("id", "").startswith("node-") and title is not None:
            titles[node.get("id", "").removeprefix("node-")] = title.text or ""
    return titles
