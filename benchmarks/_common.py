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
    return (
        f"{platform.system()} {platform.machine()} ({cpu}), {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {numpy.__version__}, Gymnasium {gym.__version__}"
    )


#: How :func:`versus_cartpole` measures, for the results file.
SPEED_METHOD = (
    "Best of 5 rounds (the least disturbed run, as `timeit` advises); each round runs "
    "CartPole and then every env, each twice in a row, so a slow spell of the machine "
    "hits the reference and the envs alike. The `rounds` column is the spread: the lowest and "
    "highest ratio of a round (the env's rate over CartPole's in the same round)."
)


def _rate(fn: Callable[[], int]) -> float:
    """Steps/s of the faster of two runs of ``fn`` in a row (the first warms the caches: a
    VectorEnv's large arrays start cold after another run)."""
    best = 0.0
    for _ in range(2):
        t0 = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - t0))
    return best


def cartpole_run(steps: int = 50_000) -> Callable[[], int]:
    """The reference run: ``gym.make("CartPole-v1")`` stepped with uniform random actions."""
    env = gym.make("CartPole-v1")
    return single_env_run(env, np.random.default_rng(0).integers(2, size=steps))


def single_env_run(env: gym.Env, actions: Sequence[Any]) -> Callable[[], int]:
    """A run of a single env driven by a fixed action sequence (resetting when episodes end)."""
    acts = [a.item() if isinstance(a, np.generic) else a for a in actions]

    def go() -> int:
        env.reset(seed=0)
        for a in acts:
            _, _, term, trunc, _ = env.step(a)
            if term or trunc:
                env.reset()
        return len(acts)

    return go


def vector_env_run(vec: Any, actions: np.ndarray) -> Callable[[], int]:
    """A run of a VectorEnv driven by ``actions[t]`` at step ``t``; counts sub-env steps."""

    def go() -> int:
        vec.reset(seed=0)
        for a in actions:
            vec.step(a)
        return len(actions) * vec.num_envs

    return go


def versus_cartpole(
    runs: dict[str, Callable[[], int]], steps: int, repeats: int = 5
) -> tuple[float, dict[str, float], dict[str, tuple[float, float]]]:
    """Best steps/s of CartPole (``steps`` steps) and of each run (a function returning the number
    of steps it did) over ``repeats`` rounds; each round runs CartPole and then every run, each
    twice in a row (:func:`_rate`). See :data:`SPEED_METHOD`.

    :return: ``(CartPole steps/s, {name: steps/s}, {name: (lowest, highest) ratio})``, where a
        round's ratio is the run's rate over CartPole's rate in the same round (the spread over
        rounds: how much the machine moved the figure)
    """
    reference = cartpole_run(steps)
    cart, rates = 0.0, dict.fromkeys(runs, 0.0)
    ratios: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        cart_now = _rate(reference)
        cart = max(cart, cart_now)
        for name, fn in runs.items():
            rate = _rate(fn)
            rates[name] = max(rates[name], rate)
            ratios[name].append(rate / cart_now)
    return cart, rates, {name: (min(r), max(r)) for name, r in ratios.items()}


def spread(bounds: tuple[float, float], digits: int = 2) -> str:
    """A ratio range over rounds as table text, e.g. ``0.48-0.56x``."""
    lo, hi = bounds
    return f"{lo:.{digits}f}-{hi:.{digits}f}x"


def reset_micros(envs: dict[str, gym.Env], count: int, rounds: int = 5) -> dict[str, float]:
    """Microseconds per ``env.reset()`` of each env, the best of ``rounds`` rounds that run the envs
    in turn (so a slow spell of the machine hits the reference and the envs alike)."""
    best = dict.fromkeys(envs, float("inf"))
    for _ in range(rounds):
        for name, env in envs.items():
            env.reset(seed=0)
            t0 = time.perf_counter()
            for _ in range(count):
                env.reset()
            best[name] = min(best[name], (time.perf_counter() - t0) / count * 1e6)
    return best


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table."""

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
        return str(v)

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def part_note(section: str, part: str) -> str:
    """Said under a subsection rerun alone (``python benchmarks/run.py SECTION --part PART``)."""
    import datetime as dt

    return (
        f"\n\nThis subsection was rerun alone (`python benchmarks/run.py {section} --part {part}`, on "
        + dt.date.today().isoformat()
        + "); the rest of the section is from the last full run."
    )


def replace_subsection(section: str, heading: str, text: str) -> str:
    """``section`` (a results section) with the subsection that starts with ``heading`` (up to the
    next ``### ``) replaced by ``text``; appended if there is none. What ``--part`` runs use to
    rewrite one part of a section and keep the rest."""
    start = section.find(heading)
    if start < 0:
        return section.rstrip() + "\n\n" + text.strip()
    end = section.find("\n### ", start + len(heading))
    rest = "" if end < 0 else section[end:]
    return section[:start] + text.strip() + "\n" + rest
