"""``hbkit/Team-v0``: the HASHIRU world as a Gymnasium Env and a native VectorEnv.

Both classes are thin over :mod:`hbkit.sim.team`, where the model, its rules and its math live.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
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
from hbkit.sim.team import PICO, REASONS, TeamBatch, TeamWorld

__all__ = [
    "TeamEnv",
    "TeamVectorEnv",
    "summarize_episodes",
    "team_info",
    "RESET_OPTIONS",
    "VECTOR_RESET_OPTIONS",
]

_REASON_TEXT = np.array([REASONS[k] for k in range(len(REASONS))])


def _world(scenario, reward, budgets, expense_budget, memory) -> TeamWorld:
    sc = make_scenario(
        scenario,
        "hbkit/Team-v0",
        {
            "world.reward": reward,
            "world.budgets": budgets,
            "world.expense_budget": expense_budget,
            "world.memory": memory,
        },
    )
    return TeamWorld(sc)


#: The reset options each env understands (anything else is an OptionError).
RESET_OPTIONS = ("budget", "problem_seed")
VECTOR_RESET_OPTIONS = ("budget", "problem_seed", "reset_mask")

_SEED_MAX = 2**63 - 1


def _per_env(value: Any, num: int, name: str) -> list[Any]:
    """One entry per env from a reset option: a scalar is used for all of them."""
    if value is None or np.isscalar(value) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return [value] * num
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
        raise OptionError(
            f"options[{name!r}] is {value!r}; allowed: one value or a sequence of {num} (one per env)"
        )
    value = list(value)
    if len(value) != num:
        raise OptionError(
            f"options[{name!r}] has {len(value)} entries; allowed: one value or {num} entries (one per env)"
        )
    return value


def _budget_request(value: Any, num: int, world: TeamWorld) -> np.ndarray:
    """Per-env expense budgets in pico-dollars from a ``budget`` reset option (``None``, or
    ``None`` entries: the scenario's). Nothing is coerced: a string, a bool or a value out of
    range is an :class:`~hbkit.errors.OptionError` naming the entry, the value and the range."""
    out = np.empty(num, np.int64)
    for i, b in enumerate(_per_env(value, num, "budget")):
        try:
            out[i] = world.budget_p(world.expense_budget if b is None else b)
        except ValueError as exc:
            where = "" if num == 1 else f" entry {i}"
            raise OptionError(f"options['budget']{where}: {exc}") from None
    return out


def _seed_request(value: Any, num: int) -> np.ndarray | None:
    """Per-env problem seeds from a ``problem_seed`` reset option (``None``: draw the streams from
    the env's generator). Integers ``0 <= seed < 2**63`` only; no float, string or bool."""
    if value is None:
        return None
    out = np.empty(num, np.int64)
    for i, s in enumerate(_per_env(value, num, "problem_seed")):
        ok = isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_))
        if not ok or not 0 <= int(s) <= _SEED_MAX:
            where = "" if num == 1 else f" entry {i}"
            raise OptionError(
                f"options['problem_seed']{where} is {s!r}; allowed: None (a stream from "
                f"the env's generator) or an integer 0 <= seed <= 2**63 - 1"
            )
        out[i] = int(s)
    return out


def _mask_request(value: Any, num: int) -> np.ndarray:
    """The ``reset_mask`` option: one bool per env."""
    arr = np.asarray(value)
    if arr.shape != (num,) or arr.dtype != np.bool_:
        raise OptionError(f"options['reset_mask'] is {value!r}; allowed: {num} booleans (one per env)")
    return arr.copy()


