"""Shared plumbing of hbkit's figures and widgets.

Figures are built by pure functions (``build(**values) -> go.Figure``) that tests call without a
browser. :class:`LiveFigure` only wires ipywidgets controls to such a function: when a control
moves it calls the builder again and copies the result into a plotly ``FigureWidget`` inside
``batch_update()``, so the plot is redrawn in place, never re-created and never retrained.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "COLORS",
    "LEVEL_COLORS",
    "style",
    "update_in_place",
    "LiveFigure",
    "method_color",
    "as_widget",
    "run_in_output",
    "control_values",
    "static_mode",
    "display_live",
    "TEMPLATE",
    "new_figure",
    "subplots",
    "style_layout",
    "log_axis",
    "money_label",
    "label_positions",
    "wrap_title",
]

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


_AXIS = dict(
    gridcolor="#EBF0F8",
    linecolor="#EBF0F8",
    zerolinecolor="#EBF0F8",
    zerolinewidth=2,
    ticks="",
    automargin=True,
    title=dict(standoff=15),
)
#: hbkit's look: the layout part of plotly's "plotly_white", without its per-trace defaults. A slim
#: template keeps building a figure cheap (plotly copies and validates the template of every new
#: figure), which is what keeps slider redraws fast.
TEMPLATE = go.layout.Template(
    layout=dict(
        paper_bgcolor="white",
        plot_bgcolor="white",
        font=dict(color="#2a3f5f"),
        hovermode="closest",
        hoverlabel=dict(align="left"),
        title=dict(x=0.05),
        xaxis=_AXIS,
        yaxis=_AXIS,
        colorway=["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880"],
    )
)


def new_figure(*data: Any, **layout: Any) -> go.Figure:
    """A ``go.Figure`` with hbkit's slim template (use instead of ``go.Figure()`` in builders)."""
    return go.Figure(data=list(data) or None, layout={"template": TEMPLATE, **layout})


def money_label(dollars: float) -> str:
    """A short dollar label for a tick: ``$1``, ``$0.01``, ``$0.0001`` (no SI prefixes such as μ)."""
    if dollars >= 1:
        return f"${dollars:g}"
    decimals = max(0, -int(math.floor(math.log10(dollars))))
    return f"${dollars:.{decimals}f}"


def log_axis(
    lo: float,
    hi: float,
    label: Callable[[float], str] = lambda v: f"{v:g}",
    zero_at: float | None = None,
    zero_label: str = "0",
) -> dict[str, Any]:
    """Axis settings for values spanning decades: a log axis with one tick per decade (so labels
    never crowd), ticks labelled by ``label``, and optionally a tick ``zero_label`` at ``zero_at``
    (a stand-in position for zero, which a log axis cannot show).

    >>> log_axis(0.0003, 0.02)["tickvals"]
    [0.0001, 0.001, 0.01, 0.1]
    """
    if not 0 < lo <= hi:
        raise ValueError(f"log_axis needs 0 < lo <= hi; got lo={lo}, hi={hi}")
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    vals = [10.0**e for e in range(first, last + 1)]
    vals = [float(f"{v:.1e}") for v in vals]
    text = [label(v) for v in vals]
    low = math.log10(min(lo, zero_at) if zero_at else lo) - 0.15
    if zero_at is not None:
        vals, text = [zero_at, *vals], [zero_label, *text]
    return {
        "type": "log",
        "tickvals": vals,
        "ticktext": text,
        "range": [low, math.log10(hi) + 0.15],
        "automargin": True,
    }


def merge_crowded_labels(
    x: Any,
    y: Any,
    texts: Any,
    xlog: bool = False,
    width_px: float = 800.0,
    height_px: float = 320.0,
    char_px: float = 7.0,
    line_px: float = 16.0,
) -> list[str]:
    """Labels for a scatter whose points may sit almost on top of each other: the labels of points
    closer than a label's size (estimated in pixels of a ``width_px`` x ``height_px`` plot area)
    are joined into one label on the first of them ("greedy / feedback"), and the others get none,
    so no placement can make them overlap. Hover still names every point.
    """
    import numpy as np

    xs = np.log10(np.maximum(np.asarray(x, float), 1e-300)) if xlog else np.asarray(x, float)
    ys = np.asarray(y, float)

    def scale(v: Any, size: float) -> Any:
        lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
        return (v - lo) / (hi - lo if hi > lo else 1.0) * size

    px, py = scale(xs, width_px), scale(ys, height_px)
    out = [str(t) for t in texts]
    owner = list(range(len(out)))
    for i in range(len(out)):
        for j in range(i):
            k = owner[j]
            if k != j:
                continue
            w = char_px * max(len(out[k]), len(str(texts[i])))
            if abs(px[i] - px[k]) < w and abs(py[i] - py[k]) < 1.5 * line_px:
                out[k] = f"{out[k]} / {texts[i]}"
                out[i], owner[i] = "", k
                break
    return out


