"""Team world (``hbkit/Team-v0``): env speed against CartPole, training time of the recipes, the
result table on ``hashiru`` (every manager: reward, success, dollars, running out of money). The
notebooks' slider latency is measured for every notebook in ``bench_widgets.py``.

    python benchmarks/run.py team            # or: python benchmarks/bench_team.py
    python benchmarks/run.py team --quick
"""

from __future__ import annotations

import sys
import time

import gymnasium as gym
import numpy as np

import hbkit  # noqa: F401
from _common import SPEED_METHOD, table, versus_cartpole

TITLE = "Team world: env steps, training, results on hashiru"
ENV = "hbkit/Team-v0"
SCENARIO = "hashiru"
EVAL_SEED = 123


def _masked_random_actions(env_or_vec, steps: int, num: int | None, rng: np.random.Generator):
    """Step ``env_or_vec`` ``steps`` times with uniformly random *allowed* actions."""
    u = rng.random((steps, num or 1))
    u1 = u[:, 0].tolist()

    def go() -> int:
        obs, info = env_or_vec.reset(seed=0)
        if num is None:  # kept lean: the agent's own cost is part of the measured rate
            for x in u1:
                allowed = info["action_mask"].nonzero()[0]
                obs, _, term, trunc, info = env_or_vec.step(int(allowed[int(x * len(allowed))]))
                if term or trunc:
                    obs, info = env_or_vec.reset()
            return steps
        for t in range(steps):
            mask = info["action_mask"]
            a = (np.cumsum(mask, axis=1) <= (u[t] * mask.sum(axis=1))[:, None]).sum(axis=1)
            obs, _, _, _, info = env_or_vec.step(np.minimum(a, mask.shape[1] - 1))
        return steps * num

    return go


def _env_speed(quick: bool) -> str:
    steps = 10_000 if quick else 50_000
    rng = np.random.default_rng(0)
    n = 1024
    vec = gym.make_vec(ENV, num_envs=n, vectorization_mode="vector_entry_point", scenario=SCENARIO)
    cart, rates = versus_cartpole({
        "single": _masked_random_actions(gym.make(ENV, scenario=SCENARIO), steps, None, rng),
        "vector": _masked_random_actions(vec, 20 if quick else 100, n, rng),
    }, steps)
    single, vec_rate = rates["single"], rates["vector"]
    rows = [
        ["CartPole-v1, gym.make (reference)", cart, "1x", ""],
        ["Team-v0, gym.make (single Env)", single, f"{single / cart:.3f}x", ">= 0.3x"],
        [f"Team-v0, native VectorEnv, {n} envs", vec_rate, f"{vec_rate / cart:.2f}x", ""],
    ]
    return ("### Env steps per second\n\n"
            "CartPole with uniform random actions; Team with uniformly random *allowed* actions (the "
            "action mask read from `info`, as a masked agent does). " + SPEED_METHOD + "\n\n"
            + table(["env", "steps/s", "vs CartPole", "target"], rows)
            + "\n\nThe single Env is a batch of one, stepped in plain Python by `TeamBatch.step_one` "
            "(the same rules, mask and 158-feature observation as the batched NumPy step, bit for bit; "
            "NumPy's per-call overhead dominates on rows of a few numbers). The trainers, `evaluate` "
            "and the managers use the native VectorEnv.")


def _train(seeds, quick: bool):
    """Train every learned manager for every seed; return ``(agents, timing rows)``."""
    from hbkit.train.team import train_hbpo, train_hbpo_router, train_maskable_ppo

    agents: dict[str, list] = {"HBPO-router": [], "HBPO": [], "MaskablePPO": []}
    times: dict[str, list] = {k: [] for k in agents}
    steps: dict[str, list] = {k: [] for k in agents}
    router_iters = 40 if quick else 80
    ppo_steps = 30_000 if quick else 100_000
    hbpo_iters = 10 if quick else 30
    imitation = dict(streams=64, rounds=2, epochs=10) if quick else dict(streams=128, rounds=3, epochs=15)
    for seed in seeds:
        t0 = time.perf_counter()
        router, hist = train_hbpo_router(SCENARIO, iterations=router_iters, seed=seed, progress=False)
        times["HBPO-router"].append(time.perf_counter() - t0)
        agents["HBPO-router"].append(router)
        steps["HBPO-router"].append(None)
        t0 = time.perf_counter()
        trainer = train_hbpo(SCENARIO, iterations=hbpo_iters, seed=seed, progress=False, imitation=imitation)
        times["HBPO"].append(time.perf_counter() - t0)
        agents["HBPO"].append(trainer.policy)
        steps["HBPO"].append(trainer.num_timesteps)
        try:
            t0 = time.perf_counter()
            model = train_maskable_ppo(SCENARIO, total_timesteps=ppo_steps, seed=seed, progress=False)
            times["MaskablePPO"].append(time.perf_counter() - t0)
            agents["MaskablePPO"].append(model)
            steps["MaskablePPO"].append(ppo_steps)
        except ImportError:  # pragma: no cover - sb3 is optional
            pass
    rows = [
        ["HBPO-router (HBPO over the feedback manager's 2 parameters, NumPy)",
         f"{router_iters} iterations x 128 streams", np.mean(times["HBPO-router"])],
        ["HBPO (NumPy MLP; clone of the feedback manager, then HBPO)",
         f"clone {imitation['streams']} streams x {imitation['rounds']} rounds + {hbpo_iters} iterations "
         f"({int(np.mean(steps['HBPO']))} HBPO env steps)", np.mean(times["HBPO"])],
    ]
    if times["MaskablePPO"]:
        rows.append(["MaskablePPO (sb3-contrib, 16 native envs, 1 torch thread)", f"{ppo_steps} env steps",
                     np.mean(times["MaskablePPO"])])
    return {k: v for k, v in agents.items() if v}, rows


