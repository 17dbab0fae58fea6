"""Small helpers shared by the hbkit environments (argument checks, scenario overrides)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from hbkit.errors import ActionError, OptionError, whole_number
from hbkit.scenarios import Scenario, load_scenario

#: Most environments one native VectorEnv may hold (each env is a row of NumPy arrays).
MAX_NUM_ENVS = 10_000_000


def vector_settings(
    num_envs: Any,
    autoreset_mode: Any,
    metadata: Mapping[str, Any],
    render_mode: Any = None,
    where: str = "VectorEnv",
) -> tuple[int, dict[str, Any]]:
    """Validate a native VectorEnv's ``num_envs``, ``autoreset_mode`` and ``render_mode``.

    :return: ``(num_envs, metadata)``, the metadata carrying the chosen autoreset mode
    :raises OptionError: naming the argument, the value and what is allowed
    """
    from gymnasium.vector import AutoresetMode

    num_envs = whole_number(num_envs, f"{where}: num_envs", 1, MAX_NUM_ENVS, OptionError)
    try:
        mode = AutoresetMode(autoreset_mode)
    except ValueError:
        mode = None
    if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.DISABLED):
        raise OptionError(
            f"{where}: autoreset_mode {autoreset_mode!r} is not supported; allowed: NEXT_STEP or DISABLED"
        )
    check_render_mode(render_mode, metadata.get("render_modes", ()), where)
    return int(num_envs), {**metadata, "autoreset_mode": mode}


def make_scenario(scenario: str | Scenario, env_id: str, overrides: Mapping[str, Any]) -> Scenario:
    """Load ``scenario`` for ``env_id`` and apply keyword overrides (``None`` values are skipped)."""
    return load_scenario(scenario, env_id).with_overrides(overrides)


def check_actions(actions: Any, n: int, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Validate discrete actions in ``range(n)``; return them as an int64 array.

    :raises ActionError: naming the first bad entry and what is allowed
    """
    arr = np.asarray(actions)
    if shape is not None and arr.shape != shape:
        raise ActionError(f"{what}: expected shape {shape}, got {arr.shape}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            raise ActionError(f"{what}: entry {i} is {arr.ravel()[i]!r}; allowed: integers 0..{n - 1}")
    elif arr.dtype.kind not in "iub":
        raise ActionError(f"{what}: expected integers 0..{n - 1}, got {arr.dtype} values")
    bad = (arr < 0) | (arr >= n)  # in the actions' own dtype: 2**63 must not wrap to a negative
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        value = arr.ravel()[i]
        shown = int(value) if arr.dtype.kind != "f" else float(value)
        raise ActionError(f"{what}: entry {i} is {shown}; allowed: integers 0..{n - 1}")
    return arr.astype(np.int64)


def check_options(options: Any, allowed: tuple[str, ...], where: str) -> dict[str, Any]:
    """Validate the keys of a ``reset(options=...)`` mapping before anything changes.

    The one place where every hbkit env checks its reset options: an unknown key (a misspelling
    such as ``expense_budget``) is an error listing the allowed keys, never silently ignored.

    :param options: what the caller passed (``None`` means no options)
    :param allowed: the option keys this env understands
    :param where: the env's name, used in the message, e.g. ``"TeamEnv.reset"``
    :return: the options as a plain dict (empty when ``None``)
    :raises OptionError: if ``options`` is not a mapping or has an unknown key
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise OptionError(
            f"{where}: options must be a dict or None, got {type(options).__name__} "
            f"{options!r}; allowed keys: {', '.join(allowed)}"
        )
    unknown = [k for k in options if k not in allowed]
    if unknown:
        raise OptionError(f"{where}: unknown option {unknown[0]!r}; allowed keys: {', '.join(allowed)}")
    return dict(options)


#: Largest seed a reset option accepts (NumPy seeds are non-negative; int64 keeps them exact).
MAX_SEED = 2**63 - 1


def check_seeds(value: Any, num: int, name: str, where: str) -> list[int]:
    """Per-env seeds from a reset option such as ``problem_seed``: one whole number for every env,
    or a sequence of ``num`` of them, each in ``0..MAX_SEED`` (``None``, ``1.5``, ``"3"`` and
    ``2**64`` are refused, never coerced).

    :raises OptionError: naming the option, the value and what is allowed
    """
    if isinstance(value, (str, bytes)) or not np.iterable(value):
        values = [value] * num
    else:
        values = list(value)
        if len(values) != num:
            raise OptionError(
                f"{where}: options[{name!r}] has {len(values)} entries; allowed: one "
                f"whole number, or {num} of them (one per env)"
            )
    return [whole_number(v, f"{where}: options[{name!r}]", 0, MAX_SEED, OptionError) for v in values]


def check_first_reset_mask(mask: np.ndarray, started: bool, where: str) -> None:
    """Refuse a ``reset_mask`` that leaves envs out of a VectorEnv's very first reset: those envs were
    never started (no problem, no budget), so their observations and steps would be meaningless.

    :raises OptionError: naming the first env left out and what is allowed
    """
    if started or mask.all():
        return
    i = int(np.flatnonzero(~mask)[0])
    raise OptionError(
        f"{where}: options['reset_mask'] leaves env {i} out of the first reset, so it would never "
        "be started; allowed: no reset_mask (or all True) on the first reset, any mask after it"
    )


def check_box_actions(actions: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """Validate actions for a ``Box(-1, 1)`` space; return them as float64.

    The one place where every hbkit env with continuous actions checks them. Finite values outside
    ``[-1, 1]`` are clipped (as Stable-Baselines3 does before stepping); anything else is refused.

    :param actions: what the caller passed: an array or a (nested) list of real numbers
    :param shape: the expected shape
    :param what: how the message names the argument, e.g. ``"action (shape (4,))"``
    :raises ActionError: for a wrong shape, strings, complex numbers, objects, NaN or infinity,
        naming the entry and what is allowed
    """
    allowed = f"real numbers in [-1, 1] of shape {shape}"
    try:
        arr = np.asarray(actions)
    except (TypeError, ValueError):  # ragged lists and the like
        raise ActionError(f"{what}: expected {allowed}, got {actions!r}") from None
    if arr.dtype.kind == "O" and arr.ndim:  # name the first entry that is not a real number
        for i, v in enumerate(arr.ravel()):
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                where = i if arr.ndim == 1 else tuple(int(j) for j in np.unravel_index(i, arr.shape))
                raise ActionError(f"{what}: entry {where} is {v!r}; allowed: {allowed}")
    if arr.dtype.kind not in "fiub":
        kind = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects"}.get(
            arr.dtype.kind, f"{arr.dtype} values"
        )
        raise ActionError(f"{what}: expected {allowed}, got {kind} ({actions!r})")
    if arr.shape != shape:
        raise ActionError(f"{what}: expected shape {shape}, got {arr.shape}")
    a = arr.astype(np.float64)
    if a.size and not (a.min() >= -1.0 and a.max() <= 1.0):  # also catches NaN
        bad = ~np.isfinite(a)
        if bad.any():
            idx = tuple(int(j) for j in np.unravel_index(int(np.flatnonzero(bad)[0]), a.shape))
            where = idx[0] if len(idx) == 1 else idx
            raise ActionError(
                f"{what}: entry {where} is {float(a[idx])}; allowed: finite numbers "
                "(values outside [-1, 1] are clipped)"
            )
        a = np.clip(a, -1.0, 1.0)
    return a


def check_render_mode(render_mode: Any, allowed: Any, where: str) -> str | None:
    """Refuse a ``render_mode`` an env cannot render, when it is made (not at the first ``render()``).

    :param render_mode: what the caller passed (``None``: no rendering)
    :param allowed: the env's ``metadata["render_modes"]``
    :param where: the env's name, used in the message, e.g. ``"SplitVectorEnv"``
    :raises OptionError: naming the value and the allowed modes
    """
    if render_mode is None or render_mode in allowed:
        return render_mode
    modes = ", ".join(["None", *(repr(m) for m in allowed)])
    raise OptionError(f"{where}: render_mode {render_mode!r} is not supported; allowed: {modes}")


def check_reset_seed(seed: Any, where: str) -> int | None:
    """The ``seed`` of ``reset(seed=...)``: ``None`` or a whole number in ``0..MAX_SEED`` (checked
    before anything changes, so a refused seed leaves the env as it was).

    :raises OptionError: naming the argument, the value and what is allowed
    """
    if seed is None:
        return None
    return whole_number(seed, f"{where}: seed", 0, MAX_SEED, OptionError)
