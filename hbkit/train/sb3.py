"""Stable-Baselines3 recipes for the hbkit environments (needs the ``sb3`` extra and torch).

Nothing in hbkit's core imports this module: torch is only loaded when you call these functions.

>>> from hbkit.train.sb3 import train_sb3
>>> model = train_sb3("hbkit/Reasoning-v0", "ppo", total_timesteps=20_000)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any

import gymnasium as gym

from hbkit.envs import check_env_id
from hbkit.errors import ConfigError, whole_number

__all__ = [
    "ALGOS",
    "ALGO_SPACES",
    "algos_for",
    "make_sb3_env",
    "scenario_recipe",
    "progress_callback",
    "train_sb3",
    "load_sb3",
]

#: name -> (module, class). ``maskable-ppo`` uses the env's ``action_masks()``.
ALGOS: dict[str, tuple[str, str]] = {
    "ppo": ("stable_baselines3", "PPO"),
    "a2c": ("stable_baselines3", "A2C"),
    "dqn": ("stable_baselines3", "DQN"),
    "sac": ("stable_baselines3", "SAC"),
    "td3": ("stable_baselines3", "TD3"),
    "maskable-ppo": ("sb3_contrib", "MaskablePPO"),
}


#: name -> the action spaces the algorithm can act in (SB3's own rules); ``maskable-ppo`` also
#: needs the env's ``action_masks()``.
ALGO_SPACES: dict[str, tuple[type[gym.Space], ...]] = {
    "ppo": (gym.spaces.Discrete, gym.spaces.Box, gym.spaces.MultiDiscrete, gym.spaces.MultiBinary),
    "a2c": (gym.spaces.Discrete, gym.spaces.Box, gym.spaces.MultiDiscrete, gym.spaces.MultiBinary),
    "dqn": (gym.spaces.Discrete,),
    "sac": (gym.spaces.Box,),
    "td3": (gym.spaces.Box,),
    "maskable-ppo": (gym.spaces.Discrete, gym.spaces.MultiDiscrete, gym.spaces.MultiBinary),
}


def algos_for(env_id: str, scenario: Any = None) -> list[str]:
    """The algorithms of :data:`ALGOS` that fit ``env_id``'s action space (no torch needed)."""
    check_env_id(env_id)
    env = gym.make(env_id, **({} if scenario is None else {"scenario": scenario}))
    try:
        space, masked = env.action_space, callable(getattr(env.unwrapped, "action_masks", None))
    finally:
        env.close()
    return [
        a
        for a, spaces in ALGO_SPACES.items()
        if isinstance(space, spaces) and (a != "maskable-ppo" or masked)
    ]


def _check_fits(env_id: str, algo: str, scenario: Any) -> None:
    fits = algos_for(env_id, scenario)
    if algo not in fits:
        space = gym.spec(env_id)
        raise ConfigError(
            f"algorithm {algo!r} does not fit the action space of {space.id}; allowed: {', '.join(fits)}"
        )


def _algo_class(algo: str) -> Any:
    if algo not in ALGOS:
        raise ConfigError(f"unknown algorithm {algo!r}; allowed: {', '.join(ALGOS)}")
    module, name = ALGOS[algo]
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            f"{algo} needs the Stable-Baselines3 extra: install torch==2.13.0 (CPU) first, then "
            "`pip install -e .[sb3]` (or run `make install`)"
        ) from exc


#: The algorithm's arguments that :func:`train_sb3` sets itself (``seed`` and ``verbose`` are its own).
_SET_BY_TRAIN_SB3 = ("self", "policy", "env", "seed", "verbose", "device")


def _check_algo_kwargs(algo: str, cls: Any, algo_kwargs: Any) -> dict[str, Any]:
    """``algo_kwargs`` as a dict if every key is an argument of the algorithm's constructor (before
    any env is built, so a misspelled ``n_step`` is not SB3's ``TypeError`` after the setup).

    :raises ConfigError: naming the bad key and the allowed ones
    """
    if algo_kwargs is None:
        return {}
    name = f"train_sb3: algo_kwargs of {algo!r} ({cls.__name__})"
    params = inspect.signature(cls.__init__).parameters
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    allowed = [k for k, p in params.items() if p.kind in named and k not in _SET_BY_TRAIN_SB3 and k[0] != "_"]
    any_key = any(p.kind == p.VAR_KEYWORD for p in params.values())
    if not isinstance(algo_kwargs, Mapping):
        raise ConfigError(f"{name} is {algo_kwargs!r}; allowed: a dict with keys among {', '.join(allowed)}")
    for key in algo_kwargs:
        if key in _SET_BY_TRAIN_SB3:
            hint = f" (pass {key}= to train_sb3 itself)" if key in ("seed", "verbose") else ""
            raise ConfigError(f"{name}: key {key!r} is set by train_sb3{hint}; allowed: {', '.join(allowed)}")
        if key not in allowed and not any_key:
            raise ConfigError(f"{name}: unknown key {key!r}; allowed: {', '.join(allowed)}")
    return dict(algo_kwargs)


def make_sb3_env(env_id: str, scenario: str | None = None, n_envs: int = 1, seed: int = 0, **env_kwargs: Any):
    """An SB3 ``DummyVecEnv`` of ``n_envs`` monitored copies of ``env_id``."""
    from stable_baselines3.common.env_util import make_vec_env

    kwargs = dict(env_kwargs)
    if scenario is not None:
        kwargs["scenario"] = scenario
    return make_vec_env(lambda: gym.make(env_id, **kwargs), n_envs=n_envs, seed=seed)


