"""Sweeps: many seeds and settings, on a laptop (local processes) or on a Ray cluster.

One seed is not a result. A sweep runs a grid of *jobs* and summarises them with means and 95 %
intervals over seeds.

>>> from hbkit.sweep import Job, run_sweep, summarize, format_table, spawn_seeds
>>> jobs = [Job("hbkit/Reasoning-v0", "hbpo-math", agent="manager:fixed-1024", seed=s,
...             evaluation={"episodes": 200}) for s in spawn_seeds(0, 3)]
>>> rows = run_sweep(jobs, path="runs/fixed.jsonl", workers=2)          # doctest: +SKIP
>>> print(format_table(summarize(rows, by=["agent"], metrics=["accuracy"])))  # doctest: +SKIP

or, from a spec file: ``hbkit sweep benchmarks/sweeps/hbpo-reward.toml`` (``--ray auto`` on a cluster).

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
a killed process, a lost node) resumes where it stopped; a line torn by a crash mid-write can only
be the last one, and is cut off before anything is appended (:class:`ResultStore`). A job that
raises is recorded with ``status = "error"`` and its error (type, message, traceback) and does not
stop the sweep; ``retry_errors=True`` runs such jobs again.

Agents
------
An agent name is one of

* ``manager:NAME``: a hand-written manager, ``hbkit.managers.available(env_id)[NAME]``;
* ``sb3:ALGO``: a Stable-Baselines3 algorithm trained by :func:`hbkit.train.sb3.train_sb3`;
* a trainer of the world, from :data:`TRAINERS` (``"hbpo"``, ...).

Adding a trainer is one line in :data:`TRAINERS`: its name and the ``"module:function"`` that
trains it (see :data:`TRAINERS` for the calling convention).

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
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import itertools
import json
import math
import os
import platform
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hbkit.envs import DEFAULT_SCENARIOS, ENV_IDS
from hbkit.errors import ConfigError, ScenarioError
from hbkit.scenarios import Flag, ListOf, Number, Table, TableList, Text, load_scenario

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "Job",
    "SweepSpec",
    "ResultStore",
    "TRAINERS",
    "spawn_seeds",
    "agent_names",
    "run_job",
    "run_sweep",
    "load_spec",
    "summarize",
    "format_table",
    "comparable",
    "t_quantile",
    "mean_interval",
    "add_cli_parser",
    "cli_main",
]


# ------------------------------------------------------------------------------------------------
# Jobs and seeds
# ------------------------------------------------------------------------------------------------
def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``: sorted keys, no spaces (what job keys hash)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _plain(value: Any) -> Any:
    """``value`` with tuples as lists and NumPy scalars as Python numbers (JSON's own types)."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


@dataclass(frozen=True)
class Job:
    """One unit of a sweep: train (or build) an agent on a world and evaluate it. Plain data.

    :param env_id: an hbkit env id
    :param scenario: scenario name or path (``None``: the env's default)
    :param agent: ``"manager:NAME"``, ``"sb3:ALGO"`` or a name in :data:`TRAINERS`
    :param settings: keyword arguments of the agent's trainer or factory (e.g. ``iterations``)
    :param seed: seed of the training (and of the evaluation unless ``evaluation["seed"]`` is set)
    :param overrides: dotted scenario fields to replace (``{"world.reward": "cosine"}``)
    :param evaluation: keyword arguments of :func:`hbkit.evaluate.evaluate` (``episodes``,
        ``seed``, ``budget``, ``deterministic``, ``env_kwargs``)
    :param name: the run label (a row of the summary table)
    """

    env_id: str
    scenario: str | None = None
    agent: str = "hbpo"
    settings: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    overrides: Mapping[str, Any] = field(default_factory=dict)
    evaluation: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The job as plain JSON data (what is hashed and stored in every row)."""
        return _plain({
            "env_id": self.env_id,
            "scenario": self.scenario,
            "agent": self.agent,
            "settings": dict(self.settings),
            "seed": int(self.seed),
            "overrides": dict(self.overrides),
            "evaluation": dict(self.evaluation),
            "name": self.name or self.agent,
        })

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        return cls(**dict(data))

    @property
    def key(self) -> str:
        """A stable id of the job: the first 16 hex digits of the SHA-256 of its canonical JSON."""
        return hashlib.sha256(canonical_json(self.to_dict()).encode()).hexdigest()[:16]


def spawn_seeds(root: int, n: int) -> list[int]:
    """``n`` independent integer seeds from ``numpy.random.SeedSequence(root).spawn(n)``.

    Child ``i`` becomes ``child.generate_state(1, numpy.uint32)[0] >> 1`` (31 bits, so that every
    library accepts it, also after adding an episode index).
    """
    children = np.random.SeedSequence(int(root)).spawn(int(n))
    return [int(c.generate_state(1, np.uint32)[0] >> 1) for c in children]


# ------------------------------------------------------------------------------------------------
# The agents a job can name, per world
# ------------------------------------------------------------------------------------------------
#: The trainers of each world: agent name -> ``"module:function"``. A trainer is called as
#: ``function(scenario=<Scenario>, seed=<int>, progress=False, **settings)`` (plus ``env_id=`` if
#: it takes one) and returns a trainer with ``.policy`` and ``.history`` (like
#: :class:`hbkit.train.HBPO`), an ``(agent, history)`` pair, or an agent (e.g. an SB3 model).
#: Every world also has ``manager:NAME`` (its hand-written managers) and ``sb3:ALGO``.
TRAINERS: dict[str, dict[str, str]] = {
    "hbkit/Reasoning-v0": {
        "hbpo": "hbkit.sweep:hbpo_trainer",
    },
    "hbkit/Team-v0": {
        "hbpo": "hbkit.train.team:train_hbpo",
        "hbpo-router": "hbkit.train.team:train_hbpo_router",
        "maskable-ppo": "hbkit.train.team:train_maskable_ppo",
        # learned Team managers from hbkit/train/team.py go here, one line each
    },
    "hbkit/Split-v0": {
        # trainers from hbkit/train/split.py go here, one line each
    },
}

_CALLER_ARGS = ("env_id", "scenario", "seed", "progress", "progress_bar")


def hbpo_trainer(env_id: str, scenario: Any, seed: int, iterations: int | None = None,
                 progress: bool = False, **settings: Any):
    """The HBPO trainer of :mod:`hbkit.train.hbpo`:
    ``HBPO(env_id, scenario=..., seed=..., **settings).learn(iterations)``.

    :param settings: ``budgets``, ``reward``, ``advantage``, ``env_kwargs`` or any
        :class:`hbkit.train.HBPOConfig` field
    """
    from hbkit.train import HBPO

    if "budgets" in settings and settings["budgets"] is not None:
        settings["budgets"] = tuple(settings["budgets"])
    trainer = HBPO(env_id, scenario=scenario, seed=seed, **settings)
    trainer.learn(iterations=iterations, progress=progress)
    return trainer


def _hbpo_settings() -> set[str]:
    from hbkit.train import HBPOConfig

    return (set(HBPOConfig.__dataclass_fields__) - {"seed", "extra"}) | {"env_kwargs"}


def _resolve(target: str) -> Callable[..., Any]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def agent_names(env_id: str) -> list[str]:
    """Every agent name a job on ``env_id`` may use."""
    from hbkit.managers import available
    from hbkit.train.sb3 import ALGOS

    algos = [a for a in ALGOS if a != "maskable-ppo" or env_id == "hbkit/Team-v0"]
    return (list(TRAINERS.get(env_id, {})) + [f"manager:{m}" for m in available(env_id)]
            + [f"sb3:{a}" for a in algos])


def agent_settings(env_id: str, agent: str) -> set[str] | None:
    """The settings ``agent`` accepts on ``env_id`` (``None``: not known before running).

    :raises ConfigError: if ``agent`` is not a runnable agent of ``env_id``
    """
    if agent not in agent_names(env_id):
        raise ConfigError(f"agent {agent!r} is not runnable on {env_id}; allowed: "
                          f"{', '.join(agent_names(env_id))}")
    if agent.startswith("manager:"):
        from hbkit.managers import available

        fn = available(env_id)[agent.split(":", 1)[1]]
    elif agent.startswith("sb3:"):
        from hbkit.train.sb3 import train_sb3 as fn
    else:
        target = TRAINERS[env_id][agent]
        if target == "hbkit.sweep:hbpo_trainer":
            return _hbpo_settings() | {"iterations"}
        fn = _resolve(target)
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    names = list(params)
    if agent.startswith("manager:"):
        names = names[1:]  # the env
    skip = set(_CALLER_ARGS) | {"algo", "callback", "verbose"}
    return {n for n in names if n not in skip}


def _build_agent(job: Job, scenario: Any) -> tuple[Any, Any, Any]:
    """``(agent, history, trainer)`` for a job (``history`` may be ``None``)."""
    import gymnasium as gym

    settings = dict(job.settings)
    if job.agent.startswith("manager:"):
        from hbkit.managers import available

        managers = available(job.env_id)
        name = job.agent.split(":", 1)[1]
        if name not in managers:
            raise ConfigError(f"unknown manager {name!r} for {job.env_id}; allowed: {', '.join(managers)}")
        factory = managers[name]
        env_kwargs = dict(job.evaluation.get("env_kwargs") or {})
        env = gym.make(job.env_id, scenario=scenario, **env_kwargs)
        if "seed" in inspect.signature(factory).parameters:
            settings.setdefault("seed", int(job.seed))
        return factory(env, **settings), None, None
    if job.agent.startswith("sb3:"):
        from hbkit.train.sb3 import train_sb3

        model = train_sb3(job.env_id, job.agent.split(":", 1)[1], scenario=scenario, seed=int(job.seed),
                          progress_bar=False, **settings)
        return model, None, model
    trainers = TRAINERS.get(job.env_id, {})
    if job.agent not in trainers:
        raise ConfigError(f"agent {job.agent!r} is not runnable on {job.env_id}; allowed: "
                          f"{', '.join(agent_names(job.env_id))}")
    fn = _resolve(trainers[job.agent])
    params = inspect.signature(fn).parameters
    if "env_id" in params:
        settings["env_id"] = job.env_id
    result = fn(scenario=scenario, seed=int(job.seed), progress=False, **settings)
    if hasattr(result, "policy") and hasattr(result, "history"):
        return result.policy, result.history, result
    if isinstance(result, tuple) and len(result) == 2:
        return result[0], result[1], None
    return result, None, result


def _history_summary(history: Any, trainer: Any) -> dict[str, Any] | None:
    """First and last row of a training history (numbers only, wall times left out)."""
    steps = getattr(trainer, "num_timesteps", None)
    if not history:
        return None if steps is None else {"num_timesteps": int(steps)}

    def numbers(row: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                and "seconds" not in k and k != "time"}

    out = {"iterations": len(history), "first": numbers(history[0]), "last": numbers(history[-1])}
    if steps is not None:
        out["num_timesteps"] = int(steps)
    return out


def versions() -> dict[str, str]:
    """Versions of Python, hbkit, NumPy and Gymnasium (stored in every row)."""
    import gymnasium

    import hbkit

    return {"python": platform.python_version(), "hbkit": hbkit.__version__, "numpy": np.__version__,
            "gymnasium": gymnasium.__version__}


def _budget(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("none", "natural"):
        return None
    return value


def run_job(job: Job | Mapping[str, Any]) -> dict[str, Any]:
    """Run one job and return its result row (never raises for a failure of the job itself).

    The row is a JSON-serialisable dict:

    * ``key``, ``job`` (:meth:`Job.to_dict`), ``status`` (``"ok"`` or ``"error"``);
    * ``report``: the :func:`hbkit.evaluate.evaluate` report (``None`` on error);
    * ``history``: first and last row of the training history, iterations, env steps (or ``None``);
    * ``error``: ``{"type", "message", "traceback"}`` (``None`` when ok);
    * ``timing``: ``train_seconds``, ``eval_seconds``, ``wall_seconds``;
    * ``versions`` (:func:`versions`) and ``host``.
    """
    if not isinstance(job, Job):
        job = Job.from_dict(job)
    from hbkit._threads import one_blas_thread

    t0 = time.perf_counter()
    row: dict[str, Any] = {"key": job.key, "job": job.to_dict(), "status": "ok", "report": None,
                           "history": None, "error": None}
    t_train = t_eval = 0.0
    try:
        with one_blas_thread():
            if "torch" in sys.modules:
                sys.modules["torch"].set_num_threads(1)
            from hbkit.evaluate import evaluate

            scenario = load_scenario(job.scenario or DEFAULT_SCENARIOS[job.env_id], job.env_id)
            scenario = scenario.with_overrides(dict(job.overrides))
            agent, history, trainer = _build_agent(job, scenario)
            t_train = time.perf_counter() - t0
            ev = dict(job.evaluation)
            env_kwargs = dict(ev.pop("env_kwargs", None) or {})
            ev["seed"] = int(job.seed) if ev.get("seed") is None else int(ev["seed"])
            if "budget" in ev:
                ev["budget"] = _budget(ev["budget"])
            report = evaluate(agent, job.env_id, scenario=scenario, **ev, **env_kwargs)
            report["scenario"] = job.scenario or scenario.name
            row["report"] = _plain(report)
            row["history"] = _plain(_history_summary(history, trainer))
            t_eval = time.perf_counter() - t0 - t_train
    except Exception as exc:  # a failed job is a result too; KeyboardInterrupt is not caught
        row.update(status="error", report=None, history=None, error=_error(exc))
    row["timing"] = {"train_seconds": t_train, "eval_seconds": t_eval, "wall_seconds": time.perf_counter() - t0}
    row["versions"] = versions()
    row["host"] = platform.node()
    return row


def _error(exc: BaseException) -> dict[str, str]:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"type": type(exc).__name__, "message": str(exc), "traceback": tb[-4000:]}


def _error_row(job: Job, exc: BaseException) -> dict[str, Any]:
    """The row of a job that failed outside :func:`run_job` (e.g. its worker died)."""
    return {"key": job.key, "job": job.to_dict(), "status": "error", "report": None, "history": None,
            "error": _error(exc), "timing": None, "versions": versions(), "host": platform.node()}


#: Row fields that legitimately differ between two runs of the same job.
UNSTABLE_FIELDS = ("timing", "versions", "host")


def comparable(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row without its wall times, versions, host and traceback: what must be identical for the
    same job whatever the backend, worker count or order."""
    out = {k: v for k, v in row.items() if k not in UNSTABLE_FIELDS}
    if out.get("error"):
        out["error"] = {k: v for k, v in out["error"].items() if k != "traceback"}
    return json.loads(json.dumps(out))


# ------------------------------------------------------------------------------------------------
# The results file
# ------------------------------------------------------------------------------------------------
class ResultStore:
    """An append-only JSONL file of result rows, keyed by job.

    :param path: the file (created with its folder on the first write)
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def read(self, repair: bool = False) -> list[dict[str, Any]]:
        """Every complete row, in file order. A torn last line (no newline, or not JSON) is
        ignored, and cut off the file if ``repair``."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        rows: list[dict[str, Any]] = []
        keep = 0  # bytes of the file that hold complete lines
        lines = data.split(b"\n")
        for i, line in enumerate(lines[:-1]):  # the last piece has no newline after it
            try:
                row = json.loads(line)
            except ValueError:
                if i == len(lines) - 2 and not lines[-1]:
                    break  # a torn last line that still got its newline (cannot come from our writer)
                warnings.warn(f"{self.path}: line {i + 1} is not JSON, skipped", stacklevel=2)
                keep += len(line) + 1
                continue
            rows.append(row)
            keep += len(line) + 1
        if repair and keep < len(data):
            with open(self.path, "r+b") as f:
                f.truncate(keep)
                f.flush()
                os.fsync(f.fileno())
        return rows

    def done(self, retry_errors: bool = False) -> dict[str, dict[str, Any]]:
        """key -> row of every job already in the file (the last ``ok`` row wins; error rows
        count as done unless ``retry_errors``)."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.read():
            if row.get("status") == "ok" or (not retry_errors and out.get(row["key"], {}).get("status") != "ok"):
                out[row["key"]] = row
        return out

    def append(self, row: Mapping[str, Any]) -> None:
        """Append one row: one ``write`` of the whole line, then ``fsync``."""
        line = (json.dumps(row, sort_keys=True, separators=(",", ":"), default=_json_default) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, line)
            while written < len(line):  # a short write (rare, e.g. a full disk) is completed
                written += os.write(fd, line[written:])
            os.fsync(fd)
        finally:
            os.close(fd)


# ------------------------------------------------------------------------------------------------
# Backends
# ------------------------------------------------------------------------------------------------
_ONE_THREAD_ENV = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


def _init_worker() -> None:
    """Start of a local worker process: Ctrl-C is the parent's business; one thread everywhere."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(_ONE_THREAD_ENV)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _run_serial(todo: Sequence[Job], on_row: Callable[[dict[str, Any]], None]) -> None:
    for job in todo:
        on_row(run_job(job))


def _run_local(todo: Sequence[Job], workers: int, on_row: Callable[[dict[str, Any]], None]) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    ex = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                             initializer=_init_worker)
    futures = {ex.submit(run_job, job): job for job in todo}
    try:
        for fut in as_completed(futures):
            try:
                row = fut.result()
            except BrokenProcessPool as exc:
                raise RuntimeError(
                    "a sweep worker process died (out of memory, or killed); the finished rows are "
                    "kept: run the sweep again to resume") from exc
            except Exception as exc:  # e.g. a result that cannot be sent back
                row = _error_row(futures[fut], exc)
            on_row(row)
    except BaseException:
        for fut in futures:
            fut.cancel()
        for proc in list(getattr(ex, "_processes", {}).values()):  # stop the running jobs now
            proc.terminate()
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True)


