"""The Team world's constants, rewards and random streams (see :mod:`hbkit.sim.team`)."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hbkit.sim.team.schema import MAX_TOKENS, REWARDS

__all__ = ["PICO", "SELF", "HIRE", "FIRE", "ASSIGN", "REASONS", "Streams", "TeamWorld", "team_reward"]

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
        self.num_tasks: int = w["tasks"]
        self.num_slots: int = w["slots"]
        S = self.num_slots
        self.memory: int = w["memory"]
        self.expense_budget: float = w["expense_budget"]
        self.budgets = tuple(float(b) for b in w["budgets"])
        self.spend_ceiling: float = w["spend_ceiling"]
        self.min_balance: float = w["min_balance"]
        self.max_steps: int = w["max_steps"]
        self.money_weight: float = w["money_weight"]
        self.beta: float = w["beta"]
        self.reject_penalty: float = w["reject_penalty"]
        self.skill_noise: float = w["skill_noise"]
        self.feedback_prior: float = w["feedback_prior"]
        self.token_spread: float = w["token_spread"]

        # task types
        self.type_names = tuple(t["name"] for t in types)
        self.num_types = len(types)
        self.share = np.array([t["share"] for t in types])
        self.value = np.array([t["value"] for t in types])
        self.parts = np.array([t["parts"] for t in types], np.int64)
        self.quorum = np.array([t["quorum"] for t in types], np.int64)
        self.prompt_median = np.array([t["prompt_tokens"] for t in types], np.float64)
        self.answer_median = np.array([t["answer_tokens"] for t in types], np.float64)
        self.slope = np.array([t["difficulty_slope"] for t in types])
        self.max_parts = int(self.parts.max())
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
        self.ceo_robust: float = ceo["robust"]
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
        kind[1 : 1 + C], arg[1 : 1 + C] = HIRE, np.arange(C)
        kind[1 + C : 1 + C + S], arg[1 + C : 1 + C + S] = FIRE, np.arange(S)
        kind[1 + C + S :], arg[1 + C + S :] = ASSIGN, np.arange(S)
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
        return (
            "answer itself"
            if k == SELF
            else f"hire {self.worker_names[j]}"
            if k == HIRE
            else f"fire slot {j}"
            if k == FIRE
            else f"assign slot {j}"
        )

    @property
    def action_names(self) -> tuple[str, ...]:
        return tuple(self.action_name(a) for a in range(self.num_actions))

    # -- observation layout ----------------------------------------------------------------
    def _build_features(self) -> None:
        C, S = self.num_workers, self.num_slots
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
        # clipped to [1, MAX_TOKENS] tokens, so that no call's cost can overflow (see the schema)
        prompt = np.rint(np.clip(self.prompt_median[ttype] * np.exp(self.token_spread * z[0]), 1, MAX_TOKENS))
        answer = np.rint(np.clip(self.answer_median[ttype] * np.exp(self.token_spread * z[1]), 1, MAX_TOKENS))
        dev = self.skill_noise * rng.standard_normal((n, C, T))
        u = rng.random((n, N, P, C + 1))
        return Streams(
            ttype.astype(np.int64), difficulty, prompt.astype(np.int64), answer.astype(np.int64), dev, u
        )

    def streams_from_seeds(self, seeds: Any) -> Streams:
        """The stream each integer seed stands for: the same seed always gives the same tasks,
        hidden deviations and luck, so a group of rollouts can face one stream."""
        seeds = np.asarray(seeds, dtype=np.int64).ravel()
        uniq, inverse = np.unique(seeds, return_inverse=True)
        parts = [self.sample_streams(np.random.default_rng([int(s), 0x7EA4]), 1) for s in uniq]
        return Streams(
            **{
                f: np.concatenate([getattr(p, f) for p in parts])[inverse]
                for f in Streams.__dataclass_fields__
            }
        )

    # -- the model -----------------------------------------------------------------------------
    def success_prob(self, streams: Streams, published: np.ndarray | None = None) -> np.ndarray:
        """Probability that each worker (and, last, the manager) solves a part of each task:
        shape ``(n, N, C + 1)``.

        :param published: :meth:`published_logit` of the streams' tasks, if already computed
        """
        if published is None:
            published = self.published_logit(streams.ttype, streams.difficulty)
        logit = published.copy()  # (n, N, C + 1)
        dev = np.take_along_axis(streams.dev, streams.ttype[:, None, :], axis=2)  # (n, C, N)
        logit[..., :-1] += dev.transpose(0, 2, 1)
        return 1.0 / (1.0 + np.exp(-logit))

    def call_cost_p(self, streams: Streams) -> np.ndarray:
        """Integer pico-dollars of a call of every worker on every task ``(n, N, C)`` (0 for local
        workers): ``prompt * price_in + round(answer * verbosity) * price_out`` per token."""
        return self._cost_p(streams.prompt[..., None], streams.answer[..., None])

    def median_call_dollars(self) -> np.ndarray:
        """Dollars of a call of every worker on a task of every type with the type's median prompt
        and answer tokens, ``(C, T)`` (0 for local workers): what :meth:`call_cost_p` charges for
        a median task. What a manager can price before it sees a task."""
        return (self._cost_p(self.prompt_median[:, None], self.answer_median[:, None]) / PICO).T

    def _cost_p(self, prompt: np.ndarray, answer: np.ndarray) -> np.ndarray:
        """Pico-dollars of a call of each worker (last axis) for the given tokens (broadcast)."""
        out_tokens = np.rint(answer * self.verbosity).astype(np.int64)
        return prompt * self.price_in_p + out_tokens * self.price_out_p

    def task_features(
        self, streams: Streams, cost_p: np.ndarray, published: np.ndarray | None = None
    ) -> np.ndarray:
        """The task part of the observation for every task of every stream, plus an all-zero row
        for "stream done": shape ``(n, N + 1, task_block width)``.

        :param published: :meth:`published_logit` of the streams' tasks, if already computed
        """
        if published is None:
            published = self.published_logit(streams.ttype, streams.difficulty)
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
        out[:, :N, self.f_cost.start - o : self.f_cost.stop - o] = np.minimum(cost, hi[self.f_cost])
        out[:, :N, self.f_skill_now.start - o : self.f_skill_now.stop - o] = 1.0 / (1.0 + np.exp(-published))
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

    def expected_logit(
        self,
        ttype: np.ndarray,
        difficulty: np.ndarray,
        successes: np.ndarray,
        trials: np.ndarray,
        m_prior: Any = None,
    ) -> np.ndarray:
        """What a manager can expect from each worker on the current task, from what it may see:
        the published skill, shifted by the outcomes seen so far. Per worker and type the success
        rate is estimated as ``(successes + m * skill) / (trials + m)`` (``m`` =
        ``world.feedback_prior`` pseudo-trials at the published skill); its logit's shift from the
        published one is added to the task's published logit. Shape ``(n, C + 1)`` (last: the
        manager itself, for which there is no feedback).

        :param ttype: current task type ``(n,)``; ``difficulty``: ``(n,)``
        :param successes, trials: ``(n, C, T)`` counts
        :param m_prior: pseudo-trials ``m`` (a scalar or one per row; default ``world.feedback_prior``)
        """
        tt = np.asarray(ttype, np.int64)
        logit = self.published_logit(tt, difficulty)
        rows = np.arange(len(tt))
        succ = np.asarray(successes, np.float64)[rows, :, tt]
        tri = np.asarray(trials, np.float64)[rows, :, tt]
        prior = self.skill.T[tt]
        m = self.feedback_prior if m_prior is None else np.reshape(np.asarray(m_prior, np.float64), (-1, 1))
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
        return team_reward(
            name or self.reward_name,
            solved_share,
            spent,
            budget,
            spend_ceiling=self.spend_ceiling,
            beta=self.beta,
            solved_value=solved_value,
            money_weight=self.money_weight,
        )

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
        if isinstance(budget, (bool, np.bool_, np.complexfloating)) or not isinstance(
            budget, (int, float, np.integer, np.floating)
        ):
            raise ValueError(
                f"expense budget {budget!r} is not a number; allowed: dollars with "
                f"{self.min_balance} < budget <= {self.spend_ceiling}, or None"
            )
        try:
            b = float(budget)
        except OverflowError:  # an int beyond any float
            b = math.inf
        if not (math.isfinite(b) and self.min_balance < b <= self.spend_ceiling):
            raise ValueError(
                f"expense budget {budget!r} is out of range; allowed: dollars with "
                f"{self.min_balance} < budget <= {self.spend_ceiling} "
                "(world.min_balance and world.spend_ceiling), or None for the "
                f"scenario's {self.expense_budget}"
            )
        return int(round(b * PICO))
