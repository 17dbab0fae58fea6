"""The building blocks of the scenario schemas, on pydantic v2.

Each world declares its scenario file once, beside its simulation in :mod:`hbkit.sim`, as a
pydantic model built from the types here: :func:`Int`, :func:`Real`, :data:`Text`,
:func:`Choice`, :data:`Flag` and :func:`ListOf` for fields, :class:`Section` for a TOML table (an
unknown key is an error: it is usually a typo) and :class:`WorldSchema` for the whole file, whose
:meth:`WorldSchema.check` holds the rules that involve several fields. :class:`HBPOTrain` is the
``[train]`` table of the worlds HBPO trains in, and the one home of the trainer's defaults
(:class:`hbkit.train.HBPOConfig` reads them from it).

Numbers are checked strictly: ``true`` or ``"3"`` is not a number, an integer field takes whole
numbers only, and ``nan`` or ``inf`` is refused. Every problem pydantic finds becomes one
:class:`hbkit.errors.ScenarioError` that names the file, the field (``world.budgets[3]``), the value
and what is allowed (:func:`scenario_error`); the words of what is allowed come from the JSON Schema
of the field (:func:`allowed`), the same schema ``hbkit scenarios --schema`` exports.

The worlds' simulations import this module when they are first used (``gym.make``, a scenario
loaded); ``import hbkit`` alone does not load pydantic.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic import model_validator as _model_validator
from pydantic_core import PydanticCustomError

from hbkit.errors import ScenarioError

__all__ = [
    "Int",
    "Real",
    "Text",
    "Choice",
    "Flag",
    "ListOf",
    "Section",
    "WorldSchema",
    "HBPOTrain",
    "fail",
    "allowed",
    "scenario_error",
    "problems",
]


# ------------------------------------------------------------------------------------------------
# Field types
# ------------------------------------------------------------------------------------------------
def fail(field: str, problem: str, allowed: str | None = None) -> PydanticCustomError:
    """A problem found by a check of hbkit's own (a list's order, a rule across fields), raised
    inside a validator. ``field`` is dotted, relative to the table being checked ("" for the
    value itself)."""
    return PydanticCustomError("hbkit", "{problem}", {"problem": problem, "allowed": allowed, "field": field})


def _whole(value: Any) -> Any:
    """A whole float (``4096.0``) is an integer; anything else goes to the strict int check."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def Int(low: int | None = None, high: float | None = None) -> Any:  # noqa: N802 - a type
    """An integer with ``low <= value <= high`` (either bound optional)."""
    return Annotated[int, Field(strict=True, ge=low, le=high), BeforeValidator(_whole)]


def Real(low: float | None = None, high: float | None = None, *, open_low: bool = False) -> Any:  # noqa: N802
    """A finite real number with ``low <= value <= high`` (``low < value`` if ``open_low``); an
    integer is taken as a float."""
    if open_low:
        return Annotated[float, Field(strict=True, gt=low, le=high, allow_inf_nan=False)]
    return Annotated[float, Field(strict=True, ge=low, le=high, allow_inf_nan=False)]


#: A string.
Text = Annotated[str, Field(strict=True)]
#: A boolean (``true`` or ``false``).
Flag = Annotated[bool, Field(strict=True)]


def Choice(choices: Sequence[str]) -> Any:  # noqa: N802 - a type
    """One of the strings ``choices``."""
    return Literal[tuple(choices)]


def _increasing(values: list[Any]) -> list[Any]:
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise fail("", f"{values} is not strictly increasing", "strictly increasing values")
    return values


def _sums_to(total: float) -> Any:
    def check(values: list[float]) -> list[float]:
        if abs(sum(values) - total) > 1e-6:
            raise fail("", f"items sum to {sum(values):g}", f"items that sum to {total:g}")
        return values

    return AfterValidator(check)


