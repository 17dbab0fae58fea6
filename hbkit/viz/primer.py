"""Figures of the RL primer (notebook 03b): pure functions over :mod:`hbkit.train.bandit`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import plotly.graph_objects as go

from hbkit.train.bandit import (
    ARM_MEANS,
    advantages,
    expected_return,
    policy_prob,
    ppo_objective,
    train_bandit,
)
from hbkit.viz.common import new_figure, style, style_layout, subplots

__all__ = [
    "policy_figure",
    "learning_figure",
    "group_advantage_figure",
    "ppo_clip_figure",
    "ppo_training_figure",
]

_BLUE, _GREY, _RED, _GREEN = "#1f77b4", "#7f7f7f", "#d62728", "#2ca02c"


def policy_figure(gap: float = 0.0) -> go.Figure:
    """Left: the policy (the probability of each arm) at logit gap ``gap``. Right: its expected
    return ``J`` as the gap moves, with the slope the policy gradient follows."""
    fig = subplots(
        rows=1,
        cols=2,
        column_widths=[0.35, 0.65],
        horizontal_spacing=0.12,
        subplot_titles=("the policy: pi(arm)", "the return J = E[reward]"),
    )
    p = float(policy_prob(gap))
    fig.add_trace(
        go.Bar(
            x=["arm A", "arm B"],
            y=[1 - p, p],
            marker_color=[_GREY, _BLUE],
            text=[f"{1 - p:.2f}", f"{p:.2f}"],
            textposition="outside",
            showlegend=False,
        ),
        1,
        1,
    )
    xs = np.linspace(-5, 5, 201)
    fig.add_trace(
        go.Scatter(x=xs, y=expected_return(xs), mode="lines", line=dict(color=_BLUE), name="J(gap)"), 1, 2
    )
    j = float(expected_return(gap))
    slope = p * (1 - p) * (ARM_MEANS[1] - ARM_MEANS[0])
    fig.add_trace(
        go.Scatter(
            x=[gap - 1.5, gap + 1.5],
            y=[j - 1.5 * slope, j + 1.5 * slope],
            mode="lines",
            line=dict(color=_RED, dash="dash"),
            name="gradient dJ/dgap",
        ),
        1,
        2,
    )
    fig.add_trace(
        go.Scatter(x=[gap], y=[j], mode="markers", marker=dict(size=11, color=_RED), name="this policy"), 1, 2
    )
    fig.update_yaxes(range=[0, 1.15], title_text="probability", row=1, col=1)
    fig.update_yaxes(
        range=[ARM_MEANS[0] - 0.02, ARM_MEANS[1] + 0.02], title_text="expected reward", row=1, col=2
    )
    fig.update_xaxes(title_text="logit gap theta_B - theta_A", row=1, col=2)
    style(fig, f"gap {gap:+.1f}: pi(B) = {p:.2f}, J = {j:.3f}, slope {slope:.3f}", height=360)
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0.4, xanchor="left"))
    return fig


@lru_cache(maxsize=64)
def _trained(**kwargs: Any) -> dict[str, np.ndarray]:
    """:func:`train_bandit`, remembered (it is pure and deterministic): a control that comes back to
    a setting, or a run shared by two settings, is not trained again."""
    return train_bandit(**kwargs)


def _band(p: np.ndarray, color: str, name: str, show: bool = True) -> list[go.Scatter]:
    """A mean line and a 10-90 % band over seeds (the columns of ``p``), as two traces."""
    steps = np.arange(p.shape[0])
    lo, hi = np.quantile(p, 0.1, axis=1), np.quantile(p, 0.9, axis=1)
    return [
        go.Scatter(
            x=np.r_[steps, steps[::-1]],
            y=np.r_[hi, lo[::-1]],
            fill="toself",
            line=dict(width=0),
            fillcolor=color,
            opacity=0.18,
            hoverinfo="skip",
            showlegend=False,
            legendgroup=name,
        ),
        go.Scatter(
            x=steps,
            y=p.mean(axis=1),
            mode="lines",
            line=dict(color=color, width=2.5),
            name=name,
            legendgroup=name,
            showlegend=show,
        ),
    ]


def learning_figure(
    lr: float = 0.3, advantage: str = "baseline", offset: float = 0.0, seeds: int = 64, steps: int = 150
) -> go.Figure:
    """Policy gradient on the bandit: ``pi(best arm)`` over updates (mean and 10-90 % band over
    ``seeds`` runs), for the chosen learning rate, advantage and reward offset, beside the same
    run without a baseline."""
    ran = _trained(lr=lr, advantage=advantage, offset=offset, seeds=seeds, steps=steps)
    raw = _trained(lr=lr, advantage="none", offset=offset, seeds=seeds, steps=steps)
    fig = subplots(
        rows=1,
        cols=2,
        column_widths=[0.7, 0.3],
        horizontal_spacing=0.12,
        subplot_titles=("pi(best arm) while learning", "end: runs on the wrong arm"),
    )
    traces = _band(raw["p_best"], _GREY, "no baseline (A = r)") if advantage != "none" else []
    traces += _band(ran["p_best"], _BLUE, f"A: {advantage}")
    wrong = [float((raw["p_best"][-1] < 0.5).mean()), float((ran["p_best"][-1] < 0.5).mean())]
    bar = go.Bar(
        x=["no baseline", advantage],
        y=wrong,
        marker_color=[_GREY, _BLUE],
        text=[f"{w:.0%}" for w in wrong],
        textposition="outside",
        showlegend=False,
    )
    fig.add_traces([*traces, bar], rows=[1] * (len(traces) + 1), cols=[1] * len(traces) + [2])
    title = (
        f"lr {lr:g}, reward offset {offset:g}: grad std {ran['grad'].std():.3f} "
        f"(no baseline {raw['grad'].std():.3f})"
    )
    fig.update_layout(
        {
            **style_layout(title, height=380),
            "legend": dict(orientation="h", y=-0.22, x=0.0, xanchor="left"),
            "yaxis": dict(range=[0, 1], title=dict(text="pi(B)")),
            "yaxis2": dict(range=[0, 1.1], tickformat=".0%"),
            "xaxis": dict(title=dict(text="update")),
        }
    )
    return fig


def group_advantage_figure(successes: int = 1, group: int = 8) -> go.Figure:
    """One group of ``group`` rollouts of the same problem, ``successes`` of them right: each
    rollout's reward and its GRPO advantage ``(r - mean) / (std + 1e-6)``."""
    successes = int(np.clip(successes, 0, group))
    r = np.array([1.0] * successes + [0.0] * (group - successes))
    a = advantages(r, "group")
    names = [f"#{i + 1}" for i in range(group)]
    fig = subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=("reward", "group advantage"))
    fig.add_trace(
        go.Bar(x=names, y=r, marker_color=[_GREEN if v else _GREY for v in r], showlegend=False), 1, 1
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=a,
            marker_color=[_BLUE if v >= 0 else _RED for v in a],
            text=[f"{v:+.2f}" for v in a],
            textposition="outside",
            showlegend=False,
        ),
        1,
        2,
    )
    fig.update_yaxes(range=[0, 1.2], row=1, col=1)
    fig.update_yaxes(range=[-3.3, 3.3], row=1, col=2)
    note = (
        "no differences in the group: every advantage is 0, nothing is learned"
        if successes in (0, group)
        else f"{successes} of {group} right: mean {r.mean():.2f}, std {r.std():.2f}"
    )
    return style(fig, note, height=340)


