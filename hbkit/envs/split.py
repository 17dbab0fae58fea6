"""``hbkit/Split-v0``: budgeted multi-agent allocation with feedback, as a Gymnasium Env and a native
VectorEnv.

Both classes are thin over :mod:`hbkit.sim.split`, where the model and its math live.
"""

from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from hbkit.envs._common import (
    check_box_actions,
    check_options,
    check_render_mode,
    check_reset_seed,
    make_scenario,
    vector_settings,
)
from hbkit.errors import OptionError, StateError
from hbkit.scenarios import Scenario
from hbkit.sim.split import MIN_BUDGET, RANGE_FACTOR, SplitBatch, SplitWorld

__all__ = ["SplitEnv", "SplitVectorEnv", "summarize_episodes"]

_STEP_KEYS = (
    "round",
    "budget",
    "budget_spent",
    "budget_left",
    "allocation",
    "output",
    "regret",
    "productivity",
)
_FINAL_KEYS = ("regret_curve", "oracle_output")


def _world(scenario, noise, drift, rounds, budget, division_rule) -> SplitWorld:
    sc = make_scenario(
        scenario,
        "hbkit/Split-v0",
        {
            "world.noise": noise,
            "world.drift": drift,
            "world.rounds": rounds,
            "world.budget": budget,
            "world.division_rule": division_rule,
        },
    )
    return SplitWorld(sc)


def _read_only(view: np.ndarray) -> np.ndarray:
    view.flags.writeable = False
    return view


def _budget_request(value: Any, num: int, world: SplitWorld) -> np.ndarray:
    """Per-env budgets from a ``budget`` reset option (``None`` entries: the scenario's).

    :raises OptionError: naming the entry, its value and the allowed range
    """
    allowed = (
        f"None (the scenario's, {world.budget:g}) or a number with {MIN_BUDGET:g} <= budget <= "
        f"{world.max_budget:g} (world.max_budget)"
    )
    if value is None or np.isscalar(value):
        value = [value] * num
    try:
        value = list(value)
    except TypeError:
        raise OptionError(f"options['budget'] is {value!r}; allowed: {allowed}, or one per env") from None
    if len(value) != num:
        raise OptionError(
            f"options['budget'] has {len(value)} entries; allowed: one per env ({num}), each {allowed}"
        )
    out = np.empty(num)
    for i, b in enumerate(value):
        if b is None:
            out[i] = world.budget
            continue
        ok = not isinstance(b, (bool, np.bool_)) and isinstance(b, (int, float, np.integer, np.floating))
        if not ok or not MIN_BUDGET <= float(b) <= world.max_budget:  # NaN fails the comparison
            where = "" if num == 1 else f" entry {i}"
            raise OptionError(f"options['budget']{where} is {b!r}; allowed: {allowed}")
        out[i] = float(b)
    return out


def _as_array(value: Any) -> np.ndarray | None:
    """``value`` as an array, or ``None`` for what is not an array of numbers (a string, a ragged
    list)."""
    if isinstance(value, (str, bytes)):
        return None
    try:
        return np.asarray(value)
    except (TypeError, ValueError):
        return None


def _productivity_request(value: Any, num: int, world: SplitWorld) -> np.ndarray:
    """Starting productivities from a ``productivity`` reset option, shape ``(num, K)``.

    :raises OptionError: for a wrong shape, non-numbers, or values outside the world's range
    """
    k = world.num_agents
    allowed = (
        f"numbers with {world.a_low:g} <= a <= {world.a_high:g} (the scenario's typical "
        f"productivities / {RANGE_FACTOR:g} to x {RANGE_FACTOR:g}), shape ({k},) or ({num}, {k})"
    )
    arr = _as_array(value)
    if arr is None or arr.dtype.kind not in "fiu":
        raise OptionError(f"options['productivity'] is {value!r}; allowed: {allowed}")
    a = arr.astype(np.float64)
    if a.shape == (k,):
        a = np.tile(a, (num, 1))
    if a.shape != (num, k):
        raise OptionError(f"options['productivity'] has shape {arr.shape}; allowed: {allowed}")
    bad = ~((a >= world.a_low) & (a <= world.a_high))  # NaN is bad too
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        where = i[1] if num == 1 else i
        raise OptionError(f"options['productivity'] entry {where} is {float(a[i])!r}; allowed: {allowed}")
    return a


