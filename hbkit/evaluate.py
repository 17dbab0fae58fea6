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
  batched on the native VectorEnv, on the world it was trained on (the scenario saved with it);
  asking for another world raises :class:`~hbkit.errors.WorldMismatchError` unless
  ``allow_other_world=True``;
* a Stable-Baselines3 model (anything with ``predict``): ``model.predict(obs, deterministic=True)``,
  batched on the VectorEnv where the env has one (``action_masks`` are passed for masked models);
* any callable ``obs -> action`` (a manager): batched if it has ``batched = True``, otherwise run
  one episode at a time on the single Env; a ``reset()`` method, if present, is called at the start
  of every episode (and keeps the run on the single Env); with ``wants_info = True`` it is called
  as ``manager(obs, info)``, so it can read ``info["action_mask"]`` and the feedback in ``info``.

The kinds are declared as protocols in :mod:`hbkit.agents`. The result is a plain,
JSON-serialisable dict whose fields depend on the env (each env's
``summarize_episodes`` builds it) plus ``agent``, ``env_id``, ``scenario``, ``episodes``, ``seed``
``budget`` and ``world_hash`` (:attr:`hbkit.scenarios.Scenario.world_hash` of the world it ran on).

:func:`evaluate_budgets` gives one such report per budget of a list, on the same problems (in one
VectorEnv run where the world allows it: what the budget grids use).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import load_env_creator
from gymnasium.vector import AutoresetMode
from tqdm.auto import tqdm

from hbkit._threads import on_one_blas_thread
from hbkit.agents import EpisodicAgent, agent_kind, is_batched, wants_info
from hbkit.envs import DEFAULT_SCENARIOS, check_env_id
from hbkit.errors import ConfigError, WorldMismatchError, sequence_of, whole_number
from hbkit.scenarios import Scenario
from hbkit.train.files import load_agent

__all__ = ["evaluate", "evaluate_budgets", "agent_name", "compare"]

_MAX_BATCH = 4096
#: Memory the VectorEnv of one evaluation chunk may hold; larger worlds run in smaller chunks.
MEMORY_BUDGET = 512 * 2**20


def _array_bytes(obj: Any, seen: set[int], depth: int = 0) -> int:
    """Bytes of the NumPy arrays reachable from ``obj`` (attributes, lists, dicts; 5 levels)."""
    if id(obj) in seen or depth > 5:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.nbytes if obj.base is None else 0  # views share their base's memory
    if isinstance(obj, (list, tuple)):
        items: Any = obj
    elif isinstance(obj, dict):
        items = obj.values()
    elif isinstance(getattr(obj, "__dict__", None), dict) and not isinstance(obj, type):
        items = vars(obj).values()
    else:
        return 0
    return sum(_array_bytes(v, seen, depth + 1) for v in items)


