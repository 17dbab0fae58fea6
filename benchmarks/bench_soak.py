"""Soak: at least 10^6 random steps per environment, every step checked against the budget
invariants (:func:`hbkit.envs.checks.check_invariants`), on every shipped scenario.

Random actions (masked where the env has masks) drive the native VectorEnvs with autoreset, so
many episodes start and end; a smaller share of the steps runs on the single Env. Any broken
invariant, non-finite reward or exception stops the run with the step, the scenario and the seed.

    python benchmarks/run.py soak            # 10^6 vector steps per env (+ single-env steps)
    python benchmarks/run.py soak --quick    # 2 x 10^4
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
from _common import table

import hbkit  # noqa: F401  (registers the environments)
from hbkit.envs.checks import check_invariants
from hbkit.scenarios import list_scenarios

TITLE = "Soak: random steps with the budget invariants checked at every step"
NUM_ENVS = 256
SEED = 20260


def _actions(vec: Any, infos: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    mask = infos.get("action_mask")
    space = vec.single_action_space
    if mask is not None:
        m = np.asarray(mask, bool)
        return (rng.random(m.shape) * m).argmax(axis=1)
    if isinstance(space, gym.spaces.Box):
        return rng.uniform(space.low, space.high, (vec.num_envs, *space.shape)).astype(space.dtype)
    # Discrete without a mask (Reasoning): answer with a small chance per step, so episodes vary
    return (rng.random(vec.num_envs) < 0.03).astype(np.int64)


def soak_vector(env_id: str, scenario: Any, steps: int, seed: int) -> dict[str, Any]:
    """``steps`` sub-env steps of the native VectorEnv; returns counts and timings."""
    vec = gym.make_vec(env_id, num_envs=NUM_ENVS, vectorization_mode="vector_entry_point", scenario=scenario)
    sc = vec.unwrapped.scenario
    rng = np.random.default_rng(seed)
    _, infos = vec.reset(seed=seed)
    check_invariants(env_id, infos, sc)
    episodes, done_steps, t0 = 0, 0, time.perf_counter()
    while done_steps < steps:
        _, reward, term, trunc, infos = vec.step(_actions(vec, infos, rng))
        done_steps += vec.num_envs
        if not np.all(np.isfinite(reward)):
            raise AssertionError(
                f"{env_id} {sc.name}: non-finite reward after {done_steps} steps (seed {seed})"
            )
        try:
            check_invariants(env_id, infos, sc)
        except AssertionError as exc:
            raise AssertionError(
                f"{env_id} {sc.name}, after {done_steps} steps (seed {seed}): {exc}"
            ) from None
        episodes += int(np.count_nonzero(term | trunc))
    vec.close()
    return {"steps": done_steps, "episodes": episodes, "seconds": time.perf_counter() - t0}


def soak_single(env_id: str, scenario: Any, steps: int, seed: int) -> dict[str, Any]:
    """``steps`` steps of the single Env (reset when an episode ends)."""
    env = gym.make(env_id, scenario=scenario)
    sc = env.unwrapped.scenario
    rng = np.random.default_rng(seed)
    _, info = env.reset(seed=seed)
    episodes, t0 = 0, time.perf_counter()
    for t in range(steps):
        mask = info.get("action_mask")
        if mask is not None:
            action: Any = int(rng.choice(np.flatnonzero(np.asarray(mask, bool))))
        elif isinstance(env.action_space, gym.spaces.Box):
            action = rng.uniform(env.action_space.low, env.action_space.high).astype(env.action_space.dtype)
        else:
            action = int(rng.random() < 0.03)
        _, reward, term, trunc, info = env.step(action)
        if not np.isfinite(reward):
            raise AssertionError(f"{env_id} {sc.name}: non-finite reward at single step {t} (seed {seed})")
        try:
            check_invariants(env_id, info, sc)
        except AssertionError as exc:
            raise AssertionError(f"{env_id} {sc.name}, single step {t} (seed {seed}): {exc}") from None
        if term or trunc:
            episodes += 1
            _, info = env.reset(seed=seed + 1 + episodes)
    env.close()
    return {"steps": steps, "episodes": episodes, "seconds": time.perf_counter() - t0}


def run(quick: bool = False) -> str:
    import datetime as dt

    per_env = 20_000 if quick else 1_000_000
    single_share = 0.02  # of per_env, on the single Env
    rows = []
    totals: dict[str, int] = {}
    for env_id in hbkit.ENV_IDS:
        scenarios = [s.name for s in list_scenarios(env_id)]
        vec_steps = -(-per_env // len(scenarios))
        for i, name in enumerate(scenarios):
            v = soak_vector(env_id, name, vec_steps, SEED + i)
            s = soak_single(env_id, name, max(1000, int(vec_steps * single_share)), SEED + 100 + i)
            totals[env_id] = totals.get(env_id, 0) + v["steps"] + s["steps"]
            rows.append(
                [
                    env_id,
                    name,
                    f"{v['steps']:,}",
                    f"{v['episodes']:,}",
                    f"{s['steps']:,}",
                    f"{s['episodes']:,}",
                    f"{v['seconds'] + s['seconds']:.0f}",
                    "held",
                ]
            )
            print(
                f"  {env_id} {name}: {v['steps']:,} vector + {s['steps']:,} single steps, invariants held",
                flush=True,
            )
    lines = [
        f"## {TITLE}",
        "",
        f"Every step of every shipped scenario checked with `hbkit.envs.checks.check_invariants` "
        f"(money exact and never negative or wrapped, allocations summing to the budget, tokens on "
        f"the grid); random (masked) actions, VectorEnvs of {NUM_ENVS} with autoreset, seeds "
        f"{SEED}+i (vector) and {SEED + 100}+i (single). Reproduce: `python benchmarks/run.py soak"
        + (" --quick" if quick else "")
        + f"` (run on {dt.date.today().isoformat()}).",
        "",
        table(
            [
                "env",
                "scenario",
                "vector steps",
                "episodes",
                "single steps",
                "episodes",
                "seconds",
                "invariants",
            ],
            rows,
        ),
        "",
        "Steps per env: " + ", ".join(f"{e} {n:,}" for e, n in totals.items()) + ". Seconds are wall "
        "time on a shared machine (a record of the run, not a speed figure).",
    ]
    return "\n".join(lines)
