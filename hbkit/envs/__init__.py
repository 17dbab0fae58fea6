"""Gymnasium environments of hbkit. ``import hbkit`` registers them.

=========================  ==============================================================
id                         world
=========================  ==============================================================
``hbkit/Reasoning-v0``     a reasoner thinks or answers under a token budget (HBPO)
``hbkit/Team-v0``          a manager hires, fires and invokes workers (HASHIRU)
``hbkit/Split-v0``         a manager splits a budget across agents and learns from outputs
=========================  ==============================================================

Each id has a single :class:`gymnasium.Env` (``gym.make``) and a native
:class:`gymnasium.vector.VectorEnv` (``gym.make_vec(..., vectorization_mode="vector_entry_point")``)
where the world batches naturally.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from hbkit.errors import ConfigError

__all__ = ["ENV_IDS", "DEFAULT_SCENARIOS", "NATURAL_MODE", "register_envs", "check_env_id"]

#: env id -> (entry point, vector entry point or None, default scenario)
_SPECS: dict[str, tuple[str, str | None, str]] = {
    "hbkit/Reasoning-v0": (
        "hbkit.envs.reasoning:ReasoningEnv",
        "hbkit.envs.reasoning:ReasoningVectorEnv",
        "hbpo-math",
    ),
    "hbkit/Team-v0": ("hbkit.envs.team:TeamEnv", "hbkit.envs.team:TeamVectorEnv", "hashiru"),
    "hbkit/Split-v0": ("hbkit.envs.split:SplitEnv", "hbkit.envs.split:SplitVectorEnv", "classroom"),
}

ENV_IDS: tuple[str, ...] = tuple(_SPECS)
DEFAULT_SCENARIOS: dict[str, str] = {k: v[2] for k, v in _SPECS.items()}
#: The worlds with a natural mode: there ``reset(options={"budget": None})`` means "no budget";
#: elsewhere ``None`` is the scenario's default budget.
NATURAL_MODE: frozenset[str] = frozenset({"hbkit/Reasoning-v0"})


def register_envs() -> None:
    """Register every hbkit environment with Gymnasium (safe to call more than once).

    Also the target of the ``gymnasium.envs`` entry point in ``pyproject.toml``.
    """
    for env_id, (entry, vector_entry, scenario) in _SPECS.items():
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point=entry,
            vector_entry_point=vector_entry,
            kwargs={"scenario": scenario},
        )


def check_env_id(env_id: Any) -> str:
    """Return ``env_id`` if it is an hbkit env id.

    :raises ConfigError: naming the value and listing the hbkit env ids
    """
    if not isinstance(env_id, str) or env_id not in _SPECS:
        raise ConfigError(f"unknown env id {env_id!r}; allowed: {', '.join(ENV_IDS)}")
    return env_id
