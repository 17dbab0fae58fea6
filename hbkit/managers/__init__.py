"""Hand-written managers and baselines, by environment.

>>> from hbkit.managers import available
>>> managers = available("hbkit/Reasoning-v0")   # {"base": factory, "fixed-512": factory, ...}
>>> manager = managers["fixed-512"](env)          # a factory takes the env  # doctest: +SKIP
>>> action = manager(obs)                         # a manager is callable obs -> action  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from hbkit.errors import ConfigError

__all__ = ["available"]

_HOMES = {
    "hbkit/Reasoning-v0": "hbkit.managers.reasoning",
    "hbkit/Team-v0": "hbkit.managers.team",
    "hbkit/Split-v0": "hbkit.managers.split",
}


def available(env_id: str) -> dict[str, Callable[..., Any]]:
    """The hand-written managers for ``env_id``: name -> factory(env) -> callable ``obs -> action``."""
    if env_id not in _HOMES:
        raise ConfigError(f"unknown env id {env_id!r}; allowed: {', '.join(_HOMES)}")
    return dict(importlib.import_module(_HOMES[env_id]).MANAGERS)
