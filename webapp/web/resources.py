"""Where the templates and static files are: the repository's top-level `templates/` and
`static/` in a checkout, or the copies a wheel carries inside the package (`webapp/_site/`)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


def site_dir(name: str) -> Path:
    """`templates` or `static`: the checkout's own first, else the wheel's copy."""
    for candidate in (PACKAGE.parent / name, PACKAGE / "_site" / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(
        f"Cannot find the {name}/ folder next to the webapp package or inside it; "
        "reinstall leadgen."
    )


@lru_cache(maxsize=256)
def static_version(path: str) -> str:
    """A short content hash for cache-busting: /static/app.css?v=1a2b3c4d."""
    file = site_dir("static") / path
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()[:10]
    except OSError:
        return "missing"
