"""What every test shares: Hypothesis tries the same examples on every machine and every run,
CI included, and keeps no database (HYPOTHESIS_PROFILE=explore searches afresh each time)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

TESTS = Path(__file__).parent

settings.register_profile("repeatable", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


BROWSER_DIR = "browser"
SLOW_DIRS = ("faults",)  # real server processes, signals, storms of streams
SLOW_FILES = (  # whole plans over real HTTP against the providers' fakes: 3 to 20 s a file
    "tools/test_providers_end_to_end.py",
    "tools/test_providers_messy.py",
    "tools/test_provider_google_places.py",
    "tools/test_provider_website.py",
    "web/test_secrets.py",
    "web/test_login_bursts.py",  # argon2 at its real cost
    "web/test_accounts.py",  # ... and here
    "web/test_website_emails.py",
    "test_crash.py",  # a killed process
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`browser` for the tests that drive Chromium, `slow` for the fault tests (and any marked
    so by hand): `pytest -m "not browser and not slow"` is the fast inner loop."""
    for item in items:
        parts = item.path.relative_to(TESTS).parts
        if parts[0] == BROWSER_DIR:
            item.add_marker(pytest.mark.browser)
        elif parts[0] in SLOW_DIRS or "/".join(parts) in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
