"""The shape of the code, kept: stages import only the stages below them, no module imports itself through
others (TYPE_CHECKING imports included), and no module grows past 300 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
PACKAGE = "snapdesk"

# What each stage may import besides itself and the shared base (errors, config). A stage lower in the flow
# never imports a higher one: the service and the CLI sit on top, the store and the intake at the bottom.
BASE = {"errors", "config"}
ALLOWED: dict[str, set[str]] = {
    "safety": set(),
    "intake": set(),
    "knowledge": set(),
    "store": set(),
    "perception": {"safety"},
    "answering": {"knowledge", "perception", "safety"},
    "engines": {"answering", "intake", "knowledge", "perception", "safety"},
    "answer": {"answering", "engines", "intake", "knowledge", "perception", "safety"},
    "assistant": {"answer", "answering", "engines", "intake", "knowledge", "perception", "safety", "store"},
    "evaluation": {"answer", "assistant"},
    "web": set(),
    "service": {  # evaluation: the console saves a conversation's turn as a case of the shop's regression set
        "answer",
        "assistant",
        "answering",
        "engines",
        "evaluation",
        "intake",
        "knowledge",
        "perception",
        "safety",
        "store",
        "web",
    },
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = SRC.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _imports(path: Path) -> Iterator[str]:
    """The snapdesk modules a file imports, at any level (function bodies and TYPE_CHECKING blocks too);
    `from package import submodule` counts as importing the submodule."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith(PACKAGE))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(anchor + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith(PACKAGE):
                continue
            submodules = [f"{target}.{alias.name}" for alias in node.names if _is_module(f"{target}.{alias.name}")]
            yield from submodules or [target]


def _graph() -> dict[str, set[str]]:
    return {_module_name(path): set(_imports(path)) for path in (SRC / PACKAGE).rglob("*.py")}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else PACKAGE


def _upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if (stage := _stage(module)) in ALLOWED
        and (other := _stage(target)) != stage
        and other not in BASE
        and other not in ALLOWED[stage]
    )


def _cycles(graph: dict[str, set[str]], packages: set[str]) -> list[list[str]]:
    """Package __init__ files only re-export their modules: edges into and out of them are left out."""
    edges = {m: {t for t in ts if t not in packages and t != m} for m, ts in graph.items() if m not in packages}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    return cycles


def test_stages_import_only_the_stages_below_them() -> None:
    assert _upward(_graph()) == []


def test_no_import_cycles() -> None:
    graph = _graph()
    packages = {name for name in graph if (SRC.joinpath(*name.split(".")) / "__init__.py").exists()}
    assert _cycles(graph, packages) == []


def test_modules_stay_under_300_lines() -> None:
    files = [*(SRC / PACKAGE).rglob("*.py"), *(REPO / "benchmarks").rglob("*.py")]
    long = {str(path.relative_to(REPO)): n for path in files if (n := len(path.read_text().splitlines())) > 300}
    assert long == {}


def test_the_checks_find_an_upward_import_and_a_cycle() -> None:
    """The walkers find what they look for (else an empty list would prove nothing)."""
    assert "snapdesk.store.cache" in _graph()["snapdesk.assistant"]  # `from .store.cache import` is seen
    made_up = {
        "snapdesk.assistant": {"snapdesk.service.chat"},
        "snapdesk.knowledge.a": {"snapdesk.knowledge.b", "snapdesk.knowledge"},
        "snapdesk.knowledge.b": {"snapdesk.knowledge.a"},
        "snapdesk.knowledge": {"snapdesk.knowledge.a"},
    }
    assert _upward(made_up) == ["snapdesk.assistant imports snapdesk.service.chat"]
    assert _cycles(made_up, {"snapdesk.knowledge"}) == [
        ["snapdesk.knowledge.a", "snapdesk.knowledge.b", "snapdesk.knowledge.a"]
    ]