def label_positions(
    x: Any,
    y: Any,
    texts: Any,
    xlog: bool = False,
    width_px: float = 800.0,
    height_px: float = 320.0,
    char_px: float = 7.0,
    line_px: float = 16.0,
    marker_px: float = 12.0,
) -> list[str]:
    """``textposition`` for each point of a labelled scatter, chosen so that labels neither overlap
    each other nor leave the plot: each label tries above, below, right, left (and the corners)
    and takes the first place that is free, estimated in pixels of a ``width_px`` x ``height_px``
    plot area.
    """
    import numpy as np

    xs = np.log10(np.maximum(np.asarray(x, float), 1e-300)) if xlog else np.asarray(x, float)
    ys = np.asarray(y, float)

    def scale(v: Any, size: float) -> Any:
        lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
        span = hi - lo if hi > lo else 1.0
        return (v - lo) / span * size * 0.9 + size * 0.05

    px, py = scale(xs, width_px), scale(ys, height_px)
    placed: list[tuple[float, float, float, float]] = [
        (a - marker_px / 2, b - marker_px / 2, a + marker_px / 2, b + marker_px / 2)
        for a, b in zip(px, py, strict=True)
    ]
    choices = [
        "top center",
        "bottom center",
        "middle right",
        "middle left",
        "top right",
        "top left",
        "bottom right",
        "bottom left",
    ]
    out = []
    order = np.argsort(-py)
    result: dict[int, str] = {}
    for i in order:
        w, h = char_px * len(str(texts[i])) + 4, line_px
        best, best_hits = choices[0], None
        for c in choices:
            v, hpos = c.split()
            cx = px[i] + {"center": 0.0, "right": marker_px / 2 + w / 2, "left": -marker_px / 2 - w / 2}[hpos]
            cy = py[i] + {"top": marker_px / 2 + h / 2, "bottom": -marker_px / 2 - h / 2, "middle": 0.0}[v]
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            hits = sum(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed)
            hits += 2 * (box[0] < 0 or box[2] > width_px or box[1] < 0 or box[3] > height_px)
            if best_hits is None or hits < best_hits:
                best, best_hits, best_box = c, hits, box
            if hits == 0:
                break
        result[int(i)] = best
        placed.append(best_box)
    out = [result[i] for i in range(len(px))]
    return out


def wrap_title(title: str, width: int = 80) -> str:
    """Break a long plain title at a word boundary (``<br>``) so it fits; leaves titles that already
    hold ``<br>`` alone."""
    if len(title) <= width or "<br>" in title:
        return title
    cut = title.rfind(" ", 0, width)
    for sep in (": ", "; ", ", "):
        at = title.rfind(sep, width // 3, width)
        if at > 0:
            cut = at + len(sep) - 1
            break
    if cut <= 0:
        return title
    return title[:cut].rstrip() + "<br>" + title[cut:].strip()


_GRIDS: dict[str, tuple[dict, Any, Any]] = {}


def subplots(**kwargs: Any) -> go.Figure:
    """``plotly.subplots.make_subplots`` on a :func:`new_figure` (same keyword arguments).

    ``make_subplots`` is slow (about 30 ms); the grid of each distinct set of arguments is made
    once and copied afterwards, so figure builders behind sliders stay fast.
    """
    key = repr(sorted(kwargs.items()))
    if key not in _GRIDS:
        grid = make_subplots(figure=new_figure(), **kwargs)
        _GRIDS[key] = (grid.layout.to_plotly_json(), grid._grid_ref, grid._grid_str)
    layout, grid_ref, grid_str = _GRIDS[key]
    fig = go.Figure(layout=layout)
    fig._grid_ref, fig._grid_str = grid_ref, grid_str
    return fig


def style_layout(title: str | None = None, height: int = 380) -> dict[str, Any]:
    """hbkit's common layout entries (title, height, compact margins, legend at the right), as a
    plain dict for builders that assemble a figure from dicts."""
    text = wrap_title(title) if title else None
    lines = text.count("<br>") + 1 if text else 0
    return {
        "title": {"text": text} if text else None,
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 50 + 20 * lines if text else 30, "b": 50},
        "legend": {"orientation": "v", "yanchor": "top", "y": 1.0, "xanchor": "left", "x": 1.02},
    }


