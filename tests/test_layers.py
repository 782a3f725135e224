"""The package is built in layers: every import points down (or sideways), never up, and never in a cycle.

DESIGN.md: ``cli`` -> ``alignment``, ``many``, ``benchmark``, ``training`` -> ``match``, ``rewrite`` ->
``catalog``, ``io``, names/chemistry -> ``schema``, ``errors`` and small utilities. The walk reads every
module's source with :mod:`ast` (imports inside functions included) so a lazy import cannot hide an
upward edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cobra_metalign"
TRAINING = Path(__file__).resolve().parents[1] / "training"

#: Layer of each module, by the longest matching dotted prefix (0 is the bottom).
LAYERS: dict[str, int] = {
    "cobra_metalign._version": 0,
    "cobra_metalign.errors": 0,
    "cobra_metalign.schema": 0,
    "cobra_metalign.cache": 0,
    "cobra_metalign.xmltext": 0,
    "cobra_metalign.logs": 0,
    "cobra_metalign.fingerprint": 1,
    "cobra_metalign.annotations": 1,
    "cobra_metalign.normalize": 1,
    "cobra_metalign.chem": 1,
    "cobra_metalign.compartments": 1,
    "cobra_metalign.io": 2,
    "cobra_metalign.catalog": 2,
    "cobra_metalign.matching": 3,
    "cobra_metalign.rewrite": 3,
    "cobra_metalign.merging": 4,
    "cobra_metalign.alignment": 4,
    "cobra_metalign.many": 4,
    "cobra_metalign.benchmark": 4,
    "cobra_metalign.training": 4,
    "cobra_metalign.cli": 5,
}


def _module_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for root, prefix in ((PACKAGE, "cobra_metalign"), (TRAINING, "cobra_metalign.training")):
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            files[".".join([prefix, *parts])] = path
    return files


def _layer(module: str) -> int | None:
    best = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, layer)
    return None if best is None else best[1]


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest known module that ``name`` (a dotted import target) names or lies in."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[tuple[str, str]]:
    """(imported module, imported attribute or '') pairs of one module, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name, modules)
                if target:
                    found.add((target, ""))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            for alias in node.names:
                target = _resolve(f"{base}.{alias.name}", modules) or _resolve(base, modules)
                if target:
                    attribute = "" if target == f"{base}.{alias.name}" else alias.name
                    found.add((target, attribute))
    return found


MODULES = _module_files()
GRAPH = {
    module: _imports(module, path, MODULES)
    for module, path in MODULES.items()
    if module != "cobra_metalign"  # the top-level lazy facade re-exports from every layer
}


def test_every_module_has_a_layer() -> None:
    missing = sorted(module for module in GRAPH if _layer(module) is None)
    assert not missing, f"assign these modules a layer in tests/test_layers.py: {missing}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module: str) -> None:
    own = _layer(module)
    upward = sorted(
        {
            target
            for target, _ in GRAPH[module]
            if target != "cobra_metalign" and (_layer(target) or 0) > (own or 0)
        }
    )
    assert not upward, f"{module} (layer {own}) imports upward: {upward}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_private_names_of_other_modules(module: str) -> None:
    private = sorted(
        f"{target}.{attribute}"
        for target, attribute in GRAPH[module]
        if attribute.startswith("_") and not attribute.startswith("__") and target != module
    )
    assert not private, f"{module} imports private names of other modules: {private}"


def test_nothing_imports_cli() -> None:
    importers = sorted(
        module
        for module, targets in GRAPH.items()
        if not module.startswith("cobra_metalign.cli")
        and any(target.startswith("cobra_metalign.cli") for target, _ in targets)
    )
    assert not importers, f"only the cli may import the cli: {importers}"


def test_no_import_cycles() -> None:
    edges = {
        module: sorted(
            {t for t, _ in targets if t in GRAPH and t != module and not module.startswith(t + ".")}
        )
        for module, targets in GRAPH.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
