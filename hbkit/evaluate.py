"""One evaluation entry point for hbkit policies, hand-written managers and SB3 models.

>>> import hbkit
>>> from hbkit.evaluate import evaluate
>>> from hbkit.managers import available
>>> import gymnasium as gym
>>> env = gym.make("hbkit/Reasoning-v0")
>>> report = evaluate(available("hbkit/Reasoning-v0")["fixed-1024"](env), "hbkit/Reasoning-v0",
...                   episodes=200, seed=1)
>>> round(report["mean_tokens"])
1024

The agent can be

* an :class:`hbkit.train.Policy` (or the path of a saved one): sampled with a seeded generator,
  batched on the native VectorEnv;
* a Stable-Baselines3 model (anything with ``predict``): ``model.predict(obs, deterministic=True)``,
  batched on the VectorEnv where the env has one (``action_masks`` are passed for masked models);
* any callable ``obs -> action`` (a manager): batched if it has ``batched = True``, otherwise run
  one episode at a time on the single Env; a ``reset()`` method, if present, is called at the start
  of every episode (and keeps the run on the single Env); with ``wants_info = True`` it is called
  as ``manager(obs, info)``, so it can read ``info["action_mask"]`` and the feedback in ``info``.

The result is a plain, JSON-serialisable dict whose fields depend on the env (each env's
``summarize_episodes`` builds it) plus ``agent``, ``env_id``, ``scenario``, ``episodes``, ``seed``
and ``budget``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from tqdm.auto import tqdm

from hbkit._threads import on_one_blas_thread
from hbkit.envs import DEFAULT_SCENARIOS, ENV_IDS
from hbkit.train.policies import Policy, load_policy

__all__ = ["evaluate", "agent_name"]

_MAX_BATCH = 4096


def _is_sb3(agent: Any) -> bool:
    return hasattr(agent, "predict") and hasattr(agent, "policy") and not isinstance(agent, Policy)


def agent_name(agent: Any) -> str:
    """A short human-readable name for an agent (used in reports and tables)."""
    if isinstance(agent, Policy):
        return str(agent.metadata.get("name", agent.kind))
    if _is_sb3(agent):
        return type(agent).__name__
    return str(getattr(agent, "name", None) or getattr(agent, "__name__", None) or type(agent).__name__)


def _spec_kwargs(env_id: str, agent: Any, scenario: Any, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if isinstance(agent, Policy):
        meta = agent.metadata
        if meta.get("env_id") not in (None, env_id):
            raise ValueError(f"this policy was trained on {meta['env_id']}, not on {env_id}")
        kwargs.update(meta.get("env_kwargs", {}))
    if scenario is not None:
        kwargs["scenario"] = scenario
    kwargs.setdefault("scenario", DEFAULT_SCENARIOS.get(env_id))
    kwargs.update(env_kwargs)
    return kwargs


def _mask(info: dict[str, Any]) -> np.ndarray | None:
    mask = info.get("action_mask")
    return None if mask is None else np.asarray(mask, bool)


def _actor(agent: Any, deterministic: bool | None, rng: np.random.Generator) -> tuple[Callable, bool]:
    """``(act(obs, info) -> actions, batched)`` for any kind of agent (``info`` is the info dict of
    the single env, or the infos of the VectorEnv)."""
    if isinstance(agent, Policy):
        det = bool(deterministic) if deterministic is not None else False
        return (lambda obs, info: agent.act(obs, rng, det, _mask(info))), True
    if _is_sb3(agent):
        det = True if deterministic is None else bool(deterministic)
        masked = _accepts_masks(agent)

        def sb3_act(obs, info):
            mask = _mask(info)
            kw = {"action_masks": mask} if masked and mask is not None else {}
            action, _ = agent.predict(obs, deterministic=det, **kw)
            return action

        return sb3_act, True
    if callable(agent):
        if getattr(agent, "wants_info", False):
            return (lambda obs, info: agent(obs, info)), bool(getattr(agent, "batched", False))
        return (lambda obs, info: agent(obs)), bool(getattr(agent, "batched", False))
    raise TypeError(
        f"cannot evaluate {type(agent).__name__}: expected an hbkit Policy, a policy file path, "
        "a Stable-Baselines3 model or a callable obs -> action"
    )


def _accepts_masks(model: Any) -> bool:
    import inspect

    return "action_masks" in inspect.signature(model.predict).parameters


@on_one_blas_thread
def evaluate(
    agent: Any,
    env_id: str = "hbkit/Reasoning-v0",
    scenario: Any = None,
    episodes: int = 1000,
    seed: int = 0,
    budget: Any = "default",
    deterministic: bool | None = None,
    progress: bool = False,
    **env_kwargs: Any,
) -> dict[str, Any]:
    """Run ``episodes`` episodes of ``agent`` and summarise them.

    :param agent: a Policy (or its ``.npz`` path), an SB3 model or a callable ``obs -> action``
    :param env_id: an hbkit env id
    :param scenario: scenario name or path (default: the policy's, else the env's default)
    :param episodes: number of episodes (problems, task streams, ...)
    :param seed: seeds the episodes (the same seed gives the same problems for every agent) and
        the sampling of stochastic policies
    :param budget: the budget passed to every reset as ``options={"budget": budget}``; ``None`` is
        natural mode (Reasoning); ``"default"`` passes nothing (the scenario decides)
    :param deterministic: take the most likely action (default: False for hbkit policies, which
        are stochastic by design, True for SB3 models)
    :param progress: show a progress bar
    :param env_kwargs: passed to the env (e.g. ``reward="cosine"``)
    :return: a JSON-serialisable dict (see the env's ``summarize_episodes``)
    """
    if env_id not in ENV_IDS:
        raise ValueError(f"unknown env id {env_id!r}; allowed: {', '.join(ENV_IDS)}")
    if isinstance(agent, (str, os.PathLike)):
        agent = load_policy(agent)
    episodes = int(episodes)
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    kwargs = _spec_kwargs(env_id, agent, scenario, env_kwargs)
    rng = np.random.default_rng([int(seed), 0xE7A1])
    act, batched = _actor(agent, deterministic, rng)
    spec = gym.spec(env_id)
    options = {} if isinstance(budget, str) and budget == "default" else {"budget": budget}
    if batched and spec.vector_entry_point is not None and not hasattr(agent, "reset"):
        columns, env_cls = _run_vector(env_id, kwargs, act, episodes, seed, options, progress)
    else:
        columns, env_cls = _run_single(env_id, kwargs, agent, act, episodes, seed, options, progress)
    report = env_cls.summarize_episodes(columns)
    report.update(
        agent=agent_name(agent),
        env_id=env_id,
        scenario=str(kwargs.get("scenario")),
        episodes=episodes,
        seed=int(seed),
        budget=options.get("budget", "default"),
    )
    return report


def _run_vector(env_id, kwargs, act, episodes, seed, options, progress):
    cols: dict[str, list[np.ndarray]] = {}
    bar = tqdm(total=episodes, desc=f"evaluate {env_id}", disable=not progress, unit="ep")
    env_cls = None
    start = 0
    for chunk in range(0, episodes, _MAX_BATCH):
        n = min(_MAX_BATCH, episodes - chunk)
        vec = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point",
                           autoreset_mode=AutoresetMode.DISABLED, **kwargs)
        env_cls = type(vec.unwrapped)
        obs, infos = vec.reset(seed=int(seed) + start, options=dict(options))
        start += n
        done = np.zeros(n, bool)
        returns = np.zeros(n)
        length = np.zeros(n, np.int64)
        final: dict[str, np.ndarray] = {}
        while not done.all():
            actions = np.asarray(act(obs, infos))
            live = ~done
            obs, reward, term, trunc, infos = vec.step(actions)
            returns[live] += reward[live]
            length[live] += 1
            ended = live & (term | trunc)
            for k, v in infos.items():
                if k.startswith("_"):
                    continue
                v = np.asarray(v)
                if k not in final:
                    final[k] = np.zeros_like(v)
                final[k][ended] = v[ended]
            done |= ended
        vec.close()
        final["return"], final["length"] = returns, length
        for k, v in final.items():
            cols.setdefault(k, []).append(v)
        bar.update(n)
    bar.close()
    return {k: np.concatenate(v) for k, v in cols.items()}, env_cls


def _run_single(env_id, kwargs, agent, act, episodes, seed, options, progress):
    env = gym.make(env_id, **kwargs)
    unwrapped = env.unwrapped
    rows: list[dict[str, Any]] = []
    for ep in tqdm(range(episodes), desc=f"evaluate {env_id}", disable=not progress, unit="ep"):
        obs, info = env.reset(seed=int(seed) + ep, options=dict(options) or None)
        if hasattr(agent, "reset"):
            agent.reset()
        total, length, done = 0.0, 0, False
        while not done:
            a = act(obs, info)
            if isinstance(a, np.ndarray) and a.shape[:1] == (1,) and np.ndim(obs) == 1 and a.ndim > 0:
                a = a[0]
            obs, reward, term, trunc, info = env.step(a)
            total += float(reward)
            length += 1
            done = term or trunc
        rows.append({**{k: v for k, v in info.items() if not k.startswith("_")}, "return": total, "length": length})
    env.close()
    keys = rows[0].keys()
    columns = {k: np.asarray([r[k] if r[k] is not None else 0 for r in rows]) for k in keys}
    return columns, type(unwrapped)