def _world_seed_request(value: Any, num: int) -> np.ndarray:
    """Per-env world seeds from a ``world_seed`` reset option, shape ``(num,)``."""
    arr = _as_array(value)
    if (
        arr is None
        or arr.shape != (num,)
        or arr.dtype.kind not in "iu"
        or (arr.size and (arr.min() < 0 or arr.max() > np.iinfo(np.int64).max))
    ):
        raise OptionError(
            f"options['world_seed'] is {value!r}; allowed: {num} integers with "
            "0 <= seed < 2**63 (one per env)"
        )
    return arr.astype(np.int64)


def summarize_episodes(columns: dict[str, np.ndarray]) -> dict[str, Any]:
    """The evaluation report of finished Split episodes (see :func:`hbkit.evaluate.evaluate`).

    :param columns: one array per final info key, one entry per episode: ``return`` (total
        measured output), ``regret_curve`` (shape ``(episodes, rounds)``), ``oracle_output``
        (the oracle's expected total) and ``budget_spent``
    :return: ``reward`` (mean total output per episode), ``reward_per_round``, ``regret`` (mean
        regret per round against the oracle), ``final_regret`` (mean over the last tenth of the
        rounds), ``relative_regret`` (share of the oracle's output lost), ``oracle_reward``,
        ``regret_curve`` (per round, averaged over episodes), ``rounds``, ``budget_spent``
    """
    curve = np.asarray(columns["regret_curve"], dtype=np.float64)
    if curve.ndim == 1:
        curve = curve[None, :]
    rounds = curve.shape[1]
    tail = max(1, rounds // 10)
    ret = np.asarray(columns["return"], dtype=np.float64)
    oracle = np.asarray(columns["oracle_output"], dtype=np.float64)
    return {
        "reward": float(ret.mean()),
        "reward_per_round": float(ret.mean() / rounds),
        "regret": float(curve.mean()),
        "final_regret": float(curve[:, -tail:].mean()),
        "relative_regret": float(curve.sum() / max(oracle.sum(), 1e-300)),
        "oracle_reward": float(oracle.mean()),
        "regret_curve": [float(v) for v in curve.mean(axis=0)],
        "rounds": int(rounds),
        "budget_spent": float(np.mean(columns["budget_spent"])),
    }


class SplitEnv(gym.Env):
    """A manager splits each round's budget across agents whose productivity it must learn.

    ## Description

    There are ``K`` agents (``K = 4`` in ``classroom``). Every round the manager splits the round's
    budget ``B`` (say, hours of work) across them, and agent ``i`` returns output with diminishing
    returns plus noise::

        y_i = a_i * log(1 + x_i / c_i) + sigma * eps_i

    The scale ``c_i`` is public; the productivity ``a_i`` is hidden, differs between episodes and
    may drift from round to round, so the manager has to learn it from the outputs it sees. For
    known productivities the best split has a closed form (water-filling,
    :func:`hbkit.managers.split.water_fill`), so every round is scored by its *regret*: the
    oracle's expected output minus the expected output of the split played. The model is in
    :mod:`hbkit.sim.split`; every constant comes from the scenario file (``environments/*.toml``).

    With ``[[divisions]]`` in the scenario the agents are grouped: the action splits the budget
    across divisions, and each division splits its part across its members by
    ``world.division_rule`` (``equal``, ``estimate``, ``oracle``, or ``policy``: more action
    entries, one per agent, softmaxed within each division).

    ## Action Space

    ``Box(-1, 1, (K,), float32)`` (``(D,)`` with ``D`` divisions, ``(D + K,)`` with the ``policy``
    rule). The env turns it into shares with a softmax, ``shares = softmax(share_gain * action)``
    (``share_gain = 3`` by default, so the largest share can be up to ``e^6 ~ 400`` times the
    smallest), and allocates ``x = shares * B``: the whole round's budget is always spent.
    Finite values outside ``[-1, 1]`` are clipped, as Stable-Baselines3 does; NaN, infinity, a
    wrong shape, strings, complex numbers and objects raise :class:`hbkit.errors.ActionError`.
    ``env.unwrapped.world.action_from_shares(shares)`` gives
    the action for shares you want.

    ## Observation Space

    ``Box(float32)`` of length ``3 + 4K`` (names in ``env.unwrapped.feature_names``), holding only
    what a manager could know:

    * ``round``: rounds played / rounds per episode;
    * ``budget_left``: budget left / the episode's initial budget;
    * ``budget``: this episode's per-round budget / ``world.max_budget``;
    * ``share:<agent>``: the last round's shares (0 before the first round);
    * ``output:<agent>``: the last round's measured outputs;
    * ``estimate:<agent>``: a running least-squares estimate of each productivity from all past
      allocations and outputs (discounted by ``world.memory``; the mean typical productivity
      before any feedback);
    * ``uncertainty:<agent>``: ``1 / sqrt(evidence)``; the estimate's standard deviation is
      ``sigma * uncertainty``.

    ## Rewards

    The round's total measured output ``sum_i y_i``. ``info["regret"]`` is the round's regret
    against the oracle (computed without noise), so learners can be compared fairly.

    ## Starting State

    New productivities ``a_i = p_i * exp(spread * z)`` from the scenario's typical values ``p``
    (shuffled across agents if ``agents.shuffle``), no feedback yet. Reset options (any other key,
    or a value out of range, raises :class:`hbkit.errors.OptionError` and changes nothing):
    ``{"budget": B}`` sets the per-round budget (``None``: the scenario's; allowed
    ``1e-6 <= B <= world.max_budget``); ``{"productivity": [...]}`` sets the starting
    productivities (allowed: within the world's range,
    ``world.a_low <= a <= world.a_high``).

    ## Episode End

    The episode terminates after ``world.rounds`` rounds, when the whole budget
    (``rounds * B``) is spent; ``truncated`` is always False. The last ``info`` adds
    ``regret_curve`` (regret per round) and ``oracle_output`` (the oracle's expected total).

    ``info`` always holds ``round``, ``budget`` (per round), ``budget_spent`` and ``budget_left``
    (``budget_spent + budget_left = rounds * budget``, exactly for whole-number budgets),
    ``allocation`` and ``output`` (the last round's, per agent), ``regret`` (the last round's) and
    ``productivity`` (the true productivities of the coming round: for the oracle and for plots;
    a learner must not read it).

    ## Arguments

    :param scenario: a scenario name in ``environments/`` (``"classroom"``, ``"drift"``,
        ``"divisions"``), a path to a TOML file, or a loaded :class:`hbkit.scenarios.Scenario`
    :param noise: replaces ``world.noise`` (sigma)
    :param drift: replaces ``world.drift``
    :param rounds: replaces ``world.rounds``
    :param budget: replaces ``world.budget`` (the default per-round budget)
    :param division_rule: replaces ``world.division_rule``
    :param render_mode: ``"ansi"`` renders the last round as text
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}
    summarize_episodes = staticmethod(summarize_episodes)

    def __init__(
        self,
        scenario: str | Scenario = "classroom",
        noise: float | None = None,
        drift: float | None = None,
        rounds: int | None = None,
        budget: float | None = None,
        division_rule: str | None = None,
        render_mode: str | None = None,
    ):
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"], "SplitEnv")
        self.world = _world(scenario, noise, drift, rounds, budget, division_rule)
        w = self.world
        self.action_space = spaces.Box(-1.0, 1.0, (w.action_dim,), dtype=np.float32)
        self.observation_space = spaces.Box(w.obs_low, w.obs_high, dtype=np.float32)
        self.feature_names = w.feature_names
        self._batch = SplitBatch(w, 1)
        self._rounds = w.rounds
        self._batch.round = w.rounds  # no episode yet: step() asks for reset()
        self._shape = (w.action_dim,)
        self._column = (w.action_dim, 1)
        self._what = f"action (shape ({w.action_dim},))"
        self._budget = w.budget
        self._started = False
        self._flat = not w.hierarchical

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    def __copy__(self) -> SplitEnv:
        """A copy is an independent env in the same state (a deep copy): sharing the episode's
        arrays between two envs would let each step the other's episode."""
        return copy.deepcopy(self)

    #: the keys ``reset(options=...)`` understands
    OPTIONS = ("budget", "productivity")

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        # every option is checked before anything changes: a refused reset leaves the env as it was
        options = check_options(options, self.OPTIONS, "SplitEnv.reset")
        w = self.world
        value = options.get("budget")
        budget = w.budget if value is None else float(_budget_request(value, 1, w)[0])
        start = None
        if options.get("productivity") is not None:
            start = _productivity_request(options["productivity"], 1, w)
        if seed is not None:
            super().reset(seed=check_reset_seed(seed, f"{type(self).__name__}.reset"))
        self._budget = budget
        self._started = True
        if self._flat:  # plain floats: a batch of one
            obs = self._batch.reset_one(self.np_random, budget, None if start is None else start[0].tolist())
            return obs, self._info_one()
        self._batch.reset(self.np_random, np.array([budget]), start)
        return self._batch.observe()[0], self._info()

    def step(self, action):
        b = self._batch
        t = b.round
        if t >= self._rounds:
            raise StateError(
                "call reset() before step()"
                if not self._started
                else "the episode has ended; call reset() to start a new one"
            )
        # the common case (an in-range float array of the right shape) is checked in plain Python
        vals = None
        if type(action) is np.ndarray and action.shape == self._shape and action.dtype.kind == "f":
            vals = action.tolist()
            total = sum(vals)
            if not (total == total and min(vals) >= -1.0 and max(vals) <= 1.0):  # NaN: total != total
                vals = None
        if vals is None:
            vals = check_box_actions(action, self._shape, self._what).tolist()
        if self._flat:  # plain floats: a batch of one
            reward, obs = b.step_one(vals)
            info = self._info_one()
        else:
            reward = float(b.step(np.array(vals).reshape(self._column))[0])
            obs = b.observe()[0]
            info = self._info()
        t += 1
        done = t == self._rounds
        if done:
            info["regret_curve"] = b.regret[0]
            info["oracle_output"] = float(b.oracle_total()[0])
        return obs, reward, done, False, info

    def _info_one(self) -> dict[str, Any]:
        """:meth:`_info` from the plain-float episode of a one-level world (the same entries)."""
        one, t, budget = self._batch.one, self._batch.round, self._budget
        return {
            "round": t,
            "budget": budget,
            "budget_spent": t * budget,
            "budget_left": (self._rounds - t) * budget,
            "allocation": np.array(one.x),
            "output": np.array(one.y),
            "regret": one.last_regret,
            "productivity": np.array(one.a),
        }

    def _info(self) -> dict[str, Any]:
        b, t, budget = self._batch, self._batch.round, self._budget
        return {
            "round": t,
            "budget": budget,
            "budget_spent": t * budget,
            "budget_left": (self._rounds - t) * budget,
            "allocation": b.allocation[0],
            "output": b.output[0],
            "regret": float(b.last_regret[0]),
            "productivity": b.productivity[0].copy(),
        }

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        b, w = self._batch, self.world
        rows = [
            f"round {b.round}/{w.rounds}  budget {self._budget:g} per round, "
            f"regret {float(b.last_regret[0]):.3f}"
        ]
        for i, name in enumerate(w.names):
            bar = "#" * int(round(30 * b.shares[0, i]))
            rows.append(f"  {name:>10} {b.allocation[0, i]:8.2f} {bar:<30} output {b.output[0, i]:7.3f}")
        return "\n".join(rows)


class SplitVectorEnv(VectorEnv):
    """``num_envs`` Split episodes stepped in one NumPy call (see :class:`SplitEnv`).

    All episodes of a batch run in lockstep (every episode lasts ``world.rounds`` rounds), so they
    all end, and with ``NEXT_STEP`` autoreset all restart, together.

    Reset options (all optional): ``"budget"``: one per-round budget for all envs or one entry per
    env (``None`` entries: the scenario's), kept for later autoresets; ``"productivity"``: starting
    productivities, shape ``(K,)`` or ``(num_envs, K)``, for this reset only; ``"world_seed"``: one
    integer per env, for this reset only: envs with the same seed face the same world
    (productivities, drift and noise), so that several managers can be compared on it in one batch.

    ``infos`` holds arrays ``round``, ``budget``, ``budget_spent``, ``budget_left``, ``regret``
    (shape ``(n,)``), ``allocation``, ``output``, ``productivity`` (shape ``(n, K)``; a read-only
    view), and at the last round ``regret_curve`` (``(n, rounds)``) and ``oracle_output``, with
    Gymnasium's ``_key`` masks.

    :param num_envs: number of parallel episodes
    :param autoreset_mode: ``NEXT_STEP`` (default, like Gymnasium's CartPoleVectorEnv) or
        ``DISABLED`` (finished envs stay frozen until reset; what :func:`hbkit.evaluate.evaluate`
        uses)
    :param scenario, noise, drift, rounds, budget, division_rule: as for :class:`SplitEnv`
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}
    summarize_episodes = staticmethod(summarize_episodes)

    def __init__(
        self,
        num_envs: int = 1,
        scenario: str | Scenario = "classroom",
        noise: float | None = None,
        drift: float | None = None,
        rounds: int | None = None,
        budget: float | None = None,
        division_rule: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ):
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"], "SplitVectorEnv")
        self.num_envs, self.metadata = vector_settings(num_envs, autoreset_mode, self.metadata)
        self.world = w = _world(scenario, noise, drift, rounds, budget, division_rule)
        self.feature_names = w.feature_names
        self.single_action_space = spaces.Box(-1.0, 1.0, (w.action_dim,), dtype=np.float32)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = spaces.Box(w.obs_low, w.obs_high, dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._batch = SplitBatch(w, self.num_envs)
        self._budgets = np.full(self.num_envs, w.budget)
        self._ones = np.ones(self.num_envs, bool)
        self._no_flags = np.zeros(self.num_envs, bool)
        self._needs_reset = False
        self._started = False

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    def __copy__(self) -> SplitVectorEnv:
        """A copy is an independent env in the same state (see :meth:`SplitEnv.__copy__`)."""
        return copy.deepcopy(self)

    #: the keys ``reset(options=...)`` understands (``reset_mask`` is not one: the episodes of a
    #: Split batch run in lockstep, so reset() restarts all of them)
    OPTIONS = ("budget", "productivity", "world_seed")

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        # every option is checked before anything changes: a refused reset leaves the env as it was
        options = check_options(options, self.OPTIONS, "SplitVectorEnv.reset")
        w, n = self.world, self.num_envs
        budgets = _budget_request(options["budget"], n, w) if "budget" in options else self._budgets
        start = None
        if options.get("productivity") is not None:
            start = _productivity_request(options["productivity"], n, w)
        seeds = options.get("world_seed")
        if seeds is not None:
            seeds = _world_seed_request(seeds, n)
        super().reset(seed=check_reset_seed(seed, f"{type(self).__name__}.reset"))
        self._budgets = budgets
        self._batch.reset(self.np_random, budgets, start, seeds)
        self._needs_reset = False
        self._started = True
        return self._batch.observe(), self._infos(False)

    def step(self, actions):
        if not self._started:
            raise StateError("call reset() before step()")
        b = self._batch
        n = self.num_envs
        if self._needs_reset:
            if self.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP:
                check_box_actions(actions, (n, self.world.action_dim), "actions")
                b.reset(self.np_random, self._budgets)
                self._needs_reset = False
                flags = self._no_flags
                return b.observe(), np.zeros(n), flags.copy(), flags.copy(), self._infos(False)
            # DISABLED: the episodes stay frozen until reset()
            return b.observe(), np.zeros(n), self._ones.copy(), self._no_flags.copy(), self._infos(True)
        a = check_box_actions(actions, (n, self.world.action_dim), "actions")
        reward = b.step(np.ascontiguousarray(a.T))
        done = b.done
        self._needs_reset = done
        terminated = self._ones.copy() if done else self._no_flags.copy()
        return b.observe(), reward, terminated, self._no_flags.copy(), self._infos(done)

    def _infos(self, final: bool) -> dict[str, Any]:
        b, n, w = self._batch, self.num_envs, self.world
        t = b.round
        budget = b.budget
        infos: dict[str, Any] = {
            "round": np.full(n, t, np.int64),
            "budget": budget.copy(),
            "budget_spent": t * budget,
            "budget_left": (w.rounds - t) * budget,
            "allocation": b.allocation,
            "output": b.output,
            "regret": b.last_regret,
            "productivity": _read_only(b.productivity),  # a view of the episode's path
        }
        if final:
            infos["regret_curve"] = b.regret
            infos["oracle_output"] = b.oracle_total()
        for k in list(infos):
            infos["_" + k] = self._ones
        return infos
