"""ipywidgets dashboards of the Reasoning world. They only wire controls to the figure builders in
:mod:`hbkit.viz.reasoning`; slider callbacks never train, training runs behind a button.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go

from hbkit.viz import reasoning as rviz
from hbkit.viz.common import LiveFigure, as_widget, display_live, static_mode, style, update_in_place

__all__ = ["reward_explorer", "budget_explorer", "budget_view", "TrainingPanel"]


def reward_explorer(widget_factory: Callable[[go.Figure], go.Figure] | None = None) -> LiveFigure:
    """Sliders for the budget ``b``, ``beta`` and ``alpha`` over the cosine-vs-HBPO reward figure."""
    import ipywidgets as w

    controls = {
        "budget": w.IntSlider(
            value=1024, min=128, max=3968, step=128, description="budget b", continuous_update=True
        ),
        "beta": w.FloatSlider(value=4.0, min=0.5, max=8.0, step=0.5, description="beta"),
        "alpha": w.FloatLogSlider(
            value=1 / 4096, base=10, min=-5, max=-2, step=0.1, description="alpha", readout_format=".1e"
        ),
    }
    return LiveFigure(rviz.reward_comparison, controls, widget_factory=widget_factory)


def budget_view(
    budget: Any, reports: Mapping[Any, Mapping[str, Any]], names: Mapping[Any, str] | None = None
) -> go.Figure:
    """Accuracy and tokens by level of each method at one budget instruction.

    :param budget: the key into ``reports`` (``"none"`` or a budget)
    :param reports: budget -> {method name -> evaluate report}
    """
    fig = rviz.by_level(reports[budget])
    label = "natural mode (no budget)" if budget in (None, "none") else f"budget {budget} tokens"
    return style(fig, f"{label}: accuracy and tokens by level", height=380)


def budget_explorer(
    reports: Mapping[Any, Mapping[str, Mapping[str, Any]]],
    widget_factory: Callable[[go.Figure], go.Figure] | None = None,
) -> LiveFigure:
    """A budget slider over precomputed evaluations (moving it never re-evaluates or retrains).

    :param reports: budget (``"none"`` or an int) -> {method name -> evaluate report}
    """
    import ipywidgets as w

    slider = w.SelectionSlider(
        options=list(reports), value=list(reports)[0], description="budget", continuous_update=True
    )
    return LiveFigure(
        budget_view, {"budget": slider}, fixed={"reports": reports}, widget_factory=widget_factory
    )


class TrainingPanel:
    """A "Train" button, a progress bar and learning curves that update live.

    :param make_trainers: returns ``{name: HBPO trainer}`` afresh for each run (so it can be re-run)
    :param iterations: iterations per trainer
    :param every: redraw the curves every this many iterations
    """

    def __init__(
        self,
        make_trainers: Callable[[], Mapping[str, Any]],
        iterations: int,
        every: int = 5,
        widget_factory: Callable[[go.Figure], go.Figure] | None = None,
    ):
        import ipywidgets as w

        self.make_trainers, self.iterations, self.every = make_trainers, int(iterations), max(1, every)
        self.trainers: dict[str, Any] = {}
        self.figure = (widget_factory or go.FigureWidget)(rviz.learning_curves({}))
        self.button = w.Button(description="Train", button_style="primary", icon="play")
        self.status = w.HTML("press Train (or run the next cell)")
        self.progress = w.IntProgress(min=0, max=1, description="progress")
        self.button.on_click(lambda _: self.run())
        self.widget = w.VBox([w.HBox([self.button, self.progress, self.status]), as_widget(self.figure)])

    def _redraw(self) -> None:
        update_in_place(self.figure, rviz.learning_curves({k: t.history for k, t in self.trainers.items()}))

    def run(self) -> dict[str, Any]:
        """Train every trainer from scratch, redrawing as it goes; return the trainers."""
        self.button.disabled = True
        try:
            self.trainers = dict(self.make_trainers())
            self.progress.max = max(1, self.iterations * len(self.trainers))
            self.progress.value = 0

            def tick(trainer: Any, row: dict[str, Any]) -> None:
                self.progress.value += 1
                if row["iteration"] % self.every == 0:
                    self._redraw()

            for name, trainer in self.trainers.items():
                self.status.value = f"training <b>{name}</b>"
                trainer.learn(iterations=self.iterations, progress=True, callback=tick)
            self._redraw()
            self.status.value = "done (press Train to run again)"
            if static_mode():  # a static page shows the curves where the training ran
                display_live(None, [self.figure], note="learning curves of this run")
        except Exception as exc:  # shown here: from the button, ipywidgets keeps it to the log
            import html

            self.status.value = (
                f"<span style='color:#b00020'>training failed: {type(exc).__name__}: "
                f"{html.escape(str(exc))}</span>"
            )
            raise
        finally:
            self.button.disabled = False
        return self.trainers

    def _ipython_display_(self) -> None:
        display_live(self.widget, [])  # static pages show the curves when run() finishes


def _quickstart_budget_explorer(widget_factory: Callable[[go.Figure], go.Figure] | None = None) -> LiveFigure:
    """The budget slider of notebook 00, over evaluations of the base reasoner."""
    import gymnasium as gym

    from hbkit.evaluate import evaluate
    from hbkit.train import base_reasoner

    base = base_reasoner(gym.make("hbkit/Reasoning-v0", scenario="hbpo-math"))
    reports = {
        b: {
            "base reasoner": evaluate(
                base, "hbkit/Reasoning-v0", episodes=200, seed=123, budget=None if b == "none" else b
            )
        }
        for b in ["none", 512, 1024, 2048, 2560]
    }
    return budget_explorer(reports, widget_factory=widget_factory)


#: Every live figure each notebook shows, as factories taking ``widget_factory=`` (used by the
#: slider-latency benchmark and by the tests that move every control).
NOTEBOOK_DASHBOARDS: dict[str, list[Callable[..., LiveFigure]]] = {
    "00_quickstart": [_quickstart_budget_explorer],
    "04_hbpo": [reward_explorer],
}
