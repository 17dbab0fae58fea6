"""HBPO on hbpo-math across training seeds: is the demo's result robust?

Trains the demo's four runs (HBPO, cosine, classic, single budget) for several seeds and evaluates
each in natural mode on the same 2000 problems.

    python benchmarks/run.py hbpo_quality
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor

import gymnasium as gym
import numpy as np

import hbkit  # noqa: F401
from _common import table

TITLE = "HBPO quality across seeds (hbpo-math, natural mode)"
ENV = "hbkit/Reasoning-v0"


def _one(args: tuple[str, int, int, int]) -> tuple[str, int, dict]:
    from hbkit.demo import RUNS
    from hbkit.evaluate import evaluate
    from hbkit.train import HBPO

    name, seed, iterations, episodes = args
    t = HBPO(ENV, scenario="hbpo-math", seed=seed, **RUNS[name])
    t.learn(iterations=iterations, progress=False)
    return name, seed, evaluate(t.policy, ENV, episodes=episodes, seed=123, budget=None)


def run(quick: bool = False) -> str:
    from hbkit.demo import RUNS
    from hbkit.evaluate import evaluate
    from hbkit.train import base_reasoner

    seeds = range(2) if quick else range(5)
    iterations = 30 if quick else None
    episodes = 500 if quick else 2000
    from hbkit.scenarios import load_scenario

    iterations = iterations or load_scenario("hbpo-math")["train"]["iterations"]
    base = evaluate(base_reasoner(gym.make(ENV)), ENV, episodes=episodes, seed=123, budget=None)
    jobs = [(name, s, iterations, episodes) for s in seeds for name in RUNS]
    with ProcessPoolExecutor(2) as ex:
        results = list(ex.map(_one, jobs))
    rows = [["base reasoner", "-", base["accuracy"], base["mean_tokens"], 0.0,
             base["by_level"]["5"]["accuracy"], "-"]]
    summary = []
    for name in RUNS:
        reps = [r for n, _, r in results if n == name]
        acc = np.array([r["accuracy"] for r in reps])
        tok = np.array([r["mean_tokens"] for r in reps])
        l5 = np.array([r["by_level"]["5"]["accuracy"] for r in reps])
        cut = 100 * (1 - tok / base["mean_tokens"])
        grows = sum(all(np.diff([r["by_level"][lv]["mean_tokens"] for lv in "12345"]) > 0) for r in reps)
        rows.append([name, len(reps), f"{acc.mean():.3f} ± {acc.std():.3f}", f"{tok.mean():.0f} ± {tok.std():.0f}",
                     f"{cut.mean():.1f} (min {cut.min():.1f})", f"{l5.mean():.3f} ± {l5.std():.3f}",
                     f"{grows}/{len(reps)}"])
        summary.append((name, acc, tok, l5))
    return (
        f"## {TITLE}\n\nCommand: `python benchmarks/run.py hbpo_quality`{' --quick' if quick else ''} "
        f"({iterations} iterations per run, seeds {list(seeds)}, {episodes} evaluation problems, seed 123; "
        "mean ± standard deviation over seeds)\n\n"
        + table(["run", "seeds", "accuracy", "mean tokens", "tokens cut vs base %", "level-5 accuracy",
                 "tokens grow with level"], rows)
    )


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
