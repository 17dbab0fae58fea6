"""Dashboards of the Split world: ipywidgets controls wired to the figures of :mod:`hbkit.viz.split`.

Each function returns a :class:`hbkit.viz.common.LiveFigure` (display it, or read ``.figure``);
moving a control calls a pure figure builder again and redraws in place. Nothing here trains on a
slider: the only training (PPO) sits behind a button.

>>> from hbkit.viz.split_widgets import hand_split_dashboard
>>> dash = hand_split_dashboard("classroom")      # doctest: +SKIP
>>> dash                                          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import ipywidgets as widgets

from hbkit.managers.split import LEARNERS
from hbkit.viz.common import LiveFigure, run_in_output
from hbkit.viz.split import (
    episode_allocation_figure,
    feedback_figure,
    hand_split_from_weights,
    oracle_budget_figure,
    regret_curves_figure,
    world_of,
)

__all__ = [
    "hand_split_dashboard",
    "oracle_budget_dashboard",
    "feedback_dashboard",
    "allocation_dashboard",
    "ppo_panel",
    "learned_panel",
    "NOTEBOOK_DASHBOARDS",
]

_LAYOUT = widgets.Layout(width="300px")
_STYLE = {"description_width": "90px"}


def _slider(description: str, value: float, low: float, high: float, step: float) -> widgets.FloatSlider:
    return widgets.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=True,
        layout=_LAYOUT,
        style=_STYLE,
    )


def hand_split_dashboard(scenario: Any = "classroom", widget_factory: Any = None) -> LiveFigure:
    """Split the budget by hand (one weight slider per agent) and compare with the oracle.

    The productivities are the scenario's typical ones: here you play a manager who knows them.
    """
    w = world_of(scenario)
    controls: dict[str, Any] = {f"w_{n}": _slider(n, 1.0, 0.0, 10.0, 0.1) for n in w.names}
    controls["budget"] = _slider("budget", w.budget, w.max_budget / 48, w.max_budget, w.max_budget / 96)
    fixed = {"productivity": tuple(w.productivity), "scale": tuple(w.scale), "names": w.names}
    return LiveFigure(hand_split_from_weights, controls, fixed, widget_factory=widget_factory)


def oracle_budget_dashboard(scenario: Any = "classroom", widget_factory: Any = None) -> LiveFigure:
    """Move the budget and watch the oracle's split (and the value of one more unit) change."""
    w = world_of(scenario)
    controls = {"budget": _slider("budget", w.budget, w.max_budget / 48, w.max_budget, w.max_budget / 96)}
    fixed = {
        "productivity": tuple(w.productivity),
        "scale": tuple(w.scale),
        "names": w.names,
        "max_budget": w.max_budget,
    }
    return LiveFigure(oracle_budget_figure, controls, fixed, widget_factory=widget_factory)


def feedback_dashboard(
    scenario: Any = "drift",
    episodes: int = 24,
    names: Any = tuple(LEARNERS),
    widget_factory: Any = None,
) -> LiveFigure:
    """Sliders on noise, drift and budget; every move re-runs the learners on ``episodes`` short
    episodes (batched; a few tens of milliseconds) and redraws their regret."""
    w = world_of(scenario)
    controls = {
        "noise": _slider("noise", w.noise, 0.0, max(4.0 * w.noise, 1.0), 0.05),
        "drift": _slider("drift", w.drift, 0.0, 0.3, 0.01),
        "budget": _slider("budget", w.budget, w.max_budget / 12, w.max_budget, w.max_budget / 48),
    }
    for c in controls.values():
        c.continuous_update = False  # re-run when the slider is released
    fixed = {"scenario": scenario, "episodes": int(episodes), "names": names}
    return LiveFigure(feedback_figure, controls, fixed, widget_factory=widget_factory)


def allocation_dashboard(
    scenario: Any = "divisions",
    episodes: int = 8,
    widget_factory: Any = None,
) -> LiveFigure:
    """Pick a learner and an episode; see its split round by round beside the oracle's."""
    controls = {
        "name": widgets.Dropdown(
            options=list(LEARNERS), value="greedy", description="learner", layout=_LAYOUT, style=_STYLE
        ),
        "episode": widgets.IntSlider(
            value=0, min=0, max=episodes - 1, description="episode", layout=_LAYOUT, style=_STYLE
        ),
    }
    fixed = {"scenario": scenario, "episodes": int(episodes)}
    return LiveFigure(episode_allocation_figure, controls, fixed, widget_factory=widget_factory)


