"""The live figure of notebook 06: a world slider over SB3's evaluation curves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from hbkit.viz.common import LiveFigure
from hbkit.viz.compare import eval_curves

__all__ = ["curve_explorer", "NOTEBOOK_DASHBOARDS"]


def curve_explorer(
    curves: Mapping[str, Any],
    references: Mapping[str, Mapping[str, float]] | None = None,
    widget_factory: Callable[[go.Figure], go.Figure] | None = None,
) -> LiveFigure:
    """A slider over the worlds; the figure shows that world's SB3 curves and reference lines.

    :param curves: world -> algorithm -> ``{"timesteps", "reward"}`` (see :func:`eval_curves`)
    :param references: world -> method -> reward
    """
    import ipywidgets as w

    slider = w.SelectionSlider(
        options=list(curves), value=list(curves)[0], description="world", continuous_update=True
    )
    return LiveFigure(
        eval_curves,
        {"env": slider},
        fixed={"curves": curves, "references": references or {}},
        widget_factory=widget_factory,
    )


def _benchmark_explorer(widget_factory: Callable[[go.Figure], go.Figure] | None = None) -> LiveFigure:
    """Notebook 06's explorer at its real size (3 worlds x 2 algorithms x 10 evaluations, 5 reference
    lines each), filled with placeholder numbers: redraw time depends on the figure, not the data."""
    rng = np.random.default_rng(0)
    steps = list(range(3000, 30001, 3000))
    curves = {
        env: {
            algo: {"timesteps": steps, "reward": list(np.cumsum(rng.normal(0.1, 0.05, len(steps))))}
            for algo in ("PPO", "A2C")
        }
        for env in ("Reasoning", "Team", "Split")
    }
    refs = {env: {f"manager {k}": float(rng.normal()) for k in range(5)} for env in curves}
    return curve_explorer(curves, refs, widget_factory=widget_factory)


#: See :mod:`hbkit.viz.dashboards`.
NOTEBOOK_DASHBOARDS: dict[str, list[Callable[..., LiveFigure]]] = {
    "06_stable_baselines3": [_benchmark_explorer],
}
