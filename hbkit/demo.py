"""``hbkit demo``: HBPO and the paper's comparisons on ``hbpo-math``, end to end.

Trains four runs from the same verbose base reasoner (same seed, same number of iterations):

* ``HBPO``: four budget subgroups (512/1024/2048/2560), the budget-aware ``hbpo`` reward;
* ``cosine``: same subgroups, the cosine length-penalty reward;
* ``classic``: same subgroups, reward 1 if correct;
* ``single budget``: one budget (512), the ``hbpo`` reward;

then evaluates each, the base reasoner, the best threshold rule (``threshold`` manager) and a grid
of fixed-length reasoners in natural mode (no budget in the prompt: trained policies declare their
own) on the same problems, prints a table and writes ``report.html`` (plotly: the collapse curve,
tokens per budget subgroup, accuracy by level, the frontier), ``results.json`` and the trained
policies to the output folder. One seed is not a result: the report also shows what to expect
over training seeds (:data:`EXPECTED_ROWS`, measured by ``benchmarks/bench_hbpo_quality.py``).

The four trainings (and their evaluations) are independent: they run in parallel worker processes,
one per CPU (two on a 2-core laptop), each with one thread, while the main process evaluates the
base reasoner, the threshold rule and the fixed-length grid. Every run is seeded, so the results do
not depend on the number of workers (``workers=1`` runs everything in this process).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import gymnasium as gym

from hbkit.evaluate import evaluate
from hbkit.managers.reasoning import fixed_length_grid, threshold
from hbkit.train import HBPO, base_reasoner
from hbkit.viz import reasoning as rviz

__all__ = ["RUNS", "ABLATIONS", "run_demo", "run_ablations", "format_table"]

ENV_ID = "hbkit/Reasoning-v0"
SCENARIO = "hbpo-math"

#: name -> HBPO keyword arguments of each training run
RUNS: dict[str, dict[str, Any]] = {
    "HBPO": {},
    "cosine": {"reward": "cosine"},
    "classic": {"reward": "classic"},
    "single budget": {"budgets": (512,)},
}

#: the runs from the longest training to the shortest (measured: classic, HBPO, cosine, single
#: budget), the order in which worker processes take them
RUNS_ORDER = ("classic", "HBPO", "cosine", "single budget")
#: iterations of each demo run (the scenario's default is 300; the demo trains four runs). 120 keeps
#: the demo near 30 s on two cores; its lessons were checked against 150 (seed 0, 2000 problems):
#: HBPO 0.821 accuracy at 1554 tokens (150: 0.816 at 1465) against the base reasoner's 0.820 at
#: 2182; the single 512 budget's level-5 rollouts reaching their need fall to 0.13-0.16 around
#: iterations 30-60 while HBPO's stay near 0.55 (150: 0.29-0.31 against 0.52), and its level-5
#: accuracy ends at 0.274 against HBPO's 0.561 (150: 0.386 against 0.561).
DEMO_ITERATIONS = 120

#: what to expect over training seeds (benchmarks/RESULTS.md, mean ± 95 % interval), shown in the
#: report beside this run's single-seed numbers
EXPECTED_ROWS = [
    ["base reasoner", "0.824", "2172", "0.956", "0.566"],
    ["best threshold rule at <= HBPO's tokens", "0.783 ± 0.005", "1484 ± 11", "", ""],
    ["HBPO (4 budgets)", "0.826 ± 0.003", "1498 ± 20", "0.951 ± 0.001", "0.595 ± 0.014"],
    ["grpo advantage", "0.800 ± 0.008", "1372 ± 30", "0.954 ± 0.000", "0.482 ± 0.038"],
    ["cosine reward", "0.784 ± 0.010", "1313 ± 51", "0.890 ± 0.011", "0.584 ± 0.039"],
    ["single budget (512)", "0.756 ± 0.013", "1225 ± 32", "0.921 ± 0.008", "0.458 ± 0.046"],
]
EXPECTED_NOTES = (
    "HBPO minus the best threshold rule at <= its tokens: +4.3 ± 0.5 points; HBPO minus single 512 on "
    "level 5: +13.7 ± 5.1; HBPO minus cosine on level 5: +1.1 ± 3.8 (no collapse under the cosine "
    "reward in this world).",
)


#: the paper's ablations: number of budgets and reward function (name -> HBPO keyword arguments)
ABLATIONS: dict[str, dict[str, Any]] = {
    "4 budgets, hbpo reward": {},
    "2 budgets (512, 2560)": {"budgets": (512, 2560)},
    "1 budget (512)": {"budgets": (512,)},
    "1 budget (1536)": {"budgets": (1536,)},
    "4 budgets, grpo advantage": {"advantage": "grpo"},
    "4 budgets, classic reward": {"reward": "classic"},
    "4 budgets, cosine reward": {"reward": "cosine"},
}


def run_ablations(
    iterations: int | None = None,
    seed: int = 0,
    episodes: int = 2000,
    eval_seed: int = 123,
    progress: bool = True,
    trained: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Train every run of :data:`ABLATIONS` and evaluate it in natural mode.

    :param trained: policies already trained the same way, by ablation name (they are reused)
    :return: one row per run: ``run``, ``accuracy``, ``mean_tokens``, ``L5 accuracy``, ``L1 tokens``,
        ``L5 tokens`` (level 1 and 5 are the easiest and hardest)
    """
    rows = []
    trained = dict(trained or {})
    for name, kwargs in ABLATIONS.items():
        if name not in trained:
            trainer = HBPO(ENV_ID, scenario=SCENARIO, seed=seed, **kwargs)
            trainer.policy.metadata["name"] = name
            trainer.learn(iterations=iterations, progress=progress)
            trained[name] = trainer.policy
        r = evaluate(trained[name], ENV_ID, scenario=SCENARIO, episodes=episodes, seed=eval_seed, budget=None)
        lv = r["by_level"]
        hi, lo = max(lv, key=int), min(lv, key=int)
        rows.append(
            {
                "run": name,
                "accuracy": r["accuracy"],
                "mean_tokens": r["mean_tokens"],
                f"L{hi} accuracy": lv[hi]["accuracy"],
                f"L{lo} tokens": lv[lo]["mean_tokens"],
                f"L{hi} tokens": lv[hi]["mean_tokens"],
            }
        )
    return rows


