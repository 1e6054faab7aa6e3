"""Integrity flags: code in a submission that could fool the tests instead of passing them.

The tests run in the student's own Python process, so code can hook IPython, replace builtins, patch a
module the tests call or redefine a test helper; none of that solves an exercise. Such a notebook is
graded but marked ``needs review``, with the reasons read from the syntax tree of every cell the student
wrote or changed (nothing is run). Code built at run time (``exec``, ``__import__``, ...) is flagged too.
"""

from __future__ import annotations

import ast
import re

from nbformat import NotebookNode

HOOKS = {
    "input_transformers_cleanup": "an IPython input transformer",
    "input_transformers_post": "an IPython input transformer",
    "ast_transformers": "an IPython AST transformer",
    "events": "an IPython event callback",
    "set_custom_exc": "an IPython exception handler",
    "showtraceback": "IPython's traceback display",
    "run_cell": "IPython's cell runner",
    "settrace": "a trace hook",
    "setprofile": "a profile hook",
    "excepthook": "the exception hook",
    "modules": "sys.modules",
}
DYNAMIC = {"exec", "eval", "compile", "__import__", "importlib", "builtins", "__builtins__"}


def _clean(source: str) -> str:
    """Cell source as Python: IPython magic and shell lines become ``pass`` (a cell magic's body stays)."""
    return re.sub(r"(?m)^([ \t]*)[%!].*$", r"\1pass", source)


def _root(node: ast.AST) -> str:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else ""


def _top_names(tree: ast.Module) -> set[str]:
    """Names a cell defines at its top level (functions, classes, assignments, imports)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _imports(tree: ast.Module) -> set[str]:
    """The names modules are imported as, anywhere in a cell (``import numpy as np`` gives ``np``)."""
    return {
        (a.asname or a.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for a in node.names
    }


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(_clean(source))
    except (SyntaxError, ValueError):
        return None


def _cell_concerns(tree: ast.Module, modules: set[str], helpers: set[str]) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in HOOKS:
            found.append(f"uses {HOOKS[node.attr]} ({node.attr})")
        if isinstance(node, ast.Name) and node.id in DYNAMIC:
            found.append(f"uses {node.id}")
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            targets = [node.args[0]] if node.func.id in ("setattr", "delattr") else []
        for target in targets:
            root = _root(target)
            if root in modules and not isinstance(target, ast.Name):
                found.append(f"patches the module {root}")
    redefined = sorted(_top_names(tree) & helpers)
    found += [f"redefines the test helper {name}" for name in redefined]
    return found


def concerns(nb: NotebookNode, release: NotebookNode) -> list[str]:
    """Why ``nb`` needs a human look (empty: nothing found) — one entry per cell and kind of concern."""
    released = {c.source for c in release.cells if c.cell_type == "code"}
    modules: set[str] = {"builtins", "sys", "IPython"}
    helpers: set[str] = set()
    for cell in [*release.cells, *nb.cells]:
        tree = _parse(cell.source) if cell.cell_type == "code" else None
        if tree is not None:
            modules |= _imports(tree)
            info = cell.metadata.get("nbgrader", {})
            if cell in release.cells and (info.get("grade") or info.get("locked")):
                helpers |= _top_names(tree) - _imports(tree)
    found = []
    for index, cell in enumerate(nb.cells):
        tree = _parse(cell.source) if cell.cell_type == "code" and cell.source not in released else None
        for concern in dict.fromkeys(_cell_concerns(tree, modules, helpers) if tree else []):
            found.append(f"cell {index} {concern}")
    return found
