"""The shape of the code: every module sits in a layer of the import contract, is small, and says its concept.

`lint-imports` (run by scripts/test) checks the imports against the layers;
these tests keep the contract itself from silently missing a new module.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "knowledge")
MAX_LINES = 350


def contract(name: str) -> dict:
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["type"] == name)


def project_modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found.append((name, path))
    return found


def layer_of(module: str, layers: list[str]) -> int | None:
    for index, layer in enumerate(layers):
        for member in layer.replace(":", "|").split("|"):
            member = member.strip()
            if module == member or module.startswith(member + "."):
                return index
    return None


def test_every_project_module_is_in_a_layer_of_the_contract():
    layers = contract("layers")["layers"]
    outside = [m for m, _ in project_modules() if m != "bot" and layer_of(m, layers) is None]
    assert not outside, f"add these to [tool.importlinter] layers in pyproject.toml: {outside}"


@pytest.mark.parametrize("module, path", project_modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_module_is_small_and_its_first_line_says_its_concept(module, path):
    text = path.read_text()
    if path.relative_to(REPO).parts[0] in ("bot", "handlers"):
        assert len(text.splitlines()) <= MAX_LINES, f"{module} has more than {MAX_LINES} lines: split it by concept"
    docstring = ast.get_docstring(ast.parse(text))
    assert docstring and text.lstrip().startswith('"""'), f"{module} must open with a docstring naming its concept"


def test_an_installed_bot_carries_every_file_of_its_packages():
    """`pip install .` (not editable) ships every module and data file: a package left out of
    `packages.find` or a data file outside `package-data` would work here and fail once deployed."""
    from fnmatch import fnmatch

    from setuptools import find_namespace_packages

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = set(find_namespace_packages(where=str(REPO), include=config["packages"]["find"]["include"]))
    data: dict[str, list[str]] = config["package-data"]
    left_out = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            owner = ".".join(path.relative_to(REPO).parent.parts)
            if owner not in shipped or (
                path.suffix != ".py" and not any(fnmatch(path.name, pattern) for pattern in data.get(owner, []))
            ):
                left_out.append(str(path.relative_to(REPO)))
    assert not left_out, f"not in the installed package (pyproject.toml [tool.setuptools]): {left_out}"
