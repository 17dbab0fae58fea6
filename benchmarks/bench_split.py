"""Split world: env speed against CartPole, regret per manager (hand-written, the learned structured
manager and raw PPO) on classroom and drift, and the two-level `divisions` world.

    python benchmarks/run.py split            # this section of RESULTS.md
    python benchmarks/run.py split --quick    # a smoke test (shorter runs, fewer episodes, less PPO)
"""

from __future__ import annotations

import os
import time

import gymnasium as gym
import numpy as np
from _common import (
    SPEED_METHOD,
    part_note,
    replace_subsection,
    reset_micros,
    single_env_run,
    spread,
    table,
    vector_env_run,
    versus_cartpole,
)

import hbkit  # noqa: F401  (registers the environments)

TITLE = "Split world: speed and regret per learner"

ENV = "hbkit/Split-v0"
SCENARIOS = ("classroom", "drift")
SEED = 2024
SEEDS = (0, 1, 2, 3, 4)
#: training seeds of the learned agents
TRAIN_SEEDS = (0, 1, 2)
#: PPO trains briefly here (tens of seconds, one torch thread: the networks are tiny); the scenario
#: recipe's 100k steps are what `hbkit train` uses.
PPO_STEPS = 50_000
PPO_STEPS_QUICK = 8_000


#: Where the time goes where a target is missed (profiled with cProfile and timers on a loaded 2-core
#: machine; the shares are what counts).
SPEED_NOTE = (
    "Where the time goes. A reset draws only the episode's random numbers (the normals of the noise, "
    "the uniforms and normals of the starting productivities, the normals of the drift: the same draws "
    "in the same order as before, so the Split results in this file stay the same up to rounding, "
    "about 1e-14); the productivity of a round (one step of the drift's walk in log space) and the "
    "oracle's output for it (the water level of the active set, `SplitWorld.oracle_output`: a few passes "
    "over the batch and one logarithm per episode, instead of a water-filling problem per round) are "
    "computed when the round is played. A single env is a batch of one reset and stepped in plain Python "
    "floats (`SplitBatch.reset_one`, `step_one`; a drifting episode's walk and oracle for all its rounds "
    "are computed at its first round, the oracle in one NumPy call), bit for bit what a VectorEnv of one "
    "gives (a test checks it). `drift` VectorEnv at 4096 envs (timers on the loaded machine): about half "
    "of the time is drawing the normals (2.1 M per 52-round episode of 4096 envs, 20-35 ns each with NumPy's "
    "generator on this machine), a fifth the oracle (about 0.6 ms per round of 4096 envs), the rest the "
    "step (three exp/log passes over 20,480 numbers, about 10 ns per value here, and the ledger). At "
    "50x CartPole (about 100,000 steps/s) an episode of 4096 envs would have 43 ms; its 2.1 M normals "
    "alone take about 45 ms, so 50x is out of reach without changing the random streams (float32 "
    "normals, or fewer draws), which would change every Split result in this file: not done. The "
    "`drift` single-env reset is bounded the same way: its 515 normals (two calls, about 10 µs "
    "unloaded) cost about two CartPole resets by themselves. The `drift` single env's step (five agents, "
    "a forgetting ledger, about 20 Python float operations per agent, the observation and the info "
    "arrays) is what keeps it below 0.5x: in A/B runs against the previous code in alternation it is "
    "about 8 % faster (median of 5: 0.42x against 0.39x), `classroom` about 40 % faster."
)


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
        shape = (104 if quick else 208, n, vec.single_action_space.shape[0])
        vacts = np.random.default_rng(1).uniform(-1, 1, shape)
        runs[f"{scenario}/vector"] = vector_env_run(vec, vacts.astype(np.float32))
    cart, rates, rounds = versus_cartpole(runs, steps)
    rows = [("CartPole-v1, single env (`gym.make`), the reference", cart, "1x", "")]
    for key, rate in rates.items():
        scenario, kind = key.split("/")
        what = "single env (`gym.make`)" if kind == "single" else f"VectorEnv, {n} envs"
        rows.append(
            (
                f"Split-v0 `{scenario}`, {what}",
                rate,
                f"{rate / cart:.3f}x" if kind == "single" else f"{rate / cart:.1f}x",
                spread(rounds[key], 2 if kind == "single" else 1),
            )
        )
    text = table(["env", "steps/s", "vs CartPole", "rounds"], rows)
    return text + "\n\n" + _resets(quick), {k: v / cart for k, v in rates.items()}


