"""The package's rooms: no module imports from a layer above its own, and no import cycle.

Read from the source with `ast` (imports inside functions count too).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "liveroom"

#: lowest first; a module may import its own layer and those below it
LAYERS = [
    ("domain", "cities", "i18n", "archive", "config", "embedded", "streams", "connections",
     "access.roles", "access.secrets", "trackers", "live.keys"),
    ("room",),
    ("access", "commands", "notify"),
    ("projections.base",),
    ("live", "reporting"),
    ("projections", "backup"),
    ("demo",),
    ("api",),
    ("cli", "servers", "__main__"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """What a module imports, as module names (`from x import y` names x.y when y is a
    module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names
                      if _is_module(f"{node.module}.{alias.name}")}
    return found


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def layer_of(module: str) -> int:
    inside = module.removeprefix("liveroom.")
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = inside == prefix or inside.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    return {name: {i for i in imports_of(path) if i.split(".")[0] in (
        "liveroom", "app", "callbacks", "layouts")} for name, path in modules.items()}


def test_no_module_imports_from_a_layer_above_its_own():
    upward = sorted(
        f"{module} (layer {layer_of(module)}) imports {target}"
        + ("" if not target.startswith("liveroom") else f" (layer {layer_of(target)})")
        for module, targets in graph().items() for target in targets
        if module != "liveroom" and target != "liveroom" and (
            not target.startswith("liveroom.") or layer_of(target) > layer_of(module)))
    assert upward == []


def test_there_is_no_import_cycle():
    edges = graph()
    cycles, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append(" -> ".join([*path[path.index(module):], module]))
            return
        if module in done:
            return
        for target in sorted(edges.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])
    assert cycles == []