def _run_ray(todo: Sequence[Job], address: str | None, workers: int | None,
             on_row: Callable[[dict[str, Any]], None]) -> None:
    try:
        import ray
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("the Ray backend needs the ray extra: pip install 'hbkit[ray]'") from None
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "runtime_env": {"env_vars": dict(_ONE_THREAD_ENV)}}
        if address in (None, "", "local"):
            kwargs["num_cpus"] = workers
        else:
            kwargs["address"] = address
        ray.init(**kwargs)
        started = True
    remote = ray.remote(num_cpus=1, max_retries=0)(run_job)
    pending = {remote.remote(job): job for job in todo}
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    row = ray.get(ref)
                except Exception as exc:  # the worker died, the node was lost, ...
                    row = _error_row(job, exc)
                on_row(row)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()


def default_workers() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def run_sweep(
    jobs: SweepSpec | Iterable[Job],
    path: str | os.PathLike[str] | None = None,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
    retry_errors: bool = False,
) -> list[dict[str, Any]]:
    """Run every job not yet in the results file and return the rows of all the jobs.

    :param jobs: a :class:`SweepSpec` (from :func:`load_spec`) or jobs
    :param path: the JSONL results file (default for a spec: ``runs/sweeps/<name>.jsonl``; without
        a file nothing is kept and nothing resumes)
    :param backend: ``"local"`` (worker processes) or ``"ray"``
    :param workers: local worker processes (default: the CPUs this process may use; ``1`` runs the
        jobs in this process); for ``ray`` without an address, the CPUs of the local Ray runtime
    :param address: Ray cluster address (``"auto"``, ``"HOST:PORT"``; ``None`` starts a local runtime)
    :param progress: show a tqdm progress bar
    :param retry_errors: run again the jobs recorded as failed
    :return: one row per job, in the order of ``jobs`` (see :func:`run_job`)
    :raises KeyboardInterrupt: on Ctrl-C, after stopping the workers; every finished row is kept
    """
    from tqdm.auto import tqdm

    if isinstance(jobs, SweepSpec):
        if path is None:
            path = Path("runs") / "sweeps" / f"{jobs.name}.jsonl"
        jobs = jobs.jobs()
    jobs = list(jobs)
    if backend not in ("local", "ray"):
        raise ConfigError(f"backend={backend!r} is not known; allowed: 'local', 'ray'")
    if workers is not None and int(workers) < 1:
        raise ConfigError(f"workers={workers!r} is out of range; allowed: an integer >= 1")
    unique: dict[str, Job] = {}
    for job in jobs:
        unique.setdefault(job.key, job)
    store = ResultStore(path) if path is not None else None
    if store is not None:
        store.read(repair=True)  # cut a line torn by a crash before appending after it
    results = dict(store.done(retry_errors)) if store is not None else {}
    todo = [job for key, job in unique.items() if key not in results]
    bar = tqdm(total=len(unique), initial=len(unique) - len(todo), desc="sweep", unit="job",
               disable=not progress)
    failed = 0

    def on_row(row: dict[str, Any]) -> None:
        nonlocal failed
        if store is not None:
            store.append(row)
        results[row["key"]] = row
        failed += row["status"] != "ok"
        bar.update(1)
        if failed:
            bar.set_postfix(failed=failed, refresh=False)

    try:
        if todo:
            n = min(int(workers or default_workers()), len(todo))
            if backend == "ray":
                _run_ray(todo, address, workers, on_row)
            elif n <= 1:
                _run_serial(todo, on_row)
            else:
                _run_local(todo, n, on_row)
    finally:
        bar.close()
    return [results[job.key] for job in jobs]


