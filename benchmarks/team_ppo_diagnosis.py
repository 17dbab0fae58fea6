"""Why MaskablePPO settles on one fixed policy in the Team world: the numbers behind the
"Why MaskablePPO settles" paragraph of benchmarks/RESULTS.md (Team section).

    python benchmarks/team_ppo_diagnosis.py 40000     # MaskablePPO steps per run (two runs)

1. Observation scale, reward scale and episode length in the states the feedback manager visits.
2. Two short MaskablePPO runs (plain rewards, and rewards normalised by VecNormalize): value loss,
   explained variance and entropy at the start and the end, and the trained model evaluated both
   deterministically (argmax, as the tables do) and by sampling.
"""

from __future__ import annotations

import json
import sys
import time

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import hbkit  # noqa: F401
from hbkit.evaluate import evaluate
from hbkit.managers import available

SCENARIO = "hashiru"
ENV = "hbkit/Team-v0"


def observe_feedback_manager(streams: int = 256) -> dict:
    """Observation and reward statistics along the feedback manager's episodes."""
    vec = gym.make_vec(
        ENV,
        num_envs=streams,
        vectorization_mode="vector_entry_point",
        scenario=SCENARIO,
        autoreset_mode=AutoresetMode.DISABLED,
    )
    manager = available(ENV)["feedback"](vec)
    obs, info = vec.reset(seed=0)
    seen, rewards = [], []
    length, returns = np.zeros(streams), np.zeros(streams)
    done = np.zeros(streams, bool)
    while not done.all():
        seen.append(obs[~done])
        obs, r, term, trunc, info = vec.step(manager(obs, info))
        rewards.append(r[~done])
        returns[~done] += r[~done]
        length[~done] += 1
        done |= term | trunc
    x, r = np.concatenate(seen), np.concatenate(rewards)
    names = vec.unwrapped.feature_names
    top = np.abs(x).max(axis=0)
    return {
        "obs_dim": x.shape[1],
        "obs_features_max_gt_5": {names[i]: float(top[i]) for i in np.flatnonzero(top > 5)},
        "obs_features_constant": int((x.std(axis=0) < 1e-6).sum()),
        "reward_step_mean": float(r.mean()),
        "reward_step_std": float(r.std()),
        "reward_step_nonzero_share": float((r != 0).mean()),
        "return_mean": float(returns.mean()),
        "return_std": float(returns.std()),
        "episode_len_mean": float(length.mean()),
        "episode_len_min": float(length.min()),
        "episode_len_max": float(length.max()),
        "gamma_0.99_weight_at_mean_len": float(0.99 ** length.mean()),
        "feedback_features": sum(1 for n in names if n.startswith(("est[", "tried["))),
    }


def ppo_runs(steps: int) -> None:
    """Two MaskablePPO runs: the critic's fit and the trained policy, argmax and sampled."""
    from stable_baselines3.common.callbacks import BaseCallback

    from hbkit.train.team import train_maskable_ppo

    class Log(BaseCallback):
        def __init__(self):
            super().__init__()
            self.rows = []

        def _on_step(self) -> bool:
            return True

        def _on_rollout_start(self) -> None:
            v = self.model.logger.name_to_value
            keys = ("train/value_loss", "train/explained_variance", "train/entropy_loss", "train/approx_kl")
            if "train/value_loss" in v:
                self.rows.append({k.split("/")[1]: float(v[k]) for k in keys if k in v})

    for label, normalize in (("plain rewards", False), ("normalize_reward", True)):
        log, t0 = Log(), time.time()
        model = train_maskable_ppo(
            SCENARIO, total_timesteps=steps, seed=0, progress=False, callback=log, normalize_reward=normalize
        )
        ev = {
            mode: evaluate(model, ENV, scenario=SCENARIO, episodes=300, seed=123, deterministic=det)
            for mode, det in (("argmax", True), ("sampled", False))
        }
        summary = {
            "first": log.rows[:2],
            "last": log.rows[-2:],
            **{m: [r["reward"], r["expense_spent"], r["hires"], r["fires"]] for m, r in ev.items()},
        }
        print(label, f"{time.time() - t0:.0f}s", json.dumps(summary), flush=True)


if __name__ == "__main__":
    print(json.dumps(observe_feedback_manager(), indent=1), flush=True)
    ppo_runs(int(sys.argv[1]) if len(sys.argv) > 1 else 40_000)
