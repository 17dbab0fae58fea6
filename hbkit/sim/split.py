"""The Split world: a manager splits each round's budget across agents and learns from outputs.

This module is the only home of the world's math. It is plain, batched NumPy: one
:class:`SplitWorld` holds the constants of a scenario and one :class:`SplitBatch` holds the state of
any number of episodes, stepped in lockstep. :class:`hbkit.envs.split.SplitEnv` (a batch of one,
stepped in plain floats by :meth:`SplitBatch.step_one`) and :class:`hbkit.envs.split.SplitVectorEnv`
(a batch of thousands) are thin layers over it. The best split for known productivities
(:func:`water_fill`, the oracle) and the value of a split (:func:`split_value`) live here too.

The model
---------
There are ``K`` agents. In round ``t`` the manager allocates ``x_i >= 0`` with ``sum_i x_i = B``
(the round's budget), and agent ``i`` returns

    y_i = a_i(t) * log(1 + x_i / c_i) + sigma * eps_i(t)

* ``c_i`` (``agents.scale``) is public: the allocation at which the agent's returns start to
  flatten (the first unit earns ``a_i / c_i``, the unit after ``c_i`` earns half of that);
* ``a_i(t)`` (productivity) is hidden. Each episode draws ``a_i(0) = p_i * exp(spread * z_i)``
  from the scenario's typical productivities ``p`` (shuffled across agents when ``shuffle`` is
  on, so no fixed split is good for every episode), then lets it drift as a mean-reverting random
  walk in log space: ``log a(t+1) = log a(t) + reversion * (log a(0) - log a(t)) + drift * z``.
  Each round's productivity is then clipped to ``[min(p) / 20, max(p) * 20]`` (the walk itself
  is not: it is a linear recursion, computed for all rounds at once).
* ``eps`` is standard normal noise, truncated at four standard deviations (measurement error: an
  agent that got almost nothing can read slightly below zero).

Everything exogenous (the noise and the normals of the drift) is drawn at reset, in the same order
for one episode and for thousands. The productivity of a round and the oracle's output for it are
computed when the round is played (:meth:`SplitBatch.step`): a step costs a handful of array
operations over the batch whatever the number of rounds, and a reset costs little more than its
draws.

The manager's ledger
--------------------
The observation carries what a manager could keep in a notebook: the last round's shares and
outputs and, per agent, a discounted least-squares fit of ``y = a * g`` with ``g = log(1 + x/c)``:

    S_gg <- memory * S_gg + (1 - memory) * w + g^2
    S_gy <- memory * S_gy + (1 - memory) * w * m + g * y
    estimate = S_gy / S_gg,   uncertainty = 1 / sqrt(S_gg)

starting from ``S_gg = w``, ``S_gy = w * m``: the prior. ``m`` is the mean of the typical
productivities (before any feedback every agent looks average) and ``w = sigma^2 / tau^2`` makes
it a Gaussian prior with standard deviation ``tau`` (``world.prior_sd``). ``memory < 1`` forgets old rounds,
which tracks drift; the prior term keeps ``S_gg >= w`` so the uncertainty stays bounded. With
Gaussian noise of known ``sigma`` the estimate's standard deviation is ``sigma * uncertainty``.

Two levels
----------
With ``[[divisions]]`` the agents are grouped. The manager's action splits the budget across
divisions; each division splits its part across its members by ``world.division_rule``:
``"equal"``, ``"estimate"`` (water-fill on the ledger's estimates: a greedy division head),
``"oracle"`` (water-fill on the true productivities: a perfect division head) or ``"policy"``
(a second set of action entries, one per agent, softmaxed within each division). Regret is always
measured against the best flat split of the whole budget, so it shows what the hierarchy costs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import compress
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from hbkit.schema import Choice, Flag, Int, ListOf, Real, Section, Text, WorldSchema, fail

__all__ = [
    "SCHEMA",
    "DIVISION_RULES",
    "SplitWorld",
    "SplitBatch",
    "EpisodeOne",
    "water_fill",
    "split_value",
]

#: How a division splits its budget across its members.
DIVISION_RULES = ("equal", "estimate", "oracle", "policy")

#: Productivities stay within this factor of the scenario's range.
RANGE_FACTOR = 20.0
#: The smallest per-round budget (in the scenario or a reset option). The math is exact far below
#: it (see :func:`water_fill`), but a budget near the smallest float cannot be split in floats.
MIN_BUDGET = 1e-6
#: Noise is truncated at this many standard deviations.
NOISE_CLIP = 4.0
#: The drift's normals of a stationary world (none).
_NO_STEPS = np.zeros((0, 0))


# ----------------------------------------------------------------------------------------------
# The oracle: the best split for known productivities
# ----------------------------------------------------------------------------------------------

#: From this many problems on, :func:`water_fill` works agent by agent over rows of problems.
_LARGE = 2048


def water_fill(productivity: Any, scale: Any, budget: Any) -> np.ndarray:
    """The best split of ``budget`` for known productivities (batched over leading dimensions).

    **Problem.** Maximise the total output ``F(x) = sum_i a_i * log(1 + x_i / c_i)`` over
    allocations ``x_i >= 0`` with ``sum_i x_i = B`` (``a_i > 0`` productivity, ``c_i > 0`` scale).

    **Derivation.** Each ``f_i`` is concave, so the Karush-Kuhn-Tucker conditions are necessary and
    sufficient. With a multiplier ``lam`` for the budget, the marginal return of every agent that
    gets something equals ``lam``, and no agent left out would earn more than ``lam``::

        f_i'(x_i) = a_i / (c_i + x_i) = lam   if x_i > 0
        f_i'(0)   = a_i / c_i        <= lam   if x_i = 0

    Solving the first line gives ``x_i = a_i / lam - c_i``; with the second,
    ``x_i = max(0, a_i / lam - c_i)`` ("equal marginal returns"). Picture a vessel per agent whose
    floor sits at height ``c_i / a_i``: pouring the budget in to a common *water level*
    ``1 / lam`` fills vessel ``i`` with ``a_i * (1/lam - c_i/a_i)``, and vessels whose floor lies
    above the level stay dry. Hence the name.

    **Closed form.** Sort the agents by ``r_i = a_i / c_i`` (the marginal return of their first
    unit), best first. If the best ``m`` agents are active, the budget constraint gives

        1 / lam = (B + C_m) / A_m,   A_m = sum of their a_i,   C_m = sum of their c_i.

    Agent ``m`` is active exactly when ``r_m > lam_m = A_m / (B + C_m)``. Because ``lam_{m+1}`` is
    a mediant of ``lam_m`` and ``r_{m+1}``, the agents that pass this test form a prefix of the
    sorted order: the active set is the longest such prefix, and no iteration is needed. The
    best total output is ``sum over active i of a_i * log(a_i / (lam * c_i))``.

    **Exact in floating point.** Written as above, both the test and ``x_i = a_i / lam - c_i``
    subtract numbers of the size of ``c`` to get a number of the size of ``B``, which loses all
    precision when ``B`` is tiny next to the scales (a budget of 1e-12 with scales near 1). The
    code uses the same formulas rearranged so that nothing cancels: agent ``j`` is active when

        r_j * B > sum_i c_i * max(r_i - r_j, 0)        (that is, r_j * (B + C_j) > A_j)

    (the prefix ending at ``j`` is the set of agents with ``r_i >= r_j``, so no sort is needed,
    only a ``K x K`` comparison), and an active agent gets

        x_i = c_i * (r_i * B + sum over active j of c_j * (r_i - r_j)) / A,

    which is ``a_i * (B + C) / A - c_i`` expanded. The result is rescaled to spend ``B`` to the
    last rounding error; the agent with the best ``r`` is always active.

    Productivities ``a_i <= 0`` are treated as a negligible positive value (``1e-12``): such an
    agent only receives budget if every agent is that unproductive.

    :param productivity: ``a``, shape ``(..., K)``
    :param scale: ``c``, shape ``(K,)`` or broadcastable to ``a``
    :param budget: ``B > 0``, a scalar or shape ``(...)`` (broadcast against ``a.shape[:-1]``)
    :return: allocations ``x``, float64, same shape as ``a``, each row summing to its budget (up to
        rounding)
    """
    a = np.maximum(np.asarray(productivity, dtype=np.float64), 1e-12)
    c = np.broadcast_to(np.asarray(scale, dtype=np.float64), a.shape)
    if a.size >= _LARGE * a.shape[-1]:
        return _water_fill_rows(a, c, budget)
    b = np.asarray(budget, dtype=np.float64)[..., None]
    r = a / c
    diff = r[..., :, None] - r[..., None, :]  # diff[..., i, j] = r_i - r_j
    # gap[..., j] = sum_i c_i * max(r_i - r_j, 0) = A_j - r_j * C_j over j's prefix
    gap = (c[..., None, :] @ np.maximum(diff, 0.0))[..., 0, :]
    active = (r * b > gap) | (r == r.max(axis=-1, keepdims=True))
    ca = c * active
    total_a = (a * active).sum(axis=-1, keepdims=True)
    x = c * (r * b + (diff @ ca[..., None])[..., 0]) / total_a
    return _spend_exactly(np.maximum(x, 0.0) * active, r, b)


def _spend_exactly(x: np.ndarray, r: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rescale allocations ``(..., K)`` so that each row sums to its budget ``b`` ``(..., 1)``; a
    row whose allocations all rounded to zero (a budget below the smallest float's reach) gives
    everything to its best agents."""
    total = x.sum(axis=-1, keepdims=True)
    empty = total <= 0.0
    if empty.any():
        best = (r == r.max(axis=-1, keepdims=True)) & empty
        x = np.where(empty, best * 1.0, x)
        total = np.where(empty, best.sum(axis=-1, keepdims=True), total)
    x *= b / total
    return x


