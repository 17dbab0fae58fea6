"""Slider-to-figure latency of every notebook control, without a browser.

Each live figure a notebook shows (``hbkit.viz.dashboards.notebook_dashboards``) is built as a
plotly ``FigureWidget``; every control is then moved through values spread over its range, and the
time from setting ``control.value`` to the end of the in-place redraw (rebuilding the figure and
copying it into the widget inside ``batch_update``) is recorded. Target: median <= 100 ms per control.
"""

from __future__ import annotations

import os
import statistics

import plotly.graph_objects as go
from _common import table as markdown_table

from hbkit.viz.common import control_values
from hbkit.viz.dashboards import notebook_dashboards

TITLE = "Notebook widgets: slider-to-figure latency"
TARGET_MS = 100.0


def run(quick: bool = False) -> str:
    os.environ.setdefault("HBKIT_FAST", "1")  # the notebooks' own fast sizes for the precomputed data
    moves = 4 if quick else 10
    rows, worst = [], 0.0
    for notebook, factories in notebook_dashboards().items():
        for name, factory in factories:
            live = factory(widget_factory=go.FigureWidget)
            for key, control in live.controls.items():
                start = control.value
                times = []
                for value in control_values(control, n=moves) + [start]:  # each value once: no cache hits
                    n = len(live.latencies_ms)
                    control.value = value
                    times.extend(live.latencies_ms[n:])
                median = statistics.median(times)
                worst = max(worst, median)
                rows.append(
                    [
                        notebook,
                        name,
                        key,
                        len(times),
                        f"{median:.1f}",
                        f"{max(times):.1f}",
                        "yes" if median <= TARGET_MS else "**no**",
                    ]
                )
    table = markdown_table(
        ["notebook", "live figure", "control", "moves", "median ms", "max ms", f"<= {TARGET_MS:.0f} ms"], rows
    )
    verdict = "every control meets" if worst <= TARGET_MS else "NOT every control meets"
    return (
        f"## {TITLE}\n\n{table}\n\nSlowest median {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target. "
        "Latency = rebuild the figure from the control values and copy it into the FigureWidget "
        "(`LiveFigure.refresh`); the browser's own redraw is not included."
    )
