"""hbkit's error types: one per kind of misuse.

Every error hbkit raises on bad input is one of these. Each is also a subclass of the built-in
exception that fits it (``ValueError`` for a bad value, ``RuntimeError`` for a call at the wrong
time), so ``except ValueError`` keeps working. Messages name the field or argument, the value and
what is allowed.

=====================  =================================================================
error                  raised when
=====================  =================================================================
``ScenarioError``      a scenario file, a scenario override or a sweep spec is malformed
``OptionError``        a ``reset(options=...)`` key or value, or an env argument, is bad
``ActionError``        an action has the wrong shape, type or range
``ConfigError``        a trainer, evaluation or command-line argument is bad
``PolicyFileError``    a saved policy is unreadable, corrupt or not what it claims to be
``WorldMismatchError`` a saved policy is evaluated on a world it was not trained on
``TrainingError``      training produced a non-finite loss or non-finite weights
``StateError``         a call comes at the wrong time (``step()`` before ``reset()``)
=====================  =================================================================
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "whole_number",
    "positive_number",
    "sequence_of",
    "HbkitError",
    "ScenarioError",
    "OptionError",
    "ActionError",
    "ConfigError",
    "PolicyFileError",
    "WorldMismatchError",
    "TrainingError",
    "StateError",
]


class HbkitError(Exception):
    """Base class of every error hbkit raises on purpose."""


class ScenarioError(HbkitError, ValueError):
    """A scenario file (or an override) is malformed or out of range.

    :param source: the file (or ``"<override>"``) the value came from
    :param field: dotted path of the field, e.g. ``world.levels.ceiling[2]``
    :param problem: what is wrong with the value
    :param allowed: what would be accepted
    """

    def __init__(self, source: str, field: str, problem: str, allowed: str | None = None):
        self.source, self.field, self.problem, self.allowed = source, field, problem, allowed
        msg = f"{source}: field '{field}': {problem}"
        if allowed:
            msg += f"; allowed: {allowed}"
        super().__init__(msg)

    def __reduce__(self):  # picklable across processes (sweeps)
        return (type(self), (self.source, self.field, self.problem, self.allowed))


class OptionError(HbkitError, ValueError):
    """A ``reset(options=...)`` key or value, or an environment argument, is not allowed."""


class ActionError(HbkitError, ValueError):
    """An action has the wrong shape, type or range."""


class ConfigError(HbkitError, ValueError):
    """A trainer, evaluation or command-line argument is not allowed."""


class PolicyFileError(HbkitError, ValueError):
    """A saved policy file is unreadable, corrupt or does not match what it claims to be."""


class WorldMismatchError(HbkitError, ValueError):
    """A saved policy is asked to run on a world other than the one it was trained on."""


class TrainingError(HbkitError, RuntimeError):
    """Training produced a non-finite loss or non-finite weights; nothing was saved."""


class StateError(HbkitError, RuntimeError):
    """A call came at the wrong time, e.g. ``step()`` before ``reset()``."""


def whole_number(
    value: Any, name: str, low: int = 0, high: int | None = None, error: type[HbkitError] = ConfigError
) -> int:
    """``value`` as an ``int`` if it is a whole number in ``[low, high]``: the one check for counts
    and seeds (``episodes=2.5``, ``num_envs=True`` and ``seed=-1`` are refused, never truncated).

    :param name: the argument's name, used in the message
    :param error: the error type to raise (:class:`ConfigError` for arguments of trainers and
        evaluations, :class:`OptionError` for env arguments)
    """
    whole = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f">= {low}"
        raise error(f"{name} must be a whole number {span}, got {value!r}")
    return int(value)


def positive_number(value: Any, name: str, error: type[HbkitError] = ConfigError) -> float:
    """``value`` as a ``float`` if it is a finite number > 0: the one check for step sizes and
    exploration widths (``0``, ``-0.1``, ``nan``, ``inf`` and ``True`` are refused).

    :param name: the argument's name, used in the message
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) < math.inf:
        raise error(f"{name} is {value!r}; allowed: a finite number > 0")
    return float(value)


def sequence_of(value: Any, name: str, what: str, error: type[HbkitError] = ConfigError) -> list[Any]:
    """``value`` as a ``list`` if it is a sequence (list, tuple, array, ...): the one check for
    arguments that take several names or numbers. A single string is refused, never split into
    characters (``budgets="512"`` is not the budgets 5, 1, 2; ``names="greedy"`` is not the names
    g, r, e ...), and so is a single number.

    :param name: the argument's name, used in the message
    :param what: what the entries are, e.g. ``"numbers"`` or ``"manager names"``
    :param error: the error type to raise
    """
    single = isinstance(value, (str, bytes)) or not isinstance(value, Iterable) or isinstance(value, Mapping)
    if not single:
        try:
            return list(value)
        except TypeError:  # e.g. a 0-d NumPy array: iterable by type, not in fact
            pass
    hint = " (a string is one value, never split into characters)" if isinstance(value, (str, bytes)) else ""
    raise error(f"{name} is {value!r}; allowed: a list or tuple of {what}{hint}")