def _water_fill_rows(a: np.ndarray, c: np.ndarray, budget: Any) -> np.ndarray:
    """:func:`water_fill` for many problems at once: the same formulas, with the ``K x K``
    comparison done one agent at a time over agent-major rows ``(K, N)`` (contiguous memory, no
    tiny matrix products)."""
    shape, k = a.shape, a.shape[-1]
    b = np.broadcast_to(np.asarray(budget, dtype=np.float64), shape[:-1]).reshape(-1)
    a_t = np.ascontiguousarray(a.reshape(-1, k).T)
    c_t = np.ascontiguousarray(c.reshape(-1, k).T)
    r = a_t / c_t
    rb = r * b
    best = r.max(axis=0)
    active = np.empty(a_t.shape, dtype=bool)
    work = np.empty(a_t.shape)
    for j in range(k):
        np.maximum(np.subtract(r, r[j], out=work), 0.0, out=work)
        gap = np.einsum("kn,kn->n", c_t, work)  # sum_i c_i * max(r_i - r_j, 0)
        np.greater(rb[j], gap, out=active[j])
    active |= r == best
    ca = c_t * active
    total_a = np.einsum("kn,kn->n", a_t, active)
    x = np.empty(a_t.shape)
    for i in range(k):  # sum over active j of c_j * (r_i - r_j): differences of near-equals are exact
        x[i] = np.einsum("kn,kn->n", ca, np.subtract(r[i], r, out=work))
    x += rb
    x *= c_t
    x /= total_a
    np.maximum(x, 0.0, out=x)
    x *= active
    out = _spend_exactly(x.T, r.T, b[:, None])
    return out.reshape(shape)


def split_value(productivity: Any, scale: Any, allocation: Any) -> np.ndarray:
    """Expected total output ``sum_i a_i * log(1 + x_i / c_i)`` of allocations (batched).

    :return: float64 array of shape ``allocation.shape[:-1]``
    """
    a = np.asarray(productivity, dtype=np.float64)
    x = np.asarray(allocation, dtype=np.float64)
    return (a * np.log1p(x / np.asarray(scale, dtype=np.float64))).sum(axis=-1)


class _World(Section):
    rounds: Int(1, 10_000) = Field(description="rounds per episode")
    budget: Real(MIN_BUDGET, 1e9) = Field(description="budget per round (e.g. hours)")
    max_budget: Real(MIN_BUDGET, 1e9) = Field(
        description="largest per-round budget a reset option may ask for"
    )
    noise: Real(0.0, 1e6) = Field(description="sigma: standard deviation of each output's noise")
    drift: Real(0.0, 2.0) = Field(0.0, description="sd of log productivity's step per round")
    reversion: Real(0.0, 1.0) = Field(0.0, description="pull towards the starting level per round")
    memory: Real(0.0, 1.0, open_low=True) = Field(
        1.0, description="discount of old rounds in the observation's estimates"
    )
    prior_sd: Real(0.0, 1e6, open_low=True) = Field(
        description="tau: how far a productivity may lie from the prior mean"
    )
    share_gain: Real(0.0, 20.0, open_low=True) = Field(
        3.0, description="shares = softmax(share_gain * action)"
    )
    division_rule: Choice(DIVISION_RULES) = "equal"


class _Agents(Section):
    same_length: ClassVar[dict[str, str]] = {"productivity": "names", "scale": "names"}
    names: ListOf(Text, max_len=64)
    productivity: ListOf(Real(0.0, 1e6, open_low=True)) = Field(
        description="typical a_i (hidden from the manager)"
    )
    scale: ListOf(Real(0.0, 1e9, open_low=True)) = Field(description="c_i (public)")
    spread: Real(0.0, 3.0) = Field(0.0, description="sd of log a_i(0) around its typical value")
    shuffle: Flag = Field(False, description="permute the productivities across agents per episode")


class _Division(Section):
    name: Text
    members: ListOf(Text, max_len=64)


