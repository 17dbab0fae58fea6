"""Execute every tutorial notebook top to bottom with HBKIT_FAST=1 (no browser needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("HBKIT_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"


def test_every_notebook_has_its_jupytext_source() -> None:
    sources = sorted(p for p in (ROOT / "notebooks").glob("[0-9]*.py"))
    assert [p.stem for p in sources] == [p.stem for p in NOTEBOOKS], (
        "every notebooks/NN_name.ipynb needs its NN_name.py source and the other way round; "
        "create the missing one with `jupytext --sync`"
    )
    assert (ROOT / "notebooks" / "jupytext.toml").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_pair_in_sync(path: Path) -> None:
    """What `jupytext --sync notebooks/NN_name.py` would write is what is stored: the same cells, in
    the same order, with the same sources and ids; and the .py is what jupytext writes from the .ipynb."""
    jupytext = pytest.importorskip("jupytext")
    nbformat = pytest.importorskip("nbformat")
    from jupytext.combine import combine_inputs_with_outputs

    py = path.with_suffix(".py")
    stored = nbformat.read(path, as_version=4)
    from_py = jupytext.read(py, fmt="py:percent")
    synced = combine_inputs_with_outputs(from_py, stored, fmt="py:percent")
    hint = f"{path.name} and {py.name} differ: run `jupytext --sync notebooks/{py.name}`"
    assert [(c.cell_type, c.source) for c in synced.cells] == [
        (c.cell_type, c.source) for c in stored.cells
    ], hint
    assert [c.id for c in synced.cells] == [c.id for c in stored.cells], hint
    ids = [c.id for c in stored.cells]
    assert len(set(ids)) == len(ids), f"{path.name}: cell ids repeat"
    assert jupytext.writes(stored, fmt="py:percent") == py.read_text(), hint


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_stored_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text())
    dirty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} are stored with outputs; strip them"


def test_static_html_shows_every_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `make html` does (HBKIT_STATIC=1, execute, export): the page holds a drawn plotly figure
    for every figure the notebook showed, live ones included as static copies."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    monkeypatch.setenv("HBKIT_FAST", "1")
    monkeypatch.setenv("HBKIT_STATIC", "1")
    nb = nbformat.read(ROOT / "notebooks" / "00_quickstart.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    figures = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "application/vnd.plotly.v1+json" in o.get("data", {})
    ]
    html, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    assert figures, "the quickstart shows no figure"
    assert html.count('class="plotly-graph-div"') == len(figures), "a figure is missing from the page"
    assert "static copy" in html, "the live budget explorer is not on the page"
