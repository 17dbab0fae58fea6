"""Sweep spec files: a small TOML file, validated with a pydantic model built like the scenario
schemas (:mod:`hbkit.schema`)."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, overload

from pydantic import AfterValidator, Field, PlainValidator, ValidationError

from hbkit.envs import DEFAULT_SCENARIOS, ENV_IDS
from hbkit.errors import ConfigError, ScenarioError
from hbkit.scenarios import load_scenario
from hbkit.schema import Choice, Flag, Int, ListOf, Section, Text, fail, problems, scenario_error
from hbkit.sweep.jobs import Job, agent_names, agent_settings, spawn_seeds
from hbkit.sweep.jobs import _budget as _budget_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["SweepSpec", "load_spec", "SPEC_SCHEMA", "DEFAULT_METRICS"]


class _Ctx:
    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, problem: str, allowed: str | None = None) -> ScenarioError:
        return ScenarioError(self.source, path, problem, allowed)


_SCALAR = (str, int, float, bool)


def _plain(value: Any, path: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _plain(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, x in enumerate(value):
            _plain(x, f"{path}[{i}]")
    elif not isinstance(value, _SCALAR):
        raise fail(path, f"{value!r} is not a plain value", "a string, number, boolean, list or table")


def _plain_table(value: dict[str, Any]) -> dict[str, Any]:
    _plain(value)
    return value


#: A table of any keys whose values are scalars, lists of them, or such tables.
_Free = Annotated[dict[str, Any], Field(strict=True), AfterValidator(_plain_table)]


def _budget(value: Any) -> Any:
    """The evaluation budget: ``"default"``, ``"none"`` (natural mode) or a number > 0."""
    if isinstance(value, str) and value.lower() in ("default", "none", "natural"):
        return "none" if value.lower() == "natural" else value.lower()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return value
    raise fail("", f"{value!r} is not a budget", "'default', 'none' (natural mode) or a number > 0")


_Budget = Annotated[Any, PlainValidator(_budget, json_schema_input_type=str | float)]


class _RunEval(Section):
    """A run's own ``eval`` table: fields it leaves out come from the spec's ``[eval]``."""

    episodes: Int(1, 10**7) | None = None
    seed: Int(0, 2**31 - 1) | None = None
    budget: _Budget | None = None
    deterministic: Flag | None = None
    env_kwargs: _Free | None = None


class _Eval(_RunEval):
    episodes: Int(1, 10**7) | None = 1000
    budget: _Budget | None = "default"
    env_kwargs: _Free | None = {}


_EVAL_DEFAULT: dict[str, Any] = _Eval().model_dump()


class _Sweep(Section):
    name: Text = Field(description="short id: the default results file is runs/sweeps/<name>.jsonl")
    title: Text = ""
    description: Text = ""
    env: Choice(ENV_IDS)
    scenario: Text | None = Field(None, description="a scenario name or path (default: the env's)")
    seeds: Int(1, 100_000) = Field(description="seeds per run, spawned from root_seed")
    root_seed: Int(0, 2**63 - 1) = 0
    by: ListOf(Text) | None = Field(None, description="summary groups (default: name and the grid keys)")
    metrics: ListOf(Text) | None = Field(None, description="report fields to summarise")


class _Run(Section):
    name: Text
    agent: Text
    settings: _Free = {}
    overrides: _Free = {}
    scenario: Text | None = None
    eval: _RunEval = _RunEval()
    quick: _Free = Field({}, description="settings of this run in --quick mode")


class _Quick(Section):
    seeds: Int(1, 100_000) | None = None
    episodes: Int(1, 10**7) | None = None
    settings: _Free = {}


class SpecSchema(Section):
    """A sweep spec file."""

    sweep: _Sweep
    eval: _Eval = _Eval()
    run: ListOf(_Run)
    grid: _Free = {}
    quick: _Quick = _Quick()


#: The schema of a sweep spec file (a pydantic model).
SPEC_SCHEMA = SpecSchema


def _check_eval_value(name: str, value: Any, path: str, ctx: _Ctx) -> Any:
    """One value of a run's ``eval`` field ``name`` (a grid point), checked."""
    try:
        return getattr(_RunEval.model_validate({name: value}), name)
    except ValidationError as exc:
        _, problem, allowed = problems(_RunEval, exc)[0]
        raise ctx.fail(path, problem, allowed) from None


#: What a spec's summary reports when it names no metrics.
DEFAULT_METRICS: dict[str, list[str]] = {
    "hbkit/Reasoning-v0": ["accuracy", "mean_tokens"],
    "hbkit/Team-v0": ["reward", "success_rate", "expense_spent", "budget_exhausted_rate"],
    "hbkit/Split-v0": ["reward", "regret"],
}

