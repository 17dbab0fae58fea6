"""The state of many Team episodes, stepped together in NumPy (see :mod:`hbkit.sim.team`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hbkit.sim.team.single import EpisodeState, SingleEpisode
from hbkit.sim.team.world import ASSIGN, FIRE, HIRE, PICO, SELF, Streams, TeamWorld

__all__ = ["TeamBatch"]


class TeamBatch(SingleEpisode):
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
        self._one: EpisodeState | None = None

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

    def hidden_success(self) -> np.ndarray:
        """The true probability that each catalog entry (and, last, the manager itself) solves a
        part of the current task, ``(num, C + 1)``, hidden deviations included (of the last task
        once the stream is done). Hidden from managers: only a clairvoyant bound may read it."""
        N = self.world.num_tasks
        flat = self.rows * N + np.minimum(self.task, N - 1)  # one take on the first axis: cheap
        return self.prob.reshape(self.num * N, -1)[flat]

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
        for arr in (
            self.task,
            self.part,
            self.part_ok,
            self.steps,
            self.hires,
            self.fires,
            self.rejected,
            self.solved,
            self.successes,
            self.trials,
            self.solved_by_type,
            self.spent_by_type,
        ):
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
        self.cost[idx, :N, : w.num_workers] = cost
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
            self.refresh_mask(idx)

    # -- the rules -----------------------------------------------------------------------------
    def refresh_mask(self, idx: np.ndarray | None = None) -> None:
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
        reason[:, 1 : 1 + C] = hire
        # fire j
        empty = slot < 0
        reason[:, 1 + C : 1 + C + S] = np.where(empty, 4, 0)
        # assign j
        c = np.where(empty, C, slot)
        t = self.task[r]
        cost = self.cost[r[:, None], t[:, None], c]
        assign = np.where(cost > remaining[:, None], 7, 0)
        assign = np.where(w.run_memory_x[c] > free[:, None], 6, assign)
        assign = np.where(self.used[r], 5, assign)
        assign[empty] = 4
        reason[:, 1 + C + S :] = assign
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
            ret = w.reward(self.solved_value / self.stream_value, self.spent / PICO, self.budget / PICO)
            reward = np.where(live, ret - self.last_return, 0.0)
            self.last_return = np.where(live, ret, self.last_return)
        if w.reject_penalty:
            reward = reward - w.reject_penalty * rejected
        self.refresh_mask()
        return reward, terminated, truncated, outcome

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
        obs[:, w.f_money_per_task] = np.minimum(
            rem / left / (w.cost_unit * PICO), w.obs_high[w.f_money_per_task]
        )
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
        cost_now = task_row[:, w.f_cost.start - o : w.f_cost.stop - o]
        skill_now = task_row[:, w.f_skill_now.start - o : w.f_skill_now.stop - o - 1]
        safe = np.minimum(cols, C - 1)
        r = rows[:, None]
        obs[:, w.f_slot_cost] = np.where(occupied, cost_now[r, safe], 0.0)
        obs[:, w.f_slot_skill] = np.where(occupied, skill_now[r, safe], 0.0)
        obs[:, w.f_slot_est] = np.where(occupied, est[r, safe, ty[:, None]], 0.0)
        obs[:, w.f_slot_tried] = np.where(occupied, tried[r, safe, ty[:, None]], 0.0)
        obs[:, w.f_slot_p] = np.where(occupied, p_now[r, safe], 0.0)
        return obs