def ListOf(  # noqa: N802 - a type
    item: Any,
    min_len: int = 1,
    max_len: int | None = None,
    *,
    increasing: bool = False,
    total: float | None = None,
) -> Any:
    """A list of at least ``min_len`` (at most ``max_len``) items, each an ``item``; optionally
    strictly increasing, or summing to ``total`` (within 1e-6). A list whose length must match a
    sibling's is declared on its :class:`Section` (``same_length``)."""
    meta: list[Any] = [Field(strict=True, min_length=min_len, max_length=max_len)]
    if increasing:
        meta.append(AfterValidator(_increasing))
    if total is not None:
        meta.append(_sums_to(total))
    args = (list[item], *meta)
    return Annotated[args]


# ------------------------------------------------------------------------------------------------
# Tables
# ------------------------------------------------------------------------------------------------
class Section(BaseModel):
    """A TOML table with known fields; an unknown key is an error.

    ``same_length`` maps a list field to the sibling list whose length it must match.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    same_length: ClassVar[dict[str, str]] = {}

    @_model_validator(mode="after")
    def _check_lengths(self) -> Section:
        for key, other in self.same_length.items():
            mine, theirs = len(getattr(self, key)), len(getattr(self, other))
            if mine != theirs:
                raise fail(key, f"has {mine} items", f"as many items as '{other}' ({theirs})")
        return self


class WorldSchema(Section):
    """A world's scenario file (every section but ``[scenario]``). Override :meth:`check` for rules
    that involve several fields: it gets the validated data as plain dicts and raises :func:`fail`
    with the dotted field it names."""

    def check(self, data: dict[str, Any]) -> None:
        """Rules across fields; raise ``fail("world.chunk", problem, allowed)``."""

    @_model_validator(mode="after")
    def _check_world(self) -> WorldSchema:
        self.check(self.model_dump())
        return self


class HBPOTrain(Section):
    """The ``[train]`` table of a world that HBPO trains in: the fields of
    :class:`hbkit.train.HBPOConfig` that a scenario sets, with their defaults and allowed ranges
    (the one place they are written). A world subclasses it to change a default (``hidden``) or to
    add fields of its own."""

    iterations: Int(1, 100000) = 300
    problems_per_iteration: Int(1, 4096) = 32
    rollouts_per_problem: Int(1, 256) = 16
    policy: Choice(("linear", "mlp")) = "mlp"
    hidden: Int(1, 1024) = Field(32, description="width of the MLP policy's hidden layer")
    learning_rate: Real(0.0, 1.0, open_low=True) = 0.01
    anneal_lr: Flag = Field(True, description="decay the step size linearly to zero")
    epochs: Int(1, 100) = 2
    minibatches: Int(1, 1024) = 4
    clip_low: Real(0.0, 1.0) = Field(0.2, description="lower clip of the ratio: 1 - clip_low")
    clip_high: Real(0.0, 10.0) = Field(0.28, description="upper clip of the ratio: 1 + clip_high")
    max_grad_norm: Real(0.0, 1e6, open_low=True) = 1.0


# ------------------------------------------------------------------------------------------------
# What is allowed, in words (from the JSON Schema), and pydantic's errors as hbkit's
# ------------------------------------------------------------------------------------------------
@cache
def _json_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _node(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with a ``$ref`` (or a single-entry ``allOf``/``anyOf`` around one) resolved."""
    while True:
        if "$ref" in schema:
            schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
        elif len(schema.get("allOf", ())) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def allowed(schema: dict[str, Any], root: dict[str, Any] | None = None) -> str:
    """What a value of the JSON Schema ``schema`` may be, in words (``"an integer with 1 <=
    value <= 16"``); ``root`` holds the ``$defs`` its references point into."""
    root = schema if root is None else root
    s = _node(schema, root)
    if "anyOf" in s:
        options = [allowed(o, root) for o in s["anyOf"] if o.get("type") != "null"]
        return " or ".join(options) if options else "a value"
    if "enum" in s or "const" in s:
        return "one of " + ", ".join(repr(c) for c in s.get("enum", [s.get("const")]))
    kind = s.get("type")
    if kind in ("integer", "number"):
        lo = ""
        if "minimum" in s:
            lo = f"{s['minimum']} <= "
        elif "exclusiveMinimum" in s:
            lo = f"{s['exclusiveMinimum']} < "
        hi = f" <= {s['maximum']}" if "maximum" in s else ""
        what = "an integer" if kind == "integer" else "a number"
        return what + (f" with {lo}value{hi}" if (lo or hi) else "")
    if kind == "string":
        return "a string"
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        count = f"at least {s.get('minItems', 0)}" + (
            f" and at most {s['maxItems']}" if "maxItems" in s else ""
        )
        item = _node(s.get("items", {}), root)
        if item.get("type") == "object":
            return f"an array of {count} tables ([[...]] in TOML) with the fields " + ", ".join(
                item.get("properties", {})
            )
        return f"a list of {count} items, each {allowed(item, root)}"
    if kind == "object":
        return "a table with the fields " + ", ".join(s.get("properties", {}))
    return "a value"