def _resets(quick: bool) -> str:
    """Microseconds per ``env.reset()`` through ``gym.make``, against CartPole's, best of 5 rounds
    run in turn (target: at most 5x CartPole's)."""
    count = 500 if quick else 2000
    envs = {"CartPole-v1": gym.make("CartPole-v1")}
    envs.update({f"Split-v0 `{s}`": gym.make(ENV, scenario=s) for s in SCENARIOS})
    best = reset_micros(envs, count)
    cart = best["CartPole-v1"]
    rows = [(name, f"{us:.1f}", f"{us / cart:.1f}x") for name, us in best.items()]
    return table(["env (single, `gym.make`)", "µs per reset", "vs CartPole's reset"], rows)


def _ci(values) -> str:
    """``mean ± half-width`` of a 95 % t-interval over seeds (:func:`hbkit.sweep.mean_interval`)."""
    from hbkit.sweep import mean_interval

    s = mean_interval(values)
    return f"{s['mean']:.4f} ± {s['half_width']:.4f}"


def _train_learned(scenario, seeds, quick, **env_kwargs):
    """Train the structured manager once per seed; return the managers and the mean training time."""
    from hbkit.train.split import train

    settings = {"iterations": 15} if quick else {}
    managers, seconds = [], []
    for s in seeds:
        t0 = time.perf_counter()
        managers.append(train(ENV, scenario, seed=s, **settings, **env_kwargs))
        seconds.append(time.perf_counter() - t0)
    return managers, float(np.mean(seconds))


def _regret(quick: bool) -> tuple[str, list[str]]:
    import torch

    from hbkit.evaluate import compare, evaluate
    from hbkit.managers.split import MANAGERS
    from hbkit.train.sb3 import train_sb3

    torch.set_num_threads(1)

    episodes = 100 if quick else 400
    seeds = SEEDS[:2] if quick else SEEDS
    train_seeds = TRAIN_SEEDS[:2] if quick else TRAIN_SEEDS
    timesteps = PPO_STEPS_QUICK if quick else PPO_STEPS
    sections, notes = [], []
    for scenario in SCENARIOS:
        # every manager meets the same worlds: the seed fixes the episodes, whoever plays them
        per_seed = [
            compare("hbkit/Split-v0", list(MANAGERS), scenario, episodes=episodes, seed=SEED + s)
            for s in seeds
        ]
        stat = {n: np.array([r[n]["regret"] for r in per_seed]) for n in per_seed[0]}
        tail = {n: np.mean([r[n]["final_regret"] for r in per_seed]) for n in per_seed[0]}
        lost = {n: np.mean([r[n]["relative_regret"] for r in per_seed]) for n in per_seed[0]}
        # learned agents: one value per training seed (its mean over the evaluation seeds)
        learned = f"learned: guess + water-fill (ES, {len(train_seeds)} seeds)"
        managers, es_seconds = _train_learned(scenario, train_seeds, quick)
        ppo = f"SB3 PPO, {timesteps // 1000}k steps ({len(train_seeds)} seeds)"
        models, ppo_seconds = [], []
        for s in train_seeds:
            t0 = time.perf_counter()
            models.append(
                train_sb3(
                    ENV, "ppo", scenario=scenario, total_timesteps=timesteps, seed=s, progress_bar=False
                )
            )
            ppo_seconds.append(time.perf_counter() - t0)
        for name, agents in ((learned, managers), (ppo, models)):
            reps = [
                [evaluate(a, ENV, scenario=scenario, episodes=episodes, seed=SEED + s) for s in seeds]
                for a in agents
            ]
            stat[name] = np.array([np.mean([r["regret"] for r in rs]) for rs in reps])
            tail[name] = np.mean([r["final_regret"] for rs in reps for r in rs])
            lost[name] = np.mean([r["relative_regret"] for rs in reps for r in rs])
        rounds = per_seed[0]["equal"]["rounds"]
        equal = stat["equal"].mean()
        order = sorted(stat, key=lambda n: stat[n].mean())
        rows = []
        for name in order:
            mean = stat[name].mean()
            rows.append(
                (
                    name,
                    _ci(stat[name]),
                    f"{tail[name]:.4f}",
                    f"{100 * lost[name]:.1f}%",
                    f"{equal / mean:.1f}x" if mean > 0 else "-",
                )
            )
        hand = [n for n in order if n in MANAGERS and n not in ("equal", "oracle")]
        best = hand[0]
        gap = stat[learned].mean() / stat[best].mean() - 1
        sections.append(
            f"**`{scenario}`** ({rounds} rounds per episode; {len(seeds)} evaluation seeds x {episodes} "
            f"episodes, the same worlds for every row; ± is a 95 % interval over the evaluation seeds "
            f"for hand-written managers and over {len(train_seeds)} training seeds for the trained ones; "
            f"training time per seed: ES {es_seconds:.0f} s, PPO {np.mean(ppo_seconds):.0f} s with the "
            "scenario's `[ppo]` recipe):\n\n"
            + table(
                [
                    "manager",
                    "regret per round",
                    f"regret, last {max(1, rounds // 10)} rounds",
                    "output lost",
                    "equal split / this",
                ],
                rows,
            )
        )
        notes.append(
            f"`{scenario}`: the learned guess + water-fill manager has {100 * gap:+.1f} % regret "
            f"against the best hand-written learner (**{best}**, {stat[best].mean():.4f}), "
            f"trained in {es_seconds:.0f} s per seed; raw PPO after {timesteps:,} steps ranks "
            f"{order.index(ppo) + 1} of {len(order)} (the oracle included)."
        )
    return "\n\n".join(sections), notes