def _chunk_size(env_id: str, kwargs: dict[str, Any], episodes: int) -> int:
    """Episodes per VectorEnv so that its arrays stay within :data:`MEMORY_BUDGET` (measured on
    two small VectorEnvs: the growth per env is what a larger one costs)."""
    sizes = []
    for n in (8, 16):
        vec = gym.make_vec(
            env_id,
            num_envs=n,
            vectorization_mode="vector_entry_point",
            autoreset_mode=AutoresetMode.DISABLED,
            **kwargs,
        )
        sizes.append(_array_bytes(vec.unwrapped, set()))
        vec.close()
    per_env = max(1, (sizes[1] - sizes[0]) // 8)
    return int(max(1, min(_MAX_BATCH, episodes, MEMORY_BUDGET // per_env)))


def agent_name(agent: Any) -> str:
    """A short human-readable name for an agent (used in reports and tables)."""
    kind = agent_kind(agent)
    if kind == "policy":
        return str(agent.metadata.get("name", getattr(agent, "kind", "policy")))
    if kind == "sb3":
        return type(agent).__name__
    return str(getattr(agent, "name", None) or getattr(agent, "__name__", None) or type(agent).__name__)


def _saved_world(agent: Any, env_id: str) -> tuple[dict[str, Any], Scenario | None]:
    """The env keyword arguments and the scenario a saved policy (or a learned manager with a
    ``trained_world``) was trained with."""
    if agent_kind(agent) != "policy":
        own = getattr(agent, "trained_world", None)
        return ({"scenario": own}, own) if isinstance(own, Scenario) else ({}, None)
    meta = agent.metadata
    if meta.get("env_id") not in (None, env_id):
        raise WorldMismatchError(
            f"this policy was trained on {meta['env_id']}, not on {env_id}; "
            f"allowed: evaluate it on {meta['env_id']}"
        )
    kwargs = dict(meta.get("env_kwargs") or {})
    saved = meta.get("scenario")
    if not saved:
        return kwargs, None
    sc = Scenario.from_dict(saved, source=f"the scenario saved with policy {agent_name(agent)!r}")
    kwargs["scenario"] = sc
    return kwargs, sc


def _spec_kwargs(
    env_id: str, agent: Any, scenario: Any, env_kwargs: dict[str, Any], allow_other_world: bool
) -> tuple[dict[str, Any], Scenario]:
    """The env keyword arguments to evaluate on, and the resolved scenario they make.

    :raises WorldMismatchError: if a saved policy would run on a world other than its own
    """
    kwargs, own = _saved_world(agent, env_id)
    if scenario is not None:
        kwargs["scenario"] = scenario
    kwargs.setdefault("scenario", DEFAULT_SCENARIOS.get(env_id))
    kwargs.update(env_kwargs)
    probe = gym.make(env_id, **kwargs)
    resolved: Scenario = probe.unwrapped.scenario  # type: ignore[attr-defined]
    probe.close()
    if own is not None and resolved.world_hash != own.world_hash and not allow_other_world:
        diff = "; ".join(own.differences(resolved)) or "the content differs"
        raise WorldMismatchError(
            f"policy {agent_name(agent)!r} was trained on scenario {own.name!r} "
            f"(world {own.world_hash[:12]}), but is asked to run on {resolved.name!r} "
            f"(world {resolved.world_hash[:12]}): {diff}; allowed: its own world (pass no scenario), "
            "or allow_other_world=True (--other-world) to evaluate it elsewhere on purpose"
        )
    if own is None and not allow_other_world:
        _check_built_world(agent, env_id, resolved)
    kwargs["scenario"] = resolved
    return kwargs, resolved


def _creator(entry: Any) -> Any:
    """The class (or function) a registered entry point names, or ``None``."""
    return load_env_creator(entry) if isinstance(entry, str) else entry


def _check_built_world(agent: Any, env_id: str, resolved: Scenario) -> None:
    """A hand-written manager reads observations with the constants of the world it was built on
    (prices, the worker catalog, the spend ceiling): refuse a world where those differ. Fields the
    env lists in ``portable_fields`` (what its observation carries, e.g. the Team world's memory
    and expense budget) may differ.

    :raises WorldMismatchError: naming the fields that differ
    """
    built = getattr(getattr(agent, "world", None), "scenario", None)
    if not isinstance(built, Scenario) or built.world_hash == resolved.world_hash:
        return
    portable = getattr(_creator(gym.spec(env_id).entry_point), "portable_fields", None)
    if portable is None:
        return
    diffs = [d for d in built.differences(resolved, limit=1000) if d.split(":", 1)[0] not in portable]
    if diffs:
        raise WorldMismatchError(
            f"manager {agent_name(agent)!r} was built on scenario {built.name!r} and reads observations "
            f"with that world's constants, but is asked to run on {resolved.name!r}: "
            f"{'; '.join(diffs[:3])}; allowed: build it on the world it runs on "
            f"(e.g. make_managers(gym.make({env_id!r}, scenario=...))), fields that may differ: "
            f"{', '.join(portable)}; or allow_other_world=True to run it there on purpose"
        )


def _mask(info: dict[str, Any]) -> np.ndarray | None:
    mask = info.get("action_mask")
    return None if mask is None else np.asarray(mask, bool)


def _actor(agent: Any, deterministic: bool | None, rng: np.random.Generator) -> tuple[Callable, bool]:
    """``(act(obs, info) -> actions, batched)`` for any kind of agent (``info`` is the info dict of
    the single env, or the infos of the VectorEnv)."""
    kind = agent_kind(agent)
    if kind == "policy":
        det = bool(deterministic) if deterministic is not None else False
        return (lambda obs, info: agent.act(obs, rng, det, _mask(info))), True
    if kind == "sb3":
        det = True if deterministic is None else bool(deterministic)
        masked = _accepts_masks(agent)

        def sb3_act(obs, info):
            mask = _mask(info)
            kw = {"action_masks": mask} if masked and mask is not None else {}
            action, _ = agent.predict(obs, deterministic=det, **kw)
            return action

        return sb3_act, True
    if wants_info(agent):
        return (lambda obs, info: agent(obs, info)), is_batched(agent)
    return (lambda obs, info: agent(obs)), is_batched(agent)


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
    allow_other_world: bool = False,
    **env_kwargs: Any,
) -> dict[str, Any]:
    """Run ``episodes`` episodes of ``agent`` and summarise them.

    :param agent: a Policy, an SB3 model, a callable ``obs -> action``, or the path of any of
        these that hbkit saved (loaded with :func:`hbkit.train.files.load_agent`, as ``hbkit
        evaluate`` loads it: a policy or Split manager ``.npz``, a Team manager ``.json``, an SB3
        ``.zip`` with its world recorded beside it)
    :param env_id: an hbkit env id
    :param scenario: scenario name, path or :class:`~hbkit.scenarios.Scenario` (default: the one
        a saved policy carries, else the env's default)
    :param episodes: number of episodes (problems, task streams, ...)
    :param seed: seeds the episodes (the same seed gives the same problems for every agent run
        the same way: batched agents share the VectorEnv's episodes, and agents run one episode
        at a time on the single Env share its episodes, but the two sets differ; wrap a
        one-observation function in a batched agent to compare it with batched ones) and the
        sampling of stochastic policies
    :param budget: the budget passed to every reset as ``options={"budget": budget}``; ``None`` is
        natural mode (Reasoning); ``"default"`` passes nothing (the scenario decides)
    :param deterministic: take the most likely action (default: False for hbkit policies, which
        are stochastic by design, True for SB3 models)
    :param progress: show a progress bar
    :param allow_other_world: evaluate a saved policy on a world other than the one it was trained
        on (by default that raises :class:`~hbkit.errors.WorldMismatchError`)
    :param env_kwargs: passed to the env (e.g. ``reward="cosine"``)
    :return: a JSON-serialisable dict (see the env's ``summarize_episodes``)
    :raises ConfigError: for an unknown env id, a bad ``episodes``/``seed``, or ``deterministic``
        given for a manager
    :raises WorldMismatchError: see ``allow_other_world``
    """
    check_env_id(env_id)
    if isinstance(agent, (str, os.PathLike)):
        agent, _ = load_agent(agent, env_id)
    episodes = whole_number(episodes, "episodes", 1)
    seed = whole_number(seed, "seed", 0)
    if agent_kind(agent) == "manager" and deterministic is not None:  # a TypeError before any env
        raise ConfigError(
            f"evaluate: deterministic={deterministic!r} for manager {agent_name(agent)!r}, which "
            "decides for itself; allowed: None (deterministic applies to hbkit policies and SB3 models)"
        )
    kwargs, resolved = _spec_kwargs(env_id, agent, scenario, env_kwargs, allow_other_world)
    rng = np.random.default_rng([seed, 0xE7A1])
    act, batched = _actor(agent, deterministic, rng)
    spec = gym.spec(env_id)
    options = {} if isinstance(budget, str) and budget == "default" else {"budget": budget}
    if batched and spec.vector_entry_point is not None and not isinstance(agent, EpisodicAgent):
        columns, env_cls = _run_vector(env_id, kwargs, act, episodes, seed, options, progress)
    else:
        columns, env_cls = _run_single(env_id, kwargs, agent, act, episodes, seed, options, progress)
    return _report(env_cls, columns, agent, env_id, resolved, seed, options.get("budget", "default"))


def _report(env_cls, columns, agent, env_id, resolved, seed, budget) -> dict[str, Any]:
    report = env_cls.summarize_episodes(columns)
    report.update(
        agent=agent_name(agent),
        env_id=env_id,
        scenario=resolved.name,
        world_hash=resolved.world_hash,
        episodes=len(columns["return"]),
        seed=seed,
        budget=budget,
    )
    return report


@on_one_blas_thread
def evaluate_budgets(
    agent: Any,
    env_id: str,
    budgets: Any,
    scenario: Any = None,
    episodes: int = 64,
    seed: int = 0,
    progress: bool = False,
    allow_other_world: bool = False,
    **env_kwargs: Any,
) -> list[dict[str, Any]]:
    """Evaluate ``agent`` at each of several budgets on the same episodes: one report per budget
    (what a budget grid needs).

    Where the VectorEnv takes a per-env ``problem_seed`` reset option (the Team world) and the agent
    is batched, every budget runs in one VectorEnv (rows = budgets x episodes, episode ``i`` is
    problem seed ``seed + i`` at every budget, so each budget faces the same problems). A step of
    that VectorEnv costs about as much as a step of one budget's, so the whole list costs about as
    much as one budget. An agent that is not batched (or has a ``reset()``) plays the same problem
    seeds one episode at a time on the single Env. In other worlds it is :func:`evaluate` once per
    budget.

    :param budgets: the budgets, each passed as ``options={"budget": b}``
    :param episodes: episodes per budget
    :return: the reports, in the order of ``budgets`` (each as :func:`evaluate` writes it)
    """
    check_env_id(env_id)
    budgets = sequence_of(budgets, "evaluate_budgets: budgets", "budgets (numbers, or None)")
    if not budgets:
        raise ConfigError("evaluate_budgets: budgets is empty; allowed: one budget or more")
    nested = [b for b in budgets if not isinstance(b, (str, bytes)) and np.ndim(b)]
    if nested:
        raise ConfigError(
            f"evaluate_budgets: budgets holds {nested[0]!r}, not one budget; allowed: a list of "
            "budgets, each one number (or None)"
        )
    episodes = whole_number(episodes, "episodes", 1)
    seed = whole_number(seed, "seed", 0)
    agent_kind(agent)
    kwargs, resolved = _spec_kwargs(env_id, agent, scenario, env_kwargs, allow_other_world)
    act, batched = _actor(agent, None, np.random.default_rng([seed, 0xE7A1]))
    spec = gym.spec(env_id)
    vector_cls = _creator(spec.vector_entry_point)
    per_row = "problem_seed" in getattr(vector_cls, "reset_options", ())
    streams = seed + np.arange(episodes)
    if per_row and (not batched or isinstance(agent, EpisodicAgent)):
        # one episode at a time on the single env, on the same problem seeds as the batched run
        out = []
        for b in budgets:
            options = {"budget": _row_budget(b), "problem_seed": streams}
            columns, env_cls = _run_single(env_id, kwargs, agent, act, episodes, seed, options, progress)
            out.append(_report(env_cls, columns, agent, env_id, resolved, seed, b))
        return out
    if not per_row:
        return [
            evaluate(
                agent,
                env_id,
                episodes=episodes,
                seed=seed,
                budget=b,
                progress=progress,
                allow_other_world=allow_other_world,
                **kwargs,
            )
            for b in budgets
        ]
    rows = {
        "budget": np.repeat(np.asarray([_row_budget(b) for b in budgets], dtype=object), episodes),
        "problem_seed": np.tile(streams, len(budgets)),
    }
    columns, env_cls = _run_vector(env_id, kwargs, act, len(budgets) * episodes, seed, rows, progress)
    return [
        _report(
            env_cls,
            {k: v[j * episodes : (j + 1) * episodes] for k, v in columns.items()},
            agent,
            env_id,
            resolved,
            seed,
            b,
        )
        for j, b in enumerate(budgets)
    ]


def _row_budget(budget: Any) -> Any:
    """A budget as a per-env reset option: ``"default"`` (the scenario decides) is ``None`` there,
    which the worlds with per-env problem seeds (Team) read as the scenario's budget."""
    return None if isinstance(budget, str) and budget == "default" else budget


def _run_vector(env_id, kwargs, act, episodes, seed, options, progress):
    """Run ``episodes`` episodes on VectorEnvs of at most :func:`_chunk_size` envs.

    An option given as a NumPy array holds one value per episode (sliced per chunk).
    """
    cols: dict[str, list[np.ndarray]] = {}
    bar = tqdm(total=episodes, desc=f"evaluate {env_id}", disable=not progress, unit="ep")
    env_cls = None
    start = 0
    size = _chunk_size(env_id, kwargs, episodes)
    for chunk in range(0, episodes, size):
        n = min(size, episodes - chunk)
        vec = gym.make_vec(
            env_id,
            num_envs=n,
            vectorization_mode="vector_entry_point",
            autoreset_mode=AutoresetMode.DISABLED,
            **kwargs,
        )
        env_cls = type(vec.unwrapped)
        chunk_options = {
            k: (v[chunk : chunk + n].tolist() if isinstance(v, np.ndarray) else v) for k, v in options.items()
        }
        obs, infos = vec.reset(seed=int(seed) + start, options=chunk_options)
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
    """Run ``episodes`` episodes one at a time on the single Env (an option given as a NumPy array
    holds one value per episode)."""
    env = gym.make(env_id, **kwargs)
    unwrapped = env.unwrapped
    rows: list[dict[str, Any]] = []
    for ep in tqdm(range(episodes), desc=f"evaluate {env_id}", disable=not progress, unit="ep"):
        ep_options = {k: (v[ep].item() if isinstance(v, np.ndarray) else v) for k, v in options.items()}
        obs, info = env.reset(seed=int(seed) + ep, options=ep_options or None)
        if isinstance(agent, EpisodicAgent):
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
        public = {k: v for k, v in info.items() if not k.startswith("_")}
        rows.append({**public, "return": total, "length": length})
    env.close()
    keys = rows[0].keys()
    columns = {k: np.asarray([r[k] if r[k] is not None else 0 for r in rows]) for k in keys}
    return columns, type(unwrapped)


def compare(
    env_id: str,
    names: Any = None,
    scenario: Any = None,
    episodes: int = 16,
    seed: int = 0,
    budget: Any = "default",
    **env_kwargs: Any,
) -> dict[str, dict[str, Any]]:
    """Evaluate several hand-written managers of ``env_id`` on the same episodes (the same seed).

    :param env_id: the world, e.g. ``"hbkit/Split-v0"``
    :param names: manager names of :func:`hbkit.managers.available` (default: all of them)
    :param scenario: scenario name, path or loaded scenario (default: the world's default)
    :param episodes: episodes per manager (they run batched on the VectorEnv)
    :param seed: seeds the episodes, and the managers' own randomness where they have one
    :param budget: the budget of every episode (``"default"``: the scenario's)
    :param env_kwargs: passed to the env (``noise=``, ``drift=``, ``memory=`` ...)
    :return: name -> the report of :func:`evaluate`
    :raises ConfigError: for an unknown env id or manager name
    """
    import inspect

    import gymnasium as gym

    from hbkit.managers import available

    check_env_id(env_id)
    managers = available(env_id)
    names = list(managers) if names is None else sequence_of(names, "compare: names", "manager names")
    unknown = [n for n in names if n not in managers]
    if unknown:
        raise ConfigError(
            f"compare: unknown manager {unknown[0]!r} for {env_id}; allowed: {', '.join(managers)}"
        )
    env = gym.make(env_id, scenario=scenario or DEFAULT_SCENARIOS[env_id], **env_kwargs)
    sc = env.unwrapped.scenario  # type: ignore[attr-defined]
    out = {}
    for name in names:
        factory = managers[name]
        seeded = "seed" in inspect.signature(factory).parameters
        manager = factory(env, seed=seed) if seeded else factory(env)
        out[name] = evaluate(
            manager, env_id, scenario=sc, episodes=episodes, seed=seed, budget=budget, **env_kwargs
        )
    env.close()
    return out
