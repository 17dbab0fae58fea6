"""The Reasoning world (HBPO): a simulated reasoner that thinks in chunks or answers.

This module is the only home of the world's math. It is plain, batched NumPy: one
:class:`ReasoningWorld` holds the constants of a scenario and one :class:`ReasoningBatch` holds the
state of any number of episodes. :class:`hbkit.envs.ReasoningEnv` (a batch of one) and
:class:`hbkit.envs.ReasoningVectorEnv` (a batch of thousands) are thin layers over it, and the HBPO
trainer and the figures call the reward functions defined here.

The success model
-----------------
A problem has a difficulty level ``l`` (1..5, drawn from ``levels.mix``) and a hidden *need* ``N`` in
tokens, log-normal around the level's median: ``N = median[l] * exp(need_spread * z)``. After ``n``
tokens of thinking, an answer is correct with probability

* ``guess[l]`` while ``n < N`` (the reasoner has not found the answer yet), and
* ``ceiling[l] * (1 - gap * exp(-(n - N) / verify_tokens))`` once ``n >= N``: checking the answer
  adds a little accuracy with diminishing returns.

The reasoner notices that it has found the answer through a noisy *confidence* signal in the
observation, ``clip(1 - exp(-(n - N) / verify_tokens) + signal_noise * eps, 0, 1)`` (zero before
``N`` apart from noise; ``eps`` is uniform with unit standard deviation, drawn afresh each chunk). Thinking to ``max_tokens`` without answering is a truncated, malformed
answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hbkit.scenarios import Flag, ListOf, Number, Schema, ScenarioError, Table, Text, hbpo_train_fields

__all__ = [
    "REWARDS",
    "SCHEMA",
    "ReasoningWorld",
    "ReasoningBatch",
    "reasoning_reward",
]

#: Reward functions by name (see :func:`reasoning_reward`).
REWARDS = ("hbpo", "cosine", "classic")

CONTINUE, ANSWER = 0, 1


def _world_check(data: dict[str, Any], fail: Callable[..., ScenarioError]) -> None:
    w, lv = data["world"], data["levels"]
    if w["max_tokens"] % w["chunk"]:
        raise fail("world.chunk", f"{w['chunk']} does not divide max_tokens={w['max_tokens']}",
                   "a divisor of world.max_tokens")
    for i, b in enumerate(w["budgets"]):
        if b >= w["max_tokens"]:
            raise fail(f"world.budgets[{i}]", f"{b} is not below max_tokens={w['max_tokens']}",
                       f"1 <= budget < {w['max_tokens']}")
    for i, (g, c) in enumerate(zip(lv["guess"], lv["ceiling"])):
        if g > c:
            raise fail(f"levels.guess[{i}]", f"{g} is above the ceiling {c}",
                       "guess <= ceiling of the same level")


SCHEMA = Schema(
    sections={
        "world": Table(
            {
                "max_tokens": Number(64, 1 << 16, integer=True, help="L: longest reasoning"),
                "chunk": Number(1, 4096, integer=True, help="tokens per 'continue' step"),
                "budgets": ListOf(Number(1, integer=True), max_len=16, increasing=True),
                "budget_mode": Text(("sample", "none"), default="sample"),
                "reward": Text(REWARDS, default="hbpo"),
                "beta": Number(0.0, 100.0, open_low=True, default=4.0),
                "alpha": Number(0.0, 1.0, default=1 / 4096),
                "truncation_reward": Number(-100.0, 0.0, default=-1.0),
            }
        ),
        "levels": Table(
            {
                "mix": ListOf(Number(0.0, 1.0), max_len=10, total=1.0),
                "median_need": ListOf(Number(1.0, 1e6), length="mix"),
                "need_spread": Number(0.0, 3.0),
                "ceiling": ListOf(Number(0.0, 1.0), length="mix"),
                "guess": ListOf(Number(0.0, 1.0), length="mix"),
            }
        ),
        "verification": Table(
            {
                "gap": Number(0.0, 1.0, help="v: share of the ceiling still missing at N"),
                "tokens": Number(0.0, 1e5, open_low=True, help="tau: tokens per e-fold"),
                "signal_noise": Number(0.0, 2.0),
            }
        ),
        "features": Table(
            {
                "level_noise": Number(0.0, 5.0, help="std of the noisy level feature"),
                "need_noise": Number(0.0, 5.0, help="std (log2 units) of the noisy need feature"),
            }
        ),
        "base_reasoner": Table(
            {
                "bias": Number(-20.0, 20.0),
                "confidence": Number(-50.0, 50.0),
                "progress": Number(-50.0, 50.0),
            }
        ),
        "train": Table({**hbpo_train_fields(hidden=32), "normalize_by_budget": Flag(default=False)}),
    },
    check=_world_check,
)


def reasoning_reward(
    name: str,
    correct: np.ndarray,
    tokens: np.ndarray,
    budget: np.ndarray,
    truncated: np.ndarray,
    *,
    max_tokens: int,
    beta: float,
    alpha: float,
    truncation_reward: float,
) -> np.ndarray:
    """Episode reward of the named reward function, batched.

    With ``L = max_tokens``, ``n = tokens``, ``b = budget`` (``0`` means no budget, natural mode):

    * ``hbpo``: correct and ``n <= b``: ``beta*cos(pi*b/(2L))``; correct and ``b < n``:
      ``beta*cos(pi*n/(2L)) - alpha*|n - b|``; natural mode: ``beta*cos(pi*n/(2L))``; wrong: 0.
    * ``cosine``: ``beta*cos(pi*n/(2L))`` if correct, else 0 (a pure length penalty).
    * ``classic``: 1 if correct, else 0.

    A truncated (malformed) answer gets ``truncation_reward`` under every reward.

    :return: float64 array of rewards
    """
    correct = np.asarray(correct, dtype=bool)
    n = np.asarray(tokens, dtype=np.float64)
    b = np.asarray(budget, dtype=np.float64)
    scale = math.pi / (2.0 * max_tokens)
    if name == "classic":
        r = correct.astype(np.float64)
    elif name == "cosine":
        r = np.where(correct, beta * np.cos(scale * n), 0.0)
    elif name == "hbpo":
        has_b = b > 0
        within = has_b & (n <= b)
        value = np.where(
            within,
            beta * np.cos(scale * b),
            beta * np.cos(scale * n) - np.where(has_b, alpha * np.abs(n - b), 0.0),
        )
        r = np.where(correct, value, 0.0)
    else:
        raise ValueError(f"unknown reward {name!r}; allowed: {', '.join(REWARDS)}")
    return np.where(np.asarray(truncated, dtype=bool), truncation_reward, r)


@dataclass
class Problems:
    """A batch of problems: level index (0-based), hidden need and the two noisy features."""

    level: np.ndarray  # int64, 0-based
    need: np.ndarray  # float64, tokens
    level_hint: np.ndarray  # float32
    need_hint: np.ndarray  # float32


class ReasoningWorld:
    """The constants of one Reasoning scenario, and the batched functions over them.

    :param scenario: a validated :class:`hbkit.scenarios.Scenario` for ``hbkit/Reasoning-v0``
    """

    def __init__(self, scenario: Any):
        w, lv, ver, ft = scenario["world"], scenario["levels"], scenario["verification"], scenario["features"]
        self.scenario = scenario
        self.max_tokens = int(w["max_tokens"])
        self.chunk = int(w["chunk"])
        self.budgets = tuple(int(b) for b in w["budgets"])
        self.budget_mode = w["budget_mode"]
        self.reward_name = w["reward"]
        self.beta, self.alpha = float(w["beta"]), float(w["alpha"])
        self.truncation_reward = float(w["truncation_reward"])
        self.mix = np.asarray(lv["mix"], dtype=np.float64)
        self.num_levels = len(self.mix)
        self.median_need = np.asarray(lv["median_need"], dtype=np.float64)
        self.need_spread = float(lv["need_spread"])
        self.ceiling = np.asarray(lv["ceiling"], dtype=np.float64)
        self.guess = np.asarray(lv["guess"], dtype=np.float64)
        self.gap = float(ver["gap"])
        self.verify_tokens = float(ver["tokens"])
        self.signal_noise = float(ver["signal_noise"])
        self.level_noise = float(ft["level_noise"])
        self.need_noise = float(ft["need_noise"])
        self.max_steps = self.max_tokens // self.chunk

        k = len(self.budgets)
        self.feature_names: tuple[str, ...] = (
            ("level_hint", "need_hint")
            + tuple(f"budget={b}" for b in self.budgets)
            + ("budget=none", "tokens/max", "tokens/budget", "over_budget", "confidence")
        )
        self.obs_dim = len(self.feature_names)
        self._onehot_start = 2
        self._none_index = 2 + k
        self._progress = 3 + k
        max_ratio = self.max_tokens / min(self.budgets) if self.budgets else 1.0
        lo = np.zeros(self.obs_dim, dtype=np.float32)
        hi = np.ones(self.obs_dim, dtype=np.float32)
        lo[0], hi[0] = -2.0, 3.0
        lo[1], hi[1] = -16.0, 4.0
        hi[self._progress + 1] = max_ratio
        self.obs_low, self.obs_high = lo, hi
        self._cum_mix = np.cumsum(self.mix)
        self._cum_mix[-1] = 1.0
        # the parts of the observation that depend only on the budget slot and the chunks thought
        # (one-hot, tokens/max, tokens/budget, over_budget); the last slot is natural mode
        tokens = np.arange(self.max_steps + 1, dtype=np.float64) * self.chunk
        template = np.zeros((k + 1, self.max_steps + 1, self.obs_dim), np.float32)
        template[:, :, self._progress] = tokens / self.max_tokens
        for i, b in enumerate(self.budgets):
            template[i, :, self._progress + 1] = np.minimum(tokens / b, max_ratio)
            template[i, :, self._progress + 2] = np.maximum(tokens - b, 0.0) / self.max_tokens
        for i in range(k + 1):
            template[i, :, self._onehot_start + i] = 1.0
        self.obs_template = template
        self.step_tokens = tokens

    # -- problems --------------------------------------------------------------------------
    def sample_problems(self, rng: np.random.Generator, n: int) -> Problems:
        """Draw ``n`` problems from the scenario's mix with ``rng``."""
        level = np.searchsorted(self._cum_mix, rng.random(n), side="right").clip(0, self.num_levels - 1)
        z = rng.standard_normal((3, n))
        need = self.median_need[level] * np.exp(self.need_spread * z[0])
        level_hint = level / max(self.num_levels - 1, 1) + self.level_noise * z[1]
        need_hint = np.log2(need / self.max_tokens) + self.need_noise * z[2]
        return Problems(
            level,
            need,
            np.clip(level_hint, self.obs_low[0], self.obs_high[0]).astype(np.float32),
            np.clip(need_hint, self.obs_low[1], self.obs_high[1]).astype(np.float32),
        )

    def problems_from_seeds(self, seeds: np.ndarray) -> Problems:
        """The problem each integer seed stands for: the same seed always gives the same problem,
        so a group of rollouts can face one problem."""
        seeds = np.asarray(seeds, dtype=np.int64).ravel()
        uniq, inverse = np.unique(seeds, return_inverse=True)
        parts = [self.sample_problems(np.random.default_rng([int(s), 0x4B42]), 1) for s in uniq]
        cat = {f: np.concatenate([getattr(p, f) for p in parts])[inverse] for f in Problems.__dataclass_fields__}
        return Problems(**cat)

    # -- success model -------------------------------------------------------------------
    def accuracy(self, level: np.ndarray, need: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """Probability that an answer after ``tokens`` of thinking is correct."""
        extra = np.asarray(tokens, dtype=np.float64) - need
        found = self.ceiling[level] * (1.0 - self.gap * np.exp(-np.maximum(extra, 0.0) / self.verify_tokens))
        return np.where(extra >= 0, found, self.guess[level])

    def confidence(self, need: np.ndarray, tokens: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """The noisy "found it" signal, for ``noise`` of unit standard deviation."""
        c = np.maximum(np.asarray(tokens, dtype=np.float64) - need, 0.0)
        c *= -1.0 / self.verify_tokens
        np.exp(c, out=c)
        c = self.signal_noise * noise - c
        c += 1.0
        return np.minimum(np.maximum(c, 0.0, out=c), 1.0, out=c)

    # -- rewards ---------------------------------------------------------------------------
    def reward(self, correct, tokens, budget, truncated, name: str | None = None) -> np.ndarray:
        """:func:`reasoning_reward` with this scenario's constants (``name`` defaults to its reward)."""
        return reasoning_reward(
            name or self.reward_name, correct, tokens, budget, truncated,
            max_tokens=self.max_tokens, beta=self.beta, alpha=self.alpha,
            truncation_reward=self.truncation_reward,
        )

    def reference_reward(self, budget, name: str | None = None) -> np.ndarray:
        """``f2(b)``: the reward of a correct answer that uses exactly its budget ``b``."""
        b = np.asarray(budget, dtype=np.float64)
        return self.reward(np.ones(b.shape, bool), b, b, np.zeros(b.shape, bool), name)

    def budget_index(self, budget: np.ndarray) -> np.ndarray:
        """Position of each budget in the one-hot block (``0`` = natural mode -> the last slot).

        :raises ValueError: for a budget that is not one of the scenario's budgets
        """
        budget = np.asarray(budget, dtype=np.int64)
        table = np.asarray(self.budgets + (0,), dtype=np.int64)
        slot = np.argmax(budget[..., None] == table, axis=-1)
        bad = table[slot] != budget
        if np.count_nonzero(bad):
            raise ValueError(
                f"budget {int(budget[bad].flat[0])} is not one of this scenario's budgets "
                f"{self.budgets}; allowed: None (natural mode) or one of {self.budgets} "
                "(pass budgets=... when making the env to change them)"
            )
        return slot


class ReasoningBatch:
    """State of ``num`` Reasoning episodes, stepped together.

    At reset each episode draws its problem and its *path*: the observation it will see after every
    number of chunks (``path``, shape ``(num, max_steps + 1, obs_dim)``, the noisy confidence signal
    included), and the uniform number that decides whether its answer is correct. Stepping then only moves along the path, so a step costs a handful
    of array operations whatever the batch size.

    Arrays (one entry per episode): ``level`` (0-based), ``need``, ``level_hint``, ``need_hint``,
    ``budget`` (tokens, ``0`` = natural mode), ``steps`` (chunks thought), ``tokens``,
    ``confidence``, ``done``, ``answered``, ``correct``, ``truncated``.

    :param world: the scenario's :class:`ReasoningWorld`
    :param num: number of episodes
    """

    def __init__(self, world: ReasoningWorld, num: int):
        self.world, self.num = world, int(num)
        self.level = np.zeros(num, np.int64)
        self.need = np.ones(num, np.float64)
        self.level_hint = np.zeros(num, np.float32)
        self.need_hint = np.zeros(num, np.float32)
        self.budget = np.zeros(num, np.int64)
        self.steps = np.zeros(num, np.int64)
        self.done = np.zeros(num, bool)
        self.answered = np.zeros(num, bool)
        self.correct = np.zeros(num, bool)
        self.truncated = np.zeros(num, bool)
        # the observation each episode will see after k chunks: path[r, k]
        self.path = np.zeros((num, world.max_steps + 1, world.obs_dim), np.float32)
        self._path_flat = self.path.reshape(num * (world.max_steps + 1), world.obs_dim)  # a view
        self._row_start = np.arange(num) * (world.max_steps + 1)
        self._u_correct = np.ones(num, np.float64)
        self._rows = np.arange(num)
        self._no_reward = np.zeros(num)
        self._no_reward.flags.writeable = False

    @property
    def tokens(self) -> np.ndarray:
        """Tokens used so far."""
        return self.steps * self.world.chunk

    @property
    def confidence(self) -> np.ndarray:
        """The confidence signal each episode sees now."""
        return self._path_flat[self._row_start + self.steps, -1]

    def reset(self, idx: np.ndarray | slice, problems: Problems, budget: np.ndarray,
              rng: np.random.Generator) -> None:
        """Start new episodes at positions ``idx`` (a bool mask, indices or a slice) with the given
        problems and budgets (``0`` = natural mode); ``rng`` draws their paths."""
        w = self.world
        idx = self._rows[idx]
        budget = np.asarray(budget, np.int64)
        slot = w.budget_index(budget)
        n = len(budget)
        self.level[idx] = problems.level
        self.need[idx] = problems.need
        self.level_hint[idx] = problems.level_hint
        self.need_hint[idx] = problems.need_hint
        self.budget[idx] = budget
        self.steps[idx] = 0
        self.done[idx] = False
        self.answered[idx] = False
        self.correct[idx] = False
        self.truncated[idx] = False
        u = rng.random((n, w.max_steps + 2))
        self._u_correct[idx] = u[:, 0]
        path = w.obs_template[slot]
        path[:, :, 0] = problems.level_hint[:, None]
        path[:, :, 1] = problems.need_hint[:, None]
        noise = (u[:, 1:] - 0.5) * np.sqrt(12.0)  # uniform, unit standard deviation
        path[:, :, -1] = w.confidence(problems.need[:, None], w.step_tokens, noise)
        self.path[idx] = path

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        """Advance every episode that is not done by one action (0 = continue, 1 = answer).

        Episodes that are already done do not change. All randomness was drawn at reset.

        :return: ``(reward, ended)``: the reward of this step and which episodes ended on it
        """
        w = self.world
        live = ~self.done
        answer = live & (np.asarray(actions) == ANSWER)
        think = live ^ answer
        self.steps += think
        over = think & (self.steps >= w.max_steps)
        ended = answer | over
        if not np.count_nonzero(ended):
            return self._no_reward, ended
        reward = np.zeros(self.num)
        if np.count_nonzero(answer):
            i = np.flatnonzero(answer)
            p = w.accuracy(self.level[i], self.need[i], self.steps[i] * w.chunk)
            self.correct[i] = self._u_correct[i] < p
            self.answered[i] = True
        self.truncated |= over
        self.done |= ended
        i = np.flatnonzero(ended)
        reward[i] = w.reward(self.correct[i], self.steps[i] * w.chunk, self.budget[i], self.truncated[i])
        return reward, ended

    def observe(self) -> np.ndarray:
        """The observation of every episode: a new float32 array of shape ``(num, obs_dim)``."""
        return self._path_flat[self._row_start + self.steps]
