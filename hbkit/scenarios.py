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

import copy
import hashlib
import importlib
import importlib.resources
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

from hbkit.errors import ScenarioError

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
    "scenario_json_schema",
    "SCHEMA_HOMES",
    "TRAINING_SECTIONS",
    "TRAINING_FIELDS",
]

#: Where each environment's schema lives (``module:attribute``); imported lazily.
SCHEMA_HOMES: dict[str, str] = {
    "hbkit/Reasoning-v0": "hbkit.sim.reasoning:SCHEMA",
    "hbkit/Team-v0": "hbkit.sim.team:SCHEMA",
    "hbkit/Split-v0": "hbkit.sim.split:SCHEMA",
}

#: Sections that hold training recipes, not the world: a policy evaluated on a scenario that
#: differs only in these is still on the world it was trained on.
TRAINING_SECTIONS: frozenset[str] = frozenset(
    {"train", "sb3", "ppo", "a2c", "dqn", "sac", "td3", "maskable_ppo"}
)

#: Fields that choose how a run is scored, not what happens: a reward is selected by name and every
#: env reports what any reward needs in ``info``, so policies trained with different rewards are
#: compared on the same world.
TRAINING_FIELDS: frozenset[str] = frozenset({"world.reward"})

#: Longest scenario name or path accepted (longer ones are refused before touching the disk).
MAX_NAME_CHARS = 1024

_REQUIRED = object()


class _FailContext(Protocol):
    """What a field check needs: a way to turn a problem into the error it raises."""

    def fail(self, path: str, problem: str, allowed: str | None = None) -> Exception: ...


@dataclass
class _Ctx:
    source: str

    def fail(self, path: str, problem: str, allowed: str | None = None) -> ScenarioError:
        return ScenarioError(self.source, path, problem, allowed)


# ----------------------------------------------------------------------------------------------
# Field types of a schema
# ----------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _with_default(schema: dict[str, Any], spec: Any) -> dict[str, Any]:
    if spec.default is not _REQUIRED:
        schema["default"] = spec.default
    if spec.help:
        schema["description"] = spec.help
    return schema


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

    def check(self, value: Any, path: str, ctx: _FailContext) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.fail(path, f"expected a number, got {value!r}", self.allowed())
        if not math.isfinite(float(value)):
            raise ctx.fail(path, f"{value!r} is not finite", self.allowed())
        if self.integer and not float(value).is_integer():
            raise ctx.fail(path, f"expected an integer, got {value!r}", self.allowed())
        too_low = self.low is not None and (value <= self.low if self.open_low else value < self.low)
        if too_low or (self.high is not None and value > self.high):
            raise ctx.fail(path, f"{value!r} is out of range", self.allowed())
        return int(value) if self.integer else float(value)

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer" if self.integer else "number"}
        if self.low is not None:
            out["exclusiveMinimum" if self.open_low else "minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return _with_default(out, self)


@dataclass(frozen=True)
class Text:
    """A string, optionally one of ``choices``."""

    choices: tuple[str, ...] | None = None
    default: Any = _REQUIRED
    help: str = ""

    def allowed(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices) if self.choices else "a string"

    def check(self, value: Any, path: str, ctx: _FailContext) -> Any:
        if not isinstance(value, str):
            raise ctx.fail(path, f"expected a string, got {value!r}", self.allowed())
        if self.choices and value not in self.choices:
            raise ctx.fail(path, f"{value!r} is not a known choice", self.allowed())
        return value

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.choices:
            out["enum"] = list(self.choices)
        return _with_default(out, self)


@dataclass(frozen=True)
class Flag:
    """A boolean."""

    default: Any = _REQUIRED
    help: str = ""

    def allowed(self) -> str:
        return "true or false"

    def check(self, value: Any, path: str, ctx: _FailContext) -> Any:
        if not isinstance(value, bool):
            raise ctx.fail(path, f"expected true or false, got {value!r}", self.allowed())
        return value

    def json_schema(self) -> dict[str, Any]:
        return _with_default({"type": "boolean"}, self)


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

    def _count(self) -> str:
        if isinstance(self.length, int):
            return f"exactly {self.length}"
        if isinstance(self.length, str):
            return f"as many as '{self.length}'"
        hi = "" if self.max_len is None else f" and at most {self.max_len}"
        return f"at least {self.min_len}{hi}"

    def allowed(self) -> str:
        extra = " strictly increasing" if self.increasing else ""
        total = "" if self.total is None else f", summing to {_fmt(self.total)}"
        return f"a list of {self._count()}{extra} items, each {self.item.allowed()}{total}"

    def check(self, value: Any, path: str, ctx: _FailContext) -> Any:
        if not isinstance(value, list):
            raise ctx.fail(path, f"expected a list, got {_short(value)}", self.allowed())
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            hi = "" if self.max_len is None else f" and at most {self.max_len}"
            raise ctx.fail(path, f"has {len(value)} items", f"at least {self.min_len}{hi} items")
        out = [self.item.check(v, f"{path}[{i}]", ctx) for i, v in enumerate(value)]
        if self.increasing and any(b <= a for a, b in zip(out, out[1:], strict=False)):
            raise ctx.fail(path, f"{out} is not strictly increasing", "strictly increasing values")
        if self.total is not None and abs(sum(out) - self.total) > 1e-6:
            raise ctx.fail(path, f"items sum to {sum(out):g}", f"items that sum to {self.total:g}")
        return out

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.json_schema(), "minItems": self.min_len}
        if self.max_len is not None:
            out["maxItems"] = self.max_len
        if isinstance(self.length, int):
            out["minItems"] = out["maxItems"] = self.length
        return _with_default(out, self)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Table:
    """A TOML table with known fields; unknown keys are an error (they are usually typos)."""

    fields: Mapping[str, Any]
    default: Any = _REQUIRED
    help: str = ""

    def allowed(self) -> str:
        return "a table with the fields " + ", ".join(self.fields)

    def check(self, value: Any, path: str, ctx: _FailContext) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ctx.fail(path, f"expected a table, got {_short(value)}", self.allowed())
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
                raise ctx.fail(sub, "is missing", spec.allowed())
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

    def json_schema(self) -> dict[str, Any]:
        out = {
            "type": "object",
            "properties": {k: v.json_schema() for k, v in self.fields.items()},
            "required": [k for k, v in self.fields.items() if v.default is _REQUIRED],
            "additionalProperties": False,
        }
        return _with_default(out, self) if self.default is not _REQUIRED else out


