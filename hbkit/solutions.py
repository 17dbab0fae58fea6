"""Reference answers to the notebooks' exercises.

The notebooks never print these under an exercise: ``hbkit.exercises.solution(name)`` shows one
folded behind "Show a solution", for after the learner has tried. The tests check that every
answer here passes its checker and that every notebook placeholder fails it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "reasoner",
    "net_value",
    "water_fill",
    "split_learner",
    "group_advantage",
    "hbpo_reward",
    "team_manager",
    "make_agent",
]


# ---- 00 · a reasoner that stops on confidence and obeys the budget in the prompt --------------
@lru_cache(maxsize=1)
def _reasoning_columns() -> dict[str, int]:
    import gymnasium as gym

    env: Any = gym.make("hbkit/Reasoning-v0").unwrapped
    names = env.feature_names
    return {name: i for i, name in enumerate(names)}


def reasoner(obs: np.ndarray, confident: float = 0.8) -> int:
    """Answer (1) once confident; under a budget, answer when the budget is spent; else think (0)."""
    col = _reasoning_columns()
    if obs[col["confidence"]] > confident:
        return 1
    has_budget = obs[col["budget=none"]] < 0.5
    return int(has_budget and obs[col["tokens/budget"]] >= 0.98)


# ---- 01 · the net value the greedy manager maximises --------------------------------------------
def net_value(p: float, value: float, quorum: int, dollars: float, money_weight: float) -> float:
    """Expected value of one part of a task (a quorum splits the value) minus what the call costs."""
    return value / quorum * p - money_weight * dollars


# ---- 02 · water-filling ---------------------------------------------------------------------------
def water_fill(a: np.ndarray, c: np.ndarray, B: float) -> np.ndarray:
    """The best split of ``B`` for outputs ``a_i log(1 + x_i / c_i)``: ``x_i = max(0, a_i/lam - c_i)``.

    Agents join in order of their first unit's return ``a_i / c_i``; with the ``k`` best active,
    ``sum_i (a_i / lam - c_i) = B`` gives ``1/lam = (B + sum c) / sum a``. Keep the largest ``k``
    for which the k-th agent still gets a positive share.
    """
    a, c = np.asarray(a, float), np.asarray(c, float)
    order = np.argsort(-a / c)
    x = np.zeros_like(a)
    for k in range(len(a), 0, -1):
        active = order[:k]
        level = (B + c[active].sum()) / a[active].sum()  # 1 / lam
        share = a[active] * level - c[active]
        if share.min() >= 0:
            x[active] = share
            return x
    return x


# ---- 03 · a learner that uses the feedback --------------------------------------------------------
@lru_cache(maxsize=4)
def _split_world(scenario: str) -> Any:
    import gymnasium as gym

    env: Any = gym.make("hbkit/Split-v0", scenario=scenario).unwrapped
    return env.world


def split_learner(obs: np.ndarray, scenario: str = "drift") -> np.ndarray:
    """Water-fill the round's budget on the current estimates of the productivities (greedy)."""
    world = _split_world(scenario)
    ix = world.obs_index
    budget = obs[ix["budget"]] * world.max_budget
    guess = np.maximum(obs[ix["estimate"]], 1e-3)
    return world.action_from_shares(water_fill(guess, world.scale, float(np.ravel(budget)[0])) / budget)


# ---- 03b · GRPO's group-normalised advantage ------------------------------------------------------
def group_advantage(rewards: np.ndarray) -> np.ndarray:
    """Each rollout against its own group: ``(r - mean) / (std + 1e-6)``."""
    r = np.asarray(rewards, float)
    return (r - r.mean()) / (r.std() + 1e-6)


# ---- 04 · HBPO's budget-aware reward --------------------------------------------------------------
def hbpo_reward(
    n: float, b: float, correct: bool, beta: float = 4.0, L: int = 4096, alpha: float = 1 / 4096
) -> float:
    """Flat at the budget's value inside the budget; decaying and penalised past it; 0 if wrong."""
    if not correct:
        return 0.0
    if n <= b:
        return beta * math.cos(math.pi * b / (2 * L))
    return beta * math.cos(math.pi * n / (2 * L)) - alpha * abs(n - b)


# ---- 05 · a Team manager that learns from feedback ------------------------------------------------
def team_manager(env: Any) -> Any:
    """Cost-benefit routing on skills estimated from the outcomes seen, with a little optimism."""
    from hbkit.managers.team import Router

    return Router(env, "mine", feedback=True, ucb=0.5)


# ---- 06 · an SB3 model as a plain function --------------------------------------------------------
def make_agent(model: Any) -> Any:
    """``obs -> action`` with the model's deterministic action (``predict`` returns a pair)."""

    def act(obs: np.ndarray) -> Any:
        action, _state = model.predict(obs, deterministic=True)
        return action

    return act
