"""The layers of ARCHITECTURE.md: each package imports only the standard library, the
third-party packages of its row and the `webapp` layers below it; the core loads no web, storage
or HTTP module, and is given its tools. Every module opens with a docstring of 1 to 3 lines."""

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


WEBAPP = CORE.parent
# ARCHITECTURE.md's table: a module's layer -> (the webapp layers it may import, third party)
LAYERS: dict[str, tuple[set[str], set[str]]] = {
    "webapp.core": (set(), {"pydantic"}),
    "webapp.settings": ({"webapp.core"}, {"pydantic", "pydantic_settings"}),
    "webapp.tools.providers": (
        {"webapp.core", "webapp.settings"},
        {"httpx", "selectolax", "protego", "dns", "publicsuffixlist", "aiosmtplib", "pydantic"},
    ),
    "webapp.tools": ({"webapp.core", "webapp.settings", "webapp.tools.providers"}, {"httpx"}),
    "webapp.store": ({"webapp.core"}, {"aiosqlite", "pydantic", "pydantic_core"}),
    "webapp.runtime": (
        {
            "webapp.core",
            "webapp.settings",
            "webapp.tools",
            "webapp.tools.providers",
            "webapp.store",
        },
        {"argon2", "pydantic"},
    ),
    "webapp.leads_csv": ({"webapp.core"}, set()),
    "webapp.web": (
        {
            "webapp.core",
            "webapp.settings",
            "webapp.tools",
            "webapp.tools.providers",
            "webapp.store",
            "webapp.runtime",
            "webapp.leads_csv",
        },
        {
            "starlette",
            "sse_starlette",
            "jinja2",
            "markupsafe",
            "itsdangerous",
            "anyio",
            "uvicorn",
            "pydantic",
            "pydantic_core",
        },
    ),
}
COMMAND_LINE = ("webapp.cli", "webapp.__main__")  # may import everything


def layer_of(module: str) -> str:
    """The row of ARCHITECTURE.md's table a module belongs to."""
    for name in sorted(LAYERS, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    return module


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(WEBAPP.parent).with_suffix("").parts).removesuffix(".__init__")


def test_every_layer_imports_only_what_its_row_allows() -> None:
    offenders: dict[str, set[str]] = {}
    seen_layers = set()
    for path in sorted(WEBAPP.rglob("*.py")):
        module = module_name(path)
        if module == "webapp" or module.startswith(COMMAND_LINE):
            continue
        own = layer_of(module)
        assert own in LAYERS, f"{module} is in no layer of ARCHITECTURE.md: add it to the table"
        seen_layers.add(own)
        allowed_layers, third_party = LAYERS[own]
        bad = set()
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or name == "webapp":
                continue
            if top == "webapp":
                if layer_of(name) not in allowed_layers | {own}:
                    bad.add(name)
            elif top not in third_party and top not in ALLOWED_THIRD_PARTY:
                bad.add(name)
        if bad:
            offenders[module] = bad
    assert offenders == {}
    assert seen_layers == set(LAYERS)  # every row has modules: the table is the code's


def test_the_tools_and_their_providers_import_each_other_one_way() -> None:
    providers = WEBAPP / "tools" / "providers"
    back = {
        path.name: {
            name
            for name in imported_modules(path)
            if name.startswith("webapp.tools") and not name.startswith("webapp.tools.providers")
        }
        for path in providers.rglob("*.py")
    }
    assert {name: found for name, found in back.items() if found} == {}


def test_the_core_is_given_its_tools() -> None:
    executor = (CORE / "executor.py").read_text()
    assert "importlib" not in executor and "import_module" not in executor


def test_the_check_itself_notices_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import httpx\nfrom webapp.store import db\n")

    assert imported_modules(module) == {"httpx", "webapp.store"}


MAX_DOCSTRING_LINES = 3  # STYLE.md: what the module holds; stories go to ARCHITECTURE.md


def docstring_lines(path: Path) -> int:
    """How many lines the module's docstring has, blank ones around it left out (0: none)."""
    docstring = ast.get_docstring(ast.parse(path.read_text(), filename=str(path)), clean=False)
    return len(docstring.strip().splitlines()) if docstring else 0


def modules_with_bad_docstrings(root: Path) -> dict[str, int]:
    """The modules under `root` with no docstring or one longer than MAX_DOCSTRING_LINES, and
    how many lines theirs has."""
    return {
        str(path.relative_to(root)): lines
        for path in sorted(root.rglob("*.py"))
        if not 1 <= (lines := docstring_lines(path)) <= MAX_DOCSTRING_LINES
    }


def test_every_module_opens_with_a_docstring_of_one_to_three_lines() -> None:
    assert modules_with_bad_docstrings(WEBAPP) == {}


def test_the_check_itself_notices_a_long_or_missing_docstring(tmp_path: Path) -> None:
    code = (WEBAPP / "store" / "rows.py").read_text()
    body = code[code.index('"""', 3) + 3 :]  # the module without its docstring
    (tmp_path / "three.py").write_text('"""One.\nTwo.\nThree."""' + body)
    (tmp_path / "four.py").write_text('"""One.\n\nThree.\nFour.\n"""' + body)
    (tmp_path / "none.py").write_text(body.lstrip())

    assert modules_with_bad_docstrings(tmp_path) == {"four.py": 4, "none.py": 0}
