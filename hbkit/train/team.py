"""Training recipes for ``hbkit/Team-v0``: MaskablePPO (sb3-contrib) and HBPO carried over.

>>> from hbkit.train.team import train_maskable_ppo, train_hbpo
>>> model = train_maskable_ppo("hashiru", total_timesteps=20_000)    # doctest: +SKIP
>>> trainer = train_hbpo("hashiru", iterations=50)                     # doctest: +SKIP

**MaskablePPO** trains on the plain reward (value of solved tasks minus ``money_weight`` per
dollar) through :class:`hbkit.train.sb3_native.NativeVecEnv`, i.e. on the batched VectorEnv,
with the action masks of the env. Its hyperparameters are the scenario's ``[sb3]`` table. torch is
imported only when a recipe runs.

**HBPO carried over** (:class:`hbkit.train.HBPO`, NumPy): each iteration samples ``P`` task streams
(``problem_seed``) and runs ``n`` rollouts of each, split into subgroups with different *expense
budgets* (``world.budgets``, e.g. 0.05 / 0.10 / 0.20 / 0.30 dollars); the budget is part of the
observation. Each rollout is scored with the budget-aware ``hbpo`` reward and compared inside and
across subgroups exactly as in the paper (``A = A_inter + A_intra``, ``f2(b) = beta*cos(pi*b/(2L))``
with dollars for tokens). Where the Team world differs from the paper's reasoning lengths:

* the budget is a *hard* limit: an overspending action is rejected and running out of money ends
  the episode, so the reward's over-budget branch never applies;
* "correct" becomes ``Q``, the share of the stream's value the manager solved (a number in [0, 1]);
* a rollout is a sequence of many decisions (about 50 per stream) rather than one length, and the
  advantage of the whole rollout is given to each of them, as HBPO does for every token;
* the paper fine-tunes a *pretrained* reasoner; the Team world has no pretrained manager, so
  :func:`train_hbpo` first makes one (``init="feedback"``, the default): :func:`imitate` clones
  the hand-written feedback manager into the NumPy MLP policy by behaviour cloning with a few rounds
  of DAgger (the expert labels the states the student visits). HBPO then fine-tunes that policy
  with budget subgroups. ``init=None`` starts from a uniform policy instead (it learns far more
  slowly: about 50 decisions per stream, 16 actions).

**HBPO over a manager's parameters** (:func:`train_hbpo_router`, NumPy): the same grouping of
rollouts (one stream, subgroups with different expense budgets) and the same advantage, but each
rollout samples the two parameters of the feedback manager (cost weight and UCB bonus) from a
Gaussian per budget instead of sampling each action. It learns in seconds and is the learned manager
that matches or beats the best hand-written one at lower spending (+0.2 % on ``hashiru``, a tie
within the interval over seeds; +3.5 % on
``startup``, +5.1 % on ``agency``, a scenario written after its defaults were set; see
``benchmarks/RESULTS.md``). :func:`train_router` is its plain-function form,
``(env_id, scenario, seed, **settings) -> manager``, for the command line and :mod:`hbkit.sweep`.
It can learn more of the router (``params=``: fire margin, prior scale, a pivotal value per review
opinion, :data:`ROUTER_PARAMS`) over the Bayesian router (``base="bayes"``); on ``hashiru`` most of
what is left to the clairvoyant bound is the price of information (``bench:team_gap`` in
``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from tqdm.auto import tqdm

from hbkit._threads import on_one_blas_thread
from hbkit.scenarios import load_scenario

if TYPE_CHECKING:
    from hbkit.envs.team import TeamVectorEnv

__all__ = ["train_maskable_ppo", "train_hbpo", "imitate", "learned_managers", "train_router"]

ENV_ID = "hbkit/Team-v0"


def train_maskable_ppo(
    scenario: str = "hashiru",
    total_timesteps: int | None = None,
    seed: int = 0,
    progress: bool = True,
    reward: str | None = None,
    reset_budgets: Any = None,
    callback: Any = None,
    verbose: int = 0,
    torch_threads: int | None = 1,
    **overrides: Any,
):
    """Train sb3-contrib's MaskablePPO on the Team world and return the model.

    :param scenario: scenario name or path; its ``[sb3]`` table sets the defaults
    :param total_timesteps: environment steps (default: the scenario's)
    :param seed: seed of the model and the envs
    :param progress: show a tqdm progress bar
    :param reward: reward to train on (default: the scenario's, ``plain``)
    :param reset_budgets: expense budgets (dollars) to draw each training episode's budget from
        (default: the scenario's own budget only)
    :param callback: an extra SB3 callback
    :param torch_threads: torch CPU threads (one is fastest for these small networks; ``None``
        leaves torch's setting alone)
    :param overrides: any key of the ``[sb3]`` table (``n_envs``, ``n_steps``, ``batch_size``,
        ``n_epochs``, ``learning_rate``, ``gamma``, ``ent_coef``, ``hidden``, ``normalize_reward``)
    :return: a trained ``MaskablePPO`` model (``model.save(path)``; load with
        ``hbkit.train.sb3.load_sb3(path, "maskable-ppo")``)
    """
    import torch
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.vec_env import VecNormalize

    from hbkit.train.sb3 import progress_callback
    from hbkit.train.sb3_native import NativeVecEnv

    if torch_threads is not None:
        torch.set_num_threads(int(torch_threads))
    from hbkit.errors import ConfigError, ScenarioError

    sc = load_scenario(scenario, ENV_ID)
    cfg = dict(sc.data.get("sb3") or {})
    unknown = set(overrides) - set(cfg)
    if unknown:
        raise ConfigError(
            f"train_maskable_ppo: unknown option(s) {sorted(unknown)}; allowed: {', '.join(cfg)}"
        )
    if total_timesteps is not None:
        overrides["total_timesteps"] = total_timesteps
    try:  # the [sb3] table's rules (ranges, whole numbers) hold for the settings given here too
        checked = sc.with_overrides({f"sb3.{k}": v for k, v in overrides.items()}) if overrides else sc
    except ScenarioError as exc:
        raise ConfigError(f"train_maskable_ppo: {exc}") from None
    cfg = dict(checked.data["sb3"])
    steps = int(cfg["total_timesteps"])
    env_kwargs = {"scenario": sc, **({"reward": reward} if reward else {})}
    venv = NativeVecEnv(ENV_ID, num_envs=cfg["n_envs"], seed=seed, reset_budgets=reset_budgets, **env_kwargs)
    train_env = VecNormalize(venv, norm_obs=False, norm_reward=True) if cfg["normalize_reward"] else venv
    hidden = int(cfg["hidden"])
    model = MaskablePPO(
        "MlpPolicy",
        train_env,
        n_steps=int(cfg["n_steps"]),
        batch_size=int(cfg["batch_size"]),
        n_epochs=int(cfg["n_epochs"]),
        learning_rate=float(cfg["learning_rate"]),
        gamma=float(cfg["gamma"]),
        ent_coef=float(cfg["ent_coef"]),
        policy_kwargs={"net_arch": [hidden, hidden]},
        seed=seed,
        device="cpu",
        verbose=verbose,
    )
    callbacks = [progress_callback(steps, desc="MaskablePPO")] if progress else []
    if callback is not None:
        callbacks.append(callback)
    model.learn(total_timesteps=steps, callback=CallbackList(callbacks) if callbacks else None)
    model.hbkit_info = {  # type: ignore[attr-defined]  # read back by hbkit.train.sb3
        "env_id": ENV_ID,
        "scenario": sc.name,
        "algorithm": "MaskablePPO",
        "total_timesteps": steps,
        "seed": seed,
    }
    return model


@on_one_blas_thread
def imitate(
    scenario: Any = "hashiru",
    expert: str = "feedback",
    streams: int = 256,
    rounds: int = 3,
    epochs: int = 30,
    hidden: int = 64,
    learning_rate: float = 3e-3,
    seed: int = 0,
    progress: bool = False,
):
    """Clone a hand-written manager into an hbkit :class:`~hbkit.train.policies.MLPPolicy`
    (behaviour cloning, then DAgger: later rounds run the student and let the expert label the
    states it reaches). NumPy only.

    :param scenario: scenario name or path
    :param expert: name of a manager in :data:`hbkit.managers.team.MANAGERS`
    :param streams: task streams per round (each gives about 50 labelled decisions)
    :param rounds: data-collection rounds (the first runs the expert, the others the student)
    :param epochs: passes over the aggregated data after each round
    :param hidden: hidden width of the MLP
    :param learning_rate: Adam step size
    :param seed: seed of the streams and the weights
    :param progress: show a progress bar
    :return: the cloned policy (``policy.metadata["name"] = "clone of <expert>"``)
    :raises ConfigError: for an unknown expert or a bad setting, before any env is made
    """
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    from hbkit.errors import ConfigError, positive_number, whole_number
    from hbkit.managers.team import MANAGERS
    from hbkit.train.hbpo import Adam
    from hbkit.train.policies import env_metadata, log_softmax, make_policy

    where = "imitate: "
    if expert not in MANAGERS:
        raise ConfigError(f"{where}unknown expert {expert!r}; allowed: {', '.join(MANAGERS)}")
    streams = whole_number(streams, where + "streams", 1)
    rounds = whole_number(rounds, where + "rounds", 1)
    epochs = whole_number(epochs, where + "epochs", 0)
    hidden = whole_number(hidden, where + "hidden", 1)
    seed = whole_number(seed, where + "seed", 0)
    learning_rate = positive_number(learning_rate, where + "learning_rate")
    vec = gym.make_vec(
        ENV_ID,
        num_envs=int(streams),
        vectorization_mode="vector_entry_point",
        scenario=scenario,
        autoreset_mode=AutoresetMode.DISABLED,
    )
    u = cast("TeamVectorEnv", vec.unwrapped)
    teacher = MANAGERS[expert](vec)
    policy = make_policy(
        "mlp",
        cast(tuple[int, ...], vec.single_observation_space.shape)[0],
        int(cast(gym.spaces.Discrete, vec.single_action_space).n),
        getattr(u, "feature_names", None),
        {**env_metadata(vec), "name": f"clone of {expert}"},
        seed,
        hidden,
    )
    opt = Adam(policy.params, learning_rate)
    rng = np.random.default_rng(seed)
    X, Y, M = [], [], []
    for r in tqdm(range(int(rounds)), desc=f"imitate {expert}", disable=not progress, unit="round"):
        obs, infos = vec.reset(seed=int(seed) * 1000 + r)
        done = np.zeros(vec.num_envs, bool)
        while not done.all():
            live = np.flatnonzero(~done)
            mask = np.asarray(infos["action_mask"], bool)
            label = np.asarray(teacher(obs, infos))
            X.append(obs[live])
            Y.append(label[live])
            M.append(mask[live])
            act = label if r == 0 else policy.act(obs, rng, True, mask)
            obs, _, term, trunc, infos = vec.step(np.asarray(act))
            done |= term | trunc
        x, y, m = np.concatenate(X), np.concatenate(Y), np.concatenate(M)
        for _ in range(int(epochs)):
            for mb in np.array_split(rng.permutation(len(y)), max(1, len(y) // 512)):
                logits, cache = policy.forward(x[mb])
                p = np.exp(log_softmax(logits, m[mb]))  # masked actions get probability 0
                p[np.arange(len(mb)), y[mb]] -= 1.0  # d(cross-entropy)/d(logits)
                opt.step(policy.backward(cache, p / len(mb)))
    vec.close()
    policy.metadata["trained"] = {
        "algorithm": "behaviour cloning + DAgger",
        "expert": expert,
        "samples": int(len(y)),
    }
    return policy


def train_hbpo(
    scenario: str = "hashiru",
    iterations: int | None = None,
    seed: int = 0,
    progress: bool = True,
    callback: Any = None,
    init: str | None = "feedback",
    imitation: dict[str, Any] | None = None,
    **config: Any,
):
    """Train the HBPO trainer on the Team world (subgroups of different expense budgets) and return
    the trainer (``trainer.policy`` is the manager; ``trainer.history`` the per-iteration metrics).

    :param scenario: scenario name or path; its ``[train]`` table and ``world.budgets`` set the
        defaults
    :param iterations: training iterations (default: the scenario's)
    :param init: the manager to clone into the starting policy (see :func:`imitate`), or ``None``
        to start from a uniform policy
    :param imitation: keyword arguments for :func:`imitate`
    :param config: any :class:`hbkit.train.HBPOConfig` field or ``budgets=`` / ``reward=`` /
        ``advantage=``
    """
    from hbkit.train.hbpo import HBPO

    init_policy = None
    if init is not None:
        init_policy = imitate(scenario, expert=init, seed=seed, progress=progress, **(imitation or {}))
        init_policy.metadata["name"] = "HBPO"
    trainer = HBPO(ENV_ID, scenario=scenario, seed=seed, init_policy=init_policy, **config)
    if init_policy is not None:
        trainer.policy.metadata["trained"]["init"] = f"clone of {init}"
    trainer.learn(iterations=iterations, progress=progress, callback=callback)
    return trainer


def learned_managers(
    scenario: Any = "hashiru",
    seed: int = 0,
    fast: bool | None = None,
    progress: bool = True,
    hbpo_mlp: bool = False,
) -> dict[str, Any]:
    """Train the learned managers notebook 05 compares, with the scenario's settings (much shorter
    in fast mode, ``HBKIT_FAST=1``):

    * ``MaskablePPO``: :func:`train_maskable_ppo`, 30k steps (only if sb3-contrib is installed; it
      settles on the same fixed team at 40k and 100k steps: ``benchmarks/RESULTS.md``);
    * ``HBPO-router``: :func:`train_router`, HBPO over the feedback manager's parameters;
    * ``HBPO`` (only with ``hbpo_mlp=True``): :func:`train_hbpo`, the NumPy MLP started from a clone
      of the feedback manager. It ends *below* its clone on the plain reward (48.5 -> 40.4 on
      ``hashiru`` after 30 iterations trained on the plain reward itself), so it is not a default.

    :return: name -> agent (each accepted by :func:`hbkit.evaluate.evaluate`)
    """
    import hbkit

    fast = hbkit.fast_mode() if fast is None else fast
    out: dict[str, Any] = {}
    try:
        import sb3_contrib  # noqa: F401
    except ImportError:  # pragma: no cover - sb3 is optional
        pass
    else:
        out["MaskablePPO"] = train_maskable_ppo(
            scenario,
            total_timesteps=4096 if fast else 30_000,
            seed=seed,
            progress=progress,
            **cast(dict[str, Any], {"n_steps": 64} if fast else {}),
        )
    if hbpo_mlp:
        small: dict[str, Any] = dict(problems_per_iteration=4, rollouts_per_problem=4) if fast else {}
        imitation = dict(streams=32, rounds=1, epochs=3) if fast else dict(streams=128, rounds=3, epochs=15)
        trainer = train_hbpo(
            scenario, iterations=2 if fast else 30, seed=seed, progress=progress, imitation=imitation, **small
        )
        out["HBPO"] = trainer.policy
    out["HBPO-router"] = train_router(
        ENV_ID,
        scenario,
        seed=seed,
        progress=progress,
        **(dict(iterations=3, problems_per_iteration=4) if fast else {}),
    )
    return out


# ------------------------------------------------------------------------------------------------
# HBPO over a feedback manager's parameters
# ------------------------------------------------------------------------------------------------
def _mirrored(rng: np.random.Generator, num: int, pair_with: np.ndarray, dim: int = 2) -> np.ndarray:
    """Standard normal noise ``(num, dim)`` where row ``i`` is minus row ``pair_with[i]`` (if not ``i``)."""
    eps = rng.standard_normal((num, dim))
    paired = pair_with != np.arange(num)
    eps[paired] = -eps[pair_with[paired]]
    return eps


_BASES = ("feedback", "bayes")

#: The parameters of a base router that HBPO may learn: name -> (how the searched number maps to
#: the router's attribute of the same name, the start: the hand-written manager's setting; ``None``
#: is the scenario's ``money_weight``). ``log``: the attribute is ``exp(x)``; ``pos``: ``max(x, 0)``;
#: ``unit``: ``x`` clipped to [0, 1].
ROUTER_PARAMS: dict[str, tuple[str, float | None]] = {
    "cost_weight": ("log", None),  # reward units per dollar in routing
    "ucb": ("pos", 0.5),  # feedback: optimism bonus in logits
    "explore": ("pos", 0.5),  # bayes: posterior standard deviations of optimism
    "fire_margin": ("pos", 0.15),  # how much better a candidate must score to fire someone
    "prior_scale": ("log", 0.0),  # bayes: multiplies the prior's std of the hidden deviations
    "pivot": ("unit", 0.0),  # flat value per part (0) .. chance that the part decides the task (1)
}

#: What is learned by default for each base router.
DEFAULT_PARAMS: dict[str, tuple[str, ...]] = {
    "feedback": ("cost_weight", "ucb"),
    "bayes": ("cost_weight", "explore"),
}


def _base_router(env: Any, name: str, base: str):
    from hbkit.managers.team import BayesRouter, Router

    return Router(env, name, feedback=True) if base == "feedback" else BayesRouter(env, name)


def _check_params(base: str, params: Any) -> tuple[str, ...]:
    from hbkit.errors import ConfigError, sequence_of

    if base not in _BASES:
        raise ConfigError(f"base {base!r} is not known; allowed: {', '.join(_BASES)}")
    if params is not None:
        params = sequence_of(params, "params", "parameter names")
    names = DEFAULT_PARAMS[base] if params is None else tuple(params)
    allowed = [k for k in ROUTER_PARAMS if base == "bayes" or k not in ("explore", "prior_scale")]
    if base == "bayes":
        allowed.remove("ucb")
    bad = [k for k in names if k not in allowed]
    if bad or not names or len(set(names)) != len(names):
        raise ConfigError(f"params {list(names)} for base {base!r}: allowed: distinct names among {allowed}")
    return names


def _attribute(name: str, x: np.ndarray) -> np.ndarray:
    kind = ROUTER_PARAMS[name][0]
    return np.exp(x) if kind == "log" else np.maximum(x, 0.0) if kind == "pos" else np.clip(x, 0.0, 1.0)


def _start(name: str, world: Any) -> float:
    x0 = ROUTER_PARAMS[name][1]
    return float(np.log(world.money_weight)) if x0 is None else float(x0)


def _set_params(router: Any, names: tuple[str, ...], theta: np.ndarray) -> None:
    """Set a base router's learned parameters from searched values ``theta`` ``(n, len(names))``."""
    for k, name in enumerate(names):
        setattr(router, name, _attribute(name, theta[:, k]))


class LearnedRouter:
    """A hand-written router (:class:`hbkit.managers.team.Router` with UCB feedback, or
    :class:`hbkit.managers.team.BayesRouter`) whose parameters (by default its cost weight and its
    optimism) were learned, one set per expense budget (interpolated between budgets; each env's
    budget is read from its observation). Batched, like every Team manager.

    :param env: a Team Env or VectorEnv
    :param budgets: the budgets (dollars, increasing) the parameters were learned for
    :param theta: parameter name (a key of :data:`ROUTER_PARAMS`) -> searched value per budget
        (``log`` of the cost weight, ...)
    :param name: shown in reports
    :param base: ``"feedback"`` or ``"bayes"``
    """

    batched = True
    #: per-iteration training metrics (set by :func:`train_router` and by :meth:`load`)
    history: list[dict[str, float]]
    wants_info = True

    def __init__(
        self, env: Any, budgets, theta: dict[str, Any], name: str = "HBPO-router", base: str = "feedback"
    ):
        from hbkit.errors import ConfigError

        self.names = _check_params(base, list(theta))
        b = np.asarray(budgets, np.float64)
        if b.ndim != 1 or not len(b) or not np.isfinite(b).all() or (np.diff(b) <= 0).any() or b[0] <= 0:
            raise ConfigError(
                f"LearnedRouter: budgets {np.asarray(budgets).tolist()} are not allowed; allowed: "
                "one or more finite, positive budgets (dollars), strictly increasing"
            )
        values = {k: np.asarray(v, np.float64) for k, v in theta.items()}
        if any(v.shape != b.shape or not np.isfinite(v).all() for v in values.values()):
            raise ConfigError(
                "LearnedRouter: every learned parameter must hold one finite value per budget "
                f"(budgets and parameters of one length, {len(b)}); got "
                f"{ {k: np.asarray(v).tolist() for k, v in theta.items()} }"
            )
        self.router = _base_router(env, name, base)
        self.base = base
        self.world = self.router.world
        self.budgets = b
        self.theta = values
        self.name = name

    def params_at(self, budget: Any) -> dict[str, np.ndarray]:
        """The router's learned settings (cost weight in reward units per dollar, ...) at the given
        budgets (dollars)."""
        b = np.asarray(budget, np.float64)
        return {k: _attribute(k, np.interp(b, self.budgets, self.theta[k])) for k in self.names}

    def __call__(self, obs: Any, info: dict[str, Any]) -> Any:
        s = self.world.decode(obs)
        for k, v in self.params_at(s["budget"]).items():
            setattr(self.router, k, v)
        mask = np.asarray(info["action_mask"], bool).reshape(len(s["type"]), self.world.num_actions)
        actions = self.router.decide(s, mask)
        return int(actions[0]) if np.ndim(obs) == 1 else actions

    @classmethod
    def from_dict(cls, env: Any, data: dict[str, Any]) -> LearnedRouter:
        """Rebuild a manager saved with :meth:`to_dict` for ``env`` (a Team Env or VectorEnv)."""
        base = data.get("base", "feedback")
        theta = data.get("theta")
        if theta is None:  # the first format: two parameters of the feedback router
            theta = {"cost_weight": data["log_cost_weight"], DEFAULT_PARAMS[base][1]: data["ucb"]}
        return cls(env, data["budgets"], theta, name=data.get("name", "HBPO-router"), base=base)

    @property
    def trained_world(self) -> Any:
        """The scenario the parameters were learned on: :func:`hbkit.evaluate.evaluate` runs the
        manager there by default and refuses another world unless told otherwise."""
        return self.world.scenario

    def to_dict(self) -> dict[str, Any]:
        """The learned parameters as plain data (JSON-serialisable)."""
        return {
            "budgets": self.budgets.tolist(),
            "theta": {k: v.tolist() for k, v in self.theta.items()},
            "name": self.name,
            "base": self.base,
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the learned parameters and the full world they were learned on to ``path`` (JSON,
        no pickle; ``.json`` is added if missing). Load it with :func:`load_router`.

        :return: the path written
        """
        path = Path(path)
        if path.suffix != ".json":
            path = path.with_suffix(path.suffix + ".json")
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "format": ROUTER_FORMAT,
            "version": 2,
            "env_id": ENV_ID,
            "scenario": self.world.scenario.to_dict(),
            "router": self.to_dict(),
            "history": getattr(self, "history", []),
        }
        tmp = path.with_name(f".tmp-{path.name}")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        return path


#: The ``format`` field of a saved :class:`LearnedRouter`.
ROUTER_FORMAT = "hbkit-team-router"


def load_router(path: str | os.PathLike[str]) -> LearnedRouter:
    """Load a :class:`LearnedRouter` saved by :meth:`LearnedRouter.save`, on the world it was learned
    on (the scenario is stored in the file).

    :raises PolicyFileError: if the file is not a saved learned Team manager
    """
    from hbkit.envs.team import TeamEnv
    from hbkit.errors import PolicyFileError
    from hbkit.scenarios import Scenario

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != ROUTER_FORMAT:
            raise ValueError(f"format is not {ROUTER_FORMAT!r}")
        scenario = Scenario.from_dict(data["scenario"], source=f"{path} (saved scenario)")
        router = LearnedRouter.from_dict(TeamEnv(scenario=scenario), data["router"])
    except (OSError, KeyError, TypeError, ValueError) as err:
        raise PolicyFileError(f"{path}: cannot load a learned Team manager ({err})") from None
    router.history = data.get("history", [])
    return router


@on_one_blas_thread
def train_hbpo_router(
    scenario: Any = "hashiru",
    iterations: int = 40,
    problems_per_iteration: int = 16,
    rollouts_per_problem: int = 8,
    budgets: Any = None,
    reward: str = "plain",
    advantage: str = "hbpo",
    sigma: float = 0.3,
    learning_rate: float = 0.1,
    anneal_lr: bool = True,
    base: str = "feedback",
    params: Any = None,
    seed: int = 0,
    progress: bool = True,
) -> tuple[LearnedRouter, list[dict[str, float]]]:
    """HBPO over the parameters of a hand-written router (NumPy).

    Each iteration draws ``P`` task streams and runs ``n`` rollouts of each, split into subgroups
    with different expense budgets (``world.budgets``), exactly as HBPO groups the rollouts of one
    problem. What is sampled per rollout is not a token sequence but the manager's parameters, e.g.
    ``theta = (log cost_weight, ucb) ~ N(mu[b], sigma^2)`` (one Gaussian per budget ``b``: a
    budget-conditioned policy), in mirrored pairs ``mu + eps``, ``mu - eps`` inside each subgroup
    (the pair faces the same stream, so the stream's own luck cancels from the gradient). Each
    rollout's return is scored with HBPO's advantage (``A = A_inter + A_intra``,
    :func:`hbkit.train.hbpo.hbpo_advantages`, with ``f2(b)`` the reward of a fully solved stream at
    budget ``b``) and ``mu[b]`` follows the score-function gradient
    ``mean(A * (theta - mu[b]) / sigma^2)`` (normalised steps of size ``learning_rate``).

    :param reward: ``plain`` (the evaluation objective: value minus ``money_weight`` per dollar) or
        ``hbpo`` (budget-aware: pays ``beta*Q*cos(pi*b/2L)`` whatever is spent within the budget)
    :param sigma: exploration std of the parameters
    :param learning_rate: length of each (normalised) step of ``mu``
    :param base: the manager whose parameters are learned: ``"feedback"``
        (:class:`~hbkit.managers.team.Router` with UCB feedback) or ``"bayes"``
        (:class:`~hbkit.managers.team.BayesRouter`)
    :param params: the names of the parameters to learn (keys of :data:`ROUTER_PARAMS`; default:
        :data:`DEFAULT_PARAMS` of the base, its cost weight and its optimism); each starts at the
        hand-written manager's setting
    :param anneal_lr: shrink the step linearly to zero over the iterations (so the final
        parameters settle instead of wandering by the last steps' noise)
    :return: ``(manager, history)``
    :raises ConfigError: for a bad setting (counts and ``seed`` whole numbers, ``sigma`` and
        ``learning_rate`` finite and positive, budgets strictly increasing), before any training
    """
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    from hbkit.errors import ConfigError, positive_number, sequence_of, whole_number
    from hbkit.train.hbpo import ADVANTAGES, hbpo_advantages

    names = _check_params(base, params)
    name = "HBPO-router"
    where = "train_hbpo_router: "
    iterations = whole_number(iterations, where + "iterations", 0)
    P = whole_number(problems_per_iteration, where + "problems_per_iteration", 1)
    n = whole_number(rollouts_per_problem, where + "rollouts_per_problem", 1)
    seed = whole_number(seed, where + "seed", 0)
    sigma = positive_number(sigma, where + "sigma")
    learning_rate = positive_number(learning_rate, where + "learning_rate")
    if advantage not in ADVANTAGES:
        raise ConfigError(f"{where}advantage is {advantage!r}; allowed: {', '.join(ADVANTAGES)}")
    sc = load_scenario(scenario, ENV_ID)
    if budgets is not None:
        budgets = sequence_of(budgets, where + "budgets", "expense budgets (dollars)")
    budgets = tuple(float(b) for b in (budgets if budgets is not None else sc.data["world"]["budgets"]))
    B = len(budgets)

    if not B or any(b2 <= b1 for b1, b2 in zip(budgets, budgets[1:], strict=False)):
        raise ConfigError(  # the learned parameters are interpolated between these budgets
            f"train_hbpo_router: budgets {list(budgets)} are not allowed; allowed: one or more "
            "expense budgets (dollars), strictly increasing"
        )
    if n < B:
        raise ConfigError(
            f"train_hbpo_router: rollouts_per_problem={n} is smaller than the number of budgets ({B}); "
            f"allowed: rollouts_per_problem >= {B} (one subgroup per budget)"
        )
    vec = gym.make_vec(
        ENV_ID,
        num_envs=P * n,
        vectorization_mode="vector_entry_point",
        scenario=sc,
        reward=reward,
        autoreset_mode=AutoresetMode.DISABLED,
    )
    u = cast("TeamVectorEnv", vec.unwrapped)
    world = u.world
    sub = np.concatenate([np.full(len(s), j) for j, s in enumerate(np.array_split(np.arange(n), B))])
    subgroup = np.tile(sub, P)
    budget = np.asarray(budgets)[subgroup]
    reference = np.asarray(u.reference_reward(budget)).reshape(P, n)
    mu = np.tile([_start(k, world) for k in names], (B, 1))
    rng = np.random.default_rng(seed)

    router = _base_router(vec, name, base)
    # mirrored sampling: inside a subgroup, rollouts pair up as mu + eps and mu - eps on the same
    # stream, so whatever the stream and the budget contribute to the return cancels in the gradient
    pair_with = np.arange(P * n)
    for start in range(0, P * n, n):
        for j in range(B):
            members = start + np.flatnonzero(sub == j)
            half = len(members) // 2
            pair_with[members[half : 2 * half]] = members[:half]
    history: list[dict[str, float]] = []
    for it in tqdm(range(int(iterations)), desc="HBPO-router", disable=not progress, unit="it"):
        theta = mu[subgroup] + sigma * _mirrored(rng, P * n, pair_with, len(names))
        _set_params(router, names, theta)
        seeds = np.repeat(rng.integers(0, 2**31 - 1, size=P), n)
        obs, infos = vec.reset(
            seed=int(rng.integers(2**31 - 1)), options={"budget": budget.tolist(), "problem_seed": seeds}
        )
        done = np.zeros(P * n, bool)
        returns = np.zeros(P * n)
        while not done.all():
            s = world.decode(obs)
            actions = router.decide(s, np.asarray(infos["action_mask"], bool))
            obs, r, term, trunc, infos = vec.step(actions)
            returns[~done] += r[~done]
            done |= term | trunc
        adv = hbpo_advantages(returns.reshape(P, n), subgroup.reshape(P, n), reference, advantage).ravel()
        for j in range(B):
            m = subgroup == j
            grad = (adv[m, None] * (theta[m] - mu[j])).mean(axis=0) / sigma**2
            step = learning_rate * (1.0 - it / iterations if anneal_lr else 1.0)
            mu[j] += step * grad / (np.linalg.norm(grad) + 1e-8)
        metrics = u.training_metrics(infos, budget)
        history.append(
            {
                "iteration": it + 1,
                "reward": float(returns.mean()),
                **metrics,
                **{
                    f"{k}@{b:g}": float(_attribute(k, mu[j, i]))
                    for i, k in enumerate(names)
                    for j, b in enumerate(budgets)
                },
            }
        )
    vec.close()
    theta_out = {k: mu[:, i].copy() for i, k in enumerate(names)}
    return LearnedRouter(vec, budgets, theta_out, name=name, base=base), history


#: The defaults of :func:`train_router` (see ``benchmarks/RESULTS.md``, ``bench:team_gap``, for the
#: variants measured against them).
DEFAULT_SETTINGS: dict[str, Any] = {"iterations": 80, "base": "feedback", "params": ("cost_weight", "ucb")}


def train_router(
    env_id: str = ENV_ID, scenario: Any = "hashiru", seed: int = 0, **settings: Any
) -> LearnedRouter:
    """Train the learned Team manager with its defaults: HBPO over the feedback manager's
    parameters (:func:`train_hbpo_router`, 80 iterations, about 10 s on one core). The plain
    function form that the command line (``hbkit train --env hbkit/Team-v0 --algo hbpo-router``) and
    :mod:`hbkit.sweep` call.

    :param env_id: must be ``"hbkit/Team-v0"``
    :param scenario: scenario name, path or loaded scenario
    :param seed: training seed
    :param settings: any keyword of :func:`train_hbpo_router` (``iterations``,
        ``problems_per_iteration``, ``rollouts_per_problem``, ``budgets``, ``reward``,
        ``advantage``, ``sigma``, ``learning_rate``, ``anneal_lr``, ``base``, ``params``,
        ``progress``); the defaults are :data:`DEFAULT_SETTINGS`
    :return: the trained :class:`LearnedRouter` (its per-iteration metrics in ``.history``)
    """
    from hbkit.errors import ConfigError

    if env_id != ENV_ID:
        raise ConfigError(f"train_router: env_id {env_id!r} is not supported; allowed: {ENV_ID!r}")
    settings = {**DEFAULT_SETTINGS, "progress": False, **settings}
    router, history = train_hbpo_router(scenario, seed=seed, **settings)
    router.history = history
    return router


__all__ += [
    "LearnedRouter",
    "train_hbpo_router",
    "train_router",
    "load_router",
    "DEFAULT_SETTINGS",
    "ROUTER_PARAMS",
    "DEFAULT_PARAMS",
]
