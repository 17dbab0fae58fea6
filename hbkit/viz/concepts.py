"""Diagrams of the series' concepts, drawn with plotly (pure functions, no data needed)."""

from __future__ import annotations

import plotly.graph_objects as go

from hbkit.viz.common import new_figure, style

__all__ = ["hierarchy_meanings_figure"]


def _tree(
    fig: go.Figure, x0: float, nodes: list[tuple[float, float, str, str]], edges: list[tuple[int, int]]
) -> None:
    for a, b in edges:
        fig.add_shape(
            type="line",
            x0=x0 + nodes[a][0],
            y0=nodes[a][1],
            x1=x0 + nodes[b][0],
            y1=nodes[b][1],
            line=dict(color="#aab", width=1.5),
            layer="below",
        )
    fig.add_trace(
        go.Scatter(
            x=[x0 + n[0] for n in nodes],
            y=[n[1] for n in nodes],
            mode="markers+text",
            text=[n[2] for n in nodes],
            textposition="middle center",
            textfont=dict(size=10, color="white"),
            marker=dict(
                size=[50 if n[2] else 12 for n in nodes],
                color=[n[3] for n in nodes],
                opacity=1.0,
                symbol=["square" if n[2] else "circle" for n in nodes],
                line=dict(width=0),
            ),
            hoverinfo="skip",
            showlegend=False,
            cliponaxis=False,
        )
    )


def hierarchy_meanings_figure(height: int = 430) -> go.Figure:
    """Left: HASHIRU's hierarchy, a CEO (manager) over employees (workers), under a memory budget
    and an expense budget. Right: HBPO's hierarchy of budgets, one problem's 16 rollouts in four
    subgroups of different token budgets."""
    fig = new_figure()
    blue, green, purple, grey = "#1f77b4", "#2ca02c", "#9467bd", "#7f7f7f"
    ceo = [
        (2.0, 3.0, "CEO", blue),
        (0.3, 1.6, "small", green),
        (1.2, 1.6, "mid", green),
        (2.0, 1.6, "reasoner", green),
        (2.8, 1.6, "flash", purple),
        (3.7, 1.6, "pro", purple),
    ]
    _tree(fig, 0.0, ceo, [(0, i) for i in range(1, 6)])
    budgets = [512, 1024, 2048, 2560]
    hb = [(2.0, 3.0, "problem", grey)] + [(0.5 + i * 1.0, 1.9, f"b={b}", blue) for i, b in enumerate(budgets)]
    edges = [(0, i) for i in range(1, 5)]
    for i in range(4):
        for j in range(4):
            hb.append((0.5 + i * 1.0 + (j - 1.5) * 0.2, 0.9, "", "#6baed6"))
            edges.append((1 + i, len(hb) - 1))
    _tree(fig, 5.5, hb, edges)
    notes = [
        (2.0, 3.75, "<b>HASHIRU</b>: a manager over workers"),
        (1.2, 0.75, "local: memory budget<br>(comes back on firing)"),
        (3.2, 0.75, "cloud: expense budget<br>(money, never comes back)"),
        (7.5, 3.75, "<b>HBPO</b>: a hierarchy of budgets"),
        (
            7.5,
            0.25,
            "16 rollouts of one problem in 4 budget subgroups;<br>advantages inside and across subgroups",
        ),
    ]
    for x, y, text in notes:
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=12), align="center")
    fig.add_shape(type="line", x0=4.75, x1=4.75, y0=0.2, y1=3.9, line=dict(color="#ddd", dash="dot"))
    fig.update_xaxes(visible=False, range=[-0.3, 9.8])
    fig.update_yaxes(visible=False, range=[0.0, 4.1])
    return style(fig, 'Two meanings of "hierarchical"', height=height)
