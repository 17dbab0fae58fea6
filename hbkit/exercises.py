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
