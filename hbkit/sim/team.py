"""The Team world (HASHIRU): a manager hires, fires and invokes workers under two budgets.

This module is the only home of the world's math and rules. It is plain, batched NumPy: one
:class:`TeamWorld` holds the constants of a scenario and one :class:`TeamBatch` holds the state of
any number of episodes ("task streams"). :class:`hbkit.envs.team.TeamEnv` (a batch of one) and
:class:`hbkit.envs.team.TeamVectorEnv` (a batch of thousands) are thin layers over it; the managers,
the HBPO trainer and the figures use the helpers defined here.

A batch of one is stepped in plain Python by :meth:`TeamBatch.step_one` (with
:meth:`TeamBatch.observe_one`): NumPy's cost per call dominates on rows of a handful of numbers, so
the single Env runs the same rules as :meth:`TeamBatch.step`, :meth:`TeamBatch._update_mask` and
:meth:`TeamBatch.observe` on Python ints and floats, with the same operations in the same order.
Observations, rewards, ends, masks and the accounting are bit for bit those of the batched methods
(``tests/test_team.py::test_single_env_steps_exactly_like_the_batched_sim``); a change of the rules
must be made in both places.

The world
---------
After HASHIRU (arXiv 2506.04255): a *manager* (the paper's CEO) works through a stream of tasks.
A task has a type (e.g. math, reasoning, review), a difficulty ``d`` in [0, 1], a prompt and an answer
size in tokens, a value, and a number of *parts*: a review is a panel of three opinions of which two
must be good (``parts = 3``, ``quorum = 2``); the task is decided as soon as the quorum is reached or
can no longer be reached. Each step the manager takes one action:

* **answer itself**: the manager does the current part on its own: free, but weak;
* **hire** catalog entry ``c`` into a free slot. A *local* worker reserves ``memory`` units
  (16 GB = 100 units) while hired; a *cloud* worker costs a one-off ``hire_fee`` in dollars;
* **fire** slot ``j``: a local worker gives its memory back (fees are not refunded);
* **assign** the current part to slot ``j`` (each slot works at most once on a task). A local worker
  needs ``run_memory`` units of headroom on top of what is reserved while it runs, and costs no
  money. A cloud worker costs ``(prompt * price_in + answer * verbosity * price_out) / 1e6`` dollars,
  prices being dollars per million input/output tokens.

Worker ``c`` solves a part of a task of type ``k`` and difficulty ``d`` with probability::

    p = sigmoid(logit(skill[c, k]) + dev[c, k] - slope[k] * (1 - robust[c]) * (d - 0.5))

``skill`` is the catalog's published skill (what a leaderboard would say); ``dev`` is a hidden,
per-stream deviation (normal with std ``world.skill_noise``): the manager can only learn it from the
outcomes it sees. Every outcome is observed, and the observation carries the running success
estimates of every catalog entry on every task type: the feedback.

Two budgets, accounted exactly (integers: memory units and pico-dollars, ``1e-12`` dollars):

* the **resource** budget (memory) replenishes: ``reserved + free = capacity`` in every state;
  running a local worker briefly uses ``run_memory`` more (``peak_memory`` records the highest use);
* the **expense** budget (money) does not: ``spent + remaining = budget`` in every state.

An action that is not possible (no free slot, not enough memory or money, an empty slot, a slot
that already worked on this task) is *rejected*: nothing in the world changes (only the step clock
advances), and the env's ``info`` says why. The action mask marks exactly the actions that would be
accepted. The episode ends when the stream is done, or when the money is *exhausted* (less than
``world.min_balance`` remains), or is truncated after ``world.max_steps`` actions.

The stream of an episode (tasks, hidden deviations and the uniform draws that decide outcomes) is a
function of one integer *problem seed*, so a group of rollouts can face the same stream with the
same luck: the only difference between them is what the managers did.

Rewards
-------
See :func:`team_reward`: ``plain`` (value of solved tasks minus ``money_weight`` per dollar),
``hbpo`` (HBPO's budget-aware reward with dollars in place of tokens) and ``cosine``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from operator import itemgetter
from dataclasses import dataclass
from typing import Any

import numpy as np

from hbkit.scenarios import (Flag, ListOf, Number, Schema, ScenarioError, Table, TableList, Text,
                             hbpo_train_fields)

__all__ = [
    "REWARDS",
    "SCHEMA",
    "PICO",
    "SELF",
    "HIRE",
    "FIRE",
    "ASSIGN",
    "REASONS",
    "TeamWorld",
    "Streams",
    "TeamBatch",
    "team_reward",
]

#: Reward functions by name (see :func:`team_reward`).
REWARDS = ("plain", "hbpo", "cosine")

#: Money is counted in integer pico-dollars (1e-12 dollars), so accounting is exact.
PICO = 10**12

#: Action kinds.
SELF, HIRE, FIRE, ASSIGN = 0, 1, 2, 3

#: Why an action was rejected, by code (0 = accepted).
REASONS = {
    0: "",
    1: "no free slot to hire into",
    2: "not enough free memory to hire this local worker",
    3: "not enough money left for the hiring fee",
    4: "the slot is empty",
    5: "this slot already worked on the current task",
    6: "not enough free memory to run this local worker",
    7: "not enough money left for this call",
    8: "the episode has ended",
}

_MAX_TYPES = 8
_PICO_F = float(PICO)
_MAX_WORKERS = 16


# ------------------------------------------------------------------------------------------------
# Scenario schema
# ------------------------------------------------------------------------------------------------
def _world_check(data: dict[str, Any], fail: Callable[..., ScenarioError]) -> None:
    w, types, workers, ceo = data["world"], data["task_types"], data["workers"], data["ceo"]
    ntypes = len(types)
    names = [t["name"] for t in types]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise fail(f"task_types[{i}].name", f"{name!r} appears twice", "unique task type names")
    total = sum(t["share"] for t in types)
    if abs(total - 1.0) > 1e-6:
        raise fail("task_types.share", f"the shares sum to {total:g}", "shares that sum to 1")
    for i, t in enumerate(types):
        if t["quorum"] > t["parts"]:
            raise fail(f"task_types[{i}].quorum", f"{t['quorum']} is more than parts={t['parts']}",
                       f"1 <= quorum <= parts ({t['parts']})")
    wnames = [x["name"] for x in workers]
    for i, x in enumerate(workers):
        where = f"workers[{i}]"
        if x["name"] in wnames[:i]:
            raise fail(f"{where}.name", f"{x['name']!r} appears twice", "unique worker names")
        if len(x["skill"]) != ntypes:
            raise fail(f"{where}.skill", f"has {len(x['skill'])} items",
                       f"one success probability per task type ({ntypes}: {', '.join(names)})")
        if x["kind"] == "local":
            for key in ("price_in", "price_out", "hire_fee"):
                if x[key] != 0:
                    raise fail(f"{where}.{key}", f"a local worker costs no money, got {x[key]!r}",
                               "0 for a local worker")
            if x["memory"] < 1:
                raise fail(f"{where}.memory", "a local worker must reserve memory", "an integer >= 1")
        else:
            for key in ("memory", "run_memory"):
                if x[key] != 0:
                    raise fail(f"{where}.{key}", f"a cloud worker uses no local memory, got {x[key]!r}",
                               "0 for a cloud worker")
    if len(ceo["skill"]) != ntypes:
        raise fail("ceo.skill", f"has {len(ceo['skill'])} items",
                   f"one success probability per task type ({ntypes}: {', '.join(names)})")
    L = w["spend_ceiling"]
    if w["expense_budget"] > L:
        raise fail("world.expense_budget", f"{w['expense_budget']} is above spend_ceiling={L}",
                   f"min_balance < expense_budget <= spend_ceiling ({L})")
    if w["expense_budget"] <= w["min_balance"]:
        raise fail("world.expense_budget", f"{w['expense_budget']} is not above min_balance="
                   f"{w['min_balance']}", f"min_balance < expense_budget <= spend_ceiling ({L})")
    for i, b in enumerate(w["budgets"]):
        if not w["min_balance"] < b <= L:
            raise fail(f"world.budgets[{i}]", f"{b} is out of range",
                       f"min_balance ({w['min_balance']}) < budget <= spend_ceiling ({L})")
    most_parts = max(t["parts"] for t in types)
    if w["max_steps"] < w["tasks"] * most_parts:
        raise fail("world.max_steps", f"{w['max_steps']} steps cannot finish {w['tasks']} tasks",
                   f"at least tasks * the largest parts ({w['tasks'] * most_parts})")


_PROB = Number(0.001, 0.999)

SCHEMA = Schema(
    sections={
        "world": Table(
            {
                "tasks": Number(1, 10_000, integer=True, help="tasks per stream (episode)"),
                "slots": Number(1, 16, integer=True, help="most workers hired at once"),
                "memory": Number(1, 100_000, integer=True, help="memory units (16 GB = 100)"),
                "expense_budget": Number(0.0, 1e6, open_low=True, help="dollars per stream"),
                "budgets": ListOf(Number(0.0, 1e6, open_low=True), max_len=16, increasing=True,
                                  help="expense budgets of the HBPO subgroups (dollars)"),
                "spend_ceiling": Number(0.0, 1e6, open_low=True,
                                        help="L: the largest budget of interest (dollars)"),
                "min_balance": Number(0.0, 1e6, default=0.0005,
                                      help="below this many dollars the money is exhausted"),
                "max_steps": Number(1, 1_000_000, integer=True, help="actions per stream"),
                "reward": Text(REWARDS, default="plain"),
                "money_weight": Number(0.0, 1e6, default=5.0, help="plain: reward units per dollar"),
                "beta": Number(0.0, 100.0, open_low=True, default=4.0, help="hbpo/cosine scale"),
                "reject_penalty": Number(0.0, 100.0, default=0.0, help="reward lost per rejection"),
                "skill_noise": Number(0.0, 5.0, help="std of the hidden skill deviation (logits)"),
                "feedback_prior": Number(0.0, 1e4, open_low=True, default=4.0,
                                         help="pseudo-trials the published skill counts for"),
                "token_spread": Number(0.0, 3.0, help="std of log(tokens) around the medians"),
            }
        ),
        "ceo": Table(
            {
                "skill": ListOf(_PROB, max_len=_MAX_TYPES, help="answering itself, per task type"),
                "robust": Number(0.0, 1.0, default=0.0),
            }
        ),
        "task_types": TableList(
            {
                "name": Text(),
                "share": Number(0.0, 1.0),
                "value": Number(0.0, 1000.0, open_low=True),
                "parts": Number(1, 8, integer=True, default=1),
                "quorum": Number(1, 8, integer=True, default=1),
                "prompt_tokens": Number(1, 10_000_000, integer=True),
                "answer_tokens": Number(1, 10_000_000, integer=True),
                "difficulty_slope": Number(0.0, 20.0, default=2.0),
            },
            max_len=_MAX_TYPES,
        ),
        "workers": TableList(
            {
                "name": Text(),
                "kind": Text(("local", "cloud")),
                "after": Text(default="", help="the real model it stands for"),
                "memory": Number(0, 100_000, integer=True, default=0),
                "run_memory": Number(0, 100_000, integer=True, default=0),
                "price_in": Number(0.0, 1000.0, default=0.0, help="dollars per million input tokens"),
                "price_out": Number(0.0, 1000.0, default=0.0, help="dollars per million output tokens"),
                "hire_fee": Number(0.0, 1000.0, default=0.0, help="dollars per hire"),
                "verbosity": Number(0.05, 50.0, default=1.0, help="answer tokens / task answer size"),
                "skill": ListOf(_PROB, max_len=_MAX_TYPES),
                "robust": Number(0.0, 1.0, default=0.0, help="share of the difficulty it shrugs off"),
            },
            max_len=_MAX_WORKERS,
        ),
        "train": Table(
            {"reward": Text(REWARDS, default="hbpo", help="reward HBPO trains with"),
             **hbpo_train_fields(hidden=64)}
        ),
        "sb3": Table(
            {
                "total_timesteps": Number(1, 10**9, integer=True, default=100_000),
                "n_envs": Number(1, 4096, integer=True, default=16),
                "n_steps": Number(1, 100_000, integer=True, default=128),
                "batch_size": Number(1, 100_000, integer=True, default=256),
                "n_epochs": Number(1, 100, integer=True, default=4),
                "learning_rate": Number(0.0, 1.0, open_low=True, default=0.0003),
                "gamma": Number(0.0, 1.0, default=0.99),
                "ent_coef": Number(0.0, 1.0, default=0.01),
                "hidden": Number(1, 1024, integer=True, default=64),
                "normalize_reward": Flag(default=False),
            },
            default={},
        ),
    },
    check=_world_check,
)


# ------------------------------------------------------------------------------------------------
# Rewards
# ------------------------------------------------------------------------------------------------
def team_reward(
    name: str,
    solved_share: np.ndarray,
    spent: np.ndarray,
    budget: np.ndarray,
    *,
    spend_ceiling: float,
    beta: float,
    solved_value: np.ndarray | None = None,
    money_weight: float = 0.0,
) -> np.ndarray:
    """The return of a (partial) stream under the named reward, batched. Dollars throughout.

    With ``Q`` the share of the stream's value solved so far, ``n`` the dollars spent, ``b`` the
    episode's expense budget and ``L = spend_ceiling``:

    * ``plain``: ``solved_value - money_weight * n``: what the tasks were worth minus what they cost.
    * ``hbpo``: HBPO's budget-aware reward (arXiv 2507.15844) with dollars in place of tokens and
      ``Q`` in place of correctness: ``beta * Q * cos(pi * b / (2L))`` while ``n <= b``. The paper's
      over-budget branch ``beta * Q * cos(pi * n / (2L)) - alpha * |n - b|`` never applies here:
      the expense budget is hard, an overspending action is rejected. Within its budget a manager
      is paid for what it solves; tighter budgets earn more per solved task.
    * ``cosine``: ``beta * Q * cos(pi * n / (2L))``: a pure spending penalty.

    Each step's reward is the increase of this return, so rewards sum to it.
    """
    q = np.asarray(solved_share, np.float64)
    n = np.asarray(spent, np.float64)
    if name == "plain":
        if solved_value is None:
            raise ValueError("the plain reward needs solved_value")
        return np.asarray(solved_value, np.float64) - money_weight * n
    scale = math.pi / (2.0 * spend_ceiling)
    if name == "hbpo":
        return beta * q * np.cos(scale * np.asarray(budget, np.float64))
    if name == "cosine":
        return beta * q * np.cos(scale * n)
    raise ValueError(f"unknown reward {name!r}; allowed: {', '.join(REWARDS)}")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, np.float64)
    return np.log(p) - np.log1p(-p)


# ------------------------------------------------------------------------------------------------
# Streams
# ------------------------------------------------------------------------------------------------
@dataclass
class Streams:
    """A batch of task streams, everything about them that is random.

    Shapes: ``n`` streams, ``N`` tasks, ``P`` the most parts of a task type, ``C`` catalog entries.

    :param ttype: task type index ``(n, N)``
    :param difficulty: ``(n, N)`` in [0, 1]
    :param prompt: prompt tokens ``(n, N)``
    :param answer: answer tokens of a verbosity-1 worker ``(n, N)``
    :param dev: hidden skill deviation in logits ``(n, C, T)``
    :param u: uniform draws that decide outcomes ``(n, N, P, C + 1)`` (last column: the manager)
    """

    ttype: np.ndarray
    difficulty: np.ndarray
    prompt: np.ndarray
    answer: np.ndarray
    dev: np.ndarray
    u: np.ndarray

    def __len__(self) -> int:
        return len(self.ttype)


# ------------------------------------------------------------------------------------------------
# The world's constants
# ------------------------------------------------------------------------------------------------
class TeamWorld:
    """The constants of one Team scenario, and the batched functions over them.

    :param scenario: a validated :class:`hbkit.scenarios.Scenario` for ``hbkit/Team-v0``

    Action layout (``n_actions = 1 + C + 2 S``): ``0`` answer itself; ``1 .. C`` hire catalog entry
    ``c``; ``1 + C .. C + S`` fire slot ``j``; ``1 + C + S .. C + 2 S`` assign the current part to
    slot ``j``. :meth:`action_name` spells them out.
    """

    def __init__(self, scenario: Any):
        w, ceo = scenario["world"], scenario["ceo"]
        types, workers = scenario["task_types"], scenario["workers"]
        self.scenario = scenario
        self.reward_name: str = w["reward"]
        self.num_tasks = int(w["tasks"])
        self.num_slots = S = int(w["slots"])
        self.memory = int(w["memory"])
        self.expense_budget = float(w["expense_budget"])
        self.budgets = tuple(float(b) for b in w["budgets"])
        self.spend_ceiling = float(w["spend_ceiling"])
        self.min_balance = float(w["min_balance"])
        self.max_steps = int(w["max_steps"])
        self.money_weight = float(w["money_weight"])
        self.beta = float(w["beta"])
        self.reject_penalty = float(w["reject_penalty"])
        self.skill_noise = float(w["skill_noise"])
        self.feedback_prior = float(w["feedback_prior"])
        self.token_spread = float(w["token_spread"])

        # task types
        self.type_names = tuple(t["name"] for t in types)
        self.num_types = T = len(types)
        self.share = np.array([t["share"] for t in types])
        self.value = np.array([t["value"] for t in types])
        self.parts = np.array([t["parts"] for t in types], np.int64)
        self.quorum = np.array([t["quorum"] for t in types], np.int64)
        self.prompt_median = np.array([t["prompt_tokens"] for t in types], np.float64)
        self.answer_median = np.array([t["answer_tokens"] for t in types], np.float64)
        self.slope = np.array([t["difficulty_slope"] for t in types])
        self.max_parts = P = int(self.parts.max())
        self._cum_share = np.cumsum(self.share)
        self._cum_share[-1] = 1.0

        # the catalog, with the manager itself as an extra last entry where useful
        self.worker_names = tuple(x["name"] for x in workers)
        self.worker_after = tuple(x["after"] for x in workers)
        self.num_workers = C = len(workers)
        self.is_local = np.array([x["kind"] == "local" for x in workers])
        self.worker_memory = np.array([x["memory"] for x in workers], np.int64)
        self.run_memory = np.array([x["run_memory"] for x in workers], np.int64)
        self.price_in = np.array([x["price_in"] for x in workers])
        self.price_out = np.array([x["price_out"] for x in workers])
        self.hire_fee = np.array([x["hire_fee"] for x in workers])
        self.verbosity = np.array([x["verbosity"] for x in workers])
        self.skill = np.array([x["skill"] for x in workers])  # (C, T) published
        self.robust = np.array([x["robust"] for x in workers])
        self.ceo_skill = np.array(ceo["skill"], np.float64)
        self.ceo_robust = float(ceo["robust"])
        # integer prices: pico-dollars per token and per hire
        self.price_in_p = np.rint(self.price_in * 1e6).astype(np.int64)
        self.price_out_p = np.rint(self.price_out * 1e6).astype(np.int64)
        self.hire_fee_p = np.rint(self.hire_fee * PICO).astype(np.int64)
        self.min_balance_p = int(round(self.min_balance * PICO))
        # "extended" tables: index C stands for the manager answering itself / an empty slot
        self.memory_x = np.append(self.worker_memory, 0)
        self.is_local_x = np.append(self.is_local, False).astype(np.float32)
        self.run_memory_x = np.append(self.run_memory, 0)
        self.skill_logit = _logit(self.skill)
        self.ceo_logit = _logit(self.ceo_skill)

        # actions
        self.num_actions = A = 1 + C + 2 * S
        kind = np.empty(A, np.int64)
        arg = np.zeros(A, np.int64)
        kind[0] = SELF
        kind[1:1 + C], arg[1:1 + C] = HIRE, np.arange(C)
        kind[1 + C:1 + C + S], arg[1 + C:1 + C + S] = FIRE, np.arange(S)
        kind[1 + C + S:], arg[1 + C + S:] = ASSIGN, np.arange(S)
        self.action_kind, self.action_arg = kind, arg
        self.hire_action = 1 + np.arange(C)
        self.fire_action = 1 + C + np.arange(S)
        self.assign_action = 1 + C + S + np.arange(S)

        self._build_features()
        # the same constants as Python numbers, for TeamBatch.step_one()
        self._kind_l, self._arg_l = kind.tolist(), arg.tolist()
        self._memory_l, self._fee_l = self.worker_memory.tolist(), self.hire_fee_p.tolist()
        self._memory_x_l, self._run_memory_x_l = self.memory_x.tolist(), self.run_memory_x.tolist()
        self._max_fee_p = int(self.hire_fee_p.max())
        self._is_local_x_l = self.is_local_x.tolist()
        self._quorum_l, self._parts_l = self.quorum.tolist(), self.parts.tolist()
        self._value_l = self.value.tolist()
        self._skill_l, self._skill_logit_l = self.skill.tolist(), self.skill_logit.tolist()
        self._max_parts_f = float(self.max_parts)
        self._L_p = self.spend_ceiling * PICO
        self._cost_unit_p = self.cost_unit * PICO
        self._money_per_task_hi = float(self.obs_high[self.f_money_per_task])
        self._memory_hi = float(self.obs_high[self.f_memory])
        self._task_row_bytes = 4 * self.task_block.stop
        self._make_packers()

    def _make_packers(self) -> None:
        """Blocks of the observation as float32 bytes (C's (float) cast, as NumPy's astype), for
        TeamBatch.observe_one(). Not pickled (struct.Struct is not): rebuilt on unpickling."""

        def pack(start: int, stop: int) -> Callable[..., bytes]:
            return struct.Struct(f"{stop - start}f").pack

        assert self.task_block.start == 0 and self.f_slot_p.stop == self.obs_dim
        self._pack_scalars = pack(self.f_parts_done, self.f_slots_free + 1)
        self._pack_hired = pack(self.f_hired.start, self.f_hired.stop)
        self._pack_fb = pack(self.f_est.start, self.f_tried.stop)
        self._pack_now = pack(self.f_est_now.start, self.f_p_now.stop)
        self._pack_onehot = pack(self.f_slots.start, self.f_slots.stop)
        self._pack_tail = pack(self.f_used.start, self.f_slot_p.stop)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_pack_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._make_packers()

    # -- names -----------------------------------------------------------------------------
    def action_name(self, action: int) -> str:
        """A readable name of an action index, e.g. ``"hire mid"`` or ``"assign slot 2"``."""
        a = int(action)
        if not 0 <= a < self.num_actions:
            raise ValueError(f"action {a} is out of range; allowed: integers 0..{self.num_actions - 1}")
        k, j = int(self.action_kind[a]), int(self.action_arg[a])
        return ("answer itself" if k == SELF else f"hire {self.worker_names[j]}" if k == HIRE
                else f"fire slot {j}" if k == FIRE else f"assign slot {j}")

    @property
    def action_names(self) -> tuple[str, ...]:
        return tuple(self.action_name(a) for a in range(self.num_actions))

    # -- observation layout ----------------------------------------------------------------
    def _build_features(self) -> None:
        T, C, S = self.num_types, self.num_workers, self.num_slots
        names: list[str] = []
        hi: list[float] = []

        def add(block: list[str], high: float = 1.0) -> slice:
            start = len(names)
            names.extend(block)
            hi.extend([high] * len(block))
            return slice(start, len(names))

        self.f_task = add([f"type={t}" for t in self.type_names])
        self.f_difficulty = add(["difficulty"]).start
        self.f_prompt = add(["prompt_tokens/1e4"], 100.0).start
        self.f_answer = add(["answer_tokens/1e3"], 1000.0).start
        self.f_value = add(["value"]).start
        self.f_cost = add([f"cost[{w}]" for w in self.worker_names], 1000.0)
        self.f_skill_now = add([f"skill_now[{w}]" for w in self.worker_names] + ["skill_now[self]"])
        self.task_block = slice(self.f_task.start, self.f_skill_now.stop)
        self.f_parts_done = add(["parts_done"]).start
        self.f_part_ok = add(["part_successes"]).start
        self.f_progress = add(["progress"]).start
        self.f_money_left = add(["money_left"]).start
        self.f_money_share = add(["money_share"]).start
        self.f_money_per_task = add(["money_per_task"], 1e6).start
        self.f_budget = add(["budget"]).start
        self.f_memory_free = add(["memory_free"]).start
        self.f_memory = add(["memory/100"], 1000.0).start
        self.f_slots_free = add(["slots_free"]).start
        self.f_hired = add([f"hired[{w}]" for w in self.worker_names])
        self.f_est = add([f"est[{w},{t}]" for w in self.worker_names for t in self.type_names])
        self.f_tried = add([f"tried[{w},{t}]" for w in self.worker_names for t in self.type_names])
        self.f_est_now = add([f"est_now[{w}]" for w in self.worker_names])
        self.f_tried_now = add([f"tried_now[{w}]" for w in self.worker_names])
        self.f_p_now = add([f"p_now[{w}]" for w in self.worker_names])
        self.f_slots = add([f"slot{j}={w}" for j in range(S) for w in self.worker_names])
        self.f_used = add([f"slot{j}_used" for j in range(S)])
        # the same facts again, lined up with the "assign slot j" actions
        self.f_slot_local = add([f"slot{j}_local" for j in range(S)])
        self.f_slot_cost = add([f"slot{j}_cost" for j in range(S)], 1000.0)
        self.f_slot_skill = add([f"slot{j}_skill_now" for j in range(S)])
        self.f_slot_est = add([f"slot{j}_est_now" for j in range(S)])
        self.f_slot_tried = add([f"slot{j}_tried_now" for j in range(S)])
        self.f_slot_p = add([f"slot{j}_p_now" for j in range(S)])
        self.feature_names = tuple(names)
        self.obs_dim = len(names)
        self.obs_low = np.zeros(self.obs_dim, np.float32)
        self.obs_high = np.asarray(hi, np.float32)
        #: cost features are call costs in units of a per-task allowance of the spend ceiling
        self.cost_unit = self.spend_ceiling / self.num_tasks
        # one-hot rows of slot contents; row C (empty slot) is all zeros
        self._slot_onehot = np.vstack([np.eye(C), np.zeros((1, C))]).astype(np.float32)
        self._tried_k = 4.0

    # -- streams -----------------------------------------------------------------------------
    def sample_streams(self, rng: np.random.Generator, n: int) -> Streams:
        """Draw ``n`` task streams with ``rng``."""
        N, P, C, T = self.num_tasks, self.max_parts, self.num_workers, self.num_types
        ttype = np.searchsorted(self._cum_share, rng.random((n, N)), side="right").clip(0, T - 1)
        difficulty = rng.random((n, N))
        z = rng.standard_normal((2, n, N))
        prompt = np.maximum(1, np.rint(self.prompt_median[ttype] * np.exp(self.token_spread * z[0])))
        answer = np.maximum(1, np.rint(self.answer_median[ttype] * np.exp(self.token_spread * z[1])))
        dev = self.skill_noise * rng.standard_normal((n, C, T))
        u = rng.random((n, N, P, C + 1))
        return Streams(ttype.astype(np.int64), difficulty, prompt.astype(np.int64),
                       answer.astype(np.int64), dev, u)

    def streams_from_seeds(self, seeds: Any) -> Streams:
        """The stream each integer seed stands for: the same seed always gives the same tasks,
        hidden deviations and luck, so a group of rollouts can face one stream."""
        seeds = np.asarray(seeds, dtype=np.int64).ravel()
        uniq, inverse = np.unique(seeds, return_inverse=True)
        parts = [self.sample_streams(np.random.default_rng([int(s), 0x7EA4]), 1) for s in uniq]
        return Streams(**{f: np.concatenate([getattr(p, f) for p in parts])[inverse]
                          for f in Streams.__dataclass_fields__})

    # -- the model -----------------------------------------------------------------------------
    def success_prob(self, streams: Streams) -> np.ndarray:
        """Probability that each worker (and, last, the manager) solves a part of each task:
        shape ``(n, N, C + 1)``."""
        logit = self.published_logit(streams.ttype, streams.difficulty)  # (n, N, C + 1)
        dev = np.take_along_axis(streams.dev, streams.ttype[:, None, :], axis=2)  # (n, C, N)
        logit[..., :-1] += dev.transpose(0, 2, 1)
        return 1.0 / (1.0 + np.exp(-logit))

    def call_cost_p(self, streams: Streams) -> np.ndarray:
        """Integer pico-dollars of a call of every worker on every task ``(n, N, C)`` (0 for local
        workers): ``prompt * price_in + round(answer * verbosity) * price_out`` per token."""
        out_tokens = np.rint(streams.answer[..., None] * self.verbosity).astype(np.int64)
        return streams.prompt[..., None] * self.price_in_p + out_tokens * self.price_out_p

    def task_features(self, streams: Streams, cost_p: np.ndarray) -> np.ndarray:
        """The task part of the observation for every task of every stream, plus an all-zero row
        for "stream done": shape ``(n, N + 1, task_block width)``."""
        n, N = streams.ttype.shape
        out = np.zeros((n, N + 1, self.task_block.stop - self.task_block.start), np.float32)
        rows = np.arange(n)[:, None]
        out[rows, np.arange(N), streams.ttype] = 1.0
        o = self.task_block.start
        hi = self.obs_high
        out[:, :N, self.f_difficulty - o] = streams.difficulty
        out[:, :N, self.f_prompt - o] = np.minimum(streams.prompt / 1e4, hi[self.f_prompt])
        out[:, :N, self.f_answer - o] = np.minimum(streams.answer / 1e3, hi[self.f_answer])
        out[:, :N, self.f_value - o] = self.value[streams.ttype] / self.value.max()
        cost = cost_p / (self.cost_unit * PICO)
        out[:, :N, self.f_cost.start - o:self.f_cost.stop - o] = np.minimum(cost, hi[self.f_cost])
        published = 1.0 / (1.0 + np.exp(-self.published_logit(streams.ttype, streams.difficulty)))
        out[:, :N, self.f_skill_now.start - o:self.f_skill_now.stop - o] = published
        return out

    def published_logit(self, ttype: np.ndarray, difficulty: np.ndarray) -> np.ndarray:
        """Success logits of every worker (and, last, the manager) on tasks of the given types and
        difficulties, from the *published* skills (no hidden deviation): shape ``(..., C + 1)``.
        This is what a manager may know before it sees any outcome."""
        tt = np.asarray(ttype, np.int64)
        d = np.asarray(difficulty, np.float64) - 0.5
        slope = self.slope[tt] * d
        logit_w = self.skill_logit.T[tt] - slope[..., None] * (1.0 - self.robust)
        logit_m = self.ceo_logit[tt] - slope * (1.0 - self.ceo_robust)
        return np.concatenate([logit_w, logit_m[..., None]], axis=-1)

    def expected_logit(self, ttype: np.ndarray, difficulty: np.ndarray, successes: np.ndarray,
                       trials: np.ndarray) -> np.ndarray:
        """What a manager can expect from each worker on the current task, from what it may see:
        the published skill, shifted by the outcomes seen so far. Per worker and type the success
        rate is estimated as ``(successes + m * skill) / (trials + m)`` (``m`` =
        ``world.feedback_prior`` pseudo-trials at the published skill); its logit's shift from the
        published one is added to the task's published logit. Shape ``(n, C + 1)`` (last: the
        manager itself, for which there is no feedback).

        :param ttype: current task type ``(n,)``; ``difficulty``: ``(n,)``
        :param successes, trials: ``(n, C, T)`` counts
        """
        tt = np.asarray(ttype, np.int64)
        logit = self.published_logit(tt, difficulty)
        rows = np.arange(len(tt))
        succ = np.asarray(successes, np.float64)[rows, :, tt]
        tri = np.asarray(trials, np.float64)[rows, :, tt]
        prior = self.skill.T[tt]
        m = self.feedback_prior
        logit[:, :-1] += _logit((succ + m * prior) / (tri + m)) - self.skill_logit.T[tt]
        return logit

    # -- reading an observation ------------------------------------------------------------
    def decode(self, obs: Any) -> dict[str, np.ndarray]:
        """Turn (a batch of) observations back into named quantities, for hand-written managers
        and figures. Everything here is visible to the manager; nothing hidden is recovered.

        :return: ``type`` (index), ``difficulty``, ``value``, ``cost`` (dollars of a call of each
            catalog entry on the current task, ``(n, C)``), ``parts_done``, ``part_successes``,
            ``task`` (index in the stream), ``tasks_left``, ``remaining`` and ``budget`` (dollars),
            ``memory_free`` and ``capacity`` (units), ``slot`` (catalog index per slot, -1 empty),
            ``used`` (per slot), ``successes`` and ``trials`` (``(n, C, T)``)
        """
        o = np.asarray(obs, np.float64)
        if o.ndim == 1:
            o = o[None]
        if o.shape[-1] != self.obs_dim:
            raise ValueError(f"observation has {o.shape[-1]} features; this world has {self.obs_dim}")
        n, C, S, T = len(o), self.num_workers, self.num_slots, self.num_types
        L = self.spend_ceiling
        ttype = o[:, self.f_task].argmax(axis=1)
        onehot = o[:, self.f_slots].reshape(n, S, C)
        slot = np.where(onehot.max(axis=2) > 0.5, onehot.argmax(axis=2), -1)
        tried = o[:, self.f_tried].reshape(n, C, T)
        trials = np.rint(self._tried_k * tried / np.maximum(1.0 - tried, 1e-9))
        est = o[:, self.f_est].reshape(n, C, T)
        successes = np.rint(est * (trials + 2.0) - 1.0)
        capacity = np.rint(o[:, self.f_memory] * 100.0)
        task = np.rint(o[:, self.f_progress] * self.num_tasks).astype(np.int64)
        return {
            "type": ttype,
            "difficulty": o[:, self.f_difficulty],
            "value": o[:, self.f_value] * self.value.max(),
            "cost": o[:, self.f_cost] * self.cost_unit,
            "parts_done": np.rint(o[:, self.f_parts_done] * self.max_parts).astype(np.int64),
            "part_successes": np.rint(o[:, self.f_part_ok] * self.max_parts).astype(np.int64),
            "task": task,
            "tasks_left": np.maximum(self.num_tasks - task, 1),
            "remaining": o[:, self.f_money_left] * L,
            "budget": o[:, self.f_budget] * L,
            "memory_free": np.rint(o[:, self.f_memory_free] * capacity),
            "capacity": capacity,
            "slot": slot,
            "used": o[:, self.f_used] > 0.5,
            "successes": successes,
            "trials": trials,
        }

    # -- rewards ---------------------------------------------------------------------------
    def reward(self, solved_share, spent, budget, solved_value=None, name: str | None = None):
        """:func:`team_reward` with this scenario's constants (``name`` defaults to its reward)."""
        return team_reward(name or self.reward_name, solved_share, spent, budget,
                           spend_ceiling=self.spend_ceiling, beta=self.beta,
                           solved_value=solved_value, money_weight=self.money_weight)

    def expected_stream_value(self) -> float:
        """Expected total value of a stream (tasks times the mean task value)."""
        return float(self.num_tasks * (self.share * self.value).sum())

    def reference_reward(self, budget: Any, name: str | None = None) -> np.ndarray:
        """``f2(b)``: the return of a stream solved completely while spending exactly ``b``
        dollars (for ``plain``, with the expected stream value)."""
        b = np.asarray(budget, np.float64)
        ones = np.ones(b.shape)
        return self.reward(ones, b, b, self.expected_stream_value() * ones, name)

    def budget_p(self, budget: Any) -> int:
        """Check an expense budget in dollars and return it in pico-dollars.

        :raises ValueError: unless ``min_balance < budget <= spend_ceiling``
        """
        if isinstance(budget, (bool, np.bool_)) or not isinstance(budget, (int, float, np.number)):
            raise ValueError(f"expense budget {budget!r} is not a number; allowed: dollars with "
                             f"{self.min_balance} < budget <= {self.spend_ceiling}, or None")
        b = float(budget)
        if not (math.isfinite(b) and self.min_balance < b <= self.spend_ceiling):
            raise ValueError(f"expense budget {budget!r} is out of range; allowed: dollars with "
                             f"{self.min_balance} < budget <= {self.spend_ceiling} "
                             "(world.min_balance and world.spend_ceiling), or None for the "
                             f"scenario's {self.expense_budget}")
        return int(round(b * PICO))


