"""Sweeps: many seeds and settings, on a laptop (local processes) or on a Ray cluster.

One seed is not a result. A sweep runs a grid of *jobs* and summarises them with means and 95 %
intervals over seeds.

>>> from hbkit.sweep import Job, run_sweep, summarize, format_table, spawn_seeds
>>> jobs = [Job("hbkit/Reasoning-v0", "hbpo-math", agent="manager:fixed-1024", seed=s,
...             evaluation={"episodes": 200}) for s in spawn_seeds(0, 3)]
>>> rows = run_sweep(jobs, path="runs/fixed.jsonl", workers=2)          # doctest: +SKIP
>>> print(format_table(summarize(rows, by=["agent"], metrics=["accuracy"])))  # doctest: +SKIP

or, from a spec file: ``hbkit sweep benchmarks/sweeps/hbpo-ablations.toml`` (``--ray auto`` on a
cluster).

Jobs
----
A :class:`Job` is plain data: (env id, scenario name or path, scenario overrides, agent name, the
agent's settings, seed, evaluation settings, a run label). :func:`run_job` turns it into a result
row: it builds the scenario, trains (or builds) the agent, runs :func:`hbkit.evaluate.evaluate`
and returns a JSON-serialisable dict (see :func:`run_job`). A job depends on nothing but itself,
so its result is the same on any backend, with any number of workers, in any order.

Seeds
-----
:func:`spawn_seeds` draws the seeds of a sweep from ``numpy.random.SeedSequence(root).spawn(n)``:
child ``i`` becomes the integer ``child.generate_state(1, numpy.uint32)[0] >> 1``, the first 32-bit
word of its state with the top bit dropped. The children of one root are statistically
independent streams, and 31-bit integers are accepted as seeds everywhere (NumPy, Gymnasium,
SB3/torch), even after small offsets such as ``seed + episode``.

Results file
------------
Rows are appended to a JSONL file, one JSON object per line, keyed by :meth:`Job.key` (a SHA-256 of
the job's canonical JSON: sorted keys, no spaces). Each row is written with one ``write`` call and
flushed to disk (``fsync``) before the next job's row, by the one process that owns the file.
Rerunning a sweep skips every job whose key is in the file, so a sweep that was stopped (Ctrl-C,
a killed process, a lost node) resumes where it stopped (a row computed on a scenario file edited
since, seen by its ``scenario_hash``, is run again, with a warning); a line torn by a crash
mid-write can only be the last one, and is cut off before anything is appended
(:class:`ResultStore`). A job that
raises is recorded with ``status = "error"`` and its error (type, message, traceback) and does not
stop the sweep; ``retry_errors=True`` runs such jobs again.

Agents
------
An agent name is one of

* ``manager:NAME``: a hand-written manager, ``hbkit.managers.available(env_id)[NAME]``;
* ``sb3:ALGO``: a Stable-Baselines3 algorithm trained by :func:`hbkit.train.sb3.train_sb3`;
* a trainer of the world, from :data:`TRAINERS` (``"hbpo"``, ...).

Adding a trainer is one entry in :data:`hbkit.train.registry.TRAINERS` (which ``hbkit train`` reads
too): its name and the ``"module:function"`` that trains it (see
:class:`hbkit.train.registry.TrainerEntry` for the calling convention).

Backends
--------
``backend="local"`` (the default) runs the jobs in worker processes (``concurrent.futures`` with
the ``spawn`` start method), each on one BLAS / OpenMP / torch thread; ``workers=1`` runs them in
this process. ``backend="ray"`` sends them to a Ray cluster (``address="auto"`` for the cluster this
machine belongs to, ``"HOST:PORT"``, or ``None`` to start a local Ray runtime): the ``ray`` extra
(``pip install hbkit[ray]``), and hbkit installed on every node. Either way, only this process
writes the results file. See ``docs/sweeps.md``.

Spec files
----------
A sweep spec is a small TOML file (:func:`load_spec`), validated like the scenario files: every
problem is a :class:`~hbkit.errors.ScenarioError` naming the file, the field and what is allowed::

    [sweep]
    name = "hbpo-reward"
    env = "hbkit/Reasoning-v0"
    scenario = "hbpo-math"        # a name or a path (relative to the spec file)
    seeds = 5                     # seeds spawned from root_seed (see above)
    root_seed = 0
    metrics = ["accuracy", "mean_tokens", "by_level.5.accuracy"]

    [eval]                        # hbkit.evaluate.evaluate's arguments
    episodes = 2000
    seed = 123                    # leave out to evaluate each job on its own seed
    budget = "none"               # "none" (natural mode), "default", or a number

    [[run]]                       # one row of the table per run (times every grid point)
    name = "HBPO"
    agent = "hbpo"
    settings = { iterations = 300 }

    [[run]]
    name = "cosine"
    agent = "hbpo"
    settings = { iterations = 300, reward = "cosine" }

    [grid]                        # optional: every run at every point of this grid
    "overrides.levels.need_spread" = [0.25, 0.35]

    [quick]                       # optional: what --quick shrinks (a smoke test)
    seeds = 2
    episodes = 200
    settings = { iterations = 5 }  # applied to the runs whose agent takes that setting

Modules
-------
======================  ==========================================================================
:mod:`.jobs`            :class:`Job`, :func:`spawn_seeds`, the agents per world (:data:`TRAINERS`),
                        :func:`run_job`
:mod:`.store`           :class:`ResultStore`, the JSONL results file
:mod:`.backends`        :func:`run_sweep`: in this process, local worker processes, Ray
:mod:`.spec`            :func:`load_spec`, :class:`SweepSpec`
:mod:`.stats`           :func:`summarize`, :func:`format_table`, Student's t
:mod:`.cli`             ``hbkit sweep``
======================  ==========================================================================

Figures of a summary: :func:`hbkit.viz.sweep.sweep_figure`. More in ``docs/sweeps.md``.
"""

from hbkit.sweep.backends import default_workers, run_sweep
from hbkit.sweep.cli import add_cli_parser, cli_main
from hbkit.sweep.jobs import (
    TRAINERS,
    Job,
    agent_names,
    agent_settings,
    canonical_json,
    comparable,
    hbpo_trainer,
    run_job,
    spawn_seeds,
    versions,
)
from hbkit.sweep.spec import SweepSpec, load_spec
from hbkit.sweep.stats import format_table, mean_interval, row_value, summarize, t_quantile
from hbkit.sweep.store import ResultStore

__all__ = [
    "Job",
    "SweepSpec",
    "ResultStore",
    "TRAINERS",
    "spawn_seeds",
    "canonical_json",
    "agent_names",
    "agent_settings",
    "hbpo_trainer",
    "versions",
    "run_job",
    "run_sweep",
    "default_workers",
    "load_spec",
    "summarize",
    "row_value",
    "format_table",
    "comparable",
    "t_quantile",
    "mean_interval",
    "add_cli_parser",
    "cli_main",
]
