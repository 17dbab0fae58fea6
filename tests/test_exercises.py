"""The exercise checkers: every notebook placeholder fails with a hint, every reference answer in
hbkit.solutions passes, one-line tricks do not reach the targets, ties are reported as ties."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hbkit import solutions
from hbkit.exercises import (
    Prediction,
    check_cost_benefit,
    check_group_advantage,
    check_hbpo_reward,
    check_learner,
    check_reasoner,
    check_sb3_agent,
    check_team_manager,
    check_water_filling,
    predict,
    solution,
)


def test_reward_checker():
    assert check_hbpo_reward(solutions.hbpo_reward).passed
    placeholder = check_hbpo_reward(lambda n, b, c: 4 * math.cos(math.pi * n / (2 * 4096)) if c else 0.0)
    assert not placeholder.passed and "inside the budget" in placeholder.message
    boom = check_hbpo_reward(lambda n, b, c: 1 / 0)
    assert not boom.passed and "ZeroDivisionError" in boom.message
    assert "❌" in str(boom) and "border-left" in boom._repr_html_()


def test_reasoner_checker():
    good = check_reasoner(solutions.reasoner)
    assert good.passed, good.message
    placeholder = check_reasoner(lambda obs: 0, episodes=200)  # never answers
    assert not placeholder.passed and "tokens" in placeholder.message
    assert not check_reasoner(lambda obs: 1, episodes=200).passed  # answers at once: guesses
    # the one-line threshold rule saves tokens in natural mode but ignores the budget in the prompt
    one_line = check_reasoner(lambda obs: int(obs[-3] > 0.8), episodes=400)  # hint_mean
    assert not one_line.passed and "budget" in one_line.message, one_line.message
    assert isinstance(good.details["yours"]["accuracy"], float)
    assert np.isfinite(good.details["base"]["mean_tokens"])
    # the learner's one-observation reasoner meets the base reasoner's problems, not other ones
    counts = [{k: v["count"] for k, v in good.details[w]["by_level"].items()} for w in ("yours", "base")]
    assert counts[0] == counts[1]


def test_cost_benefit_checker():
    assert check_cost_benefit(solutions.net_value).passed
    placeholder = check_cost_benefit(lambda p, value, quorum, dollars, money_weight: value / quorum * p)
    assert not placeholder.passed and "costs" in placeholder.message


def test_water_filling_checker():
    assert check_water_filling(solutions.water_fill).passed
    placeholder = check_water_filling(lambda a, c, B: np.full(len(a), B / len(a)))
    assert not placeholder.passed and "oracle" in placeholder.message


def test_learner_checker_and_ties():
    import gymnasium as gym

    from hbkit.managers.split import Greedy

    good = check_learner(solutions.split_learner, scenario="drift", episodes=32)
    assert good.passed, good.message
    k = gym.make("hbkit/Split-v0", scenario="drift").unwrapped.world.num_agents
    placeholder = check_learner(lambda obs: np.zeros(k), scenario="drift", episodes=32)
    assert not placeholder.passed and "equal split" in placeholder.message
    # a copy of greedy ties with greedy: it is never "better" on float noise
    env = gym.make("hbkit/Split-v0", scenario="drift")
    copy = check_learner(Greedy(env), scenario="drift", episodes=32)
    assert copy.passed and "ties with greedy" in copy.message and "beats" not in copy.message


def test_group_advantage_checker():
    assert check_group_advantage(solutions.group_advantage).passed
    placeholder = check_group_advantage(lambda r: r)
    assert not placeholder.passed and "subtract the mean" in placeholder.message
    no_std = check_group_advantage(lambda r: r - r.mean())
    assert not no_std.passed and "std" in no_std.message
    with np.errstate(invalid="ignore", divide="ignore"):
        nan = check_group_advantage(lambda r: (r - r.mean()) / r.std())
    assert not nan.passed and "1e-6" in nan.message


def test_team_manager_checker():
    from hbkit.managers.team import Router

    good = check_team_manager(solutions.team_manager, episodes=40)
    assert good.passed, good.message
    placeholder = check_team_manager(
        lambda env: Router(env, "mine", cost_weight=0.0, pace=False), episodes=40
    )
    assert not placeholder.passed and "money ran out" in placeholder.message
    # the one-line trick, the bundled greedy manager, is only a tie
    greedy = check_team_manager(lambda env: Router(env, "greedy"), episodes=40)
    assert not greedy.passed and "tie with greedy" in greedy.message


def test_team_manager_checker_refuses_a_skill_noise_out_of_range():
    """An out-of-range skill_noise used to be swallowed: the check ran on the scenario's own noise
    while its message spoke of widened hidden skills."""
    from hbkit.errors import ScenarioError

    with pytest.raises(ScenarioError, match="skill_noise.*allowed"):
        check_team_manager(solutions.team_manager, episodes=2, skill_noise=100.0)


def test_team_manager_checker_runs_one_observation_managers_on_the_same_streams():
    """A manager written for one observation at a time runs on the single env: it must still meet
    the baselines' streams, or greedy itself "beats greedy" by the luck of other streams."""
    from hbkit.managers.team import Router

    def one_at_a_time(env):
        greedy = Router(env, "greedy")

        def manager(obs, info):
            return greedy(obs, info)

        manager.wants_info = True
        return manager

    result = check_team_manager(one_at_a_time)
    assert not result.passed and "tie with greedy" in result.message, result.message
    assert result.details["yours"]["reward"] == result.details["greedy"]["reward"]


