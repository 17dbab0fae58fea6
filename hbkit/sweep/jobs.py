"""Jobs: one unit of a sweep as plain data, the agents a job can name (one registry per world),
and :func:`run_job`, which turns a job into a result row."""

from __future__ import annotations

import hashlib
import inspect
import json
import platform
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hbkit.envs import DEFAULT_SCENARIOS, NATURAL_MODE
from hbkit.errors import ConfigError
from hbkit.scenarios import load_scenario
from hbkit.train.registry import TRAINERS as _REGISTRY
from hbkit.train.registry import hbpo_trainer

__all__ = [
    "Job",
    "TRAINERS",
    "spawn_seeds",
    "canonical_json",
    "agent_names",
    "agent_settings",
    "hbpo_trainer",
    "run_job",
    "scenario_hash",
    "comparable",
    "versions",
    "UNSTABLE_FIELDS",
]


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
        return _plain(
            {
                "env_id": self.env_id,
                "scenario": self.scenario,
                "agent": self.agent,
                "settings": dict(self.settings),
                "seed": int(self.seed),
                "overrides": dict(self.overrides),
                "evaluation": dict(self.evaluation),
                "name": self.name or self.agent,
            }
        )

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
#: The trainers of each world (agent name -> :class:`hbkit.train.registry.TrainerEntry`): the one
#: registry that ``hbkit train`` reads too. A trainer is called as
#: ``function(scenario=<Scenario>, seed=<int>, progress=False, **settings)`` (plus ``env_id=`` if
#: it takes one). Every world also has ``manager:NAME`` (its hand-written managers) and ``sb3:ALGO``.
TRAINERS = _REGISTRY

_CALLER_ARGS = ("env_id", "scenario", "seed", "progress", "progress_bar")


def _hbpo_settings() -> set[str]:
    from hbkit.train import HBPOConfig

    return (set(HBPOConfig.__dataclass_fields__) - {"seed", "extra"}) | {"env_kwargs"}


def agent_names(env_id: str) -> list[str]:
    """Every agent name a job on ``env_id`` may use."""
    from hbkit.managers import available
    from hbkit.train.sb3 import ALGOS

    algos = [a for a in ALGOS if a != "maskable-ppo" or env_id == "hbkit/Team-v0"]
    return (
        list(TRAINERS.get(env_id, {}))
        + [f"manager:{m}" for m in available(env_id)]
        + [f"sb3:{a}" for a in algos]
    )


def agent_settings(env_id: str, agent: str) -> set[str] | None:
    """The settings ``agent`` accepts on ``env_id`` (``None``: not known before running).

    :raises ConfigError: if ``agent`` is not a runnable agent of ``env_id``
    """
    if agent not in agent_names(env_id):
        raise ConfigError(
            f"agent {agent!r} is not runnable on {env_id}; allowed: {', '.join(agent_names(env_id))}"
        )
    if agent.startswith("manager:"):
        from hbkit.managers import available

        fn = available(env_id)[agent.split(":", 1)[1]]
    elif agent.startswith("sb3:"):
        from hbkit.train.sb3 import train_sb3 as fn
    else:
        entry = TRAINERS[env_id][agent]
        if entry.load() is hbpo_trainer:
            return _hbpo_settings() | {"iterations"}
        fn = entry.settings_function()
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

        model = train_sb3(
            job.env_id,
            job.agent.split(":", 1)[1],
            scenario=scenario,
            seed=int(job.seed),
            progress_bar=False,
            **settings,
        )
        return model, None, model
    trainers = TRAINERS.get(job.env_id, {})
    if job.agent not in trainers:
        raise ConfigError(
            f"agent {job.agent!r} is not runnable on {job.env_id}; allowed: "
            f"{', '.join(agent_names(job.env_id))}"
        )
    fn = trainers[job.agent].load()
    params = inspect.signature(fn).parameters
    if "env_id" in params:
        settings["env_id"] = job.env_id
    result = fn(scenario=scenario, seed=int(job.seed), progress=False, **settings)
    if hasattr(result, "policy") and hasattr(result, "history"):
        return result.policy, result.history, result
    if hasattr(result, "history") and hasattr(result, "save"):  # a learned manager (HBPO-router)
        return result, result.history, result
    if isinstance(result, tuple) and len(result) == 2:
        return result[0], result[1], None
    return result, None, result


def _history_summary(history: Any, trainer: Any) -> dict[str, Any] | None:
    """First and last row of a training history (numbers only, wall times left out)."""
    steps = getattr(trainer, "num_timesteps", None)
    if not history:
        return None if steps is None else {"num_timesteps": int(steps)}

    def numbers(row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            k: v
            for k, v in row.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and "seconds" not in k and k != "time"
        }

    out = {"iterations": len(history), "first": numbers(history[0]), "last": numbers(history[-1])}
    if steps is not None:
        out["num_timesteps"] = int(steps)
    return out


def versions() -> dict[str, str]:
    """Versions of Python, hbkit, NumPy and Gymnasium (stored in every row)."""
    import gymnasium

    import hbkit

    return {
        "python": platform.python_version(),
        "hbkit": hbkit.__version__,
        "numpy": np.__version__,
        "gymnasium": gymnasium.__version__,
    }