def team_info(
    state: Any,
    *,
    capacity: int,
    mask: np.ndarray,
    accepted: Any,
    reason: Any,
    outcome: Any,
    task_type: Any,
    solved_by_type: Any,
    tasks_by_type: Any,
    spent_by_type: Any,
    hidden_success: Any,
    type_names: Any,
    fresh: Any = lambda x: x,
) -> dict[str, Any]:
    """The Team ``info`` dict, of one episode (Python numbers) or of a batch (arrays, one row per
    env): the one place that says what it holds.

    :param state: a :class:`~hbkit.sim.team.TeamBatch` or an :class:`~hbkit.sim.team.EpisodeState`
        (the same counter names: ``task``, ``budget``, ``spent``, ``remaining`` in pico-dollars,
        ``reserved``, ``peak_memory``, ``hires``, ``fires``, ``rejected``, ``solved``,
        ``exhausted``, ``truncated``)
    :param solved_by_type, tasks_by_type, spent_by_type: per task type (``spent`` in dollars);
        copied into the dict
    :param fresh: makes an independent copy of a value (``np.copy`` for arrays)
    """
    task, reserved = state.task, state.reserved
    return {
        "action_mask": mask.copy(),
        "accepted": accepted,
        "reason": reason,
        "outcome": outcome,
        "task": fresh(task),
        "task_type": task_type,
        "budget": state.budget / PICO,
        "spent": state.spent / PICO,
        "remaining": state.remaining / PICO,
        "memory_used": fresh(reserved),
        "memory_free": capacity - reserved,
        "peak_memory": fresh(state.peak_memory),
        "hires": fresh(state.hires),
        "fires": fresh(state.fires),
        "rejected": fresh(state.rejected),
        "solved": fresh(state.solved),
        "tasks_done": fresh(task),
        "exhausted": fresh(state.exhausted),
        "truncated": fresh(state.truncated),
        "solved_by_type": np.array(solved_by_type),
        "tasks_by_type": np.array(tasks_by_type),
        "spent_by_type": np.array(spent_by_type),
        "hidden_success": hidden_success,
        "type_names": type_names,
    }


def summarize_episodes(columns: dict[str, np.ndarray]) -> dict[str, Any]:
    """The evaluation report of finished Team episodes (see :func:`hbkit.evaluate.evaluate`).

    :param columns: one array per info key and ``return``, one entry (row) per episode
    :return: ``reward`` (mean return), ``success_rate`` (solved / tasks in the stream; tasks never
        reached count as failures), ``expense_spent`` (mean dollars), ``budget_exhausted_rate``
        (share of episodes that ran out of money), ``truncation_rate``, ``peak_memory`` (mean of the
        per-episode peak, units), ``hires``, ``fires``, ``rejected`` (means per episode),
        ``tasks_done`` (mean tasks decided), ``by_type`` (type -> ``success_rate``, ``None`` for a
        type with no tasks, ``count`` of tasks, ``spent`` mean dollars per episode)
    """
    solved = np.asarray(columns["solved_by_type"], np.float64)
    tasks = np.asarray(columns["tasks_by_type"], np.float64)
    spent_t = np.asarray(columns["spent_by_type"], np.float64)
    names = [str(x) for x in np.asarray(columns["type_names"])[0]]
    report: dict[str, Any] = {
        "reward": float(np.mean(columns["return"])),
        "success_rate": float(solved.sum() / max(tasks.sum(), 1.0)),
        "expense_spent": float(np.mean(columns["spent"])),
        "budget_exhausted_rate": float(np.mean(np.asarray(columns["exhausted"], bool))),
        "truncation_rate": float(np.mean(np.asarray(columns["truncated"], bool))),
        "peak_memory": float(np.mean(columns["peak_memory"])),
        "hires": float(np.mean(columns["hires"])),
        "fires": float(np.mean(columns["fires"])),
        "rejected": float(np.mean(columns["rejected"])),
        "tasks_done": float(np.mean(columns["tasks_done"])),
        "budget_mean": float(np.mean(columns["budget"])),
    }
    report["by_type"] = {
        name: {
            # a type no stream had has no success rate (None), not a rate of 0
            "success_rate": float(solved[:, k].sum() / tasks[:, k].sum()) if tasks[:, k].sum() else None,
            "count": int(tasks[:, k].sum()),
            "spent": float(spent_t[:, k].mean()),
        }
        for k, name in enumerate(names)
    }
    return report