class _PPO(Section):
    timesteps: Int(1, 1e9) = 100_000
    n_envs: Int(1, 256) = 8
    n_steps: Int(2, 1e6) = 256
    batch_size: Int(2, 1e6) = 256
    n_epochs: Int(1, 100) = 10
    learning_rate: Real(0.0, 1.0, open_low=True) = 3e-4
    gamma: Real(0.0, 1.0) = 0.9
    gae_lambda: Real(0.0, 1.0) = 0.95
    ent_coef: Real(0.0, 1.0) = 0.0
    log_std_init: Real(-10.0, 2.0) = -0.5
    hidden: ListOf(Int(1, 4096), max_len=4) = [64, 64]


class SplitSchema(WorldSchema):
    """A Split scenario file (every section but ``[scenario]``)."""

    world: _World
    agents: _Agents
    divisions: ListOf(_Division, min_len=0) = []
    ppo: _PPO = _PPO()

    def check(self, data: dict[str, Any]) -> None:
        w, ag, divs = data["world"], data["agents"], data["divisions"]
        if w["budget"] > w["max_budget"]:
            raise fail(
                "world.budget",
                f"{w['budget']} is above max_budget={w['max_budget']}",
                f"{MIN_BUDGET:g} <= budget <= world.max_budget",
            )
        names = ag["names"]
        for i, n in enumerate(names):
            if names.index(n) != i:
                raise fail(f"agents.names[{i}]", f"{n!r} appears twice", "distinct names")
        if not divs:
            return
        if len(divs) == 1:
            raise fail("divisions", "has 1 entry", "no [[divisions]] (one level) or at least 2 divisions")
        seen: dict[str, str] = {}
        dnames: list[str] = []
        for d, div in enumerate(divs):
            if div["name"] in dnames:
                raise fail(
                    f"divisions[{d}].name", f"{div['name']!r} appears twice", "distinct division names"
                )
            dnames.append(div["name"])
            for j, member in enumerate(div["members"]):
                where = f"divisions[{d}].members[{j}]"
                if member not in names:
                    raise fail(
                        where, f"{member!r} is not an agent", "one of agents.names: " + ", ".join(names)
                    )
                if member in seen:
                    raise fail(
                        where,
                        f"{member!r} is already in division {seen[member]!r}",
                        "each agent in exactly one division",
                    )
                seen[member] = div["name"]
        missing = [n for n in names if n not in seen]
        if missing:
            raise fail(
                "divisions", f"agent {missing[0]!r} is in no division", "each agent in exactly one division"
            )


#: The schema of a Split scenario file.
SCHEMA = SplitSchema


