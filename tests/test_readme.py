"""The README opens with the two commands, and CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", text)


def test_the_readme_opens_with_the_run_and_test_commands() -> None:
    run, test = readme_commands()[:2]
    script = (ROOT / test.split()[-1]).read_text()

    assert "pip install" in run and "python -m webapp serve" in run
    assert test == "bash scripts/test.sh"
    for step in ("apt-get install", "chromium", "pip install", "ruff", "mypy", "pytest"):
        assert step in script


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()

    assert readme_commands()[1] in ci
