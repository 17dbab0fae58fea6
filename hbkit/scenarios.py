"""Scenario files: the named, ready-made worlds in ``environments/``.

A scenario is a TOML file with a ``[scenario]`` table (name, env id, title, description) and the
sections that the environment's schema declares (for example ``[world]`` and ``[train]``). Each
world declares its schema once, beside its simulation in :mod:`hbkit.sim`; this module holds the
machinery that loads a file, checks every field against that schema and reports the first problem
as one :class:`ScenarioError` that names the file, the field and what is allowed.

>>> from hbkit.scenarios import load_scenario
>>> sc = load_scenario("hbpo-math")
>>> sc.env_id, sc["world"]["max_tokens"]
('hbkit/Reasoning-v0', 4096)
"""

from __future__ import annotations

from hbkit.errors import ScenarioError

import copy
import importlib
import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "ScenarioError",
    "Scenario",
    "Number",
    "Text",
    "Flag",
    "ListOf",
    "Table",
    "TableList",
    "load_scenario",
    "list_scenarios",
    "scenario_dirs",
    "SCHEMA_HOMES",
]

#: Where each environment's schema lives (``module:attribute``); imported lazily.
SCHEMA_HOMES: dict[str, str] = {
    "hbkit/Reasoning-v0": "hbkit.sim.reasoning:SCHEMA",
    "hbkit/Team-v0": "hbkit.sim.team:SCHEMA",
    "hbkit/Split-v0": "hbkit.sim.split:SCHEMA",
}

_REQUIRED = object()


@dataclass
class _Ctx:
    source: str

    def fail(self, path: str, problem: str, allowed: str | None = None) -> ScenarioError:
        return ScenarioError(self.source, path, problem, allowed)


