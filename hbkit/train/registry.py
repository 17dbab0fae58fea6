"""The trainers of each world, in one place.

``hbkit train --algo NAME`` and a sweep's ``agent = "NAME"`` both look a trainer up here
(:data:`TRAINERS`); the Stable-Baselines3 algorithms that fit a world's action space come on top
(:mod:`hbkit.train.sb3`). Entries name their function as ``"module:function"`` and import it on
first use, so reading the registry loads neither torch nor a world.

Adding a trainer is one entry: its function, a line of help, and what ``hbkit train`` may pass it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TrainerEntry", "TRAINERS", "trainer_entry", "hbpo_trainer"]


@dataclass(frozen=True)
class TrainerEntry:
    """One trainer of a world.

    :param target: ``"module:function"``. The function is called as
        ``function(scenario=..., seed=..., progress=..., **settings)``, plus ``env_id=`` if it takes
        one, and returns a trainer with ``.policy`` and ``.history`` (like :class:`hbkit.train.HBPO`),
        an ``(agent, history)`` pair, or the trained agent itself
    :param summary: one line for ``hbkit train --algo list``
    :param takes: the ``hbkit train`` options it accepts: ``"budgets"``, ``"reward"``, ``"policy"``,
        ``"advantage"``
    :param budgets_kwarg: the keyword its budgets go in: ``"budgets"``, ``"reset_budgets"`` (a list)
        or ``"budget"`` (the first budget, an env keyword)
    :param length: the keyword of the training length: ``"iterations"`` or ``"total_timesteps"``
    :param fast: settings of a smoke-sized run (``hbkit train --fast``), the length included
    :param saves: how the trained agent is saved: ``"policy"`` (``result.policy.save``, ``.npz``),
        ``"sb3"`` (an SB3 ``.zip`` with the world beside it) or ``"self"`` (``result.save``)
    :param suffix: the file suffix of what it saves
    :param out_name: the default file name under ``runs/``, without the suffix (``{algo}``,
        ``{world}``, ``{seed}`` and ``{reward}``, the reward it trained with, are filled in)
    :param history: write the per-iteration history beside the saved file
    :param settings_of: ``"module:function"`` whose parameters are the settings it accepts, when
        ``target`` passes ``**settings`` on to it (a sweep checks a spec's settings against them)
    """

    target: str
    summary: str
    takes: tuple[str, ...] = ()
    budgets_kwarg: str = "budgets"
    length: str = "iterations"
    fast: Mapping[str, Any] = field(default_factory=dict)
    saves: str = "policy"
    suffix: str = ".npz"
    out_name: str = "{algo}-{world}-s{seed}"
    history: bool = True
    settings_of: str | None = None

    def load(self) -> Callable[..., Any]:
        """The trainer function (imported now)."""
        return _resolve(self.target)

    def settings_function(self) -> Callable[..., Any]:
        """The function whose parameters are the settings this trainer accepts."""
        return _resolve(self.settings_of or self.target)


def _resolve(target: str) -> Callable[..., Any]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def hbpo_trainer(
    env_id: str,
    scenario: Any,
    seed: int,
    iterations: int | None = None,
    progress: bool = False,
    **settings: Any,
):
    """The HBPO trainer of :mod:`hbkit.train.hbpo`:
    ``HBPO(env_id, scenario=..., seed=..., **settings).learn(iterations)``.

    :param settings: ``budgets``, ``reward``, ``advantage``, ``env_kwargs`` or any
        :class:`hbkit.train.HBPOConfig` field
    :return: the trainer (``.policy``, ``.history``, ``.num_timesteps``)
    """
    from hbkit.train.hbpo import HBPO

    trainer = HBPO(env_id, scenario=scenario, seed=seed, **settings)
    trainer.learn(iterations=iterations, progress=progress)
    return trainer


_HBPO_FAST = {"iterations": 2, "problems_per_iteration": 2, "rollouts_per_problem": 4}

#: env id -> trainer name -> :class:`TrainerEntry`: hbkit's own trainers of each world.
TRAINERS: dict[str, dict[str, TrainerEntry]] = {
    "hbkit/Reasoning-v0": {
        "hbpo": TrainerEntry(
            "hbkit.train.registry:hbpo_trainer",
            "HBPO (NumPy) on the world's native VectorEnv, from the world's base policy",
            takes=("budgets", "reward", "policy", "advantage"),
            fast=_HBPO_FAST,
            out_name="hbpo-{reward}-s{seed}",
        ),
    },
    "hbkit/Team-v0": {
        "hbpo": TrainerEntry(
            "hbkit.train.team:train_hbpo",
            "HBPO on the Team world, started from a clone of the feedback manager",
            takes=("budgets", "reward", "policy", "advantage"),
            fast={**_HBPO_FAST, "iterations": 1, "imitation": {"streams": 8, "rounds": 1, "epochs": 1}},
        ),
        "hbpo-router": TrainerEntry(
            "hbkit.train.team:train_router",
            "HBPO-router: HBPO over the feedback manager's cost weight and optimism, per expense budget",
            takes=("budgets", "reward", "advantage"),
            fast=_HBPO_FAST,
            saves="self",
            suffix=".json",
            settings_of="hbkit.train.team:train_hbpo_router",
        ),
        "maskable-ppo": TrainerEntry(
            "hbkit.train.team:train_maskable_ppo",
            "sb3-contrib's MaskablePPO on the Team world's VectorEnv, with its action masks",
            takes=("budgets", "reward"),
            budgets_kwarg="reset_budgets",
            length="total_timesteps",
            fast={"total_timesteps": 128, "n_steps": 32, "n_envs": 2, "batch_size": 32},
            saves="sb3",
            suffix=".zip",
            history=False,
        ),
    },
    "hbkit/Split-v0": {
        "guess-es": TrainerEntry(
            "hbkit.train.split:train",
            "A learned productivity guess per agent, water-filled into a split (evolution strategies)",
            takes=("budgets", "reward"),
            budgets_kwarg="budget",
            fast={"iterations": 2, "population": 2, "episodes": 2},
            saves="self",
            history=False,
        ),
    },
}


def trainer_entry(env_id: str, name: str) -> TrainerEntry | None:
    """The entry of trainer ``name`` of ``env_id`` (``None`` if there is none)."""
    return TRAINERS.get(env_id, {}).get(name)
