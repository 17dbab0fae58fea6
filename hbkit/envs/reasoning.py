"""``hbkit/Reasoning-v0``: the HBPO world as a Gymnasium Env and a native VectorEnv.

Both classes are thin over :mod:`hbkit.sim.reasoning`, where the model and its math live.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from hbkit.envs._common import (
    check_actions,
    check_first_reset_mask,
    check_options,
    check_reset_seed,
    make_scenario,
    vector_settings,
)
from hbkit.errors import OptionError, StateError
from hbkit.scenarios import Scenario
from hbkit.sim.reasoning import ReasoningBatch, ReasoningWorld

__all__ = ["ReasoningEnv", "ReasoningVectorEnv"]

_INFO_KEYS = ("level", "tokens", "budget", "correct", "answered", "truncated", "found")
_SINGLE_OPTIONS = ("budget", "problem_seed")
_VECTOR_OPTIONS = ("budget", "problem_seed", "reset_mask")


def _world(scenario, reward, budgets, budget_mode) -> ReasoningWorld:
    sc = make_scenario(
        scenario,
        "hbkit/Reasoning-v0",
        {"world.reward": reward, "world.budgets": budgets, "world.budget_mode": budget_mode},
    )
    return ReasoningWorld(sc)


_MAX_SEED = 2**63 - 1


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _budget_request(value: Any, num: int, budgets: Sequence[int], where: str) -> np.ndarray:
    """Check a ``budget`` reset option and turn it into per-env requests (``0`` = natural mode).

    :raises OptionError: unless every entry is ``None`` or one of ``budgets`` (as an integer)
    """
    allowed = f"None (natural mode) or one of {tuple(budgets)}"
    if value is None or _is_int(value):
        value = [value] * num
    elif (
        isinstance(value, (str, bytes, Mapping))
        or not isinstance(value, (Sequence, np.ndarray))
        or (isinstance(value, np.ndarray) and value.ndim != 1)
    ):
        raise OptionError(
            f"{where}: options['budget'] is {value!r}; allowed: {allowed}, or a list "
            "with one such entry per env"
        )
    value = list(value) if not isinstance(value, np.ndarray) else value.tolist()
    if len(value) != num:
        raise OptionError(
            f"{where}: options['budget'] has {len(value)} entries; expected {num} (one per env)"
        )
    out = np.zeros(num, np.int64)
    for i, b in enumerate(value):
        if b is None:
            continue
        if not _is_int(b) or int(b) not in budgets:
            raise OptionError(
                f"{where}: options['budget'] entry {i} is {b!r}, not one of this scenario's "
                f"budgets; allowed: {allowed} "
                "(pass budgets=... when making the env to change the list)"
            )
        out[i] = int(b)
    return out


def _seed_request(value: Any, num: int, where: str) -> np.ndarray:
    """Check a ``problem_seed`` reset option: one integer in ``[0, 2**63)`` (single env) or one
    per env (vector env).

    :raises OptionError: for anything else (``None``, floats, strings, out-of-range integers)
    """
    items = [value] if num == 1 and not isinstance(value, (list, tuple, np.ndarray)) else value
    if isinstance(items, np.ndarray):
        items = items.ravel().tolist() if items.dtype.kind in "iu" else list(items.ravel())
    if not isinstance(items, (list, tuple)) or len(items) != num:
        raise OptionError(
            f"{where}: options['problem_seed'] is {value!r}; allowed: "
            f"{'an integer' if num == 1 else f'{num} integers (one per env)'} in [0, 2**63)"
        )
    for i, s in enumerate(items):
        if not _is_int(s) or not 0 <= int(s) <= _MAX_SEED:
            raise OptionError(
                f"{where}: options['problem_seed'] entry {i} is {s!r}; allowed: integers in [0, 2**63)"
            )
    return np.asarray([int(s) for s in items], np.int64)


def _independent_copy(env: Any) -> Any:
    """``copy.copy`` of a Reasoning env: the scenario is shared (it never changes), the episode
    state and the random generator are copied, so the copy continues exactly like the original."""
    other = object.__new__(type(env))
    other.__dict__.update(env.__dict__)
    for key, value in env.__dict__.items():
        if isinstance(value, (np.ndarray, np.random.Generator, ReasoningBatch)):
            other.__dict__[key] = _copy.deepcopy(value, {id(env.world): env.world})
    return other


def summarize_episodes(columns: dict[str, np.ndarray]) -> dict[str, Any]:
    """The evaluation report of finished Reasoning episodes (see :func:`hbkit.evaluate.evaluate`).

    :param columns: one array per info key (``level``, ``tokens``, ``correct``, ``truncated``) and
        ``return``, one entry per episode
    :return: ``accuracy``, ``mean_tokens``, ``truncation_rate``, ``reward`` (mean return, the key
        every hbkit env reports; ``mean_reward`` is the same number) and ``by_level``
        (level -> ``accuracy``, ``mean_tokens``, ``truncation_rate``, ``count``)
    """
    level = np.asarray(columns["level"])
    correct = np.asarray(columns["correct"], bool)
    tokens = np.asarray(columns["tokens"], np.float64)
    trunc = np.asarray(columns["truncated"], bool)

    def stats(m: np.ndarray) -> dict[str, float]:
        return {
            "accuracy": float(correct[m].mean()),
            "mean_tokens": float(tokens[m].mean()),
            "truncation_rate": float(trunc[m].mean()),
        }

    report: dict[str, Any] = stats(np.ones(len(level), bool))
    report["reward"] = report["mean_reward"] = float(np.mean(columns["return"]))
    report["by_level"] = {
        str(int(lv)): {**stats(level == lv), "count": int((level == lv).sum())} for lv in np.unique(level)
    }
    return report


class ReasoningEnv(gym.Env):
    """A simulated reasoner that thinks in chunks of tokens, then answers.

    ## Description

    Each episode is one problem of difficulty level 1..5 drawn from the scenario's mix. The problem
    has a hidden *need* in tokens (log-normal around the level's median). Every step the reasoner
    either thinks one more chunk (``world.chunk`` tokens) or answers. Before the need is reached it
    can only guess; once it is reached, further checking adds a little accuracy with diminishing
    returns::

        P(correct | n tokens) = guess[l]                                          if n < need
                              = ceiling[l] * (1 - gap * exp(-(n - need) / tau))   if n >= need

    The reasoner does not know when it is done. After every chunk it reads a noisy *hint*
    (tentative answers): low before the need, rising after it, and, in ``hbpo-math``, also high
    during *false finds*, wrong answers that look right for ``doubt_tokens`` tokens and happen more
    often on long problems. So being done is only partly observable, and a policy that answers at
    the first convincing hint rarely reaches the need of a hard problem (the exploration a length
    penalty can starve). ``hbpo-observable`` is the same world with a clean signal, where a
    threshold is nearly optimal. The model is documented in :mod:`hbkit.sim.reasoning`; every
    constant comes from the scenario file (``environments/hbpo-math.toml``).

    This reproduces the story of Hierarchical Budget Policy Optimization (arXiv 2507.15844): a
    distilled reasoner keeps verifying (overthinking); efficient training teaches it to stop when
    it is done, and to keep going on hard problems.

    ## Action Space

    ``Discrete(2)``: ``0`` continue (think one more chunk), ``1`` answer.

    ## Observation Space

    ``Box(float32)`` with, in order (names in ``env.unwrapped.feature_names``):

    * ``level_hint``: the level scaled to [0, 1] plus noise (the learner never sees it exactly);
    * ``need_hint``: ``log2(need / max_tokens)`` plus noise;
    * ``budget=b`` for each scenario budget and ``budget=none``: the budget instruction, one-hot;
    * ``tokens/max``: tokens used / ``max_tokens``;
    * ``tokens/budget``: tokens used / budget (0 in natural mode);
    * ``over_budget``: tokens beyond the budget / ``max_tokens`` (0 in natural mode);
    * ``hint``: the last hint reading in [0, 1]; ``hint_mean`` and ``hint_slow``: its fast and slow
      moving averages; ``hint_max``: the largest reading so far.

    ## Rewards

    Zero until the episode ends; then the scenario's reward (``world.reward``, or ``reward=``), with
    ``L = max_tokens``, ``n`` tokens used and budget ``b``:

    * ``hbpo``: correct and ``n <= b``: ``beta*cos(pi*b/(2L))``; correct and ``n > b``:
      ``beta*cos(pi*n/(2L)) - alpha*|n - b|``; natural mode: ``beta*cos(pi*n/(2L))``; wrong: 0;
    * ``cosine``: ``beta*cos(pi*n/(2L))`` if correct, else 0;
    * ``classic``: 1 if correct, else 0;
    * a truncated answer (no answer by ``L``) gets ``truncation_reward`` (-1 in ``hbpo-math``).

    ``info`` holds ``level``, ``tokens``, ``budget`` (``None`` in natural mode), ``correct``,
    ``answered``, ``truncated`` and ``found`` (thinking reached the need: hidden from the policy,
    reported for analysis), so any reward can be recomputed.

    ## Starting State

    A new problem from the scenario's mix, no tokens used, hints 0. The budget comes from
    ``reset(options={"budget": b})`` (``b=None`` is natural mode); without the option, the scenario's
    ``budget_mode`` decides: ``"sample"`` draws one of the budgets, ``"none"`` is natural mode.
    ``options={"problem_seed": k}`` picks problem ``k`` (the same ``k`` is always the same problem).
    Any other option key, or a value outside what is allowed, raises
    :class:`~hbkit.errors.OptionError` and leaves the env exactly as it was.

    In natural mode a policy trained by HBPO declares its own budget first (see
    :class:`hbkit.train.policies.DeclaringPolicy`); the env itself only reports ``budget=none``.

    ## Episode End

    The episode terminates when the reasoner answers, or when thinking reaches ``max_tokens``
    (a truncated, malformed answer: ``info["truncated"]`` is True). Both are true terminal states of
    the task, so ``truncated`` (Gymnasium's time-limit flag) is always False.

    ## Arguments

    :param scenario: a scenario name in ``environments/`` (``"hbpo-math"``), a path to a TOML file,
        or a loaded :class:`hbkit.scenarios.Scenario`
    :param reward: ``"hbpo"``, ``"cosine"`` or ``"classic"`` (default: the scenario's)
    :param budgets: replaces the scenario's budget list (and so the one-hot block)
    :param budget_mode: ``"sample"`` or ``"none"`` (default: the scenario's)
    :param render_mode: ``"ansi"`` renders a one-line text state
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}
    summarize_episodes = staticmethod(summarize_episodes)

    def __init__(
        self,
        scenario: str | Scenario = "hbpo-math",
        reward: str | None = None,
        budgets: Sequence[int] | None = None,
        budget_mode: str | None = None,
        render_mode: str | None = None,
    ):
        self.world = _world(scenario, reward, budgets, budget_mode)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} is not supported; allowed: None or 'ansi'")
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(2)
        self.observation_space = spaces.Box(self.world.obs_low, self.world.obs_high, dtype=np.float32)
        self.feature_names = self.world.feature_names
        self._batch = ReasoningBatch(self.world, 1)
        self._started = False

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    def __copy__(self) -> ReasoningEnv:
        return _independent_copy(self)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        # every option is checked before anything changes: a refused reset leaves the env as it was
        options = check_options(options, _SINGLE_OPTIONS, "ReasoningEnv.reset")
        w = self.world
        seeds = (
            _seed_request(options["problem_seed"], 1, "ReasoningEnv.reset")
            if "problem_seed" in options
            else None
        )
        budget = (
            _budget_request(options["budget"], 1, w.budgets, "ReasoningEnv.reset")
            if "budget" in options
            else None
        )
        super().reset(seed=check_reset_seed(seed, f"{type(self).__name__}.reset"))
        rng = self.np_random
        if seeds is not None:
            p = w.problems_from_seeds(seeds)
            problem = (int(p.level[0]), float(p.need[0]), float(p.level_hint[0]), float(p.need_hint[0]))
        else:
            problem = w.sample_problem_one(rng)
        if budget is not None:
            b = int(budget[0])
        elif w.budget_mode == "sample" and w.budgets:
            b = w.budgets[rng.integers(len(w.budgets))]
        else:
            b = 0
        self._batch.reset_one(problem, b, rng)
        self._level, self._budget = problem[0] + 1, b or None
        self._started = True
        return self._batch.observe_one(), self._info()

    def step(self, action):
        if not self._started:
            raise StateError("call reset() before step()")
        b = self._batch
        if b.done.item(0):
            raise StateError("the episode has ended; call reset() to start a new one")
        if not (isinstance(action, (int, np.integer)) and 0 <= action <= 1):
            action = check_actions(action, 2, "action (0 = continue, 1 = answer)", shape=())
        reward, ended = b.step_one(int(action), self.np_random)
        return b.observe_one(), reward, ended, False, self._info()

    def _info(self) -> dict[str, Any]:
        b = self._batch
        tokens = b.steps.item(0) * self.world.chunk
        return {
            "level": self._level,
            "tokens": tokens,
            "budget": self._budget,
            "correct": b.correct.item(0),
            "answered": b.answered.item(0),
            "truncated": b.truncated.item(0),
            "found": tokens >= b.need.item(0),
        }

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        b, w = self._batch, self.world
        budget = int(b.budget[0]) or "none"
        bar_len = 40
        filled = int(bar_len * b.tokens[0] / w.max_tokens)
        state = (
            "answered " + ("correctly" if b.correct[0] else "wrongly")
            if b.answered[0]
            else ("truncated" if b.truncated[0] else "thinking")
        )
        return (
            f"level {b.level[0] + 1} budget {budget:>5} [{'#' * filled}{'.' * (bar_len - filled)}] "
            f"{b.tokens[0]:>5} tokens, hint {b.hint[0]:.2f} (mean {b.hint_mean[0]:.2f}), {state}"
        )


class ReasoningVectorEnv(VectorEnv):
    """``num_envs`` Reasoning episodes stepped in one NumPy call (see :class:`ReasoningEnv`).

    Reset options (all optional):

    * ``"budget"``: ``None`` (natural mode), one budget for all envs, or one entry per env
      (``None`` entries are natural mode). The request is kept for later autoresets; without the
      option, the scenario's ``budget_mode`` decides for each new episode.
    * ``"problem_seed"``: one integer per env; envs with the same seed face the same problem, so a
      group of rollouts can be compared on one problem.
    * ``"reset_mask"``: with ``autoreset_mode=AutoresetMode.DISABLED``, which envs to reset.

    ``infos`` holds arrays ``level``, ``tokens``, ``budget`` (0 = natural mode), ``correct``,
    ``answered``, ``truncated`` (with Gymnasium's ``_key`` masks).

    :param num_envs: number of parallel episodes
    :param autoreset_mode: ``NEXT_STEP`` (default, like Gymnasium's CartPoleVectorEnv) or
        ``DISABLED`` (finished envs stay frozen until reset; what the trainer and evaluation use)
    :param scenario, reward, budgets, budget_mode: as for :class:`ReasoningEnv`
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}
    summarize_episodes = staticmethod(summarize_episodes)

    def __init__(
        self,
        num_envs: int = 1,
        scenario: str | Scenario = "hbpo-math",
        reward: str | None = None,
        budgets: Sequence[int] | None = None,
        budget_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ):
        self.num_envs, self.metadata = vector_settings(
            num_envs, autoreset_mode, self.metadata, render_mode, type(self).__name__
        )
        self.world = _world(scenario, reward, budgets, budget_mode)
        self.feature_names = self.world.feature_names
        self.render_mode = render_mode
        self.single_action_space = spaces.Discrete(2)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = spaces.Box(self.world.obs_low, self.world.obs_high, dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._batch = ReasoningBatch(self.world, self.num_envs)
        self._request = np.full(self.num_envs, -1, np.int64)  # -1: the scenario's budget_mode
        self._request_slot = np.zeros(self.num_envs, np.int64)  # its one-hot slot, where requested
        self._prev_done = np.zeros(self.num_envs, bool)
        self._started = False

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    def __copy__(self) -> ReasoningVectorEnv:
        return _independent_copy(self)

    def reference_reward(self, budget, name: str | None = None) -> np.ndarray:
        """``f2(b)``, the reward of a correct answer that uses exactly budget ``b``."""
        return self.world.reference_reward(budget, name)

    def training_metrics(self, infos: dict[str, Any], budgets: np.ndarray) -> dict[str, float]:
        """Metrics of a finished batch of rollouts: accuracy, mean tokens, truncation rate, mean
        tokens per budget (``tokens@b``) and, for the hardest level present, accuracy
        (``hard_accuracy``) and the share of rollouts whose thinking reached the problem's need
        (``hard_reach``): the exploration that a length penalty can starve."""
        tokens = np.asarray(infos["tokens"], np.float64)
        out = {
            "accuracy": float(np.mean(infos["correct"])),
            "mean_tokens": float(tokens.mean()),
            "truncation_rate": float(np.mean(infos["truncated"])),
        }
        for b in np.unique(budgets):
            out[f"tokens@{int(b) or 'none'}"] = float(tokens[budgets == b].mean())
        hard = np.asarray(infos["level"]) == self.world.num_levels
        out["hard_reach"] = float(np.mean(np.asarray(infos["found"])[hard])) if hard.any() else float("nan")
        out["hard_accuracy"] = (
            float(np.mean(np.asarray(infos["correct"])[hard])) if hard.any() else float("nan")
        )
        return out

    def _start(self, mask: np.ndarray, problem_seed: np.ndarray | None = None) -> None:
        w, rng = self.world, self.np_random
        idx = np.flatnonzero(mask)
        n = len(idx)
        if n == 0:
            return
        if problem_seed is not None:
            problems = w.problems_from_seeds(problem_seed[idx])
        else:
            problems = w.sample_problems(rng, n)
        req = self._request.take(idx)
        sample = req < 0
        budget = np.where(sample, 0, req)
        slot = np.where(sample, len(w.budgets), self._request_slot.take(idx))
        if w.budget_mode == "sample" and w.budgets and sample.any():
            drawn = rng.integers(len(w.budgets), size=int(np.count_nonzero(sample)))
            budget[sample] = w.budget_table[drawn]
            slot[sample] = drawn
        self._batch.reset(idx, problems, budget, rng, slot)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        # every option is checked before anything changes: a refused reset leaves the env as it was
        where = "ReasoningVectorEnv.reset"
        options = check_options(options, _VECTOR_OPTIONS, where)
        mask = np.ones(self.num_envs, bool)
        if "reset_mask" in options:
            m = np.asarray(options["reset_mask"])
            if m.shape != (self.num_envs,) or m.dtype != bool:
                raise OptionError(
                    f"{where}: options['reset_mask'] must be {self.num_envs} booleans, got "
                    f"{m.dtype} of shape {m.shape}"
                )
            mask = m.copy()
            check_first_reset_mask(mask, self._started, where)
        request = None
        if "budget" in options:
            request = _budget_request(options["budget"], self.num_envs, self.world.budgets, where)
        seeds = None
        if options.get("problem_seed") is not None or "problem_seed" in options:
            seeds = _seed_request(options["problem_seed"], self.num_envs, where)
        super().reset(seed=check_reset_seed(seed, f"{type(self).__name__}.reset"))
        if request is not None:
            self._request[mask] = request[mask]
            self._request_slot[mask] = self.world.budget_index(request[mask])
        self._start(mask, seeds)
        self._prev_done[mask] = False
        self._started = True
        return self._batch.observe(), self._infos()

    def step(self, actions):
        if not self._started:
            raise StateError("call reset() before step()")
        a = actions
        # the usual case, an int64 array of zeros and ones, needs one comparison to be checked
        if not (
            isinstance(a, np.ndarray)
            and a.dtype == np.int64
            and a.shape == (self.num_envs,)
            and (a.view(np.uint64) <= 1).all()
        ):
            a = check_actions(actions, 2, "actions (0 = continue, 1 = answer)", shape=(self.num_envs,))
        b = self._batch
        restart = np.zeros(self.num_envs, bool)
        if self.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP:
            restart = self._prev_done
            self._start(restart)
            b.done[restart] = True  # restarted envs only show their first observation this step
        reward, ended = b.step(a, self.np_random)
        b.done[restart] = False
        self._prev_done = ended
        terminated = ended
        truncated = np.zeros(self.num_envs, bool)
        return b.observe(), reward.astype(np.float64), terminated, truncated, self._infos()

    def _infos(self) -> dict[str, Any]:
        b = self._batch
        ones = np.ones(self.num_envs, bool)
        infos: dict[str, Any] = {
            "level": b.level + 1,
            "tokens": b.tokens.copy(),
            "budget": b.budget.copy(),
            "correct": b.correct.copy(),
            "answered": b.answered.copy(),
            "truncated": b.truncated.copy(),
            "found": b.found,
        }
        for k in _INFO_KEYS:
            infos["_" + k] = ones
        return infos


def trace_episode(
    agent: Any, env: Any = None, seed: int = 0, budget: Any = None, rng_seed: int = 0
) -> dict[str, Any]:
    """Run one episode and record what happened, for :func:`hbkit.viz.reasoning.rollout_trace`.

    :param agent: an hbkit Policy (sampled with ``rng_seed``) or a callable ``obs -> action``
    :param env: a Reasoning env (default: a new ``hbpo-math`` one)
    :param seed: the episode's seed (picks the problem)
    :param budget: the budget instruction (``None`` = natural mode)
    :return: ``tokens``, ``hint``, ``hint_mean``, ``p_correct`` per step, ``need``, ``level``, ``budget``,
        ``answer_at`` (None if truncated), ``correct``, ``text`` (the ``ansi`` rendering per step)
    """
    env = env if env is not None else ReasoningEnv()
    u = env.unwrapped
    rng = np.random.default_rng(rng_seed)
    obs, info = env.reset(seed=seed, options={"budget": budget})
    b = u._batch
    out: dict[str, Any] = {
        "tokens": [],
        "hint": [],
        "hint_mean": [],
        "p_correct": [],
        "text": [],
        "need": float(b.need[0]),
        "level": info["level"],
        "budget": info["budget"],
    }
    mode, u.render_mode = u.render_mode, "ansi"
    done = False
    while True:
        out["tokens"].append(int(b.tokens[0]))
        out["hint"].append(float(b.hint[0]))
        out["hint_mean"].append(float(b.hint_mean[0]))
        out["p_correct"].append(float(u.world.accuracy(b.level[:1], b.need[:1], b.tokens[:1])[0]))
        out["text"].append(u.render())
        if done:
            break
        a = agent.act(obs, rng)[0] if hasattr(agent, "act") else agent(obs)
        obs, _, done, _, info = env.step(int(a))
    u.render_mode = mode
    out["answer_at"] = info["tokens"] if info["answered"] else None
    out["correct"] = info["correct"]
    return out
