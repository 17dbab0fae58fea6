"""Live figures of the RL primer (notebook 03b): each control retrains the tiny bandit (a few
milliseconds) or redraws a formula."""

from __future__ import annotations

from typing import Any

from hbkit.viz import primer
from hbkit.viz.common import LiveFigure

__all__ = [
    "policy_explorer",
    "learning_explorer",
    "group_explorer",
    "clip_explorer",
    "ppo_explorer",
    "NOTEBOOK_DASHBOARDS",
]


def _w() -> Any:
    import ipywidgets as w

    return w


def policy_explorer(widget_factory: Any = None) -> LiveFigure:
    """A slider over the logit gap: the policy and where it sits on the return curve."""
    w = _w()
    gap = w.FloatSlider(value=0.0, min=-4, max=4, step=0.5, description="logit gap", continuous_update=False)
    return LiveFigure(primer.policy_figure, {"gap": gap}, widget_factory=widget_factory)


def learning_explorer(widget_factory: Any = None) -> LiveFigure:
    """Learning rate, advantage and reward offset: the bandit retrains at every move."""
    w = _w()
    lr = w.SelectionSlider(
        options=[0.03, 0.1, 0.3, 1.0, 3.0], value=0.3, description="learning rate", continuous_update=False
    )
    adv = w.ToggleButtons(options=["none", "baseline", "group"], value="baseline", description="advantage")
    offset = w.SelectionSlider(
        options=[0.0, 1.0, 5.0], value=0.0, description="reward offset", continuous_update=False
    )
    return LiveFigure(
        primer.learning_figure, {"lr": lr, "advantage": adv, "offset": offset}, widget_factory=widget_factory
    )


def group_explorer(widget_factory: Any = None) -> LiveFigure:
    """How many of a group of 8 rollouts are right: the group-normalised advantages."""
    w = _w()
    k = w.IntSlider(value=1, min=0, max=8, description="right answers", continuous_update=False)
    return LiveFigure(primer.group_advantage_figure, {"successes": k}, widget_factory=widget_factory)


def clip_explorer(widget_factory: Any = None) -> LiveFigure:
    """PPO's clip range (HBPO: 0.2 below, 0.28 above): the clipped objective."""
    w = _w()
    low = w.FloatSlider(
        value=0.2, min=0.05, max=0.5, step=0.01, description="clip_low", continuous_update=False
    )
    high = w.FloatSlider(
        value=0.28, min=0.05, max=0.5, step=0.01, description="clip_high", continuous_update=False
    )
    return LiveFigure(
        primer.ppo_clip_figure, {"clip_low": low, "clip_high": high}, widget_factory=widget_factory
    )


def ppo_explorer(widget_factory: Any = None) -> LiveFigure:
    """Epochs per group and learning rate: reuse with and without the clip."""
    w = _w()
    epochs = w.IntSlider(value=8, min=1, max=16, description="epochs", continuous_update=False)
    lr = w.SelectionSlider(
        options=[0.3, 1.0, 3.0], value=1.0, description="learning rate", continuous_update=False
    )
    return LiveFigure(primer.ppo_training_figure, {"epochs": epochs, "lr": lr}, widget_factory=widget_factory)


NOTEBOOK_DASHBOARDS = {
    "03b_rl_primer": [policy_explorer, learning_explorer, group_explorer, clip_explorer, ppo_explorer]
}
