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

Thinking to ``max_tokens`` without answering is a truncated, malformed answer.

The hint: what the reasoner sees of its own progress
----------------------------------------------------
A real reasoner does not know when it is done. It writes tentative answers ("so the answer is
...?"), and it sometimes convinces itself of a wrong one before it has solved the problem, then
doubts it and goes on; hard problems, with long solutions, give it more chances to do so. The
world models this as a noisy *hint* read after every chunk::

    mean(n) = misleading[l]                    before the need, outside a false find
            = strength                         during a false find (a wrong answer that looks right)
            = misleading[l] + (strength - misleading[l]) * (1 - exp(-(n - N) / verify_tokens))
                                               once the need is reached
    hint    = clip(mean(n) + noise * eps, 0, 1)          eps ~ Normal(0, 1), fresh every chunk

Before the need, every chunk starts a *false find* with probability
``false_finds[l] * chunk / 1000`` (``false_finds`` per 1000 tokens); it lasts ``doubt_tokens``
tokens, during which the hint looks exactly like a true find, and answering is still only a
guess. So the hint is only *partly* informative: a high reading can be a real find or a false
one, and only its persistence, the problem's features and the tokens spent so far tell them
apart. The observation carries the hint's history as a learner legitimately needs it: the last
reading ``hint``, a fast moving average ``hint_mean`` (``m <- m + memory * (hint - m)``), a slow
one ``hint_slow`` (rate ``slow_memory``) and the largest reading so far ``hint_max``.

With no false finds, ``misleading = 0``, ``strength = 1`` and little noise (scenario
``hbpo-observable``) the hint is a clean "found it" signal and a threshold on it is nearly optimal.
With the defaults of ``hbpo-math`` the stopping rule has to combine the problem features, the
tokens spent and the hint's history, and a policy that answers at the first convincing hint
rarely reaches the need of a hard problem: the exploration that a length penalty can starve.

All randomness of a step (the hint noise) is drawn when the step happens, from the generator the
env passes in; the uniform number that decides whether the answer is correct is drawn at reset.

A batch of one is also stepped in plain Python floats (:meth:`ReasoningWorld.sample_problem_one`,
:meth:`ReasoningBatch.reset_one`, :meth:`ReasoningBatch.step_one`, :meth:`ReasoningBatch.observe_one`):
NumPy's cost per call dominates on a row of a dozen numbers. These draw the same random numbers in
the same order and compute the same float64 operations (``exp``, ``log2`` and the rewards still come
from NumPy), so a single env gives bit for bit what a VectorEnv of one gives with the same seeds
(``tests/test_reasoning.py`` checks it).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from hbkit.schema import Choice, HBPOTrain, Int, ListOf, Real, Section, WorldSchema, fail

__all__ = [
    "REWARDS",
    "SCHEMA",
    "ReasoningWorld",
    "ReasoningBatch",
    "Problems",
    "reasoning_reward",
    "PROBLEM_FEATURES",
]

#: Reward functions by name (see :func:`reasoning_reward`).
REWARDS = ("hbpo", "cosine", "classic")

#: The observation entries that describe the problem (constant during an episode).
PROBLEM_FEATURES = ("level_hint", "need_hint")

CONTINUE, ANSWER = 0, 1


class _World(Section):
    max_tokens: Int(64, 1 << 16) = Field(description="L: longest reasoning")
    chunk: Int(1, 4096) = Field(description="tokens per 'continue' step")
    budgets: ListOf(Int(1), max_len=16, increasing=True)
    budget_mode: Choice(("sample", "none")) = "sample"
    reward: Choice(REWARDS) = "hbpo"
    beta: Real(0.0, 100.0, open_low=True) = 4.0
    alpha: Real(0.0, 1.0) = 1 / 4096
    truncation_reward: Real(-100.0, 0.0) = -1.0


class _Levels(Section):
    same_length: ClassVar[dict[str, str]] = {"median_need": "mix", "ceiling": "mix", "guess": "mix"}
    mix: ListOf(Real(0.0, 1.0), max_len=10, total=1.0)
    median_need: ListOf(Real(1.0, 1e6))
    need_spread: Real(0.0, 3.0)
    ceiling: ListOf(Real(0.0, 1.0))
    guess: ListOf(Real(0.0, 1.0))


class _Verification(Section):
    gap: Real(0.0, 1.0) = Field(description="v: share of the ceiling still missing at N")
    tokens: Real(0.0, 1e5, open_low=True) = Field(description="tau: tokens per e-fold")


class _Signal(Section):
    noise: Real(0.0, 2.0) = Field(description="std of the noise on each hint reading")
    strength: Real(0.0, 1.0) = Field(description="mean hint long after the need")
    misleading: ListOf(Real(0.0, 1.0), max_len=10) = Field(description="mean hint before the need")
    memory: Real(0.0, 1.0, open_low=True) = Field(description="rate of the fast moving average")
    slow_memory: Real(0.0, 1.0, open_low=True) = Field(description="rate of the slow moving average")
    false_finds: ListOf(Real(0.0, 1000.0), max_len=10) = Field(
        description="false finds per 1000 tokens before the need, per level"
    )
    doubt_tokens: Real(0.0, 1e6) = Field(description="how long a false find lasts, tokens")


class _Features(Section):
    level_noise: Real(0.0, 5.0) = Field(description="std of the noisy level feature")
    need_noise: Real(0.0, 5.0) = Field(description="std (log2 units) of the noisy need feature")


class _BaseReasoner(Section):
    bias: Real(-20.0, 20.0)
    feature: Choice(("hint", "hint_mean", "hint_slow", "hint_max")) = Field(
        "hint_mean", description="the hint feature it reads"
    )
    hint: Real(-50.0, 50.0) = Field(description="weight of that feature")
    progress: Real(-50.0, 50.0) = Field(description="weight of tokens/max")


class ReasoningSchema(WorldSchema):
    """A Reasoning scenario file (every section but ``[scenario]``)."""

    world: _World
    levels: _Levels
    verification: _Verification
    signal: _Signal
    features: _Features
    base_reasoner: _BaseReasoner
    train: HBPOTrain

    def check(self, data: dict[str, Any]) -> None:
        w, lv, sg = data["world"], data["levels"], data["signal"]
        if w["max_tokens"] % w["chunk"]:
            raise fail(
                "world.chunk",
                f"{w['chunk']} does not divide max_tokens={w['max_tokens']}",
                "a divisor of world.max_tokens",
            )
        for i, b in enumerate(w["budgets"]):
            if b >= w["max_tokens"]:
                raise fail(
                    f"world.budgets[{i}]",
                    f"{b} is not below max_tokens={w['max_tokens']}",
                    f"1 <= budget < {w['max_tokens']}",
                )
        for i, (g, c) in enumerate(zip(lv["guess"], lv["ceiling"], strict=True)):
            if g > c:
                raise fail(
                    f"levels.guess[{i}]",
                    f"{g} is above the ceiling {c}",
                    "guess <= ceiling of the same level",
                )
        for key in ("misleading", "false_finds"):
            if len(sg[key]) != len(lv["mix"]):
                raise fail(
                    f"signal.{key}",
                    f"has {len(sg[key])} entries for {len(lv['mix'])} levels",
                    "one entry per level (as many as levels.mix)",
                )
        if max(sg["false_finds"]) * w["chunk"] > 1000:
            raise fail(
                "signal.false_finds",
                f"{max(sg['false_finds'])} per 1000 tokens is more than one per chunk of {w['chunk']} tokens",
                f"at most {1000 / w['chunk']:.4g}",
            )


#: The schema of a Reasoning scenario file.
SCHEMA = ReasoningSchema


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
        sg = scenario["signal"]
        self.scenario = scenario
        self.max_tokens: int = w["max_tokens"]
        self.chunk: int = w["chunk"]
        self.budgets = tuple(int(b) for b in w["budgets"])
        self.budget_mode = w["budget_mode"]
        self.reward_name = w["reward"]
        self.beta: float = w["beta"]
        self.alpha: float = w["alpha"]
        self.truncation_reward: float = w["truncation_reward"]
        self.mix = np.asarray(lv["mix"], dtype=np.float64)
        self.num_levels = len(self.mix)
        self.median_need = np.asarray(lv["median_need"], dtype=np.float64)
        self.need_spread: float = lv["need_spread"]
        self.ceiling = np.asarray(lv["ceiling"], dtype=np.float64)
        self.guess = np.asarray(lv["guess"], dtype=np.float64)
        self.gap: float = ver["gap"]
        self.verify_tokens: float = ver["tokens"]
        self.signal_noise: float = sg["noise"]
        self.strength: float = sg["strength"]
        self.misleading = np.asarray(sg["misleading"], dtype=np.float64)
        self.memory: float = sg["memory"]
        self.slow_memory: float = sg["slow_memory"]
        self.false_start = np.asarray(sg["false_finds"], dtype=np.float64) * self.chunk / 1000.0
        self.doubt_tokens: float = sg["doubt_tokens"]
        self.level_noise: float = ft["level_noise"]
        self.need_noise: float = ft["need_noise"]
        self.max_steps = self.max_tokens // self.chunk

        k = len(self.budgets)
        self.feature_names: tuple[str, ...] = (
            PROBLEM_FEATURES
            + tuple(f"budget={b}" for b in self.budgets)
            + (
                "budget=none",
                "tokens/max",
                "tokens/budget",
                "over_budget",
                "hint",
                "hint_mean",
                "hint_slow",
                "hint_max",
            )
        )
        self.obs_dim = len(self.feature_names)
        self.onehot_start = 2
        self.none_index = 2 + k
        self.progress_index = 3 + k
        self.hint_index = 6 + k
        self.max_ratio = self.max_tokens / min(self.budgets) if self.budgets else 1.0
        lo = np.zeros(self.obs_dim, dtype=np.float32)
        hi = np.ones(self.obs_dim, dtype=np.float32)
        lo[0], hi[0] = -2.0, 3.0
        lo[1], hi[1] = -16.0, 4.0
        hi[self.progress_index + 1] = self.max_ratio
        self.obs_low, self.obs_high = lo, hi
        self._cum_mix = np.cumsum(self.mix)
        self._cum_mix[-1] = 1.0
        # one row of one-hot budget instruction per budget slot; the last slot is natural mode
        self.onehot = np.zeros((k + 1, self.obs_dim), np.float32)
        self.onehot[np.arange(k + 1), self.onehot_start + np.arange(k + 1)] = 1.0
        self.budget_table = np.asarray(self.budgets + (0,), dtype=np.int64)
        # the same constants as Python numbers, for the batch-of-one path (see ReasoningBatch.step_one)
        self._cum_mix_py = self._cum_mix.tolist()
        self._slot_of = {b: i for i, b in enumerate(self.budget_table.tolist())}
        self._py = {
            "median_need": self.median_need.tolist(),
            "ceiling": self.ceiling.tolist(),
            "guess": self.guess.tolist(),
            "misleading": self.misleading.tolist(),
            "false_start": self.false_start.tolist(),
            "lo": self.obs_low[:2].astype(np.float64).tolist(),
            "hi": self.obs_high[:2].astype(np.float64).tolist(),
        }
        self._reward_memo: dict[tuple[int, int, bool], float] = {}
        self._tables: tuple[np.ndarray, np.ndarray] | None = None

    #: the largest (budget slots x steps) grid tabulated by :meth:`step_tables`
    MAX_TABLE = 1 << 18

    def step_tables(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Tables for the batched path, by row ``slot * (max_steps + 1) + steps`` (budget slot, chunks
        thought), built once on first use: the reward of an answer that is wrong / correct (shape
        ``(rows, 2)``, float64) and the observation's columns from the one-hot budget instruction to
        the last progress feature (shape ``(rows, k + 4)``, float32). They hold the values
        :meth:`reward` and :meth:`observe_progress` compute (they are computed by them), so a lookup
        changes no result. ``None`` for a grid larger than :attr:`MAX_TABLE` (then the batch
        computes the values at every step)."""
        slots, steps = len(self.budget_table), self.max_steps + 1
        if self._tables is None and slots * steps <= self.MAX_TABLE:
            slot = np.repeat(np.arange(slots), steps)
            tokens = np.tile(np.arange(steps) * self.chunk, slots)
            budget, no = self.budget_table[slot], np.zeros(slot.size, bool)
            reward = np.stack([self.reward(no, tokens, budget, no), self.reward(~no, tokens, budget, no)], -1)
            obs = np.zeros((slot.size, self.obs_dim), np.float32)
            self.observe_progress(obs, tokens, slot, instruction=True)
            self._tables = (reward, np.ascontiguousarray(obs[:, self.onehot_start : self.progress_index + 3]))
        return self._tables

    # -- problems --------------------------------------------------------------------------
    def sample_problems(self, rng: np.random.Generator, n: int) -> Problems:
        """Draw ``n`` problems from the scenario's mix with ``rng``."""
        u = rng.random(n)
        # the number of cumulative shares <= u (searchsorted(side="right"), without its branchy search)
        level = np.zeros(n, np.int64)
        for c in self._cum_mix[:-1]:
            level += u >= c
        z = rng.standard_normal((3, n))
        need = self.median_need[level] * np.exp(self.need_spread * z[0])
        level_hint = level / max(self.num_levels - 1, 1) + self.level_noise * z[1]
        need_hint = np.log2(need / self.max_tokens) + self.need_noise * z[2]
        return Problems(
            level,
            need,
            np.minimum(np.maximum(level_hint, self.obs_low[0]), self.obs_high[0]).astype(np.float32),
            np.minimum(np.maximum(need_hint, self.obs_low[1]), self.obs_high[1]).astype(np.float32),
        )

    def sample_problem_one(self, rng: np.random.Generator) -> tuple[int, float, float, float]:
        """One problem, in plain Python numbers: the same draws and the same values as
        ``sample_problems(rng, 1)``.

        :return: ``(level, need, level_hint, need_hint)`` (the hints in float64: they are rounded
            to float32 where they are stored)
        """
        py = self._py
        level = min(bisect_right(self._cum_mix_py, rng.random()), self.num_levels - 1)
        z0, z1, z2 = rng.standard_normal(3).tolist()
        need = py["median_need"][level] * float(np.exp(self.need_spread * z0))
        level_hint = level / max(self.num_levels - 1, 1) + self.level_noise * z1
        need_hint = float(np.log2(need / self.max_tokens)) + self.need_noise * z2
        (lo0, lo1), (hi0, hi1) = py["lo"], py["hi"]
        return level, need, min(max(level_hint, lo0), hi0), min(max(need_hint, lo1), hi1)

    def problems_from_seeds(self, seeds: np.ndarray) -> Problems:
        """The problem each integer seed stands for: the same seed always gives the same problem,
        so a group of rollouts can face one problem."""
        seeds = np.asarray(seeds, dtype=np.int64).ravel()
        uniq, inverse = np.unique(seeds, return_inverse=True)
        parts = [self.sample_problems(np.random.default_rng([int(s), 0x4B42]), 1) for s in uniq]
        cat = {
            f: np.concatenate([getattr(p, f) for p in parts])[inverse] for f in Problems.__dataclass_fields__
        }
        return Problems(**cat)

    # -- success model -------------------------------------------------------------------
    def accuracy(self, level: np.ndarray, need: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """Probability that an answer after ``tokens`` of thinking is correct."""
        extra = np.asarray(tokens, dtype=np.float64) - need
        found = self.ceiling[level] * (1.0 - self.gap * np.exp(-np.maximum(extra, 0.0) / self.verify_tokens))
        return np.where(extra >= 0, found, self.guess[level])

    def hint_mean(
        self, level: np.ndarray, need: np.ndarray, tokens: np.ndarray, false_find: np.ndarray | bool = False
    ) -> np.ndarray:
        """The mean of the hint after ``tokens`` of thinking, inside a false find or not (see the
        module docstring)."""
        extra = np.asarray(tokens, dtype=np.float64) - need
        rise = 1.0 - np.exp(-np.maximum(extra, 0.0) / self.verify_tokens)
        low = np.where(false_find, self.strength, self.misleading[level])
        return np.where(extra >= 0, low + (self.strength - low) * rise, low)

    def hint(
        self,
        level: np.ndarray,
        need: np.ndarray,
        tokens: np.ndarray,
        noise: np.ndarray,
        false_find: np.ndarray | bool = False,
    ) -> np.ndarray:
        """One noisy hint reading, for ``noise`` of unit standard deviation."""
        h = self.hint_mean(level, need, tokens, false_find) + self.signal_noise * noise
        return np.clip(h, 0.0, 1.0)

    # -- rewards ---------------------------------------------------------------------------
    def reward(self, correct, tokens, budget, truncated, name: str | None = None) -> np.ndarray:
        """:func:`reasoning_reward` with this scenario's constants (``name`` defaults to its reward)."""
        return reasoning_reward(
            name or self.reward_name,
            correct,
            tokens,
            budget,
            truncated,
            max_tokens=self.max_tokens,
            beta=self.beta,
            alpha=self.alpha,
            truncation_reward=self.truncation_reward,
        )

    def reward_one(self, slot: int, steps: int, correct: bool) -> float:
        """The reward of an answer (not truncated) after ``steps`` chunks under budget ``slot``, as
        :meth:`reward` computes it (memoised: the batch-of-one path asks for it at every end)."""
        key = (slot, steps, correct)
        r = self._reward_memo.get(key)
        if r is None:
            r = self._reward_memo[key] = float(
                self.reward(
                    np.array([correct]),
                    np.array([steps * self.chunk]),
                    self.budget_table[slot : slot + 1],
                    np.zeros(1, bool),
                )[0]
            )
        return r

    def reference_reward(self, budget, name: str | None = None) -> np.ndarray:
        """``f2(b)``: the reward of a correct answer that uses exactly its budget ``b``."""
        b = np.asarray(budget, dtype=np.float64)
        return self.reward(np.ones(b.shape, bool), b, b, np.zeros(b.shape, bool), name)

    def budget_index(self, budget: np.ndarray) -> np.ndarray:
        """Position of each budget in the one-hot block (``0`` = natural mode -> the last slot).

        :raises ValueError: for a budget that is not one of the scenario's budgets
        """
        budget = np.asarray(budget, dtype=np.int64)
        table = self.budget_table
        slot = np.argmax(budget[..., None] == table, axis=-1)
        bad = table[slot] != budget
        if np.count_nonzero(bad):
            raise ValueError(
                f"budget {int(budget[bad].flat[0])} is not one of this scenario's budgets "
                f"{self.budgets}; allowed: None (natural mode) or one of {self.budgets} "
                "(pass budgets=... when making the env to change them)"
            )
        return slot

    # -- the base reasoner -----------------------------------------------------------------
    def base_reasoner_weights(self) -> tuple[np.ndarray, float]:
        """The scenario's verbose base reasoner as a linear rule on the observation.

        Its per-chunk logit of answering is ``bias + hint * x + progress * tokens/max``, ``x`` the
        hint feature it reads (the ``[base_reasoner]`` table): a reasoner that rarely answers before
        its hint has been high for a while, and keeps checking long after.

        :return: ``(w, bias)``: the answer logit is ``obs @ w + bias`` (the continue logit is 0)
        """
        base = self.scenario["base_reasoner"]
        w = np.zeros(self.obs_dim)
        w[self.feature_names.index(base["feature"])] = base["hint"]
        w[self.feature_names.index("tokens/max")] = base["progress"]
        return w, float(base["bias"])

    def observe_progress(
        self, obs: np.ndarray, tokens: np.ndarray, slot: np.ndarray, instruction: bool = True
    ) -> None:
        """Write the progress features of budget ``slot`` (and, with ``instruction``, its one-hot
        budget instruction) into ``obs`` in place: the one place where they are computed."""
        if instruction:
            obs[:, self.onehot_start : self.progress_index] = self.onehot[
                slot, self.onehot_start : self.progress_index
            ]
        b = self.budget_table[slot].astype(np.float64)
        t = np.asarray(tokens, np.float64)
        has_b = b > 0
        obs[:, self.progress_index] = t / self.max_tokens
        obs[:, self.progress_index + 1] = np.where(
            has_b, np.minimum(t / np.maximum(b, 1), self.max_ratio), 0.0
        )
        obs[:, self.progress_index + 2] = np.where(has_b, np.maximum(t - b, 0.0) / self.max_tokens, 0.0)


class ReasoningBatch:
    """State of ``num`` Reasoning episodes, stepped together.

    Arrays (one entry per episode): ``level`` (0-based), ``need``, ``level_hint``, ``need_hint``,
    ``budget`` (tokens, ``0`` = natural mode), ``slot`` (its position in the one-hot block),
    ``steps`` (chunks thought), ``hint``, ``hint_mean``, ``hint_slow``, ``hint_max``, ``doubt_left``,
    ``done``, ``answered``, ``correct``, ``truncated``, ``found`` (the answer was found: tokens reached
    the need).

    Every array is a plain array of its own (no views of other arrays), so copies, deep copies and
    pickles of a batch continue exactly like the original.

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
        self.slot = np.full(num, len(world.budgets), np.int64)
        self.steps = np.zeros(num, np.int64)
        self.hint = np.zeros(num, np.float64)
        self.hint_mean = np.zeros(num, np.float64)
        self.hint_slow = np.zeros(num, np.float64)
        self.hint_max = np.zeros(num, np.float64)
        self.doubt_left = np.zeros(num, np.float64)  # tokens left in the current false find
        self.done = np.zeros(num, bool)
        self.answered = np.zeros(num, bool)
        self.correct = np.zeros(num, bool)
        self.truncated = np.zeros(num, bool)
        self._u_correct = np.ones(num, np.float64)

    @property
    def tokens(self) -> np.ndarray:
        """Tokens used so far."""
        return self.steps * self.world.chunk

    @property
    def found(self) -> np.ndarray:
        """Whether each episode's thinking has reached its need (the answer was found)."""
        return self.tokens >= self.need

    def reset(
        self,
        idx: np.ndarray | slice,
        problems: Problems,
        budget: np.ndarray,
        rng: np.random.Generator,
        slot: np.ndarray | None = None,
    ) -> None:
        """Start new episodes at positions ``idx`` (a bool mask, indices or a slice) with the given
        problems and budgets (``0`` = natural mode); ``rng`` draws what decides correctness.
        ``slot``, if given, is :meth:`ReasoningWorld.budget_index` of ``budget``, known already."""
        w = self.world
        if isinstance(idx, np.ndarray) and idx.dtype == bool:
            idx = np.flatnonzero(idx)
        elif not (isinstance(idx, np.ndarray) and idx.dtype == np.int64 and idx.ndim == 1):
            idx = np.arange(self.num)[idx]
        budget = np.asarray(budget, np.int64)
        slot = w.budget_index(budget) if slot is None else slot
        self.level[idx] = problems.level
        self.need[idx] = problems.need
        self.level_hint[idx] = problems.level_hint
        self.need_hint[idx] = problems.need_hint
        self.budget[idx] = budget
        self.slot[idx] = slot
        for arr in (self.steps, self.hint, self.hint_mean, self.hint_slow, self.hint_max, self.doubt_left):
            arr[idx] = 0
        for arr in (self.done, self.answered, self.correct, self.truncated):
            arr[idx] = False
        self._u_correct[idx] = rng.random(len(budget))

    # -- a batch of one, in plain Python ---------------------------------------------------
    # The same rules as reset(), step() and observe(), written for Python ints and floats on
    # episode 0; the arrays stay the state (read with .item(), written back every step), so copies,
    # pickles and the array methods see exactly what the batched path would have left.
    def reset_one(
        self, problem: tuple[int, float, float, float], budget: int, rng: np.random.Generator
    ) -> None:
        """:meth:`reset` of episode 0 of a batch of one, from
        :meth:`ReasoningWorld.sample_problem_one`'s problem and a budget (``0`` = natural mode).

        :raises ValueError: for a budget that is not one of the scenario's budgets
        """
        w = self.world
        slot = w._slot_of.get(budget)
        if slot is None:
            w.budget_index(np.array([budget]))  # raises the error
            raise AssertionError("unreachable: budget_index refuses an unknown budget")
        level, need, level_hint, need_hint = problem
        self.level[0], self.need[0] = level, need
        self.level_hint[0], self.need_hint[0] = level_hint, need_hint
        self.budget[0], self.slot[0] = budget, slot
        self.steps[0] = 0
        self.hint[0] = self.hint_mean[0] = self.hint_slow[0] = self.hint_max[0] = self.doubt_left[0] = 0.0
        self.done[0] = self.answered[0] = self.correct[0] = self.truncated[0] = False
        self._u_correct[0] = rng.random()

    def step_one(self, action: int, rng: np.random.Generator) -> tuple[float, bool]:
        """:meth:`step` of a batch of one, for an action ``0`` or ``1``.

        :return: ``(reward, ended)`` as Python numbers
        """
        if self.done.item(0):
            return 0.0, False
        w = self.world
        steps = self.steps.item(0)
        if action == ANSWER:
            n, need = steps * w.chunk, self.need.item(0)
            level = self.level.item(0)
            extra = n - need
            if extra >= 0:
                p = w._py["ceiling"][level] * (1.0 - w.gap * float(np.exp(-extra / w.verify_tokens)))
            else:
                p = w._py["guess"][level]
            correct = self._u_correct.item(0) < p
            self.correct[0] = correct
            self.answered[0] = self.done[0] = True
            return w.reward_one(self.slot.item(0), steps, correct), True
        steps += 1
        self.steps[0] = steps
        n, need, level = steps * w.chunk, self.need.item(0), self.level.item(0)
        noise = rng.standard_normal()
        doubt = max(self.doubt_left.item(0) - w.chunk, 0.0)
        if rng.random() < w._py["false_start"][level] and doubt <= 0 and n < need:
            doubt = w.doubt_tokens
        self.doubt_left[0] = doubt
        extra = n - need
        strength = w.strength
        low = strength if doubt > 0 else w._py["misleading"][level]
        if extra >= 0:
            low = low + (strength - low) * (1.0 - float(np.exp(-extra / w.verify_tokens)))
        h = min(max(low + w.signal_noise * noise, 0.0), 1.0)
        self.hint[0] = h
        m = self.hint_mean.item(0)
        self.hint_mean[0] = m + w.memory * (h - m)
        m = self.hint_slow.item(0)
        self.hint_slow[0] = m + w.slow_memory * (h - m)
        if h > self.hint_max.item(0):
            self.hint_max[0] = h
        if steps >= w.max_steps:
            self.truncated[0] = self.done[0] = True
            return w.truncation_reward, True
        return 0.0, False

    def observe_one(self) -> np.ndarray:
        """:meth:`observe` of a batch of one: a new float32 array of shape ``(obs_dim,)``."""
        w = self.world
        tables = w.step_tables()
        if tables is None:
            return self.observe()[0]
        obs = np.empty(w.obs_dim, np.float32)
        obs[0] = self.level_hint.item(0)
        obs[1] = self.need_hint.item(0)
        row = self.slot.item(0) * (w.max_steps + 1) + self.steps.item(0)
        obs[w.onehot_start : w.hint_index] = tables[1][row]
        h = w.hint_index
        obs[h] = self.hint.item(0)
        obs[h + 1] = self.hint_mean.item(0)
        obs[h + 2] = self.hint_slow.item(0)
        obs[h + 3] = self.hint_max.item(0)
        return obs

    def step(self, actions: Any, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Advance every episode that is not done by one action (0 = continue, 1 = answer).

        Episodes that are already done do not change. ``rng`` draws the new hint readings.

        :return: ``(reward, ended)``: the reward of this step and which episodes ended on it
        """
        w = self.world
        live = ~self.done
        answer = live & (np.asarray(actions) == ANSWER)
        think = live ^ answer
        reward = np.zeros(self.num)
        t = np.flatnonzero(think)
        if len(t):
            self.steps += think
            n = self.steps[t] * w.chunk
            level, need = self.level[t], self.need[t]
            noise = rng.standard_normal(len(t))
            doubt = self.doubt_left[t]
            doubt -= w.chunk
            np.maximum(doubt, 0.0, out=doubt)
            start = (doubt <= 0) & (n < need) & (rng.random(len(t)) < w.false_start[level])
            doubt[start] = w.doubt_tokens
            self.doubt_left[t] = doubt
            h = w.hint(level, need, n, noise, doubt > 0)
            self.hint[t] = h
            self.hint_mean[t] += w.memory * (h - self.hint_mean[t])
            self.hint_slow[t] += w.slow_memory * (h - self.hint_slow[t])
            self.hint_max[t] = np.maximum(self.hint_max[t], h)
        over = think & (self.steps >= w.max_steps)
        ended = answer | over
        if not np.count_nonzero(ended):
            return reward, ended
        if np.count_nonzero(answer):
            i = np.flatnonzero(answer)
            p = w.accuracy(self.level[i], self.need[i], self.steps[i] * w.chunk)
            self.correct[i] = self._u_correct[i] < p
            self.answered[i] = True
        self.truncated |= over
        self.done |= ended
        i = np.flatnonzero(ended)
        tables = w.step_tables()
        if tables is None:
            reward[i] = w.reward(self.correct[i], self.steps[i] * w.chunk, self.budget[i], self.truncated[i])
        else:
            r = tables[0][self.slot[i] * (w.max_steps + 1) + self.steps[i], self.correct[i].view(np.int8)]
            reward[i] = np.where(self.truncated[i], w.truncation_reward, r)
        return reward, ended

    def observe(self) -> np.ndarray:
        """The observation of every episode: a new float32 array of shape ``(num, obs_dim)``."""
        w = self.world
        obs = np.empty((self.num, w.obs_dim), np.float32)
        obs[:, 0] = self.level_hint
        obs[:, 1] = self.need_hint
        tables = w.step_tables()
        if tables is None:
            obs[:, w.onehot_start :] = 0.0
            w.observe_progress(obs, self.tokens, self.slot, instruction=True)
        else:
            row = self.slot * (w.max_steps + 1) + self.steps
            obs[:, w.onehot_start : w.hint_index] = np.take(tables[1], row, axis=0)
        h = w.hint_index
        obs[:, h] = self.hint
        obs[:, h + 1] = self.hint_mean
        obs[:, h + 2] = self.hint_slow
        obs[:, h + 3] = self.hint_max
        return obs
