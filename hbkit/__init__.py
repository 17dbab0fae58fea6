"""hbkit: a Jupyter-first toolkit for learning how hierarchical agents allocate limited budgets.

``import hbkit`` registers the Gymnasium environments ``hbkit/Reasoning-v0``, ``hbkit/Team-v0`` and
``hbkit/Split-v0``. Submodules: :mod:`hbkit.scenarios`, :mod:`hbkit.sim`, :mod:`hbkit.envs`,
:mod:`hbkit.managers`, :mod:`hbkit.train`, :mod:`hbkit.evaluate`, :mod:`hbkit.viz`.
"""

from __future__ import annotations

import importlib
from typing import Any

from hbkit.envs import ENV_IDS, register_envs

__version__ = "0.1.0"
__all__ = ["ENV_IDS", "register_envs", "__version__", "fast_mode"]

register_envs()

_LAZY = ("scenarios", "sim", "envs", "managers", "train", "evaluate", "viz", "exercises")


def fast_mode() -> bool:
    """True when ``HBKIT_FAST=1``: notebooks and demos shrink their training (used by tests)."""
    import os

    return os.environ.get("HBKIT_FAST", "").strip().lower() not in ("", "0", "false", "no")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"hbkit.{name}")
    raise AttributeError(f"module 'hbkit' has no attribute {name!r}")
