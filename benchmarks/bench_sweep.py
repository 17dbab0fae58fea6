"""Sweeps: 40 short jobs in one process, on local worker processes and on a local Ray runtime.

Measures, in one run on this machine: the local backend's speed-up over one process, each
backend's overhead per job, Ray's start-up time and its round trip for an empty task; and from
those figures estimates the wall time of a 1000-job sweep on a 100-node cluster.

    python benchmarks/run.py sweep            # this section of RESULTS.md
    python benchmarks/bench_sweep.py --quick  # a smoke test (fewer, shorter jobs)
"""

from __future__ import annotations

import math
import os
import sys
import time

from _common import table

import hbkit  # noqa: F401

TITLE = "Sweeps: local processes and Ray on this machine, and a 1000-job estimate"
ENV = "hbkit/Reasoning-v0"
JOBS = 40
#: a short job: a few HBPO iterations on hbpo-math and a small natural-mode evaluation
SHORT = {"iterations": 10, "problems_per_iteration": 8, "rollouts_per_problem": 8}
#: the hbpo-ablations spec's job: the scenario's full training and a 2000-problem evaluation
FULL_EPISODES = 2000
NODES, NODE_CPUS, BIG_SWEEP = 100, 2, 1000


def _jobs(n: int, quick: bool):
    from hbkit.sweep import Job, spawn_seeds

    settings = {**SHORT, "iterations": 3} if quick else SHORT
    return [
        Job(
            ENV,
            "hbpo-math",
            "hbpo",
            settings,
            s,
            evaluation={"episodes": 200, "budget": "none"},
            name="short",
        )
        for s in spawn_seeds(14, n)
    ]


def _tiny(n: int):
    """Jobs that take almost no time (one episode of a fixed-length reasoner): they measure start-up."""
    from hbkit.sweep import Job

    return [
        Job(ENV, "hbpo-math", "manager:fixed-512", {}, i, evaluation={"episodes": 1}, name="tiny")
        for i in range(n)
    ]


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _job_seconds(rows, kind: str = "wall") -> float:
    return float(sum(r["timing"][f"{kind}_seconds"] for r in rows))


def _overhead(wall: float, rows, workers: int) -> float:
    """Seconds per job that the workers spent on anything but the jobs themselves."""
    return (wall * workers - _job_seconds(rows)) / len(rows)


