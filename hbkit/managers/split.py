"""Managers for ``hbkit/Split-v0``: the water-filling oracle and the feedback learners.

Every round a manager splits the round's budget ``B`` across ``K`` agents; agent ``i`` turns an
allocation ``x_i`` into output ``f_i(x_i) = a_i * log(1 + x_i / c_i)`` plus noise. The scale
``c_i`` is public (how much budget before the agent's returns start to flatten), the productivity
``a_i`` is hidden and may drift, so a manager has to learn it from the outputs it sees.

The oracle
----------
:func:`water_fill` is the best split when the productivities are known (closed form, derived in
its docstring; it lives with the world's math in :mod:`hbkit.sim.split` and is re-exported here).
The environment scores every round against it: the *regret* of a round is the
oracle's expected output minus the expected output of the split that was played.

The learners
------------
All learners are *memoryless*: everything they need is in the observation, which holds the last
round's shares and outputs and the environment's running least-squares estimate of every agent's
productivity with its uncertainty (see :class:`hbkit.envs.split.SplitEnv`). So they are batched
(one call acts for thousands of episodes), need no ``reset()`` and work with any autoreset mode.

==================  ================================================================================
name                rule
==================  ================================================================================
``equal``           the same share for every agent, always (the baseline)
``follow-last``     shares proportional to each agent's output in the last round
``greedy``          water-fill on the current estimates (no exploration)
``ucb``             water-fill on optimistic estimates ``estimate + beta * noise * uncertainty``
``thompson``        water-fill on a sample ``estimate + noise * uncertainty * z`` (``z`` standard
                    normal), a draw from the posterior of a Gaussian model
``exp-grad``        exponentiated gradient: multiply each share by ``exp(eta * (g_i / g_mean - 1))``
                    where ``g_i`` is the estimated marginal return ``estimate_i / (c_i + x_i)``
``oracle``          water-fill on the true productivities (reads ``info["productivity"]``; the
                    yardstick, not a learner)
==================  ================================================================================

>>> import gymnasium as gym, hbkit
>>> from hbkit.managers import available
>>> env = gym.make("hbkit/Split-v0", scenario="classroom")
>>> ucb = available("hbkit/Split-v0")["ucb"](env)
>>> obs, info = env.reset(seed=0)
>>> env.action_space.contains(ucb(obs))
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from hbkit.errors import ConfigError, sequence_of
from hbkit.sim.split import split_value, water_fill

__all__ = [
    "water_fill",
    "split_value",
    "SplitManager",
    "Equal",
    "FollowLast",
    "Greedy",
    "UCB",
    "Thompson",
    "ExpGrad",
    "Oracle",
    "MANAGERS",
    "LEARNERS",
]

#: Estimates are floored at this share of the prior mean before water-filling (water-filling needs
#: positive productivities; a noisy estimate can dip below zero).
_FLOOR = 1e-3


# ----------------------------------------------------------------------------------------------
# Managers
# ----------------------------------------------------------------------------------------------


class SplitManager:
    """Base class: turns desired shares into an action of the env it was built for.

    Subclasses implement :meth:`shares` (a batch of observations -> a batch of shares over the
    ``K`` agents). Only public facts of the world are used: the agents' scales, the noise level
    of the measurements, the largest per-round budget, the action's softmax gain and the
    divisions. In a two-level scenario the desired shares are turned into the division split (and,
    with ``division_rule = "policy"``, the split inside each division) by
    :meth:`hbkit.sim.split.SplitWorld.action_from_shares`.

    :param env: a Split Env or VectorEnv (or anything with ``.unwrapped.world``)
    """

    batched = True
    name = "manager"

    def __init__(self, env: Any):
        world = env.unwrapped.world
        self.world = world
        self.num_agents = world.num_agents
        self.scale = world.scale
        self.noise = world.noise
        self.max_budget = world.max_budget
        self.prior_mean = world.prior_mean
        self.index = world.obs_index

    # the pieces of an observation ------------------------------------------------------
    def _part(self, obs: np.ndarray, key: str) -> np.ndarray:
        return obs[:, self.index[key]].astype(np.float64)

    def budget(self, obs: np.ndarray) -> np.ndarray:
        """This round's budget, shape ``(N,)``."""
        return obs[:, self.index["budget"]].astype(np.float64) * self.max_budget

    def first_round(self, obs: np.ndarray) -> np.ndarray:
        """Which rows are at the start of an episode (no feedback yet)."""
        return obs[:, self.index["round"]] == 0

    def shares(self, obs: np.ndarray) -> np.ndarray:
        """Desired shares, shape ``(N, K)``, rows summing to 1."""
        raise NotImplementedError

    def __call__(self, obs: Any) -> np.ndarray:
        obs = np.asarray(obs)
        single = obs.ndim == 1
        action = self.world.action_from_shares(self.shares(np.atleast_2d(obs)))
        return action[0] if single else action

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Equal(SplitManager):
    """The same share for every agent, every round (it ignores all feedback)."""

    name = "equal"

    def shares(self, obs: np.ndarray) -> np.ndarray:
        return np.full((len(obs), self.num_agents), 1.0 / self.num_agents)