def ppo_clip_figure(clip_low: float = 0.2, clip_high: float = 0.28) -> go.Figure:
    """PPO's clipped surrogate against the ratio ``rho = pi / pi_old``, for a positive and a negative
    advantage: flat (no gradient) where the clip holds the ratio."""
    rho = np.linspace(0.4, 1.8, 281)
    fig = subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=("advantage A = +1 (make it likelier)", "advantage A = -1 (make it rarer)"),
    )
    for col, adv in ((1, 1.0), (2, -1.0)):
        fig.add_trace(
            go.Scatter(
                x=rho,
                y=rho * adv,
                mode="lines",
                line=dict(color=_GREY, dash="dot"),
                name="rho * A (no clip)",
                showlegend=col == 1,
            ),
            1,
            col,
        )
        fig.add_trace(
            go.Scatter(
                x=rho,
                y=ppo_objective(rho, adv, clip_low, clip_high),
                mode="lines",
                line=dict(color=_BLUE, width=3),
                name="clipped objective",
                showlegend=col == 1,
            ),
            1,
            col,
        )
        for edge in (1 - clip_low, 1 + clip_high):
            fig.add_vline(x=edge, line=dict(color=_RED, dash="dash", width=1), row=1, col=col)
        fig.update_xaxes(title_text="ratio rho = pi / pi_old", row=1, col=col)
    style(
        fig,
        f"clip range [1 - {clip_low:.2f}, 1 + {clip_high:.2f}] = [{1 - clip_low:.2f}, {1 + clip_high:.2f}]",
        height=360,
    )
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0.0, xanchor="left"))
    return fig


def ppo_training_figure(
    epochs: int = 8,
    lr: float = 1.0,
    clip_low: float = 0.2,
    clip_high: float = 0.28,
    seeds: int = 64,
    steps: int = 60,
) -> go.Figure:
    """Reusing each group for ``epochs`` updates, with and without PPO's clip: ``pi(best arm)``."""
    common: dict[str, Any] = dict(
        lr=lr, advantage="group", epochs=epochs, seeds=seeds, steps=steps, offset=0.0
    )
    free = _trained(**common)
    clipped = _trained(**common, clip_low=clip_low, clip_high=clip_high)
    wrong = [float((h["p_best"][-1] < 0.5).mean()) for h in (free, clipped)]
    title = (
        f"{epochs} epochs per group, lr {lr:g}: wrong arm at the end {wrong[0]:.0%} without clip, "
        f"{wrong[1]:.0%} with"
    )
    return new_figure(
        *_band(free["p_best"], _RED, "no clip"),
        *_band(clipped["p_best"], _BLUE, f"clip [{1 - clip_low:.2f}, {1 + clip_high:.2f}]"),
        **style_layout(title, height=360),
        yaxis=dict(range=[0, 1], title=dict(text="pi(B)")),
        xaxis=dict(title=dict(text="group (each reused for the epochs)")),
    )
