"""Write constraints.txt: the exact versions, installed in this environment, of everything
``pip install -e ".[dev]"`` needs (the project's runtime and dev dependencies and theirs).

pyproject.toml keeps ranges (what works); constraints.txt pins what CI and ``make install``
test with, so ruff, mypy, import-linter and pytest do not change between two runs.
Anything else installed in the venv by hand is left out. Run from the project's venv after
upgrading what you meant to upgrade: .venv/bin/python scripts/constraints.py
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "constraints.txt"
HEADER = """\
# What make install and CI test with: exact versions of the runtime and dev dependencies.
# pyproject.toml says which ranges work; refresh this file with scripts/constraints.py.
"""


def _wanted(requirement: Requirement, extras: frozenset[str]) -> bool:
    """Whether ``requirement`` applies here, for a package installed with ``extras``."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras or {""})


def pinned_closure(requirements: list[Requirement]) -> dict[str, str]:
    """Installed name -> version of ``requirements`` and, transitively, their dependencies
    (with the extras each was asked for)."""
    pins: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(r, frozenset[str]()) for r in requirements]
    while pending:
        requirement, parent_extras = pending.pop()
        if not _wanted(requirement, parent_extras):
            continue
        extras = frozenset(requirement.extras)
        key = (canonicalize_name(requirement.name), extras)
        if key in seen:
            continue
        seen.add(key)
        try:
            installed = distribution(requirement.name)
        except PackageNotFoundError:
            raise SystemExit(
                f"{requirement.name} is not installed: run make install first"
            ) from None
        pins[installed.metadata["Name"]] = installed.version
        pending += [(Requirement(r), extras) for r in installed.requires or []]
    return pins


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = pinned_closure([Requirement(r) for r in declared])
    lines = [f"{name}=={pins[name]}" for name in sorted(pins, key=canonicalize_name)]
    OUT.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT.name}: {len(lines)} packages")


if __name__ == "__main__":
    main()
