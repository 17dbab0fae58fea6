"""Figures of the Team world (pure functions: data in, ``plotly`` figure out, no browser needed).

* :func:`workers_figure`: meet the workers: published skill per task type, price of a typical call,
  memory.
* :func:`worker_value`: each worker's expected success against the dollars of a call on one kind of
  task (what a cost-benefit manager weighs); notebook 01's difficulty slider drives it.
* :func:`team_snapshot`: the visible state of a Team env as plain data (what the dashboards show).
* :func:`team_dashboard`: gauges for both budgets and the feedback table, from a snapshot.
* :func:`success_vs_cost`: managers placed by expense spent and success (or reward).
* :func:`sweep_point`: one point of a :func:`hbkit.managers.team.sweep` grid, as rows for
  :func:`success_vs_cost`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from hbkit.sim.team import PICO, TeamWorld
from hbkit.viz.common import (
    label_positions,
    log_axis,
    merge_crowded_labels,
    method_color,
    money_label,
    new_figure,
    style,
    subplots,
)

__all__ = [
    "workers_figure",
    "worker_value",
    "team_snapshot",
    "team_dashboard",
    "success_vs_cost",
    "sweep_point",
    "MANAGER_COLORS",
]

#: Colors of the Team managers (learned ones share the colors of their algorithms).
MANAGER_COLORS = {
    "static": "#8c564b",
    "local-only": "#2ca02c",
    "cloud-only": "#9467bd",
    "no-economy": "#d62728",
    "greedy": "#ff7f0e",
    "feedback": "#17becf",
    "bayes": "#bcbd22",
    "random": "#7f7f7f",
    "clairvoyant": "#000000",
    "MaskablePPO": "#e377c2",
    "HBPO-router": "#393b79",
    "HBPO": "#1f77b4",
    "HBPO-bayes": "#5254a3",
    "local": "#2ca02c",
    "cloud": "#9467bd",
    "manager": "#7f7f7f",
}
TYPE_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#eeca3b", "#9d755d")


def _color(name: str, i: int = 0) -> str:
    for key, c in MANAGER_COLORS.items():
        if name == key or name.startswith(key):
            return c
    return method_color(name, i)


def _world(world_or_env: Any) -> TeamWorld:
    return world_or_env if isinstance(world_or_env, TeamWorld) else world_or_env.unwrapped.world


def workers_figure(world_or_env: Any, height: int = 420) -> go.Figure:
    """Meet the workers: each catalog entry's published skill per task type (left), the dollars of
    a call on a typical task of each type (middle, cloud workers) and the memory it reserves and
    needs to run (right, local workers).

    :param world_or_env: a :class:`hbkit.sim.team.TeamWorld` or a Team env
    """
    w = _world(world_or_env)
    names = [
        f"{n} ({'local' if loc else 'cloud'})" for n, loc in zip(w.worker_names, w.is_local, strict=True)
    ]
    fig = subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.12,
        shared_yaxes=True,
        subplot_titles=(
            "published skill (medium difficulty)",
            "dollars per call, typical task",
            "memory units (16 GB = 100)",
        ),
    )
    for k, t in enumerate(w.type_names):
        fig.add_trace(
            go.Bar(
                y=names,
                x=w.skill[:, k],
                name=t,
                orientation="h",
                marker_color=TYPE_COLORS[k % len(TYPE_COLORS)],
                legendgroup=t,
                offsetgroup=t,
                hovertemplate="%{y}: %{x:.2f} on " + t + "<extra></extra>",
            ),
            1,
            1,
        )
    dollars = w.median_call_dollars()
    for k, t in enumerate(w.type_names):
        fig.add_trace(
            go.Bar(
                y=names,
                x=np.where(w.is_local, np.nan, dollars[:, k]),
                name=t,
                orientation="h",
                marker_color=TYPE_COLORS[k % len(TYPE_COLORS)],
                legendgroup=t,
                offsetgroup=t,
                showlegend=False,
                hovertemplate="%{y}: $%{x:.5f} per " + t + " call<extra></extra>",
            ),
            1,
            2,
        )
    local_mem = np.where(w.is_local, w.worker_memory, np.nan)
    fig.add_trace(
        go.Bar(
            y=names,
            x=local_mem,
            name="reserved while hired",
            orientation="h",
            marker_color="#636363",
            offsetgroup="memory",
        ),
        1,
        3,
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=np.where(w.is_local, w.run_memory, np.nan),
            base=local_mem,
            name="extra while running",
            orientation="h",
            marker_color="#bdbdbd",
            offsetgroup="memory",
        ),
        1,
        3,
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(range=[0, 1], row=1, col=1)
    cloud = dollars[~np.asarray(w.is_local)]
    cloud = cloud[cloud > 0]
    if cloud.size:
        fig.update_xaxes(**log_axis(float(cloud.min()), float(cloud.max()), label=money_label), row=1, col=2)
    return style(fig, "The workers", height=height)


def worker_value(
    world_or_env: Any, task_type: str, difficulty: float, money_weight: float | None = None, height: int = 420
) -> go.Figure:
    """Each worker (and the manager itself) on a typical task of one type and difficulty: dollars of
    a call (x; local workers and the manager cost none) against the published success probability
    (y). Marker size shows the memory a local worker reserves. Dotted lines are equal
    ``value * p - money_weight * dollars``: a cost-benefit manager prefers the highest line.

    :param world_or_env: a :class:`hbkit.sim.team.TeamWorld` or a Team env
    :param task_type: one of the scenario's task types
    :param difficulty: in [0, 1]
    :param money_weight: reward units per dollar (default: the scenario's)
    """
    w = _world(world_or_env)
    if task_type not in w.type_names:
        raise ValueError(f"unknown task type {task_type!r}; allowed: {', '.join(w.type_names)}")
    k = w.type_names.index(task_type)
    lam = w.money_weight if money_weight is None else float(money_weight)
    p = 1.0 / (1.0 + np.exp(-w.published_logit(np.array([k]), np.array([float(difficulty)]))[0]))
    dollars = w.median_call_dollars()[:, k]
    value = float(w.value[k]) / float(w.quorum[k])
    names = list(w.worker_names) + ["manager itself"]
    xs = np.concatenate([dollars, [0.0]])
    paid = xs[xs > 0]
    lo, hi = (float(paid.min()), float(paid.max())) if paid.size else (1e-4, 1e-3)
    free = 10 ** (math.floor(math.log10(lo)) - 1)  # where a log axis shows "free"
    xplot = np.where(xs > 0, xs, free)
    xmax = hi * 1.5
    # iso-net-value lines value * p - lam * x = level, as one trace (one trace each would redraw slower)
    x = np.geomspace(free, xmax, 40)
    lines_x = np.concatenate([np.append(x, np.nan) for _ in range(5)])
    lines_y = np.concatenate(
        [np.append((level + lam * x) / value, np.nan) for level in np.linspace(0.0, value, 6)[1:]]
    )
    kinds = ["local" if local else "cloud" for local in w.is_local] + ["manager"]
    memory = np.append(np.where(w.is_local, w.worker_memory, 0), 0)
    net = value * p - lam * xs
    positions = label_positions(xplot, p, names, xlog=True)
    fig = new_figure(
        *[
            go.Scatter(
                x=lines_x,
                y=lines_y,
                mode="lines",
                showlegend=False,
                hoverinfo="skip",
                line=dict(color="#ccc", dash="dot", width=1),
            ),
            go.Scatter(
                x=xplot,
                y=p,
                mode="markers+text",
                text=names,
                textposition=positions,
                customdata=np.stack([kinds, np.round(net, 4), [f"{d:.5f}" for d in xs]], axis=1),
                cliponaxis=False,
                marker=dict(
                    size=10 + 0.4 * memory,
                    color=[_color(k) for k in kinds],
                    symbol=[
                        "square" if k == "local" else "diamond" if k == "manager" else "circle" for k in kinds
                    ],
                    line=dict(width=1, color="white"),
                ),
                hovertemplate=(
                    "%{text} (%{customdata[0]})<br>success %{y:.2f}<br>$%{customdata[2]} per call<br>"
                    "net value %{customdata[1]}<extra></extra>"
                ),
            ),
        ]
    )
    axis = log_axis(lo, xmax, label=money_label, zero_at=free, zero_label="free")
    fig.update_xaxes(title=f"dollars per {task_type} call (typical size, log scale)", **axis)
    fig.update_yaxes(title="published success", range=[0, 1.08])
    fig.update_layout(showlegend=False)
    return style(
        fig,
        f"{task_type}, difficulty {float(difficulty):.2f}: success against cost<br>"
        f"<sup>dotted: equal net value at {lam:g} per dollar; squares local, circles cloud</sup>",
        height=height,
    )


def team_snapshot(env: Any) -> dict[str, Any]:
    """The visible state of a single Team env (its first episode if batched) as plain data.

    :return: ``task`` (index), ``tasks``, ``type``, ``difficulty``, ``part``, ``parts``,
        ``budget``, ``spent``, ``remaining`` (dollars), ``memory_used``, ``capacity``,
        ``peak_memory``, ``team`` (worker name or None per slot), ``used``, ``workers``,
        ``types``, ``successes`` and ``trials`` (lists, per worker and type), ``solved``, ``done``
    """
    u = env.unwrapped
    w, b = u.world, u.sim
    t = min(int(b.task[0]), w.num_tasks - 1)
    ty = int(b.ttype[0, t])
    return {
        "task": int(b.task[0]),
        "tasks": w.num_tasks,
        "type": w.type_names[ty],
        "difficulty": float(b.task_obs[0, t, w.f_difficulty - w.task_block.start]),
        "part": int(b.part[0]),
        "parts": int(w.parts[ty]),
        "quorum": int(w.quorum[ty]),
        "budget": int(b.budget[0]) / PICO,
        "spent": int(b.spent[0]) / PICO,
        "remaining": int(b.remaining[0]) / PICO,
        "memory_used": int(b.reserved[0]),
        "capacity": int(b.capacity),
        "peak_memory": int(b.peak_memory[0]),
        "team": [w.worker_names[c] if c >= 0 else None for c in b.slot[0]],
        "used": [bool(x) for x in b.used[0]],
        "workers": list(w.worker_names),
        "types": list(w.type_names),
        "successes": b.successes[0].tolist(),
        "trials": b.trials[0].tolist(),
        "solved": int(b.solved[0]),
        "done": bool(b.done[0]),
    }


def team_dashboard(snapshot: Mapping[str, Any], height: int = 430) -> go.Figure:
    """Gauges for both budgets and the feedback table of a :func:`team_snapshot`.

    The money gauge shows dollars left of the expense budget (it never comes back); the memory
    gauge shows units reserved by hired local workers (they come back when a worker is fired), with
    the episode's peak as a marker. The table shows every worker's record so far on each task
    type: successes / trials and the running estimate ``(successes + 1) / (trials + 2)``.
    """
    s = snapshot
    fig = subplots(
        rows=2,
        cols=2,
        row_heights=[0.42, 0.58],
        vertical_spacing=0.08,
        specs=[[{"type": "indicator"}, {"type": "indicator"}], [{"type": "table", "colspan": 2}, None]],
    )
    budget = max(s["budget"], 1e-12)
    fig.add_trace(
        go.Indicator(
            mode="gauge+number",
            value=s["remaining"],
            number={"prefix": "$", "valueformat": ".4f"},
            title={"text": f"money left of ${s['budget']:.3f} (spent ${s['spent']:.4f})"},
            gauge={
                "axis": {"range": [0, budget]},
                "bar": {"color": "#2ca02c" if s["remaining"] > 0.2 * budget else "#d62728"},
            },
        ),
        1,
        1,
    )
    fig.add_trace(
        go.Indicator(
            mode="gauge+number",
            value=s["memory_used"],
            number={"suffix": f" / {s['capacity']} units"},
            title={"text": "memory reserved (peak marked)"},
            gauge={
                "axis": {"range": [0, max(s["capacity"], 1)]},
                "bar": {"color": "#1f77b4"},
                "threshold": {"line": {"color": "#d62728", "width": 3}, "value": s["peak_memory"]},
            },
        ),
        1,
        2,
    )
    header = ["worker", "on team"] + list(s["types"])
    team = s["team"]
    cells: list[list[str]] = [list(s["workers"]), []]
    for name in s["workers"]:
        slots = [str(j) for j, x in enumerate(team) if x == name]
        cells[1].append("slot " + ", ".join(slots) if slots else "")
    succ, tri = np.asarray(s["successes"]), np.asarray(s["trials"])
    for k in range(len(s["types"])):
        cells.append(
            [
                f"{int(a)}/{int(n)}  ({(a + 1) / (n + 2):.2f})" if n else "-"
                for a, n in zip(succ[:, k], tri[:, k], strict=True)
            ]
        )
    fig.add_trace(
        go.Table(
            header={"values": header, "fill_color": "#f0f0f0", "align": "left"},
            cells={"values": cells, "align": "left"},
        ),
        2,
        1,
    )
    title = (
        f"task {min(s['task'] + 1, s['tasks'])}/{s['tasks']}: {s['type']} "
        f"(difficulty {s['difficulty']:.2f}, part {min(s['part'] + 1, s['parts'])} of {s['parts']}), "
        f"solved {s['solved']}" + (" - stream over" if s["done"] else "")
    )
    return style(fig, title, height)


def sweep_point(grid: Mapping[str, Any], expense: float, memory: int) -> list[dict[str, Any]]:
    """The rows (one per manager) of a :func:`hbkit.managers.team.sweep` grid at one point.

    :param grid: ``{"points": {(expense, memory): {name: report}}}``
    """
    reports = grid["points"][(float(expense), int(memory))]
    return [{"name": name, **r} for name, r in reports.items()]


def success_vs_cost(
    rows: Sequence[Mapping[str, Any]],
    y: str = "success_rate",
    budget: float | None = None,
    title: str | None = None,
    height: int = 420,
) -> go.Figure:
    """Managers placed by mean dollars spent (x) and ``y`` (``success_rate`` or ``reward``).

    :param rows: one dict per manager with ``name``, ``expense_spent``, ``budget_exhausted_rate``
        and ``y`` (e.g. evaluation reports with a ``name``)
    :param budget: draw the expense budget as a vertical line
    """
    learned = [r["name"].startswith(("MaskablePPO", "HBPO")) for r in rows]
    names = [r["name"] for r in rows]
    # managers that land on (almost) the same spot share one label
    labels = merge_crowded_labels([r["expense_spent"] for r in rows], [r[y] for r in rows], names)
    # one trace for all managers: a redraw then updates arrays instead of replacing traces
    fig = new_figure(
        go.Scatter(
            x=[r["expense_spent"] for r in rows],
            y=[r[y] for r in rows],
            mode="markers+text",
            text=labels,
            textposition=label_positions([r["expense_spent"] for r in rows], [r[y] for r in rows], labels),
            cliponaxis=False,
            customdata=[[r.get("budget_exhausted_rate", 0.0), n] for r, n in zip(rows, names, strict=True)],
            marker=dict(
                size=[16 if x else 12 for x in learned],
                color=[_color(n, i) for i, n in enumerate(names)],
                symbol=["star" if x else "circle" for x in learned],
                line=dict(width=1, color="white"),
            ),
            hovertemplate=(
                f"%{{customdata[1]}}<br>spent $%{{x:.4f}}<br>{y} %{{y:.3f}}<br>"
                "ran out of money in %{customdata[0]:.0%} of streams<extra></extra>"
            ),
        )
    )
    if budget is not None:
        fig.add_vline(
            x=budget,
            line_dash="dash",
            line_color="#999",
            annotation_text=f"expense budget ${budget:g}",
            annotation_position="top right",
        )
    fig.update_xaxes(title="mean dollars spent per stream", rangemode="tozero")
    fig.update_yaxes(title=y.replace("_", " "))
    fig.update_layout(showlegend=False)
    return style(fig, title, height)


def success_vs_cost_at(
    grid: Mapping[str, Any], expense: float, memory: int, y: str = "success_rate", height: int = 420
) -> go.Figure:
    """:func:`success_vs_cost` at one point of a sweep grid (the builder notebook 05's sliders
    drive)."""
    rows = sweep_point(grid, expense, memory)
    title = f"expense budget ${float(expense):g}, memory {int(memory)} units ({int(memory) * 0.16:.1f} GB)"
    fig = success_vs_cost(rows, y=y, budget=float(expense), title=title, height=height)
    lo = min(r[y] for r in rows)
    hi = max(r[y] for r in rows)
    pad = 0.05 * max(hi - lo, 1e-6)
    fig.update_yaxes(range=[lo - pad, hi + 3 * pad])
    return fig


__all__ += ["success_vs_cost_at"]
