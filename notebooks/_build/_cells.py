"""The one helper the notebook builders share: a list of ``("md" | "code", source)`` cells to a
notebook without outputs."""

from __future__ import annotations

import nbformat


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src.strip("\n")) if kind == "md"
                else nbformat.v4.new_code_cell(src.strip("\n")) for kind, src in cells]
    for i, cell in enumerate(nb.cells):  # stable ids: rebuilding an unchanged notebook changes nothing
        cell.id = f"cell-{i:02d}"
    return nb