def _train_run(
    name: str,
    kwargs: dict[str, Any],
    seed: int,
    iterations: int,
    out: str,
    ev: dict[str, Any],
    progress: bool,
) -> tuple[str, list[dict[str, Any]], float, dict[str, Any]]:
    """Train one run of :data:`RUNS`, save its policy, evaluate it: ``(name, history, training
    seconds, report)``. Module-level so that a worker process can run it."""
    t0, c0 = time.perf_counter(), time.process_time()
    trainer = HBPO(ENV_ID, scenario=SCENARIO, seed=seed, **kwargs)
    trainer.policy.metadata["name"] = name
    history = trainer.learn(iterations=iterations, progress=progress)
    seconds = time.perf_counter() - t0
    trainer.policy.save(Path(out) / f"{name.replace(' ', '-')}.npz")
    report = evaluate(trainer.policy, ENV_ID, scenario=SCENARIO, **ev)
    report["cpu_seconds"] = time.process_time() - c0  # training and evaluation, this process
    return name, history, seconds, report


def _worker_init() -> None:
    """A demo worker process: one thread everywhere (the workers share the CPUs)."""
    from hbkit.sweep.backends import _init_worker

    _init_worker()


def demo_workers() -> int:
    """Worker processes for the demo's trainings: one per CPU this process may use, at most one per
    run."""
    from hbkit.sweep.backends import default_workers

    return max(1, min(default_workers(), len(RUNS)))


def format_table(reports: dict[str, dict[str, Any]], base: str = "base reasoner") -> str:
    """A plain-text table: accuracy and mean tokens, overall and by level, change against ``base``."""
    levels = sorted(next(iter(reports.values()))["by_level"], key=int)
    head = f"{'method':<15}{'accuracy':>9}{'tokens':>8}{'vs base':>9}  " + "  ".join(
        f"{'L' + lv + ' acc/tok':>13}" for lv in levels
    )
    lines = [head, "-" * len(head)]
    b = reports.get(base)
    for name, r in reports.items():
        delta = (
            "" if b is None or name == base else f"{100 * (r['mean_tokens'] / b['mean_tokens'] - 1):+.1f}%"
        )
        cells = "  ".join(
            f"{r['by_level'][lv]['accuracy']:>6.3f}/{r['by_level'][lv]['mean_tokens']:<6.0f}" for lv in levels
        )
        lines.append(f"{name:<15}{r['accuracy']:>9.3f}{r['mean_tokens']:>8.0f}{delta:>9}  {cells}")
    return "\n".join(lines)


