"""Helpers shared by the benchmark modules: timing, the CartPole reference, markdown tables.

Every speed figure is a ratio against a reference measured in the same process (Gymnasium's
CartPole for env steps, SB3 PPO for training), so results compare across machines.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np


def machine_info() -> str:
    """One line describing the machine and the library versions."""
    import numpy

    cpu = platform.processor() or platform.machine()
    return (f"{platform.system()} {platform.machine()} ({cpu}), {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, NumPy {numpy.__version__}, Gymnasium {gym.__version__}")


def best_rate(fn: Callable[[], int], repeats: int = 5) -> float:
    """Best of ``repeats`` runs of ``fn`` (which returns the number of steps it did), in steps/s."""
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = fn()
        rates.append(n / (time.perf_counter() - t0))
    return max(rates)


def single_env_rate(env: gym.Env, actions: np.ndarray, repeats: int = 5) -> float:
    """Steps/s of a single env driven by a fixed action sequence (resetting when episodes end)."""
    acts = [a.item() if isinstance(a, np.generic) else a for a in actions]

    def go() -> int:
        env.reset(seed=0)
        for a in acts:
            _, _, term, trunc, _ = env.step(a)
            if term or trunc:
                env.reset()
        return len(acts)

    return best_rate(go, repeats)


def cartpole_rate(steps: int = 50_000, repeats: int = 5) -> float:
    """The reference: ``gym.make("CartPole-v1")`` stepped with uniform random actions."""
    env = gym.make("CartPole-v1")
    actions = np.random.default_rng(0).integers(2, size=steps)
    return single_env_rate(env, actions, repeats)


def vector_env_rate(vec: Any, actions: np.ndarray, repeats: int = 5) -> float:
    """Env steps/s (sub-env steps) of a VectorEnv driven by ``actions[t]`` at step ``t``."""

    def go() -> int:
        vec.reset(seed=0)
        for a in actions:
            vec.step(a)
        return len(actions) * vec.num_envs

    return best_rate(go, repeats)


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table."""
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
        return str(v)

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(out)
