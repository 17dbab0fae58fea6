"""The registry of every notebook's live figures, collected from the ``hbkit.viz.*_widgets`` modules.

Each widgets module defines ``NOTEBOOK_DASHBOARDS``: notebook name -> factories of the
:class:`~hbkit.viz.common.LiveFigure` objects that notebook shows. The slider-latency benchmark
(``benchmarks/bench_widgets.py``) and the widget tests move every control of every one of them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import hbkit.viz

__all__ = ["notebook_dashboards"]


def notebook_dashboards() -> dict[str, list[tuple[str, Callable]]]:
    """notebook name -> [(factory name, factory)], over every ``hbkit.viz.*_widgets`` module."""
    found: dict[str, list[tuple[str, Callable]]] = {}
    for info in sorted(pkgutil.iter_modules(hbkit.viz.__path__), key=lambda m: m.name):
        if not info.name.endswith("_widgets"):
            continue
        module = importlib.import_module(f"hbkit.viz.{info.name}")
        for notebook, factories in getattr(module, "NOTEBOOK_DASHBOARDS", {}).items():
            found.setdefault(notebook, []).extend((_name(f), f) for f in factories)
    return dict(sorted(found.items()))


def _name(factory: Callable) -> str:
    """A readable name of a factory (functions, ``functools.partial`` objects, classes)."""
    func = getattr(factory, "func", factory)
    name = getattr(func, "__name__", type(func).__name__).lstrip("_")
    args = [repr(a) for a in getattr(factory, "args", ())]
    args += [f"{k}={v!r}" for k, v in getattr(factory, "keywords", {}).items()]
    return f"{name}({', '.join(args)})" if args else name