def run_demo(
    out: str | Path = "runs/demo",
    episodes: int = 2000,
    seed: int = 0,
    iterations: int | None = None,
    fast: bool = False,
    eval_seed: int = 123,
    progress: bool = True,
    workers: int | None = None,
) -> dict[str, Any]:
    """Run the demo; return ``{"reports": ..., "histories": ..., "seconds": ...}``.

    :param out: output folder (created)
    :param episodes: evaluation problems per method (natural mode)
    :param seed: training seed of every run
    :param iterations: training iterations per run (default: :data:`DEMO_ITERATIONS`)
    :param fast: a few iterations and 300 problems (a smoke test)
    :param eval_seed: seed of the evaluation problems (the same for every method)
    :param workers: processes for the four trainings (default: :func:`demo_workers`; ``1``: all in
        this process, with progress bars)
    """
    t_start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if fast:
        iterations, episodes = iterations or 3, min(episodes, 300)
    iterations = iterations or DEMO_ITERATIONS
    histories: dict[str, list[dict[str, Any]]] = {}
    reports: dict[str, dict[str, Any]] = {}
    ev: dict[str, Any] = dict(episodes=episodes, seed=eval_seed, budget=None)

    env = gym.make(ENV_ID, scenario=SCENARIO)
    train_seconds: dict[str, float] = {}
    workers = demo_workers() if workers is None else max(1, int(workers))
    # the longest trainings first, so that the workers finish together (RUNS_ORDER)
    order = sorted(RUNS, key=lambda n: RUNS_ORDER.index(n) if n in RUNS_ORDER else len(RUNS_ORDER))
    jobs = [(name, RUNS[name], seed, iterations, str(out), ev) for name in order]
    trained: dict[str, tuple[list[dict[str, Any]], float, dict[str, Any]]] = {}
    pool = None
    if workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_worker_init)
        futures = [pool.submit(_train_run, *job, False) for job in jobs]
        if progress:
            print(f"training {', '.join(RUNS)} in {workers} worker processes", flush=True)
    try:
        # the evaluations of what needs no training run here meanwhile
        reports["base reasoner"] = evaluate(base_reasoner(env), ENV_ID, scenario=SCENARIO, **ev)
        threshold_report = evaluate(threshold(env), ENV_ID, scenario=SCENARIO, **ev)
        fixed = [evaluate(m, ENV_ID, scenario=SCENARIO, **ev) for m in fixed_length_grid(env, step=256)]
        if pool is None:
            for job in jobs:
                name, history, sec, report = _train_run(*job, progress)
                trained[name] = (history, sec, report)
        else:
            for fut in futures:
                name, history, sec, report = fut.result()
                trained[name] = (history, sec, report)
                if progress:
                    print(f"{name}: trained in {sec:.0f} s", flush=True)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    cpu_seconds: dict[str, float] = {}
    for name in RUNS:  # in the order of RUNS, whoever finished first
        histories[name], train_seconds[name], reports[name] = trained[name]
        cpu_seconds[name] = reports[name].pop("cpu_seconds")
    reports["threshold rule"] = threshold_report

    table = format_table(reports)
    print(f"\nNatural mode (no budget), {episodes} problems of {SCENARIO}, seed {eval_seed}:\n")
    print(table)
    hb, base = reports["HBPO"], reports["base reasoner"]
    print(
        f"\nHBPO vs base reasoner: tokens {100 * (hb['mean_tokens'] / base['mean_tokens'] - 1):+.1f}%, "
        f"accuracy {100 * (hb['accuracy'] - base['accuracy']):+.2f} points"
    )

    figures = [
        rviz.collapse_curves(histories),
        rviz.subgroup_tokens(histories["HBPO"]),
        rviz.learning_curves(histories),
        rviz.by_level(reports),
        rviz.frontier(fixed, reports),
        rviz.reward_curves(),
        rviz.reward_comparison(),
    ]
    from hbkit.viz.report import DEMO_CAPTIONS, Table, html_report, reports_table

    expected = Table(
        "What full training gives over seeds (hbpo-math, natural mode, 2000 problems, 300 "
        "iterations, 5 seeds; mean ± 95 % interval; benchmarks/RESULTS.md). This demo trains "
        f"{iterations} iterations with one seed: expect its HBPO to use a few more tokens and its single "
        "budget to collapse deeper than in this table",
        ["run", "accuracy", "mean tokens", "level-1 accuracy", "level-5 accuracy"],
        EXPECTED_ROWS,
        notes=list(EXPECTED_NOTES),
    )
    captions = (
        "Exploration during training: the share of level-5 rollouts whose thinking reaches the problem's "
        "need (left) and the share of problem groups whose rewards are all equal, so their advantage is "
        "zero (right). A run whose left curve sinks has stopped exploring long solutions.",
        "HBPO's rollouts per budget subgroup during training (dashed: the budgets): does it follow them?",
    ) + tuple(DEMO_CAPTIONS)
    page = html_report(
        "hbkit demo: HBPO on hbpo-math",
        f"Natural mode (no budget in the prompt: trained policies declare their own), {episodes} "
        f"problems (seed {eval_seed}); one training seed ({seed}), {iterations} iterations per run. "
        "Single-seed numbers vary from seed to seed; the second table gives means and 95 % "
        "intervals over seeds.",
        tables=[reports_table(reports), expected],
        figures=list(zip(figures, captions, strict=False)),
    )
    (out / "report.html").write_text(page, encoding="utf-8")
    seconds = time.perf_counter() - t_start
    results = {
        "reports": reports,
        "histories": histories,
        "fixed_length": fixed,
        "train_seconds": train_seconds,
        "cpu_seconds": cpu_seconds,
        "workers": workers,
        "seconds": seconds,
        "seed": seed,
        "episodes": episodes,
    }
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out / 'report.html'} and {out / 'results.json'} in {seconds:.0f} s")
    return results
