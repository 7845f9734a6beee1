"""The shape docs/architecture.md promises, checked on the source itself.

The import graph counts every ``import`` statement in ``src/quiver`` (top level, inside
functions and under ``TYPE_CHECKING``): an import circle hidden behind a lazy import is
still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import quiver
from quiver.domain.errors import QuiverError

SRC = Path(quiver.__file__).parent
DOCS = SRC.parent.parent / "docs" / "architecture.md"
# What each layer may import from Quiver (besides itself); a module's layer is its
# first package under quiver (``settings``/``privatefs`` count as their own layers).
ALLOWED = {
    "domain": set(),
    # the store factory reads its settings; settings check a storage URL with blobs.location
    "blobs": {"domain", "privatefs", "digests", "settings"},
    "db": {"domain", "privatefs"},
    "privatefs": set(),
    "digests": set(),
    "settings": {"domain", "blobs"},
    "services": {"domain", "db", "blobs", "settings", "privatefs", "digests"},
    "api": {"services", "domain", "db", "blobs", "settings", "privatefs", "digests"},
    "cli": {"api", "services", "domain", "db", "blobs", "settings", "privatefs", "digests"},
}
# Shared service modules any caller may use (the rest of a feature is its own business).
SHARED_SERVICES = {"access", "context", "records", "unitofwork", "caches", "diskfull", "tables"}
DOORS = {"service", "records", "models"}


def _module_name(path: Path) -> str:
    parts = ["quiver", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts and "__pycache__" not in path.parts
    }


def _imported(name: str, path: Path) -> Iterator[str]:
    """Every quiver module ``name`` imports (``from pkg import mod`` counts ``pkg.mod``)."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:
                    yield full
                elif base in known:
                    yield base


@cache
def graph() -> dict[str, frozenset[str]]:
    return {
        name: frozenset(target for target in _imported(name, path) if target != name)
        for name, path in modules().items()
    }


def _cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _layer(name: str) -> str:
    return name.split(".")[1] if name.count(".") else "quiver"


def test_the_cycle_finder_finds_a_circle() -> None:
    edges = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset()}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": frozenset({"b"}), "b": frozenset()}) == []


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert _cycles(graph()) == []


def test_layers_point_one_way() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        for target in sorted(targets)
        if _layer(name) in ALLOWED
        and _layer(target) != _layer(name)
        and _layer(target) not in ALLOWED[_layer(name)]
        and _layer(target) != "quiver"
    ]
    assert wrong == []


def _feature_part(target: str) -> tuple[str, str] | None:
    """(feature, module) for ``quiver.services.<feature>.<module>``; None for anything else."""
    parts = target.split(".")
    if len(parts) >= 4 and parts[:2] == ["quiver", "services"]:
        return parts[2], parts[3]
    return None


def test_api_and_cli_use_a_feature_through_its_door() -> None:
    """api and cli reach a feature through its service (or its records and tables)."""
    wrong = []
    for name, targets in graph().items():
        if _layer(name) not in ("api", "cli"):
            continue
        for target in sorted(targets):
            part = _feature_part(target)
            if part is not None and part[1] not in DOORS:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def _classes(package: str) -> Iterator[type]:
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if value.__module__ == info.name:
                yield value


def test_every_error_a_service_raises_descends_from_one_root() -> None:
    """Exceptions defined in domain and services are QuiverErrors (private control-flow
    signals, named with a leading underscore, excepted)."""
    stray = [
        f"{cls.__module__}.{cls.__qualname__}"
        for package in ("quiver.domain", "quiver.services")
        for cls in _classes(package)
        if issubclass(cls, BaseException)
        and not issubclass(cls, QuiverError)
        and not cls.__name__.startswith("_")
    ]
    assert stray == []


def test_services_speak_no_http() -> None:
    """No status codes in services: a class attribute ``status = 4xx`` or an HTTP import."""
    wrong = [
        str(path.relative_to(SRC))
        for name, path in modules().items()
        if _layer(name) == "services"
        and re.search(
            r"^\s*status(_code)?\s*=\s*[1-5]\d\d\b|^\s*(from|import) (fastapi|starlette)",
            path.read_text(),
            re.M,
        )
    ]
    assert wrong == []


@pytest.mark.parametrize("layer", ["api/rest", "cli/commands"])
def test_every_feature_module_is_in_the_architecture_table(layer: str) -> None:
    """docs/architecture.md names every REST router and CLI command module."""
    table = DOCS.read_text()
    missing = [
        f"{layer}/{path.name}"
        for path in sorted((SRC / layer).glob("*.py"))
        if not path.name.startswith("_") and f"{layer}/{path.name}" not in table
    ]
    assert missing == []


def test_every_service_feature_is_in_the_architecture_table() -> None:
    table = DOCS.read_text()
    missing = [
        f"services/{path.name}/"
        for path in sorted((SRC / "services").iterdir())
        if path.is_dir()
        and (path / "__init__.py").exists()
        and f"services/{path.name}/" not in table
    ]
    assert missing == []


def test_the_error_tree_drawn_in_domain_errors_names_every_error() -> None:
    import quiver.domain.errors as errors

    drawn = errors.__doc__ or ""
    missing = [
        cls.__name__
        for package in ("quiver.domain", "quiver.services")
        for cls in _classes(package)
        if issubclass(cls, QuiverError)
        and not cls.__name__.startswith("_")
        and not re.search(rf"[─ ]{cls.__name__}\b", drawn)
    ]
    assert missing == []


def test_every_error_of_the_tree_has_a_status() -> None:
    """Each class ``domain/errors.py`` defines has its own row in ``api.errors.STATUSES``."""
    from quiver.api.errors import STATUSES, status_of

    defined = [cls for cls in _classes("quiver.domain") if cls.__module__ == "quiver.domain.errors"]
    assert {cls for cls in defined if cls is not QuiverError} == set(STATUSES)
    assert status_of(QuiverError("x")) == 400
