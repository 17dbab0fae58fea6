"""Split world: env speed against CartPole, and regret per learner (PPO included) on classroom and drift.

    python benchmarks/run.py split            # this section of RESULTS.md
    python benchmarks/run.py split --quick    # a smoke test (shorter runs, fewer episodes, less PPO)
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
from _common import SPEED_METHOD, single_env_run, table, vector_env_run, versus_cartpole

import hbkit  # noqa: F401  (registers the environments)

TITLE = "Split world: speed and regret per learner"

ENV = "hbkit/Split-v0"
SCENARIOS = ("classroom", "drift")
SEED = 2024
SEEDS = (0, 1, 2, 3, 4)
#: PPO trains briefly here (tens of seconds, one torch thread: the networks are tiny); the scenario
#: recipe's 100k steps are what `hbkit train` uses.
PPO_STEPS = 50_000
PPO_STEPS_QUICK = 8_000


def _speed(quick: bool) -> tuple[str, dict[str, float]]:
    steps = 20_000 if quick else 100_000
    n = 4096
    # the reference runs in turn with the Split runs (versus_cartpole), so a slow moment of a shared
    # machine cannot flatter or spoil the ratios
    runs = {}
    for scenario in ("classroom", "drift"):
        env = gym.make(ENV, scenario=scenario)
        acts = np.random.default_rng(0).uniform(-1, 1, (steps, env.action_space.shape[0])).astype(np.float32)
        runs[f"{scenario}/single"] = single_env_run(env, list(acts))
        vec = gym.make_vec(ENV, num_envs=n, vectorization_mode="vector_entry_point", scenario=scenario)
        vacts = np.random.default_rng(1).uniform(-1, 1, (104 if quick else 208, n, vec.single_action_space.shape[0]))
        runs[f"{scenario}/vector"] = vector_env_run(vec, vacts.astype(np.float32))
    cart, rates = versus_cartpole(runs, steps)
    rows = [("CartPole-v1, single env (`gym.make`), the reference", cart, "1x")]
    for key, rate in rates.items():
        scenario, kind = key.split("/")
        what = "single env (`gym.make`)" if kind == "single" else f"VectorEnv, {n} envs"
        rows.append((f"Split-v0 `{scenario}`, {what}", rate,
                     f"{rate / cart:.3f}x" if kind == "single" else f"{rate / cart:.1f}x"))
    text = table(["env", "steps/s", "vs CartPole"], rows)
    return text, {k: v / cart for k, v in rates.items()}


def _regret(quick: bool) -> tuple[str, list[str]]:
    from hbkit.evaluate import evaluate
    from hbkit.managers.split import MANAGERS, compare
    import torch

    from hbkit.train.sb3 import train_sb3

    torch.set_num_threads(1)

    episodes = 100 if quick else 400
    seeds = SEEDS[:2] if quick else SEEDS
    timesteps = PPO_STEPS_QUICK if quick else PPO_STEPS
    sections, notes = [], []
    for scenario in SCENARIOS:
        # every manager meets the same worlds: the seed fixes the episodes, whoever plays them
        per_seed = [compare(list(MANAGERS), scenario, episodes=episodes, seed=SEED + s) for s in seeds]
        t0 = time.perf_counter()
        model = train_sb3(ENV, "ppo", scenario=scenario, total_timesteps=timesteps, seed=0, progress_bar=False)
        seconds = time.perf_counter() - t0
        ppo = f"ppo ({timesteps // 1000}k steps)"
        for s, reports in zip(seeds, per_seed):
            reports[ppo] = evaluate(model, ENV, scenario=scenario, episodes=episodes, seed=SEED + s)
        names = list(per_seed[0])
        stat = {n: {k: np.array([r[n][k] for r in per_seed]) for k in ("regret", "final_regret", "relative_regret")}
                for n in names}
        rounds = per_seed[0]["equal"]["rounds"]
        equal = stat["equal"]["regret"].mean()
        order = sorted(names, key=lambda n: stat[n]["regret"].mean())
        rows = []
        for name in order:
            r = stat[name]
            mean = r["regret"].mean()
            rows.append((name, f"{mean:.4f} ± {r['regret'].std(ddof=1):.4f}", f"{r['final_regret'].mean():.4f}",
                         f"{100 * r['relative_regret'].mean():.1f}%", f"{equal / mean:.1f}x" if mean > 0 else "-"))
        learners = [n for n in order if n not in ("equal", "oracle") and not n.startswith("ppo")]
        best = learners[0]
        ratio = equal / stat[best]["regret"].mean()
        rank = order.index(ppo) + 1
        sections.append(
            f"**`{scenario}`** ({rounds} rounds per episode; {len(seeds)} seeds x {episodes} episodes, the same "
            f"worlds for every row; ± is the standard deviation across seeds; PPO trained once for "
            f"{timesteps:,} steps with the scenario's `[ppo]` recipe, seed 0, in {seconds:.0f} s):\n\n"
            + table(["manager", "regret per round", f"regret, last {max(1, rounds // 10)} rounds",
                     "output lost", "equal split / this"], rows)
        )
        notes.append(f"`{scenario}`: the best learner, **{best}**, has {ratio:.1f}x less regret per round than "
                     f"the equal split; PPO after {timesteps:,} steps ranks {rank} of {len(order)} "
                     "(the oracle included).")
    return "\n\n".join(sections), notes


def run(quick: bool = False) -> str:
    speed, ratios = _speed(quick)
    regret, notes = _regret(quick)
    flag = " --quick" if quick else ""
    return "\n".join([
        f"## {TITLE}",
        "",
        f"Command: `python benchmarks/run.py split{flag}`",
        "",
        "### Speed (random actions; targets: single env >= 0.5x CartPole, VectorEnv at 4096 envs >= 50x)",
        "",
        SPEED_METHOD,
        "",
        speed,
        "",
        "### Regret against the water-filling oracle",
        "",
        "Regret of a round = the oracle's expected output minus the expected output of the split played "
        "(noise excluded), averaged over the rounds of an episode. Learners: see `hbkit/managers/split.py`; `oracle` knows the true "
        "productivities (its small regret comes from the action range: a share below e^-6 of the "
        "largest cannot be expressed).",
        "",
        regret,
        "",
        *[f"- {n}" for n in notes],
    ])


if __name__ == "__main__":
    print(run(quick=True))
