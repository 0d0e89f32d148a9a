"""The ways in stay apart: the JSON API and the pages share matcher.http, never each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MATCHER = Path(__file__).resolve().parents[2] / "matcher"


def _module_of(path: Path) -> str:
    parts = path.relative_to(MATCHER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, as absolute names."""
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            # ``from matcher.web import views`` imports the module matcher.web.views.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _imports_under(package: str) -> dict[str, set[str]]:
    root = MATCHER.parent.joinpath(*package.split("."))
    return {_module_of(path): _imports(path) for path in sorted(root.rglob("*.py"))}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("matcher.api", "matcher.web"),
        ("matcher.web", "matcher.api"),
        ("matcher.http", "matcher.api"),
        ("matcher.http", "matcher.web"),
    ],
)
def test_a_way_in_does_not_import_another(importer: str, imported: str):
    crossing = {
        module: sorted(name for name in names if _within(name, imported))
        for module, names in _imports_under(importer).items()
    }
    assert {module: names for module, names in crossing.items() if names} == {}


def test_a_view_module_imports_no_other_view_module():
    views = "matcher.web.views"
    crossing = {
        module: sorted(name for name in names if _within(name, views) and name != module)
        for module, names in _imports_under(views).items()
        if module != views
    }
    assert {module: names for module, names in crossing.items() if names} == {}


def test_services_take_settings_from_their_caller():
    readers = {
        module: names & {"flask.current_app", "flask.g", "flask.request"}
        for module, names in _imports_under("matcher.services").items()
    }
    assert {module: sorted(names) for module, names in readers.items() if names} == {}


@pytest.mark.parametrize("library", ["matcher.engine", "matcher.allocation"])
def test_a_pure_library_reaches_for_no_framework_and_no_database(library: str):
    # The matching engine and the allocation take arrays and lists and give them back, so
    # workers, benches and tests can run them with no app, session or broker.
    outside = ("flask", "sqlalchemy", "celery", "matcher.models", "matcher.services")
    crossing = {
        module: sorted(name for name in names if any(_within(name, o) for o in outside))
        for module, names in _imports_under(library).items()
    }
    assert {module: names for module, names in crossing.items() if names} == {}


def test_the_walk_sees_imports_inside_functions_and_from_packages():
    assert _imports(MATCHER / "web" / "__init__.py") >= {
        "matcher.web.views.accounts",
        "matcher.web.views.public",
    }
