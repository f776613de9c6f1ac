"""Apps import in one direction: ``psa`` <- ``tickets`` <- ``assist`` / ``teams``; ``rf_project`` only wires.

Read from the source (every import statement, wherever it sits), so a new import against the
direction fails here before it becomes a cycle. Imports inside functions are not allowed to reach
another of our apps either (they hide cycles); the one place for a late import is an AppConfig's
``ready()``, where receivers are connected.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("psa", "tickets", "assist", "teams", "rf_project")
# What each app may import from our code (itself included).
ALLOWED = {
    "psa": {"psa"},
    "tickets": {"psa", "tickets"},
    "assist": {"psa", "tickets", "assist"},
    "teams": {"psa", "tickets", "teams"},
    "rf_project": set(APPS),
}


def _sources(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imports(tree: ast.AST):
    """(imported app, line, inside a function?) for every import of one of our apps."""
    found = []

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            names = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            for name in names:
                top = name.split(".")[0]
                if top in APPS:
                    found.append((top, child.lineno, in_function, child))
            visit(child, nested)

    visit(tree, False)
    return found


def _in_ready(tree: ast.AST, node: ast.AST) -> bool:
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and function.name == "ready":
            if any(inner is node for inner in ast.walk(function)):
                return True
    return False


@pytest.mark.parametrize("app", APPS)
def test_each_app_imports_only_the_apps_below_it(app):
    wrong = []
    for path in _sources(app):
        for imported, line, _, _ in _imports(ast.parse(path.read_text(), str(path))):
            if imported not in ALLOWED[app]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert wrong == []


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_our_code_inside_a_function_except_in_app_ready(app):
    late = []
    for path in _sources(app):
        tree = ast.parse(path.read_text(), str(path))
        for imported, line, in_function, node in _imports(tree):
            if in_function and not _in_ready(tree, node):
                late.append(f"{path.relative_to(ROOT)}:{line} imports {imported} inside a function")
    assert late == []


def test_the_checker_sees_an_import_against_the_direction(tmp_path):
    tree = ast.parse("from assist import services\n\ndef f():\n    from tickets import service\n")
    found = [(app, in_function) for app, _, in_function, _ in _imports(tree)]
    assert found == [("assist", False), ("tickets", True)]