class TeamEnv(gym.Env):
    """A manager works through a stream of tasks with a team of hired workers and two budgets.

    ## Description

    After HASHIRU (arXiv 2506.04255). Each episode is a stream of ``world.tasks`` tasks (types such
    as math, reasoning and review; a difficulty; prompt and answer sizes in tokens; some types need
    several workers: a review is a panel of three opinions of which two must be right). Workers
    come from the scenario's catalog: *local* ones (after llama3.2 / mistral / deepseek-r1) reserve
    memory while hired (16 GB = 100 units), need headroom to run and cost no money; *cloud* ones
    (four price tiers) cost dollars per million input/output tokens and a small hiring fee. Each
    worker has a success probability per task type that the manager cannot see; it learns it from
    the outcomes (the feedback in the observation). The model and its constants are documented in
    :mod:`hbkit.sim.team` and the scenario file (``environments/hashiru.toml``).

    Two budgets are accounted exactly: memory (replenishable: ``reserved + free = capacity``) and
    money (not replenishable: ``spent + remaining = budget``). Nothing is ever negative.

    ## Action Space

    ``Discrete(1 + C + 2S)`` for ``C`` catalog entries and ``S`` slots (16 in ``hashiru``):
    ``0`` answer the current part itself; ``1..C`` hire catalog entry ``c``; then fire slot ``j``
    (``S`` actions); then assign the current part to slot ``j`` (``S`` actions).
    ``env.unwrapped.world.action_names`` spells them out. An action that is not possible right
    now (no free slot, not enough memory or money, an empty slot, a slot that already worked on this
    task) is rejected: the world does not change (only the step clock advances) and ``info["reason"]``
    says why. ``info["action_mask"]`` and :meth:`action_masks` (the form sb3-contrib's MaskablePPO
    expects) mark exactly the actions that would be accepted; "answer itself" is always allowed.

    ## Observation Space

    ``Box(float32)`` (names in ``env.unwrapped.feature_names``):

    * the task: type one-hot, ``difficulty``, prompt and answer size, ``value``, and the dollar cost
      of a call of each catalog entry on it (``cost[w]``, in units of ``spend_ceiling / tasks``);
    * its progress: ``parts_done``, ``part_successes``; the stream's ``progress``;
    * both budgets: ``money_left`` (remaining / spend ceiling), ``money_share`` (remaining / this
      episode's budget), ``money_per_task`` (remaining per task left, same unit as ``cost``),
      ``budget`` (this episode's expense budget / spend ceiling), ``memory_free`` (share of the
      capacity), ``memory/100`` (the capacity), ``slots_free``;
    * the team and the feedback: ``hired[w]`` (share of the slots held by catalog entry ``w``),
      ``est[w,type]`` (running success estimate ``(successes + 1) / (trials + 2)``),
      ``tried[w,type]`` (``trials / (trials + 4)``), the same two for the current task type
      (``est_now``, ``tried_now``), and per slot a one-hot of its worker and whether it already
      worked on the current task.

    ## Rewards

    Selected by ``reward=`` (default: the scenario's, ``plain`` in ``hashiru``):

    * ``plain``: the value of each task when it is solved, minus ``money_weight`` per dollar spent
      (hiring fees and calls), when it is spent;
    * ``hbpo``: HBPO's budget-aware reward with dollars in place of tokens, ``beta * Q *
      cos(pi * b / (2 L))`` for ``Q`` the share of the stream's value solved, ``b`` this episode's
      expense budget, ``L`` the spend ceiling (paid as it grows); see :func:`hbkit.sim.team.team_reward`;
    * ``cosine``: ``beta * Q * cos(pi * n / (2 L))`` for ``n`` dollars spent.

    ``world.reject_penalty`` is subtracted for each rejected action (0 in ``hashiru``).

    ## Starting State

    An empty team, all memory free, nothing spent, the first task of a new stream. The expense
    budget is ``reset(options={"budget": dollars})`` (``None``: the scenario's); the stream is drawn
    from the env's generator, or ``options={"problem_seed": k}`` picks stream ``k`` (the same ``k``
    is always the same tasks, hidden skills and luck). Any other option key, a budget out of range or
    not a number, or a seed that is not an integer in ``0..2**63 - 1`` is an
    :class:`~hbkit.errors.OptionError` naming the option, the value and what is allowed; a refused
    reset leaves the env exactly as it was (every option is checked before anything changes).
    ``info["hidden_success"]`` holds the true success probabilities of the current task (hidden
    skills included): it exists for the clairvoyant bound, and no fair manager reads it.

    ## Episode End

    Terminated when the stream is done or when the money is exhausted (less than
    ``world.min_balance`` left; ``info["exhausted"]``); truncated after ``world.max_steps`` actions.

    ## Arguments

    :param scenario: a scenario name in ``environments/`` (``"hashiru"``), a path to a TOML file,
        or a loaded :class:`hbkit.scenarios.Scenario`
    :param reward: ``"plain"``, ``"hbpo"`` or ``"cosine"`` (default: the scenario's)
    :param budgets: replaces the scenario's list of HBPO subgroup budgets (dollars)
    :param expense_budget: replaces the scenario's default expense budget (dollars)
    :param memory: replaces the memory capacity (units; 100 = 16 GB)
    :param render_mode: ``"ansi"`` renders a short text state
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}
    #: scenario fields a manager built on one world may see changed (the observation carries the
    #: memory and the expense budget; the subgroup budgets and the reward are not read by managers):
    #: :func:`hbkit.evaluate.evaluate` refuses a hand-written manager on a world differing elsewhere
    portable_fields: tuple[str, ...] = (
        "world.memory",
        "world.expense_budget",
        "world.budgets",
        "world.reward",
    )
    summarize_episodes = staticmethod(summarize_episodes)

    def __init__(
        self,
        scenario: str | Scenario = "hashiru",
        reward: str | None = None,
        budgets: Sequence[float] | None = None,
        expense_budget: float | None = None,
        memory: int | None = None,
        render_mode: str | None = None,
    ):
        self.world = _world(scenario, reward, budgets, expense_budget, memory)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise OptionError(f"render_mode {render_mode!r} is not supported; allowed: None or 'ansi'")
        self.render_mode = render_mode
        w = self.world
        self.action_space = spaces.Discrete(w.num_actions)
        self.observation_space = spaces.Box(w.obs_low, w.obs_high, dtype=np.float32)
        self.feature_names = w.feature_names
        self._batch = TeamBatch(w, 1)
        self._started = False
        self._last = (True, 0, -1)  # accepted, reason code, outcome

    @property
    def sim(self) -> TeamBatch:
        """The simulation state under this env (:class:`hbkit.sim.team.TeamBatch`), for figures and
        tests to read; writing to it bypasses the env's checks."""
        return self._batch

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    def action_masks(self) -> np.ndarray:
        """The actions that would be accepted now (bool, one per action), for MaskablePPO."""
        return self._batch.mask[0].copy()

    def __copy__(self) -> TeamEnv:
        """A copy is an independent env in the same state (a deep copy): sharing the episode's
        arrays between two envs would let each step the other's episode."""
        return copy.deepcopy(self)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        w = self.world
        # every option is checked before anything changes: a refused reset leaves the env as it was
        options = check_options(options, RESET_OPTIONS, "TeamEnv.reset")
        budget = _budget_request(options.get("budget"), 1, w)
        seeds = _seed_request(options.get("problem_seed"), 1)
        super().reset(seed=check_reset_seed(seed, f"{type(self).__name__}.reset"))
        streams = w.sample_streams(self.np_random, 1) if seeds is None else w.streams_from_seeds(seeds)
        self._batch.reset(slice(None), streams, budget)
        self._started = True
        self._last = (True, 0, -1)
        return self._batch.observe_one(), self._info()

    def step(self, action):
        if not self._started:
            raise StateError("TeamEnv.step: call reset() before step()")
        b = self._batch
        if b.episode_done():
            raise StateError("TeamEnv.step: the episode has ended; call reset() to start a new one")
        n = self.world.num_actions
        if type(action) is int and 0 <= action < n:
            a = action
        elif (
            isinstance(action, (int, np.integer))
            and not isinstance(action, (bool, np.bool_))
            and 0 <= action < n
        ):
            a = int(action)
        else:
            what = f"action (0..{n - 1}: see env.unwrapped.world.action_names)"
            a = int(check_actions(np.asarray(action).reshape(-1), n, what, shape=(1,))[0])
        # a batch of one steps in plain Python: the same rules as TeamBatch.step (see step_one)
        reward, terminated, truncated, outcome, code = b.step_one(a)
        self._last = (code == 0, code, outcome)
        return b.observe_one(), reward, terminated, truncated, self._info(a)

    def _info(self, action: int | None = None) -> dict[str, Any]:
        b, w = self._batch, self.world
        one = b.episode()  # the episode in Python numbers
        accepted, code, outcome = self._last
        reason = REASONS[code]
        if code and action is not None:
            reason = f"{w.action_name(action)}: {reason}"
        t = min(one.task, w.num_tasks - 1)
        if one.sbt_arr is None:  # the counters' arrays are rebuilt only when they change
            one.sbt_arr = np.array(one.sbt)
        if one.spbt_arr is None:
            one.spbt_arr = np.array(one.spbt) / PICO
        if one.tbt_arr is None:
            one.tbt_arr = np.array(one.tbt)
        return team_info(
            one,
            capacity=b.capacity,
            mask=one.mask,
            accepted=accepted,
            reason=reason,
            outcome=outcome,
            task_type=one.ttype[t],
            solved_by_type=one.sbt_arr,
            tasks_by_type=one.tbt_arr,
            spent_by_type=one.spbt_arr,
            hidden_success=b.prob[0, t].copy(),
            type_names=w.type_names,
        )

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        b, w = self._batch, self.world
        team = ", ".join(w.worker_names[c] if c >= 0 else "-" for c in b.slot[0])
        t = min(int(b.task[0]), w.num_tasks - 1)
        return (
            f"task {int(b.task[0]) + 1}/{w.num_tasks} ({w.type_names[int(b.ttype[0, t])]}, part "
            f"{int(b.part[0]) + 1}) | team [{team}] | memory {int(b.reserved[0])}/{b.capacity} | "
            f"money ${int(b.spent[0]) / PICO:.4f} spent, ${int(b.remaining[0]) / PICO:.4f} left | "
            f"solved {int(b.solved[0])}"
        )


