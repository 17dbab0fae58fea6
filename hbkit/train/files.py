"""The files hbkit saves, read back in one place.

:func:`load_agent` reads any agent hbkit saves and tells the world it runs on: a policy ``.npz``
(:meth:`hbkit.train.Policy.save`), a learned Split manager ``.npz``
(:meth:`hbkit.train.split.GuessManager.save`), a learned Team manager ``.json``
(:meth:`hbkit.train.team.LearnedRouter.save`) or an SB3 model ``.zip`` with the world it was trained
on recorded beside it (:func:`save_sb3_world`). ``hbkit evaluate`` and
:func:`hbkit.evaluate.evaluate` both load through it.

A run's per-iteration history is written beside what it saved, under the saved file's full name
(:func:`history_path`), so a policy ``p.npz`` and a router ``p.json`` keep their own histories.

>>> from hbkit.train.files import load_agent
>>> agent, env_id = load_agent("runs/guess-es-Split-v0-s0.npz")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

from hbkit.errors import ConfigError, WorldMismatchError
from hbkit.scenarios import Scenario

__all__ = [
    "load_agent",
    "history_path",
    "save_history",
    "load_history",
    "sb3_world_path",
    "save_sb3_world",
]

_TEAM, _SPLIT, _REASONING = "hbkit/Team-v0", "hbkit/Split-v0", "hbkit/Reasoning-v0"


def history_path(path: str | os.PathLike[str]) -> Path:
    """Where the history of the run that saved ``path`` goes: ``p.npz`` -> ``p.npz.history.json``
    (the full name: a policy ``p.npz`` and a router ``p.json`` have one history each)."""
    path = Path(path)
    return path.with_name(path.name + ".history.json")


def save_history(path: str | os.PathLike[str], history: list[dict[str, Any]]) -> Path:
    """Write ``history`` (JSON) beside the saved file ``path``.

    :return: the history file written (:func:`history_path`)
    """
    out = history_path(path)
    out.write_text(json.dumps(history, indent=1), encoding="utf-8")
    return out


def load_history(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The history saved beside ``path`` by :func:`save_history`; for a file saved before the
    history took the full name, the one under the old name (``p.npz`` -> ``p.history.json``).

    :param path: the saved policy, manager or model (not the history file)
    :raises ConfigError: if there is no history file beside it, or it is not JSON
    """
    path = Path(path)
    new, old = history_path(path), path.with_suffix(".history.json")
    found = next((p for p in (new, old) if p.is_file()), None)
    if found is None:
        raise ConfigError(f"{path}: no history beside it; allowed: a file saved with {new.name} beside it")
    try:
        history = json.loads(found.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{found}: not a readable history ({exc})") from None
    if not isinstance(history, list):
        raise ConfigError(f"{found}: the history is {type(history).__name__}; allowed: a list of rows")
    return history


def sb3_world_path(path: str | os.PathLike[str]) -> Path:
    """Where the world of a saved SB3 model is recorded: ``model.zip`` -> ``model.hbkit.json``."""
    return Path(path).with_suffix(".hbkit.json")


def save_sb3_world(path: str | os.PathLike[str], env_id: str, algo: str, scenario: Scenario) -> Path:
    """Record beside the SB3 model ``path`` the world and algorithm it was trained with, so that
    :func:`load_agent` can load it and evaluate it on its own world.

    :return: the file written (:func:`sb3_world_path`)
    """
    out = sb3_world_path(path)
    out.write_text(json.dumps({"env_id": env_id, "algo": algo, "scenario": scenario.to_dict()}, indent=1))
    return out


def _is_split_guess(path: Path) -> bool:
    """Whether ``path`` is a saved Split guess manager (an ``.npz`` with ``theta`` and ``meta``)."""
    try:
        with zipfile.ZipFile(path) as z:
            return {"theta.npy", "meta.npy"} <= set(z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _own_env(path: Path, trained_on: str, asked: str | None, what: str = "manager") -> str:
    """The world a saved agent runs on: its own; ``env_id`` naming another is an error."""
    if asked not in (None, trained_on):
        raise WorldMismatchError(
            f"{path}: this {what} was trained on {trained_on}, not on {asked}; "
            f"allowed: evaluate it on {trained_on}"
        )
    return trained_on


def _load_sb3(path: Path, algo: str | None, env_id: str | None) -> tuple[Any, str]:
    from hbkit.train.sb3 import load_sb3

    side = sb3_world_path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such SB3 model file")
    saved: dict[str, Any] = {}
    if side.is_file():
        try:
            saved = json.loads(side.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{side}: not readable ({exc})") from None
    algo = algo or saved.get("algo")
    if algo is None:
        raise ConfigError(
            f"{path}: no {side.name} beside it says which algorithm trained it; "
            "allowed: sb3:ALGO:PATH (hbkit evaluate), or algo=... (load_agent)"
        )
    if saved.get("env_id"):
        env_id = _own_env(path, saved["env_id"], env_id, f"model (see {side.name})")
    model = load_sb3(str(path), algo)
    if saved.get("scenario"):
        # the world it was trained on: evaluate() runs there by default and refuses another world
        # unless allow_other_world, as it does for saved policies
        model.trained_world = Scenario.from_dict(saved["scenario"], source=str(side))
    return model, env_id or _REASONING


def load_agent(
    path: str | os.PathLike[str], env_id: str | None = None, algo: str | None = None
) -> tuple[Any, str]:
    """Load any agent hbkit saves, and the world it runs on.

    :param path: a policy ``.npz``, a learned Split manager ``.npz``, a learned Team manager
        ``.json`` or an SB3 model ``.zip`` (with its world recorded beside it by ``hbkit train``)
    :param env_id: the world it is meant to run on (default: the one it was trained on)
    :param algo: the SB3 algorithm of a ``.zip`` with no world recorded beside it
    :return: ``(agent, env_id)``
    :raises WorldMismatchError: if ``env_id`` is not the world the agent was trained on
    :raises PolicyFileError: if the file is not what its suffix says
    :raises FileNotFoundError: for a missing policy file
    :raises ConfigError: for a missing SB3 model, or one whose algorithm is not known
    """
    path = Path(path)
    if path.suffix == ".zip":
        return _load_sb3(path, algo, env_id)
    if path.suffix == ".json":
        from hbkit.train.team import load_router

        return load_router(path), _own_env(path, _TEAM, env_id)
    if _is_split_guess(path):
        from hbkit.train.split import load_guess_manager

        return load_guess_manager(path), _own_env(path, _SPLIT, env_id)
    from hbkit.train.policies import load_policy

    policy = load_policy(path)
    return policy, env_id or policy.metadata.get("env_id", _REASONING)
