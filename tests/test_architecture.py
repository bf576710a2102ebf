"""Layering rules of DESIGN.md: the core imports only the stdlib, pydantic and itself."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import webapp.core

CORE = Path(webapp.core.__file__).parent
ALLOWED_THIRD_PARTY = {"pydantic", "pydantic_core", "typing_extensions", "annotated_types"}
FORBIDDEN_AT_RUNTIME = {
    "aiosqlite",
    "sqlite3",
    "httpx",
    "starlette",
    "sse_starlette",
    "jinja2",
    "uvicorn",
    "webapp.tools",
    "webapp.store",
    "webapp.web",
    "webapp.runtime",
    "webapp.cli",
    "webapp.settings",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_modules_import_only_stdlib_pydantic_and_the_core() -> None:
    offenders: dict[str, set[str]] = {}
    for path in sorted(CORE.rglob("*.py")):
        bad = {
            name
            for name in imported_modules(path)
            if not (
                name.split(".")[0] in sys.stdlib_module_names
                or name.split(".")[0] in ALLOWED_THIRD_PARTY
                or name == "webapp.core"
                or name.startswith("webapp.core.")
            )
        }
        if bad:
            offenders[path.name] = bad
    assert offenders == {}


def test_importing_the_core_loads_no_web_storage_or_http_module() -> None:
    code = "import sys, json, webapp.core; print(json.dumps(sorted(sys.modules)))"
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", code], text=True)))

    assert loaded & FORBIDDEN_AT_RUNTIME == set()


def test_the_check_itself_notices_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import httpx\nfrom webapp.store import db\n")

    assert imported_modules(module) == {"httpx", "webapp.store"}