class _FakeModel:
    """An SB3-like model: deterministic predictions differ from sampled ones."""

    def __init__(self):
        self.rng = np.random.default_rng(0)

    def predict(self, obs, deterministic=False):
        action = np.zeros(4, np.float32) if deterministic else self.rng.uniform(-1, 1, 4).astype(np.float32)
        return action, None


def test_sb3_checker():
    model = _FakeModel()
    assert check_sb3_agent(
        solutions.make_agent, model, "hbkit/Split-v0", scenario="classroom", steps=50
    ).passed
    placeholder = check_sb3_agent(
        lambda m: lambda obs: m.predict(obs), model, "hbkit/Split-v0", scenario="classroom", steps=50
    )
    assert not placeholder.passed and "tuple" in placeholder.message
    sampled = check_sb3_agent(
        lambda m: lambda obs: m.predict(obs)[0], model, "hbkit/Split-v0", scenario="classroom", steps=50
    )
    assert not sampled.passed and "deterministic=True" in sampled.message


def test_predict_then_check():
    q = predict("Which is larger?", ["a", "b"], "b", "Because.", hints={"a": "Look again."})
    assert isinstance(q, Prediction)
    assert q.check("b").passed and "Because." in q.check("b").message
    wrong = q.check("a")
    assert not wrong.passed and "Look again." in wrong.message and "“b”" in wrong.message
    assert not q.check(None).passed
    w = q.widget
    w.choice.value = "a"
    w.button.click()
    assert "Not quite" in w.verdict.value
    w.choice.value = "b"
    w.button.click()
    assert "Right" in w.verdict.value
    with pytest.raises(ValueError):
        predict("?", ["a"], "c", "")


def test_a_prediction_shows_what_its_check_button_raises(monkeypatch, caplog):
    """The Check button set the verdict directly: an exception reached only ipywidgets' log, and the
    verdict on the previous choice stayed on screen as if it answered the new one. The check now
    runs in the question's output widget (run_in_output), which shows the traceback, and the old
    verdict is cleared."""
    import ipywidgets as widgets

    shown: list = []

    def exit_as_in_a_kernel(self, kind, exc, tb):  # a kernel shows the traceback, then swallows it
        if exc is not None:
            shown.append((self, exc))
        return True

    monkeypatch.setattr(widgets.Output, "__exit__", exit_as_in_a_kernel)
    q = predict("Which is larger?", ["a", "b"], "b", "Because.")
    w = q.widget
    assert w.output in w.children
    w.choice.value = "b"
    w.button.click()
    assert "Right" in w.verdict.value and shown == []

    def broken(choice):
        raise RuntimeError("broken checker")

    monkeypatch.setattr(q, "check", broken)
    w.choice.value = "a"
    with caplog.at_level("WARNING"):
        w.button.click()
    assert [(out, str(exc)) for out, exc in shown] == [(w.output, "broken checker")]
    assert w.verdict.value == "", "the verdict on the earlier choice must not stay on screen"
    assert "broken checker" in caplog.text  # raised again: it also reaches the button's error log


def test_solutions_fold_away():
    folded = solution("net_value")
    assert "<details" in folded._repr_html_() and "money_weight * dollars" in folded._repr_html_()
    with pytest.raises(ValueError, match="allowed"):
        solution("nope")
    assert set(solutions.__all__) >= {
        "reasoner",
        "net_value",
        "water_fill",
        "split_learner",
        "group_advantage",
        "hbpo_reward",
        "team_manager",
        "make_agent",
    }
