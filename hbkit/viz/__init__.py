"""Figures (pure plotly functions, callable without a browser) and ipywidgets dashboards.

* :mod:`hbkit.viz.common`: shared colors, layout and :class:`~hbkit.viz.common.LiveFigure`, which
  wires controls to a figure builder and redraws in place.
* :mod:`hbkit.viz.reasoning`: figures of the Reasoning world and of HBPO training.
* one module per world for its figures (``team``, ``split``) and one for its dashboards
  (``*_widgets``).
"""

from hbkit.viz.common import COLORS, LiveFigure, style, update_in_place

__all__ = ["COLORS", "LiveFigure", "style", "update_in_place"]
