"""Checkers for the notebooks' exercises: each compares a learner's answer with hbkit's own and
explains the difference.

>>> from hbkit.exercises import check_hbpo_reward
>>> import math
>>> def my_reward(n, b, correct):
...     if not correct:
...         return 0.0
...     return 4 * math.cos(math.pi * min(n, b) / 8192)   # a common slip
>>> print(check_hbpo_reward(my_reward).passed)
False
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CheckResult", "check_hbpo_reward", "check_reasoner", "check_water_filling", "check_learner",
    "check_cost_benefit", "check_team_manager", "check_sb3_agent",
]


@dataclass
class CheckResult:
    """The verdict of a checker: ``passed``, a ``message`` that explains it, and ``details``."""

    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return ("✅ " if self.passed else "❌ ") + self.message

    def _repr_html_(self) -> str:
        color = "#2ca02c" if self.passed else "#d62728"
        mark = "✅" if self.passed else "❌"
        return f"<div style='border-left:4px solid {color};padding:4px 10px'>{mark} {html.escape(self.message)}</div>"


def _call(fn: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - we report whatever the learner's code raised
        return None, f"{type(exc).__name__}: {exc}"


def check_hbpo_reward(fn: Callable[[float, float, bool], float], beta: float = 4.0,
                      max_tokens: int = 4096, alpha: float = 1 / 4096) -> CheckResult:
    """Check a learner's ``fn(n, b, correct) -> reward`` against HBPO's budget-aware reward.

    The reference: correct and ``n <= b``: ``beta*cos(pi*b/(2L))``; correct and ``n > b``:
    ``beta*cos(pi*n/(2L)) - alpha*|n - b|``; wrong: 0 (truncation is left out here).
    """
    from hbkit.sim.reasoning import reasoning_reward

    cases = [(n, b, c) for b in (512, 1024, 2560) for n in (0, 256, b, b + 64, 3000, 4000) for c in (True, False)]
    for n, b, c in cases:
        want = float(reasoning_reward("hbpo", c, n, b, False, max_tokens=max_tokens, beta=beta,
                                      alpha=alpha, truncation_reward=-1.0))
        got, err = _call(fn, n, b, c)
        if err:
            return CheckResult(False, f"your function raised {err} for n={n}, b={b}, correct={c}")
        try:
            got = float(got)
        except (TypeError, ValueError):
            return CheckResult(False, f"your function returned {got!r} for n={n}, b={b}, correct={c}; expected a number")
        if not np.isclose(got, want, atol=1e-6):
            hint = ("a wrong answer earns 0" if not c else
                    "inside the budget (n <= b) the reward is the budget's value beta*cos(pi*b/(2L)), "
                    "whatever n is" if n <= b else
                    "past the budget the reward is beta*cos(pi*n/(2L)) minus alpha*(n - b)")
            return CheckResult(False, f"for n={n}, b={b}, correct={c} you give {got:.4f}, HBPO gives "
                                      f"{want:.4f}: {hint}", {"n": n, "b": b, "correct": c, "got": got, "want": want})
    return CheckResult(True, f"your reward matches HBPO's on all {len(cases)} cases: flat inside the budget, "
                             "decaying and penalised past it")


def check_reasoner(fn: Callable[[np.ndarray], int], episodes: int = 2000, seed: int = 123,
                   scenario: str = "hbpo-observable") -> CheckResult:
    """Evaluate a learner's reasoner ``fn(obs) -> 0/1`` in natural mode against the base reasoner.

    Passes when it uses at most 70 % of the base reasoner's tokens and loses at most 2 points of
    accuracy. The default world is ``hbpo-observable``, where being done shows in the hint, so a
    hand-written threshold can pass; in ``hbpo-math`` no simple threshold does (notebook 04).
    """
    import gymnasium as gym

    from hbkit.evaluate import evaluate
    from hbkit.train.policies import base_reasoner

    env = gym.make("hbkit/Reasoning-v0", scenario=scenario)
    ev = dict(scenario=scenario, episodes=episodes, seed=seed, budget=None)
    base = evaluate(base_reasoner(env), "hbkit/Reasoning-v0", **ev)
    try:
        mine = evaluate(fn, "hbkit/Reasoning-v0", **ev)
    except Exception as exc:  # noqa: BLE001
        return CheckResult(False, f"evaluating your reasoner raised {type(exc).__name__}: {exc}")
    ratio = mine["mean_tokens"] / base["mean_tokens"]
    d_acc = mine["accuracy"] - base["accuracy"]
    details = {"yours": mine, "base": base}
    summary = (f"yours: accuracy {mine['accuracy']:.3f} with {mine['mean_tokens']:.0f} tokens; base reasoner: "
               f"{base['accuracy']:.3f} with {base['mean_tokens']:.0f}")
    if ratio > 0.7:
        return CheckResult(False, f"{summary}. You use {100 * ratio:.0f}% of its tokens; answer earlier "
                                  "once the hint has been high for a while", details)
    if d_acc < -0.02:
        return CheckResult(False, f"{summary}. You lose {-100 * d_acc:.1f} accuracy points: you stop before "
                                  "the answer is found; wait for stronger hints", details)
    return CheckResult(True, f"{summary}. {100 * (1 - ratio):.0f}% fewer tokens at "
                             f"{100 * d_acc:+.1f} accuracy points: an adaptive reasoner", details)


# ----------------------------------------------------------------------------------------------
# The Split world (notebooks 02 and 03)
# ----------------------------------------------------------------------------------------------



def check_water_filling(fn: Callable[[np.ndarray, np.ndarray, float], Any], cases: int = 40,
                        seed: int = 0) -> CheckResult:
    """Check a learner's ``fn(a, c, B) -> x``, the best split of ``B`` for known productivities, against
    :func:`hbkit.managers.split.water_fill` (the oracle).

    The cases mix few and many agents, tiny budgets (only the best agent gets anything) and large
    ones (everybody does). An answer passes when on every case it is non-negative, spends exactly
    ``B`` and earns the oracle's output to within 1e-6 (relative).

    :param fn: takes productivities ``a`` and scales ``c`` (arrays of shape ``(K,)``) and a budget
        ``B``; returns allocations of shape ``(K,)``
    """
    from hbkit.managers.split import split_value, water_fill

    rng = np.random.default_rng(seed)
    problems = [(np.array([4.0, 2.0, 1.0, 0.5]), np.array([2.0, 3.0, 1.5, 2.0]), 12.0),
                (np.array([4.0, 2.0, 1.0, 0.5]), np.array([2.0, 3.0, 1.5, 2.0]), 0.5)]
    for _ in range(cases):
        k = int(rng.integers(2, 8))
        problems.append((rng.gamma(2.0, 1.0, k) + 0.05, rng.uniform(0.5, 4.0, k),
                         float(rng.choice([0.2, 2.0, 10.0, 50.0]) * rng.uniform(0.5, 1.5))))
    for a, c, budget in problems:
        best = water_fill(a, c, budget)
        got, err = _call(fn, a.copy(), c.copy(), budget)
        case = f"a={np.round(a, 2).tolist()}, c={np.round(c, 2).tolist()}, B={budget:.3g}"
        if err:
            return CheckResult(False, f"your function raised {err} for {case}")
        try:
            x = np.asarray(got, dtype=np.float64).reshape(a.shape)
        except (TypeError, ValueError):
            return CheckResult(False, f"for {case} you return {got!r}; expected {len(a)} numbers, one per agent")
        details = {"a": a, "c": c, "budget": budget, "yours": x, "oracle": best}
        if not np.all(np.isfinite(x)):
            return CheckResult(False, f"for {case} your split has NaN or infinite entries", details)
        if x.min() < -1e-9:
            return CheckResult(False, f"for {case} you give {x.min():.3g} to an agent: allocations cannot be "
                                      "negative. An agent whose first unit earns less than the water level "
                                      "(a_i / c_i <= lam) gets nothing: x_i = max(0, a_i / lam - c_i), with lam "
                                      "found from the agents that stay active", details)
        if not np.isclose(x.sum(), budget, rtol=1e-6, atol=1e-9):
            return CheckResult(False, f"for {case} your split spends {x.sum():.4g} instead of {budget:.4g}: choose "
                                      "the level 1/lam so that the allocations add up to the budget", details)
        mine, oracle = float(split_value(a, c, x)), float(split_value(a, c, best))
        if mine < oracle * (1 - 1e-6) - 1e-12:
            worst = int(np.argmax(np.abs(x - best)))
            return CheckResult(False, f"for {case} your split earns {mine:.4f}, the oracle's {oracle:.4f}. "
                                      f"Agent {worst} gets {x[worst]:.3f} from you and {best[worst]:.3f} from the "
                                      "oracle. At the best split every agent that gets budget has the same "
                                      "marginal return a_i / (c_i + x_i)", details)
    return CheckResult(True, f"your water-filling matches the oracle on all {len(problems)} cases: every active "
                             "agent ends with the same marginal return, and the rest get nothing")


class _RowWise:
    """A single-observation learner made batched (so it meets the same worlds as the baselines)."""

    batched = True

    def __init__(self, fn: Callable[[np.ndarray], Any]):
        self.fn, self.name = fn, getattr(fn, "__name__", "yours")

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(self.fn(o), dtype=np.float32) for o in np.asarray(obs)])


def check_learner(fn: Callable[[np.ndarray], Any], scenario: str = "drift", episodes: int = 64,
                  seed: int = 7, **env_kwargs: Any) -> CheckResult:
    """Evaluate a learner's manager ``fn(obs) -> action`` on ``hbkit/Split-v0`` against the equal split
    and the greedy learner, on the same worlds.

    Passes when its regret per round is at most half the equal split's and it learns: its regret in
    the last tenth of the rounds is below its regret in the first tenth.

    :param fn: a manager for one observation (``obs`` of shape ``(obs_dim,)`` -> action), or a
        batched hbkit manager (``batched = True``)
    :param scenario: ``"classroom"``, ``"drift"`` or ``"divisions"`` (or a path)
    :param env_kwargs: passed to the env (``noise=``, ``drift=`` ...)
    """
    import gymnasium as gym

    from hbkit.evaluate import evaluate
    from hbkit.managers.split import Equal, Greedy

    env = gym.make("hbkit/Split-v0", scenario=scenario, **env_kwargs)
    agent = fn if getattr(fn, "batched", False) else _RowWise(fn)
    run = {"episodes": episodes, "seed": seed, "scenario": scenario, **env_kwargs}
    try:
        mine = evaluate(agent, "hbkit/Split-v0", **run)
    except Exception as exc:  # noqa: BLE001
        return CheckResult(False, f"evaluating your learner raised {type(exc).__name__}: {exc}")
    equal = evaluate(Equal(env), "hbkit/Split-v0", **run)
    greedy = evaluate(Greedy(env), "hbkit/Split-v0", **run)
    env.close()
    curve = np.asarray(mine["regret_curve"])
    tenth = max(1, len(curve) // 10)
    early, late = float(curve[:tenth].mean()), float(curve[-tenth:].mean())
    details = {"yours": mine, "equal": equal, "greedy": greedy}
    summary = (f"on {scenario}: your regret per round {mine['regret']:.3f} (first rounds {early:.3f}, last "
               f"{late:.3f}); equal split {equal['regret']:.3f}; greedy {greedy['regret']:.3f}")
    if mine["regret"] > 0.5 * equal["regret"]:
        return CheckResult(False, f"{summary}. You lose more than half of what the equal split loses: use the "
                                  "estimates in the observation and water-fill on them", details)
    if late >= early:
        return CheckResult(False, f"{summary}. Your regret does not fall over the episode, so your split does "
                                  "not use the feedback: read the estimates afresh every round", details)
    verdict = "better than" if mine["regret"] < greedy["regret"] else "not as good as"
    return CheckResult(True, f"{summary}. Your learner uses the feedback, {equal['regret'] / mine['regret']:.1f}x "
                             f"less regret than the equal split and {verdict} greedy", details)


# ------------------------------------------------------------------------------------------------
# Team world (notebooks 01 and 05)
# ------------------------------------------------------------------------------------------------


def check_cost_benefit(fn: Callable[[float, float, int, float, float], float]) -> CheckResult:
    """Check a learner's ``fn(p, value, quorum, dollars, money_weight) -> net value`` of giving one
    part of a task to a worker: ``value / quorum * p - money_weight * dollars`` (what the greedy
    manager of ``hbkit/Team-v0`` maximises; a review of value 1 needs ``quorum = 2`` good opinions,
    so each opinion is worth half of it).
    """
    cases = [(p, v, q, d, lam) for p in (0.0, 0.4, 0.9) for v in (1.0, 2.0) for q in (1, 2)
             for d in (0.0, 0.0004, 0.02) for lam in (0.0, 5.0)]
    for p, v, q, d, lam in cases:
        want = v / q * p - lam * d
        got, err = _call(fn, p, v, q, d, lam)
        if err:
            return CheckResult(False, f"your function raised {err} for p={p}, value={v}, quorum={q}, "
                                      f"dollars={d}, money_weight={lam}")
        try:
            got = float(got)
        except (TypeError, ValueError):
            return CheckResult(False, f"your function returned {got!r}; expected a number")
        if not np.isclose(got, want, atol=1e-9):
            if np.isclose(got, v * p - lam * d):
                hint = "a part of a task with a quorum is worth value / quorum, not the whole value"
            elif np.isclose(got, v / q * p):
                hint = "subtract what the call costs: money_weight * dollars"
            elif np.isclose(got, v / q * p + lam * d):
                hint = "the cost is subtracted, not added"
            else:
                hint = "expected value of the part (value / quorum * p) minus money_weight * dollars"
            return CheckResult(False, f"for p={p}, value={v}, quorum={q}, dollars={d}, money_weight={lam} "
                                      f"you give {got:.5f}, the greedy manager uses {want:.5f}: {hint}",
                               {"got": got, "want": want})
    return CheckResult(True, f"your net value matches the greedy manager's on all {len(cases)} cases: "
                             "a local worker (0 dollars) wins unless a cloud worker's extra success pays "
                             "for its price")


def check_team_manager(factory: Callable[[Any], Callable[..., Any]], episodes: int = 100,
                       seed: int = 123, scenario: str = "hashiru") -> CheckResult:
    """Evaluate a learner's Team manager on ``scenario`` against ``local-only`` and ``cloud-only``.

    :param factory: ``factory(env) -> manager``; a manager is ``manager(obs, info) -> action``
        (set ``manager.wants_info = True``, or take only ``obs``)
    Passes when no action is rejected, the money never runs out in more than 10 % of the streams
    and the reward beats both baselines.
    """
    import gymnasium as gym

    from hbkit.evaluate import evaluate
    from hbkit.managers import available

    env_id = "hbkit/Team-v0"
    env = gym.make(env_id, scenario=scenario)
    ev = dict(scenario=scenario, episodes=episodes, seed=seed)
    base = {n: evaluate(available(env_id)[n](env), env_id, **ev) for n in ("local-only", "cloud-only")}
    try:
        manager = factory(env)
        mine = evaluate(manager, env_id, **ev)
    except Exception as exc:  # noqa: BLE001
        return CheckResult(False, f"evaluating your manager raised {type(exc).__name__}: {exc}")
    details = {"yours": mine, **base}
    best = max(base.values(), key=lambda r: r["reward"])
    summary = (f"yours: reward {mine['reward']:.2f}, success {mine['success_rate']:.2f}, "
               f"${mine['expense_spent']:.3f} spent; best baseline ({best['agent']}): reward {best['reward']:.2f}")
    if mine["rejected"] > 0:
        return CheckResult(False, f"{summary}. {mine['rejected']:.1f} actions per stream were rejected: "
                                  "choose only actions allowed by info['action_mask']", details)
    if mine["budget_exhausted_rate"] > 0.1:
        return CheckResult(False, f"{summary}. The money ran out in {mine['budget_exhausted_rate']:.0%} of the "
                                  "streams: weigh what a call costs, or keep some money per task left", details)
    if mine["reward"] <= best["reward"]:
        return CheckResult(False, f"{summary}. Not better than the best single-kind team: mix cheap local "
                                  "workers with cloud workers where they are worth their price", details)
    return CheckResult(True, f"{summary}. You beat both local-only and cloud-only", details)


# ------------------------------------------------------------------------------------------------
# Stable-Baselines3 (notebook 06)
# ------------------------------------------------------------------------------------------------


def check_sb3_agent(make_agent: Callable[[Any], Callable[[np.ndarray], Any]], model: Any, env_id: str,
                    scenario: Any = None, steps: int = 200, seed: int = 123) -> CheckResult:
    """Check a learner's ``make_agent(model) -> (obs -> action)`` wrapper of an SB3 model.

    The wrapped function must choose the model's deterministic action (what ``hbkit.evaluate``
    uses for SB3 models) on every observation of ``steps`` steps of play.
    """
    import gymnasium as gym

    agent, err = _call(make_agent, model)
    if err:
        return CheckResult(False, f"make_agent(model) raised {err}")
    if not callable(agent):
        return CheckResult(False, f"make_agent(model) must return a function obs -> action, got {type(agent).__name__}")
    env = gym.make(env_id, **({"scenario": scenario} if scenario is not None else {}))
    obs, _ = env.reset(seed=seed)
    mismatches = 0
    for t in range(steps):
        expected, _ = model.predict(obs, deterministic=True)
        action, err = _call(agent, obs)
        if err:
            return CheckResult(False, f"your function raised {err} on an observation of shape {np.shape(obs)}")
        if isinstance(action, tuple):
            return CheckResult(False, "your function returned a tuple: model.predict returns (action, state); "
                                      "return only the action")
        if np.shape(action) != np.shape(expected):
            return CheckResult(False, f"your action has shape {np.shape(action)}, the model's {np.shape(expected)}")
        mismatches += not np.allclose(action, expected)
        obs, _, term, trunc, _ = env.step(expected)
        if term or trunc:
            obs, _ = env.reset()
    details = {"steps": steps, "mismatches": int(mismatches)}
    if mismatches:
        return CheckResult(False, f"your function chose a different action than the model on {mismatches} of "
                                  f"{steps} observations: hbkit evaluates SB3 models deterministically — did you "
                                  "pass deterministic=True to model.predict?", details)
    return CheckResult(True, f"the same action as the model on all {steps} observations: your function is a "
                             "faithful wrapper (evaluate(make_agent(model), ...) scores what the model scores)",
                       details)