# ----------------------------------------------------------------------------------------------
# Field types of a schema
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A real or integer number, optionally bounded (bounds are inclusive unless ``open_low``)."""

    low: float | None = None
    high: float | None = None
    integer: bool = False
    default: Any = _REQUIRED
    help: str = ""
    open_low: bool = False

    def allowed(self) -> str:
        kind = "an integer" if self.integer else "a number"
        lo = "" if self.low is None else f"{self.low} {'<' if self.open_low else '<='} "
        hi = "" if self.high is None else f" <= {self.high}"
        return f"{kind}" + (f" with {lo}value{hi}" if (lo or hi) else "")

    def check(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.fail(path, f"expected a number, got {value!r}", self.allowed())
        if self.integer and not float(value).is_integer():
            raise ctx.fail(path, f"expected an integer, got {value!r}", self.allowed())
        if not math.isfinite(float(value)):
            raise ctx.fail(path, f"{value!r} is not finite", self.allowed())
        too_low = self.low is not None and (
            value <= self.low if self.open_low else value < self.low
        )
        if too_low or (self.high is not None and value > self.high):
            raise ctx.fail(path, f"{value!r} is out of range", self.allowed())
        return int(value) if self.integer else float(value)


@dataclass(frozen=True)
class Text:
    """A string, optionally one of ``choices``."""

    choices: tuple[str, ...] | None = None
    default: Any = _REQUIRED
    help: str = ""

    def allowed(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices) if self.choices else "a string"

    def check(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if not isinstance(value, str):
            raise ctx.fail(path, f"expected a string, got {value!r}", self.allowed())
        if self.choices and value not in self.choices:
            raise ctx.fail(path, f"{value!r} is not a known choice", self.allowed())
        return value


@dataclass(frozen=True)
class Flag:
    """A boolean."""

    default: Any = _REQUIRED
    help: str = ""

    def check(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if not isinstance(value, bool):
            raise ctx.fail(path, f"expected true or false, got {value!r}", "true or false")
        return value


@dataclass(frozen=True)
class ListOf:
    """A list whose items all follow ``item``.

    :param length: exact length, or the dotted name of a sibling list whose length it must match
    :param increasing: items must be strictly increasing
    :param total: the items must sum to this (within 1e-6)
    """

    item: Any
    min_len: int = 1
    max_len: int | None = None
    length: int | str | None = None
    increasing: bool = False
    total: float | None = None
    default: Any = _REQUIRED
    help: str = ""

    def check(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if not isinstance(value, list):
            raise ctx.fail(path, f"expected a list, got {value!r}", "a list")
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            hi = "" if self.max_len is None else f" and at most {self.max_len}"
            raise ctx.fail(
                path, f"has {len(value)} items", f"at least {self.min_len}{hi} items"
            )
        out = [self.item.check(v, f"{path}[{i}]", ctx) for i, v in enumerate(value)]
        if self.increasing and any(b <= a for a, b in zip(out, out[1:])):
            raise ctx.fail(path, f"{out} is not strictly increasing", "strictly increasing values")
        if self.total is not None and abs(sum(out) - self.total) > 1e-6:
            raise ctx.fail(path, f"items sum to {sum(out):g}", f"items that sum to {self.total:g}")
        return out


@dataclass(frozen=True)
class Table:
    """A TOML table with known fields; unknown keys are an error (they are usually typos)."""

    fields: Mapping[str, Any]
    default: Any = _REQUIRED
    help: str = ""

    def check(self, value: Any, path: str, ctx: _Ctx) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ctx.fail(path, f"expected a table, got {value!r}", "a table")
        unknown = sorted(set(value) - set(self.fields))
        if unknown:
            where = f"{path}.{unknown[0]}" if path else unknown[0]
            raise ctx.fail(where, "unknown field", "the fields " + ", ".join(self.fields))
        out: dict[str, Any] = {}
        for key, spec in self.fields.items():
            sub = f"{path}.{key}" if path else key
            if key in value:
                out[key] = spec.check(value[key], sub, ctx)
            elif spec.default is _REQUIRED:
                raise ctx.fail(sub, "is missing", getattr(spec, "allowed", lambda: "a value")())
            else:
                out[key] = copy.deepcopy(spec.default)
        # lists whose length must match a sibling's
        for key, spec in self.fields.items():
            if isinstance(spec, ListOf) and isinstance(spec.length, str):
                other = out.get(spec.length)
                if other is not None and len(out[key]) != len(other):
                    raise ctx.fail(
                        f"{path}.{key}" if path else key,
                        f"has {len(out[key])} items",
                        f"as many items as '{spec.length}' ({len(other)})",
                    )
            elif isinstance(spec, ListOf) and isinstance(spec.length, int):
                if len(out[key]) != spec.length:
                    raise ctx.fail(
                        f"{path}.{key}" if path else key,
                        f"has {len(out[key])} items",
                        f"exactly {spec.length} items",
                    )
        return out


@dataclass(frozen=True)
class TableList:
    """An array of tables (``[[name]]`` in TOML), each following ``fields``."""

    fields: Mapping[str, Any]
    min_len: int = 1
    max_len: int | None = None
    default: Any = _REQUIRED
    help: str = ""

    def check(self, value: Any, path: str, ctx: _Ctx) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise ctx.fail(path, f"expected an array of tables, got {value!r}", f"[[{path}]] tables")
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            hi = "" if self.max_len is None else f" and at most {self.max_len}"
            raise ctx.fail(path, f"has {len(value)} entries", f"at least {self.min_len}{hi}")
        table = Table(self.fields)
        return [table.check(v, f"{path}[{i}]", ctx) for i, v in enumerate(value)]


@dataclass(frozen=True)
class Schema:
    """A world's scenario schema: its sections, plus a cross-field check.

    :param sections: section name -> :class:`Table`
    :param check: ``check(data, fail)`` raises ``fail(field, problem, allowed)`` for problems that
        involve several fields (e.g. budgets below the maximum length)
    """

    sections: Mapping[str, Table]
    check: Callable[[dict[str, Any], Callable[..., ScenarioError]], None] | None = None


def hbpo_train_fields(hidden: int) -> dict[str, Number | Text | Flag]:
    """The fields of a ``[train]`` table read by the HBPO trainer (:mod:`hbkit.train.hbpo`), shared
    by the worlds it trains in; a world adds its own fields beside them. This is the one place of
    the trainer's defaults and allowed ranges: :class:`hbkit.train.HBPOConfig` takes its defaults
    from here and checks keyword arguments with the same rules.

    :param hidden: the default width of the MLP policy's hidden layer
    """
    return {
        "iterations": Number(1, 100000, integer=True, default=300),
        "problems_per_iteration": Number(1, 4096, integer=True, default=32),
        "rollouts_per_problem": Number(1, 256, integer=True, default=16),
        "policy": Text(("linear", "mlp"), default="mlp"),
        "hidden": Number(1, 1024, integer=True, default=hidden),
        "learning_rate": Number(0.0, 1.0, open_low=True, default=0.01),
        "anneal_lr": Flag(default=True, help="decay the step size linearly to zero"),
        "epochs": Number(1, 100, integer=True, default=2),
        "minibatches": Number(1, 1024, integer=True, default=4),
        "clip_low": Number(0.0, 1.0, default=0.2, help="lower clip of the ratio: 1 - clip_low"),
        "clip_high": Number(0.0, 10.0, default=0.28, help="upper clip of the ratio: 1 + clip_high"),
        "max_grad_norm": Number(0.0, 1e6, open_low=True, default=1.0),
    }


_HEADER = Table(
    {
        "name": Text(help="short id, used on the command line"),
        "env": Text(choices=tuple(SCHEMA_HOMES)),
        "title": Text(default=""),
        "description": Text(default=""),
    }
)


def _schema_for(env_id: str) -> Schema:
    module, attr = SCHEMA_HOMES[env_id].split(":")
    return getattr(importlib.import_module(module), attr)


# ----------------------------------------------------------------------------------------------
# Scenario objects
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    :param name: short name (``hbpo-math``)
    :param env_id: the environment it configures (``hbkit/Reasoning-v0``)
    :param title: one-line title
    :param description: a paragraph for ``hbkit scenarios``
    :param source: the file it was read from
    :param data: validated sections, e.g. ``data["world"]["max_tokens"]``
    """

    name: str
    env_id: str
    title: str
    description: str
    source: str
    data: Mapping[str, Any] = field(repr=False)

    def __getitem__(self, section: str) -> Any:
        return self.data[section]

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Scenario:
        """Return a copy with dotted fields replaced (``{"world.reward": "cosine"}``), re-validated.

        ``None`` values are skipped, so keyword arguments can be passed straight through.
        """
        overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        if not overrides:
            return self
        raw = copy.deepcopy(dict(self.data))
        for dotted, value in overrides.items():
            parts = dotted.split(".")
            node = raw
            for p in parts[:-1]:
                if not isinstance(node, dict) or p not in node:
                    raise ScenarioError("<override>", dotted, "unknown field")
                node = node[p]
            if parts[-1] not in node:
                raise ScenarioError("<override>", dotted, "unknown field")
            if isinstance(value, tuple):
                value = list(value)
            node[parts[-1]] = value
        data = _validate_sections(raw, self.env_id, _Ctx(f"{self.source} (with overrides)"))
        return Scenario(self.name, self.env_id, self.title, self.description, self.source, data)