class SplitWorld:
    """The constants of one Split scenario, and the batched functions over them.

    :param scenario: a validated :class:`hbkit.scenarios.Scenario` for ``hbkit/Split-v0``

    Public facts a manager may use: ``names``, ``num_agents``, ``scale``, ``noise``,
    ``max_budget``, ``prior_mean``, ``share_gain``, ``divisions``, ``obs_index`` and
    :meth:`action_from_shares`. The typical productivities (``productivity``) are the world's
    hidden truth.
    """

    def __init__(self, scenario: Any):
        w, ag = scenario["world"], scenario["agents"]
        self.scenario = scenario
        self.rounds: int = w["rounds"]
        self.budget: float = w["budget"]
        self.max_budget: float = w["max_budget"]
        self.noise: float = w["noise"]
        self.drift: float = w["drift"]
        self.reversion: float = w["reversion"]
        self.memory: float = w["memory"]
        self.prior_sd: float = w["prior_sd"]
        # the prior's weight in the ledger: a Gaussian prior N(m, tau^2) is worth sigma^2 / tau^2
        # units of evidence (g^2); sigma is floored so that a noise-free world still has a prior
        self.prior_weight = max(self.noise, 1e-6) ** 2 / self.prior_sd**2
        self.share_gain: float = w["share_gain"]
        self.division_rule = w["division_rule"]
        self.names: tuple[str, ...] = tuple(ag["names"])
        self.num_agents = k = len(self.names)
        self.productivity = np.asarray(ag["productivity"], dtype=np.float64)
        self.scale = np.asarray(ag["scale"], dtype=np.float64)
        self.spread: float = ag["spread"]
        self.shuffle: bool = ag["shuffle"]
        self.stationary = self.drift == 0.0
        self.prior_mean = float(self.productivity.mean())
        self.a_low = float(self.productivity.min() / RANGE_FACTOR)
        self.a_high = float(self.productivity.max() * RANGE_FACTOR)

        # two levels
        divs = scenario["divisions"]
        self.divisions: tuple[tuple[str, tuple[int, ...]], ...] = tuple(
            (d["name"], tuple(self.names.index(m) for m in d["members"])) for d in divs
        )
        self.num_divisions = len(self.divisions)
        self.hierarchical = self.num_divisions > 0
        self.division_of = np.zeros(k, np.int64)
        for d, (_, members) in enumerate(self.divisions):
            self.division_of[list(members)] = d
        self.membership = np.zeros((k, max(self.num_divisions, 1)))
        self.membership[np.arange(k), self.division_of] = 1.0
        if not self.hierarchical:
            self.action_dim = k
        elif self.division_rule == "policy":
            self.action_dim = self.num_divisions + k
        else:
            self.action_dim = self.num_divisions
        self._ones_k = np.ones(k)

        # the observation: [round/T, budget left/initial, budget/max_budget, shares, outputs,
        # estimates, uncertainties]
        self.feature_names: tuple[str, ...] = ("round", "budget_left", "budget") + tuple(
            f"{part}:{n}" for part in ("share", "output", "estimate", "uncertainty") for n in self.names
        )
        self.obs_dim = 3 + 4 * k
        self.obs_index: dict[str, Any] = {
            "round": 0,
            "budget_left": 1,
            "budget": 2,
            "shares": slice(3, 3 + k),
            "output": slice(3 + k, 3 + 2 * k),
            "estimate": slice(3 + 2 * k, 3 + 3 * k),
            "uncertainty": slice(3 + 3 * k, 3 + 4 * k),
        }
        # Bounds that hold by construction (see the module docstring), with a margin for rounding.
        g_max = math.log1p(self.max_budget / float(self.scale.min()))
        e_max = NOISE_CLIP * self.noise
        y_high = self.a_high * g_max + e_max
        # |sum w g e| / (prior + sum w g^2) <= e_max * sqrt(sum w) / (2 sqrt(prior))
        span = 1.0 / (1.0 - self.memory) if self.memory < 1.0 else float(self.rounds)
        est_pad = e_max * math.sqrt(min(span, self.rounds)) / (2.0 * math.sqrt(self.prior_weight))
        lo = np.zeros(self.obs_dim)
        hi = np.ones(self.obs_dim)
        ix = self.obs_index
        lo[ix["output"]], hi[ix["output"]] = -e_max, y_high
        lo[ix["estimate"]], hi[ix["estimate"]] = -est_pad, self.a_high + est_pad
        hi[ix["uncertainty"]] = 1.0 / math.sqrt(self.prior_weight)
        self.obs_low = (lo - 1e-3 * np.abs(lo) - 1e-3).astype(np.float32)
        self.obs_high = (hi + 1e-3 * np.abs(hi) + 1e-3).astype(np.float32)
        self.obs_low[:3] = 0.0
        self.obs_high[:3] = 1.0
        self.obs_low[ix["shares"]] = 0.0
        self.obs_high[ix["shares"]] = 1.0
        # round/T and budget left, per round (the budget column is filled per episode)
        t = np.arange(self.rounds + 1, dtype=np.float64)
        self.header = np.stack([t / self.rounds, 1.0 - t / self.rounds], axis=1)
        self.header_rows: tuple[tuple[float, float], ...] = tuple(map(tuple, self.header.tolist()))
        # the drift's walk in log space (productivity_path, SplitBatch.step): keep * previous + pull
        self.keep = 1.0 - self.reversion
        self.log_low, self.log_high = math.log(self.a_low), math.log(self.a_high)
        # the oracle's constants (oracle_output): scales as a column and their sum
        self.scale_col = self.scale[:, None]
        self.scale_list: tuple[float, ...] = tuple(self.scale.tolist())
        self.scale_sum = float(self.scale_col.sum(axis=0)[0])
        self.log_scale_col = np.log(self.scale_col)
        self.log_scale_list: tuple[float, ...] = tuple(self.log_scale_col[:, 0].tolist())
        self.productivity_list: tuple[float, ...] = tuple(self.productivity.tolist())
        # the observation before the first round (the budget entry is filled per episode)
        self.first_obs: tuple[float, ...] = (
            *self.header_rows[0],
            0.0,
            *[0.0] * (2 * k),
            *[self.prior_mean] * k,
            *[1.0 / math.sqrt(self.prior_weight)] * k,
        )

    # -- the exogenous part of episodes ---------------------------------------------------
    def draw(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        """The random numbers behind ``n`` episodes (everything the manager cannot influence):
        ``order`` (uniforms that shuffle the agents), ``start`` and ``steps`` (standard normals of
        the starting productivities and of their drift) and ``noise`` (standard normals of the
        outputs' noise, agent-major: ``(rounds, K, n)``; :meth:`noise_of` truncates and scales
        them, round by round)."""
        k, rounds = self.num_agents, self.rounds
        noise = rng.standard_normal((rounds, k, n))
        return {
            "order": rng.random((n, k)),
            "start": rng.standard_normal((n, k)),
            "steps": rng.standard_normal((0 if self.stationary else rounds - 1, n, k)),
            "noise": noise,
        }

    def noise_of(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The outputs' noise from standard normals: ``sigma * z`` with ``z`` truncated at
        :data:`NOISE_CLIP`."""
        out = np.maximum(z, -NOISE_CLIP, out=out)
        np.minimum(out, NOISE_CLIP, out=out)
        out *= self.noise
        return out

    @staticmethod
    def join_draws(draws: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Several :meth:`draw` results as one batch."""
        return {
            "order": np.concatenate([d["order"] for d in draws]),
            "start": np.concatenate([d["start"] for d in draws]),
            "steps": np.concatenate([d["steps"] for d in draws], axis=1),
            "noise": np.concatenate([d["noise"] for d in draws], axis=2),
        }

    def sample_productivity(self, draws: dict[str, np.ndarray]) -> np.ndarray:
        """Starting productivities ``p_i * exp(spread * z_i)`` (shuffled if ``shuffle``), ``(n, K)``."""
        if self.shuffle:
            base = self.productivity[np.argsort(draws["order"], axis=1)]
        else:
            base = np.tile(self.productivity, (len(draws["order"]), 1))
        if self.spread > 0:
            base *= np.exp(self.spread * draws["start"])
        return np.minimum(np.maximum(base, self.a_low, out=base), self.a_high, out=base)

    def productivity_path(self, start: np.ndarray, draws: dict[str, np.ndarray]) -> np.ndarray:
        """The productivity of every round, shape ``(n, rounds, K)`` (``(n, 1, K)`` if stationary).

        ``log a(t) = keep * log a(t - 1) + pull + drift * z(t)`` with ``keep = 1 - reversion``,
        ``pull = reversion * log a(0)``; each round's productivity is ``exp`` of the walk clipped
        to the world's range. :meth:`SplitBatch.step` takes the same walk one round at a time."""
        start = np.minimum(np.maximum(np.asarray(start, dtype=np.float64), self.a_low), self.a_high)
        if self.stationary:
            return start[:, None, :].copy()
        n, k = start.shape
        log_a = np.empty((self.rounds, n, k))
        log_a[0] = home = np.log(start)
        pull = self.reversion * home
        for t in range(1, self.rounds):
            log_a[t] = self.keep * log_a[t - 1] + (draws["steps"][t - 1] * self.drift + pull)
        np.minimum(np.maximum(log_a, self.log_low, out=log_a), self.log_high, out=log_a)
        return np.exp(log_a, out=log_a).transpose(1, 0, 2).copy()

    # -- actions -------------------------------------------------------------------------
    def top_shares(self, e: np.ndarray) -> np.ndarray:
        """Normalise positive weights ``e`` (shape ``(n, m)``) to shares."""
        return e / (e @ np.ones(e.shape[1]))[:, None]

    def action_from_shares(self, shares: Any) -> np.ndarray:
        """The action whose softmax gives ``shares`` (flat shares over the ``K`` agents) as closely
        as the action range allows: the largest logit is set to 1 and the others are clipped at -1,
        so a share below ``exp(-2 * share_gain)`` times the largest one is rounded up.

        In a two-level scenario the division entries get the divisions' totals and, with the
        ``"policy"`` rule, the member entries get the split inside each division.

        :param shares: shape ``(K,)`` or ``(N, K)``, non-negative
        :return: float32 action of shape ``(action_dim,)`` or ``(N, action_dim)``
        """
        s = np.asarray(shares, dtype=np.float64)
        single = s.ndim == 1
        s = np.atleast_2d(s)
        if s.shape[1] != self.num_agents:
            raise ValueError(f"shares have {s.shape[1]} entries; expected one per agent ({self.num_agents})")
        if self.hierarchical:
            top = self._logits(s @ self.membership)
            if self.division_rule == "policy":
                inner = np.empty_like(s)
                for _, members in self.divisions:
                    inner[:, list(members)] = self._logits(s[:, list(members)])
                top = np.concatenate([top, inner], axis=1)
        else:
            top = self._logits(s)
        out = top.astype(np.float32)
        return out[0] if single else out

    def _logits(self, s: np.ndarray) -> np.ndarray:
        z = np.log(np.maximum(s, 1e-300)) / self.share_gain
        z += 1.0 - z.max(axis=1, keepdims=True)
        return np.maximum(z, -1.0, out=z)

    def allocate(
        self, action: np.ndarray, budget: np.ndarray, estimate: np.ndarray, productivity: np.ndarray
    ) -> np.ndarray:
        """Shares over the ``K`` agents for validated, in-range actions, shape ``(n, K)``.

        :param action: shape ``(n, action_dim)``
        :param budget: per-round budgets, shape ``(n,)`` (for the water-filling division rules)
        :param estimate: the ledger's estimates, shape ``(n, K)`` (``estimate`` rule)
        :param productivity: this round's true productivities, shape ``(n, K)`` (``oracle`` rule)
        """
        e = np.exp(action * self.share_gain)
        if not self.hierarchical:
            return self.top_shares(e)
        d = self.num_divisions
        top = self.top_shares(e[:, :d])
        rule = self.division_rule
        if rule == "policy":
            inner = e[:, d:]
            group = inner @ self.membership
            return inner * (top / group)[:, self.division_of]
        if rule == "equal":
            size = self.membership.sum(axis=0)
            return (top / size)[:, self.division_of]
        guess = np.maximum(estimate, 1e-3 * self.prior_mean) if rule == "estimate" else productivity
        shares = np.empty(guess.shape)
        budget = np.asarray(budget, dtype=np.float64)
        for j, (_, members) in enumerate(self.divisions):
            m = list(members)
            shares[:, m] = water_fill(guess[:, m], self.scale[m], top[:, j] * budget) / budget[:, None]
        return shares

    # -- the oracle ----------------------------------------------------------------------
    def best_output(self, productivity: np.ndarray, budget: np.ndarray) -> np.ndarray:
        """The oracle's expected output for productivities ``(..., K)`` and budgets ``(...)``."""
        x = water_fill(productivity, self.scale, budget)
        return (productivity * np.log1p(x / self.scale)).sum(axis=-1)

    def oracle_output(self, a: np.ndarray, log_a: np.ndarray, budget: np.ndarray) -> np.ndarray:
        """The oracle's expected output for agent-major productivities ``a`` ``(K, n)`` (and their
        logarithms ``log_a``) and budgets ``(n,)``: :meth:`best_output` without the allocations,
        for the step of a batch.

        The water level comes from the active set (see :func:`water_fill`): with the active agents'
        sums ``A`` and ``C``, ``lam = A / (B + C)``, and an agent is active when ``r_i = a_i / c_i >
        lam``. Starting from every agent and dropping those at or below ``lam`` reaches the active
        set in at most ``K`` passes (a larger set's level is a mediant of the true level and of the
        extra agents' ``r``, so it lies below the true level: no active agent is ever dropped);
        usually the first pass finds every agent active. An active agent's output is
        ``a_i * log(1 + x_i / c_i) = a_i * log(r_i / lam) = a_i * ((log a_i - log c_i) - log lam)``:
        one logarithm per episode. Agrees with :meth:`best_output` to rounding: about 1e-15 of the
        output, or, for a budget far below the scales (where ``B + C`` rounds), about 1e-16 of the
        productivities in absolute terms (:func:`water_fill` is exact there).
        """
        # (comparisons against a row broadcast over agents are slow in NumPy: the levels are tiled)
        r = a / self.scale_col
        lam = a.sum(axis=0) / (budget + self.scale_sum)
        active = r > np.tile(lam, (len(a), 1))
        full = active.all()
        if not full:
            best = r >= np.tile(r.max(axis=0), (len(a), 1))  # always active (also at a tiny budget)
            active |= best
            while True:
                on = active.astype(np.float64)
                lam = (a * on).sum(axis=0) / (budget + (self.scale_col * on).sum(axis=0))
                keep = r > np.tile(lam, (len(a), 1))
                keep &= active
                keep |= best
                if np.array_equal(keep, active):
                    break
                active = keep
        d = log_a - self.log_scale_col
        d -= np.log(lam)
        d *= a
        if not full:
            d *= on
        return d.sum(axis=0)

    def oracle_output_one(self, a: Sequence[float], log_a: Sequence[float], budget: float) -> float:
        """:meth:`oracle_output` for one episode, in plain Python floats (the same operations)."""
        c = self.scale_list
        r = [ai / ci for ai, ci in zip(a, c, strict=True)]
        lam = sum(a) / (budget + self.scale_sum)
        if min(r) > lam:
            ll = math.log(lam)
            return sum(
                [ai * ((la - lc) - ll) for ai, la, lc in zip(a, log_a, self.log_scale_list, strict=True)]
            )
        top = max(r)
        active = [ri > lam or ri == top for ri in r]
        while True:
            lam = sum(compress(a, active)) / (budget + sum(compress(c, active)))
            keep = [on and (ri > lam or ri == top) for ri, on in zip(r, active, strict=True)]
            if keep == active:
                break
            active = keep
        ll = math.log(lam)
        return sum(
            [
                ai * ((la - lc) - ll) if on else 0.0
                for ai, la, lc, on in zip(a, log_a, self.log_scale_list, active, strict=True)
            ]
        )


class EpisodeOne:
    """The state of a batch of one episode of a one-level world in plain Python floats (see
    :meth:`SplitBatch.reset_one`): lists of ``K`` floats unless said otherwise.

    ``a`` (true productivities of the coming round) and ``log_a`` (their logarithms), ``walk`` and
    ``pull`` (the drift's walk in log space), ``steps`` (the drift's normals, ``(rounds - 1, K)``
    array) and ``noise`` (the normals of the outputs' noise, ``(rounds, K)`` array), ``best``
    (the oracle's output per round played; one entry, computed at the first round, in a
    stationary world), ``regret`` (per round played), ``gy``/``gg`` (the ledger), ``shares``,
    ``x`` (allocations) and ``y`` (outputs) of the last round, ``expected`` and ``last_regret``
    (the last round's), ``budget`` (per round), ``bc`` (budget /
    scale per agent) and ``obs`` (the observation as float64 numbers). A drifting world's whole
    path (``walks``, ``logs``, ``path``: per round) and the oracle's output per round
    (``best_all``) are computed at the first round (:meth:`SplitBatch._path_one`).
    """

    a: list[float]
    log_a: list[float]
    walk: list[float]
    pull: list[float]
    steps: np.ndarray
    noise: np.ndarray
    best: list[float]
    regret: list[float]
    gy: list[float]
    gg: list[float]
    shares: list[float]
    x: list[float]
    y: list[float]
    expected: float
    last_regret: float
    budget: float
    bc: list[float]
    obs: list[float]
    walks: list[list[float]]
    logs: list[list[float]]
    path: list[list[float]]
    best_all: list[float]

    __slots__ = (
        "a",
        "log_a",
        "walk",
        "pull",
        "steps",
        "noise",
        "best",
        "regret",
        "gy",
        "gg",
        "shares",
        "x",
        "y",
        "expected",
        "last_regret",
        "budget",
        "bc",
        "obs",
        "walks",
        "logs",
        "path",
        "best_all",
    )

    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if hasattr(self, k)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)


class SplitBatch:
    """State of ``num`` Split episodes, stepped together (all in the same round).

    Inside, arrays are *agent-major* (shape ``(K, n)``: one row per agent, one column per
    episode), so that every operation of a step runs over contiguous memory; the properties below
    return the usual ``(n, K)`` views. ``round`` counts the rounds played.

    A batch of one episode of a one-level world (a single Env) can instead be run in plain Python
    floats (:meth:`reset_one`, :meth:`step_one`, state in :attr:`one`): NumPy's cost per call
    dominates on arrays of a few numbers. The same draws, in the same order, and the same
    operations: a VectorEnv of one meets the same episode. The arrays are brought up to date only
    when something reads them.

    Properties (one row per episode): ``budget`` (per round, ``(n,)``), ``productivity`` (true,
    coming round), ``shares``, ``allocation``, ``output`` (last round, ``(n, K)``), ``estimate``
    and ``evidence`` (the ledger), ``expected`` (last round's expected output), ``last_regret``,
    ``regret`` (per round so far, ``(n, rounds)``), ``best`` (the oracle's expected output per
    round so far, ``(n, rounds)``; every round in a stationary world).

    :param world: the scenario's :class:`SplitWorld`
    :param num: number of episodes
    """

    def __init__(self, world: SplitWorld, num: int):
        self.world, self.num = world, int(num)
        n, k, rounds = self.num, world.num_agents, world.rounds
        self.round = 0
        self.one = EpisodeOne()  # the plain-float episode of reset_one(), if any
        self._one_stale = False
        self._budget = np.full(n, world.budget)
        self._a = np.ones((k, n))  # the coming round's productivities
        self._log_a = np.zeros((k, n))  # and their logarithms (the walk, clipped)
        self._walk = np.zeros((k, n))  # log productivity before clipping (drifting worlds)
        self._pull = np.zeros((k, n))  # reversion * log a(0)
        self._steps = np.zeros((0, n, k))  # the drift's normals, (rounds - 1, n, K)
        self._noise = np.zeros((rounds, k, n))
        self._best = np.zeros((1 if world.stationary else rounds, n))
        self._regret = np.zeros((rounds, n))
        self._x = np.zeros((k, n))
        self._y = np.zeros((k, n))
        self._ledger = np.zeros((2, k, n))  # S_gy, S_gg
        self._forget = world.memory != 1.0
        # work buffer z = [mean, y, g, g] (g twice, so that [y, g] * [g, g] is one operation)
        self._z = np.zeros((4, k, n))
        self._q = np.zeros((2, k, n))
        self._tmp = np.zeros((k, n))
        self.expected = np.zeros(n)
        self.last_regret = np.zeros(n)
        # the observation, feature-major: obs = _obs.T
        self._obs = np.zeros((world.obs_dim, n))
        self._prior = np.array([world.prior_weight * world.prior_mean, world.prior_weight])[:, None, None]
        self._refresh = (1.0 - world.memory) * self._prior
        self._refresh_one = tuple(self._refresh[:, 0, 0].tolist())
        self._prior_one = tuple(self._prior[:, 0, 0].tolist())
        self._gain = np.full((world.action_dim, n), world.share_gain)
        self._e = np.zeros((world.action_dim, n))
        self._ones_kn = np.ones((k, n))
        self._inv_scale = (1.0 / world.scale)[:, None]
        self._bc_one = tuple((1.0 / world.scale).tolist())
        self._budget_kn = np.full((k, n), world.budget)  # the budget on every row
        self._bc = self._budget_kn * self._inv_scale  # budget / c
        self._bind_views()

    def _bind_views(self) -> None:
        """Make the named views into the state arrays (rows of the ledger, the work buffer and the
        observation). Views are never copied or pickled: a copy would turn each into an array of
        its own, cut off from the state it should show, so :meth:`__setstate__` makes them anew."""
        ix = self.world.obs_index
        self._ledger_rows = self._led_gy, self._led_gg = tuple(self._ledger)
        self._z_rows = self._z_mean, self._z_y, self._z_g, self._z_g2 = tuple(self._z)
        self._z_sums = self._z[:2]  # [mean; y]: summed over agents in one call
        self._z_yg, self._z_gg = self._z[1:3], self._z[2:4]
        self._obs_shares = self._obs[ix["shares"]]
        self._obs_output = self._obs[ix["output"]]
        self._obs_est = self._obs[ix["estimate"]]
        self._obs_unc = self._obs[ix["uncertainty"]]
        self._obs_head = self._obs[:2]
        self._header = self.world.header[:, :, None]  # (rounds + 1, 2, 1)
        self._hot = (
            self._obs_shares,
            self._e,
            self._gain,
            self._budget_kn,
            self._bc,
            self._ones_kn,
            self._z_sums,
            self._z_yg,
            self._z_gg,
            self._q,
            self._ledger,
            self._led_gy,
            self._led_gg,
            self._obs_head,
            self._obs_output,
            self._obs_est,
            self._obs_unc,
        )

    #: attributes that are views of other arrays (made again by :meth:`_bind_views`)
    _VIEWS = (
        "_ledger_rows",
        "_led_gy",
        "_led_gg",
        "_z_rows",
        "_z_mean",
        "_z_y",
        "_z_g",
        "_z_g2",
        "_z_sums",
        "_z_yg",
        "_z_gg",
        "_obs_shares",
        "_obs_output",
        "_obs_est",
        "_obs_unc",
        "_obs_head",
        "_header",
        "_hot",
    )

    def __getstate__(self) -> dict[str, Any]:
        self._sync()
        return {k: v for k, v in self.__dict__.items() if k not in self._VIEWS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind_views()

    # -- (n, K) views ----------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """Whether the episodes have used all their rounds."""
        return self.round >= self.world.rounds

    @property
    def budget(self) -> np.ndarray:
        """Per-round budget of every episode, ``(n,)``."""
        self._sync()
        return self._budget

    @property
    def productivity(self) -> np.ndarray:
        """The true productivities of the coming round (the last round's once done), ``(n, K)``."""
        self._sync()
        return self._a.T

    @property
    def allocation(self) -> np.ndarray:
        """The last round's allocations, ``(n, K)`` (zeros before the first round)."""
        self._sync()
        return self._x.T

    @property
    def shares(self) -> np.ndarray:
        """The last round's shares, ``(n, K)``."""
        self._sync()
        return self._obs_shares.T

    @property
    def output(self) -> np.ndarray:
        """The last round's measured outputs, ``(n, K)``."""
        self._sync()
        return self._y.T

    @property
    def estimate(self) -> np.ndarray:
        """The ledger's estimates ``S_gy / S_gg``, ``(n, K)``."""
        self._sync()
        return (self._led_gy / self._led_gg).T

    @property
    def evidence(self) -> np.ndarray:
        """The ledger's ``S_gg``, ``(n, K)``."""
        self._sync()
        return self._led_gg.T

    @property
    def regret(self) -> np.ndarray:
        """Regret of every round played so far (0 for rounds to come), ``(n, rounds)``."""
        self._sync()
        return self._regret.T

    @property
    def best(self) -> np.ndarray:
        """The oracle's expected output in every round played so far (every round in a stationary
        world; 0 for rounds to come), ``(n, rounds)``."""
        self._sync()
        return np.broadcast_to(self._best, (self.world.rounds, self.num)).T

    def oracle_total(self) -> np.ndarray:
        """The oracle's expected output over the rounds played (the whole episode once done),
        ``(n,)``; every round in a stationary world."""
        one = self.one
        if self._one_stale:
            total = one.best[0] * self.world.rounds if self.world.stationary else sum(one.best)
            return np.array([total])
        if self.world.stationary:
            return self._best[0] * self.world.rounds
        return self._best.sum(axis=0)

    # -- episodes -------------------------------------------------------------------------
    def reset(
        self,
        rng: np.random.Generator,
        budget: np.ndarray,
        productivity: np.ndarray | None = None,
        world_seeds: np.ndarray | None = None,
    ) -> None:
        """Start new episodes in every row.

        :param rng: draws the productivities (unless given), their drift and the noise
        :param budget: per-round budget of each episode, shape ``(n,)``
        :param productivity: starting productivities ``(n, K)`` (default: drawn from the scenario)
        :param world_seeds: one integer per episode instead of ``rng``: episodes with the same seed
            face the same world (productivities, drift and noise), so managers can be compared on it
        """
        w, n, k = self.world, self.num, self.world.num_agents
        if world_seeds is None:
            draws = w.draw(rng, n)
        else:
            seeds = np.asarray(world_seeds, dtype=np.int64).reshape(n)
            uniq, inverse = np.unique(seeds, return_inverse=True)
            one = w.join_draws([w.draw(np.random.default_rng([int(u), 0x5B17]), 1) for u in uniq])
            draws = {
                "order": one["order"][inverse],
                "start": one["start"][inverse],
                "steps": one["steps"][:, inverse],
                "noise": one["noise"][:, :, inverse],
            }
        start = w.sample_productivity(draws) if productivity is None else productivity
        start = np.array(np.asarray(start, dtype=np.float64).T, order="C")  # agent-major, (K, n)
        start = np.minimum(np.maximum(start, w.a_low, out=start), w.a_high, out=start)
        budget = np.asarray(budget, dtype=np.float64).reshape(n)
        # fresh arrays, never in-place writes: earlier infos may still hold the old ones
        if w.stationary:
            self._a = start
            self._log_a = np.log(self._a)
            self._best = w.oracle_output(self._a, self._log_a, budget)[None, :]
        else:  # the walk starts at log a(0); the coming rounds' steps are taken in step()
            self._walk = home = np.log(start)
            self._pull = w.reversion * home
            self._steps = draws["steps"]
            self._log_a = np.minimum(np.maximum(home, w.log_low), w.log_high)
            self._a = np.exp(self._log_a)
            self._best = np.zeros((w.rounds, n))
        self._noise = draws["noise"]
        self._budget = budget.copy()
        self._budget_kn[:] = budget
        np.multiply(self._budget_kn, self._inv_scale, out=self._bc)
        self._regret = np.zeros((w.rounds, n))
        self._x = np.zeros((k, n))
        self._y = np.zeros((k, n))
        self.expected = np.zeros(n)
        self.last_regret = np.zeros(n)
        self.round = 0
        self._one_stale = False
        self._ledger[:] = self._prior
        obs = self._obs
        self._obs_head[:] = self._header[0]
        obs[2] = budget / w.max_budget
        self._obs_shares[:] = 0.0
        self._obs_output[:] = 0.0
        self._obs_est[:] = w.prior_mean
        self._obs_unc[:] = 1.0 / math.sqrt(w.prior_weight)

    def step(self, action: np.ndarray) -> np.ndarray:
        """Play one round with validated actions (finite, in [-1, 1]).

        :param action: float64, shape ``(action_dim, n)`` (agent-major, like the internal arrays)
        :return: the reward of every episode (the round's total measured output), float64 ``(n,)``
        """
        # Written for speed: a single env is a batch of one, so every NumPy call counts. Only
        # same-shape operations on preallocated buffers (see __init__ for what each one is).
        self._sync()
        w = self.world
        t = self.round
        a_t = self._a
        (
            shares,
            ebuf,
            gain,
            budget_kn,
            bc,
            ones_kn,
            z_sums,
            z_yg,
            z_gg,
            q,
            ledger,
            gy,
            gg,
            obs_head,
            obs_output,
            obs_est,
            obs_unc,
        ) = self._hot
        if w.hierarchical:
            shares[:] = w.allocate(action.T, self._budget, self.estimate, a_t.T).T
        else:  # shares = softmax(share_gain * action)
            e = np.exp(np.multiply(action, gain, out=ebuf), out=ebuf)
            np.divide(e, e.sum(axis=0), out=shares)
        self._x = shares * budget_kn
        mean, y, g, g2 = self._z_rows
        np.log(np.add(np.multiply(shares, bc, out=g), ones_kn, out=g), out=g)  # log(1 + x/c)
        g2[:] = g
        np.multiply(a_t, g, out=mean)
        np.add(mean, w.noise_of(self._noise[t], out=self._tmp), out=y)
        self._y = y.copy()
        sums = z_sums.sum(axis=1)  # [sum of mean, sum of y]
        self.expected = expected = sums[0]
        if w.stationary:
            best = self._best[0]
        else:  # the oracle for this round, then the walk's step to the next one
            best = self._best[t] = w.oracle_output(a_t, self._log_a, self._budget)
            if t + 1 < w.rounds:
                # log a(t+1) = keep * log a(t) + (drift * z + pull), then clipped: fresh arrays
                walk, tmp = self._walk, self._tmp
                np.multiply(self._steps[t].T, w.drift, out=tmp)
                tmp += self._pull
                walk *= w.keep
                walk += tmp
                self._log_a = log_a = np.maximum(walk, w.log_low)
                np.minimum(log_a, w.log_high, out=log_a)
                self._a = np.exp(log_a)
        self.last_regret = regret = best - expected
        self._regret[t] = regret
        # the ledger: S <- memory * S + (1 - memory) * prior + [g y, g g]
        if self._forget:
            ledger *= w.memory
            ledger += self._refresh
        ledger += np.multiply(z_yg, z_gg, out=q)
        self.round = t + 1
        obs_head[:] = self._header[t + 1]
        obs_output[:] = y
        np.divide(gy, gg, out=obs_est)
        np.reciprocal(np.sqrt(gg, out=obs_unc), out=obs_unc)
        return sums[1]

    # -- a batch of one, in plain Python floats ----------------------------------------------
    def reset_one(
        self, rng: np.random.Generator, budget: float, productivity: Sequence[float] | None = None
    ) -> np.ndarray:
        """:meth:`reset` for a batch of one episode of a one-level world, in plain Python floats.

        Draws the same random numbers in the same order as :meth:`reset` (:meth:`SplitWorld.draw`
        for one episode) and starts the same episode.

        :param rng: draws the productivities (unless given), their drift and the noise
        :param budget: the per-round budget
        :param productivity: ``K`` starting productivities (default: drawn from the scenario)
        :return: the first observation, float32 ``(obs_dim,)``
        """
        w, k = self.world, self.world.num_agents
        one = EpisodeOne()
        one.noise = rng.standard_normal((w.rounds, k))  # truncated and scaled round by round
        order = rng.random(k).tolist()
        z = rng.standard_normal(k).tolist()
        if productivity is None:  # SplitWorld.sample_productivity
            p, spread = w.productivity_list, w.spread
            base = [p[j] for j in sorted(range(k), key=order.__getitem__)] if w.shuffle else p
            if spread > 0:
                productivity = [b * math.exp(spread * zi) for b, zi in zip(base, z, strict=True)]
            else:
                productivity = base
        lo, hi = w.a_low, w.a_high
        if w.stationary:
            one.a = [min(max(v, lo), hi) for v in productivity]
            one.log_a, one.walk, one.pull = [], [], []  # log_a: at the first round
            one.steps = _NO_STEPS
        else:
            one.steps = rng.standard_normal((w.rounds - 1, k))
            one.walk = home = [math.log(min(max(v, lo), hi)) for v in productivity]
            rev, lo, hi = w.reversion, w.log_low, w.log_high
            one.pull = [rev * v for v in home]
            one.log_a = log_a = [min(max(v, lo), hi) for v in home]
            one.a = [math.exp(v) for v in log_a]
        one.best, one.regret = [], []
        one.walks, one.logs, one.path, one.best_all = [], [], [], []  # at the first round
        one.gy, one.gg = [self._prior_one[0]] * k, [self._prior_one[1]] * k
        one.shares, one.x, one.y = [0.0] * k, [0.0] * k, [0.0] * k
        one.expected = one.last_regret = 0.0
        one.budget = budget = float(budget)
        one.bc = [budget * ic for ic in self._bc_one]
        obs = list(w.first_obs)
        obs[2] = budget / w.max_budget
        one.obs = obs
        self.one = one
        self._one_stale = True
        self.round = 0
        return np.array(obs, dtype=np.float32)

    def step_one(self, action: list[float]) -> tuple[float, np.ndarray]:
        """:meth:`step` for a batch of one episode started by :meth:`reset_one`, in plain Python
        floats: the same math (see the module docstring), written for ``K`` scalars.

        :param action: ``action_dim`` validated floats in ``[-1, 1]``
        :return: the round's reward and the new observation (float32, shape ``(obs_dim,)``)
        """
        w, one, t = self.world, self.one, self.round
        gain, budget, sigma, clip = w.share_gain, one.budget, w.noise, NOISE_CLIP
        exp, log = math.exp, math.log
        e = [exp(gain * v) for v in action]
        total = sum(e)
        a_t, bc, noise, gy0, gg0 = one.a, one.bc, one.noise[t].tolist(), one.gy, one.gg
        forget = self._forget
        if forget:
            mem, (fy, fg) = w.memory, self._refresh_one
        shares, y, gy, gg = [], [], [], []
        expected = 0.0
        for i, ei in enumerate(e):  # one pass over the agents (NumPy's operations, in floats)
            s = ei / total
            g = log(s * bc[i] + 1.0)  # log(1 + x/c)
            mean = a_t[i] * g
            expected += mean
            y_i = mean + min(max(noise[i], -clip), clip) * sigma
            shares.append(s)
            y.append(y_i)
            # the ledger: S <- memory * S + (1 - memory) * prior + [g y, g g]
            if forget:
                gy.append((gy0[i] * mem + fy) + g * y_i)
                gg.append((gg0[i] * mem + fg) + g * g)
            else:
                gy.append(gy0[i] + g * y_i)
                gg.append(gg0[i] + g * g)
        if w.stationary:
            if t == 0:
                one.log_a = [math.log(v) for v in a_t]
                one.best.append(w.oracle_output_one(a_t, one.log_a, budget))
            best = one.best[0]
        else:
            if not one.path:
                self._path_one(one)
            best = one.best_all[t]
            one.best.append(best)
            if t + 1 < w.rounds:  # the next round's productivities
                one.walk, one.log_a, one.a = one.walks[t + 1], one.logs[t + 1], one.path[t + 1]
        regret = best - expected
        one.regret.append(regret)
        one.gy, one.gg, one.shares, one.y = gy, gg, shares, y
        one.x = [s * budget for s in shares]
        one.expected, one.last_regret = expected, regret
        t += 1
        self.round = t
        self._one_stale = True  # written to the arrays only when someone reads them
        one.obs = obs = [
            *w.header_rows[t],
            budget / w.max_budget,
            *shares,
            *y,
            *[a / b for a, b in zip(gy, gg, strict=True)],
            *[1.0 / math.sqrt(v) for v in gg],
        ]
        return sum(y), np.array(obs, dtype=np.float32)

    def _path_one(self, one: EpisodeOne) -> None:
        """A drifting episode's walk for every round (the operations of :meth:`step`, in Python
        floats) and the oracle's output per round (:meth:`SplitWorld.oracle_output`, one NumPy call
        for all rounds): computed once, at the first round, instead of a little at every round."""
        w = self.world
        keep, drift, lo, hi = w.keep, w.drift, w.log_low, w.log_high
        walk, pull = one.walk, one.pull
        walks, logs, path = [walk], [one.log_a], [one.a]
        for z in one.steps.tolist():
            walk = [keep * v + (zi * drift + p) for v, zi, p in zip(walk, z, pull, strict=True)]
            log_a = [min(max(v, lo), hi) for v in walk]
            walks.append(walk)
            logs.append(log_a)
            path.append([math.exp(v) for v in log_a])
        a = np.array(path).T.copy()  # agent-major (K, rounds): the rounds as a batch
        budget = np.full(w.rounds, one.budget)
        one.best_all = w.oracle_output(a, np.array(logs).T.copy(), budget).tolist()
        one.walks, one.logs, one.path = walks, logs, path

    def _sync(self) -> None:
        """Copy :meth:`step_one`'s plain-float episode into the arrays."""
        if not self._one_stale:
            return
        self._one_stale = False
        one, w, t = self.one, self.world, self.round
        col = lambda v: np.array(v, dtype=np.float64)[:, None]  # noqa: E731
        self._a = col(one.a)
        self._x, self._y = col(one.x), col(one.y)
        self._ledger[:, :, 0] = (one.gy, one.gg)
        self._obs[:, 0] = one.obs
        self.expected = np.array([one.expected])
        self.last_regret = np.array([one.last_regret])
        self._budget = np.array([one.budget])
        self._budget_kn[:] = one.budget
        np.multiply(self._budget_kn, self._inv_scale, out=self._bc)
        self._regret = np.zeros((w.rounds, 1))
        self._regret[:t, 0] = one.regret
        if w.stationary:
            self._log_a = np.log(self._a)
            self._best = w.oracle_output(self._a, self._log_a, self._budget)[None, :]
        else:
            self._log_a = col(one.log_a)
            self._best = np.zeros((w.rounds, 1))
            self._best[: len(one.best), 0] = one.best
            self._walk, self._pull = col(one.walk), col(one.pull)
            self._steps = one.steps[:, None, :]
        self._noise = one.noise[:, :, None]

    def observe(self) -> np.ndarray:
        """The observation of every episode: a new float32 array of shape ``(n, obs_dim)``."""
        self._sync()
        return self._obs.T.astype(np.float32)
