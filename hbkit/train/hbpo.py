"""Hierarchical Budget Policy Optimization (HBPO, arXiv 2507.15844) in NumPy.

One readable file in the style of CleanRL: the configuration first, then the four parts of an
iteration: rollout, reward, advantage, update.

Per iteration the trainer samples ``P`` problems and runs ``n`` rollouts of each, split into ``k``
budget subgroups (default ``n = 16``, budgets 512/1024/2048/2560, so 4 rollouts per budget); the
budget is part of the observation. Each rollout gets the environment's budget-aware reward ``R``.
Advantages compare rollouts inside and across subgroups:

* inter-subgroup: ``A_inter = (R - mean(R over all n)) / (std(R over all n) + 1e-6)``
* intra-subgroup: ``A_intra = mean(R in the subgroup) - f2(b)``, ``f2(b)`` the reward of a correct
  answer that uses exactly its budget ``b`` (``beta*cos(pi*b/(2L))`` for the hbpo reward)
* ``advantage="hbpo"``: ``A = A_inter + A_intra`` (the paper); ``"hbpo-code"``:
  ``A_inter + 2*A_intra`` (the authors' released code adds it twice); ``"grpo"``: ``A_inter`` only.

The advantage of a rollout is given to every step of it, and the policy is updated with a clipped
objective (``clip_low = 0.2``, ``clip_high = 0.28``, no KL term) averaged over all steps, with Adam,
for a few epochs of minibatches.

The trainer works with any hbkit environment whose native VectorEnv accepts
``reset(options={"budget": ..., "problem_seed": ...})``, offers ``reference_reward(b)`` and,
optionally, ``training_metrics(infos, budgets)`` and ``info["action_mask"]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from pydantic import ValidationError
from tqdm.auto import tqdm

from hbkit._threads import on_one_blas_thread
from hbkit.errors import ConfigError, TrainingError, sequence_of
from hbkit.scenarios import load_scenario
from hbkit.schema import HBPOTrain, problems
from hbkit.train.policies import (
    DeclaringPolicy,
    Policy,
    base_reasoner,
    env_metadata,
    log_softmax,
    make_policy,
)

__all__ = [
    "HBPOConfig",
    "HBPO",
    "hbpo_advantages",
    "subgroup_layout",
    "ADVANTAGES",
    "TRAIN_FIELDS",
    "check_config",
]

ADVANTAGES = ("hbpo", "hbpo-code", "grpo")


# ------------------------------------------------------------------------------------------------
# Configuration (defaults; the scenario's [train] table and keyword arguments override them)
# ------------------------------------------------------------------------------------------------
#: the trainer's fields that a scenario's [train] table sets: their defaults and allowed ranges
#: live once, in this pydantic model
TRAIN_FIELDS = HBPOTrain


def _default(name: str) -> Any:
    return field(default=HBPOTrain.model_fields[name].default)


@dataclass
class HBPOConfig:
    """Every knob of the trainer. The defaults and allowed ranges of the fields a scenario's
    ``[train]`` table sets come from :class:`hbkit.schema.HBPOTrain`, the one place where they are
    written (a world's ``[train]`` model may change a default, such as ``hidden``).

    :param budgets: budgets of the subgroups, e.g. tokens (``()`` = natural mode only, plain GRPO)
    :param reward: the env's reward function, e.g. ``"hbpo"``, ``"cosine"``, ``"classic"``
    :param advantage: ``"hbpo"`` (paper), ``"hbpo-code"`` (released code) or ``"grpo"``
    :param iterations: default number of iterations of :meth:`HBPO.learn`
    :param problems_per_iteration: ``P``, problems sampled per iteration
    :param rollouts_per_problem: ``n``, rollouts per problem, split evenly across the budgets
    :param policy: ``"linear"`` or ``"mlp"``
    :param hidden: hidden width of the MLP
    :param learning_rate: Adam step size
    :param anneal_lr: decay the step size linearly to zero over the iterations of each ``learn``
    :param epochs: passes over each iteration's samples
    :param minibatches: minibatches per epoch
    :param clip_low: lower clip of the probability ratio (``1 - clip_low``)
    :param clip_high: upper clip (``1 + clip_high``)
    :param max_grad_norm: gradients are rescaled to at most this norm
    :param seed: seed of everything random in training
    """

    budgets: tuple[float, ...] = (512, 1024, 2048, 2560)
    reward: str = "hbpo"
    advantage: str = "hbpo"
    iterations: int = _default("iterations")
    problems_per_iteration: int = _default("problems_per_iteration")
    rollouts_per_problem: int = _default("rollouts_per_problem")
    policy: str = _default("policy")
    hidden: int = _default("hidden")
    learning_rate: float = _default("learning_rate")
    anneal_lr: bool = _default("anneal_lr")
    epochs: int = _default("epochs")
    minibatches: int = _default("minibatches")
    clip_low: float = _default("clip_low")
    clip_high: float = _default("clip_high")
    max_grad_norm: float = _default("max_grad_norm")
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # env-specific keyword arguments


def check_config(values: dict[str, Any]) -> dict[str, Any]:
    """Check trainer keyword arguments with the rules of the ``[train]`` table
    (:class:`hbkit.schema.HBPOTrain`); other keywords pass through unchanged.

    :raises ConfigError: naming the argument, its value and what is allowed
    """
    train = {k: v for k, v in values.items() if k in HBPOTrain.model_fields}
    try:
        checked = HBPOTrain.model_validate(train)
    except ValidationError as exc:
        name, problem, allowed = problems(HBPOTrain, exc)[0]
        raise ConfigError(f"HBPO: {name}: {problem}" + (f"; allowed: {allowed}" if allowed else "")) from None
    return {k: (getattr(checked, k) if k in train else v) for k, v in values.items()}


# ------------------------------------------------------------------------------------------------
# Groups and subgroups
# ------------------------------------------------------------------------------------------------
def subgroup_layout(
    problems: int, rollouts: int, budgets: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How ``problems * rollouts`` rollouts are laid out: rollouts of one problem are contiguous,
    split as evenly as possible into one subgroup per budget, in order (the one place of this
    layout).

    :return: per rollout ``(problem index, subgroup index, budget)``; budget 0 when ``budgets``
        is empty (natural mode)
    """
    budgets = tuple(budgets) or (0,)
    parts = np.array_split(np.arange(rollouts), len(budgets))
    sub = np.concatenate([np.full(len(s), j) for j, s in enumerate(parts)])
    problem = np.repeat(np.arange(problems), rollouts)
    subgroup = np.tile(sub, problems)
    return problem, subgroup, np.asarray(budgets)[subgroup]


# ------------------------------------------------------------------------------------------------
# Advantage
# ------------------------------------------------------------------------------------------------
def hbpo_advantages(
    returns: np.ndarray,
    subgroup: np.ndarray,
    reference: np.ndarray,
    mode: str = "hbpo",
) -> np.ndarray:
    """Advantages of the rollouts of one problem group (or many: pass 2-D arrays, one row each).

    :param returns: ``R``, shape ``(n,)`` or ``(P, n)``
    :param subgroup: subgroup index of each rollout, same shape
    :param reference: ``f2(b)`` of each rollout's budget, same shape
    :param mode: ``"hbpo"``, ``"hbpo-code"`` or ``"grpo"``
    :return: the advantage of each rollout, same shape
    """
    if mode not in ADVANTAGES:
        raise ValueError(f"unknown advantage {mode!r}; allowed: {', '.join(ADVANTAGES)}")
    R = np.atleast_2d(np.asarray(returns, np.float64))
    g = np.atleast_2d(np.asarray(subgroup))
    f2 = np.atleast_2d(np.asarray(reference, np.float64))
    a_inter = (R - R.mean(axis=1, keepdims=True)) / (R.std(axis=1, keepdims=True) + 1e-6)
    if mode == "grpo":
        out = a_inter
    else:
        a_intra = np.zeros_like(R)
        for j in np.unique(g):
            m = g == j
            counts = m.sum(axis=1, keepdims=True)
            sub_mean = np.where(m, R, 0.0).sum(axis=1, keepdims=True) / np.maximum(counts, 1)
            a_intra = np.where(m, sub_mean - f2, a_intra)
        out = a_inter + (2.0 if mode == "hbpo-code" else 1.0) * a_intra
    return out.reshape(np.shape(returns))


# ------------------------------------------------------------------------------------------------
# Adam
# ------------------------------------------------------------------------------------------------
class Adam:
    """Adam over a dict of NumPy parameters (updated in place)."""

    def __init__(self, params: dict[str, np.ndarray], lr: float, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for k, g in grads.items():
            self.m[k] = b1 * self.m[k] + (1 - b1) * g
            self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
            self.params[k] -= self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)


# ------------------------------------------------------------------------------------------------
# The trainer
# ------------------------------------------------------------------------------------------------
class HBPO:
    """HBPO trainer for an hbkit environment.

    >>> trainer = HBPO("hbkit/Reasoning-v0", scenario="hbpo-math", seed=0)
    >>> history = trainer.learn(iterations=3, progress=False)
    >>> sorted(history[-1])[:3]
    ['accuracy', 'iteration', 'mean_tokens']

    :param env_id: a registered hbkit env id with a native VectorEnv
    :param scenario: scenario name or path; its ``[train]`` table sets the defaults
    :param budgets: budgets of the subgroups (default: the scenario's)
    :param reward: reward function name (default: the scenario's)
    :param advantage: ``"hbpo"``, ``"hbpo-code"`` or ``"grpo"``
    :param seed: seed of the run
    :param init_policy: a starting :class:`Policy`, trained in place (its metadata then names
        this trainer's world and settings, the former ``trained`` entry kept as ``init``); default:
        the env's base policy (the verbose base reasoner for ``hbkit/Reasoning-v0``) of the
        configured kind
    :param env_kwargs: extra keyword arguments for the env
    :param config: any other :class:`HBPOConfig` field
    """

    def __init__(
        self,
        env_id: str = "hbkit/Reasoning-v0",
        scenario: str | None = None,
        budgets: Sequence[int] | None = None,
        reward: str | None = None,
        advantage: str = "hbpo",
        seed: int = 0,
        init_policy: Policy | None = None,
        env_kwargs: dict[str, Any] | None = None,
        **config: Any,
    ):
        from hbkit.envs import DEFAULT_SCENARIOS

        if env_id not in DEFAULT_SCENARIOS:
            raise ConfigError(f"HBPO: unknown env id {env_id!r}; allowed: {', '.join(DEFAULT_SCENARIOS)}")
        spec = gym.spec(env_id)
        if (
            spec.vector_entry_point is None
            or "train" not in load_scenario(DEFAULT_SCENARIOS[env_id], env_id).data
        ):
            raise ConfigError(
                f"HBPO does not train on {env_id}: its world has no [train] table for HBPO; "
                "train it with an SB3 algorithm (hbkit.train.train_sb3)"
            )
        sc = load_scenario(scenario or DEFAULT_SCENARIOS[env_id], env_id)
        defaults = dict(sc.data.get("train", {}))
        world = sc.data.get("world", {})
        unknown = set(config) - set(HBPOConfig.__dataclass_fields__)
        if unknown:
            raise ConfigError(
                f"HBPO: unknown option(s) {sorted(unknown)}; allowed: "
                f"{', '.join(f for f in HBPOConfig.__dataclass_fields__ if f != 'extra')}"
            )
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigError(f"HBPO: seed is {seed!r}; allowed: an integer >= 0")
        # [train] may name the reward HBPO trains with (else [world]'s); budgets come from [world]
        merged = {
            k: v
            for k, v in defaults.items()
            if k in HBPOConfig.__dataclass_fields__ and k not in ("budgets", "reward")
        }
        merged.update(check_config(config))
        if budgets is not None:
            budgets = sequence_of(budgets, "HBPO: budgets", "numbers (e.g. (512, 1024)); () for natural mode")
        self.config = HBPOConfig(
            budgets=tuple(budgets if budgets is not None else world.get("budgets", ())),
            reward=reward or defaults.get("reward") or world.get("reward", "hbpo"),
            advantage=advantage,
            seed=int(seed),
            extra=dict(env_kwargs or {}),
            **merged,
        )
        c = self.config
        if c.advantage not in ADVANTAGES:
            raise ConfigError(f"HBPO: unknown advantage {c.advantage!r}; allowed: {', '.join(ADVANTAGES)}")
        if c.rollouts_per_problem < max(1, len(c.budgets)):
            raise ConfigError(
                f"HBPO: rollouts_per_problem={c.rollouts_per_problem} is smaller than the "
                f"number of budgets ({len(c.budgets)}); allowed: rollouts_per_problem >= "
                f"{max(1, len(c.budgets))} (each budget subgroup needs a rollout)"
            )
        self.env_id, self.scenario = env_id, sc
        self.num_envs = c.problems_per_iteration * c.rollouts_per_problem
        # The budget list sets the one-hot block; natural mode needs no list but keeps the layout.
        budgets_kw: dict[str, Any] = {"budgets": c.budgets} if c.budgets else {}
        self.vec = gym.make_vec(
            env_id,
            num_envs=self.num_envs,
            vectorization_mode="vector_entry_point",
            scenario=sc,
            reward=c.reward,
            autoreset_mode=AutoresetMode.DISABLED,
            **budgets_kw,
            **c.extra,
        )
        self.rng = np.random.default_rng(c.seed)
        self.policy = init_policy if init_policy is not None else self._initial_policy()
        if init_policy is not None:  # it learns in this world now: evaluate() must rebuild this one
            before = init_policy.metadata.get("trained")
            init_policy.metadata.update(env_metadata(self.vec))
            init_policy.metadata["trained"] = self._trained_config()
            if before:
                init_policy.metadata["trained"]["init"] = before
        self.policy.metadata.setdefault("name", "HBPO")
        self.optimizer = Adam(
            {k: v for k, v in self.policy.params.items() if k not in ("Wd", "bd")}, c.learning_rate
        )
        self.declare_optimizer = (
            Adam({k: self.policy.params[k] for k in ("Wd", "bd")}, c.learning_rate)
            if isinstance(self.policy, DeclaringPolicy)
            else None
        )
        self.num_timesteps = 0
        self.iteration = 0
        self.history: list[dict[str, Any]] = []
        self._layout = self._subgroup_layout()
        self._last_good = {k: v.copy() for k, v in self.policy.params.items()}

    # -- set-up ------------------------------------------------------------------------------
    def _initial_policy(self) -> Policy:
        c = self.config
        u = self.vec.unwrapped
        if hasattr(getattr(u, "world", None), "base_reasoner_weights"):
            # the verbose base reasoner; with budgets, a two-level policy that also learns to
            # declare its own budget for natural mode (see DeclaringPolicy)
            if c.budgets:
                p = base_reasoner(self.vec, "declaring", c.seed, c.hidden if c.policy == "mlp" else 0)
            else:
                p = base_reasoner(self.vec, c.policy, c.seed, c.hidden)
        else:
            space = self.vec.single_observation_space
            p = make_policy(
                c.policy,
                cast(tuple[int, ...], space.shape)[0],
                int(cast(gym.spaces.Discrete, self.vec.single_action_space).n),
                getattr(u, "feature_names", None),
                env_metadata(self.vec),
                c.seed,
                c.hidden,
            )
        p.metadata["trained"] = self._trained_config()
        return p

    def _trained_config(self) -> dict[str, Any]:
        """What a policy's metadata records of its training (``metadata["trained"]``)."""
        return {"algorithm": "HBPO", **{k: v for k, v in asdict(self.config).items() if k != "extra"}}

    def _subgroup_layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = self.config
        return subgroup_layout(c.problems_per_iteration, c.rollouts_per_problem, c.budgets)

    # -- rollout ---------------------------------------------------------------------------
    def rollout(self) -> dict[str, Any]:
        """Run one batch of grouped rollouts with the current policy.

        :return: a dict with the per-step ``obs``, ``actions``, ``logp``, ``masks``, ``env`` (which
            rollout each step belongs to), the per-rollout ``returns`` and the final ``infos``
        """
        c = self.config
        problem, subgroup, budget = self._layout
        seeds = self.rng.integers(0, 2**31 - 1, size=c.problems_per_iteration)[problem]
        budget_opt = [b.item() if b else None for b in budget]
        obs, infos = self.vec.reset(
            seed=int(self.rng.integers(2**31 - 1)),
            options={"budget": budget_opt, "problem_seed": seeds},
        )
        first_obs = obs.copy()
        done = np.zeros(self.num_envs, bool)
        returns = np.zeros(self.num_envs)
        steps_obs, steps_act, steps_logp, steps_env, steps_mask = [], [], [], [], []
        while not done.all():
            live = np.flatnonzero(~done)
            mask = infos.get("action_mask")
            m = None if mask is None else np.asarray(mask, bool)[live]
            logp_all = log_softmax(self.policy.logits(obs[live]), m)
            u = self.rng.random((len(live), 1))
            a_live = np.minimum((np.exp(logp_all).cumsum(axis=1) < u).sum(axis=1), logp_all.shape[1] - 1)
            steps_obs.append(obs[live])
            steps_act.append(a_live)
            steps_logp.append(logp_all[np.arange(len(live)), a_live])
            steps_env.append(live)
            if m is not None:
                steps_mask.append(m)
            actions = np.zeros(self.num_envs, np.int64)
            actions[live] = a_live
            obs, reward, term, trunc, infos = self.vec.step(actions)
            returns[live] += reward[live]
            done[live] |= term[live] | trunc[live]
            self.num_timesteps += len(live)
        return {
            "obs": np.concatenate(steps_obs),
            "actions": np.concatenate(steps_act),
            "logp": np.concatenate(steps_logp),
            "env": np.concatenate(steps_env),
            "masks": np.concatenate(steps_mask) if steps_mask else None,
            "returns": returns,
            "infos": infos,
            "first_obs": first_obs,
        }

    # -- advantage ---------------------------------------------------------------------------
    def advantages(self, returns: np.ndarray) -> np.ndarray:
        """Per-rollout advantages for one batch of returns (see :func:`hbpo_advantages`)."""
        c = self.config
        _, subgroup, budget = self._layout
        shape = (c.problems_per_iteration, c.rollouts_per_problem)
        mode = c.advantage if c.budgets else "grpo"  # no subgroups in natural-mode training
        u: Any = self.vec.unwrapped  # an hbkit VectorEnv: reference_reward() is on every one
        reference = u.reference_reward(budget) if c.budgets else np.zeros(len(budget))
        return hbpo_advantages(
            returns.reshape(shape), subgroup.reshape(shape), np.asarray(reference).reshape(shape), mode
        ).ravel()

    # -- update --------------------------------------------------------------------------------
    def update(self, batch: dict[str, Any], adv_per_rollout: np.ndarray) -> dict[str, float]:
        """Clipped policy-gradient update on one batch (every step carries its rollout's advantage)."""
        c = self.config
        obs, actions, logp_old = batch["obs"], batch["actions"], batch["logp"]
        masks = batch["masks"]
        adv = adv_per_rollout[batch["env"]]
        n = len(actions)
        clipped_frac, n_mb = 0.0, 0
        for _ in range(c.epochs):
            order = self.rng.permutation(n)
            for mb in np.array_split(order, c.minibatches):
                if len(mb) == 0:
                    continue
                logits, cache = self.policy.forward(obs[mb])
                logp_all = log_softmax(logits, None if masks is None else masks[mb])
                p = np.exp(logp_all)
                rows = np.arange(len(mb))
                logp = logp_all[rows, actions[mb]]
                ratio = np.exp(logp - logp_old[mb])
                a = adv[mb]
                # the clipped term is the minimum; its gradient is zero where clipping binds
                active = np.where(a >= 0, ratio <= 1 + c.clip_high, ratio >= 1 - c.clip_low)
                dlogp = np.where(active, -ratio * a, 0.0) / len(mb)
                onehot = np.zeros_like(p)
                onehot[rows, actions[mb]] = 1.0
                dlogits = dlogp[:, None] * (onehot - p)
                grads = self.policy.backward(cache, dlogits)
                norm = np.sqrt(sum(float((g * g).sum()) for g in grads.values()))
                if norm > c.max_grad_norm:
                    grads = {k: g * (c.max_grad_norm / norm) for k, g in grads.items()}
                self.optimizer.step(grads)
                clipped_frac += float(1.0 - active.mean())
                n_mb += 1
        return {"clip_fraction": clipped_frac / max(n_mb, 1)}

    def update_declare(self, batch: dict[str, Any], adv_per_rollout: np.ndarray) -> dict[str, float]:
        """Train the high level of a :class:`DeclaringPolicy`: which budget to declare for a problem.

        Every problem was tried under every budget (one subgroup each), so the value of declaring
        budget ``b`` is known for each problem: the mean advantage of its subgroup. The update
        ascends ``sum_b pi(b | problem) * mean_advantage(b)`` (a full-information policy gradient).
        """
        c = self.config
        if self.declare_optimizer is None:
            return {}
        problem, subgroup, _ = self._layout
        P, k = c.problems_per_iteration, len(c.budgets)
        value = np.zeros((P, k))
        np.add.at(value, (problem, subgroup), adv_per_rollout)
        value /= np.bincount(subgroup[: c.rollouts_per_problem], minlength=k)[None, :]
        obs = batch["first_obs"][:: c.rollouts_per_problem]
        policy = cast(DeclaringPolicy, self.policy)  # the declare optimizer exists only for one
        logits = policy.declare_logits(obs)
        pi = np.exp(log_softmax(logits))
        expected = (pi * value).sum(axis=1, keepdims=True)
        dlogits = -pi * (value - expected) / P
        grads = policy.declare_backward(obs, dlogits)
        norm = np.sqrt(sum(float((g * g).sum()) for g in grads.values()))
        if norm > c.max_grad_norm:
            grads = {key: g * (c.max_grad_norm / norm) for key, g in grads.items()}
        self.declare_optimizer.step(grads)
        choice = logits.argmax(axis=1)
        return {f"declare@{b}": float(np.mean(choice == j)) for j, b in enumerate(c.budgets)}

    # -- the loop ------------------------------------------------------------------------------
    @on_one_blas_thread
    def learn(
        self,
        iterations: int | None = None,
        progress: bool = True,
        callback: Callable[[HBPO, dict[str, Any]], bool | None] | None = None,
    ) -> list[dict[str, Any]]:
        """Train for ``iterations`` (default: the scenario's) and return the history of all
        iterations so far (one dict of metrics per iteration).

        :param progress: show a tqdm progress bar
        :param callback: called as ``callback(trainer, row)`` after every iteration; returning
            ``False`` stops training early (e.g. a notebook's live plot)
        """
        if iterations is None:
            iterations = self.config.iterations
        if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
            raise ConfigError(f"HBPO.learn: iterations is {iterations!r}; allowed: an integer >= 0")
        iterations = int(iterations)
        bar = tqdm(
            total=iterations,
            desc=str(self.policy.metadata.get("name", "HBPO")),
            disable=not progress,
            unit="it",
            leave=True,
        )
        try:
            for i in range(iterations):
                t0 = time.perf_counter()
                if self.config.anneal_lr:
                    self.optimizer.lr = self.config.learning_rate * (1.0 - i / iterations)
                    if self.declare_optimizer is not None:
                        self.declare_optimizer.lr = self.optimizer.lr
                batch = self.rollout()
                adv = self.advantages(batch["returns"])
                stats = self.update(batch, adv)
                stats.update(self.update_declare(batch, adv))
                self._check_finite(stats)
                stats.update(self._group_metrics(batch["returns"]))
                self.iteration += 1
                row = {
                    "iteration": self.iteration,
                    "num_timesteps": self.num_timesteps,
                    "reward": float(batch["returns"].mean()),
                    **self._env_metrics(batch["infos"]),
                    **stats,
                    "seconds": time.perf_counter() - t0,
                }
                self.history.append(row)
                bar.update(1)
                bar.set_postfix(
                    {k: round(v, 3) for k, v in row.items() if k in ("reward", "accuracy", "mean_tokens")},
                    refresh=False,
                )
                if callback is not None and callback(self, row) is False:
                    break
        finally:
            bar.close()
        self.policy.metadata.setdefault("trained", {})["iterations"] = self.iteration
        self.policy.metadata["trained"]["num_timesteps"] = self.num_timesteps
        return self.history

    def _check_finite(self, stats: dict[str, float]) -> None:
        """Stop with :class:`TrainingError` as soon as a weight is not finite (nothing broken is
        ever saved: the policy's last finite weights are restored first)."""
        bad = [k for k, v in self.policy.params.items() if not np.all(np.isfinite(v))]
        if bad:
            for k, v in self.policy.params.items():
                v[...] = self._last_good[k]
            raise TrainingError(
                f"HBPO: training produced non-finite weights ({', '.join(bad)}) at iteration "
                f"{self.iteration + 1}; the policy keeps its last finite weights. Try a smaller "
                f"learning_rate (now {self.config.learning_rate})"
            )
        self._last_good = {k: v.copy() for k, v in self.policy.params.items()}

    def _group_metrics(self, returns: np.ndarray) -> dict[str, float]:
        """``zero_variance``: the share of problem groups whose rollouts all got the same reward,
        so that their advantage is zero and they teach nothing (what a collapsed group looks like)."""
        c = self.config
        R = returns.reshape(c.problems_per_iteration, c.rollouts_per_problem)
        return {"zero_variance": float(np.mean(R.std(axis=1) < 1e-9))}

    def _env_metrics(self, infos: dict[str, Any]) -> dict[str, float]:
        u = self.vec.unwrapped
        if hasattr(u, "training_metrics"):
            return u.training_metrics(infos, self._layout[2])
        return {}