def _results(quick: bool) -> tuple[str, list[str]]:
    from hbkit.evaluate import evaluate
    from hbkit.managers import available

    episodes = 200 if quick else 1000
    seeds = (0,) if quick else (0, 1, 2)
    env = gym.make(ENV, scenario=SCENARIO)
    budget = env.unwrapped.world.expense_budget
    hand = {name: evaluate(f(env), ENV, scenario=SCENARIO, episodes=episodes, seed=EVAL_SEED)
            for name, f in available(ENV).items()}
    agents, train_rows = _train(seeds, quick)
    learned = {name: [evaluate(a, ENV, scenario=SCENARIO, episodes=episodes, seed=EVAL_SEED) for a in runs]
               for name, runs in agents.items()}

    def row(name, reports, kind):
        mean = {k: float(np.mean([r[k] for r in reports])) for k in
                ("reward", "success_rate", "expense_spent", "budget_exhausted_rate", "hires", "fires", "rejected")}
        spread = (f"{min(r['reward'] for r in reports):.2f} .. {max(r['reward'] for r in reports):.2f}"
                  if len(reports) > 1 else "")
        return [name, kind, f"{mean['reward']:.2f}", spread, f"{mean['success_rate']:.3f}",
                f"{mean['expense_spent']:.4f}", f"{mean['budget_exhausted_rate']:.1%}",
                f"{mean['hires']:.1f}", f"{mean['fires']:.1f}", f"{mean['rejected']:.2f}"], mean

    rows, means = [], {}
    for name, r in hand.items():
        line, means[name] = row(name, [r], "random" if name == "random" else "hand-written")
        rows.append(line)
    for name, reports in learned.items():
        line, means[name] = row(name, reports, f"trained ({len(reports)} seeds)")
        rows.append(line)
    text = (f"### Results on `{SCENARIO}` (expense budget ${budget:g}, 40 tasks per stream)\n\n"
            f"{episodes} streams per manager (evaluation seed {EVAL_SEED}: the same streams for every "
            f"manager); trained managers: mean over training seeds {', '.join(map(str, seeds))} "
            "(reward range across seeds in its own column). *Ran out* is the share of streams in "
            "which the money ran out before the stream ended.\n\n"
            + table(["manager", "kind", "reward", "reward range", "success", "$ spent", "ran out",
                     "hires", "fires", "rejected"], rows))
    # the claims the scenario must show
    handwritten = {k: v for k, v in means.items() if k in hand and k != "random"}
    best_hand = max(handwritten, key=lambda k: handwritten[k]["reward"])
    binding = [k for k, v in handwritten.items() if v["budget_exhausted_rate"] > 0]
    beats = all(means[g]["reward"] > means[b]["reward"] for g in ("greedy", "feedback")
                for b in ("local-only", "cloud-only"))
    trained = {k: v for k, v in means.items() if k in learned}
    winners = [k for k, v in trained.items() if v["reward"] >= means[best_hand]["reward"]
               and v["expense_spent"] <= means[best_hand]["expense_spent"]]
    checks = [
        f"- the expense budget binds: {', '.join(binding) or 'no hand-written manager'} ran out of money "
        f"before the stream ended in some streams: **{'yes' if binding else 'NO'}**",
        f"- greedy and feedback beat local-only and cloud-only on reward: **{'yes' if beats else 'NO'}**",
        f"- a trained manager reaches the best hand-written manager ({best_hand}, reward "
        f"{means[best_hand]['reward']:.2f}, ${means[best_hand]['expense_spent']:.4f}) without spending more: "
        f"**{'yes: ' + ', '.join(winners) if winners else 'NO'}**",
    ]
    timing = ("### Training time\n\nWall seconds per training run (mean over the seeds above), this "
              "machine, in this process:\n\n" + table(["recipe", "size", "wall s"], train_rows))
    return text + "\n\n" + "\n".join(checks), [timing]


def run(quick: bool = False) -> str:
    cmd = "`python benchmarks/run.py team`" + (" --quick" if quick else "")
    results, extra = _results(quick)
    return "\n\n".join([f"## {TITLE}\n\nCommand: {cmd}", _env_speed(quick), results, *extra])


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
