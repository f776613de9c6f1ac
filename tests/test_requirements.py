"""Dependencies are declared once and locked: every package the code imports is named in a ``.in``
file, the ``.txt`` locks pin every package (transitive ones too) with ``==`` and agree with their
``.in`` files, and this environment runs exactly the locked versions."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
DEV_DIRS = ("tests", "bench")
# The app's packages (psa, tickets, assist, rf_project, and any app added later), found on disk.
APP_DIRS = tuple(sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in DEV_DIRS))
FIRST_PARTY = {*APP_DIRS, *DEV_DIRS, "manage"}
LOCKS = {"requirements.txt": "requirements.in", "requirements-dev.txt": "requirements-dev.in"}
PIN = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*)==(\S+)$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(filename: str) -> dict[str, Requirement]:
    """What a ``.in`` file asks for: distribution -> requirement, following ``-r`` (not ``-c``, which only constrains)."""
    out: dict[str, Requirement] = {}
    for raw in (ROOT / filename).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-c "):
            continue
        if line.startswith("-r "):
            out.update(declared(line[3:].strip()))
            continue
        requirement = Requirement(line)
        out[normalise(requirement.name)] = requirement
    return out


def requirement_lines(filename: str) -> list[str]:
    return [line for line in (ROOT / filename).read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]


def pins(filename: str) -> dict[str, str]:
    """A lock's pins: distribution -> version."""
    return {m[1]: m[2] for m in map(PIN.match, requirement_lines(filename)) if m}


def pinned_because(filename: str) -> dict[str, set[str]]:
    """For each pin, what pip-compile says brought it in (its ``# via`` lines)."""
    out: dict[str, set[str]] = {}
    current = None
    for line in (ROOT / filename).read_text().splitlines():
        if m := PIN.match(line):
            current = m[1]
            out[current] = set()
        elif current and (via := re.match(r"^\s+#\s+(?:via\s+)?(\S.*)$", line)):
            out[current].add(via[1].strip())
        elif not line.startswith(" "):
            current = None
    return out


def imported_distributions(dirs: tuple[str, ...]) -> dict[str, str]:
    """Distribution -> one file that imports it, for every third-party import below ``dirs``."""
    to_distributions = packages_distributions()
    found: dict[str, str] = {}
    paths = [path for folder in dirs for path in (ROOT / folder).rglob("*.py")]
    if "rf_project" in dirs:
        paths.append(ROOT / "manage.py")
    for path in paths:
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
    runtime = declared("requirements.in")
    missing = {dist: where for dist, where in imported_distributions(APP_DIRS).items() if dist not in runtime}
    assert missing == {}, f"declare these in requirements.in (then recompile the locks): {missing}"


def test_every_package_the_tests_and_benchmarks_import_is_a_development_requirement():
    dev = declared("requirements-dev.in")
    missing = {dist: where for dist, where in imported_distributions(DEV_DIRS).items() if dist not in dev}
    assert missing == {}, f"declare these in requirements-dev.in (then recompile the locks): {missing}"


def test_httpx2_which_the_ai_engines_import_directly_is_declared_not_only_pulled_in_by_anthropic():
    assert "httpx2" in declared("requirements.in")
    assert "-r requirements.in" in pinned_because("requirements.txt")["httpx2"]


def test_every_line_of_the_locks_pins_one_version():
    for lock in LOCKS:
        loose = [line for line in requirement_lines(lock) if not PIN.match(line)]
        assert loose == [], f"{lock}: every line must be name==version (recompile with pip-compile): {loose}"


def test_every_package_a_requirements_in_file_asks_for_is_pinned_in_its_lock_within_the_declared_range():
    for lock, source in LOCKS.items():
        locked = pins(lock)
        for dist, requirement in declared(source).items():
            assert dist in locked, f"{source} asks for {dist} but {lock} does not pin it: recompile"
            assert requirement.specifier.contains(locked[dist], prereleases=True), (
                f"{lock} pins {dist}=={locked[dist]}, outside {source}'s {requirement}: recompile"
            )


def test_nothing_is_locked_that_no_requirements_in_file_or_locked_package_asks_for():
    for lock, source in LOCKS.items():
        locked = pins(lock)
        sources = {f"-r {name}" for name in (source, "requirements.in")} | {"-c requirements.txt"}
        stale = {}
        for dist, reasons in pinned_because(lock).items():
            by_a_package = {reason for reason in reasons if reason in locked}
            by_a_file = {reason for reason in reasons if reason in sources} and dist in declared(source)
            if not (by_a_package or by_a_file):
                stale[dist] = sorted(reasons)
        assert stale == {}, f"{lock} pins packages nothing asks for any more (recompile): {stale}"


def test_the_development_lock_installs_the_runtime_packages_at_the_versions_production_gets():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    differ = {dist: (pinned, dev.get(dist)) for dist, pinned in runtime.items() if dev.get(dist) != pinned}
    assert differ == {}, f"requirements.txt vs requirements-dev.txt: {differ}"


def test_the_locks_are_compiled_for_the_oldest_python_the_project_supports():
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert floor == ">=3.11"
    for lock in LOCKS:
        assert "autogenerated by pip-compile with Python 3.11\n" in (ROOT / lock).read_text(), lock


def test_this_environment_runs_exactly_the_locked_versions():
    drift = {}
    for dist, pinned in pins("requirements-dev.txt").items():
        try:
            installed = version(dist)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            drift[dist] = {"locked": pinned, "installed": installed}
    assert drift == {}, f"the environment differs from requirements-dev.txt (pip install -r requirements-dev.txt): {drift}"
