"""A wheel carries templates/ and static/ inside the package (webapp/_site/), and the app finds
them there as well as in a checkout. Checked from pyproject.toml rather than by building."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any

import pytest

from webapp.web import resources

ROOT = Path(__file__).resolve().parents[2]
SITE = {"templates": "webapp._site.templates", "static": "webapp._site.static"}


def setuptools_config() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        config: dict[str, Any] = tomllib.load(file)["tool"]["setuptools"]
    return config


def test_a_checkout_serves_its_own_folders() -> None:
    assert resources.site_dir("templates") == ROOT / "templates"
    assert resources.site_dir("static") == ROOT / "static"
    assert (resources.site_dir("templates") / "index.html").is_file()


@pytest.mark.parametrize("folder", ["templates", "static"])
def test_every_file_of_the_site_folders_goes_into_the_wheel(folder: str) -> None:
    config = setuptools_config()
    package_dir = config["package-dir"]
    package_data = config["package-data"]
    for path in sorted((ROOT / folder).rglob("*")):
        if path.is_dir():
            continue
        relative = path.parent.relative_to(ROOT).as_posix()
        package = SITE[folder] + "".join(f".{part}" for part in Path(relative).parts[1:])
        assert package in config["packages"], f"{relative}/ is not a package of the wheel"
        assert package_dir[package] == relative
        patterns = package_data.get(package, [])
        assert any(fnmatch.fnmatch(path.name, p) for p in patterns), (
            f"{path.relative_to(ROOT)} matches none of {patterns}"
        )


def test_an_installed_wheel_serves_the_copies_inside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "webapp"
    for folder in ("templates", "static"):
        (package / "_site" / folder).mkdir(parents=True)
    monkeypatch.setattr(resources, "PACKAGE", package)

    assert resources.site_dir("templates") == package / "_site" / "templates"
    assert resources.site_dir("static") == package / "_site" / "static"
    with pytest.raises(RuntimeError, match="reinstall leadgen"):
        resources.site_dir("nowhere")