_GRID_PREFIXES = ("settings.", "overrides.", "eval.")
_GRID_ALLOWED = "'scenario', 'settings.NAME', 'overrides.FIELD' or 'eval.NAME' (quote dotted keys)"


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
    :param title: a one-line title
    :param root_seed: the root of :attr:`seeds` (``SeedSequence(root_seed).spawn(len(seeds))``)
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
    root_seed: int = 0

    def jobs(self) -> list[Job]:
        """Every job: grid point x run x seed (in this order)."""
        keys = list(self.grid)
        out = []
        for point in itertools.product(*(self.grid[k] for k in keys)):
            for run in self.runs:
                settings, overrides = dict(run["settings"]), dict(run["overrides"])
                ev = {**self.evaluation, **{k: v for k, v in run["eval"].items() if v is not None}}
                scenario = run["scenario"] or self.scenario
                for k, v in zip(keys, point, strict=False):
                    head, _, rest = k.partition(".")
                    if head == "scenario":
                        scenario = v
                    else:
                        {"settings": settings, "overrides": overrides, "eval": ev}[head][rest] = v
                ev = {k: v for k, v in ev.items() if v is not None and v != {}}
                _budget_of(ev.get("budget"), self.env_id)  # natural mode only where there is one
                for seed in self.seeds:
                    out.append(
                        Job(self.env_id, scenario, run["agent"], settings, seed, overrides, ev, run["name"])
                    )
        return out


@overload
def _resolve_scenario(value: str, base: Path) -> str: ...
@overload
def _resolve_scenario(value: None, base: Path) -> None: ...
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
    try:
        data = SpecSchema.model_validate(raw).model_dump()
    except ValidationError as exc:
        raise scenario_error(SpecSchema, exc, source) from None
    head, env_id = data["sweep"], data["sweep"]["env"]
    base = path.resolve().parent
    names = [r["name"] for r in data["run"]]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ctx.fail(
                f"run[{i}].name",
                f"{name!r} is used by run[{names.index(name)}] too",
                "a different name for every run",
            )
    grid = data["grid"]
    for key, values in grid.items():
        if key != "scenario" and (not key.startswith(_GRID_PREFIXES) or key in _GRID_PREFIXES):
            raise ctx.fail(f"grid.{key}", "unknown grid key", _GRID_ALLOWED)
        if not isinstance(values, list) or not values:
            raise ctx.fail(
                f"grid.{key}", f"expected a non-empty list of values, got {values!r}", "a list of values"
            )
        if key == "scenario":
            for j, v in enumerate(values):
                if not isinstance(v, str):
                    raise ctx.fail(
                        f"grid.scenario[{j}]", f"expected a string, got {v!r}", "scenario names or paths"
                    )
                try:
                    load_scenario(_resolve_scenario(v, base), env_id)
                except ScenarioError as exc:
                    raise ctx.fail(
                        f"grid.scenario[{j}]", f"{v!r}: {exc}", "a scenario name or path for " + env_id
                    ) from None
            grid[key] = [_resolve_scenario(v, base) for v in values]
        if key.startswith("eval."):
            field_ = key.split(".", 1)[1]
            if field_ not in _EVAL_DEFAULT:
                raise ctx.fail(f"grid.{key}", "unknown eval field", ", ".join(_EVAL_DEFAULT))
            grid[key] = [_check_eval_value(field_, v, f"grid.{key}[{j}]", ctx) for j, v in enumerate(values)]
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
            raise ctx.fail(
                f"run[{i}].agent",
                f"{run['agent']!r} is not a runnable agent for {env_id}",
                ", ".join(agent_names(env_id)),
            ) from None
        for key in list(run["settings"]) + grid_settings:
            if allowed is not None and key not in allowed:
                where = f"run[{i}].settings.{key}" if key in run["settings"] else f"grid.settings.{key}"
                raise ctx.fail(
                    where,
                    f"{run['agent']} takes no setting {key!r}",
                    ", ".join(sorted(allowed)) or "no settings",
                )
        for key in run["quick"]:
            if allowed is not None and key not in allowed:
                raise ctx.fail(
                    f"run[{i}].quick.{key}",
                    f"{run['agent']} takes no setting {key!r}",
                    ", ".join(sorted(allowed)) or "no settings",
                )
        if quick:  # [quick].settings where the agent takes them, then the run's own quick table
            for key, value in quick_settings.items():
                if (key in allowed) if allowed is not None else (key in run["settings"]):
                    run["settings"] = {**run["settings"], key: value}
            run["settings"] = {**run["settings"], **run["quick"]}
        sc_names = grid.get("scenario") or [run["scenario"] or scenario or DEFAULT_SCENARIOS[env_id]]
        where = f"run[{i}].scenario" if run["scenario"] else "sweep.scenario"
        for sc_name in sc_names:
            try:
                sc = load_scenario(sc_name, env_id)
            except ScenarioError as exc:
                raise ctx.fail(
                    where, f"{sc_name!r}: {exc}", "a scenario name or path for " + env_id
                ) from None
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
    return SweepSpec(
        head["name"] + ("-quick" if quick else ""),
        env_id,
        scenario,
        tuple(runs),
        tuple(spawn_seeds(head["root_seed"], n_seeds)),
        evaluation,
        grid,
        by,
        metrics,
        source,
        head["title"],
        head["root_seed"],
    )
