"""Figures of sweep results: means with 95 % intervals (error bars), one panel per metric.

>>> from hbkit.sweep import summarize
>>> from hbkit.viz.sweep import sweep_figure
>>> fig = sweep_figure(summarize(rows, by=["name"], metrics=["accuracy", "mean_tokens"]),
...                    ["accuracy", "mean_tokens"])                     # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from hbkit.viz.common import method_color, style, subplots

__all__ = ["sweep_figure"]


def _label(group: Mapping[str, Any], by: Sequence[str]) -> str:
    return ", ".join(str(group[b]) if b == "name" else f"{b.split('.')[-1]}={group[b]}" for b in by)


def sweep_figure(
    summary: Sequence[Mapping[str, Any]],
    metrics: Sequence[str] | None = None,
    by: Sequence[str] | None = None,
    title: str | None = None,
    height: int = 380,
) -> go.Figure:
    """Mean and 95 % interval of each metric per group, as points with error bars (a group with
    fewer than two seeds has no interval and gets no error bar).

    A pure function of :func:`hbkit.sweep.summarize`'s output.

    :param summary: one dict per group (``by`` values, ``n``, and per metric ``mean`` and
        ``half_width``)
    :param metrics: the metrics to draw, one panel each (default: every metric of the summary)
    :param by: the group fields that make the labels (default: every non-metric field)
    :param title: figure title
    """
    if not summary:
        return style(go.Figure(), title or "no results", height)
    first = summary[0]
    if metrics is None:
        metrics = [k for k, v in first.items() if isinstance(v, Mapping) and "half_width" in v]
    if by is None:
        by = [k for k in first if k not in metrics and k not in ("n", "failed")]
    metrics = list(metrics)
    fig = subplots(rows=1, cols=len(metrics), subplot_titles=metrics, horizontal_spacing=0.12)
    labels = [_label(g, by) for g in summary]
    for col, metric in enumerate(metrics, start=1):
        for i, (label, g) in enumerate(zip(labels, summary, strict=False)):
            s = g[metric]
            hw = s["half_width"]
            # fewer than two seeds give no interval: draw none rather than a zero-width bar
            has_hw = isinstance(hw, (int, float)) and math.isfinite(hw)
            spread = f"± {hw:.3g}" if has_hw else "no interval"
            fig.add_trace(
                go.Scatter(
                    x=[label],
                    y=[s["mean"]],
                    mode="markers",
                    name=label,
                    legendgroup=label,
                    showlegend=col == 1,
                    marker={"size": 10, "color": method_color(str(g.get("name", label)), i)},
                    error_y={
                        "type": "data",
                        "array": [hw if has_hw else 0.0],
                        "visible": has_hw,
                        "thickness": 1.5,
                        "width": 6,
                    },
                    hovertemplate=f"{label}<br>{metric}: %{{y:.4g}} {spread} (n={s['n']})<extra></extra>",
                ),
                row=1,
                col=col,
            )
    style(fig, title, height)
    fig.update_layout(showlegend=False)
    fig.add_annotation(
        text="mean ± 95 % interval over seeds",
        xref="paper",
        yref="paper",
        x=0,
        y=-0.18,
        showarrow=False,
        font={"size": 11},
    )
    return fig
