"""constraints.txt pins what a fresh machine installs; it must agree with pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]


def pins() -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not name==version"
            found[canonicalize_name(name)] = Version(version)
    return found


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in [*project["dependencies"], *extras]]


def test_every_declared_dependency_is_pinned_at_a_version_pyproject_allows():
    """A dependency added to pyproject.toml but not pinned would install the newest release on every fresh machine."""
    pinned = pins()
    unpinned = [str(r) for r in declared() if canonicalize_name(r.name) not in pinned]
    assert not unpinned, f"add these to constraints.txt (see its header): {unpinned}"
    outside = [
        f"{r} but {pinned[canonicalize_name(r.name)]}"
        for r in declared()
        if pinned[canonicalize_name(r.name)] not in r.specifier
    ]
    assert not outside, f"constraints.txt pins versions pyproject.toml does not allow: {outside}"
