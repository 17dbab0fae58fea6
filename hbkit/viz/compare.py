"""Figures that put learners from different families side by side: Stable-Baselines3 algorithms,
the HBPO trainer and the hand-written managers, on each hbkit world (notebook 06).

The input is plain data so the figures are pure functions:

- a *result* row: ``{"env": "Team", "method": "PPO", "kind": "SB3", "reward": 1.2, "seconds": 8.1}``
  (``kind`` is ``"SB3"``, ``"HBPO"`` or ``"hand-written"``; hand-written managers have ``seconds=0``);
- an evaluation *curve*: ``{"timesteps": [...], "reward": [...]}`` as recorded by SB3's ``EvalCallback``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from hbkit.viz.common import method_color, new_figure, style, subplots

__all__ = ["KIND_SYMBOLS", "quality_vs_time", "eval_curves", "curves_from_eval_callback"]

#: Marker of each family of learner.
KIND_SYMBOLS = {"SB3": "circle", "HBPO": "star", "hand-written": "square"}
_NO_TRAINING = 0.05  # where methods without training sit on the log time axis (seconds)


def quality_vs_time(results: Sequence[Mapping[str, Any]]) -> go.Figure:
    """One panel per world: evaluation reward (up is better) against training wall time (log scale).

    Hand-written managers need no training; they sit at the left edge. Every method is named in the
    legend (marker shape: its family), never beside its marker, so crowded points cannot overlap.
    """
    envs = list(dict.fromkeys(r["env"] for r in results))
    fig = subplots(
        rows=1, cols=max(1, len(envs)), subplot_titles=[f"{e}" for e in envs], horizontal_spacing=0.08
    )
    shown: set[str] = set()
    for col, env in enumerate(envs, start=1):
        rows = [r for r in results if r["env"] == env]
        for i, r in enumerate(rows):
            kind = r.get("kind", "SB3")
            # every method is named in the legend (its marker's shape is its family): methods of
            # similar quality and cost sit on top of each other, and labels beside them would overlap
            legend = f"{r['method']} ({kind})"
            fig.add_scatter(
                x=[max(float(r.get("seconds") or 0.0), _NO_TRAINING)],
                y=[r["reward"]],
                mode="markers",
                name=legend,
                legendgroup=legend,
                showlegend=legend not in shown,
                marker=dict(
                    symbol=KIND_SYMBOLS.get(kind, "circle"),
                    size=12,
                    color=method_color(r["method"], i),
                    line=dict(width=1, color="#333"),
                ),
                hovertemplate=f"{r['method']} ({kind})<br>reward %{{y:.3f}}<br>train %{{x:.1f}} s"
                "<extra></extra>",
                row=1,
                col=col,
            )
            shown.add(legend)
        fig.update_xaxes(
            type="log",
            title=f"training wall time (s; {_NO_TRAINING} = none)",
            automargin=True,
            row=1,
            col=col,
        )
    fig.update_yaxes(title="evaluation reward", col=1)
    return style(fig, "quality against training time, per world", height=420)


def eval_curves(
    curves: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
    env: str,
    references: Mapping[str, Mapping[str, float]] | None = None,
) -> go.Figure:
    """SB3's evaluation curves on one world, with the other methods as horizontal reference lines.

    :param curves: world -> algorithm -> ``{"timesteps": [...], "reward": [...]}``
    :param env: which world to show
    :param references: world -> method -> reward (HBPO, hand-written managers)
    """
    if env not in curves:
        raise ValueError(f"no curves for {env!r}; have: {', '.join(curves)}")
    traces = []
    for i, (algo, c) in enumerate(curves[env].items()):
        traces.append(
            go.Scatter(
                x=list(c["timesteps"]),
                y=list(c["reward"]),
                mode="lines+markers",
                name=algo,
                line=dict(color=method_color(algo, i), width=2.5),
            )
        )
    span = [0, max([max(c["timesteps"], default=0) for c in curves[env].values()], default=1)]
    for j, (name, value) in enumerate((references or {}).get(env, {}).items()):
        # reference lines as traces (not shapes): cheaper to redraw, and named in the legend
        traces.append(
            go.Scatter(
                x=span,
                y=[float(value)] * 2,
                mode="lines",
                name=name,
                line=dict(color=method_color(name, j + 3), width=1.5, dash="dash"),
            )
        )
    fig = new_figure(*traces)
    fig.update_xaxes(title="environment steps")
    fig.update_yaxes(title="mean evaluation reward")
    return style(fig, f"{env}: SB3 evaluation during training (EvalCallback)", height=380)


def curves_from_eval_callback(callback: Any) -> dict[str, list[float]]:
    """``{"timesteps", "reward"}`` from an SB3 ``EvalCallback`` after training (SB3 records the
    evaluations only when the callback has a ``log_path``)."""
    results = np.asarray(callback.evaluations_results, dtype=float)
    return {
        "timesteps": [int(t) for t in callback.evaluations_timesteps],
        "reward": [float(v) for v in results.mean(axis=1)] if results.size else [],
    }
