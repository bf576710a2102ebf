"""What every test shares: Hypothesis tries the same examples on every machine and every run,
CI included, and keeps no database (HYPOTHESIS_PROFILE=explore searches afresh each time)."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