# ------------------------------------------------------------------------------------------------
# The state of many episodes
# ------------------------------------------------------------------------------------------------
class TeamBatch:
    """State of ``num`` Team episodes, stepped together.

    All randomness of an episode is in its :class:`Streams` (drawn at reset); stepping is exact
    integer bookkeeping plus table look-ups. Arrays (one row per episode), among others:

    * team: ``slot`` (catalog index per slot, ``-1`` empty), ``used`` (slot worked on this task);
    * memory: ``reserved`` (units held by hired local workers), ``free`` = ``capacity - reserved``,
      ``peak_memory``;
    * money (pico-dollars): ``budget``, ``spent``, ``remaining`` (``spent + remaining == budget``);
    * progress: ``task``, ``part``, ``part_ok``, ``steps``, ``done``, ``exhausted``, ``truncated``;
    * feedback: ``successes``, ``trials`` per catalog entry and task type;
    * counters: ``hires``, ``fires``, ``rejected``, ``solved_by_type``, ``tasks_by_type``,
      ``spent_by_type``, ``solved_value``.

    :param world: the scenario's :class:`TeamWorld`
    :param num: number of episodes
    :param memory: memory capacity in units (default: the world's)
    """

    def __init__(self, world: TeamWorld, num: int, memory: int | None = None):
        w = world
        self.world, self.num = w, int(num)
        n, N, P, C, T, S = self.num, w.num_tasks, w.max_parts, w.num_workers, w.num_types, w.num_slots
        self.capacity = int(w.memory if memory is None else memory)
        self.rows = np.arange(n)
        i64 = np.int64
        self.slot = np.full((n, S), -1, i64)
        self.used = np.zeros((n, S), bool)
        self.reserved = np.zeros(n, i64)
        self.peak_memory = np.zeros(n, i64)
        self.budget = np.zeros(n, i64)
        self.spent = np.zeros(n, i64)
        self.remaining = np.zeros(n, i64)
        self.task = np.zeros(n, i64)
        self.part = np.zeros(n, i64)
        self.part_ok = np.zeros(n, i64)
        self.steps = np.zeros(n, i64)
        self.done = np.ones(n, bool)
        self.exhausted = np.zeros(n, bool)
        self.truncated = np.zeros(n, bool)
        self.successes = np.zeros((n, C, T), i64)
        self.trials = np.zeros((n, C, T), i64)
        self.hires = np.zeros(n, i64)
        self.fires = np.zeros(n, i64)
        self.rejected = np.zeros(n, i64)
        self.solved = np.zeros(n, i64)
        self.solved_by_type = np.zeros((n, T), i64)
        self.tasks_by_type = np.zeros((n, T), i64)
        self.spent_by_type = np.zeros((n, T), i64)
        self.solved_value = np.zeros(n)
        self.stream_value = np.ones(n)
        self.last_return = np.zeros(n)
        # per-stream tables, filled at reset; task row N means "stream done"
        self.ttype = np.zeros((n, N + 1), i64)
        self.cost = np.zeros((n, N + 1, C + 1), i64)  # column C: the manager (free)
        self.ok = np.zeros((n, N + 1, P, C + 1), bool)  # column C: the manager
        self.prob = np.zeros((n, N, C + 1))
        self.task_obs = np.zeros((n, N + 1, w.task_block.stop - w.task_block.start), np.float32)
        self._reason = np.zeros((n, w.num_actions), np.int8)
        self._mask = np.zeros((n, w.num_actions), bool)
        self._mask_stale = False  # step_one() has newer ones (written on first read)
        self._mask_cache: dict[bytes, np.ndarray] = {}  # step_one(): mask of each reason vector
        # step_one() and observe_one(): what depends on the team only (see _team), by team,
        # and the hire reasons by free memory while money does not limit hiring
        self._team_cache: dict[tuple[int, ...], tuple[Any, bytes, bytes, list[int]]] = {}
        self._hire_cache: dict[int, list[int]] = {}
        # a batch of one: the plain-Python copy of the episode that step_one() works on (built
        # from the arrays on first use; None whenever the arrays changed behind its back)
        self._one: dict[str, Any] | None = None

    # -- derived ----------------------------------------------------------------------------
    @property
    def reason(self) -> np.ndarray:
        """Why each action would be rejected now, ``(num, n_actions)`` int8 (0: accepted; see
        :data:`REASONS`)."""
        if self._mask_stale:
            self._sync_mask()
        return self._reason

    @property
    def mask(self) -> np.ndarray:
        """The actions that would be accepted now, ``(num, n_actions)`` bool."""
        if self._mask_stale:
            self._sync_mask()
        return self._mask

    @property
    def free(self) -> np.ndarray:
        """Free memory units (``capacity - reserved``)."""
        return self.capacity - self.reserved

    def current_type(self) -> np.ndarray:
        """Task type of the current task (of the last task once the stream is done)."""
        return self.ttype[self.rows, np.minimum(self.task, self.world.num_tasks - 1)]

    # -- reset -------------------------------------------------------------------------------
    def reset(self, idx: Any, streams: Streams, budget_p: np.ndarray) -> None:
        """Start new episodes at positions ``idx`` (a bool mask, indices or a slice) with the given
        streams and expense budgets (pico-dollars)."""
        w = self.world
        idx = self.rows[idx]
        N = w.num_tasks
        self.slot[idx] = -1
        self.used[idx] = False
        self.reserved[idx] = 0
        self.peak_memory[idx] = 0
        self.budget[idx] = budget_p
        self.spent[idx] = 0
        self.remaining[idx] = budget_p
        for arr in (self.task, self.part, self.part_ok, self.steps, self.hires, self.fires,
                    self.rejected, self.solved, self.successes, self.trials, self.solved_by_type,
                    self.spent_by_type):
            arr[idx] = 0
        self.done[idx] = False
        self.exhausted[idx] = False
        self.truncated[idx] = False
        self.solved_value[idx] = 0.0
        self.last_return[idx] = 0.0
        tt = streams.ttype
        self.ttype[idx, :N] = tt
        self.ttype[idx, N] = tt[:, -1]
        self.tasks_by_type[idx] = (tt[:, :, None] == np.arange(w.num_types)).sum(axis=1)
        self.stream_value[idx] = w.value[tt].sum(axis=1)
        cost = w.call_cost_p(streams)
        self.cost[idx, :N, :w.num_workers] = cost
        self.cost[idx, N] = 0
        p = w.success_prob(streams)
        self.prob[idx] = p
        self.ok[idx, :N] = streams.u < p[:, :, None, :]
        self.ok[idx, N] = False
        self.task_obs[idx] = w.task_features(streams, cost)
        if self.num == 1:  # the plain-Python copy computes the mask (see step_one)
            self._mask_stale = False
            self._load_one()
        else:
            self._update_mask(idx)

    # -- the rules -----------------------------------------------------------------------------
    def _update_mask(self, idx: np.ndarray | None = None) -> None:
        """Recompute why each action would be rejected (``reason``, 0 = accepted) and the mask."""
        w = self.world
        C, S = w.num_workers, w.num_slots
        r = self.rows if idx is None else idx
        self._mask_stale = False  # recomputed here, for every row of a batch of one
        self._one = None  # the arrays are the truth again
        slot = self.slot[r]
        free = self.capacity - self.reserved[r]
        remaining = self.remaining[r]
        reason = np.zeros((len(r), w.num_actions), np.int8)
        # hire c
        full = (slot >= 0).all(axis=1)
        hire = np.where(w.hire_fee_p > remaining[:, None], 3, 0)
        hire = np.where(w.worker_memory > free[:, None], 2, hire)
        hire[full] = 1
        reason[:, 1:1 + C] = hire
        # fire j
        empty = slot < 0
        reason[:, 1 + C:1 + C + S] = np.where(empty, 4, 0)
        # assign j
        c = np.where(empty, C, slot)
        t = self.task[r]
        cost = self.cost[r[:, None], t[:, None], c]
        assign = np.where(cost > remaining[:, None], 7, 0)
        assign = np.where(w.run_memory_x[c] > free[:, None], 6, assign)
        assign = np.where(self.used[r], 5, assign)
        assign[empty] = 4
        reason[:, 1 + C + S:] = assign
        done = self.done[r]
        if done.any():
            reason[done] = 8
            reason[done, 0] = 0  # "answer itself" stays allowed so that masks are never empty
        self.reason[r] = reason
        self.mask[r] = reason == 0

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Advance every episode that is not done by one action (validated int64, shape ``(num,)``).

        Episodes that are already done do not change. A rejected action changes nothing but the
        step clock (``steps``) and the ``rejected`` counter.

        :return: ``(reward, terminated, truncated, outcome)``; ``outcome`` is ``1``/``0`` when a
            part was solved/failed this step, ``-1`` otherwise
        """
        w = self.world
        n, C = self.num, w.num_workers
        rows = self.rows
        live = ~self.done
        accepted = live & self.mask[rows, actions]
        rejected = live & ~accepted
        kind = w.action_kind[actions]
        arg = w.action_arg[actions]
        outcome = np.full(n, -1, np.int64)
        decided_value = np.zeros(n)
        step_cost = np.zeros(n, np.int64)  # pico-dollars spent on this step

        hire = accepted & (kind == HIRE)
        if hire.any():
            i = np.flatnonzero(hire)
            c = arg[i]
            j = np.argmax(self.slot[i] < 0, axis=1)
            self.slot[i, j] = c
            self.reserved[i] += w.worker_memory[c]
            fee = w.hire_fee_p[c]
            self.spent[i] += fee
            self.remaining[i] -= fee
            self.spent_by_type[i, self.ttype[i, self.task[i]]] += fee
            step_cost[i] = fee
            self.hires[i] += 1

        fire = accepted & (kind == FIRE)
        if fire.any():
            i = np.flatnonzero(fire)
            j = arg[i]
            self.reserved[i] -= w.memory_x[self.slot[i, j]]
            self.slot[i, j] = -1
            self.used[i, j] = False
            self.fires[i] += 1

        work = accepted & ((kind == SELF) | (kind == ASSIGN))
        ended_task = np.zeros(n, bool)
        if work.any():
            i = np.flatnonzero(work)
            t, p = self.task[i], self.part[i]
            ty = self.ttype[i, t]
            is_assign = kind[i] == ASSIGN
            j = arg[i]
            c = np.where(is_assign, self.slot[i, j], C)
            ok = self.ok[i, t, p, c]
            cost = self.cost[i, t, c]
            self.spent[i] += cost
            self.remaining[i] -= cost
            self.spent_by_type[i, ty] += cost
            step_cost[i] = cost
            self.peak_memory[i] = np.maximum(self.peak_memory[i], self.reserved[i] + w.run_memory_x[c])
            a = np.flatnonzero(is_assign)
            if len(a):
                ia, ca, ta = i[a], c[a], ty[a]
                self.used[ia, j[a]] = True
                self.trials[ia, ca, ta] += 1
                self.successes[ia, ca, ta] += ok[a]
            outcome[i] = ok
            self.part[i] = p + 1
            pok = self.part_ok[i] + ok
            self.part_ok[i] = pok
            q = w.quorum[ty]
            decided = (pok >= q) | (w.parts[ty] - (p + 1) < q - pok)
            if decided.any():
                d = i[decided]
                success = pok[decided] >= q[decided]
                tyd = ty[decided]
                decided_value[d] = w.value[tyd] * success
                self.solved_value[d] += decided_value[d]
                self.solved[d] += success
                self.solved_by_type[d, tyd] += success
                self.task[d] += 1
                self.part[d] = 0
                self.part_ok[d] = 0
                self.used[d] = False
                ended_task[d] = True

        self.rejected += rejected
        self.steps += live
        stream_done = live & (self.task >= w.num_tasks)
        broke = live & ~stream_done & (self.remaining < w.min_balance_p)
        self.exhausted |= broke
        terminated = stream_done | broke
        truncated = live & ~terminated & (self.steps >= w.max_steps)
        self.truncated |= truncated
        self.done |= terminated | truncated

        # rewards: the increase of the episode's return
        if w.reward_name == "plain":
            reward = decided_value - w.money_weight * (step_cost / PICO)
        else:
            ret = w.reward(self.solved_value / self.stream_value, self.spent / PICO,
                           self.budget / PICO)
            reward = np.where(live, ret - self.last_return, 0.0)
            self.last_return = np.where(live, ret, self.last_return)
        if w.reject_penalty:
            reward = reward - w.reject_penalty * rejected
        self._update_mask()
        return reward, terminated, truncated, outcome

    # -- a batch of one, in plain Python --------------------------------------------------------
    # NumPy's cost per call dominates on rows of a few numbers, so a single Env (a batch of one)
    # steps through step_one(): the same rules as step(), _update_mask() and observe(), written for
    # Python ints and floats, on a copy of the episode that _load_one() takes from the arrays. Every
    # state array is written through as step() would leave it (``reason`` and ``mask`` on first
    # read), so the arrays stay the truth and step(), observe() and the env's info read the same
    # state; step() and reset() drop the copy. Floats are computed with the same operations in the
    # same order (int64 -> float64 before dividing, NumPy for exp/log, float32 by C's cast), so the
    # observations and rewards are bit for bit those of the batched methods
    # (tests/test_team.py::test_single_env_steps_exactly_like_the_batched_sim).
    def _load_one(self) -> dict[str, Any]:
        """Build the plain-Python copy of episode 0 that :meth:`step_one` works on."""
        w = self.world
        N, C, T = w.num_tasks, w.num_workers, w.num_types
        tb = w.task_block.start
        task_obs = self.task_obs[0]
        tt_ext = self.ttype[0].copy()
        tt_ext[N] = tt_ext[N - 1]  # current_type() of a finished stream: the last task's
        pub = w.published_logit(tt_ext, task_obs[:, w.f_difficulty - tb])[:, :C]
        succ = self.successes[0].tolist()
        tri = self.trials[0].tolist()
        one: dict[str, Any] = {
            "ttype": self.ttype[0].tolist(),
            # flat tables (few objects to build): row t of width K is [t * K:(t + 1) * K]
            "cost": self.cost[0].ravel().tolist(),  # K = C + 1
            "ok": self.ok[0].tobytes(),  # 0 or 1 at [(task * P + part) * (C + 1) + c]
            "cost_now": task_obs[:, w.f_cost.start - tb:w.f_cost.stop - tb].ravel().tolist(),  # K = C
            "skill_now": task_obs[:, w.f_skill_now.start - tb:w.f_skill_now.stop - tb - 1].ravel().tolist(),
            "pub": pub.ravel().tolist(),  # K = C
            "slot": self.slot[0].tolist(),
            "used": self.used[0].tolist(),
            "succ": succ,
            "tri": tri,
            # the observation's blocks, kept up to date by step_one(); flat like the features
            "task_rows": task_obs.tobytes(),  # float32, row after row
            "est": [(s + 1.0) / (n + 2.0) for sr, nr in zip(succ, tri) for s, n in zip(sr, nr)],
            "tried": [n / (n + w._tried_k) for nr in tri for n in nr],
            "shift": None,
            "sbt": self.solved_by_type[0].tolist(),
            "spbt": self.spent_by_type[0].tolist(),
            # for the env's info: arrays of the counters, rebuilt when None
            "sbt_a": None, "spbt_a": None, "tbt_a": self.tasks_by_type[0].copy(),
        }
        for k in ("reserved", "peak_memory", "budget", "spent", "remaining", "task", "part",
                  "part_ok", "steps", "hires", "fires", "rejected", "solved"):
            one[k] = int(getattr(self, k)[0])
        for k in ("done", "exhausted", "truncated"):
            one[k] = bool(getattr(self, k)[0])
        for k in ("solved_value", "stream_value", "last_return"):
            one[k] = float(getattr(self, k)[0])
        m = w.feedback_prior
        q = (np.array(succ, np.float64) + m * w.skill) / (np.array(tri, np.float64) + m)
        one["shift"] = (_logit(q) - w.skill_logit).T.tolist()  # [type][worker]
        one["team"] = self._team(one["slot"])
        self._mask_one(one)
        one["dirty"] = 7  # what observe_one() must redo: 1 task, 2 feedback, 4 team
        self._one = one
        return one

    def _shift_one(self, one: dict[str, Any], c: int, k: int) -> None:
        """expected_logit()'s feedback shift of worker ``c`` on type ``k``, from the counts."""
        w = self.world
        m = w.feedback_prior
        q = (one["succ"][c][k] + m * w._skill_l[c][k]) / (one["tri"][c][k] + m)
        # _logit(q) - skill_logit[c, k], with NumPy's log and log1p as there
        one["shift"][k][c] = (float(np.log(q)) - float(np.log1p(-q))) - w._skill_logit_l[c][k]

    def step_one(self, action: int) -> tuple[float, bool, bool, int, int]:
        """:meth:`step` for a batch of one episode, in plain Python (see the comment above).

        :param action: a valid action index
        :return: ``(reward, terminated, truncated, outcome, reason code of the action)``
        """
        one = self._one
        if one is None:
            one = self._load_one()
        w = self.world
        if one["done"]:
            return 0.0, False, False, -1, one["reason"][action]
        code = one["reason"][action]
        kind = w._kind_l[action]
        outcome, decided_value, step_cost = -1, 0.0, 0
        dirty = 0
        task = one["task"]
        if code == 0:
            if kind == HIRE:
                c = w._arg_l[action]
                slot = one["slot"]
                j = slot.index(-1)
                slot[j] = c
                self.slot[0, j] = c
                one["reserved"] = self.reserved[0] = one["reserved"] + w._memory_l[c]
                fee = w._fee_l[c]
                step_cost = fee
                if fee:
                    one["spent"] = self.spent[0] = one["spent"] + fee
                    one["remaining"] = self.remaining[0] = one["remaining"] - fee
                    ty = one["ttype"][task]
                    one["spbt"][ty] += fee
                    one["spbt_a"] = None
                    self.spent_by_type[0, ty] = one["spbt"][ty]
                one["hires"] = self.hires[0] = one["hires"] + 1
                one["team"] = self._team(slot)
                dirty = 4
            elif kind == FIRE:
                j = w._arg_l[action]
                slot = one["slot"]
                c = slot[j]
                one["reserved"] = self.reserved[0] = one["reserved"] - w._memory_x_l[c]
                slot[j] = -1
                self.slot[0, j] = -1
                one["used"][j] = False
                self.used[0, j] = False
                one["fires"] = self.fires[0] = one["fires"] + 1
                one["team"] = self._team(slot)
                dirty = 4
            else:  # SELF or ASSIGN: work on the current part
                C = w.num_workers
                p = one["part"]
                ty = one["ttype"][task]
                if kind == ASSIGN:
                    j = w._arg_l[action]
                    c = one["slot"][j]
                else:
                    c = C
                ok = one["ok"][(task * w.max_parts + p) * (C + 1) + c]
                cost = one["cost"][task * (C + 1) + c]
                step_cost = cost
                if cost:
                    one["spent"] = self.spent[0] = one["spent"] + cost
                    one["remaining"] = self.remaining[0] = one["remaining"] - cost
                    one["spbt"][ty] += cost
                    one["spbt_a"] = None
                    self.spent_by_type[0, ty] = one["spbt"][ty]
                peak = one["reserved"] + w._run_memory_x_l[c]
                if peak > one["peak_memory"]:
                    one["peak_memory"] = self.peak_memory[0] = peak
                if kind == ASSIGN:
                    one["used"][j] = True
                    self.used[0, j] = True
                    n = one["tri"][c][ty] = one["tri"][c][ty] + 1
                    s = one["succ"][c][ty] = one["succ"][c][ty] + ok
                    self.trials[0, c, ty] = n
                    self.successes[0, c, ty] = s
                    one["est"][c * w.num_types + ty] = (s + 1.0) / (n + 2.0)
                    one["tried"][c * w.num_types + ty] = n / (n + w._tried_k)
                    self._shift_one(one, c, ty)
                    dirty = 2
                outcome = int(ok)
                pok = one["part_ok"] + ok
                q = w._quorum_l[ty]
                if pok >= q or w._parts_l[ty] - (p + 1) < q - pok:  # the task is decided
                    success = pok >= q
                    decided_value = w._value_l[ty] * success
                    one["solved_value"] = one["solved_value"] + decided_value
                    self.solved_value[0] = one["solved_value"]
                    if success:
                        one["solved"] = self.solved[0] = one["solved"] + 1
                        one["sbt"][ty] += 1
                        one["sbt_a"] = None
                        self.solved_by_type[0, ty] = one["sbt"][ty]
                    task += 1
                    one["task"] = self.task[0] = task
                    one["part"] = self.part[0] = 0
                    one["part_ok"] = self.part_ok[0] = 0
                    one["used"] = [False] * w.num_slots
                    self.used[0] = False
                    dirty |= 1
                else:
                    one["part"] = self.part[0] = p + 1
                    one["part_ok"] = self.part_ok[0] = pok
        else:
            one["rejected"] = self.rejected[0] = one["rejected"] + 1
        steps = one["steps"] = self.steps[0] = one["steps"] + 1
        stream_done = task >= w.num_tasks
        broke = not stream_done and one["remaining"] < w.min_balance_p
        terminated = stream_done or broke
        truncated = not terminated and steps >= w.max_steps
        if broke:
            one["exhausted"] = self.exhausted[0] = True
        if truncated:
            one["truncated"] = self.truncated[0] = True
        if terminated or truncated:
            one["done"] = self.done[0] = True

        # rewards: the increase of the episode's return
        if w.reward_name == "plain":
            reward = decided_value - w.money_weight * (float(step_cost) / _PICO_F)
        else:
            ret = float(w.reward(np.array([one["solved_value"] / one["stream_value"]]),
                                 np.array([float(one["spent"]) / _PICO_F]),
                                 np.array([float(one["budget"]) / _PICO_F]))[0])
            reward = ret - one["last_return"]
            one["last_return"] = self.last_return[0] = ret
        if w.reject_penalty:
            reward = reward - w.reject_penalty * (1.0 if code else 0.0)
        one["dirty"] |= dirty
        self._mask_one(one)
        return reward, terminated, truncated, outcome, code

    def _mask_one(self, one: dict[str, Any]) -> None:
        """:meth:`_update_mask` for a batch of one."""
        w = self.world
        if one["done"]:
            reason = [8] * w.num_actions
            reason[0] = 0
        else:
            free = self.capacity - one["reserved"]
            remaining = one["remaining"]
            slot, used = one["slot"], one["used"]
            fire = one["team"][3]  # 1 for every hire if the team is full, then the fire reasons
            if fire[0]:
                reason = [0, *fire]
            elif remaining >= w._max_fee_p:  # only memory can stop a hire
                hire = self._hire_cache.get(free)
                if hire is None:
                    hire = self._hire_cache[free] = [2 if m > free else 0 for m in w._memory_l]
                reason = [0, *hire, *fire[w.num_workers:]]
            else:
                reason = [0, *[2 if m > free else 3 if f > remaining else 0
                               for m, f in zip(w._memory_l, w._fee_l)], *fire[w.num_workers:]]
            t = one["task"] * (w.num_workers + 1)
            cost, run = one["cost"], w._run_memory_x_l
            reason += [4 if c < 0 else 5 if u else 6 if run[c] > free else 7 if cost[t + c] > remaining
                       else 0 for c, u in zip(slot, used)]
        one["reason"] = reason
        one["mask"] = self._mask_of(reason)
        self._mask_stale = True

    def _mask_of(self, reason: list[int]) -> np.ndarray:
        """The mask of a reason vector (shared, read-only: copy before handing it out)."""
        key = bytes(reason)
        mask = self._mask_cache.get(key)
        if mask is None:
            if len(self._mask_cache) > 4096:
                self._mask_cache.clear()
            mask = self._mask_cache[key] = np.array([r == 0 for r in reason])
            mask.flags.writeable = False
        return mask

    def _sync_mask(self) -> None:
        """Write :meth:`step_one`'s reasons and mask into the arrays."""
        self._mask_stale = False
        one = self._one
        self._reason[0] = one["reason"]
        self._mask[0] = one["mask"]

    def _team(self, slot: list[int]) -> tuple[Any, bytes, bytes, list[int]]:
        """What depends on the team (the slots' catalog entries) only, cached: for
        :meth:`observe_one` the picker of the slot features from the per-entry columns and the
        packed ``hired`` and one-hot slot blocks; for :meth:`_mask_one` the reasons of the hire
        actions if the team is full (else zeros) and of the fire actions."""
        key = tuple(slot)
        team = self._team_cache.get(key)
        if team is None:
            w = self.world
            C, S = w.num_workers, w.num_slots
            hired, onehot = [0] * C, [0.0] * (S * C)
            for j, c in enumerate(slot):
                if c >= 0:
                    hired[c] += 1
                    onehot[j * C + c] = 1.0
            pick = itemgetter(*[k * (C + 1) + (c if c >= 0 else C) for k in range(6) for c in slot])
            full = -1 not in slot
            reasons = [1 if full else 0] * C + [4 if c < 0 else 0 for c in slot]
            team = self._team_cache[key] = (pick, w._pack_hired(*[k / S for k in hired]),
                                            w._pack_onehot(*onehot), reasons)
        return team

    def observe_one(self) -> np.ndarray:
        """:meth:`observe` of a batch of one: a new float32 array of shape ``(obs_dim,)``."""
        one = self._one
        if one is None:
            one = self._load_one()
        w = self.world
        N, C, S, T = w.num_tasks, w.num_workers, w.num_slots, w.num_types
        task = one["task"]
        slot = one["slot"]
        dirty = one["dirty"]
        # blocks that change only now and then are kept packed (float32 bytes, in feature order)
        if dirty & 3:  # a new task or new feedback
            ty = one["ttype"][min(task, N - 1)]
            # expected_logit(), then p = 1 / (1 + exp(-logit)): NumPy's exp, the rest in floats
            pub = one["pub"][task * C:(task + 1) * C]
            e = np.exp(np.array([-(a + b) for a, b in zip(pub, one["shift"][ty])])).tolist()
            p_now = [1.0 / (1.0 + v) for v in e]
            est_now, tried_now = one["est"][ty::T], one["tried"][ty::T]
            one["now_b"] = w._pack_now(*est_now, *tried_now, *p_now)
            # per catalog entry (and, last, an empty slot): what the slot features pick from
            row = slice(task * C, (task + 1) * C)
            one["cols"] = [*w._is_local_x_l, *one["cost_now"][row], 0.0, *one["skill_now"][row], 0.0,
                           *est_now, 0.0, *tried_now, 0.0, *p_now, 0.0]
            if dirty & 2:
                one["fb_b"] = w._pack_fb(*one["est"], *one["tried"])
        if dirty & 4:  # a new team
            one["pick"], one["hired_b"], one["onehot_b"], _ = one["team"]
        one["dirty"] = 0
        mp = w._max_parts_f
        rem = float(one["remaining"])
        budget = float(one["budget"])
        L = w._L_p
        cap = self.capacity
        row = w._task_row_bytes
        return np.frombuffer(bytearray(b"".join((
            one["task_rows"][task * row:(task + 1) * row],
            w._pack_scalars(
                one["part"] / mp, one["part_ok"] / mp, task / N, rem / L, rem / budget,
                min(rem / max(N - task, 1) / w._cost_unit_p, w._money_per_task_hi), budget / L,
                (cap - one["reserved"]) / cap, min(cap / 100.0, w._memory_hi), slot.count(-1) / S),
            one["hired_b"], one["fb_b"], one["now_b"], one["onehot_b"],
            w._pack_tail(*one["used"], *one["pick"](one["cols"]))))), np.float32)

    # -- views ---------------------------------------------------------------------------------
    def observe(self) -> np.ndarray:
        """The observation of every episode: a new float32 array of shape ``(num, obs_dim)``."""
        w = self.world
        n, N, S, C = self.num, w.num_tasks, w.num_slots, w.num_workers
        rows = self.rows
        obs = np.zeros((n, w.obs_dim), np.float32)
        obs[:, w.task_block] = self.task_obs[rows, self.task]
        mp = float(w.max_parts)
        obs[:, w.f_parts_done] = self.part / mp
        obs[:, w.f_part_ok] = self.part_ok / mp
        obs[:, w.f_progress] = self.task / N
        L = w.spend_ceiling * PICO
        rem = self.remaining.astype(np.float64)
        obs[:, w.f_money_left] = rem / L
        obs[:, w.f_money_share] = rem / self.budget
        left = np.maximum(N - self.task, 1)
        obs[:, w.f_money_per_task] = np.minimum(rem / left / (w.cost_unit * PICO),
                                                w.obs_high[w.f_money_per_task])
        obs[:, w.f_budget] = self.budget / L
        obs[:, w.f_memory_free] = (self.capacity - self.reserved) / self.capacity
        obs[:, w.f_memory] = min(self.capacity / 100.0, float(w.obs_high[w.f_memory]))
        slot_c = np.where(self.slot < 0, C, self.slot)
        onehot = w._slot_onehot[slot_c]  # (n, S, C)
        obs[:, w.f_slots_free] = (self.slot < 0).sum(axis=1) / S
        obs[:, w.f_hired] = onehot.sum(axis=1) / S
        est = (self.successes + 1.0) / (self.trials + 2.0)  # (n, C, T)
        tried = self.trials / (self.trials + w._tried_k)
        obs[:, w.f_est] = est.reshape(n, -1)
        obs[:, w.f_tried] = tried.reshape(n, -1)
        ty = self.current_type()
        obs[:, w.f_est_now] = est[rows, :, ty]
        obs[:, w.f_tried_now] = tried[rows, :, ty]
        logit = w.expected_logit(ty, obs[:, w.f_difficulty], self.successes, self.trials)[:, :C]
        p_now = 1.0 / (1.0 + np.exp(-logit))
        obs[:, w.f_p_now] = p_now
        obs[:, w.f_slots] = onehot.reshape(n, -1)
        obs[:, w.f_used] = self.used
        occupied = self.slot >= 0
        task_row = obs[:, w.task_block]
        o = w.task_block.start
        cols = slot_c  # (n, S); index C (empty) is masked out below
        obs[:, w.f_slot_local] = w.is_local_x[cols]
        cost_now = task_row[:, w.f_cost.start - o:w.f_cost.stop - o]
        skill_now = task_row[:, w.f_skill_now.start - o:w.f_skill_now.stop - o - 1]
        safe = np.minimum(cols, C - 1)
        r = rows[:, None]
        obs[:, w.f_slot_cost] = np.where(occupied, cost_now[r, safe], 0.0)
        obs[:, w.f_slot_skill] = np.where(occupied, skill_now[r, safe], 0.0)
        obs[:, w.f_slot_est] = np.where(occupied, est[r, safe, ty[:, None]], 0.0)
        obs[:, w.f_slot_tried] = np.where(occupied, tried[r, safe, ty[:, None]], 0.0)
        obs[:, w.f_slot_p] = np.where(occupied, p_now[r, safe], 0.0)
        return obs
