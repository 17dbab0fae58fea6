"""Figures of the Reasoning world and of HBPO training (pure functions returning plotly figures).

Every function here only builds a figure from numbers; none runs a simulation or trains, so tests
call them directly and widgets redraw them cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import plotly.graph_objects as go

from hbkit.sim.reasoning import REWARDS, reasoning_reward
from hbkit.viz.common import LEVEL_COLORS, method_color, new_figure, style, subplots

__all__ = [
    "reward_curves",
    "reward_comparison",
    "learning_curves",
    "by_level",
    "frontier",
    "rollout_trace",
    "budget_following",
    "results_table",
    "collapse_curves",
    "subgroup_tokens",
    "ablation_bars",
]


def reward_curves(
    budgets: Sequence[int] = (512, 1024, 2048, 2560),
    beta: float = 4.0,
    alpha: float = 1 / 4096,
    max_tokens: int = 4096,
    reward: str = "hbpo",
    truncation_reward: float = -1.0,
    highlight: int | None = None,
) -> go.Figure:
    """Reward of a correct answer against the tokens it used, one curve per budget (and natural mode).

    :param budgets: budgets to draw
    :param beta, alpha, max_tokens, truncation_reward: the reward's constants
    :param reward: ``"hbpo"``, ``"cosine"`` or ``"classic"``
    :param highlight: a budget drawn thicker (e.g. the one a slider selects)
    """
    if reward not in REWARDS:
        raise ValueError(f"unknown reward {reward!r}; allowed: {', '.join(REWARDS)}")
    n = np.linspace(0, max_tokens, 257)
    fig = new_figure()
    kw: dict[str, Any] = dict(
        max_tokens=max_tokens, beta=beta, alpha=alpha, truncation_reward=truncation_reward
    )
    ones, zeros = np.ones_like(n, bool), np.zeros_like(n, bool)
    for i, b in enumerate(list(budgets) + [0]):
        r = reasoning_reward(reward, ones, n, np.full_like(n, b), zeros, **kw)
        name = f"budget {b}" if b else "natural mode"
        width = 4 if (highlight is not None and b == highlight) else 2
        fig.add_scatter(
            x=n,
            y=r,
            mode="lines",
            name=name,
            line=dict(
                width=width,
                dash="dot" if not b else None,
                color=LEVEL_COLORS[min(i + 1, len(LEVEL_COLORS) - 1)] if b else "#444",
            ),
        )
        if b:
            fig.add_vline(x=b, line=dict(color="#bbb", width=1, dash="dash"))
    fig.add_hline(
        y=truncation_reward,
        line=dict(color="#d62728", width=1, dash="dot"),
        annotation_text="truncated (no answer by L)",
        annotation_position="bottom right",
    )
    fig.update_xaxes(title="tokens used (n)", range=[0, max_tokens])
    fig.update_yaxes(title="reward of a correct answer")
    return style(fig, f"{reward} reward, beta={beta:g}, alpha={alpha:.2e}, L={max_tokens}")


def reward_comparison(
    budget: int = 1024, beta: float = 4.0, alpha: float = 1 / 4096, max_tokens: int = 4096
) -> go.Figure:
    """The cosine (length-penalty) reward beside HBPO's budget-aware reward for one budget.

    The cosine reward falls with every token, so shorter is always better; HBPO's is flat up to the
    budget, so rollouts with a large budget may think long without penalty (exploration survives).
    """
    n = np.linspace(0, max_tokens, 257)
    ones, zeros = np.ones_like(n, bool), np.zeros_like(n, bool)
    kw: dict[str, Any] = dict(max_tokens=max_tokens, beta=beta, alpha=alpha, truncation_reward=-1.0)
    fig = subplots(
        rows=1,
        cols=2,
        subplot_titles=("cosine: shorter is always better", f"HBPO: free up to the budget ({budget})"),
        shared_yaxes=True,
    )
    fig.add_scatter(
        x=n,
        y=reasoning_reward("cosine", ones, n, np.zeros_like(n), zeros, **kw),
        name="cosine",
        line=dict(color=method_color("cosine")),
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=n,
        y=reasoning_reward("hbpo", ones, n, np.full_like(n, budget), zeros, **kw),
        name=f"hbpo, b={budget}",
        line=dict(color=method_color("hbpo")),
        row=1,
        col=2,
    )
    fig.add_vline(x=budget, line=dict(color="#bbb", dash="dash"), row=1, col=2)
    fig.update_xaxes(title="tokens used", range=[0, max_tokens])
    fig.update_yaxes(title="reward if correct", col=1)
    return style(fig, None, height=340)


def learning_curves(
    histories: Mapping[str, Sequence[Mapping[str, Any]]],
    metrics: Sequence[str] = ("accuracy", "mean_tokens"),
    smooth: int = 10,
) -> go.Figure:
    """Training curves (one panel per metric, one line per run) from ``HBPO.learn`` histories.

    :param smooth: window of the moving average drawn over the faint raw curve (1 = raw only)
    """
    fig = subplots(rows=1, cols=len(metrics), subplot_titles=[m.replace("_", " ") for m in metrics])
    for i, (name, hist) in enumerate(histories.items()):
        it = np.array([row["iteration"] for row in hist])
        color = method_color(name, i)
        for j, m in enumerate(metrics):
            y = np.array([row.get(m, np.nan) for row in hist], dtype=float)
            if smooth > 1 and len(y) >= smooth:
                fig.add_scatter(
                    x=it,
                    y=y,
                    mode="lines",
                    line=dict(color=color, width=1),
                    opacity=0.25,
                    legendgroup=name,
                    showlegend=False,
                    hoverinfo="skip",
                    row=1,
                    col=j + 1,
                )
                kernel = np.ones(smooth) / smooth
                y_s = np.convolve(y, kernel, mode="valid")
                fig.add_scatter(
                    x=it[smooth - 1 :],
                    y=y_s,
                    name=name,
                    legendgroup=name,
                    showlegend=j == 0,
                    mode="lines",
                    line=dict(color=color, width=2.5),
                    row=1,
                    col=j + 1,
                )
            else:
                fig.add_scatter(
                    x=it,
                    y=y,
                    name=name,
                    legendgroup=name,
                    showlegend=j == 0,
                    mode="lines",
                    line=dict(color=color),
                    row=1,
                    col=j + 1,
                )
    fig.update_xaxes(title="iteration")
    return style(fig, "training (rollouts of all budgets; smoothed)", height=360)


def by_level(reports: Mapping[str, Mapping[str, Any]]) -> go.Figure:
    """Accuracy and mean tokens per difficulty level, one bar group per method (evaluate reports)."""
    fig = subplots(rows=1, cols=2, subplot_titles=("accuracy by level", "mean tokens by level"))
    for i, (name, rep) in enumerate(reports.items()):
        levels = sorted(rep["by_level"], key=int)
        color = method_color(name, i)
        fig.add_bar(
            x=[f"L{lv}" for lv in levels],
            y=[rep["by_level"][lv]["accuracy"] for lv in levels],
            name=name,
            legendgroup=name,
            marker_color=color,
            row=1,
            col=1,
        )
        fig.add_bar(
            x=[f"L{lv}" for lv in levels],
            y=[rep["by_level"][lv]["mean_tokens"] for lv in levels],
            name=name,
            legendgroup=name,
            showlegend=False,
            marker_color=color,
            row=1,
            col=2,
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 1], row=1, col=1)
    return style(fig, "natural mode, by difficulty level", height=380)


def frontier(fixed: Sequence[Mapping[str, Any]], methods: Mapping[str, Mapping[str, Any]]) -> go.Figure:
    """Accuracy against mean tokens: the fixed-length reasoners' frontier and each method's point.

    :param fixed: evaluate reports of fixed-length reasoners (any order)
    :param methods: name -> evaluate report of the methods to place on the chart
    """
    pts = sorted((r["mean_tokens"], r["accuracy"]) for r in fixed)
    fig = new_figure()
    fig.add_scatter(
        x=[p[0] for p in pts],
        y=[p[1] for p in pts],
        mode="lines+markers",
        name="fixed length (think T, then answer)",
        line=dict(color=method_color("fixed length"), dash="dash"),
    )
    for i, (name, rep) in enumerate(methods.items()):
        fig.add_scatter(
            x=[rep["mean_tokens"]],
            y=[rep["accuracy"]],
            mode="markers",
            name=name,
            marker=dict(size=13, color=method_color(name, i), line=dict(width=1, color="#222")),
        )
    fig.update_xaxes(title="mean tokens per problem")
    fig.update_yaxes(title="accuracy")
    return style(fig, "accuracy vs tokens: adaptive methods above the fixed-length frontier", height=420)


def rollout_trace(trace: Mapping[str, Sequence[float]], max_tokens: int = 4096) -> go.Figure:
    """One episode: the hint readings, their moving average and the probability of being right,
    against tokens.

    :param trace: ``tokens``, ``hint``, ``hint_mean``, ``p_correct`` lists, and ``need``, ``budget``,
        ``answer_at`` (tokens, or None if truncated), ``correct``
    """
    fig = new_figure()
    fig.add_scatter(
        x=trace["tokens"],
        y=trace["hint"],
        name="hint (observed, noisy)",
        mode="markers",
        marker=dict(color="#1f77b4", size=5),
    )
    fig.add_scatter(
        x=trace["tokens"],
        y=trace["hint_mean"],
        name="hint_mean (observed)",
        mode="lines",
        line=dict(color="#1f77b4"),
    )
    fig.add_scatter(
        x=trace["tokens"],
        y=trace["p_correct"],
        name="P(correct) if it answered now (hidden)",
        mode="lines",
        line=dict(color="#2ca02c", dash="dot"),
    )
    fig.add_vline(
        x=trace["need"],
        line=dict(color="#2ca02c", width=1),
        annotation_text="need (hidden)",
        annotation_position="top right",
    )
    if trace.get("budget"):
        fig.add_vline(
            x=trace["budget"],
            line=dict(color="#ff7f0e", dash="dash"),
            annotation_text="budget",
            annotation_position="top right",
        )
    if trace.get("answer_at") is not None:
        ok = "right" if trace.get("correct") else "wrong"
        fig.add_vline(
            x=trace["answer_at"],
            line=dict(color="#d62728", width=3),
            annotation_text=f"answered ({ok})",
            annotation_position="bottom right",
        )
    fig.update_xaxes(title="tokens", range=[0, max_tokens])
    fig.update_yaxes(range=[0, 1.05])
    return style(fig, "one rollout", height=340)


def budget_following(reports: Mapping[Any, Mapping[str, Any]], name: str = "policy") -> go.Figure:
    """Mean tokens by level for each budget instruction (budget -> evaluate report)."""
    fig = new_figure()
    for i, (b, rep) in enumerate(reports.items()):
        levels = sorted(rep["by_level"], key=int)
        fig.add_scatter(
            x=[f"L{lv}" for lv in levels],
            y=[rep["by_level"][lv]["mean_tokens"] for lv in levels],
            mode="lines+markers",
            name=f"budget {b}" if b else "natural mode",
            line=dict(
                color=LEVEL_COLORS[min(i + 1, len(LEVEL_COLORS) - 1)] if b else "#444",
                dash=None if b else "dot",
            ),
        )
    fig.update_yaxes(title="mean tokens")
    return style(fig, f"{name}: tokens by level for each budget", height=360)


def results_table(rows: Sequence[Mapping[str, Any]], title: str | None = None) -> go.Figure:
    """A table figure of result rows (e.g. :func:`hbkit.demo.run_ablations`); floats are rounded."""
    cols = list(rows[0]) if rows else []

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 10 else f"{v:.0f}"
        return str(v)

    fig = new_figure(
        go.Table(
            header=dict(values=[c.replace("_", " ") for c in cols], fill_color="#e8eef7", align="left"),
            cells=dict(values=[[fmt(r[c]) for r in rows] for c in cols], align="left"),
        )
    )
    # many columns are narrow, and their cells wrap onto a second line: leave room for it
    per_row = 52 if len(cols) > 6 else 32
    return style(fig, title, height=80 + per_row * (len(rows) + 1))


def _smooth(y: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    y = np.asarray(y, float)
    if window <= 1 or len(y) < window:
        return y
    out = np.full(len(y), np.nan)
    ok = np.isfinite(y)
    for i in range(len(y)):
        seg = y[max(0, i - window + 1) : i + 1]
        seg = seg[np.isfinite(seg)]
        out[i] = seg.mean() if len(seg) else np.nan
    return out if ok.any() else y


def collapse_curves(
    histories: Mapping[str, Sequence[Mapping[str, Any]] | Sequence[Sequence[Mapping[str, Any]]]],
    smooth: int = 10,
) -> go.Figure:
    """The exploration-collapse picture from training histories: the share of hardest-level rollouts
    that reach their need (``hard_reach``) and the share of problem groups whose rewards are all
    equal (``zero_variance``), per iteration.

    :param histories: run name -> one history, or a list of histories (one per seed: the mean is
        drawn with a band from the lowest to the highest seed)
    """
    fig = subplots(
        rows=1,
        cols=2,
        subplot_titles=("hardest-level rollouts that reach their need", "groups with zero reward variance"),
    )
    for i, (name, hist) in enumerate(histories.items()):
        runs = cast(
            Sequence[Sequence[Mapping[str, Any]]],
            hist if hist and isinstance(hist[0], (list, tuple)) else [hist],
        )
        color = method_color(name, i)
        for j, key in enumerate(("hard_reach", "zero_variance")):
            ys = np.array([_smooth([row.get(key, np.nan) for row in h], smooth) for h in runs])
            it = np.arange(1, ys.shape[1] + 1)
            if len(runs) > 1:
                fig.add_scatter(
                    x=np.r_[it, it[::-1]],
                    y=np.r_[np.nanmax(ys, 0), np.nanmin(ys, 0)[::-1]],
                    fill="toself",
                    line=dict(width=0),
                    fillcolor=color,
                    opacity=0.15,
                    showlegend=False,
                    hoverinfo="skip",
                    legendgroup=name,
                    row=1,
                    col=j + 1,
                )
            fig.add_scatter(
                x=it,
                y=np.nanmean(ys, 0),
                name=name,
                legendgroup=name,
                showlegend=j == 0,
                mode="lines",
                line=dict(color=color, width=2.5),
                row=1,
                col=j + 1,
            )
    fig.update_xaxes(title="iteration")
    fig.update_yaxes(range=[0, 1.02])
    return style(fig, "exploration during training (smoothed)", height=360)


def subgroup_tokens(history: Sequence[Mapping[str, Any]], smooth: int = 10, name: str = "HBPO") -> go.Figure:
    """Mean tokens of each budget subgroup's rollouts during training (``tokens@b`` in the history),
    with each budget drawn as a dashed line: does the policy follow its budgets?"""
    fig = new_figure()
    keys = (
        sorted(
            (k for k in history[0] if k.startswith("tokens@") and k != "tokens@none"),
            key=lambda k: int(k[7:]),
        )
        if history
        else []
    )
    it = np.array([row["iteration"] for row in history])
    for i, k in enumerate(keys):
        color = LEVEL_COLORS[min(i + 1, len(LEVEL_COLORS) - 1)]
        fig.add_scatter(
            x=it,
            y=_smooth([row[k] for row in history], smooth),
            mode="lines",
            name=f"budget {k[7:]}",
            line=dict(color=color, width=2.5),
        )
        fig.add_hline(y=int(k[7:]), line=dict(color=color, dash="dash", width=1))
    fig.update_xaxes(title="iteration")
    fig.update_yaxes(title="mean tokens")
    return style(fig, f"{name}: tokens per budget subgroup during training", height=360)


def ablation_bars(
    rows: Sequence[Mapping[str, Any]],
    metrics: Sequence[str] = ("accuracy", "L1 accuracy", "L5 accuracy", "mean_tokens"),
) -> go.Figure:
    """Ablations over seeds: one panel per metric, one bar per run with its 95 % interval.

    :param rows: one dict per run: ``run``, ``seeds`` and, per metric, ``metric`` (mean) and
        ``metric ±`` (half-width of the interval); a run over fewer than two seeds, or without a
        ``metric ±``, has no interval and gets no error bar
    """

    def half_width(row: Mapping[str, Any], metric: str) -> float | None:
        hw = row.get(metric + " ±")
        return None if hw is None or row.get("seeds", 2) < 2 else float(hw)

    fig = subplots(rows=1, cols=len(metrics), subplot_titles=[m.replace("_", " ") for m in metrics])
    for j, m in enumerate(metrics):
        fig.add_bar(
            x=[r["run"] for r in rows],
            y=[r.get(m, np.nan) for r in rows],
            error_y=dict(type="data", array=[half_width(r, m) for r in rows]),
            marker_color=[method_color(r["run"], i) for i, r in enumerate(rows)],
            showlegend=False,
            row=1,
            col=j + 1,
        )
    return style(fig, "ablations: mean and 95 % interval over seeds", height=380)
