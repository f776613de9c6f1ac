"""The requirements files declare every package the code imports, each with an upper bound."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_DIRS = ("psa", "tickets", "assist", "rf_project")
DEV_DIRS = ("tests", "bench")
FIRST_PARTY = {*APP_DIRS, *DEV_DIRS, "manage"}
LINE = re.compile(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?(.*)$")


def declared(filename: str) -> dict[str, str]:
    """Distribution name (normalised) -> its version specifier, following ``-r`` includes."""
    out: dict[str, str] = {}
    for raw in (ROOT / filename).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            out.update(declared(line[3:].strip()))
            continue
        name, _extras, spec = LINE.match(line).groups()
        out[normalise(name)] = spec.strip()
    return out


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_distributions(dirs: tuple[str, ...]) -> dict[str, str]:
    """Distribution -> one file that imports it, for every third-party import below ``dirs``."""
    to_distributions = packages_distributions()
    found: dict[str, str] = {}
    for folder in dirs:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in FIRST_PARTY or top in sys.stdlib_module_names:
                        continue
                    for dist in to_distributions.get(top, [top]):
                        found.setdefault(normalise(dist), str(path.relative_to(ROOT)))
    return found


def test_every_package_the_app_imports_is_a_runtime_requirement():
    runtime = declared("requirements.txt")
    missing = {dist: where for dist, where in imported_distributions(APP_DIRS).items() if dist not in runtime}
    assert missing == {}, f"declare these in requirements.txt: {missing}"


def test_every_package_the_tests_and_benchmarks_import_is_a_development_requirement():
    dev = declared("requirements-dev.txt")
    missing = {dist: where for dist, where in imported_distributions(DEV_DIRS).items() if dist not in dev}
    assert missing == {}, f"declare these in requirements-dev.txt: {missing}"


def test_every_requirement_has_a_floor_and_an_upper_bound():
    for filename in ("requirements.txt", "requirements-dev.txt"):
        for dist, spec in declared(filename).items():
            assert re.fullmatch(r">=[0-9.]+,<[0-9.]+", spec), f"{filename}: {dist}{spec} needs >=X,<Y"