def style(fig: go.Figure, title: str | None = None, height: int = 380) -> go.Figure:
    """Apply hbkit's common layout (slim white template, compact margins, legend at the right)."""
    if fig.layout.template.layout.paper_bgcolor != "white":  # not made by new_figure / subplots
        fig.update_layout(template=TEMPLATE)
    fig.update_layout(style_layout(title, height))
    return fig


def _same(a: Any, b: Any) -> bool:
    """Deep equality of plotly JSON values (dicts, lists, NumPy arrays, scalars)."""
    import numpy as np

    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return np.shape(a) == np.shape(b) and bool(np.all(np.asarray(a) == np.asarray(b)))
        except (TypeError, ValueError):
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=False))
    return type(a) is type(b) and a == b


def _changes(current: dict[str, Any], fresh: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The top-level keys to set so ``current`` becomes ``fresh`` (``None`` removes a key)."""
    out = {
        k: v
        for k, v in fresh.items()
        if k not in keep
        and not _same(current.get(k), v)
        and not (isinstance(v, dict) and not v and k not in current)
    }
    out.update({k: None for k in current if k not in fresh and k not in keep})
    return out


def update_in_place(target: go.Figure, new: go.Figure) -> None:
    """Make ``target`` (usually a ``FigureWidget``) show ``new``, in one batched update.

    Only what differs is sent: traces are updated key by key when the new figure has the same
    number and types of traces (otherwise they are replaced), and only the layout entries that
    changed are set. Skipping unchanged parts is what keeps a slider redraw well under 100 ms.
    """
    fresh = new.to_plotly_json()
    ctx = target.batch_update() if hasattr(target, "batch_update") else _nullcontext()
    with ctx:
        same = len(target.data) == len(new.data) and all(
            a.type == b.type for a, b in zip(target.data, new.data, strict=False)
        )
        if same:
            for old, trace in zip(target.data, fresh["data"], strict=False):
                changes = _changes(old.to_plotly_json(), trace, keep=("uid", "type"))
                if changes:
                    old.update(changes, overwrite=True)
        else:
            target.data = ()
            target.add_traces(list(new.data))
        layout = target.layout.to_plotly_json()
        changes = _changes(layout, fresh["layout"], keep=("template",))
        if not _same(layout.get("template"), fresh["layout"].get("template")):
            changes["template"] = fresh["layout"].get("template")
        if changes:
            target.update_layout(changes, overwrite=True)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def run_in_output(output: Any, fn: Callable[[], Any]) -> Any:
    """Run ``fn()`` with its prints, progress bars and figures going to the ``output`` widget, and
    return what it returns.

    An ``ipywidgets.Output`` used as a context manager shows an exception's traceback inside the
    widget and then *swallows* it, so code that called a training button's method would go on as if
    the training had worked. Here the traceback is still shown in the widget, and the exception is
    raised again to the caller (a cell, a test, or the button's own error log).
    """
    failure: list[BaseException] = []
    result = None
    with output:
        try:
            result = fn()
        except Exception as exc:
            failure.append(exc)
            raise  # the widget shows the traceback (and drops the exception)
    if failure:
        raise failure[0]
    return result


def as_widget(fig: Any) -> Any:
    """``fig`` itself if it is an ipywidget (a ``FigureWidget``), else an empty placeholder (a plain
    ``go.Figure`` used by tests without a front end)."""
    import ipywidgets as widgets

    return fig if isinstance(fig, widgets.DOMWidget) else widgets.Output()


def static_mode() -> bool:
    """True when ``HBKIT_STATIC=1`` (set by ``make html``): live figures display as plain plotly
    figures, which a static HTML page can show without a kernel."""
    return os.environ.get("HBKIT_STATIC", "").strip().lower() not in ("", "0", "false", "no")


def control_values(control: Any, n: int = 6) -> list[Any]:
    """Up to ``n`` values spread over a control's range, other than its current value.

    Works for ipywidgets sliders (int, float, log), selection sliders, dropdowns and checkboxes.
    Used by the slider-latency benchmark and by the tests that move every control.
    """
    import numpy as np

    current = control.value
    if hasattr(control, "options"):  # SelectionSlider, Dropdown, ToggleButtons, ...
        options = list(getattr(control, "_options_values", None) or control.options)
        picks = [options[int(i)] for i in np.linspace(0, len(options) - 1, min(n + 1, len(options)))]
        return [v for v in dict.fromkeys(picks) if v != current][:n]
    if isinstance(current, bool):
        return [not current]
    if hasattr(control, "base"):  # FloatLogSlider: min/max are exponents
        grid = control.base ** np.linspace(control.min, control.max, n + 1)
    elif hasattr(control, "min") and hasattr(control, "max"):
        grid = np.linspace(control.min, control.max, n + 1)
        step = getattr(control, "step", None)
        if step:
            grid = control.min + np.round((grid - control.min) / step) * step
        if isinstance(current, int):
            grid = np.round(grid).astype(int)
    else:
        raise TypeError(f"control_values: do not know how to move a {type(control).__name__}")
    values = [type(current)(v) for v in grid]
    return [v for v in dict.fromkeys(values) if v != current][:n]


def display_live(widget: Any, figures: list[Any], note: str = "static copy") -> None:
    """Display a dashboard: the live ``widget`` normally, or in :func:`static_mode` its ``figures``
    as plain plotly figures (so ``make html`` pages show them without a kernel)."""
    from IPython.display import display

    if not static_mode():
        display(widget)
        return
    for figure in figures:
        fig = go.Figure(figure)
        fig.add_annotation(
            text=f"{note}; run the notebook to use the controls",
            xref="paper",
            yref="paper",
            x=0,
            y=1.0,
            yshift=8,
            yanchor="bottom",
            showarrow=False,
            font=dict(size=10, color="#777"),
            xanchor="left",
        )
        display(fig)


if static_mode():  # static HTML pages: every figure carries its HTML (plotly.js embedded once per page)
    import plotly.io as pio

    pio.renderers.default = "plotly_mimetype+notebook"


class LiveFigure:
    """A figure that redraws when its controls move.

    :param build: pure function ``build(**values) -> go.Figure``
    :param controls: name -> ipywidgets control (its ``value`` is passed to ``build`` as ``name``)
    :param fixed: further keyword arguments for ``build`` that no control changes
    :param widget_factory: how to make the live figure (default ``go.FigureWidget``); tests pass
        ``go.Figure`` to run without a front end

    ``latencies_ms`` records how long each redraw took (used by the slider benchmark). A redraw
    that fails, when a control moves or :meth:`refresh` is called (e.g. by a button), is shown in
    :attr:`error`, under the figure (in a kernel, an exception raised in a widget callback only
    reaches the log, and the figure would silently stay as it was).
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
        self.error = widgets.HTML()
        self.widget = widgets.VBox(
            [widgets.HBox(list(self.controls.values())), as_widget(self.figure), self.error]
        )

    def values(self) -> dict[str, Any]:
        """The current keyword arguments of the builder."""
        return {**self.fixed, **{k: c.value for k, c in self.controls.items()}}

    def refresh(self) -> None:
        """Rebuild the figure from the current control values and redraw it in place. A failure is
        shown in :attr:`error` (the figure keeps the previous setting, and says so) and raised again.
        """
        t0 = time.perf_counter()
        try:
            update_in_place(self.figure, self.build(**self.values()))
        except Exception as exc:
            import html

            shown = ", ".join(f"{k} = {c.value}" for k, c in self.controls.items())
            self.error.value = (
                f"<span style='color:#b00020'>could not redraw for {html.escape(shown)}: "
                f"{type(exc).__name__}: {html.escape(str(exc))} (the figure shows the previous "
                "setting)</span>"
            )
            raise
        self.latencies_ms.append((time.perf_counter() - t0) * 1e3)
        self.error.value = ""

    def _on_change(self, change: Any) -> None:
        self.refresh()

    def _ipython_display_(self) -> None:
        shown = ", ".join(f"{k} = {c.value}" for k, c in self.controls.items())
        display_live(self.widget, [self.figure], note=f"static copy ({shown})")