class FollowLast(SplitManager):
    """Shares proportional to each agent's output in the last round (equal in the first round).

    A natural but naive rule: whoever got more produced more, so it gets more again. It ignores
    diminishing returns and can lock in on its own earlier choices.

    :param floor: share of the mean output added to every agent, so nobody drops to zero
    """

    name = "follow-last"

    def __init__(self, env: Any, floor: float = 0.05):
        super().__init__(env)
        self.floor = float(floor)

    def shares(self, obs: np.ndarray) -> np.ndarray:
        y = np.maximum(self._part(obs, "output"), 0.0)
        y += self.floor * y.mean(axis=1, keepdims=True) + 1e-12
        s = y / y.sum(axis=1, keepdims=True)
        s[self.first_round(obs)] = 1.0 / self.num_agents
        return s


class _WaterFiller(SplitManager):
    """Water-fill the round's budget on some productivity guess (:meth:`guess`)."""

    def guess(self, obs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def shares(self, obs: np.ndarray) -> np.ndarray:
        a = np.maximum(self.guess(obs), _FLOOR * self.prior_mean)
        b = self.budget(obs)
        return water_fill(a, self.scale, b) / b[:, None]


class Greedy(_WaterFiller):
    """Estimate, then water-fill on the estimates as if they were true (no exploration).

    With little noise this is nearly optimal after one round. With more noise, an agent that
    looked weak early gets nothing, so its estimate never improves: the reason to explore.
    """

    name = "greedy"

    def guess(self, obs: np.ndarray) -> np.ndarray:
        return self._part(obs, "estimate")


class UCB(_WaterFiller):
    """Optimism in the face of uncertainty: water-fill on ``estimate + beta * sd``.

    ``sd = noise * uncertainty`` is the standard deviation of the least-squares estimate (the
    observation's ``uncertainty`` is ``1 / sqrt(evidence)``). Agents we know little about look
    better than their estimate, so they get budget until we know better.

    :param beta: how optimistic (``0`` is :class:`Greedy`)
    """

    name = "ucb"

    def __init__(self, env: Any, beta: float = 2.0):
        super().__init__(env)
        if not beta >= 0:
            raise ValueError(f"beta={beta!r} is out of range; allowed: beta >= 0")
        self.beta = float(beta)

    def guess(self, obs: np.ndarray) -> np.ndarray:
        sd = self.noise * self._part(obs, "uncertainty")
        return self._part(obs, "estimate") + self.beta * sd


class Thompson(_WaterFiller):
    """Thompson-style sampling: water-fill on one draw ``estimate + sd * z`` per round.

    For a Gaussian model with known noise the least-squares estimate and ``sd`` are the mean and
    standard deviation of the posterior, so the draw is a plausible world; acting as if it were
    true explores exactly as much as the uncertainty warrants.

    :param seed: seed of the manager's own random generator
    """

    name = "thompson"

    def __init__(self, env: Any, seed: int = 0):
        super().__init__(env)
        self.rng = np.random.default_rng([int(seed), 0x7501])

    def guess(self, obs: np.ndarray) -> np.ndarray:
        est = self._part(obs, "estimate")
        sd = self.noise * self._part(obs, "uncertainty")
        return est + sd * self.rng.standard_normal(est.shape)


class ExpGrad(SplitManager):
    """Exponentiated gradient (mirror ascent on the simplex) on the estimated marginal returns.

    Each round every share is multiplied by ``exp(eta * (g_i / g_mean - 1))`` and the shares are
    renormalised, where ``g_i = estimate_i / (c_i + x_i)`` is agent ``i``'s estimated marginal
    return at its last allocation and ``g_mean = sum_i s_i g_i``. Budget flows towards agents whose
    next unit is worth more than average; at the water-filling split all active agents have the same
    marginal return and the shares stop moving. The first round is an equal split.

    :param eta: step size
    """

    name = "exp-grad"

    def __init__(self, env: Any, eta: float = 1.0):
        super().__init__(env)
        if not eta > 0:
            raise ValueError(f"eta={eta!r} is out of range; allowed: eta > 0")
        self.eta = float(eta)

    def shares(self, obs: np.ndarray) -> np.ndarray:
        s = np.maximum(self._part(obs, "shares"), 1e-12)
        s /= s.sum(axis=1, keepdims=True)
        est = np.maximum(self._part(obs, "estimate"), _FLOOR * self.prior_mean)
        x = s * self.budget(obs)[:, None]
        grad = est / (self.scale + x)
        rel = grad / np.sum(s * grad, axis=1, keepdims=True)
        logits = np.log(s) + self.eta * (rel - 1.0)
        logits -= logits.max(axis=1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(axis=1, keepdims=True)
        w[self.first_round(obs)] = 1.0 / self.num_agents
        return w


class Oracle(SplitManager):
    """Water-fill on the true productivities of the coming round (the yardstick of regret).

    It reads ``info["productivity"]`` (set ``wants_info``), which a learner must never do. In a
    two-level scenario it sets the division split of the overall optimum; whether the divisions
    then reach it depends on their rule.
    """

    name = "oracle"
    wants_info = True

    def shares(self, obs: np.ndarray, info: dict[str, Any] | None = None) -> np.ndarray:
        if info is None or "productivity" not in info:
            raise ValueError("the oracle needs the env's info dict: call manager(obs, info)")
        a = np.atleast_2d(np.asarray(info["productivity"], dtype=np.float64))
        b = self.budget(obs)
        return water_fill(a, self.scale, b) / b[:, None]

    def __call__(self, obs: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        obs = np.asarray(obs)
        single = obs.ndim == 1
        action = self.world.action_from_shares(self.shares(np.atleast_2d(obs), info))
        return action[0] if single else action


#: The learners compared in the benchmark and the notebooks (name -> factory).
LEARNERS: dict[str, Callable[[Any], SplitManager]] = {
    "equal": Equal,
    "follow-last": FollowLast,
    "greedy": Greedy,
    "ucb": UCB,
    "thompson": Thompson,
    "exp-grad": ExpGrad,
}

#: Every hand-written manager (name -> factory(env) -> manager), as :func:`hbkit.managers.available`
#: returns them.
MANAGERS: dict[str, Callable[[Any], SplitManager]] = {**LEARNERS, "oracle": Oracle}


def run_managers(
    names: Any = None,
    scenario: Any = "classroom",
    episodes: int = 32,
    seed: int = 0,
    budget: float | None = None,
    record: bool = False,
    **env_kwargs: Any,
) -> dict[str, dict[str, np.ndarray]]:
    """Run managers on the same episodes (the same seed gives the same worlds) and keep the raw
    per-episode arrays, for figures.

    Unlike :func:`hbkit.evaluate.compare` (which returns :func:`hbkit.evaluate.evaluate` reports), this
    keeps every episode, so a figure can show spreads and tails, and it is fast enough to re-run whenever a
    slider moves (a few dozen episodes of every learner take some tens of milliseconds).

    :param names: manager names (default: every learner and the oracle)
    :param scenario: scenario name, path or loaded scenario
    :param episodes: episodes per manager, run batched on one VectorEnv
    :param seed: seeds the episodes and the managers' own randomness
    :param budget: per-round budget (``None``: the scenario's)
    :param record: also keep ``shares``, ``productivity`` and ``oracle_shares`` per round
    :param env_kwargs: passed to the env (``noise=``, ``drift=``, ``rounds=`` ...)
    :return: name -> ``{"regret": (episodes, rounds), "reward": (episodes,)}`` plus, with
        ``record``, ``shares`` and ``oracle_shares`` (``(episodes, rounds, K)``) and
        ``productivity`` (the true productivities of every round)
    """
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    names = list(MANAGERS) if names is None else sequence_of(names, "run_managers: names", "manager names")
    unknown = [n for n in names if n not in MANAGERS]
    if unknown:
        raise ConfigError(f"run_managers: unknown manager {unknown[0]!r}; allowed: {', '.join(MANAGERS)}")
    e, m = int(episodes), len(names)
    # every manager gets its own block of `episodes` envs; block j faces the same worlds as block 0
    vec = gym.make_vec(
        "hbkit/Split-v0",
        num_envs=e * m,
        vectorization_mode="vector_entry_point",
        autoreset_mode=AutoresetMode.DISABLED,
        scenario=scenario,
        **env_kwargs,
    )
    world = vec.unwrapped.world  # type: ignore[attr-defined]  # a SplitVectorEnv
    managers = []
    for name in names:
        factory = MANAGERS[name]
        managers.append(factory(vec, seed=seed) if factory is Thompson else factory(vec))
    worlds = np.tile(np.arange(e) + 1_000_003 * int(seed), m)
    obs, info = vec.reset(seed=int(seed), options={"budget": budget, "world_seed": worlds})
    blocks = [slice(j * e, (j + 1) * e) for j in range(m)]
    reward = np.zeros(e * m)
    rows: dict[str, list[np.ndarray]] = {"shares": [], "productivity": [], "oracle_shares": []}
    shares = np.zeros((e * m, world.num_agents))
    for _ in range(world.rounds):
        if record:
            a = np.asarray(info["productivity"])
            b = np.asarray(info["budget"])
            rows["productivity"].append(a)
            rows["oracle_shares"].append(water_fill(a, world.scale, b) / b[:, None])
        # every manager says what shares it wants; one call turns them all into actions
        for manager, block in zip(managers, blocks, strict=True):
            if getattr(manager, "wants_info", False):
                shares[block] = manager.shares(  # type: ignore[call-arg]  # managers that want info take it
                    obs[block], {"productivity": info["productivity"][block]}
                )
            else:
                shares[block] = manager.shares(obs[block])
        obs, r, _, _, info = vec.step(world.action_from_shares(shares))
        reward += r
        if record:
            rows["shares"].append(np.asarray(info["allocation"]) / np.asarray(info["budget"])[:, None])
    regret = np.asarray(info["regret_curve"])
    recorded = {k: np.stack(v, axis=1) for k, v in rows.items()} if record else {}
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, block in zip(names, blocks, strict=True):
        out[name] = {
            "regret": regret[block],
            "reward": reward[block],
            **{k: v[block] for k, v in recorded.items()},
        }
    vec.close()
    return out
