"""Hand-written reasoners for ``hbkit/Reasoning-v0``.

* :class:`FixedLength` thinks exactly ``T`` tokens, then answers. A family of them for a range of
  ``T`` draws the accuracy-versus-tokens frontier that any non-adaptive method lives on.
* :class:`ThresholdRule` answers when one observation feature reaches a threshold, or at a token
  cap: the simple hand stopping rule. ``threshold`` is the best rule of a grid (:func:`fit_threshold`).
* ``base``: the scenario's verbose base reasoner (the starting point of HBPO training).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hbkit.sim.reasoning import ReasoningBatch, ReasoningWorld

__all__ = ["FixedLength", "fixed_length_grid", "ThresholdRule", "fit_threshold", "BaseReasoner", "MANAGERS"]

#: the features a threshold rule may use (the hint and its history)
THRESHOLD_FEATURES = ("hint", "hint_mean", "hint_slow", "hint_max")


class FixedLength:
    """Think ``tokens`` tokens (rounded up to whole chunks), then answer.

    :param env: a Reasoning Env or VectorEnv (for ``max_tokens`` and the feature layout)
    :param tokens: how long to think
    """

    batched = True

    def __init__(self, env: Any, tokens: int):
        world = env.unwrapped.world
        if not 0 <= tokens < world.max_tokens:
            raise ValueError(f"tokens={tokens} is out of range; allowed: 0 <= tokens < {world.max_tokens}")
        self.tokens = int(tokens)
        self.name = f"fixed-{self.tokens}"
        self._col = world.feature_names.index("tokens/max")
        self._max = world.max_tokens

    def __call__(self, obs: Any) -> Any:
        obs = np.asarray(obs)
        used = np.rint(obs[..., self._col] * self._max)
        action = (used >= self.tokens).astype(np.int64)
        return int(action) if action.ndim == 0 else action


def fixed_length_grid(env: Any, step: int = 256) -> list[FixedLength]:
    """Fixed-length reasoners for ``T = step, 2*step, ...`` below ``max_tokens``."""
    world = env.unwrapped.world
    return [FixedLength(env, t) for t in range(step, world.max_tokens, step)]


class ThresholdRule:
    """Answer once ``feature >= threshold`` or once ``cap`` tokens are used (the first of the two).

    :param env: a Reasoning Env or VectorEnv
    :param feature: an observation feature, e.g. ``"hint_mean"``
    :param threshold: the level of ``feature`` that triggers the answer
    :param cap: the token cap
    """

    batched = True

    def __init__(self, env: Any, feature: str, threshold: float, cap: int):
        world = env.unwrapped.world
        if feature not in world.feature_names:
            raise ValueError(f"feature {feature!r} is not in the observation; allowed: {world.feature_names}")
        self.feature, self.threshold, self.cap = feature, float(threshold), int(cap)
        self.name = f"threshold({feature} >= {self.threshold:.3g} or {self.cap} tokens)"
        self._col = world.feature_names.index(feature)
        self._tok = world.feature_names.index("tokens/max")
        self._max = world.max_tokens

    def __call__(self, obs: Any) -> Any:
        obs = np.asarray(obs)
        used = np.rint(obs[..., self._tok] * self._max)
        action = ((obs[..., self._col] >= self.threshold) | (used >= self.cap)) & (used > 0)
        action = action.astype(np.int64)
        return int(action) if action.ndim == 0 else action


def _always_continue(world: ReasoningWorld, episodes: int, seed: int) -> tuple[Any, np.ndarray]:
    """Problems and the observation after every chunk of thinking, if the reasoner never answers.

    Answering does not change what was seen before, so the stopping step of any rule is the first
    step of this path where the rule fires. Work is done in blocks, so memory stays bounded.
    """
    rng = np.random.default_rng([int(seed), 0x7E5])
    batch = ReasoningBatch(world, episodes)
    problems = world.sample_problems(rng, episodes)
    batch.reset(slice(None), problems, np.zeros(episodes, np.int64), rng)
    cols = [world.feature_names.index(f) for f in THRESHOLD_FEATURES]
    path = np.empty((episodes, world.max_steps, len(cols)), np.float32)
    for k in range(world.max_steps):
        path[:, k] = batch.observe()[:, cols]
        batch.step(np.zeros(episodes, np.int64), rng)
    return problems, path


def fit_threshold(
    env: Any, token_limit: float | None = None, episodes: int = 1000, seed: int = 0, thresholds: int = 40
) -> dict[str, Any]:
    """Grid-search the threshold rules (every feature of :data:`THRESHOLD_FEATURES`, ``thresholds``
    levels in (0, 1], every token cap in whole chunks) on ``episodes`` problems drawn with ``seed``
    (natural mode), scoring each by its expected accuracy and mean tokens.

    :param token_limit: pick the most accurate rule whose mean tokens are at most this; ``None``:
        the rule with the highest natural-mode reward of the scenario (``hbpo`` without a budget:
        ``beta*cos(pi*n/(2L))`` when correct)
    :return: ``feature``, ``threshold``, ``cap``, ``accuracy``, ``mean_tokens`` of the best rule,
        and ``grid`` (every rule's ``(feature, threshold, cap, accuracy, mean_tokens)``)
    """
    world = env.unwrapped.world
    episodes = min(int(episodes), max(1, 2**26 // (world.max_steps * len(THRESHOLD_FEATURES))))
    problems, path = _always_continue(world, episodes, seed)
    grid = []
    for f, feature in enumerate(THRESHOLD_FEATURES):
        x = path[:, :, f]
        for th in np.linspace(1.0 / thresholds, 1.0, thresholds):
            fire = x >= th
            fire[:, 0] = False
            first = np.where(fire.any(axis=1), fire.argmax(axis=1), world.max_steps)
            cap_steps = np.arange(1, world.max_steps)[:, None]
            n = np.minimum(first[None, :], cap_steps) * world.chunk
            acc = world.accuracy(problems.level[None, :], problems.need[None, :], n)
            ones = np.ones(n.shape, bool)
            reward = world.reward(ones, n, np.zeros(n.shape), ~ones, "hbpo") * acc
            for c, a, t, r in zip(
                cap_steps[:, 0], acc.mean(axis=1), n.mean(axis=1), reward.mean(axis=1), strict=False
            ):
                grid.append((feature, float(th), int(c * world.chunk), float(a), float(t), float(r)))
    if token_limit is None:
        best = max(grid, key=lambda r: r[5])
    else:
        ok = [r for r in grid if r[4] <= token_limit]
        if not ok:
            raise ValueError(f"no threshold rule uses at most {token_limit} tokens on average")
        best = max(ok, key=lambda r: r[3])
    return {
        "feature": best[0],
        "threshold": best[1],
        "cap": best[2],
        "accuracy": best[3],
        "mean_tokens": best[4],
        "grid": [r[:5] for r in grid],
    }


def threshold(
    env: Any, token_limit: float | None = None, episodes: int = 1000, seed: int = 0
) -> ThresholdRule:
    """The best threshold rule of the grid for ``env``'s scenario (see :func:`fit_threshold`)."""
    fit = fit_threshold(env, token_limit, episodes, seed)
    return ThresholdRule(env, fit["feature"], fit["threshold"], fit["cap"])


class BaseReasoner:
    """The scenario's verbose base reasoner as a manager: it answers with probability
    ``sigmoid(obs @ w + bias)`` (:meth:`hbkit.sim.reasoning.ReasoningWorld.base_reasoner_weights`).

    :param seed: seed of its own random generator
    """

    batched = True
    name = "base reasoner"

    def __init__(self, env: Any, seed: int = 0):
        self._w, self._bias = env.unwrapped.world.base_reasoner_weights()
        self._rng = np.random.default_rng(seed)

    def __call__(self, obs: Any) -> Any:
        obs = np.asarray(obs, np.float64)
        p = 1.0 / (1.0 + np.exp(-(obs @ self._w + self._bias)))
        action = (self._rng.random(p.shape) < p).astype(np.int64)
        return int(action) if action.ndim == 0 else action


MANAGERS = {
    "base": BaseReasoner,
    "threshold": threshold,
    **{f"fixed-{t}": (lambda env, t=t: FixedLength(env, t)) for t in (256, 512, 1024, 1536, 2048, 3072)},
}
