"""House rules of DESIGN.md, enforced: the engine is pure, the public surface is pinned."""

from __future__ import annotations

import ast
from pathlib import Path

import nurtura

PKG = Path(nurtura.__file__).parent
PURE = ("model", "engine")
FORBIDDEN_IMPORTS = ("nurtura.store", "nurtura.runtime", "nurtura.api", "nurtura.channels",
                     "nurtura.clock", "nurtura.cli", "nurtura.simulate", "sqlalchemy", "httpx",
                     "socket", "smtplib", "time", "random")
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "random"}


def _modules() -> list[Path]:
    return [p for part in PURE for p in (PKG / part).rglob("*.py")]


def test_model_and_engine_import_no_io_and_no_clock() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                bad = [f for f in FORBIDDEN_IMPORTS if name == f or name.startswith(f + ".")]
                assert not bad, f"{path.relative_to(PKG)} imports {name}"


def test_engine_never_reads_the_time() -> None:
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in FORBIDDEN_CALLS, (
                    f"{path.relative_to(PKG)}:{node.lineno} calls .{node.func.attr}()")


def test_every_module_starts_with_a_docstring() -> None:
    for path in PKG.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path.relative_to(PKG)} has no module docstring"


def test_public_surface_is_pinned() -> None:
    assert sorted(nurtura.__all__) == [
        "NurturaError", "Problem", "Process", "ProcessInvalid", "__version__", "load_process"]
