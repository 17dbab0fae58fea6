"""The state of many Team episodes, stepped together in NumPy (see :mod:`hbkit.sim.team`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hbkit.sim.team.single import EpisodeState, SingleEpisode
from hbkit.sim.team.world import ASSIGN, FIRE, HIRE, PICO, SELF, Streams, TeamWorld, _logit

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

    What the observation derives from the feedback is kept in tables updated where it changes (an
    assignment changes one entry of one row), not recomputed for every env at every step: ``est``
    (``(successes + 1) / (trials + 2)``) and ``tried`` (``trials / (trials + k)``) per catalog
    entry and type, ``shift`` (the feedback's shift of each worker's logit, per type and entry, see
    :meth:`TeamWorld.expected_logit`) and, per stream, ``pub`` (the published logits of every
    task, from the observation's difficulty).

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
        # what the observation derives from the feedback and the stream (see the class docstring)
        self.est = np.full((n, C, T), 0.5)
        self.tried = np.zeros((n, C, T))
        self.shift = np.zeros((n, T, C))
        self.pub = np.zeros((n, N + 1, C))
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
        return self.prob.reshape(self.num * N, -1).take(flat, axis=0)

    def current_type(self) -> np.ndarray:
        """Task type of the current task (of the last task once the stream is done)."""
        # ttype[:, N] repeats the last task's type; one take on a flat index is cheaper than
        # indexing rows and columns
        return self.ttype.ravel().take(self._task_row())

    def _task_row(self) -> np.ndarray:
        """Flat index of each env's current task row in the ``(num, N + 1, ...)`` tables."""
        return self.rows * (self.world.num_tasks + 1) + self.task

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
        published = w.published_logit(tt, streams.difficulty)  # (n, N, C + 1), shared by the next two
        p = w.success_prob(streams, published)
        self.prob[idx] = p
        self.ok[idx, :N] = streams.u < p[:, :, None, :]
        self.ok[idx, N] = False
        task_obs = self.task_obs[idx] = w.task_features(streams, cost, published)
        self.est[idx] = 0.5  # (0 + 1) / (0 + 2)
        self.tried[idx] = 0.0
        self.shift[idx] = self._shift_of(np.zeros((1, w.num_workers, w.num_types)))
        tt_ext = np.concatenate([tt, tt[:, -1:]], axis=1)  # a finished stream: the last task's type
        difficulty = task_obs[:, :, w.f_difficulty - w.task_block.start]
        self.pub[idx] = w.published_logit(tt_ext, difficulty)[:, :, : w.num_workers]
        if self.num == 1:  # the plain-Python copy computes the mask (see step_one)
            self._mask_stale = False
            self._load_one()
        else:
            self.refresh_mask(idx)

    def _shift_of(self, successes: np.ndarray, trials: np.ndarray | None = None) -> np.ndarray:
        """The feedback's shift of every worker's logit for counts ``(m, C, T)`` (the same
        operations as :meth:`TeamWorld.expected_logit`), shape ``(m, T, C)``."""
        w = self.world
        tri = successes if trials is None else trials
        m = w.feedback_prior
        q = (successes.astype(np.float64) + m * w.skill) / (tri.astype(np.float64) + m)
        return (_logit(q) - w.skill_logit).transpose(0, 2, 1)

    # -- the rules -----------------------------------------------------------------------------
    def refresh_mask(self, idx: np.ndarray | None = None) -> None:
        """Recompute why each action would be rejected (``reason``, 0 = accepted) and the mask."""
        w = self.world
        C, S = w.num_workers, w.num_slots
        r = self.rows if idx is None else idx
        sel = slice(None) if idx is None else idx  # all rows: views and plain writes, no gathers
        self._mask_stale = False  # recomputed here, for every row of a batch of one
        self._one = None  # the arrays are the truth again
        slot = self.slot[sel]
        free = self.capacity - self.reserved[sel]
        remaining = self.remaining[sel]
        reason = np.zeros((len(r), w.num_actions), np.int8)
        empty = slot < 0
        # hire c
        full = ~empty[:, 0]
        for j in range(1, S):
            full &= ~empty[:, j]
        hire = np.where(w.hire_fee_p > remaining[:, None], 3, 0)
        hire = np.where(w.worker_memory > free[:, None], 2, hire)
        reason[:, 1 : 1 + C] = np.where(full[:, None], 1, hire)
        # fire j
        reason[:, 1 + C : 1 + C + S] = np.where(empty, 4, 0)
        # assign j
        c = np.where(empty, C, slot)
        t = self.task[sel]
        # cost[r, t, c], as one take on a flat index
        cost = self.cost.ravel().take((r * (w.num_tasks + 1) + t)[:, None] * (C + 1) + c)
        assign = np.where(cost > remaining[:, None], 7, 0)
        assign = np.where(w.run_memory_x[c] > free[:, None], 6, assign)
        assign = np.where(self.used[sel], 5, assign)
        reason[:, 1 + C + S :] = np.where(empty, 4, assign)
        done = self.done[sel]
        if done.any():
            reason[done] = 8
            reason[done, 0] = 0  # "answer itself" stays allowed so that masks are never empty
        self.reason[sel] = reason
        self.mask[sel] = reason == 0

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
        A, N1, T = w.num_actions, w.num_tasks + 1, w.num_types
        # (multi-index reads and writes below go through flat indices: one take or one put each)
        accepted = live & self.mask.ravel().take(rows * A + actions)
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
            self.slot.ravel()[i * w.num_slots + j] = c
            self.reserved[i] += w.worker_memory[c]
            fee = w.hire_fee_p[c]
            self.spent[i] += fee
            self.remaining[i] -= fee
            self.spent_by_type.ravel()[i * T + self.ttype.ravel().take(i * N1 + self.task[i])] += fee
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
            it = i * N1 + t
            ty = self.ttype.ravel().take(it)
            is_assign = kind[i] == ASSIGN
            j = arg[i]
            at_slot = i * w.num_slots + np.minimum(j, w.num_slots - 1)  # (j of a non-assign: unused)
            c = np.where(is_assign, self.slot.ravel().take(at_slot), C)
            ok = self.ok.ravel().take((it * w.max_parts + p) * (C + 1) + c)
            cost = self.cost.ravel().take(it * (C + 1) + c)
            self.spent[i] += cost
            self.remaining[i] -= cost
            self.spent_by_type.ravel()[i * T + ty] += cost
            step_cost[i] = cost
            self.peak_memory[i] = np.maximum(self.peak_memory[i], self.reserved[i] + w.run_memory_x[c])
            a = np.flatnonzero(is_assign)
            if len(a):
                ia, ca, ta = i[a], c[a], ty[a]
                self.used.ravel()[ia * w.num_slots + j[a]] = True
                f = (ia * C + ca) * T + ta  # [ia, ca, ta] of the (n, C, T) tables
                n_ = self.trials.ravel().take(f) + 1
                s_ = self.successes.ravel().take(f) + ok[a]
                self.trials.ravel()[f] = n_
                self.successes.ravel()[f] = s_
                # the feedback's tables, for the entries that changed (as in expected_logit)
                self.est.ravel()[f] = (s_ + 1.0) / (n_ + 2.0)
                self.tried.ravel()[f] = n_ / (n_ + w._tried_k)
                mp = w.feedback_prior
                q = (s_.astype(np.float64) + mp * w.skill[ca, ta]) / (n_.astype(np.float64) + mp)
                self.shift.ravel()[(ia * T + ta) * C + ca] = _logit(q) - w.skill_logit[ca, ta]
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
                self.solved_by_type.ravel()[d * T + tyd] += success
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
        # gathers are single takes on flat indices (cheaper than indexing rows and columns)
        ft = self._task_row()
        task_row = self.task_obs.reshape(n * (N + 1), -1).take(ft, axis=0)
        obs[:, w.task_block] = task_row
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
        empty = self.slot < 0
        slot_c = np.where(empty, C, self.slot)
        onehot = w._slot_onehot[slot_c]  # (n, S, C)
        obs[:, w.f_slots_free] = empty.sum(axis=1) / S
        hired = onehot[:, 0].copy()
        for j in range(1, S):  # the sum over slots (whole numbers: exact in any order)
            hired += onehot[:, j]
        obs[:, w.f_hired] = hired / S
        est, tried = self.est, self.tried  # (n, C, T), kept up to date by step()
        obs[:, w.f_est] = est.reshape(n, -1)
        obs[:, w.f_tried] = tried.reshape(n, -1)
        T = w.num_types
        ty = self.ttype.ravel().take(ft)  # current_type()
        # est[rows, :, ty] and tried[rows, :, ty]
        at_ty = (rows * (C * T) + ty)[:, None] + np.arange(C) * T
        obs[:, w.f_est_now] = est.ravel().take(at_ty)
        obs[:, w.f_tried_now] = tried.ravel().take(at_ty)
        # TeamWorld.expected_logit: the task's published logits plus the feedback's shift
        logit = self.pub.reshape(-1, C).take(ft, axis=0)
        logit += self.shift.reshape(-1, C).take(rows * T + ty, axis=0)
        p_now = 1.0 / (1.0 + np.exp(-logit))
        obs[:, w.f_p_now] = p_now
        obs[:, w.f_slots] = onehot.reshape(n, -1)
        obs[:, w.f_used] = self.used
        occupied = ~empty
        o = w.task_block.start
        cols = slot_c  # (n, S); index C (empty) is masked out below
        obs[:, w.f_slot_local] = w.is_local_x[cols]
        safe = np.minimum(cols, C - 1)
        width = task_row.shape[1]
        at_row = rows[:, None] * width + safe
        obs[:, w.f_slot_cost] = np.where(occupied, task_row.take(at_row + (w.f_cost.start - o)), 0.0)
        obs[:, w.f_slot_skill] = np.where(occupied, task_row.take(at_row + (w.f_skill_now.start - o)), 0.0)
        at_slot = (rows * (C * T) + ty)[:, None] + safe * T  # est[rows, safe, ty]
        obs[:, w.f_slot_est] = np.where(occupied, est.ravel().take(at_slot), 0.0)
        obs[:, w.f_slot_tried] = np.where(occupied, tried.ravel().take(at_slot), 0.0)
        obs[:, w.f_slot_p] = np.where(occupied, p_now.take(rows[:, None] * C + safe), 0.0)
        return obs