def _budget(value: Any, env_id: str) -> Any:
    """An evaluation budget: ``"none"`` (natural mode) becomes ``None``, in a world that has it.

    :raises ConfigError: for ``"none"`` in a world without natural mode (``None`` there would be
        the scenario's default budget, not "no budget")
    """
    if isinstance(value, str) and value.strip().lower() in ("none", "natural"):
        if env_id not in NATURAL_MODE:
            raise ConfigError(
                f"evaluation budget {value!r}: {env_id} has no natural mode; allowed: 'default' or a number"
            )
        return None
    return value


def _scenario(job: Job) -> Any:
    """The job's scenario, as its file reads now, with the job's overrides."""
    scenario = load_scenario(job.scenario or DEFAULT_SCENARIOS[job.env_id], job.env_id)
    return scenario.with_overrides(dict(job.overrides))


def scenario_hash(job: Job) -> str | None:
    """The :attr:`~hbkit.scenarios.Scenario.world_hash` of the job's scenario as its file reads now
    (``None`` if it does not load): a row computed on another one is out of date."""
    try:
        return str(_scenario(job).world_hash)
    except Exception:  # noqa: BLE001 - the job itself will record why
        return None


def run_job(job: Job | Mapping[str, Any]) -> dict[str, Any]:
    """Run one job and return its result row (never raises for a failure of the job itself).

    The row is a JSON-serialisable dict:

    * ``key``, ``job`` (:meth:`Job.to_dict`), ``status`` (``"ok"`` or ``"error"``);
    * ``scenario_hash``: :func:`scenario_hash` when the job ran (its scenario file may change later);
    * ``report``: the :func:`hbkit.evaluate.evaluate` report (``None`` on error);
    * ``history``: first and last row of the training history, iterations, env steps (or ``None``);
    * ``error``: ``{"type", "message", "traceback"}`` (``None`` when ok);
    * ``timing``: ``train_seconds``, ``eval_seconds``, ``wall_seconds`` and ``cpu_seconds`` (the
      process's CPU time: what the job costs on a core of its own, even on a busy machine);
    * ``versions`` (:func:`versions`) and ``host``.
    """
    if not isinstance(job, Job):
        job = Job.from_dict(job)
    from hbkit._threads import one_blas_thread

    t0, cpu0 = time.perf_counter(), time.process_time()
    row: dict[str, Any] = {
        "key": job.key,
        "job": job.to_dict(),
        "status": "ok",
        "report": None,
        "history": None,
        "error": None,
    }
    t_train = t_eval = 0.0
    try:
        with one_blas_thread():
            if "torch" in sys.modules:
                sys.modules["torch"].set_num_threads(1)
            from hbkit.evaluate import evaluate

            scenario = _scenario(job)
            row["scenario_hash"] = scenario.world_hash
            agent, history, trainer = _build_agent(job, scenario)
            t_train = time.perf_counter() - t0
            ev = dict(job.evaluation)
            env_kwargs = dict(ev.pop("env_kwargs", None) or {})
            ev["seed"] = int(job.seed) if ev.get("seed") is None else int(ev["seed"])
            if "budget" in ev:
                ev["budget"] = _budget(ev["budget"], job.env_id)
            report = evaluate(agent, job.env_id, scenario=scenario, **ev, **env_kwargs)
            report["scenario"] = job.scenario or scenario.name
            row["report"] = _plain(report)
            row["history"] = _plain(_history_summary(history, trainer))
            t_eval = time.perf_counter() - t0 - t_train
    except Exception as exc:  # a failed job is a result too; KeyboardInterrupt is not caught
        row.update(status="error", report=None, history=None, error=_error(exc))
    wall = time.perf_counter() - t0
    row["timing"] = {
        "train_seconds": t_train,
        "eval_seconds": t_eval,
        "wall_seconds": wall,
        "cpu_seconds": time.process_time() - cpu0,
    }
    row["versions"] = versions()
    row["host"] = platform.node()
    return row


def _error(exc: BaseException) -> dict[str, str]:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"type": type(exc).__name__, "message": str(exc), "traceback": tb[-4000:]}


def _error_row(job: Job, exc: BaseException) -> dict[str, Any]:
    """The row of a job that failed outside :func:`run_job` (e.g. its worker died)."""
    return {
        "key": job.key,
        "job": job.to_dict(),
        "status": "error",
        "report": None,
        "history": None,
        "error": _error(exc),
        "timing": None,
        "versions": versions(),
        "host": platform.node(),
    }


#: Row fields that legitimately differ between two runs of the same job.
UNSTABLE_FIELDS = ("timing", "versions", "host")


def comparable(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row without its wall times, versions, host and traceback: what must be identical for the
    same job whatever the backend, worker count or order."""
    out = {k: v for k, v in row.items() if k not in UNSTABLE_FIELDS}
    if out.get("error"):
        out["error"] = {k: v for k, v in out["error"].items() if k != "traceback"}
    return json.loads(json.dumps(out))
