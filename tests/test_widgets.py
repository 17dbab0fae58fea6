"""Every live figure a notebook shows: each of its controls redraws the figure in place."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest

from hbkit.viz.common import LiveFigure, control_values
from hbkit.viz.dashboards import notebook_dashboards

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = [(nb, name, f) for nb, fs in notebook_dashboards().items() for name, f in fs]


def test_registry_names_real_notebooks() -> None:
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert DASHBOARDS, "no dashboards registered"
    unknown = {nb for nb, _, _ in DASHBOARDS} - notebooks
    assert not unknown, f"NOTEBOOK_DASHBOARDS names notebooks that do not exist: {unknown}"


@pytest.mark.parametrize("notebook,name,factory", DASHBOARDS, ids=[f"{nb}-{n}" for nb, n, _ in DASHBOARDS])
def test_every_control_redraws_in_place(notebook: str, name: str, factory) -> None:
    live = factory(widget_factory=go.Figure)
    assert isinstance(live, LiveFigure)
    figure = live.figure
    for key, control in live.controls.items():
        values = control_values(control, n=2)
        assert values, f"{notebook}/{name}: control {key!r} has nowhere to move"
        before = figure.to_plotly_json()
        control.value = values[-1]
        assert live.figure is figure, "the figure must be updated in place, not replaced"
        assert figure.to_json() != before, f"{notebook}/{name}: moving {key!r} did not change the figure"
    assert len(live.latencies_ms) == len(live.controls)


def test_control_values_spread_over_the_range() -> None:
    import ipywidgets as w

    assert control_values(w.IntSlider(value=0, min=0, max=10, step=2), n=5) == [2, 4, 6, 8, 10]
    assert control_values(w.Checkbox(value=False)) == [True]
    assert control_values(w.SelectionSlider(options=["a", "b", "c"], value="b")) == ["a", "c"]
    log = control_values(w.FloatLogSlider(value=1e-3, base=10, min=-4, max=-2), n=2)
    assert log[0] == pytest.approx(1e-4) and log[-1] == pytest.approx(1e-2)


def test_a_failed_redraw_is_shown_beside_the_figure() -> None:
    """In a kernel, an exception raised by a control's observer only reaches the log: the figure
    would stay at the old value while the control shows the new one. The failure is shown."""
    import ipywidgets as w

    def build(n: int) -> go.Figure:
        if n == 3:
            raise KeyError("no grid point at n=3")
        return go.Figure(go.Scatter(y=[n]))

    slider = w.IntSlider(value=1, min=0, max=5)
    live = LiveFigure(build, {"n": slider}, widget_factory=go.Figure)
    assert live.error in live.widget.children and live.error.value == ""
    with pytest.raises(KeyError):
        slider.value = 3
    assert "could not redraw" in live.error.value and "no grid point at n=3" in live.error.value
    assert "n = 3" in live.error.value
    slider.value = 2
    assert live.error.value == "" and live.figure.data[0].y == (2,)
