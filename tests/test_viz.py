"""Figure builders are pure and callable without a browser; widgets redraw in place."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import plotly.graph_objects as go
import pytest

from hbkit.envs.reasoning import trace_episode
from hbkit.evaluate import evaluate
from hbkit.managers.reasoning import fixed_length_grid
from hbkit.train import HBPO, base_reasoner
from hbkit.viz import reasoning as rviz
from hbkit.viz.common import update_in_place
from hbkit.viz.reasoning_widgets import TrainingPanel, budget_explorer, reward_explorer

ENV = "hbkit/Reasoning-v0"


@pytest.fixture(scope="module")
def reports():
    env = gym.make(ENV)
    return {"base reasoner": evaluate(base_reasoner(env), ENV, episodes=200, seed=0, budget=None)}


def test_reward_curves_follow_the_reward():
    fig = rviz.reward_curves(budgets=(1024,), beta=4.0)
    budget_trace = fig.data[0]
    y = np.asarray(budget_trace.y)
    x = np.asarray(budget_trace.x)
    assert np.allclose(y[x <= 1024], 4 * np.cos(np.pi * 1024 / 8192))  # flat inside the budget
    assert np.all(np.diff(y[x > 1024]) < 0)  # decaying past it
    with pytest.raises(ValueError, match="unknown reward"):
        rviz.reward_curves(reward="nope")
    left, right = rviz.reward_comparison(budget=2048).data
    assert left.y[0] > left.y[-1] and right.y[0] == right.y[100]


def test_figures_from_reports(reports):
    env = gym.make(ENV)
    fixed = [evaluate(m, ENV, episodes=100, seed=0, budget=None) for m in fixed_length_grid(env, step=1024)]
    fig = rviz.frontier(fixed, reports)
    assert list(fig.data[0].x) == sorted(fig.data[0].x) and len(fig.data) == 2
    fig = rviz.by_level(reports)
    assert len(fig.data) == 2 and len(fig.data[0].x) == len(reports["base reasoner"]["by_level"])
    assert rviz.budget_following({0: reports["base reasoner"], 512: reports["base reasoner"]}).data
    table = rviz.results_table([{"run": "a", "accuracy": 0.8512, "mean_tokens": 1234.5}])
    assert list(table.data[0].cells.values[1]) == ["0.851"]


def test_learning_curves_and_trace():
    t = HBPO(ENV, problems_per_iteration=4)
    h = t.learn(iterations=12, progress=False)
    fig = rviz.learning_curves({"HBPO": h}, smooth=5)
    assert len(fig.data) == 4  # raw + smoothed, two panels
    tr = trace_episode(t.policy, seed=1, budget=512)
    assert tr["tokens"][0] == 0 and tr["budget"] == 512 and len(tr["text"]) == len(tr["tokens"])
    assert rviz.rollout_trace(tr).layout.xaxis.range == (0, 4096)


def test_update_in_place_keeps_the_widget():
    target = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))
    update_in_place(target, go.Figure(go.Scatter(x=[0, 1], y=[5, 6])))
    assert tuple(target.data[0].y) == (5, 6)
    update_in_place(target, go.Figure([go.Bar(x=[1], y=[2]), go.Bar(x=[1], y=[3])]))
    assert [d.type for d in target.data] == ["bar", "bar"]


def test_sliders_redraw_without_retraining(reports):
    explorer = reward_explorer(widget_factory=go.Figure)
    before = explorer.figure.data[1].y
    explorer.controls["budget"].value = 2048
    assert not np.array_equal(explorer.figure.data[1].y, before) and len(explorer.latencies_ms) == 1
    by_budget = {"none": reports, 512: {"base reasoner": {**reports["base reasoner"], "accuracy": 0.1}}}
    be = budget_explorer(by_budget, widget_factory=go.Figure)
    be.controls["budget"].value = 512
    assert "budget 512" in be.figure.layout.title.text


def test_training_panel_runs_and_reruns():
    made = []

    def make():
        made.append(1)
        return {"HBPO": HBPO(ENV, problems_per_iteration=2)}

    panel = TrainingPanel(make, iterations=3, every=1, widget_factory=go.Figure)
    panel.run()
    assert panel.progress.value == 3 and len(panel.figure.data) > 0
    panel.button.click()  # the button trains again, from scratch
    assert len(made) == 2 and panel.trainers["HBPO"].iteration == 3


def test_a_failed_training_is_shown_in_the_panel():
    """A button's callback that raises only reaches the log (ipywidgets catches it): the status must
    not keep saying "training" as if the run went on."""

    class Broken:
        history: list = []

        def learn(self, **kwargs):
            raise FloatingPointError("non-finite loss")

    panel = TrainingPanel(lambda: {"HBPO": Broken()}, iterations=3, widget_factory=go.Figure)
    with pytest.raises(FloatingPointError):
        panel.run()
    assert "failed" in panel.status.value and "non-finite loss" in panel.status.value
    assert not panel.button.disabled
    panel.status.value = ""
    panel.button.click()  # the same from the button, whose exception ipywidgets keeps to the log
    assert "non-finite loss" in panel.status.value


def test_crowded_labels_are_merged_so_they_cannot_overlap():
    from hbkit.viz.common import merge_crowded_labels

    labels = merge_crowded_labels(
        [0.17, 0.171, 0.0, 0.1], [51.9, 51.95, 39.8, 45.0], ["greedy", "feedback", "local", "x"]
    )
    assert labels == ["greedy / feedback", "", "local", "x"]


def test_ablation_bars_draw_intervals_only_over_seeds():
    """A run over one seed (its '±' is 0 or missing) has no interval: no zero-width error bar."""
    rows = [
        {"run": "many", "seeds": 3, "accuracy": 0.8, "accuracy ±": 0.02},
        {"run": "one", "seeds": 1, "accuracy": 0.7, "accuracy ±": 0.0},
        {"run": "unsaid", "accuracy": 0.6},
    ]
    (bars,) = rviz.ablation_bars(rows, metrics=("accuracy",)).data
    assert list(bars.y) == [0.8, 0.7, 0.6]
    assert bars.error_y.array[0] == pytest.approx(0.02)
    assert bars.error_y.array[1] is None and bars.error_y.array[2] is None