def _at(model: type[BaseModel], loc: Sequence[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON Schema node of the field at ``loc`` of ``model``, and the schema's root."""
    root = _json_schema(model)
    node = root
    for part in loc:
        node = _node(node, root)
        options = [o for o in node.get("anyOf", ()) if o.get("type") != "null"]
        if len(options) == 1:
            node = _node(options[0], root)
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return node, root


def _path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def problems(
    model: type[BaseModel], exc: ValidationError, prefix: str = ""
) -> list[tuple[str, str, str | None]]:
    """pydantic's errors as ``(field, problem, allowed)`` in hbkit's words, in the order found.

    :param prefix: dotted path of where ``model`` sits (for the field names)
    """
    out: list[tuple[str, str, str | None]] = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
        node, root = _at(model, loc)
        here = allowed(node, root)
        field = _path([prefix, *loc] if prefix else loc)
        if kind == "hbkit":
            sub = ctx.get("field") or ""
            field = f"{field}.{sub}" if field and sub else (sub or field)
            out.append((field, ctx["problem"], ctx.get("allowed")))
        elif kind == "missing":
            out.append((field, "is missing", here))
        elif kind == "extra_forbidden":
            parent, proot = _at(model, loc[:-1])
            names = ", ".join(_node(parent, proot).get("properties", {}))
            out.append((field, "unknown field", "the fields " + names))
        elif kind == "finite_number":
            out.append((field, f"{value!r} is not finite", here))
        elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
            out.append((field, f"{value!r} is out of range", here))
        elif kind in ("int_type", "int_from_float", "int_parsing"):
            out.append((field, f"expected an integer, got {_short(value)}", here))
        elif kind in ("float_type", "float_parsing"):
            out.append((field, f"expected a number, got {_short(value)}", here))
        elif kind == "string_type":
            out.append((field, f"expected a string, got {_short(value)}", here))
        elif kind == "bool_type":
            out.append((field, f"expected true or false, got {_short(value)}", here))
        elif kind == "literal_error":
            out.append((field, f"{_short(value)} is not a known choice", here))
        elif kind in ("too_short", "too_long"):
            n = ctx.get("actual_length", len(value) if hasattr(value, "__len__") else "?")
            s = _node(node, root)
            hi = f" and at most {s['maxItems']}" if "maxItems" in s else ""
            out.append((field, f"has {n} items", f"at least {s.get('minItems', 0)}{hi} items"))
        elif kind == "list_type":
            out.append((field, f"expected a list, got {_short(value)}", here))
        elif kind in ("model_type", "dict_type", "model_attributes_type"):
            out.append((field, f"expected a table, got {_short(value)}", here))
        else:  # pragma: no cover - a pydantic error type not met above: its own words
            out.append((field, f"{err['msg']} (got {_short(value)})", here))
    return out


def scenario_error(
    model: type[BaseModel], exc: ValidationError, source: str, prefix: str = ""
) -> ScenarioError:
    """The first problem of a failed validation as a :class:`ScenarioError` naming ``source``."""
    field, problem, what = problems(model, exc, prefix)[0]
    return ScenarioError(source, field, problem, what)


def field_allowed(model: type[BaseModel], dotted: str) -> str:
    """What the field ``dotted`` (``"world.chunk"``) of ``model`` may be, in words."""
    node, root = _at(model, dotted.split("."))
    return allowed(node, root)
