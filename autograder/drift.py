"""Compare a released notebook with what ``nbgrader generate_assignment`` makes from its master."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode

VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime", "colab", "outputId", "id")


def signature(nb: NotebookNode) -> list[dict[str, Any]]:
    """What must not drift: each cell's type, source and metadata (volatile fields dropped), in order."""
    cells = []
    for cell in nb.cells:
        metadata = {k: v for k, v in cell.get("metadata", {}).items() if k not in VOLATILE_CELL_METADATA}
        cells.append({"cell_type": cell.cell_type, "source": cell.source, "metadata": metadata})
    cells.append({"kernelspec": nb.metadata.get("kernelspec", {}).get("name")})
    return cells


def differences(released: NotebookNode, fresh: NotebookNode) -> list[str]:
    """Human-readable differences between a committed release and a freshly generated one (empty: none)."""
    old, new = signature(released), signature(fresh)
    problems = []
    if len(old) != len(new):
        problems.append(f"{len(old) - 1} cells committed, {len(new) - 1} generated")
    for index, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            problems.append(f"cell {index}: {', '.join(keys)} differ")
    outputs = [i for i, c in enumerate(released.cells) if c.get("outputs") or c.get("execution_count")]
    if outputs:
        problems.append(f"cells {outputs} have outputs or execution counts (strip them)")
    return problems
