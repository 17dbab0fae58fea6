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

__all__ = ["CheckResult", "check_hbpo_reward", "check_reasoner"]


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


def check_reasoner(fn: Callable[[np.ndarray], int], episodes: int = 2000, seed: int = 123) -> CheckResult:
    """Evaluate a learner's reasoner ``fn(obs) -> 0/1`` in natural mode against the base reasoner.

    Passes when it uses at most 70 % of the base reasoner's tokens and loses at most 2 points of
    accuracy.
    """
    import gymnasium as gym

    from hbkit.evaluate import evaluate
    from hbkit.train.policies import base_reasoner

    env = gym.make("hbkit/Reasoning-v0")
    base = evaluate(base_reasoner(env), "hbkit/Reasoning-v0", episodes=episodes, seed=seed, budget=None)
    try:
        mine = evaluate(fn, "hbkit/Reasoning-v0", episodes=episodes, seed=seed, budget=None)
    except Exception as exc:  # noqa: BLE001
        return CheckResult(False, f"evaluating your reasoner raised {type(exc).__name__}: {exc}")
    ratio = mine["mean_tokens"] / base["mean_tokens"]
    d_acc = mine["accuracy"] - base["accuracy"]
    details = {"yours": mine, "base": base}
    summary = (f"yours: accuracy {mine['accuracy']:.3f} with {mine['mean_tokens']:.0f} tokens; base reasoner: "
               f"{base['accuracy']:.3f} with {base['mean_tokens']:.0f}")
    if ratio > 0.7:
        return CheckResult(False, f"{summary}. You use {100 * ratio:.0f}% of its tokens; answer earlier "
                                  "once the confidence signal is high", details)
    if d_acc < -0.02:
        return CheckResult(False, f"{summary}. You lose {-100 * d_acc:.1f} accuracy points: you stop before "
                                  "the answer is found; wait for a higher confidence", details)
    return CheckResult(True, f"{summary}. {100 * (1 - ratio):.0f}% fewer tokens at "
                             f"{100 * d_acc:+.1f} accuracy points: an adaptive reasoner", details)


# ------------------------------------------------------------------------------------------------
# Team world (notebooks 01 and 05)
# ------------------------------------------------------------------------------------------------
__all__ += ["check_cost_benefit", "check_team_manager"]


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
