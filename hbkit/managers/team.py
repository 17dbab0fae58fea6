"""Hand-written managers for ``hbkit/Team-v0``.

Every manager reads only what a manager may see: the observation (decoded with
:meth:`hbkit.sim.team.TeamWorld.decode`), the action mask in ``info``, and the scenario's public
catalog (prices, memory, *published* skills). None of them reads the hidden per-stream skills.
They are batched (one call decides for a whole batch of envs) and stateless, so
:func:`hbkit.evaluate.evaluate` runs them on the native VectorEnv.

All but ``random`` are one :class:`Router` with different settings. Each step the router scores
every way to do the current part of the task::

    score(worker) = value / quorum * p_hat(worker) - cost_weight * dollars(worker)

(``value / quorum``, or, with ``pivot``, the value times the chance that this part decides the task)

where ``p_hat`` is its estimate of the worker's success on this task (published skill and the
difficulty model, or the feedback) and ``dollars`` the price of the call (plus the hiring fee if the
worker is not on the team yet). It then answers itself, assigns the part to a team member, hires
the best candidate or fires the least useful member to make room, whichever the scores favour.

===============  ================================================================================
``static``       hires a fixed team once (:func:`static_team`: the scenario's, e.g. mid, flash-lite
                 and flash on ``hashiru``), then routes by published skill and cost; never hires or
                 fires again
``local-only``   only local workers (memory, no money), hired and fired as the tasks need
``cloud-only``   only cloud workers, cost-aware
``no-economy``   every worker, picks the highest published skill and ignores what it costs
``greedy``       every worker, published skill against cost (``money_weight``), paces its money
``feedback``     like greedy, but learns each worker's skill per task type from the outcomes it
                 sees (the observation's feedback), with an optimism bonus (UCB)
``bayes``        like feedback, but its estimates are Bayesian posteriors under the scenario's
                 prior of the hidden deviations (``skill_noise``), with half a posterior std of
                 optimism
``random``       a uniformly random accepted action
``clairvoyant``  the upper reference: routes like ``feedback`` but with the true (hidden) skills
===============  ================================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hbkit.errors import ConfigError, sequence_of
from hbkit.sim.team import TeamWorld

__all__ = [
    "Router",
    "BayesRouter",
    "Clairvoyant",
    "RandomManager",
    "MANAGERS",
    "make_managers",
    "static_team",
]

ENV_ID = "hbkit/Team-v0"


#: binomial coefficients ``comb(r, k)`` for ``r, k < 16`` (parts of a task are at most a few)
_BINOM = np.array([[math.comb(r, k) for k in range(16)] for r in range(16)], np.float64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


class Router:
    """A rule-based manager: score every worker on the current task, act on the best.

    :param env: a Team Env or VectorEnv (for the scenario's public catalog)
    :param name: shown in reports
    :param allowed: catalog names it may use (default: all)
    :param team: a fixed team hired at the start, never changed (``static``)
    :param cost_weight: reward units per dollar; ``None`` uses the scenario's ``money_weight``;
        ``0`` ignores cost (a scalar, or one per env of a batch)
    :param pace: raise the cost weight when the money left per task falls below an even pace
    :param feedback: estimate skills from the outcomes seen (else: published skills only)
    :param ucb: optimism bonus (in logits) scaled by ``1 / sqrt(1 + trials)`` (a scalar, or one
        per env of a batch)
    :param fire_margin: how much better (reward units) a candidate must score to fire someone (a
        scalar, or one per env of a batch)
    :param prior: how many trials the published skill counts for in the feedback estimate
        (``None``: the scenario's ``feedback_prior``; a scalar or one per env of a batch)
    :param pivot: how a part of a task with a quorum is valued (see :meth:`part_value`): ``0`` the
        task's value over its quorum, ``1`` the value times the chance that this part decides the
        task (a scalar, or one per env of a batch)
    """

    batched = True
    wants_info = True

    def __init__(
        self,
        env: Any,
        name: str,
        allowed: Sequence[str] | None = None,
        team: Sequence[str] | None = None,
        cost_weight: float | None = None,
        pace: bool = True,
        feedback: bool = False,
        ucb: float = 0.0,
        fire_margin: Any = 0.15,
        prior: Any = None,
        pivot: Any = 0.0,
    ):
        w: TeamWorld = env.unwrapped.world
        self.world, self.name = w, name
        names = list(w.worker_names)
        for x in list(allowed or []) + list(team or []):
            if x not in names:
                raise ValueError(f"unknown worker {x!r}; allowed: {', '.join(names)}")
        self.allowed = np.array([allowed is None or x in allowed for x in names])
        if team is not None:
            self.allowed = np.array([x in team for x in names])
        self.team = None if team is None else [names.index(x) for x in team]
        self.cost_weight = w.money_weight if cost_weight is None else cost_weight
        self.pace, self.feedback = pace, feedback
        self.ucb, self.fire_margin = ucb, fire_margin
        self.prior = prior
        self.pivot = pivot

    # -- estimates -------------------------------------------------------------------------------
    def p_hat(self, s: dict[str, np.ndarray]) -> np.ndarray:
        """Estimated success of each worker (and, last, the manager itself) on the current part,
        ``(n, C + 1)``, optimistic by the UCB bonus."""
        w = self.world
        if self.feedback:
            logit = w.expected_logit(s["type"], s["difficulty"], s["successes"], s["trials"], self.prior)
            rows = np.arange(len(logit))
            ucb = np.reshape(np.asarray(self.ucb, np.float64), (-1, 1))  # a scalar or one per env
            logit[:, :-1] += ucb / np.sqrt(1.0 + s["trials"][rows, :, s["type"]])
        else:
            logit = w.published_logit(s["type"], s["difficulty"])
        return _sigmoid(logit)

    def part_value(self, s: dict[str, np.ndarray], p: np.ndarray) -> np.ndarray:
        """What getting the current part right is worth, ``(n,)``.

        Flat (``pivot = 0``): the task's value over its quorum. Pivotal (``pivot = 1``): the task's
        value times the chance that this part decides the task, i.e. that the parts still to come
        bring exactly the successes missing besides this one (each part to come succeeding with the
        best estimated success among the workers it may use). ``pivot`` in between mixes the two.
        """
        w = self.world
        tt = s["type"]
        flat = s["value"] / w.quorum[tt]
        piv = np.reshape(np.asarray(self.pivot, np.float64), -1)
        if not piv.any():
            return flat
        left = w.parts[tt] - s["parts_done"] - 1  # parts after this one
        need = w.quorum[tt] - s["part_successes"] - 1  # successes still needed if this one succeeds
        f = np.clip(np.where(self.allowed, p[:, :-1], 0.0).max(axis=1), 1e-6, 1 - 1e-6)
        kmax = int(w.parts.max())
        r, k = np.clip(left, 0, kmax), np.clip(need, 0, kmax)
        prob = _BINOM[r, k] * f**k * (1 - f) ** (r - k)
        prob = np.where((need < 0) | (need > left), 0.0, prob)
        return (1.0 - piv) * flat + piv * s["value"] * prob

    def _cost_weight(self, s: dict[str, np.ndarray]) -> np.ndarray:
        lam = np.broadcast_to(np.asarray(self.cost_weight, np.float64), len(s["type"])).copy()
        if self.pace:  # (a weight of 0 stays 0)
            even = s["budget"] / self.world.num_tasks
            allowance = s["remaining"] / s["tasks_left"]
            lam = lam * np.maximum(1.0, even / np.maximum(allowance, 1e-12)) ** 2
        return lam

    # -- the decision ------------------------------------------------------------------------------
    def __call__(self, obs: Any, info: dict[str, Any]) -> Any:
        w = self.world
        single = np.ndim(obs) == 1
        s = w.decode(obs)
        mask = np.asarray(info["action_mask"], bool).reshape(len(s["type"]), w.num_actions)
        actions = self.decide(s, mask)
        return int(actions[0]) if single else actions

    def decide(self, s: dict[str, np.ndarray], mask: np.ndarray) -> np.ndarray:
        """Actions for a decoded batch ``s`` under ``mask`` (see the module docstring)."""
        w = self.world
        n, C = len(s["type"]), w.num_workers
        rows = np.arange(n)
        p = self.p_hat(s)
        lam = self._cost_weight(s)
        value = self.part_value(s, p)
        score_w = value[:, None] * p[:, :-1] - lam[:, None] * s["cost"]  # (n, C)
        score_w = np.where(self.allowed, score_w, -np.inf)
        if self.pace:  # keep enough money to go on: never spend below the exhaustion line
            ok = s["cost"] <= (s["remaining"] - 2 * w.min_balance)[:, None]
            score_w = np.where(ok | w.is_local, score_w, -np.inf)
        score_self = value * p[:, -1]

        slot, used = s["slot"], s["used"]
        on_team = slot >= 0
        slot_c = np.where(on_team, slot, 0)
        member = np.where(on_team & ~used, score_w[rows[:, None], slot_c], -np.inf)  # (n, S)
        opt_assign = np.where(mask[:, w.assign_action], member, -np.inf)
        # hiring c makes sense if no unused copy of c is on the team
        unused_copy = np.zeros((n, C), bool)
        unused_copy[rows[:, None], slot_c] |= on_team & ~used
        fee = lam[:, None] * w.hire_fee
        opt_hire = np.where(mask[:, w.hire_action] & ~unused_copy, score_w - fee, -np.inf)
        if self.team is not None:  # static: the fixed team only, hired first
            opt_hire = np.full((n, C), -np.inf)

        j = opt_assign.argmax(axis=1)
        c = opt_hire.argmax(axis=1)
        best_assign, best_hire = opt_assign[rows, j], opt_hire[rows, c]
        best_now = np.maximum(score_self, np.maximum(best_assign, best_hire))
        actions = np.zeros(n, np.int64)  # answer itself
        take_assign = best_assign >= np.maximum(score_self, best_hire)
        actions[take_assign] = w.assign_action[j[take_assign]]
        take_hire = ~take_assign & (best_hire > score_self)
        actions[take_hire] = w.hire_action[c[take_hire]]

        if self.team is not None:
            for c_team in reversed(self.team):  # the first missing member, in order
                missing = ~(slot == c_team).any(axis=1) & mask[:, w.hire_action[c_team]]
                actions[missing] = w.hire_action[c_team]
            return actions

        # an option blocked only by slots or memory: fire the least useful member that unblocks it
        free_mem = s["memory_free"]
        run_blocked = (
            on_team
            & ~used
            & ~mask[:, w.assign_action]
            & w.is_local[slot_c]
            & (w.run_memory[slot_c] > free_mem[:, None])
        )
        blocked_run = np.where(run_blocked, member, -np.inf)
        no_slot = ~np.asarray((slot < 0).any(axis=1))
        hire_blocked = (
            ~mask[:, w.hire_action]
            & ~unused_copy
            & (no_slot[:, None] | (w.is_local & (w.worker_memory > free_mem[:, None])))
        )
        hire_blocked &= (w.hire_fee + s["cost"] <= s["remaining"][:, None]) | w.is_local
        blocked_hire = np.where(hire_blocked, score_w - fee, -np.inf)
        gain = np.maximum(blocked_run.max(axis=1), blocked_hire.max(axis=1)) - best_now
        margin = np.broadcast_to(np.asarray(self.fire_margin, np.float64), n)  # a scalar or one per env
        rows_i = np.flatnonzero(gain > margin)
        if len(rows_i):
            fire = self._unblock(
                rows_i, s, mask, member[rows_i], blocked_run[rows_i], blocked_hire[rows_i], best_now[rows_i]
            )
            hit = fire >= 0
            actions[rows_i[hit]] = w.fire_action[fire[hit]]
        return actions

    def _unblock(self, rows, s, mask, member, blocked_run, blocked_hire, best_now) -> np.ndarray:
        """For each env in ``rows``: the slot to fire so that its best blocked option becomes
        possible, or -1 (``member``, ``blocked_run``, ``blocked_hire`` and ``best_now`` hold those
        rows only).

        An option counts only if firing members that are not busy on this task can make room for
        it (a slot, or enough memory); the option of the highest score wins (the first one on a tie:
        blocked runs by slot, then blocked hires by worker), and only if it beats ``best_now`` by
        more than the fire margin. The least useful member that makes room goes first.
        """
        w = self.world
        S = w.num_slots
        slot, used = s["slot"][rows], s["used"][rows]
        on_team = slot >= 0
        slot_c = np.where(on_team, slot, 0)
        fireable = on_team & ~used & mask[rows][:, w.fire_action]
        local = fireable & w.is_local[slot_c]
        free_mem = s["memory_free"][rows][:, None]
        # members that cannot be afforded any more are the first to go
        cost = np.take_along_axis(s["cost"][rows], slot_c, axis=1)
        broke = on_team & ~w.is_local[slot_c] & (cost > s["remaining"][rows][:, None])
        usefulness = np.where(broke, -np.inf, member)
        local_mem = np.where(local, w.worker_memory[slot_c], 0)
        released = local_mem.sum(axis=1, keepdims=True)  # every idle local member fired
        # a blocked run of slot j: fire idle local members other than j until its run fits
        run_ok = np.isfinite(blocked_run) & (free_mem + (released - local_mem) >= w.run_memory[slot_c])
        # a blocked hire of worker c: room in memory (local members) and, if none is free, a slot
        need = np.where(w.is_local, w.worker_memory + w.run_memory, 0)
        needs_memory = need > free_mem  # (k, C)
        no_slot = ~(slot < 0).any(axis=1, keepdims=True)
        hire_ok = (
            np.isfinite(blocked_hire)
            & (free_mem + released >= need)
            & (
                (needs_memory & local.any(axis=1, keepdims=True))
                | (no_slot & fireable.any(axis=1, keepdims=True))
            )
        )
        scores = np.concatenate(
            [np.where(run_ok, blocked_run, -np.inf), np.where(hire_ok, blocked_hire, -np.inf)], axis=1
        )
        best = scores.argmax(axis=1)
        k = np.arange(len(rows))
        chosen = np.concatenate([run_ok, hire_ok], axis=1)[k, best]
        score = scores[k, best]
        margin = np.broadcast_to(np.asarray(self.fire_margin, np.float64), len(s["type"]))[rows]
        go = chosen & (score - best_now > margin)
        is_run = best < S
        helps = np.where(
            is_run[:, None],
            local & (np.arange(S) != best[:, None]),
            (local & needs_memory[k, np.maximum(best - S, 0)][:, None]) | (no_slot & fireable),
        )
        u = np.where(helps, usefulness, np.inf)
        low = u.min(axis=1)
        fire = np.where(go & (np.isfinite(low) | np.isneginf(low)), u.argmin(axis=1), -1)
        return fire


class Clairvoyant(Router):
    """The clairvoyant bound: a router that knows every worker's true success probability on the
    current task, the stream's hidden skill deviations included (``info["hidden_success"]``, which
    no fair manager reads).

    It plans with the truth as the feedback manager plans with its estimates: each part goes to
    the option of the highest ``value / quorum * p - cost_weight * dollars`` (hiring, firing to
    make room, pacing the money over the stream as :class:`Router` does), with no optimism, since
    nothing is left to learn. It knows the skills but not the future tasks nor the luck of each
    attempt, so it is an upper reference for what learning the skills can buy, and every other
    manager's gap to it is what its estimates and its rules cost. Its cost weight is the scenario's
    ``money_weight`` (what a dollar costs in the reward): on ``hashiru`` weights from 0.25x to 4x
    of it scored no better (1000 streams each).

    :param env: a Team Env or VectorEnv
    :param cost_weight: reward units per dollar in routing (``None``: the scenario's
        ``money_weight``)
    """

    def __init__(self, env: Any, cost_weight: float | None = None, name: str = "clairvoyant"):
        super().__init__(env, name, cost_weight=cost_weight)

    def __call__(self, obs: Any, info: dict[str, Any]) -> Any:
        w = self.world
        single = np.ndim(obs) == 1
        s = w.decode(obs)
        n = len(s["type"])
        s["true_p"] = np.asarray(info["hidden_success"], np.float64).reshape(n, w.num_workers + 1)
        mask = np.asarray(info["action_mask"], bool).reshape(n, w.num_actions)
        actions = self.decide(s, mask)
        return int(actions[0]) if single else actions

    def p_hat(self, s: dict[str, np.ndarray]) -> np.ndarray:
        return s["true_p"]


class BayesRouter(Router):
    """A router whose skill estimates are Bayesian posteriors (a structure for learned managers).

    The scenario says how far a stream's hidden skills stray from the published ones
    (``world.skill_noise``, the std of the deviation in logits): that is the prior. From the
    successes and trials the observation shows for a worker on a task type, the posterior of its
    deviation is computed on a grid of ``grid`` points (the outcomes treated as if at medium
    difficulty: the observation keeps counts, not each task's difficulty), and the success on the
    current task is its posterior mean, plus ``explore`` posterior standard deviations (optimism
    for workers the manager knows little about).

    :param env: a Team Env or VectorEnv
    :param name: shown in reports
    :param explore: posterior standard deviations of optimism (a scalar or one per env)
    :param prior_scale: multiplies the prior's std (a scalar or one per env)
    :param grid: grid points of the deviation (from -4 to 4 prior stds)
    :param kwargs: any other :class:`Router` argument (``cost_weight``, ``fire_margin``, ...)
    """

    def __init__(
        self,
        env: Any,
        name: str = "bayes",
        explore: Any = 0.0,
        prior_scale: Any = 1.0,
        grid: int = 33,
        **kwargs: Any,
    ):
        super().__init__(env, name, feedback=True, **kwargs)
        self.explore, self.prior_scale = explore, prior_scale
        self._z = np.linspace(-4.0, 4.0, int(grid))  # in prior stds

    def p_hat(self, s: dict[str, np.ndarray]) -> np.ndarray:
        w = self.world
        n = len(s["type"])
        rows = np.arange(n)
        tt = s["type"]
        col = lambda x: np.reshape(np.asarray(x, np.float64), (-1, 1, 1))  # noqa: E731
        sigma = max(w.skill_noise, 1e-3) * col(self.prior_scale)
        dev = sigma * self._z  # (n or 1, 1, G)
        succ = s["successes"][rows, :, tt][..., None]  # (n, C, 1)
        tri = s["trials"][rows, :, tt][..., None]
        base = w.skill_logit.T[tt][..., None]  # (n, C, 1): the published skill at medium difficulty
        x = base + dev
        # log-likelihood of the counts, log p = -log(1 + e^-x), log(1 - p) = -log(1 + e^x)
        loglik = -succ * np.logaddexp(0.0, -x) - (tri - succ) * np.logaddexp(0.0, x)
        logpost = loglik - 0.5 * self._z**2
        post = np.exp(logpost - logpost.max(axis=-1, keepdims=True))
        post /= post.sum(axis=-1, keepdims=True)
        logit_now = w.published_logit(tt, s["difficulty"])  # (n, C + 1)
        p = _sigmoid(logit_now[:, :-1, None] + dev)  # (n, C, G)
        mean = (post * p).sum(axis=-1)
        std = np.sqrt(np.maximum((post * p * p).sum(axis=-1) - mean**2, 0.0))
        out = np.empty((n, w.num_workers + 1))
        out[:, :-1] = np.clip(mean + np.reshape(np.asarray(self.explore, np.float64), (-1, 1)) * std, 0, 1)
        out[:, -1] = _sigmoid(logit_now[:, -1])
        return out


class RandomManager:
    """A uniformly random accepted action (the floor every manager should beat).

    :param env: a Team Env or VectorEnv
    :param seed: seed of its generator
    """

    batched = True
    wants_info = True

    def __init__(self, env: Any, seed: int = 0):
        self.world = env.unwrapped.world
        self.rng = np.random.default_rng(seed)
        self.name = "random"

    def __call__(self, obs: Any, info: dict[str, Any]) -> Any:
        single = np.ndim(obs) == 1
        mask = np.asarray(info["action_mask"], bool).reshape(-1, self.world.num_actions)
        u = self.rng.random(mask.shape) * mask
        a = u.argmax(axis=1)
        return int(a[0]) if single else a


def static_team(world: TeamWorld) -> tuple[str, ...]:
    """The team the ``static`` manager hires once: the scenario's ``[managers] static_team``, or,
    if it names none, one chosen from the public catalog. The manager hires its members in order as
    far as the slots and the memory allow (a memory override may leave room for fewer).

    The chosen team fills the slots with the workers of the best published score over the task
    mix, ``sum_k share_k * parts_k * (value_k / quorum_k * skill[c, k] - money_weight * dollars)``
    (``dollars``: a call at the median tokens of type ``k``), best first, skipping a local worker
    that does not fit in memory beside those already chosen, and any worker whose score is not
    positive.

    :param world: the Team world (``env.unwrapped.world``)
    """
    named = tuple(world.scenario["managers"]["static_team"])
    if named:
        return named
    w = world
    dollars = w.median_call_dollars()  # (C, T)
    score = (w.share * w.parts * (w.value / w.quorum * w.skill - w.money_weight * dollars)).sum(axis=1)
    team: list[int] = []
    for c in np.argsort(-score, kind="stable"):
        if len(team) == w.num_slots or score[c] <= 0:
            break
        local = [x for x in [*team, c] if w.is_local[x]]
        # reserved by every local member, plus room to run the largest of them
        if w.worker_memory[local].sum() + w.run_memory[local].max(initial=0) <= w.memory:
            team.append(int(c))
    return tuple(w.worker_names[c] for c in team)


MANAGERS: dict[str, Callable[..., Any]] = {
    "static": lambda env: Router(env, "static", team=static_team(env.unwrapped.world)),
    "local-only": lambda env: Router(env, "local-only", allowed=_kind(env, "local")),
    "cloud-only": lambda env: Router(env, "cloud-only", allowed=_kind(env, "cloud")),
    "no-economy": lambda env: Router(env, "no-economy", cost_weight=0.0, pace=False),
    "greedy": lambda env: Router(env, "greedy"),
    "feedback": lambda env: Router(env, "feedback", feedback=True, ucb=0.5),
    "bayes": lambda env: BayesRouter(env, "bayes", explore=0.5),
    "random": lambda env: RandomManager(env),
    "clairvoyant": lambda env: Clairvoyant(env),
}


def _kind(env: Any, kind: str) -> list[str]:
    w = env.unwrapped.world
    return [x for x, local in zip(w.worker_names, w.is_local, strict=True) if local == (kind == "local")]


def make_managers(env: Any, names: Sequence[str] | None = None) -> dict[str, Any]:
    """The hand-written managers (all, or ``names``), built for ``env``: name -> manager.

    :param env: the Team env the managers read
    :param names: manager names (keys of :data:`MANAGERS`; default: all of them)
    :raises ConfigError: for an unknown name, or a single string for ``names``
    """
    names = list(MANAGERS) if names is None else sequence_of(names, "make_managers: names", "manager names")
    unknown = [x for x in names if x not in MANAGERS]
    if unknown:
        raise ConfigError(f"make_managers: unknown manager(s) {unknown}; allowed: {', '.join(MANAGERS)}")
    return {x: MANAGERS[x](env) for x in names}