def _children_cpu() -> float:
    """CPU seconds of the worker processes that have ended (``getrusage(RUSAGE_CHILDREN)``)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _local_figures(jobs, workers: int) -> dict:
    """The local backend: start-up (a sweep of empty jobs), then the jobs; wall and CPU time."""
    from hbkit.sweep import run_sweep

    c0 = _children_cpu()
    _, start = _timed(lambda: run_sweep(_tiny(workers), None, workers=workers, progress=False))
    c1 = _children_cpu()
    rows, wall = _timed(lambda: run_sweep(jobs, None, workers=workers, progress=False))
    c2 = _children_cpu()
    # CPU the workers spent beyond start-up and the jobs themselves: robust to a busy machine
    cpu_over = ((c2 - c1) - (c1 - c0) - _job_seconds(rows, "cpu")) / len(rows)
    return {
        "start": start,
        "start_cpu": c1 - c0,
        "rows": rows,
        "wall": wall,
        "cpu_over": cpu_over,
        "over": _overhead(wall - start, rows, workers),
    }


def _ray_figures(jobs, workers: int) -> dict:
    """Ray start-up, worker warm-up, empty-task round trip and the sweep on a local runtime."""
    try:
        import ray
    except ImportError:
        return {"error": "ray is not installed (pip install 'hbkit[ray]')"}
    from hbkit.sweep import run_sweep

    try:
        _, start = _timed(lambda: ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False))
    except Exception as exc:  # e.g. the raylet timed out on a very busy machine
        return {"error": f"the local Ray runtime did not start: {type(exc).__name__}: {exc}"}
    try:
        _, warm = _timed(lambda: run_sweep(_tiny(workers), None, backend="ray", progress=False))

        @ray.remote(num_cpus=1)
        def empty(i):
            return i

        n = 200
        _, many = _timed(lambda: ray.get([empty.remote(i) for i in range(n)]))
        _, one = _timed(lambda: [ray.get(empty.remote(i)) for i in range(20)])
        rows, wall = _timed(lambda: run_sweep(jobs, None, backend="ray", progress=False))
    finally:
        ray.shutdown()
    return {
        "start": start,
        "warm": warm,
        "many": many / n,
        "one": one / 20,
        "rows": rows,
        "wall": wall,
        "over": _overhead(wall, rows, workers),
    }


def _full_job_seconds() -> float:
    """CPU seconds of one full-size job of the hbpo-ablations spec (scenario training, 2000 problems)."""
    from hbkit.sweep import Job, run_job

    ev = {"episodes": FULL_EPISODES, "seed": 123, "budget": "none"}
    return float(run_job(Job(ENV, "hbpo-math", "hbpo", {}, 0, evaluation=ev))["timing"]["cpu_seconds"])


def run(quick: bool = False) -> str:
    from hbkit.sweep import comparable, run_sweep

    workers = 2
    n = 8 if quick else JOBS
    jobs = _jobs(n, quick)
    # warm the reference process as the workers are warmed (imports, per-scenario tables, first calls)
    run_sweep(_jobs(1, True), None, workers=1, progress=False)
    serial, t1 = _timed(lambda: run_sweep(jobs, None, workers=1, progress=False))
    local = _local_figures(jobs, workers)
    ray_ = _ray_figures(jobs, workers)
    job_s = _job_seconds(serial) / n
    job_cpu = _job_seconds(serial, "cpu") / n

    def ms(x: float) -> str:
        return f"{1000 * x:.0f}" if x >= 0 else f"{1000 * x:.0f} (0 within the noise)"

    rows = [
        [
            "one process (`workers=1`), the reference",
            f"{t1:.1f}",
            "1x",
            f"{job_s:.2f}",
            f"{job_cpu:.2f}",
            "-",
            "-",
        ],
        [
            f"local backend, {workers} worker processes",
            f"{local['wall']:.1f}",
            f"{t1 / local['wall']:.2f}x",
            f"{_job_seconds(local['rows']) / n:.2f}",
            f"{_job_seconds(local['rows'], 'cpu') / n:.2f}",
            f"{local['start']:.1f}",
            ms(local["over"]),
        ],
    ]
    same = [comparable(a) == comparable(b) for a, b in zip(serial, local["rows"], strict=False)]
    notes = [
        f"Local start-up: {workers} worker processes (spawn, import hbkit), measured with {workers} "
        f"empty jobs: {local['start']:.1f} s wall, {local['start_cpu']:.1f} s CPU in the workers; it is "
        "part of the local wall time above. CPU the workers spent per job beyond the job itself "
        f"(pickling, pipes; `getrusage`, unaffected by other work on the machine): "
        f"{ms(local['cpu_over'])} ms."
    ]
    if "error" in ray_:
        rows.append([f"Ray, local runtime, {workers} CPUs", "-", "-", "-", "-", "-", "-"])
        notes.append(f"Ray was not measured: {ray_['error']}.")
    else:
        same += [comparable(a) == comparable(b) for a, b in zip(serial, ray_["rows"], strict=False)]
        rows.append(
            [
                f"Ray, local runtime, {workers} CPUs (warm workers)",
                f"{ray_['wall']:.1f}",
                f"{t1 / ray_['wall']:.2f}x",
                f"{_job_seconds(ray_['rows']) / n:.2f}",
                f"{_job_seconds(ray_['rows'], 'cpu') / n:.2f}",
                f"{ray_['start']:.1f} + {ray_['warm']:.1f}",
                ms(ray_["over"]),
            ]
        )
        notes.append(
            f"Ray start-up: `ray.init` (a local runtime) {ray_['start']:.1f} s, then "
            f"{ray_['warm']:.1f} s until {workers} workers had imported hbkit; not part of its wall "
            f"time above. An empty Ray task: {1000 * ray_['one']:.1f} ms round trip one at a time, "
            f"{1000 * ray_['many']:.2f} ms each with 200 in flight."
        )
    speedups = [t1 / local["wall"]] + ([] if "error" in ray_ else [t1 / ray_["wall"]])
    if max(speedups) > workers:
        notes.append(
            f"A speed-up above {workers} with {workers} workers is not possible on an even machine: "
            "the other work on it changed between the runs (they run one after the other), so "
            "compare the CPU and overhead columns, not the speed-ups, and rerun on a quiet machine."
        )
    text = [
        f"## {TITLE}",
        "",
        f"Command: `python benchmarks/run.py sweep`{' --quick' if quick else ''}. {n} short jobs (HBPO on "
        f"hbpo-math, {jobs[0].settings['iterations']} iterations of {SHORT['problems_per_iteration']} x "
        f"{SHORT['rollouts_per_problem']} rollouts, then 200 problems in natural mode; seeds spawned from "
        f"14) on {os.cpu_count()} cores. *Overhead per job* = (wall time without start-up x workers - the "
        "jobs' own time) / jobs: sending the job and its row, and scheduling. The machine may be shared "
        "with other work while this runs: then every worker gets less than a core, the jobs' own time "
        "grows with the number of workers (compare the job columns) and the speed-up is a floor, while "
        "the overhead per job still shows what the backend costs.",
        "",
        table(
            [
                "backend",
                "wall s",
                "speed-up",
                "job wall s (mean)",
                "job CPU s (mean)",
                "start-up s",
                "overhead per job, ms",
            ],
            rows,
        ),
        "",
        *[f"- {x}" for x in notes],
        f"- The reference process got {job_cpu / job_s:.0%} of a core during this run (job CPU / job wall "
        "time): the share of the machine that was not busy with other work.",
        "- Rows identical, seed for seed, across the backends (wall times and versions excluded): "
        f"**{'yes' if all(same) else 'NO'}**.",
    ]
    # the estimate for a big sweep: connect, start the workers, then waves of jobs
    full = None if quick else _full_job_seconds()
    over = max(0.0, ray_["over"] if "error" not in ray_ else local["over"])
    start = ray_["start"] + ray_["warm"] if "error" not in ray_ else local["start"]
    cpus = NODES * NODE_CPUS
    waves = math.ceil(BIG_SWEEP / cpus)
    lines = [
        "",
        f"### Estimate: {BIG_SWEEP} jobs on {NODES} nodes",
        "",
        f"Model: {NODES} nodes of {NODE_CPUS} cores like this one, one job per core ({cpus} workers), so "
        f"{BIG_SWEEP} jobs run in {waves} waves; time = start-up ({start:.0f} s, as measured here) + waves x "
        f"(job + overhead per job, {ms(over)} ms as measured here). A job on a core of its own takes its CPU "
        "time (measured inside the job, so a busy machine does not inflate it). The head node writes one "
        f"row per job ({BIG_SWEEP} small appends with fsync, milliseconds each, while the jobs run). Jobs "
        "of one sweep take about the same time, so waves are a fair model; a straggler adds at most one "
        "job's time.",
        "",
    ]
    est = [
        [
            "short job (as above)",
            f"{job_cpu:.2f}",
            f"{start + waves * (job_cpu + over):.0f}",
            f"{BIG_SWEEP * job_cpu / 3600:.2f}",
        ]
    ]
    if full is not None:
        est.append(
            [
                f"hbpo-ablations job (scenario training, {FULL_EPISODES} problems)",
                f"{full:.1f}",
                f"{start + waves * (full + over):.0f}",
                f"{BIG_SWEEP * full / 3600:.2f}",
            ]
        )
    lines.append(
        table(["job", "job CPU s", f"{BIG_SWEEP} jobs on {NODES} nodes, s", "the same on one core, h"], est)
    )
    return "\n".join(text + lines)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
