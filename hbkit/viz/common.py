"""Shared plumbing of hbkit's figures and widgets.

Figures are built by pure functions (``build(**values) -> go.Figure``) that tests call without a
browser. :class:`LiveFigure` only wires ipywidgets controls to such a function: when a control
moves it calls the builder again and copies the result into a plotly ``FigureWidget`` inside
``batch_update()``, so the plot is redrawn in place, never re-created and never retrained.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go

__all__ = ["COLORS", "LEVEL_COLORS", "style", "update_in_place", "LiveFigure", "method_color", "as_widget"]

#: One color per method, shared by every figure so a method looks the same everywhere.
COLORS: dict[str, str] = {
    "HBPO": "#1f77b4",
    "hbpo": "#1f77b4",
    "base reasoner": "#7f7f7f",
    "base": "#7f7f7f",
    "cosine": "#d62728",
    "classic": "#ff7f0e",
    "single budget": "#9467bd",
    "fixed length": "#2ca02c",
    "oracle": "#17becf",
    "equal": "#8c564b",
}
LEVEL_COLORS = ("#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594")
_FALLBACK = ("#e377c2", "#bcbd22", "#17becf", "#8c564b", "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5")


def method_color(name: str, i: int = 0) -> str:
    """The shared color of a method (by name), or a stable fallback."""
    for key, color in COLORS.items():
        if name == key or name.lower().startswith(key.lower()):
            return color
    return _FALLBACK[i % len(_FALLBACK)]


def style(fig: go.Figure, title: str | None = None, height: int = 380) -> go.Figure:
    """Apply hbkit's common layout (white template, compact margins, legend on top)."""
    fig.update_layout(
        template="plotly_white",
        title=title,
        height=height,
        margin=dict(l=60, r=20, t=70 if title else 30, b=50),
        legend=dict(orientation="v", yanchor="top", y=1.0, xanchor="left", x=1.02),
    )
    return fig


def update_in_place(target: go.Figure, new: go.Figure) -> None:
    """Make ``target`` (usually a ``FigureWidget``) show ``new``, in one batched update.

    Traces are updated in place when the new figure has the same number and types of traces;
    otherwise they are replaced. The layout is replaced as a whole.
    """
    ctx = target.batch_update() if hasattr(target, "batch_update") else _nullcontext()
    with ctx:
        same = len(target.data) == len(new.data) and all(
            a.type == b.type for a, b in zip(target.data, new.data)
        )
        if same:
            for old, fresh in zip(target.data, new.data):
                old.update(fresh.to_plotly_json(), overwrite=True)
        else:
            target.data = ()
            target.add_traces(list(new.data))
        target.layout = new.layout


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def as_widget(fig: Any) -> Any:
    """``fig`` itself if it is an ipywidget (a ``FigureWidget``), else an empty placeholder (a plain
    ``go.Figure`` used by tests without a front end)."""
    import ipywidgets as widgets

    return fig if isinstance(fig, widgets.DOMWidget) else widgets.Output()


class LiveFigure:
    """A figure that redraws when its controls move.

    :param build: pure function ``build(**values) -> go.Figure``
    :param controls: name -> ipywidgets control (its ``value`` is passed to ``build`` as ``name``)
    :param fixed: further keyword arguments for ``build`` that no control changes
    :param widget_factory: how to make the live figure (default ``go.FigureWidget``); tests pass
        ``go.Figure`` to run without a front end

    ``latencies_ms`` records how long each redraw took (used by the slider benchmark).
    """

    def __init__(
        self,
        build: Callable[..., go.Figure],
        controls: Mapping[str, Any],
        fixed: Mapping[str, Any] | None = None,
        widget_factory: Callable[[go.Figure], go.Figure] | None = None,
    ):
        import ipywidgets as widgets

        self.build, self.controls, self.fixed = build, dict(controls), dict(fixed or {})
        factory = widget_factory or go.FigureWidget
        self.figure = factory(self.build(**self.values()))
        self.latencies_ms: list[float] = []
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values())), as_widget(self.figure)])

    def values(self) -> dict[str, Any]:
        """The current keyword arguments of the builder."""
        return {**self.fixed, **{k: c.value for k, c in self.controls.items()}}

    def refresh(self) -> None:
        """Rebuild the figure from the current control values and redraw it in place."""
        t0 = time.perf_counter()
        update_in_place(self.figure, self.build(**self.values()))
        self.latencies_ms.append((time.perf_counter() - t0) * 1e3)

    def _on_change(self, change: Any) -> None:
        self.refresh()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