# ------------------------------------------------------------------------------------------------
# Spec files
# ------------------------------------------------------------------------------------------------
class _Ctx:
    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, problem: str, allowed: str | None = None) -> ScenarioError:
        return ScenarioError(self.source, path, problem, allowed)


_SCALAR = (str, int, float, bool)


@dataclass(frozen=True)
class _Free:
    """A table of any keys whose values are scalars, lists of them, or such tables."""

    default: Any = field(default_factory=dict)
    help: str = ""

    def check(self, value: Any, path: str, ctx: _Ctx) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ctx.fail(path, f"expected a table, got {value!r}", "a table")
        for k, v in value.items():
            self._value(v, f"{path}.{k}", ctx)
        return dict(value)

    def _value(self, v: Any, path: str, ctx: _Ctx) -> None:
        if isinstance(v, dict):
            self.check(v, path, ctx)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                self._value(x, f"{path}[{i}]", ctx)
        elif not isinstance(v, _SCALAR):
            raise ctx.fail(path, f"{v!r} is not a plain value", "a string, number, boolean, list or table")


@dataclass(frozen=True)
class _Budget:
    """The evaluation budget: ``"default"``, ``"none"`` (natural mode) or a number."""

    default: Any = "default"
    help: str = ""

    def check(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if isinstance(value, str) and value.lower() in ("default", "none", "natural"):
            return "none" if value.lower() == "natural" else value.lower()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return value
        raise ctx.fail(path, f"{value!r} is not a budget", "'default', 'none' (natural mode) or a number > 0")


def _eval_fields(defaults: bool) -> dict[str, Any]:
    d = (lambda v: v) if defaults else (lambda v: None)
    return {
        "episodes": Number(1, 10**7, integer=True, default=d(1000)),
        "seed": Number(0, 2**31 - 1, integer=True, default=None),
        "budget": _Budget(default=d("default")),
        "deterministic": Flag(default=None),
        "env_kwargs": _Free(default=d({})),
    }


_EVAL_DEFAULT = {"episodes": 1000, "seed": None, "budget": "default", "deterministic": None, "env_kwargs": {}}

SPEC_SCHEMA = Table({
    "sweep": Table({
        "name": Text(help="short id: the default results file is runs/sweeps/<name>.jsonl"),
        "title": Text(default=""),
        "description": Text(default=""),
        "env": Text(choices=ENV_IDS),
        "scenario": Text(default=None, help="a scenario name or path (default: the env's)"),
        "seeds": Number(1, 100_000, integer=True, help="seeds per run, spawned from root_seed"),
        "root_seed": Number(0, 2**63 - 1, integer=True, default=0),
        "by": ListOf(Text(), default=None, help="summary groups (default: name and the grid keys)"),
        "metrics": ListOf(Text(), default=None, help="report fields to summarise"),
    }),
    "eval": Table(_eval_fields(True), default=dict(_EVAL_DEFAULT)),
    "run": TableList({
        "name": Text(),
        "agent": Text(),
        "settings": _Free(),
        "overrides": _Free(),
        "scenario": Text(default=None),
        "eval": Table(_eval_fields(False), default={}),
    }),
    "grid": _Free(),
    "quick": Table({
        "seeds": Number(1, 100_000, integer=True, default=None),
        "episodes": Number(1, 10**7, integer=True, default=None),
        "settings": _Free(),
    }, default={"seeds": None, "episodes": None, "settings": {}}),
})

#: What a spec's summary reports when it names no metrics.
DEFAULT_METRICS: dict[str, list[str]] = {
    "hbkit/Reasoning-v0": ["accuracy", "mean_tokens"],
    "hbkit/Team-v0": ["reward", "success_rate", "expense_spent", "budget_exhausted_rate"],
    "hbkit/Split-v0": ["reward", "regret"],
}

_GRID_PREFIXES = ("settings.", "overrides.", "eval.")


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec (see the module docstring for the file format).

    :param name: short id
    :param env_id: the world
    :param runs: validated ``[[run]]`` tables
    :param seeds: the seeds of every run
    :param evaluation: the ``[eval]`` table
    :param grid: dotted key -> values
    :param by: summary groups
    :param metrics: summary metrics
    :param source: the file it was read from
    """

    name: str
    env_id: str
    scenario: str | None
    runs: tuple[Mapping[str, Any], ...]
    seeds: tuple[int, ...]
    evaluation: Mapping[str, Any]
    grid: Mapping[str, Sequence[Any]]
    by: tuple[str, ...]
    metrics: tuple[str, ...]
    source: str = "<spec>"
    title: str = ""

    def jobs(self) -> list[Job]:
        """Every job: run x grid point x seed."""
        keys = list(self.grid)
        out = []
        for run in self.runs:
            for point in itertools.product(*(self.grid[k] for k in keys)):
                settings, overrides = dict(run["settings"]), dict(run["overrides"])
                ev = {**self.evaluation, **{k: v for k, v in run["eval"].items() if v is not None}}
                for k, v in zip(keys, point):
                    head, _, rest = k.partition(".")
                    {"settings": settings, "overrides": overrides, "eval": ev}[head][rest] = v
                ev = {k: v for k, v in ev.items() if v is not None and v != {}}
                for seed in self.seeds:
                    out.append(Job(self.env_id, run["scenario"] or self.scenario, run["agent"], settings,
                                   seed, overrides, ev, run["name"]))
        return out


def _resolve_scenario(value: str | None, base: Path) -> str | None:
    if value is None:
        return None
    if value.endswith(".toml") or "/" in value or os.sep in value:
        path = Path(value)
        if not path.is_absolute() and (base / path).is_file():
            return str((base / path).resolve())
    return value


def load_spec(path: str | os.PathLike[str], quick: bool = False) -> SweepSpec:
    """Load and validate a sweep spec file.

    :param path: the ``.toml`` file
    :param quick: apply its ``[quick]`` table (fewer seeds, episodes and iterations: a smoke test)
    :raises ScenarioError: naming the file, the field and what is allowed
    """
    path = Path(path)
    source = str(path)
    ctx = _Ctx(source)
    if not path.is_file():
        raise ScenarioError(source, "<file>", "no such sweep spec file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "<toml>", f"not valid TOML ({exc})") from None
    data = SPEC_SCHEMA.check(raw, "", ctx)
    head, env_id = data["sweep"], data["sweep"]["env"]
    base = path.resolve().parent
    names = [r["name"] for r in data["run"]]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ctx.fail(f"run[{i}].name", f"{name!r} is used by run[{names.index(name)}] too",
                           "a different name for every run")
    grid = data["grid"]
    for key, values in grid.items():
        if not key.startswith(_GRID_PREFIXES) or key in _GRID_PREFIXES:
            raise ctx.fail(f"grid.{key}", "unknown grid key", "keys 'settings.NAME', 'overrides.FIELD' or "
                           "'eval.NAME' (quote dotted keys)")
        if not isinstance(values, list) or not values:
            raise ctx.fail(f"grid.{key}", f"expected a non-empty list of values, got {values!r}",
                           "a list of values")
        if key.startswith("eval."):
            field_ = key.split(".", 1)[1]
            if field_ not in _EVAL_DEFAULT:
                raise ctx.fail(f"grid.{key}", "unknown eval field", ", ".join(_EVAL_DEFAULT))
            checker = _eval_fields(False)[field_]
            grid[key] = [checker.check(v, f"grid.{key}[{j}]", ctx) for j, v in enumerate(values)]
    grid_settings = [k.split(".", 1)[1] for k in grid if k.startswith("settings.")]
    grid_overrides = {k.split(".", 1)[1]: v[0] for k, v in grid.items() if k.startswith("overrides.")}
    quick_settings = data["quick"]["settings"] if quick else {}
    scenario = _resolve_scenario(head["scenario"], base)
    runs = []
    for i, run in enumerate(data["run"]):
        run = dict(run)
        run["scenario"] = _resolve_scenario(run["scenario"], base)
        try:
            allowed = agent_settings(env_id, run["agent"])
        except ConfigError:
            raise ctx.fail(f"run[{i}].agent", f"{run['agent']!r} is not a runnable agent for {env_id}",
                           ", ".join(agent_names(env_id))) from None
        for key in list(run["settings"]) + grid_settings:
            if allowed is not None and key not in allowed:
                where = f"run[{i}].settings.{key}" if key in run["settings"] else f"grid.settings.{key}"
                raise ctx.fail(where, f"{run['agent']} takes no setting {key!r}",
                               ", ".join(sorted(allowed)) or "no settings")
        for key, value in quick_settings.items():  # only where the agent takes that setting
            if (key in allowed) if allowed is not None else (key in run["settings"]):
                run["settings"] = {**run["settings"], key: value}
        sc_name = run["scenario"] or scenario or DEFAULT_SCENARIOS[env_id]
        where = f"run[{i}].scenario" if run["scenario"] else "sweep.scenario"
        try:
            sc = load_scenario(sc_name, env_id)
        except ScenarioError as exc:
            raise ctx.fail(where, f"{sc_name!r}: {exc}", "a scenario name or path for " + env_id) from None
        try:
            sc.with_overrides({**run["overrides"], **grid_overrides})
        except ScenarioError as exc:
            prefix = "grid.overrides" if exc.field in grid_overrides else f"run[{i}].overrides"
            raise ctx.fail(f"{prefix}.{exc.field}", exc.problem, exc.allowed) from None
        runs.append(run)
    n_seeds = data["quick"]["seeds"] if quick and data["quick"]["seeds"] else head["seeds"]
    evaluation = dict(data["eval"])
    if quick and data["quick"]["episodes"]:
        evaluation["episodes"] = data["quick"]["episodes"]
    by = tuple(head["by"] or ["name", *grid])
    metrics = tuple(head["metrics"] or DEFAULT_METRICS[env_id])
    return SweepSpec(head["name"] + ("-quick" if quick else ""), env_id, scenario, tuple(runs),
                     tuple(spawn_seeds(head["root_seed"], n_seeds)), evaluation, grid, by, metrics,
                     source, head["title"])


# ------------------------------------------------------------------------------------------------
# Summary: means and 95 % intervals (Student t)
# ------------------------------------------------------------------------------------------------
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function ``I_x(a, b)``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """``P(T <= t)`` for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (e.g. ``t_quantile(0.975,
    4) = 2.776``), by bisection on :func:`t_cdf` (no SciPy needed)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"need 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> dict[str, float]:
    """Mean and Student-t interval of ``values``: ``mean +- t((1+c)/2, n-1) * s / sqrt(n)``.

    :return: ``n``, ``mean``, ``std`` (sample, ``ddof=1``), ``half_width``, ``low``, ``high``
        (``half_width`` is NaN with fewer than two values)
    """
    x = np.asarray([v for v in values if v is not None], np.float64)
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    hw = t_quantile(0.5 + confidence / 2.0, n - 1) * std / math.sqrt(n) if n > 1 else math.nan
    return {"n": n, "mean": mean, "std": std, "half_width": hw, "low": mean - hw, "high": mean + hw}


def _lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        else:
            return None
    return data


def row_value(row: Mapping[str, Any], name: str) -> Any:
    """A job field or a metric of a row, by name.

    Job fields: ``name``, ``agent``, ``env_id``, ``scenario``, ``seed``, ``settings.X``,
    ``overrides.FIELD`` (a dotted scenario field), ``eval.X``. Metrics: a dotted path into the
    report (``accuracy``, ``by_level.5.accuracy``), or ``history.last.X``, ``timing.wall_seconds``.
    """
    job = row.get("job", {})
    head, _, rest = name.partition(".")
    if name in ("name", "agent", "env_id", "scenario", "seed"):
        return job.get(name)
    if head == "settings":
        return _lookup(job.get("settings", {}), rest)
    if head == "overrides":
        return job.get("overrides", {}).get(rest)
    if head == "eval":
        return job.get("evaluation", {}).get(rest)
    if head in ("history", "timing"):
        return _lookup(row.get(head) or {}, rest)
    return _lookup(row.get("report") or {}, name)


def summarize(rows: Iterable[Mapping[str, Any]], by: Sequence[str] = ("name",),
              metrics: Sequence[str] = ("accuracy",), confidence: float = 0.95) -> list[dict[str, Any]]:
    """Mean and Student-t interval of each metric per group of rows.

    :param rows: result rows (failed rows are counted, not averaged)
    :param by: job fields that define a group (see :func:`row_value`)
    :param metrics: metrics to summarise (see :func:`row_value`)
    :param confidence: interval level
    :return: one dict per group, in order of first appearance: the ``by`` values, ``n`` (ok rows),
        ``failed`` and, per metric, :func:`mean_interval`'s dict under the metric's name
    """
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        values = {b: row_value(row, b) for b in by}
        g = groups.setdefault(canonical_json(_plain(values)), {"group": values, "rows": []})
        g["rows"].append(row)
    out = []
    for g in groups.values():
        ok = [r for r in g["rows"] if r.get("status") == "ok"]
        entry = {**g["group"], "n": len(ok), "failed": len(g["rows"]) - len(ok)}
        for m in metrics:
            vals = [row_value(r, m) for r in ok]
            entry[m] = mean_interval([float(v) for v in vals if isinstance(v, (int, float))], confidence)
        out.append(entry)
    return out


def _fmt(x: float, digits: int) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.{digits}g}" if abs(x) < 10**digits else f"{x:.0f}"


