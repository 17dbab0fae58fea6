"""Train a structured Split manager: a learned productivity guess, water-filled into a split.

One file, NumPy only, in the style of CleanRL: the config at the top, then the policy, then the
training loop.

Why a structure
---------------
Raw deep RL (SB3's PPO on the Box action) has to discover from noisy rewards both *what the
agents are worth* and *how to split a budget given their worth*, and its Gaussian action noise
spends budget at random while it explores. The second half has a closed form (water-filling,
:func:`hbkit.sim.split.water_fill`), and the first half is mostly done by the observation's ledger
(a running least-squares estimate of every productivity and its uncertainty). So the policy here
learns only what is left: **how much to trust and how to adjust the estimates**. Its output is a
productivity guess per agent, and the water-filling layer turns the guesses into a split, which is
therefore always valid (non-negative, spending exactly the round's budget) and always sensible.

The policy (:class:`GuessManager`)
----------------------------------
For agent ``i`` with ledger estimate ``e_i``, estimate standard deviation ``sd_i = noise *
uncertainty_i``, prior mean ``m`` (every agent looks average before feedback), round fraction
``tau = t / T`` and last output and allocation, the guess is

    guess_i = m + w_e * (e_i - m) + (b_0 + b_1 * (1 - tau)) * sd_i + w_r * (r_i - e_i)

* ``w_e`` is how much of the feedback to believe (``0``: ignore it, ``1``: take the estimate);
* ``b_0 + b_1 * (1 - tau)`` is optimism (or caution) in units of the estimate's uncertainty, which
  may shrink over the episode: ``0`` is the greedy manager, a positive constant is UCB;
* ``r_i = y_i * g_i / (g_i^2 + w)`` is the last round's own estimate (``g_i = log(1 + x_i / c_i)``,
  shrunk by the prior's weight ``w``): ``w_r > 0`` leans on the most recent evidence, which helps
  when productivities drift faster than the ledger forgets.

The untrained policy is ``theta = 0``: it ignores all feedback (every agent guessed average), so
whatever it ends up doing with the feedback is learned.

The trainer (:func:`train`)
---------------------------
Evolution strategies (OpenAI-ES): each iteration perturbs ``theta`` in ``population`` antithetic
pairs, runs every candidate on the *same* ``episodes`` worlds (common random numbers: the outputs'
noise is additive and fixed by the world, so reward differences between candidates are exactly
differences of expected output), ranks the candidates by mean reward, and takes an Adam step along
the rank-weighted perturbations. All candidates run in one :class:`hbkit.envs.split.SplitVectorEnv`
(``2 * population * episodes`` envs in lockstep), so an iteration costs one batched episode.
Training reads only what a manager may read (observations and rewards), never the true
productivities.

>>> import hbkit
>>> from hbkit.train.split import train
>>> manager = train("hbkit/Split-v0", "classroom", seed=0, iterations=3)
>>> sorted(manager.theta_names)
['b_0', 'b_1', 'w_e', 'w_r']
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from tqdm.auto import tqdm

from hbkit.errors import ConfigError, PolicyFileError
from hbkit.managers.split import _FLOOR, SplitManager
from hbkit.sim.split import water_fill

__all__ = ["SplitESConfig", "GuessManager", "train", "load_guess_manager"]

ENV_ID = "hbkit/Split-v0"


# ----------------------------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------------------------


@dataclass
class SplitESConfig:
    """Settings of :func:`train` (the defaults train in well under a minute on one core).

    :param iterations: ES iterations (one batched episode each)
    :param population: antithetic pairs per iteration (``2 * population`` candidates)
    :param episodes: worlds every candidate plays per iteration (the same for all candidates)
    :param sigma: standard deviation of the perturbations of ``theta``
    :param learning_rate: Adam's step size on ``theta``
    :param eval_episodes: episodes of the greedy-vs-learned check logged every ``log_every``
        iterations (``0``: no logging runs)
    :param log_every: iterations between logging runs
    """

    iterations: int = 60
    population: int = 12
    episodes: int = 24
    sigma: float = 0.15
    learning_rate: float = 0.08
    eval_episodes: int = 0
    log_every: int = 10

    def check(self) -> SplitESConfig:
        """Validate the settings; return ``self``.

        :raises ConfigError: naming the setting, its value and what is allowed
        """
        for name, low in (
            ("iterations", 1),
            ("population", 1),
            ("episodes", 1),
            ("log_every", 1),
            ("eval_episodes", 0),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ConfigError(f"{name}={v!r}; allowed: an integer >= {low}")
        for name in ("sigma", "learning_rate"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < float(v) <= 10:
                raise ConfigError(f"{name}={v!r}; allowed: a number with 0 < {name} <= 10")
        return self


# ----------------------------------------------------------------------------------------------
# The structured policy
# ----------------------------------------------------------------------------------------------


class GuessManager(SplitManager):
    """A Split manager whose learned part is a productivity guess per agent (module docstring).

    ``theta = (w_e, b_0, b_1, w_r)``. Batched (one call acts for thousands of episodes), memoryless
    (everything it needs is in the observation) and usable wherever a hand-written manager is
    (:func:`hbkit.evaluate.evaluate`, :func:`hbkit.evaluate.compare`).

    :param env: a Split Env or VectorEnv (its world gives the public facts)
    :param theta: the four parameters (default: zeros, the untrained policy)
    """

    name = "learned (guess + water-fill)"
    theta_names = ("w_e", "b_0", "b_1", "w_r")

    def __init__(self, env: Any, theta: Any = None):
        super().__init__(env)
        self.theta = np.zeros(4) if theta is None else np.asarray(theta, dtype=np.float64).reshape(4)
        self.history: list[dict[str, Any]] = []
        self.config: dict[str, Any] = {}

    # -- the policy ----------------------------------------------------------------------
    def guess(self, obs: np.ndarray, theta: np.ndarray | None = None) -> np.ndarray:
        """Productivity guesses, shape ``(N, K)``; ``theta`` may be one row per observation."""
        th = self.theta if theta is None else np.asarray(theta, dtype=np.float64)
        th = np.broadcast_to(th, (len(obs), 4))
        w_e, b_0, b_1, w_r = (th[:, j, None] for j in range(4))
        m = self.prior_mean
        est = self._part(obs, "estimate")
        sd = self.noise * self._part(obs, "uncertainty")
        tau = obs[:, self.index["round"], None].astype(np.float64)
        b = self.budget(obs)
        g = np.log1p(self._part(obs, "shares") * b[:, None] / self.scale)
        recent = self._part(obs, "output") * g / (g * g + self.world.prior_weight)
        recent = np.where(g > 0, recent, est)  # no allocation last round (or no round yet): no news
        return m + w_e * (est - m) + (b_0 + b_1 * (1.0 - tau)) * sd + w_r * (recent - est)

    def shares(self, obs: np.ndarray, theta: np.ndarray | None = None) -> np.ndarray:
        """The split: water-filling on the guesses (floored at a small positive value), ``(N, K)``;
        every row is non-negative and sums to 1."""
        a = np.maximum(self.guess(obs, theta), _FLOOR * self.prior_mean)
        b = self.budget(obs)
        return water_fill(a, self.scale, b) / b[:, None]

    def __repr__(self) -> str:
        vals = ", ".join(f"{n}={v:.3f}" for n, v in zip(self.theta_names, self.theta, strict=True))
        return f"GuessManager({vals})"

    @property
    def trained_world(self) -> Any:
        """The scenario ``theta`` was learned on: :func:`hbkit.evaluate.evaluate` runs the manager
        there by default and refuses another world unless told otherwise."""
        return self.world.scenario

    # -- files ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``theta`` and the full world it was trained on to ``path`` (``.npz``, no pickle;
        ``.npz`` is added if missing, as :meth:`hbkit.train.Policy.save` does).

        :return: the path written
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        sc = self.world.scenario
        meta = {
            "format": "hbkit-split-guess",
            "version": 1,
            "theta_names": list(self.theta_names),
            "env_id": ENV_ID,
            "scenario": {
                "name": sc.name,
                "title": sc.title,
                "description": sc.description,
                "data": _plain(sc.data),
            },
            "config": self.config,
            "history": self.history,
        }
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, theta=self.theta, meta=np.array(json.dumps(meta)))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def _plain(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def load_guess_manager(path: str | os.PathLike[str]) -> GuessManager:
    """Load a :class:`GuessManager` saved by :meth:`GuessManager.save`, on the world it was trained
    on (the scenario is stored in the file, so a renamed or edited scenario file cannot change it).

    :raises PolicyFileError: if the file is not a saved Split guess manager
    """
    from hbkit.envs.split import SplitEnv
    from hbkit.scenarios import Scenario, _validate_sections

    try:
        with np.load(path, allow_pickle=False) as data:
            theta = np.asarray(data["theta"], dtype=np.float64)
            meta = json.loads(str(data["meta"]))
        if meta.get("format") != "hbkit-split-guess" or theta.shape != (4,) or not np.isfinite(theta).all():
            raise ValueError("not a Split guess manager")
        sc = meta["scenario"]
        checked = _validate_sections(dict(sc["data"]), ENV_ID, f"{path} (saved scenario)")
        scenario = Scenario(sc["name"], ENV_ID, sc["title"], sc["description"], str(path), checked)
    except (OSError, KeyError, TypeError, ValueError) as err:
        raise PolicyFileError(f"{path}: cannot load a Split guess manager ({err})") from None
    manager = GuessManager(SplitEnv(scenario=scenario), theta)
    manager.config, manager.history = meta.get("config", {}), meta.get("history", [])
    return manager


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------


def _rank_weights(fitness: np.ndarray) -> np.ndarray:
    """Centred ranks in [-0.5, 0.5] (fitness shaping: only the order of the candidates counts)."""
    ranks = np.empty(len(fitness))
    ranks[np.argsort(fitness, kind="stable")] = np.arange(len(fitness))
    return ranks / (len(fitness) - 1) - 0.5


def train(
    env_id: str = ENV_ID,
    scenario: Any = "classroom",
    seed: int = 0,
    progress: bool = False,
    **settings: Any,
) -> GuessManager:
    """Train a :class:`GuessManager` with evolution strategies on ``hbkit/Split-v0``.

    :param env_id: must be ``"hbkit/Split-v0"``
    :param scenario: scenario name, path or loaded scenario (one- or two-level: in a two-level
        world the learned split sets the divisions' budgets, and with ``division_rule = "policy"``
        the split inside each division too)
    :param seed: seeds the perturbations and the training worlds
    :param progress: show a progress bar
    :param settings: fields of :class:`SplitESConfig` (``iterations=``, ``population=`` ...) and
        env keyword arguments (``noise=``, ``drift=``, ``division_rule=`` ...)
    :return: the trained manager; ``manager.history`` holds per-iteration ``mean_reward`` (of the
        candidates, per round) and ``theta``
    :raises ConfigError: for another env id or a bad setting
    """
    if env_id != ENV_ID:
        raise ConfigError(f"env_id={env_id!r}; allowed: {ENV_ID!r} (this trainer is for the Split world)")
    names = {f.name for f in fields(SplitESConfig)}
    cfg = SplitESConfig(**{k: v for k, v in settings.items() if k in names}).check()
    env_kwargs = {k: v for k, v in settings.items() if k not in names}
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed={seed!r}; allowed: a non-negative integer")

    p, e = cfg.population, cfg.episodes
    n = 2 * p * e
    vec = gym.make_vec(
        env_id,
        num_envs=n,
        vectorization_mode="vector_entry_point",
        autoreset_mode=AutoresetMode.DISABLED,
        scenario=scenario,
        **env_kwargs,
    )
    manager = GuessManager(vec)
    world = manager.world
    rng = np.random.default_rng([int(seed), 0x5E5])
    theta = manager.theta.copy()
    adam_m, adam_v = np.zeros(4), np.zeros(4)
    beta1, beta2 = 0.9, 0.999
    for it in tqdm(range(cfg.iterations), desc="train Split (ES)", disable=not progress):
        eps = rng.standard_normal((p, 4))
        cands = np.concatenate([theta + cfg.sigma * eps, theta - cfg.sigma * eps])  # (2p, 4)
        rows = np.repeat(cands, e, axis=0)  # candidate j plays envs j*e .. (j+1)*e - 1
        worlds = np.tile(rng.integers(0, 2**62, e), 2 * p)  # the same e worlds for every candidate
        obs, _ = vec.reset(seed=int(rng.integers(2**31)), options={"world_seed": worlds})
        total = np.zeros(n)
        for _ in range(world.rounds):
            obs, r, _, _, _ = vec.step(world.action_from_shares(manager.shares(obs, rows)))
            total += r
        fitness = total.reshape(2 * p, e).mean(axis=1) / world.rounds
        w = _rank_weights(fitness)
        grad = (w[:p] - w[p:]) @ eps / (p * cfg.sigma)  # ascent direction
        adam_m = beta1 * adam_m + (1 - beta1) * grad
        adam_v = beta2 * adam_v + (1 - beta2) * grad**2
        mhat, vhat = adam_m / (1 - beta1 ** (it + 1)), adam_v / (1 - beta2 ** (it + 1))
        theta = theta + cfg.learning_rate * mhat / (np.sqrt(vhat) + 1e-8)
        manager.history.append(
            {"iteration": it, "mean_reward": float(fitness.mean()), "theta": [float(v) for v in theta]}
        )
    vec.close()
    manager.theta = theta
    manager.config = {"seed": int(seed), **asdict(cfg), "env_kwargs": _plain(env_kwargs)}
    return manager
