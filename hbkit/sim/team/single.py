"""The single-env path of the Team world: one episode stepped in plain Python.

NumPy's cost per call dominates on rows of a handful of numbers, so a single Env (a batch of one)
steps through :meth:`SingleEpisode.step_one` and :meth:`SingleEpisode.observe_one`: the same rules as
:meth:`~hbkit.sim.team.TeamBatch.step`, :meth:`~hbkit.sim.team.TeamBatch.refresh_mask` and
:meth:`~hbkit.sim.team.TeamBatch.observe`, written for Python ints and floats, on an
:class:`EpisodeState` copy of the episode taken from the arrays. Every state array is written
through as ``step()`` would leave it (``reason`` and ``mask`` on first read), so the arrays stay the
truth and ``step()``, ``observe()`` and the env's info read the same state; ``step()`` and
``reset()`` drop the copy. Floats are computed with the same operations in the same order (int64 ->
float64 before dividing, NumPy for exp/log, float32 by C's cast), so observations and rewards are
bit for bit those of the batched methods
(``tests/test_team.py::test_single_env_steps_exactly_like_the_batched_sim``); a change of the rules
must be made in both places. Measured in ``benchmarks/bench_team.py``: the single env runs several
times faster through this path than through the batched methods on a batch of one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

from hbkit.sim.team.world import ASSIGN, FIRE, HIRE, PICO, TeamWorld, _logit

__all__ = ["EpisodeState", "SingleEpisode"]

_PICO_F = float(PICO)
_INT_FIELDS = (
    "reserved",
    "peak_memory",
    "budget",
    "spent",
    "remaining",
    "task",
    "part",
    "part_ok",
    "steps",
    "hires",
    "fires",
    "rejected",
    "solved",
)


@dataclass(slots=True, eq=False)
class EpisodeState:
    """One episode in Python numbers (what :meth:`SingleEpisode.step_one` works on).

    Flat tables (few objects to build) hold row ``t`` of width ``K`` at ``[t * K:(t + 1) * K]``.
    Money is in pico-dollars, memory in units, as in :class:`~hbkit.sim.team.TeamBatch`.
    """

    # the stream (fixed for the episode)
    ttype: list[int]  #: task type per task (and, at index N, the last task's)
    cost: list[int]  #: call cost per task and catalog entry (K = C + 1, last: the manager)
    ok: bytes  #: 0/1 outcome at ``[(task * P + part) * (C + 1) + c]``
    cost_now: list[float]  #: the observation's cost features per task (K = C)
    skill_now: list[float]  #: published success per task and entry (K = C)
    pub: list[float]  #: published logit per task and entry (K = C)
    task_rows: bytes  #: the task block of the observation, float32, row after row
    tbt: list[int]  #: tasks per type in the stream
    # the team and the feedback
    slot: list[int]  #: catalog entry per slot (-1: empty)
    used: list[bool]  #: the slot worked on the current task
    succ: list[list[int]]  #: successes per entry and type
    tri: list[list[int]]  #: trials per entry and type
    est: list[float]  #: ``(succ + 1) / (tri + 2)``, flat (entry, type)
    tried: list[float]  #: ``tri / (tri + 4)``, flat (entry, type)
    shift: list[list[float]]  #: feedback shift of the logit, ``[type][entry]``
    sbt: list[int]  #: solved per type
    spbt: list[int]  #: pico-dollars spent per type
    team: tuple[Any, bytes, bytes, list[int]]  #: what depends on the team only (``_team``)
    # counters (the same names as TeamBatch's arrays)
    reserved: int
    peak_memory: int
    budget: int
    spent: int
    remaining: int
    task: int
    part: int
    part_ok: int
    steps: int
    hires: int
    fires: int
    rejected: int
    solved: int
    done: bool
    exhausted: bool
    truncated: bool
    solved_value: float
    stream_value: float
    last_return: float
    # the action reasons and mask (kept up to date by _mask_one)
    reason: list[int] = field(default_factory=list)
    mask: Any = None
    # what observe_one() must rebuild, and the packed blocks it keeps
    stale_task: bool = True
    stale_feedback: bool = True
    stale_team: bool = True
    now_b: bytes = b""
    fb_b: bytes = b""
    hired_b: bytes = b""
    onehot_b: bytes = b""
    cols: list[float] = field(default_factory=list)
    pick: Any = None
    # arrays of the per-type counters for the env's info (None when stale)
    sbt_arr: Any = None
    spbt_arr: Any = None
    tbt_arr: Any = None


class SingleEpisode:
    """The plain-Python path of :class:`~hbkit.sim.team.TeamBatch` for a batch of one (a mixin)."""

    # state of the batch, set by TeamBatch.__init__ (one row per episode; see TeamBatch)
    world: TeamWorld
    capacity: int
    cost: np.ndarray
    ok: np.ndarray
    pub: np.ndarray
    done: np.ndarray
    exhausted: np.ndarray
    fires: np.ndarray
    hires: np.ndarray
    last_return: np.ndarray
    peak_memory: np.ndarray
    rejected: np.ndarray
    solved: np.ndarray
    solved_value: np.ndarray
    stream_value: np.ndarray
    steps: np.ndarray
    task: np.ndarray
    task_obs: np.ndarray
    tasks_by_type: np.ndarray
    truncated: np.ndarray
    ttype: np.ndarray
    used: np.ndarray
    est: np.ndarray
    tried: np.ndarray
    shift: np.ndarray
    slot: np.ndarray
    reserved: np.ndarray
    spent: np.ndarray
    remaining: np.ndarray
    part: np.ndarray
    part_ok: np.ndarray
    successes: np.ndarray
    trials: np.ndarray
    solved_by_type: np.ndarray
    spent_by_type: np.ndarray
    budget: np.ndarray
    _reason: np.ndarray
    _mask: np.ndarray
    _mask_stale: bool
    _one: EpisodeState | None
    _mask_cache: dict[bytes, np.ndarray]
    _team_cache: dict[tuple[int, ...], tuple[Any, bytes, bytes, list[int]]]
    _hire_cache: dict[int, list[int]]

    def episode(self) -> EpisodeState:
        """Episode 0 in Python numbers (built from the arrays if they changed)."""
        one = self._one
        return self._load_one() if one is None else one

    def episode_done(self) -> bool:
        """Whether episode 0 has ended."""
        one = self._one
        return one.done if one is not None else bool(self.done[0])

    def _load_one(self) -> EpisodeState:
        """Build the plain-Python copy of episode 0 that :meth:`step_one` works on."""
        w = self.world
        tb = w.task_block.start
        task_obs = self.task_obs[0]
        pub = self.pub[0]  # the published logits of every task, set at reset
        succ = self.successes[0].tolist()
        tri = self.trials[0].tolist()
        m = w.feedback_prior
        q = (np.array(succ, np.float64) + m * w.skill) / (np.array(tri, np.float64) + m)
        slot = self.slot[0].tolist()
        scalars: dict[str, Any] = {
            **{k: int(getattr(self, k)[0]) for k in _INT_FIELDS},
            **{k: bool(getattr(self, k)[0]) for k in ("done", "exhausted", "truncated")},
            **{k: float(getattr(self, k)[0]) for k in ("solved_value", "stream_value", "last_return")},
        }
        one = EpisodeState(
            ttype=self.ttype[0].tolist(),
            cost=self.cost[0].ravel().tolist(),
            ok=self.ok[0].tobytes(),
            cost_now=task_obs[:, w.f_cost.start - tb : w.f_cost.stop - tb].ravel().tolist(),
            skill_now=task_obs[:, w.f_skill_now.start - tb : w.f_skill_now.stop - tb - 1].ravel().tolist(),
            pub=pub.ravel().tolist(),
            task_rows=task_obs.tobytes(),
            tbt=self.tasks_by_type[0].tolist(),
            slot=slot,
            used=self.used[0].tolist(),
            succ=succ,
            tri=tri,
            est=[
                (s + 1.0) / (n + 2.0)
                for sr, nr in zip(succ, tri, strict=True)
                for s, n in zip(sr, nr, strict=True)
            ],
            tried=[n / (n + w._tried_k) for nr in tri for n in nr],
            shift=(_logit(q) - w.skill_logit).T.tolist(),
            sbt=self.solved_by_type[0].tolist(),
            spbt=self.spent_by_type[0].tolist(),
            team=self._team(slot),
            **scalars,
        )
        self._mask_one(one)
        self._one = one
        return one

    def _shift_one(self, one: EpisodeState, c: int, k: int) -> None:
        """expected_logit()'s feedback shift of worker ``c`` on type ``k``, from the counts."""
        w = self.world
        m = w.feedback_prior
        q = (one.succ[c][k] + m * w._skill_l[c][k]) / (one.tri[c][k] + m)
        # _logit(q) - skill_logit[c, k], with NumPy's log and log1p as there
        one.shift[k][c] = (float(np.log(q)) - float(np.log1p(-q))) - w._skill_logit_l[c][k]

    def step_one(self, action: int) -> tuple[float, bool, bool, int, int]:
        """:meth:`step` for a batch of one episode, in plain Python (see the comment above).

        :param action: a valid action index
        :return: ``(reward, terminated, truncated, outcome, reason code of the action)``
        """
        one = self._one
        if one is None:
            one = self._load_one()
        w = self.world
        if one.done:
            return 0.0, False, False, -1, one.reason[action]
        code = one.reason[action]
        kind = w._kind_l[action]
        outcome, decided_value, step_cost = -1, 0.0, 0
        task = one.task
        if code == 0:
            if kind == HIRE:
                c = w._arg_l[action]
                slot = one.slot
                j = slot.index(-1)
                slot[j] = c
                self.slot[0, j] = c
                one.reserved = self.reserved[0] = one.reserved + w._memory_l[c]
                fee = w._fee_l[c]
                step_cost = fee
                if fee:
                    one.spent = self.spent[0] = one.spent + fee
                    one.remaining = self.remaining[0] = one.remaining - fee
                    ty = one.ttype[task]
                    one.spbt[ty] += fee
                    one.spbt_arr = None
                    self.spent_by_type[0, ty] = one.spbt[ty]
                one.hires = self.hires[0] = one.hires + 1
                one.team = self._team(slot)
                one.stale_team = True
            elif kind == FIRE:
                j = w._arg_l[action]
                slot = one.slot
                c = slot[j]
                one.reserved = self.reserved[0] = one.reserved - w._memory_x_l[c]
                slot[j] = -1
                self.slot[0, j] = -1
                one.used[j] = False
                self.used[0, j] = False
                one.fires = self.fires[0] = one.fires + 1
                one.team = self._team(slot)
                one.stale_team = True
            else:  # SELF or ASSIGN: work on the current part
                C = w.num_workers
                p = one.part
                ty = one.ttype[task]
                if kind == ASSIGN:
                    j = w._arg_l[action]
                    c = one.slot[j]
                else:
                    c = C
                ok = one.ok[(task * w.max_parts + p) * (C + 1) + c]
                cost = one.cost[task * (C + 1) + c]
                step_cost = cost
                if cost:
                    one.spent = self.spent[0] = one.spent + cost
                    one.remaining = self.remaining[0] = one.remaining - cost
                    one.spbt[ty] += cost
                    one.spbt_arr = None
                    self.spent_by_type[0, ty] = one.spbt[ty]
                peak = one.reserved + w._run_memory_x_l[c]
                if peak > one.peak_memory:
                    one.peak_memory = self.peak_memory[0] = peak
                if kind == ASSIGN:
                    one.used[j] = True
                    self.used[0, j] = True
                    n = one.tri[c][ty] = one.tri[c][ty] + 1
                    s = one.succ[c][ty] = one.succ[c][ty] + ok
                    self.trials[0, c, ty] = n
                    self.successes[0, c, ty] = s
                    one.est[c * w.num_types + ty] = (s + 1.0) / (n + 2.0)
                    one.tried[c * w.num_types + ty] = n / (n + w._tried_k)
                    self._shift_one(one, c, ty)
                    self.est[0, c, ty] = one.est[c * w.num_types + ty]  # the batch's tables too
                    self.tried[0, c, ty] = one.tried[c * w.num_types + ty]
                    self.shift[0, ty, c] = one.shift[ty][c]
                    one.stale_feedback = True
                outcome = int(ok)
                pok = one.part_ok + ok
                q = w._quorum_l[ty]
                if pok >= q or w._parts_l[ty] - (p + 1) < q - pok:  # the task is decided
                    success = pok >= q
                    decided_value = w._value_l[ty] * success
                    one.solved_value = one.solved_value + decided_value
                    self.solved_value[0] = one.solved_value
                    if success:
                        one.solved = self.solved[0] = one.solved + 1
                        one.sbt[ty] += 1
                        one.sbt_arr = None
                        self.solved_by_type[0, ty] = one.sbt[ty]
                    task += 1
                    one.task = self.task[0] = task
                    one.part = self.part[0] = 0
                    one.part_ok = self.part_ok[0] = 0
                    one.used = [False] * w.num_slots
                    self.used[0] = False
                    one.stale_task = True
                else:
                    one.part = self.part[0] = p + 1
                    one.part_ok = self.part_ok[0] = pok
        else:
            one.rejected = self.rejected[0] = one.rejected + 1
        steps = one.steps = self.steps[0] = one.steps + 1
        stream_done = task >= w.num_tasks
        broke = not stream_done and one.remaining < w.min_balance_p
        terminated = stream_done or broke
        truncated = not terminated and steps >= w.max_steps
        if broke:
            one.exhausted = self.exhausted[0] = True
        if truncated:
            one.truncated = self.truncated[0] = True
        if terminated or truncated:
            one.done = self.done[0] = True

        # rewards: the increase of the episode's return
        if w.reward_name == "plain":
            reward = decided_value - w.money_weight * (float(step_cost) / _PICO_F)
        else:
            ret = float(
                w.reward(
                    np.array([one.solved_value / one.stream_value]),
                    np.array([float(one.spent) / _PICO_F]),
                    np.array([float(one.budget) / _PICO_F]),
                )[0]
            )
            reward = ret - one.last_return
            one.last_return = self.last_return[0] = ret
        if w.reject_penalty:
            reward = reward - w.reject_penalty * (1.0 if code else 0.0)
        self._mask_one(one)
        return reward, terminated, truncated, outcome, code

    def _mask_one(self, one: EpisodeState) -> None:
        """:meth:`~hbkit.sim.team.TeamBatch.refresh_mask` for a batch of one."""
        w = self.world
        if one.done:
            reason = [8] * w.num_actions
            reason[0] = 0
        else:
            free = self.capacity - one.reserved
            remaining = one.remaining
            slot, used = one.slot, one.used
            fire = one.team[3]  # 1 for every hire if the team is full, then the fire reasons
            if fire[0]:
                reason = [0, *fire]
            elif remaining >= w._max_fee_p:  # only memory can stop a hire
                hire = self._hire_cache.get(free)
                if hire is None:
                    hire = self._hire_cache[free] = [2 if m > free else 0 for m in w._memory_l]
                reason = [0, *hire, *fire[w.num_workers :]]
            else:
                reason = [
                    0,
                    *[
                        2 if m > free else 3 if f > remaining else 0
                        for m, f in zip(w._memory_l, w._fee_l, strict=True)
                    ],
                    *fire[w.num_workers :],
                ]
            t = one.task * (w.num_workers + 1)
            cost, run = one.cost, w._run_memory_x_l
            reason += [
                4 if c < 0 else 5 if u else 6 if run[c] > free else 7 if cost[t + c] > remaining else 0
                for c, u in zip(slot, used, strict=True)
            ]
        one.reason = reason
        one.mask = self._mask_of(reason)
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
        assert one is not None  # only called while step_one() holds newer reasons
        self._reason[0] = one.reason
        self._mask[0] = one.mask

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
            team = self._team_cache[key] = (
                pick,
                w._pack_hired(*[k / S for k in hired]),
                w._pack_onehot(*onehot),
                reasons,
            )
        return team

    def observe_one(self) -> np.ndarray:
        """:meth:`observe` of a batch of one: a new float32 array of shape ``(obs_dim,)``."""
        one = self._one
        if one is None:
            one = self._load_one()
        w = self.world
        N, C, S, T = w.num_tasks, w.num_workers, w.num_slots, w.num_types
        task = one.task
        slot = one.slot
        # blocks that change only now and then are kept packed (float32 bytes, in feature order)
        if one.stale_task or one.stale_feedback:
            ty = one.ttype[min(task, N - 1)]
            # expected_logit(), then p = 1 / (1 + exp(-logit)): NumPy's exp, the rest in floats
            pub = one.pub[task * C : (task + 1) * C]
            e = np.exp(np.array([-(a + b) for a, b in zip(pub, one.shift[ty], strict=True)])).tolist()
            p_now = [1.0 / (1.0 + v) for v in e]
            est_now, tried_now = one.est[ty::T], one.tried[ty::T]
            one.now_b = w._pack_now(*est_now, *tried_now, *p_now)
            # per catalog entry (and, last, an empty slot): what the slot features pick from
            row = slice(task * C, (task + 1) * C)
            one.cols = [
                *w._is_local_x_l,
                *one.cost_now[row],
                0.0,
                *one.skill_now[row],
                0.0,
                *est_now,
                0.0,
                *tried_now,
                0.0,
                *p_now,
                0.0,
            ]
            if one.stale_feedback:
                one.fb_b = w._pack_fb(*one.est, *one.tried)
        if one.stale_team:
            one.pick, one.hired_b, one.onehot_b, _ = one.team
        one.stale_task = one.stale_feedback = one.stale_team = False
        mp = w._max_parts_f
        rem = float(one.remaining)
        budget = float(one.budget)
        L = w._L_p
        cap = self.capacity
        row = w._task_row_bytes
        return np.frombuffer(
            bytearray(
                b"".join(
                    (
                        one.task_rows[task * row : (task + 1) * row],
                        w._pack_scalars(
                            one.part / mp,
                            one.part_ok / mp,
                            task / N,
                            rem / L,
                            rem / budget,
                            min(rem / max(N - task, 1) / w._cost_unit_p, w._money_per_task_hi),
                            budget / L,
                            (cap - one.reserved) / cap,
                            min(cap / 100.0, w._memory_hi),
                            slot.count(-1) / S,
                        ),
                        one.hired_b,
                        one.fb_b,
                        one.now_b,
                        one.onehot_b,
                        w._pack_tail(*one.used, *one.pick(one.cols)),
                    )
                )
            ),
            np.float32,
        )