@dataclass(frozen=True)
class TableList:
    """An array of tables (``[[name]]`` in TOML), each following ``fields``."""

    fields: Mapping[str, Any]
    min_len: int = 1
    max_len: int | None = None
    default: Any = _REQUIRED
    help: str = ""

    def allowed(self) -> str:
        hi = "" if self.max_len is None else f" and at most {self.max_len}"
        return (
            f"an array of at least {self.min_len}{hi} tables ([[...]] in TOML) with the fields "
            + ", ".join(self.fields)
        )

    def check(self, value: Any, path: str, ctx: _FailContext) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise ctx.fail(path, f"expected an array of tables, got {_short(value)}", f"[[{path}]] tables")
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            hi = "" if self.max_len is None else f" and at most {self.max_len}"
            raise ctx.fail(path, f"has {len(value)} entries", f"at least {self.min_len}{hi}")
        table = Table(self.fields)
        return [table.check(v, f"{path}[{i}]", ctx) for i, v in enumerate(value)]

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "array",
            "items": Table(self.fields).json_schema(),
            "minItems": self.min_len,
        }
        if self.max_len is not None:
            out["maxItems"] = self.max_len
        return _with_default(out, self)


@dataclass(frozen=True)
class Schema:
    """A world's scenario schema: its sections, plus a cross-field check.

    :param sections: section name -> :class:`Table` (or :class:`TableList`)
    :param check: ``check(data, fail)`` raises ``fail(field, problem, allowed)`` for problems that
        involve several fields (e.g. budgets below the maximum length)
    """

    sections: Mapping[str, Table | TableList]
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

    @property
    def world_hash(self) -> str:
        """SHA-256 of the world this scenario describes: the env id and every section except the
        training recipes (:data:`TRAINING_SECTIONS`, :data:`TRAINING_FIELDS`). Two scenarios with
        the same hash are the same world, whatever their names, titles or files."""
        text = json.dumps({"env": self.env_id, "data": self._world()}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _world(self) -> dict[str, Any]:
        """The sections and fields that make the world (not :data:`TRAINING_SECTIONS` and
        :data:`TRAINING_FIELDS`)."""
        world = {
            k: dict(v) if isinstance(v, Mapping) else v
            for k, v in self.data.items()
            if k not in TRAINING_SECTIONS
        }
        for dotted in TRAINING_FIELDS:
            section, _, key = dotted.partition(".")
            if isinstance(world.get(section), dict):
                world[section].pop(key, None)
        return world

    def to_dict(self) -> dict[str, Any]:
        """The full resolved scenario as plain JSON data (what a saved policy carries), with its
        :attr:`world_hash`; :meth:`from_dict` reads it back."""
        return {
            "name": self.name,
            "env": self.env_id,
            "title": self.title,
            "description": self.description,
            "source": self.source,
            "data": copy.deepcopy(dict(self.data)),
            "world_hash": self.world_hash,
        }

    @classmethod
    def from_dict(cls, saved: Mapping[str, Any], source: str = "<saved scenario>") -> Scenario:
        """Rebuild (and re-validate) a scenario written by :meth:`to_dict`.

        :param source: where it came from, used in error messages (e.g. the policy file)
        :raises ScenarioError: if it is malformed or its content does not match its hash
        """
        if not isinstance(saved, Mapping) or not isinstance(saved.get("data"), Mapping):
            raise ScenarioError(source, "scenario", "is not a saved scenario (no 'data' table)")
        ctx = _Ctx(source)
        header = _HEADER.check(
            {k: saved.get(k, "") for k in ("name", "env", "title", "description")}, "scenario", ctx
        )
        data = _validate_sections(copy.deepcopy(dict(saved["data"])), header["env"], ctx)
        sc = cls(
            header["name"],
            header["env"],
            header["title"],
            header["description"],
            str(saved.get("source", source)),
            data,
        )
        want = saved.get("world_hash")
        if want is not None and want != sc.world_hash:
            raise ScenarioError(
                source,
                "scenario.world_hash",
                "does not match the saved content (edited by hand, or saved by "
                "an hbkit whose scenario rules differ)",
            )
        return sc

    def differences(self, other: Scenario, limit: int = 3) -> list[str]:
        """The first ``limit`` world fields where ``other`` differs, as ``"field: a -> b"``."""
        out: list[str] = []

        def walk(a: Any, b: Any, path: str) -> None:
            if len(out) >= limit:
                return
            if isinstance(a, dict) and isinstance(b, dict):
                for k in sorted(set(a) | set(b)):
                    walk(a.get(k), b.get(k), f"{path}.{k}" if path else k)
            elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
                for i, (x, y) in enumerate(zip(a, b, strict=True)):
                    walk(x, y, f"{path}[{i}]")
            elif a != b:
                out.append(f"{path}: {_short(a, 40)} -> {_short(b, 40)}")

        if self.env_id != other.env_id:
            out.append(f"scenario.env: {self.env_id} -> {other.env_id}")
        walk(self._world(), other._world(), "")
        return out

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


def _checkout_dir() -> Path | None:
    """``environments/`` of the hbkit checkout this module runs from, if it runs from one."""
    root = Path(__file__).resolve().parent.parent
    folder = root / "environments"
    return folder if (root / "pyproject.toml").is_file() and folder.is_dir() else None


def _packaged_dir() -> Traversable:
    """The scenario files shipped inside the package (``hbkit/_scenarios``, copied from
    ``environments/`` when the package is built, see ``setup.py``)."""
    return importlib.resources.files("hbkit").joinpath("_scenarios")


def scenario_dirs() -> list[Path | Traversable]:
    """Folders searched for scenario names, first match wins: ``$HBKIT_SCENARIO_PATH``
    (``os.pathsep``-separated), the ``environments/`` folder of an hbkit checkout, and the scenario
    files shipped inside the installed package."""
    dirs: list[Path | Traversable] = [
        Path(p) for p in os.environ.get("HBKIT_SCENARIO_PATH", "").split(os.pathsep) if p
    ]
    checkout = _checkout_dir()
    if checkout is not None:
        dirs.append(checkout)
    dirs.append(_packaged_dir())
    return dirs


def _toml_files(folder: Path | Traversable) -> Iterator[Path | Traversable]:
    try:
        if not folder.is_dir():
            return
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return
    yield from (p for p in entries if p.name.endswith(".toml") and p.is_file())


def _resolve(name_or_path: Any) -> Path | Traversable:
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise ScenarioError(
            "<argument>",
            "scenario",
            f"expected a scenario name or path, got {type(name_or_path).__name__} {_short(name_or_path)}",
            "a name such as 'hbpo-math' (see `hbkit scenarios`), a .toml path or a Scenario",
        )
    text = os.fspath(name_or_path)
    if not isinstance(text, str):
        text = os.fsdecode(text)
    if not text.strip() or len(text) > MAX_NAME_CHARS or "\x00" in text:
        raise ScenarioError(
            _short(text, 60),
            "<name>",
            f"not a usable scenario name or path ({len(text)} characters)",
            f"a name such as 'hbpo-math' or a .toml path of at most {MAX_NAME_CHARS} characters",
        )
    path = Path(text)
    try:
        if path.suffix == ".toml" or os.sep in text or "/" in text:
            if not path.is_file():
                raise ScenarioError(text, "<file>", "no such scenario file")
            return path
        for folder in scenario_dirs():
            candidate = folder.joinpath(f"{text}.toml")
            if candidate.is_file():
                return candidate
    except OSError as exc:
        raise ScenarioError(_short(text, 60), "<file>", f"cannot be read ({exc.strerror or exc})") from None
    known = ", ".join(s.name for s in list_scenarios()) or "none found"
    raise ScenarioError(text, "<name>", "no scenario of this name", f"a path or one of: {known}")


def _read(path: Path | Traversable) -> Scenario:
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "<toml>", f"not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(source, "<file>", f"not UTF-8 text ({exc})") from None
    except RecursionError:
        raise ScenarioError(
            source,
            "<toml>",
            "nested too deeply to read",
            "the tables and arrays of a scenario file (a few levels deep)",
        ) from None
    except OSError as exc:
        raise ScenarioError(source, "<file>", f"cannot be read ({exc.strerror or exc})") from None
    ctx = _Ctx(source)
    if "scenario" not in raw:
        raise ctx.fail("scenario", "is missing", "a [scenario] table with name and env")
    header = _HEADER.check(raw.pop("scenario"), "scenario", ctx)
    data = _validate_sections(raw, header["env"], ctx)
    return Scenario(
        header["name"],
        header["env"],
        header["title"],
        header["description"].strip(),
        source,
        data,
    )


def load_scenario(name_or_path: str | os.PathLike[str] | Scenario, env_id: str | None = None) -> Scenario:
    """Load and validate a scenario by name (``"hbpo-math"``) or path.

    :param name_or_path: a scenario name from :func:`scenario_dirs`, a ``.toml`` path, or an
        already loaded :class:`Scenario` (returned as is)
    :param env_id: if given, the scenario must be for this environment
    :raises ScenarioError: naming the file, the field and what is allowed
    """
    sc = name_or_path if isinstance(name_or_path, Scenario) else _read(_resolve(name_or_path))
    if env_id is not None and sc.env_id != env_id:
        raise ScenarioError(
            sc.source,
            "scenario.env",
            f"is {sc.env_id!r}, but {env_id!r} was asked for",
            f"a scenario for {env_id} (see `hbkit scenarios`)",
        )
    return sc


def list_scenarios(env_id: str | None = None) -> list[Scenario]:
    """All valid scenarios found in :func:`scenario_dirs` (optionally for one env), sorted by name.

    Files that do not validate are skipped here; load them by path to see their error.
    """
    seen: dict[str, Scenario] = {}
    for folder in scenario_dirs():
        for path in _toml_files(folder):
            try:
                sc = _read(path)
            except ScenarioError:
                continue
            if sc.name not in seen and (env_id is None or sc.env_id == env_id):
                seen[sc.name] = sc
    return sorted(seen.values(), key=lambda s: s.name)


def scenario_json_schema(env_id: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of ``env_id``'s scenario files, generated from its schema,
    for editor completion of the TOML files (``hbkit scenarios --schema``). Cross-field rules (such
    as budgets below the maximum length) are checked by hbkit only."""
    if env_id not in SCHEMA_HOMES:
        raise ScenarioError(
            "<argument>", "env_id", f"unknown env id {env_id!r}", "one of " + ", ".join(SCHEMA_HOMES)
        )
    header = _HEADER.json_schema()
    header["properties"]["env"] = {"const": env_id}
    body = Table(_schema_for(env_id).sections).json_schema()
    body["properties"] = {"scenario": header, **body["properties"]}
    body["required"] = ["scenario", *body["required"]]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"hbkit scenario for {env_id}",
        **body,
    }
