"""Figures over precomputed grids (:mod:`hbkit.grids`): how a *trained* or hand-written outcome moves
when a setting moves. Pure functions of the grid's JSON data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from hbkit.viz.common import method_color, style, subplots

__all__ = ["team_grid_figure", "reasoning_grid_figure", "grid_point"]

_LABELS = {
    "reward": "reward per stream",
    "success_rate": "success rate",
    "expense_spent": "dollars spent",
    "budget_exhausted_rate": "ran out of money",
    "accuracy": "accuracy",
    "mean_tokens": "mean tokens",
}


def grid_point(grid: Mapping[str, Any], **where: Any) -> dict[str, Any]:
    """The point of ``grid`` whose axes equal ``where`` (floats compared to 1e-9).

    :raises KeyError: unless ``where`` names every axis of the grid and nothing else, or if no
        point matches
    """
    if set(where) != set(grid["axes"]):
        raise KeyError(
            f"grid_point: got the axes {sorted(where)}; allowed: exactly the grid's axes {list(grid['axes'])}"
        )
    for point in grid["points"]:
        if all(abs(point[k] - v) < 1e-9 if isinstance(v, float) else point[k] == v for k, v in where.items()):
            return point
    raise KeyError(f"no grid point at {where}; axes: {grid['axes']}")


def _has_intervals(grid: Mapping[str, Any]) -> bool:
    """A grid over fewer than two seeds stores a half-width of 0 (:func:`hbkit.grids.mean_ci`):
    that is no interval, and the figures draw none."""
    return int(grid.get("seeds", 2)) >= 2


def team_grid_figure(
    grid: Mapping[str, Any],
    fee: float,
    memory: int,
    expense: float,
    metric: str = "reward",
    height: int = 420,
) -> go.Figure:
    """Left: every manager's ``metric`` (mean and 95 % interval over seeds; none for one seed) at
    one (hiring fee, memory, expense budget) point. Right: the same against the expense budget, at
    that fee and memory (the chosen budget marked)."""
    point = grid_point(grid, fee=float(fee), memory=int(memory), expense=float(expense))
    names = list(point["results"])
    fig = subplots(
        rows=1,
        cols=2,
        column_widths=[0.45, 0.55],
        horizontal_spacing=0.1,
        subplot_titles=(f"at ${float(expense):g}", "against the expense budget"),
    )
    vals = [point["results"][n][metric] for n in names]
    fig.add_trace(
        go.Bar(
            x=names,
            y=[v[0] for v in vals],
            error_y=dict(type="data", array=[v[1] for v in vals], visible=_has_intervals(grid)),
            marker_color=[method_color(n, i) for i, n in enumerate(names)],
            showlegend=False,
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        ),
        1,
        1,
    )
    expenses = grid["axes"]["expense"]
    for i, name in enumerate(names):
        ys = [
            grid_point(grid, fee=float(fee), memory=int(memory), expense=e)["results"][name][metric][0]
            for e in expenses
        ]
        fig.add_trace(
            go.Scatter(
                x=expenses, y=ys, mode="lines+markers", name=name, line=dict(color=method_color(name, i))
            ),
            1,
            2,
        )
    fig.add_vline(x=float(expense), line=dict(color="#999", dash="dash"), row=1, col=2)
    fig.update_xaxes(tickangle=-30, automargin=True, row=1, col=1)
    fig.update_xaxes(title_text="expense budget ($ per stream)", row=1, col=2)
    fig.update_yaxes(title_text=_LABELS.get(metric, metric), row=1, col=1)
    title = f"hiring fee ${float(fee):g}, memory {int(memory)} units ({int(memory) * 0.16:.0f} GB)"
    return style(fig, title, height=height)


def reasoning_grid_figure(
    grid: Mapping[str, Any], alpha: float, budgets: int, advantage: str, height: int = 400
) -> go.Figure:
    """Trained HBPO at every grid point as accuracy against mean tokens (grey), the chosen
    (alpha, number of budgets, advantage mode) highlighted with its 95 % intervals."""
    fig = subplots(rows=1, cols=1)
    xs, ys, labels = [], [], []
    for p in grid["points"]:
        r = p["results"]["HBPO"]
        xs.append(r["mean_tokens"][0])
        ys.append(r["accuracy"][0])
        labels.append(f"alpha {p['alpha'] * 4096:g}/L, {p['budgets']} budgets, {p['advantage']}")
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker=dict(color="#ccc", size=9),
            text=labels,
            name="other settings",
            hovertemplate="%{text}<br>%{y:.3f} @ %{x:.0f}<extra></extra>",
        )
    )
    p = grid_point(grid, alpha=float(alpha), budgets=int(budgets), advantage=advantage)["results"]["HBPO"]
    fig.add_trace(
        go.Scatter(
            x=[p["mean_tokens"][0]],
            y=[p["accuracy"][0]],
            mode="markers",
            error_x=dict(type="data", array=[p["mean_tokens"][1]], visible=_has_intervals(grid)),
            error_y=dict(type="data", array=[p["accuracy"][1]], visible=_has_intervals(grid)),
            marker=dict(color=method_color("HBPO"), size=14),
            name="this setting",
        )
    )
    fig.update_xaxes(title_text="mean tokens (natural mode)")
    fig.update_yaxes(title_text="accuracy")
    return style(
        fig,
        f"alpha {float(alpha) * 4096:g}/L, {int(budgets)} budgets, advantage {advantage}: "
        f"{p['accuracy'][0]:.3f} with {p['mean_tokens'][0]:.0f} tokens",
        height=height,
    )