def _validate_sections(raw: dict[str, Any], env_id: str, ctx: _Ctx) -> dict[str, Any]:
    schema = _schema_for(env_id)
    data = Table(schema.sections).check(raw, "", ctx)
    if schema.check is not None:
        schema.check(data, ctx.fail)
    return data


def scenario_dirs() -> list[Path]:
    """Folders searched for scenario names: ``$HBKIT_SCENARIO_PATH`` (``os.pathsep``-separated),
    then the ``environments/`` folder of the hbkit checkout."""
    dirs = [Path(p) for p in os.environ.get("HBKIT_SCENARIO_PATH", "").split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parent.parent / "environments")
    return dirs


def _resolve(name_or_path: str | os.PathLike[str]) -> Path:
    text = os.fspath(name_or_path)
    path = Path(text)
    if path.suffix == ".toml" or os.sep in text or "/" in text:
        if not path.is_file():
            raise ScenarioError(text, "<file>", "no such scenario file")
        return path
    for folder in scenario_dirs():
        candidate = folder / f"{text}.toml"
        if candidate.is_file():
            return candidate
    known = ", ".join(s.name for s in list_scenarios()) or "none found"
    raise ScenarioError(text, "<name>", "no scenario of this name", f"a path or one of: {known}")


def load_scenario(
    name_or_path: str | os.PathLike[str] | Scenario, env_id: str | None = None
) -> Scenario:
    """Load and validate a scenario by name (``"hbpo-math"``) or path.

    :param name_or_path: a scenario name from :func:`scenario_dirs`, a ``.toml`` path, or an
        already loaded :class:`Scenario` (returned as is)
    :param env_id: if given, the scenario must be for this environment
    :raises ScenarioError: naming the file, the field and what is allowed
    """
    if isinstance(name_or_path, Scenario):
        sc = name_or_path
    else:
        path = _resolve(name_or_path)
        source = str(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(source, "<toml>", f"not valid TOML ({exc})") from None
        except UnicodeDecodeError as exc:
            raise ScenarioError(source, "<file>", f"not UTF-8 text ({exc})") from None
        ctx = _Ctx(source)
        if "scenario" not in raw:
            raise ctx.fail("scenario", "is missing", "a [scenario] table with name and env")
        header = _HEADER.check(raw.pop("scenario"), "scenario", ctx)
        data = _validate_sections(raw, header["env"], ctx)
        sc = Scenario(
            header["name"], header["env"], header["title"], header["description"].strip(),
            source, data,
        )
    if env_id is not None and sc.env_id != env_id:
        raise ScenarioError(
            sc.source, "scenario.env", f"is {sc.env_id!r}, but {env_id!r} was asked for",
            f"a scenario for {env_id} (see `hbkit scenarios`)",
        )
    return sc


def list_scenarios(env_id: str | None = None) -> list[Scenario]:
    """All valid scenarios found in :func:`scenario_dirs` (optionally for one env), sorted by name.

    Files that do not validate are skipped here; load them by path to see their error.
    """
    seen: dict[str, Scenario] = {}
    for folder in scenario_dirs():
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            try:
                sc = load_scenario(path)
            except ScenarioError:
                continue
            if sc.name not in seen and (env_id is None or sc.env_id == env_id):
                seen[sc.name] = sc
    return sorted(seen.values(), key=lambda s: s.name)