class TeamVectorEnv(VectorEnv):
    """``num_envs`` Team episodes stepped in one NumPy call (see :class:`TeamEnv`).

    Reset options (all optional):

    * ``"budget"``: ``None`` (the scenario's expense budget), one budget for all envs, or one entry
      per env (``None`` entries: the scenario's). The request is kept for later autoresets.
    * ``"problem_seed"``: one integer per env; envs with the same seed face the same stream.
    * ``"reset_mask"``: with ``autoreset_mode=AutoresetMode.DISABLED``, which envs to reset.

    ``infos`` holds arrays (one row per env, with Gymnasium's ``_key`` masks): ``action_mask``
    ``(num_envs, n_actions)``, ``accepted``, ``reason`` (text), ``outcome``, ``task``, ``budget``,
    ``spent``, ``remaining`` (dollars), ``memory_used``, ``memory_free``, ``peak_memory``, ``hires``,
    ``fires``, ``rejected``, ``solved``, ``tasks_done``, ``exhausted``, ``truncated``,
    ``solved_by_type``, ``tasks_by_type``, ``spent_by_type``, ``hidden_success`` (the true success
    probability of every catalog entry and the manager on the current task, ``(num_envs, C + 1)``:
    hidden, for the clairvoyant bound only) and ``type_names``.

    :param num_envs: number of parallel episodes
    :param autoreset_mode: ``NEXT_STEP`` (default, like Gymnasium's CartPoleVectorEnv) or
        ``DISABLED`` (finished envs stay frozen until reset; what the trainer and evaluation use)
    :param scenario, reward, budgets, expense_budget, memory: as for :class:`TeamEnv`
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}
    #: the reset options it takes (``hbkit.evaluate.evaluate_budgets`` looks for ``problem_seed``)
    reset_options: tuple[str, ...] = VECTOR_RESET_OPTIONS
    summarize_episodes = staticmethod(summarize_episodes)

    def __init__(
        self,
        num_envs: int = 1,
        scenario: str | Scenario = "hashiru",
        reward: str | None = None,
        budgets: Sequence[float] | None = None,
        expense_budget: float | None = None,
        memory: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ):
        self.num_envs, self.metadata = vector_settings(
            num_envs, autoreset_mode, self.metadata, render_mode, type(self).__name__
        )
        self.world = w = _world(scenario, reward, budgets, expense_budget, memory)
        self.feature_names = w.feature_names
        self.render_mode = render_mode
        self.single_action_space = spaces.Discrete(w.num_actions)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = spaces.Box(w.obs_low, w.obs_high, dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._batch = TeamBatch(w, self.num_envs)
        self._budget = _budget_request(None, self.num_envs, w)
        self._prev_done = np.zeros(self.num_envs, bool)
        self._accepted = np.ones(self.num_envs, bool)
        self._code = np.zeros(self.num_envs, np.int64)
        self._outcome = np.full(self.num_envs, -1, np.int64)
        self._started = False

    @property
    def sim(self) -> TeamBatch:
        """The simulation state under this env (:class:`hbkit.sim.team.TeamBatch`), for figures and
        tests to read; writing to it bypasses the env's checks."""
        return self._batch

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    # -- what the HBPO trainer and MaskablePPO use -------------------------------------------
    def action_masks(self) -> np.ndarray:
        """The actions each env would accept now, ``(num_envs, n_actions)``."""
        return self._batch.mask.copy()

    def reference_reward(self, budget, name: str | None = None) -> np.ndarray:
        """``f2(b)``: the return of a stream solved completely while spending exactly ``b``."""
        return self.world.reference_reward(budget, name)

    def training_metrics(self, infos: dict[str, Any], budgets: np.ndarray) -> dict[str, float]:
        """Success rate, dollars spent, exhaustion rate and dollars spent per budget of a batch."""
        solved = np.asarray(infos["solved_by_type"]).sum(axis=1)
        tasks = np.asarray(infos["tasks_by_type"]).sum(axis=1)
        spent = np.asarray(infos["spent"], np.float64)
        out = {
            "success_rate": float(solved.sum() / max(tasks.sum(), 1)),
            "expense_spent": float(spent.mean()),
            "exhausted_rate": float(np.mean(infos["exhausted"])),
        }
        budgets = np.asarray(budgets, np.float64)
        for b in np.unique(budgets):
            label = f"{b:g}" if b else "default"
            out[f"spent@{label}"] = float(spent[budgets == b].mean())
        return out

    # -- Gymnasium API -------------------------------------------------------------------------
    def _start(self, mask: np.ndarray, problem_seed: np.ndarray | None = None) -> None:
        w = self.world
        n = int(mask.sum())
        if n == 0:
            return
        if problem_seed is not None:
            streams = w.streams_from_seeds(problem_seed[mask])
        else:
            streams = w.sample_streams(self.np_random, n)
        self._batch.reset(mask, streams, self._budget[mask])

    def __copy__(self) -> TeamVectorEnv:
        """A copy is an independent env in the same state (see :meth:`TeamEnv.__copy__`)."""
        return copy.deepcopy(self)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        # every option is checked before anything changes: a refused reset leaves the env as it was
        options = check_options(options, VECTOR_RESET_OPTIONS, "TeamVectorEnv.reset")
        mask = np.ones(self.num_envs, bool)
        if "reset_mask" in options:
            mask = _mask_request(options["reset_mask"], self.num_envs)
            check_first_reset_mask(mask, self._started, "TeamVectorEnv.reset")
        budget = self._budget.copy()
        if "budget" in options:
            budget[mask] = _budget_request(options["budget"], self.num_envs, self.world)[mask]
        seeds = _seed_request(options.get("problem_seed"), self.num_envs)
        super().reset(seed=check_reset_seed(seed, f"{type(self).__name__}.reset"))
        self._budget = budget
        self._start(mask, seeds)
        self._prev_done[mask] = False
        self._accepted[mask] = True
        self._code[mask] = 0
        self._outcome[mask] = -1
        self._started = True
        return self._batch.observe(), self._infos()

    def step(self, actions):
        if not self._started:
            raise StateError("TeamVectorEnv.step: call reset() before step()")
        w, b = self.world, self._batch
        a = check_actions(actions, w.num_actions, f"actions (0..{w.num_actions - 1})", shape=(self.num_envs,))
        mode = self.metadata["autoreset_mode"]
        restart = np.zeros(self.num_envs, bool)
        if mode == AutoresetMode.NEXT_STEP and self._prev_done.any():
            restart = self._prev_done.copy()
            self._start(restart)
            b.done[restart] = True  # restarted envs only show their first observation this step
        code = b.reason.ravel().take(b.rows * w.num_actions + a).astype(np.int64)
        live = ~b.done
        reward, terminated, truncated, outcome = b.step(a)
        self._accepted = np.where(live, code == 0, True)
        self._code = np.where(live, code, 0)
        self._outcome = outcome
        if restart.any():
            b.done[restart] = False
            b.refresh_mask(np.flatnonzero(restart))
        ended = terminated | truncated
        self._prev_done = ended
        return b.observe(), reward.astype(np.float64), terminated, truncated, self._infos()

    def _infos(self) -> dict[str, Any]:
        b, w = self._batch, self.world
        n = self.num_envs
        infos = team_info(
            b,
            capacity=b.capacity,
            mask=b.mask,
            accepted=self._accepted.copy(),
            reason=_REASON_TEXT[self._code],
            outcome=self._outcome.copy(),
            task_type=b.current_type(),
            solved_by_type=b.solved_by_type,
            tasks_by_type=b.tasks_by_type,
            spent_by_type=b.spent_by_type / PICO,
            hidden_success=b.hidden_success(),
            type_names=np.broadcast_to(np.array(w.type_names), (n, w.num_types)),
            fresh=np.copy,
        )
        ones = np.ones(n, bool)
        for k in list(infos):
            infos["_" + k] = ones
        return infos
