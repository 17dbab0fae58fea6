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

import numpy as np

import hbkit  # noqa: F401
from _common import table

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
    return [Job(ENV, "hbpo-math", "hbpo", settings, s, evaluation={"episodes": 200, "budget": "none"},
                name="short") for s in spawn_seeds(14, n)]


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _job_seconds(rows) -> float:
    return float(sum(r["timing"]["wall_seconds"] for r in rows))


def _ray_figures(jobs, workers: int) -> dict:
    """Ray start-up, empty-task round trip and the sweep itself on a local 2-CPU runtime."""
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
        @ray.remote(num_cpus=1)
        def empty(i):
            return i

        ray.get([empty.remote(i) for i in range(2 * workers)])  # start the workers
        n = 200
        _, noop = _timed(lambda: ray.get([empty.remote(i) for i in range(n)]))
        _, one = _timed(lambda: [ray.get(empty.remote(i)) for i in range(20)])
        rows, wall = _timed(lambda: run_sweep(jobs, None, backend="ray", workers=workers, progress=False))
    finally:
        ray.shutdown()
    return {"start": start, "noop_per_task": noop / n, "round_trip": one / 20, "rows": rows, "wall": wall}


def _full_job_seconds() -> float:
    """Wall seconds of one full-size job of the hbpo-ablations spec (scenario training, 2000 problems)."""
    from hbkit.sweep import Job, run_job

    row = run_job(Job(ENV, "hbpo-math", "hbpo", {}, 0, evaluation={"episodes": FULL_EPISODES, "seed": 123,
                                                                  "budget": "none"}))
    return float(row["timing"]["wall_seconds"])


def run(quick: bool = False) -> str:
    from hbkit.sweep import comparable, run_sweep

    workers = 2
    n = 8 if quick else JOBS
    jobs = _jobs(n, quick)
    serial, t1 = _timed(lambda: run_sweep(jobs, None, workers=1, progress=False))
    local, t2 = _timed(lambda: run_sweep(jobs, None, workers=workers, progress=False))
    ray_ = _ray_figures(jobs, workers)
    same = [comparable(a) == comparable(b) for a, b in zip(serial, local)]
    job_s = _job_seconds(serial) / n
    local_over = (t2 * workers - _job_seconds(local)) / n
    rows = [
        ["one process (`workers=1`), the reference", f"{t1:.1f}", "1x", f"{job_s:.2f}", "-"],
        [f"local backend, {workers} worker processes (spawn)", f"{t2:.1f}", f"{t1 / t2:.2f}x",
         f"{_job_seconds(local) / n:.2f}", f"{1000 * local_over:.0f}"],
    ]
    notes = []
    if "error" in ray_:
        rows.append([f"Ray, local runtime, {workers} CPUs", "-", "-", "-", "-"])
        notes.append(f"Ray was not measured: {ray_['error']}.")
        ray_over = None
    else:
        ray_rows = ray_["rows"]
        same += [comparable(a) == comparable(b) for a, b in zip(serial, ray_rows)]
        ray_over = (ray_["wall"] * workers - _job_seconds(ray_rows)) / n
        rows.append([f"Ray, local runtime, {workers} CPUs (after `ray.init`)", f"{ray_['wall']:.1f}",
                     f"{t1 / ray_['wall']:.2f}x", f"{_job_seconds(ray_rows) / n:.2f}", f"{1000 * ray_over:.0f}"])
        notes.append(f"Ray start-up (`ray.init`, local runtime): {ray_['start']:.1f} s; an empty task: "
                     f"{1000 * ray_['round_trip']:.1f} ms round trip one at a time, "
                     f"{1000 * ray_['noop_per_task']:.2f} ms each when 200 are in flight.")
    identical = all(same)
    text = [
        f"## {TITLE}",
        "",
        f"Command: `python benchmarks/run.py sweep`{' --quick' if quick else ''}. {n} short jobs (HBPO on "
        f"hbpo-math, {jobs[0].settings['iterations']} iterations of {SHORT['problems_per_iteration']} x "
        f"{SHORT['rollouts_per_problem']} rollouts, then 200 problems in natural mode), seeds spawned from 14, "
        f"{os.cpu_count()} cores. The machine was shared with other work while this ran, so the speed-up is "
        "a floor. *Overhead per job* = (wall time x workers - the jobs' own wall time) / jobs: process or "
        "task start, sending the job and its row, scheduling, and cores lost to other work.",
        "",
        table(["backend", "wall s", "speed-up", "job s (mean, inside the worker)", "overhead per job, ms"], rows),
        "",
        *[f"- {x}" for x in notes],
        f"- Rows identical, seed for seed, across the backends (wall times and versions excluded): "
        f"**{'yes' if identical else 'NO'}**.",
    ]
    # the estimate for a big sweep
    full = None if quick else _full_job_seconds()
    per_job_over = max(local_over, ray_over or 0.0)
    cpus = NODES * NODE_CPUS
    waves = math.ceil(BIG_SWEEP / cpus)
    start = ray_.get("start", 10.0) if "error" not in ray_ else 10.0
    lines = [
        "",
        f"### Estimate: {BIG_SWEEP} jobs on {NODES} nodes",
        "",
        f"Assumptions: {NODES} nodes of {NODE_CPUS} cores like this one, one job per core "
        f"({cpus} workers), so {BIG_SWEEP} jobs run in {waves} waves; each job costs its own time plus the "
        f"overhead per job measured above (the larger one, {1000 * per_job_over:.0f} ms); the head node "
        f"writes one row per job ({BIG_SWEEP} fsyncs, milliseconds each) and the driver connects once "
        f"(about {start:.0f} s, as `ray.init` here). Jobs of one sweep take about the same time, so waves "
        "are a fair model; a straggler adds at most one job's time.",
        "",
    ]
    est_rows = [["short job (as above)", f"{job_s:.2f}", f"{start + waves * (job_s + per_job_over):.0f}",
                 f"{BIG_SWEEP * job_s / 3600:.2f}"]]
    if full is not None:
        est_rows.append([f"full hbpo-ablations job (scenario training, {FULL_EPISODES} problems)", f"{full:.1f}",
                         f"{start + waves * (full + per_job_over):.0f}", f"{BIG_SWEEP * full / 3600:.2f}"])
    lines.append(table(["job", "job s", f"{BIG_SWEEP} jobs on {NODES} nodes, s", "the same on one core, h"],
                       est_rows))
    return "\n".join(text + lines)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