def _two_levels(quick: bool) -> str:
    """``divisions``: the top level (budget across divisions) learned or greedy, over greedy,
    learned or oracle division heads, against the flat split of the same teams."""
    from hbkit.evaluate import evaluate
    from hbkit.managers.split import Greedy
    from hbkit.scenarios import load_scenario

    episodes = 100 if quick else 400
    seeds = SEEDS[:2] if quick else SEEDS
    train_seeds = TRAIN_SEEDS[:2] if quick else TRAIN_SEEDS
    base = load_scenario("divisions")
    worlds = {
        "flat (one level, all six teams)": base.with_overrides({"divisions": []}),
        "greedy heads (`estimate`, the default)": base,
        "learned heads (`policy`: the same policy splits inside each division)": base.with_overrides(
            {"world.division_rule": "policy"}
        ),
        "oracle heads (`oracle`: each head knows its teams)": base.with_overrides(
            {"world.division_rule": "oracle"}
        ),
    }
    rows = []
    for label, sc in worlds.items():
        env = gym.make(ENV, scenario=sc)
        greedy = [
            evaluate(Greedy(env), ENV, scenario=sc, episodes=episodes, seed=SEED + s)["regret"] for s in seeds
        ]
        managers, seconds = _train_learned(sc, train_seeds, quick)
        learned = [
            np.mean(
                [evaluate(m, ENV, scenario=sc, episodes=episodes, seed=SEED + s)["regret"] for s in seeds]
            )
            for m in managers
        ]
        rows.append((label, _ci(greedy), _ci(learned), f"{seconds:.0f} s"))
    return (
        f"`divisions` (40 rounds, 2 divisions of 3 teams; regret per round against the best flat split "
        f"of all six teams; {len(seeds)} evaluation seeds x {episodes} episodes; the learned top level "
        f"is trained with `hbkit.train.split.train` over each kind of head, {len(train_seeds)} "
        "training seeds; "
        "± is a 95 % interval over seeds):\n\n"
        + table(["division heads", "top level: greedy", "top level: learned (ES)", "training per seed"], rows)
    )


#: parts that ``python benchmarks/run.py split --part NAME`` can rerun alone (the rest of the section
#: is kept as it was)
PARTS = ("speed",)

SPEED_HEADING = "### Speed (random actions; targets: single env >= 0.5x CartPole, VectorEnv at 4096 envs"


def _speed_section(quick: bool) -> str:
    speed, _ = _speed(quick)
    return "\n".join(
        [
            SPEED_HEADING + " >= 50x, a reset <= 5x CartPole's)",
            "",
            SPEED_METHOD + " A Split episode lasts `world.rounds` rounds whatever the actions, so uniformly "
            "random actions and a trained manager give episodes of the same length: "
            "one workload covers both. Load average of the machine when this run started: "
            f"{os.getloadavg()[0]:.2f} ({os.cpu_count()} cores).",
            "",
            speed,
            "",
            SPEED_NOTE,
        ]
    )


def run(quick: bool = False, part: str | None = None, previous: str = "") -> str:
    if part == "speed":  # the speed subsection only; the regret tables are kept
        return replace_subsection(
            previous, SPEED_HEADING, _speed_section(quick) + part_note("split", "speed")
        )
    regret, notes = _regret(quick)
    levels = _two_levels(quick)
    flag = " --quick" if quick else ""
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"Command: `python benchmarks/run.py split{flag}`",
            "",
            _speed_section(quick),
            "",
            "### Regret against the water-filling oracle",
            "",
            "Regret of a round = the oracle's expected output minus the expected output of the split played "
            "(noise excluded), averaged over the rounds of an episode. Hand-written learners: see "
            "`hbkit/managers/split.py`; the learned manager: "
            "`hbkit/train/split.py` (a productivity guess per agent with 4 parameters, trained by evolution "
            "strategies and turned into a split by water-filling); `oracle` knows the true "
            "productivities (its small regret comes from the action range: a share below e^-6 of the "
            "largest cannot be expressed).",
            "",
            regret,
            "",
            *[f"- {n}" for n in notes],
            "",
            "### Two levels that learn",
            "",
            levels,
        ]
    )


if __name__ == "__main__":
    print(run(quick=True))