def scenario_recipe(env_id: str, algo: str, scenario: Any = None) -> dict[str, Any]:
    """The SB3 settings a scenario recommends for ``algo``: its ``[<algo>]`` section, if it has one.

    Keys ``timesteps`` and ``n_envs`` are returned as such; ``hidden`` (layer widths) and
    ``log_std_init`` go into ``policy_kwargs``; every other key is a keyword argument of the
    algorithm (``n_steps``, ``learning_rate``, ``gamma``, ...).

    :return: ``{"timesteps": ..., "n_envs": ..., "algo_kwargs": {...}}`` (only what the scenario
        sets; empty if it has no such section)
    """
    from hbkit.envs import DEFAULT_SCENARIOS
    from hbkit.scenarios import load_scenario

    check_env_id(env_id)
    sc = load_scenario(scenario if scenario is not None else DEFAULT_SCENARIOS[env_id], env_id)
    section = dict(sc.data.get(algo.replace("-", "_"), {}))
    if not section:
        return {}
    out: dict[str, Any] = {}
    for key in ("timesteps", "n_envs"):
        if key in section:
            out[key] = section.pop(key)
    policy_kwargs = {}
    if "hidden" in section:
        policy_kwargs["net_arch"] = list(section.pop("hidden"))
    if "log_std_init" in section:
        policy_kwargs["log_std_init"] = section.pop("log_std_init")
    if policy_kwargs:
        section["policy_kwargs"] = policy_kwargs
    out["algo_kwargs"] = section
    return out


def train_sb3(
    env_id: str,
    algo: str = "ppo",
    scenario: str | None = None,
    total_timesteps: int | None = None,
    seed: int = 0,
    n_envs: int | None = None,
    progress_bar: bool = True,
    algo_kwargs: dict[str, Any] | None = None,
    env_kwargs: dict[str, Any] | None = None,
    callback: Any = None,
    verbose: int = 0,
    torch_threads: int | None = 1,
):
    """Train an SB3 algorithm on an hbkit env and return the model.

    :param env_id: an hbkit env id
    :param algo: a key of :data:`ALGOS`
    :param scenario: scenario name or path (default: the env's)
    :param total_timesteps: environment steps to train for (default: the scenario's recipe, see
        :func:`scenario_recipe`, else 50,000)
    :param seed: seed of the model and the envs
    :param n_envs: parallel copies of the env (SB3's DummyVecEnv; default: the recipe's, else 1)
    :param progress_bar: SB3's progress bar (tqdm + rich)
    :param algo_kwargs: keyword arguments for the algorithm (e.g. ``n_steps``, ``learning_rate``);
        they update the recipe's. Each key must be an argument of the algorithm's constructor
        other than those train_sb3 sets (``policy``, ``env``, ``seed``, ``verbose``, ``device``)
    :param env_kwargs: keyword arguments for the env
    :param callback: an SB3 callback (e.g. ``EvalCallback``)
    :param torch_threads: PyTorch CPU threads (``torch.set_num_threads``; ``None`` leaves it alone).
        hbkit's policies are small MLPs, which train fastest on one thread: more threads mostly
        wait for each other, badly so when the other cores are busy.
    :raises ConfigError: for an unknown algorithm, one that does not fit the env, a bad count, or
        an ``algo_kwargs`` key the algorithm does not take (checked before any env is built)
    """
    check_env_id(env_id)
    cls = _algo_class(algo)
    algo_kwargs = _check_algo_kwargs(algo, cls, algo_kwargs)
    _check_fits(env_id, algo, scenario)
    if total_timesteps is not None:
        total_timesteps = whole_number(total_timesteps, "total_timesteps", 1)
    if n_envs is not None:
        n_envs = whole_number(n_envs, "n_envs", 1)
    if torch_threads is not None:
        import torch

        torch.set_num_threads(int(torch_threads))
    recipe = scenario_recipe(env_id, algo, scenario)
    total_timesteps = total_timesteps if total_timesteps is not None else recipe.get("timesteps", 50_000)
    n_envs = n_envs if n_envs is not None else recipe.get("n_envs", 1)
    kwargs = {**recipe.get("algo_kwargs", {}), **algo_kwargs}
    env = make_sb3_env(env_id, scenario, n_envs, seed, **(env_kwargs or {}))
    model = cls("MlpPolicy", env, seed=seed, verbose=verbose, device="cpu", **kwargs)
    model.learn(total_timesteps=int(total_timesteps), progress_bar=progress_bar, callback=callback)
    return model


def progress_callback(total_timesteps: int, desc: str = "training"):
    """An SB3 callback that shows a ``tqdm.auto`` progress bar (a widget in notebooks, text in a
    terminal); pass it as ``train_sb3(..., progress_bar=False, callback=progress_callback(n))``."""
    from stable_baselines3.common.callbacks import BaseCallback
    from tqdm.auto import tqdm

    class _Progress(BaseCallback):
        def _on_training_start(self) -> None:
            self.bar = tqdm(total=int(total_timesteps), desc=desc, unit="step")

        def _on_step(self) -> bool:
            self.bar.update(self.training_env.num_envs)
            return True

        def _on_training_end(self) -> None:
            self.bar.close()

    return _Progress()


def load_sb3(path: str, algo: str = "ppo"):
    """Load an SB3 model saved with ``model.save(path)``.

    :raises ConfigError: if the algorithm is unknown or the file is missing
    """
    from pathlib import Path

    cls = _algo_class(algo)
    if not Path(path).is_file():
        raise ConfigError(f"{path}: no such SB3 model file")
    return cls.load(path, device="cpu")