def format_table(summary: Sequence[Mapping[str, Any]], metrics: Sequence[str] | None = None,
                 by: Sequence[str] | None = None, digits: int = 3) -> str:
    """A markdown table of :func:`summarize`'s output: ``mean ± half-width`` per metric (the 95 %
    Student-t interval over seeds), and the number of seeds."""
    if not summary:
        return "(no results)"
    first = summary[0]
    if metrics is None:
        metrics = [k for k, v in first.items() if isinstance(v, Mapping) and "half_width" in v]
    if by is None:
        by = [k for k in first if k not in metrics and k not in ("n", "failed")]
    lines = ["| " + " | ".join([*by, *metrics, "seeds"]) + " |", "|" + "---|" * (len(by) + len(metrics) + 1)]
    for g in summary:
        cells = [str(g[b]) for b in by]
        for m in metrics:
            s = g[m]
            if s["n"] == 0:
                cells.append("-")
            elif s["n"] == 1 or not math.isfinite(s["half_width"]):
                cells.append(_fmt(s["mean"], digits))
            else:
                cells.append(f"{_fmt(s['mean'], digits)} ± {_fmt(s['half_width'], max(1, digits - 1))}")
        cells.append(str(g["n"]) + (f" ({g['failed']} failed)" if g["failed"] else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Command line: hbkit sweep SPEC.toml
# ------------------------------------------------------------------------------------------------
def add_cli_parser(subparsers: Any) -> Any:
    """Add the ``sweep`` subcommand to ``hbkit``'s subparsers (its handler is :func:`cli_main`)."""
    p = subparsers.add_parser("sweep", help="run a sweep spec (many seeds and settings), resumable",
                              description="Run every job of a sweep spec not yet in the results file, "
                              "then print the summary table (mean ± 95 % interval over seeds).")
    p.add_argument("spec", type=Path, help="a sweep spec .toml (e.g. benchmarks/sweeps/hbpo-reward.toml)")
    p.add_argument("--out", type=Path, default=None, help="results file (default: runs/sweeps/<name>.jsonl)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: all CPUs)")
    p.add_argument("--ray", metavar="ADDRESS", default=None,
                   help="run on Ray: 'auto' (this machine's cluster), HOST:PORT, or 'local'")
    p.add_argument("--quick", action="store_true", help="apply the spec's [quick] table (a smoke test)")
    p.add_argument("--retry-errors", action="store_true", help="run the failed jobs again")
    p.add_argument("--dry-run", action="store_true", help="list the jobs and how many are done, run nothing")
    p.add_argument("--html", type=Path, default=None, help="also write the summary figure to this HTML file")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=cli_main)
    return p


def cli_main(args: Any) -> int:
    """Run ``hbkit sweep`` with parsed arguments; returns the exit code (130 after Ctrl-C)."""
    spec = load_spec(args.spec, quick=args.quick)
    path = args.out or Path("runs") / "sweeps" / f"{spec.name}.jsonl"
    jobs = spec.jobs()
    if args.dry_run:
        done = ResultStore(path).done(args.retry_errors)
        for job in jobs:
            print(f"{job.key}  {'done' if job.key in done else 'todo'}  {job.name}  seed={job.seed}")
        print(f"{sum(j.key in done for j in jobs)} of {len(jobs)} jobs done in {path}")
        return 0
    try:
        rows = run_sweep(jobs, path, backend="ray" if args.ray else "local", workers=args.workers,
                         address=args.ray, progress=not args.no_progress, retry_errors=args.retry_errors)
    except KeyboardInterrupt:
        kept = len(ResultStore(path).read())
        print(f"\ninterrupted: {kept} finished rows kept in {path}; run the same command again to resume",
              file=sys.stderr)
        return 130
    summary = summarize(rows, spec.by, spec.metrics)
    print(f"\n{spec.title or spec.name}: {len(spec.seeds)} seeds per row, 95 % Student-t intervals; "
          f"results in {path}\n")
    print(format_table(summary, spec.metrics, spec.by))
    for row in rows:
        if row["status"] != "ok":
            err = row["error"]
            print(f"failed: {row['job']['name']} seed={row['job']['seed']}: {err['type']}: {err['message']}",
                  file=sys.stderr)
    if args.html is not None:
        from hbkit.viz.sweep import sweep_figure

        args.html.parent.mkdir(parents=True, exist_ok=True)
        sweep_figure(summary, spec.metrics, by=spec.by, title=spec.title or spec.name).write_html(args.html)
        print(f"figure: {args.html}")
    return 1 if any(row["status"] != "ok" for row in rows) else 0
