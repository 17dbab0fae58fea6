"""Reasoning world and HBPO trainer: env speed against CartPole, training speed against SB3 PPO,
and the peak memory of ``hbkit demo``.

    python benchmarks/run.py reasoning
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import hbkit  # noqa: F401
from _common import SPEED_METHOD, single_env_run, table, vector_env_run, versus_cartpole

TITLE = "Reasoning world: env steps, HBPO training, demo memory"
ENV = "hbkit/Reasoning-v0"
ROOT = Path(__file__).resolve().parent.parent


def _env_speed(quick: bool) -> tuple[str, dict]:
    steps = 20_000 if quick else 100_000
    rng = np.random.default_rng(0)
    # A typical reasoner answers after ~30 chunks: answer with probability 1/32 per step.
    vec = gym.make_vec(ENV, num_envs=4096, vectorization_mode="vector_entry_point")
    vsteps = 50 if quick else 200
    cart, rates = versus_cartpole({
        "single": single_env_run(gym.make(ENV), (rng.random(steps) < 1 / 32).astype(np.int64)),
        "vector": vector_env_run(vec, (rng.random((vsteps, 4096)) < 1 / 32).astype(np.int64)),
    }, steps)
    single, vec_rate = rates["single"], rates["vector"]
    rows = [
        ["CartPole-v1, gym.make (reference)", cart, "1x", ""],
        ["Reasoning-v0, gym.make (single Env)", single, f"{single / cart:.3f}x", ">= 0.5x"],
        ["Reasoning-v0, native VectorEnv, 4096 envs", vec_rate, f"{vec_rate / cart:.1f}x", ">= 50x"],
    ]
    text = (
        "### Env steps per second\n\n"
        "CartPole is stepped with uniform random actions; the Reasoning envs answer with probability "
        "1/32 per step (episodes of ~30 steps, like the base reasoner). " + SPEED_METHOD + "\n\n"
        + table(["env", "steps/s", "vs CartPole", "target"], rows)
    )
    return text, {"single_ratio": single / cart, "vector_ratio": vec_rate / cart}


def _train_speed(quick: bool) -> str:
    from hbkit.train import HBPO

    # (1) the demo's HBPO run, timed as a whole
    t = HBPO(ENV, scenario="hbpo-math", seed=0)
    iters = 20 if quick else t.config.iterations
    t0 = time.perf_counter()
    t.learn(iterations=iters, progress=False)
    wall = time.perf_counter() - t0
    trajectories = iters * t.num_envs
    demo_rows = [["HBPO, hbpo-math (the demo's HBPO run)", iters, trajectories, t.num_timesteps,
                  wall, trajectories / wall, t.num_timesteps / wall]]

    # (2) the same number of env steps for HBPO and SB3 PPO, in this process
    target = 20_000 if quick else 100_000
    h = HBPO(ENV, scenario="hbpo-math", seed=1)
    t0 = time.perf_counter()
    while h.num_timesteps < target:
        h.learn(iterations=1, progress=False)
    hbpo_wall = time.perf_counter() - t0
    hbpo_rate = h.num_timesteps / hbpo_wall
    try:
        from hbkit.train.sb3 import train_sb3

        t0 = time.perf_counter()
        train_sb3(ENV, "ppo", scenario="hbpo-math", total_timesteps=h.num_timesteps, seed=0,
                  progress_bar=False)
        ppo_wall = time.perf_counter() - t0
        ppo_rate = h.num_timesteps / ppo_wall
        ppo_row = ["SB3 PPO (MlpPolicy, defaults, 1 env, 1 torch thread)", h.num_timesteps, ppo_wall, ppo_rate, 1.0]
    except ImportError as exc:  # pragma: no cover
        ppo_rate, ppo_row = float("nan"), [f"SB3 PPO unavailable: {exc}", "", "", "", ""]
    rows = [
        ppo_row,
        ["HBPO (NumPy, 512 parallel rollouts)", h.num_timesteps, hbpo_wall, hbpo_rate, hbpo_rate / ppo_rate],
    ]
    return (
        "### Training speed\n\n"
        + table(["run", "iterations", "trajectories", "env steps", "wall s", "trajectories/s", "env steps/s"], demo_rows)
        + "\n\nThe same number of env steps with HBPO and with Stable-Baselines3 PPO, in this process "
        "(target: HBPO >= 20x faster per env step):\n\n"
        + table(["trainer", "env steps", "wall s", "env steps/s", "vs SB3 PPO"], rows)
    )


def _peak_memory(quick: bool) -> str:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "hbkit.cli", "demo", "--out", out] + (["--fast"] if quick else [])
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, "HBKIT_FAST": "1" if quick else "0"})
        wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: kilobytes
    shown = "hbkit demo --fast" if quick else "hbkit demo"
    return (
        "### `hbkit demo`: wall time and peak memory\n\n"
        + table(["command", "wall s", "peak RSS MB", "target"],
                [[f"`{shown}`", wall, peak_mb, "< 120 s, < 500 MB"]])
    )


def run(quick: bool = False) -> str:
    cmd = "`python benchmarks/run.py reasoning`" + (" --quick" if quick else "")
    env_text, _ = _env_speed(quick)
    return "\n\n".join([f"## {TITLE}\n\nCommand: {cmd}", env_text, _train_speed(quick), _peak_memory(quick)])


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