def ppo_panel(
    scenario: Any = "classroom",
    timesteps: int | None = None,
    episodes: int = 64,
    seed: int = 0,
) -> widgets.VBox:
    """A button that trains Stable-Baselines3 PPO on the scenario (with a progress bar), then
    draws its regret per round beside the learners'. Nothing trains until the button is pressed.

    :param timesteps: training steps (default: the scenario's ``[ppo]`` recipe)
    """
    from hbkit.train.sb3 import scenario_recipe

    steps = int(timesteps or scenario_recipe("hbkit/Split-v0", "ppo", scenario).get("timesteps", 50_000))
    out = widgets.Output()
    state: dict[str, Any] = {}

    def _train_and_draw() -> None:
        from hbkit.evaluate import evaluate
        from hbkit.train.sb3 import progress_callback, train_sb3
        from hbkit.viz.split import learner_runs

        out.clear_output()
        model = train_sb3(
            "hbkit/Split-v0",
            "ppo",
            scenario=scenario,
            total_timesteps=steps,
            seed=seed,
            progress_bar=False,
            callback=progress_callback(steps, "PPO"),
        )
        state["model"] = model
        report = evaluate(model, "hbkit/Split-v0", scenario=scenario, episodes=episodes, seed=seed)
        runs = learner_runs(scenario, tuple(LEARNERS), episodes, seed)
        curves = {n: r["regret"] for n, r in runs.items()}
        curves["ppo"] = report["regret_curve"]
        from IPython.display import display

        display(
            regret_curves_figure(
                curves, title=f"PPO after {steps:,} steps: mean regret {report['regret']:.3f}"
            )
        )

    # the trained model, once there is one: panel.state["model"]; panel.train() trains again
    panel = _train_panel(f"Train PPO ({steps:,} steps)", "260px", _train_and_draw, out, state)
    return panel


def learned_panel(
    scenario: Any = "drift",
    iterations: int | None = None,
    episodes: int = 64,
    seed: int = 0,
) -> widgets.VBox:
    """A button that trains the structured manager of :mod:`hbkit.train.split` (a learned
    productivity guess per agent, water-filled into a split; evolution strategies, seconds), then
    draws its regret per round beside the untrained structure and the hand-written learners.
    Nothing trains until the button is pressed.

    :param iterations: ES iterations (default: :class:`hbkit.train.split.SplitESConfig`'s)
    """
    from hbkit.train.split import SplitESConfig

    its = int(iterations or SplitESConfig.iterations)
    out = widgets.Output()
    state: dict[str, Any] = {}

    def _train_and_draw() -> None:
        import gymnasium as gym
        from IPython.display import display

        from hbkit.evaluate import evaluate
        from hbkit.managers.split import MANAGERS
        from hbkit.train.split import GuessManager
        from hbkit.train.split import train as train_split

        out.clear_output()
        manager = train_split("hbkit/Split-v0", scenario, seed=seed, iterations=its, progress=True)
        state["manager"] = manager
        env = gym.make("hbkit/Split-v0", scenario=scenario)
        agents = {n: MANAGERS[n](env) for n in ("equal", "ucb", "greedy")}
        agents.update({"untrained structure": GuessManager(env), "learned": manager})
        curves = {}
        for name, agent in agents.items():  # the same worlds (the same seed) for every agent
            curves[name] = evaluate(agent, "hbkit/Split-v0", scenario=scenario, episodes=episodes, seed=seed)[
                "regret_curve"
            ]
        mean = sum(curves["learned"]) / len(curves["learned"])
        print("learned parameters:", manager)
        display(
            regret_curves_figure(
                curves, title=f"The structured manager after {its} iterations: mean regret {mean:.3f}"
            )
        )

    # the trained manager, once there is one: panel.state["manager"]; panel.train() trains again
    panel = _train_panel(
        f"Train the structured manager ({its} iterations)", "360px", _train_and_draw, out, state
    )
    return panel


#: Every live figure the notebooks show, by notebook (file stem), at the notebooks' sizes: zero-argument
#: factories (each accepts ``widget_factory=``) for the slider-latency benchmark and the tests.
NOTEBOOK_DASHBOARDS: dict[str, list[Callable[..., LiveFigure]]] = {
    "02_budgets": [
        partial(hand_split_dashboard, "classroom"),
        partial(oracle_budget_dashboard, "classroom"),
    ],
    "03_feedback": [
        partial(feedback_dashboard, "drift", episodes=24),
        partial(allocation_dashboard, "divisions", episodes=8),
    ],
}


def _train_panel(
    description: str, width: str, run: Any, out: widgets.Output, state: dict[str, Any]
) -> widgets.VBox:
    """A button that runs ``run()`` (disabled while it runs) above the output ``run`` draws into.

    The panel's ``state`` holds what the run trained; ``panel.train()`` does what the button does.
    """
    button = widgets.Button(
        description=description, button_style="primary", layout=widgets.Layout(width=width)
    )

    def train(_: Any) -> None:
        button.disabled = True
        try:
            run_in_output(out, run)
        finally:
            button.disabled = False

    button.on_click(train)
    panel = widgets.VBox([button, out])
    panel.state = state  # type: ignore[attr-defined]
    panel.train = lambda: train(None)  # type: ignore[attr-defined]
    return panel
