"""The floor plan holds: layers import downwards only, no hidden imports, no cycles, small modules.

The rules are written out in docs/architecture.md; this file is their guard, so a
new module that breaks one fails here with its name and line, not in review.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("ioc", "feeds", "widgets", "pages", "app")
MAX_LINES = 450

# The core's own floors, lowest first: a module may import its floor and the ones below.
CORE_FLOORS: tuple[tuple[str, ...], ...] = (
    ("ioc.clock", "ioc.contract", "ioc.status", "ioc.build"),
    (
        "ioc.i18n",
        "ioc.config",
        "ioc.areas",
        "ioc.model",
        "ioc.district_view",
        "ioc.wall_view",
        "ioc.access",
        "ioc.notice",
        "ioc.telemetry",
    ),  # fmt: skip
    ("ioc.store",),
    ("ioc.metrics",),
    ("ioc.services",),
    (
        "ioc.identity",
        "ioc.scope",
        "ioc.api",
        "ioc.briefing",
        "ioc.bootstrap",
        "ioc.users",
        "ioc.alarms",
    ),
)
# What widgets may know of the core: plain data, texts and formats, never the store or services.
WIDGET_MAY_IMPORT = ("ioc.i18n", "ioc.clock", "ioc.model", "ioc.status", "ioc.areas",
                     "ioc.district_view", "ioc.wall_view", "ioc.contract")  # fmt: skip
# Who may import whom, by top floor (core <- adapters; core <- widgets <- pages <- app).
MAY_IMPORT = {
    "ioc": ("ioc",),
    "feeds": ("ioc", "feeds"),
    "widgets": ("widgets", *WIDGET_MAY_IMPORT),
    "pages": ("ioc", "widgets", "pages"),
    "app": ("ioc", "feeds", "widgets", "pages"),
}
HEAVY = ("flask", "dash", "sqlalchemy", "paho")


@dataclass(frozen=True)
class Import:
    """One first-party import statement: who, what, where, and whether at module level."""

    module: str
    target: str
    line: int
    top_level: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for top in FIRST_PARTY[:-1]:
        for path in sorted((ROOT / top).rglob("*.py")):
            found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _resolve(name: str) -> str:
    """The first-party module an import names (``from ioc.x import y`` may name module y)."""
    return name if name in SOURCES else name.rsplit(".", 1)[0] if "." in name else name


def _first_party(name: str) -> bool:
    return name.split(".")[0] in FIRST_PARTY


def _imports(module: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [n if n in SOURCES else node.module for n in names]
        else:
            continue
        for name in names:
            if _first_party(name):
                found.append(Import(module, _resolve(name), node.lineno, id(node) in top))
    return found


IMPORTS = [imp for module, path in SOURCES.items() for imp in _imports(module, path)]


def _floor(module: str) -> int:
    if module.endswith(".__main__"):  # an entry point stands on the top floor, wherever it lives
        return len(CORE_FLOORS) - 1
    for level, prefixes in enumerate(CORE_FLOORS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    raise AssertionError(f"{module} is on no floor of the core: add it to CORE_FLOORS")


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_import_inside_a_function_or_behind_type_checking():
    hidden = sorted({f"{i.module}:{i.line} imports {i.target}" for i in IMPORTS if not i.top_level})
    for module, path in SOURCES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hidden += [
            f"{module}:{node.lineno} has a TYPE_CHECKING guard"
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        ]
    assert not hidden, "a hidden import hides a cycle; fix the design:\n" + "\n".join(hidden)


def test_every_module_is_under_450_lines():
    paths = [*SOURCES.values(), *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    long = {
        str(p.relative_to(ROOT)): n
        for p in paths
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by concern: {long}"


def test_layers_import_downwards_only():
    wrong = sorted(
        {
            f"{i.module}:{i.line} imports {i.target}"
            for i in IMPORTS
            if not _within(i.target, MAY_IMPORT[i.module.split(".")[0]])
        }
    )
    assert not wrong, "a floor imports one above it or beside it:\n" + "\n".join(wrong)


def test_the_core_floors_point_down():
    wrong = sorted(
        {
            f"{i.module}:{i.line} imports {i.target}"
            for i in IMPORTS
            if i.module.startswith("ioc") and _floor(i.target) > _floor(i.module)
        }
    )
    assert not wrong, "a core module imports a floor above its own:\n" + "\n".join(wrong)


def test_packages_import_nothing_first_party_on_being_imported():
    # An __init__ that imports its package's modules runs them for anyone importing
    # one leaf: that is how the old ioc.services cycle hid.
    busy = [f"{i.module}:{i.line}" for i in IMPORTS if SOURCES[i.module].name == "__init__.py"]
    assert not busy, f"keep package __init__ files free of first-party imports: {busy}"


def test_no_import_cycles():
    graph: dict[str, set[str]] = {m: set() for m in SOURCES}
    for i in IMPORTS:
        if i.target in SOURCES and i.target != i.module:
            graph[i.module].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize(
    "modules",
    [
        ("widgets", "ioc.i18n", "ioc.contract"),
        ("ioc.clock", "ioc.i18n.format", "ioc.status", "ioc.model.wall", "ioc.model.metric"),
    ],
)
def test_leaves_load_no_web_server_no_database_no_broker(modules):
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(','.join(h for h in {HEAVY!r} if h in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"importing {modules} loads {out}"


def test_widgets_load_neither_the_store_nor_the_broker():
    names = sorted(m for m in SOURCES if m.startswith("widgets."))
    code = (
        "import importlib, sys\n"
        f"for m in {names!r}: importlib.import_module(m)\n"
        "print(','.join(h for h in ('flask', 'sqlalchemy', 'paho') if h in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"widgets load {out}"


def test_the_rules_are_checked_on_real_imports():
    # The guard itself must see the tree: a parser that found nothing would pass everything.
    assert len(SOURCES) > 60
    assert any(i.module == "pages.web" and i.target == "ioc.services.container" for i in IMPORTS)
    assert {m.split(".")[0] for m in SOURCES} == set(FIRST_PARTY)
