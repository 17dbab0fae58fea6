"""Scenario files: the named, ready-made worlds in ``environments/``.

A scenario is a TOML file with a ``[scenario]`` table (name, env id, title, description) and the
sections that the environment's schema declares (for example ``[world]`` and ``[train]``). Each
world declares its schema once, beside its simulation in :mod:`hbkit.sim`, as a pydantic model
built from :mod:`hbkit.schema`; this module finds and reads the files, validates them with that
model and reports the first problem as one :class:`ScenarioError` that names the file, the field,
the value and what is allowed.

>>> from hbkit.scenarios import load_scenario
>>> sc = load_scenario("hbpo-math")
>>> sc.env_id, sc["world"]["max_tokens"]
('hbkit/Reasoning-v0', 4096)
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib
import importlib.resources
import json
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

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

#: Sections that hold training recipes and the settings of hand-written managers, not the world: a
#: policy evaluated on a scenario that differs only in these is still on the world it was trained on.
TRAINING_SECTIONS: frozenset[str] = frozenset(
    {"train", "sb3", "ppo", "a2c", "dqn", "sac", "td3", "maskable_ppo", "managers"}
)

#: Fields that choose how a run is scored, not what happens: a reward is selected by name and every
#: env reports what any reward needs in ``info``, so policies trained with different rewards are
#: compared on the same world.
TRAINING_FIELDS: frozenset[str] = frozenset({"world.reward"})

#: Longest scenario name or path accepted (longer ones are refused before touching the disk).
MAX_NAME_CHARS = 1024


@functools.cache
def _header() -> Any:
    """The model of the ``[scenario]`` table (built on first use, like the worlds' schemas, so that
    ``import hbkit`` does not load pydantic)."""
    from pydantic import Field

    from hbkit.schema import Choice, Section, Text

    class Header(Section):
        name: Text = Field(description="short id, used on the command line")
        env: Choice(tuple(SCHEMA_HOMES))  # type: ignore[valid-type]
        title: Text = ""
        description: Text = ""

    return Header


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_header(raw: Any, source: str) -> dict[str, Any]:
    """The validated ``[scenario]`` table."""
    from pydantic import ValidationError

    from hbkit.schema import scenario_error

    model = _header()
    try:
        return model.model_validate(raw).model_dump()
    except ValidationError as exc:
        raise scenario_error(model, exc, source, prefix="scenario") from None


def _schema_for(env_id: str) -> Any:
    """The pydantic model (a :class:`hbkit.schema.WorldSchema`) of ``env_id``'s scenario files."""
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
        header = _check_header({k: saved.get(k, "") for k in ("name", "env", "title", "description")}, source)
        data = _validate_sections(copy.deepcopy(dict(saved["data"])), header["env"], source)
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
            node[parts[-1]] = _plain(value)
        data = _validate_sections(raw, self.env_id, f"{self.source} (with overrides)")
        return Scenario(self.name, self.env_id, self.title, self.description, self.source, data)


def _plain(value: Any) -> Any:
    """An override as plain Python data: NumPy scalars and arrays become numbers and lists (so
    ``memory=np.int64(50)`` is the integer 50), tuples become lists; the schema then checks it
    strictly (a float is still not an integer)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _validate_sections(raw: dict[str, Any], env_id: str, source: str) -> dict[str, Any]:
    """Every section but ``[scenario]``, validated by ``env_id``'s schema, as plain data.

    :raises ScenarioError: for the first problem, naming ``source``, the field and what is allowed
    """
    from pydantic import ValidationError

    from hbkit.schema import scenario_error

    schema = _schema_for(env_id)
    try:
        return schema.model_validate(raw).model_dump()
    except ValidationError as exc:
        raise scenario_error(schema, exc, source) from None


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
    if "scenario" not in raw:
        raise ScenarioError(source, "scenario", "is missing", "a [scenario] table with name and env")
    header = _check_header(raw.pop("scenario"), source)
    data = _validate_sections(raw, header["env"], source)
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


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every ``{"$ref": "#/$defs/NAME"}`` replaced by a copy of what it names (the
    scenario schemas have no cycles), so that each section reads on its own."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(copy.deepcopy(schema))


def scenario_json_schema(env_id: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of ``env_id``'s scenario files, generated from its pydantic
    model, for editor completion of the TOML files (``hbkit scenarios --schema``). Rules across
    fields (such as budgets below the maximum length) are checked by hbkit only."""
    if env_id not in SCHEMA_HOMES:
        raise ScenarioError(
            "<argument>", "env_id", f"unknown env id {env_id!r}", "one of " + ", ".join(SCHEMA_HOMES)
        )
    body = _inline(_schema_for(env_id).model_json_schema())
    header = _inline(_header().model_json_schema())
    header["properties"]["env"] = {"const": env_id}
    header.pop("title", None)
    body["properties"] = {"scenario": header, **body["properties"]}
    body["required"] = ["scenario", *body.get("required", [])]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **body,
        "title": f"hbkit scenario for {env_id}",
        "description": f"A scenario file (TOML) of hbkit's {env_id} world, as in environments/.",
    }
