"""Sliders over precomputed grids (:mod:`hbkit.grids`): moving one shows how the learned or
hand-written outcome changes, with no training on drag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hbkit.viz import grids as gviz
from hbkit.viz.common import LiveFigure

__all__ = ["team_grid_explorer", "reasoning_grid_explorer", "NOTEBOOK_DASHBOARDS"]


def _load(kind: str, path: str | Path | None) -> dict[str, Any]:
    from hbkit.grids import find_grid, load_grid

    found = Path(path) if path is not None else find_grid(kind)
    if found is None:
        raise FileNotFoundError(
            f"no {kind} grid found; compute it with "
            f"`python -m hbkit.grids {kind} --out notebooks/data/{kind}_grid.json`"
        )
    return load_grid(found)


def team_grid_explorer(path: str | Path | None = None, widget_factory: Any = None) -> LiveFigure:
    """Hiring fee, memory and expense budget sliders over the Team grid, and a metric picker."""
    import ipywidgets as w

    grid = _load("team", path)
    ax = grid["axes"]
    fee = w.SelectionSlider(
        options=ax["fee"],
        value=ax["fee"][min(1, len(ax["fee"]) - 1)],
        description="hiring fee $",
        continuous_update=False,
    )
    memory = w.SelectionSlider(
        options=ax["memory"],
        value=ax["memory"][len(ax["memory"]) // 2],
        description="memory",
        continuous_update=False,
    )
    expense = w.SelectionSlider(
        options=ax["expense"],
        value=ax["expense"][len(ax["expense"]) // 2],
        description="expense $",
        continuous_update=False,
    )
    metric = w.Dropdown(
        options=["reward", "success_rate", "expense_spent", "budget_exhausted_rate"],
        value="reward",
        description="show",
    )
    return LiveFigure(
        gviz.team_grid_figure,
        {"fee": fee, "memory": memory, "expense": expense, "metric": metric},
        fixed={"grid": grid},
        widget_factory=widget_factory,
    )


def reasoning_grid_explorer(path: str | Path | None = None, widget_factory: Any = None) -> LiveFigure:
    """Alpha, number of budgets and advantage mode over the Reasoning grid (trained HBPO)."""
    import ipywidgets as w

    grid = _load("reasoning", path)
    ax = grid["axes"]
    alpha = w.SelectionSlider(
        options=[(f"{a * 4096:g}/L", a) for a in ax["alpha"]],
        value=ax["alpha"][0],
        description="alpha",
        continuous_update=False,
    )
    budgets = w.SelectionSlider(
        options=ax["budgets"], value=ax["budgets"][-1], description="budgets", continuous_update=False
    )
    advantage = w.ToggleButtons(options=ax["advantage"], value=ax["advantage"][0], description="advantage")
    return LiveFigure(
        gviz.reasoning_grid_figure,
        {"alpha": alpha, "budgets": budgets, "advantage": advantage},
        fixed={"grid": grid},
        widget_factory=widget_factory,
    )


def _registered() -> dict[str, list[Any]]:
    from hbkit.grids import find_grid

    out: dict[str, list[Any]] = {}
    if find_grid("team") is not None:
        out["05_hierarchy"] = [team_grid_explorer]
    if find_grid("reasoning") is not None:
        out["04_hbpo"] = [reasoning_grid_explorer]
    return out


NOTEBOOK_DASHBOARDS = _registered()
