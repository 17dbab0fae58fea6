"""Figures of the Split world (pure functions: arrays in, a plotly figure out).

Tests call them without a browser; :mod:`hbkit.viz.split_widgets` wires them to sliders. The two
``*_figure`` functions that run learners (:func:`feedback_figure`) get their numbers from
:func:`hbkit.managers.split.run_managers`; everything else only draws.

>>> from hbkit.viz.split import hand_split_figure
>>> fig = hand_split_figure([4, 2, 1, 0.5], [2, 3, 1.5, 2], budget=12, shares=[0.25] * 4)
>>> len(fig.data)
4
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import plotly.graph_objects as go

from hbkit.errors import sequence_of
from hbkit.managers.split import LEARNERS, run_managers, split_value, water_fill
from hbkit.viz.common import TEMPLATE, method_color, style_layout

__all__ = [
    "AGENT_COLORS",
    "learner_color",
    "agent_colors",
    "returns_figure",
    "hand_split_figure",
    "hand_split_from_weights",
    "oracle_budget_figure",
    "regret_curves_figure",
    "final_regret_figure",
    "allocation_figure",
    "feedback_figure",
    "episode_allocation_figure",
    "learner_runs",
    "world_of",
]

AGENT_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d")
#: Color families for the teams of each division (one family per division).
_FAMILIES = (
    ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef"),
    ("#a63603", "#e6550d", "#fd8d3c", "#fdae6b", "#fdd0a2"),
    ("#006d2c", "#31a354", "#74c476", "#a1d99b", "#c7e9c0"),
    ("#54278f", "#756bb1", "#9e9ac8", "#bcbddc", "#dadaeb"),
)
_LEARNER_ORDER = tuple(LEARNERS) + ("oracle", "ppo")
_LEARNER_COLORS = {
    "follow-last": "#bcbd22",
    "greedy": "#ff7f0e",
    "ucb": "#9467bd",
    "thompson": "#2ca02c",
    "exp-grad": "#e377c2",
    "ppo": "#d62728",
    "PPO": "#d62728",
}


def world_of(scenario: Any = "classroom", **env_kwargs: Any):
    """The :class:`hbkit.sim.split.SplitWorld` of a scenario (its constants: names, scales, ...)."""
    import gymnasium as gym

    env = gym.make("hbkit/Split-v0", scenario=scenario, **env_kwargs)
    world = env.unwrapped.world  # type: ignore[attr-defined]  # a SplitEnv
    env.close()
    return world


def learner_color(name: str) -> str:
    """The color of a learner, the same in every figure."""
    if name in _LEARNER_COLORS:
        return _LEARNER_COLORS[name]
    i = _LEARNER_ORDER.index(name) if name in _LEARNER_ORDER else len(name)
    return method_color(name, i)


def agent_colors(num_agents: int, divisions: Sequence[tuple[str, Sequence[int]]] = ()) -> list[str]:
    """One color per agent; with divisions, a color family per division."""
    if not divisions:
        return [AGENT_COLORS[i % len(AGENT_COLORS)] for i in range(num_agents)]
    colors = ["#999999"] * num_agents
    for d, (_, members) in enumerate(divisions):
        family = _FAMILIES[d % len(_FAMILIES)]
        for j, i in enumerate(members):
            colors[i] = family[j % len(family)]
    return colors


def _names(names: Sequence[str] | None, k: int) -> list[str]:
    return list(names) if names is not None else [f"agent {i + 1}" for i in range(k)]


def _shares(shares: Any, k: int) -> np.ndarray:
    s = np.maximum(np.asarray(shares, dtype=np.float64).reshape(k), 0.0)
    total = s.sum()
    return s / total if total > 0 else np.full(k, 1.0 / k)


def _panels(
    titles: Sequence[str], widths: Sequence[float] | None = None, gap: float = 0.08, shared_y: bool = False
) -> dict[str, Any]:
    """A layout with side-by-side panels (axes ``x``/``y``, ``x2``/``y2``, ...) and their titles.

    Built by hand rather than with ``make_subplots``: figures are rebuilt on every slider move.
    """
    n = len(titles)
    widths = list(widths or [1.0 / n] * n)
    span = 1.0 - gap * (n - 1)
    layout: dict[str, Any] = {"annotations": []}
    left = 0.0
    for i, (title, w) in enumerate(zip(titles, widths, strict=False)):
        right = left + w * span
        sx = "" if i == 0 else str(i + 1)
        layout[f"xaxis{sx}"] = {"domain": [left, right], "anchor": f"y{sx}"}
        layout[f"yaxis{sx}"] = {"anchor": f"x{sx}"}
        if shared_y and i > 0:
            layout[f"yaxis{sx}"]["matches"] = "y"
            layout[f"yaxis{sx}"]["showticklabels"] = False
        if title:
            layout["annotations"].append(
                {
                    "text": title,
                    "x": (left + right) / 2,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 14},
                }
            )
        left = right + gap
    return layout


def _figure(
    data: list[dict[str, Any]], layout: dict[str, Any], title: str | None, height: int = 380
) -> go.Figure:
    """A figure in hbkit's common style (see :func:`hbkit.viz.common.style`), built in one go from
    plain dicts: figures are rebuilt on every slider move."""
    return go.Figure(data=data, layout={"template": TEMPLATE, **style_layout(title, height), **layout})


# ----------------------------------------------------------------------------------------------
# Notebook 02: budgets
# ----------------------------------------------------------------------------------------------


def returns_figure(
    productivity: Sequence[float],
    scale: Sequence[float],
    budget: float,
    names: Sequence[str] | None = None,
    shares: Sequence[float] | None = None,
    points: int = 120,
) -> go.Figure:
    """Diminishing returns: each agent's output ``a_i * log(1 + x / c_i)`` for ``0 <= x <= budget``.

    Diamonds mark the oracle's allocation (where all active agents have the same slope) and, if
    ``shares`` are given, circles mark yours.
    """
    a = np.asarray(productivity, dtype=np.float64)
    c = np.asarray(scale, dtype=np.float64)
    k = len(a)
    names = _names(names, k)
    colors = agent_colors(k)
    x = np.linspace(0.0, float(budget), points)
    best = water_fill(a, c, budget)
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": x,
            "y": a[i] * np.log1p(x / c[i]),
            "mode": "lines",
            "name": names[i],
            "line": {"color": colors[i]},
        }
        for i in range(k)
    ]
    data.append(
        {
            "type": "scatter",
            "x": best,
            "y": a * np.log1p(best / c),
            "mode": "markers",
            "name": "oracle's split",
            "marker": {
                "symbol": "diamond",
                "size": 12,
                "color": colors,
                "line": {"width": 1, "color": "black"},
            },
        }
    )
    if shares is not None:
        mine = _shares(shares, k) * budget
        data.append(
            {
                "type": "scatter",
                "x": mine,
                "y": a * np.log1p(mine / c),
                "mode": "markers",
                "name": "your split",
                "marker": {"symbol": "circle-open", "size": 14, "color": colors, "line": {"width": 3}},
            }
        )
    layout = {
        "xaxis": {"title": {"text": "budget given to the agent"}},
        "yaxis": {"title": {"text": "output"}},
    }
    return _figure(data, layout, "Diminishing returns: the first units help most")


def hand_split_figure(
    productivity: Sequence[float],
    scale: Sequence[float],
    budget: float,
    shares: Sequence[float],
    names: Sequence[str] | None = None,
) -> go.Figure:
    """Your split next to the oracle's: the allocation and the output of every agent.

    :param shares: your shares (any non-negative weights; they are normalised)
    """
    a = np.asarray(productivity, dtype=np.float64)
    c = np.asarray(scale, dtype=np.float64)
    k = len(a)
    names = _names(names, k)
    mine = _shares(shares, k) * budget
    best = water_fill(a, c, budget)
    out_mine = a * np.log1p(mine / c)
    out_best = a * np.log1p(best / c)
    total_mine, total_best = float(out_mine.sum()), float(split_value(a, c, best))
    you, oracle = "#4c78a8", method_color("oracle")
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": names,
            "y": mine,
            "name": "your split",
            "marker": {"color": you},
            "legendgroup": "you",
        },
        {
            "type": "bar",
            "x": names,
            "y": best,
            "name": "oracle",
            "marker": {"color": oracle},
            "legendgroup": "oracle",
        },
        {
            "type": "bar",
            "x": names,
            "y": out_mine,
            "name": "your split",
            "marker": {"color": you},
            "legendgroup": "you",
            "showlegend": False,
            "xaxis": "x2",
            "yaxis": "y2",
        },
        {
            "type": "bar",
            "x": names,
            "y": out_best,
            "name": "oracle",
            "marker": {"color": oracle},
            "legendgroup": "oracle",
            "showlegend": False,
            "xaxis": "x2",
            "yaxis": "y2",
        },
    ]
    layout = _panels(("allocation", "output"))
    layout["barmode"] = "group"
    share = 100.0 * total_mine / total_best if total_best > 0 else 100.0
    title = (
        f"Your split earns {total_mine:.2f}, the oracle's {total_best:.2f} "
        f"({share:.1f}% of the best; regret {total_best - total_mine:.2f})"
    )
    return _figure(data, layout, title)


def hand_split_from_weights(
    productivity: Sequence[float],
    scale: Sequence[float],
    names: Sequence[str],
    budget: float,
    **weights: float,
) -> go.Figure:
    """:func:`hand_split_figure` with one keyword per agent (``w_<name>``), as sliders give them."""
    shares = [float(weights[f"w_{n}"]) for n in names]
    return hand_split_figure(productivity, scale, budget, shares, names)


def oracle_budget_figure(
    productivity: Sequence[float],
    scale: Sequence[float],
    budget: float,
    max_budget: float,
    names: Sequence[str] | None = None,
    points: int = 97,
) -> go.Figure:
    """How the oracle's split changes with the budget (stacked), and what one more unit is worth.

    The right panel is the common marginal return ``lam`` of the active agents: agent ``i``
    joins when ``lam`` falls below its first unit's return ``a_i / c_i`` (its dotted line).
    """
    a = np.asarray(productivity, dtype=np.float64)
    c = np.asarray(scale, dtype=np.float64)
    k = len(a)
    names = _names(names, k)
    colors = agent_colors(k)
    grid = np.linspace(max_budget / (points - 1), max_budget, points - 1)
    x = water_fill(np.broadcast_to(a, (len(grid), k)), c, grid)
    # lam = the marginal return a_i / (c_i + x_i) of any active agent
    lam = np.max(a / (c + x), axis=1, where=x > 0, initial=0.0)
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": grid,
            "y": x[:, i],
            "mode": "lines",
            "stackgroup": "split",
            "name": names[i],
            "line": {"width": 0.5, "color": colors[i]},
            "fillcolor": colors[i],
        }
        for i in range(k)
    ]
    data.append(
        {
            "type": "scatter",
            "x": grid,
            "y": lam,
            "mode": "lines",
            "name": "marginal return",
            "line": {"color": "black"},
            "xaxis": "x2",
            "yaxis": "y2",
        }
    )
    for i in range(k):
        data.append(
            {
                "type": "scatter",
                "x": [0, max_budget],
                "y": [a[i] / c[i]] * 2,
                "mode": "lines",
                "showlegend": False,
                "line": {"color": colors[i], "dash": "dot", "width": 1},
                "hovertext": f"{names[i]} joins below {a[i] / c[i]:.2f}",
                "xaxis": "x2",
                "yaxis": "y2",
            }
        )
    layout = _panels(("the oracle's split", "value of one more unit"), widths=(0.62, 0.38))
    layout["shapes"] = [
        {
            "type": "line",
            "x0": budget,
            "x1": budget,
            "y0": 0,
            "y1": 1,
            "xref": ref,
            "yref": f"{yref} domain",
            "line": {"color": "black", "dash": "dash"},
        }
        for ref, yref in (("x", "y"), ("x2", "y2"))
    ]
    layout["xaxis"]["title"] = {"text": "budget per round"}
    layout["xaxis2"]["title"] = {"text": "budget per round"}
    layout["yaxis"]["title"] = {"text": "allocation"}
    layout["yaxis2"].update(title={"text": "output per extra unit"}, type="log")
    now = water_fill(a, c, budget)
    active = ", ".join(f"{n} {v:.1f}" for n, v in zip(names, now, strict=False) if v > 1e-9)
    return _figure(data, layout, f"Budget {budget:g}: the oracle gives {active}")


# ----------------------------------------------------------------------------------------------
# Notebook 03: feedback
# ----------------------------------------------------------------------------------------------


def _curve_traces(curves: Mapping[str, Any], axes: tuple[str, str] = ("x", "y")) -> list[dict[str, Any]]:
    out = []
    for name, curve in curves.items():
        y = np.asarray(curve, dtype=np.float64)
        if y.ndim == 2:
            y = y.mean(axis=0)
        out.append(
            {
                "type": "scatter",
                "x": np.arange(1, len(y) + 1),
                "y": y,
                "mode": "lines",
                "name": name,
                "line": {"color": learner_color(name), "width": 3 if name == "equal" else 2},
                "xaxis": axes[0],
                "yaxis": axes[1],
            }
        )
    return out


def _box_traces(
    runs: Mapping[str, Any], tail: float, axes: tuple[str, str] = ("x", "y")
) -> list[dict[str, Any]]:
    out = []
    for name, regret in runs.items():
        r = np.atleast_2d(np.asarray(regret, dtype=np.float64))
        last = max(1, int(round(r.shape[1] * tail)))
        color = learner_color(name)
        out.append(
            {
                "type": "box",
                "y": r[:, -last:].mean(axis=1),
                "name": name,
                "boxpoints": "all",
                "jitter": 0.4,
                "pointpos": 0,
                "marker": {"size": 4, "color": color},
                "line": {"color": color},
                "showlegend": False,
                "xaxis": axes[0],
                "yaxis": axes[1],
            }
        )
    return out


def regret_curves_figure(
    curves: Mapping[str, Any],
    title: str | None = "Regret per round (lower is better)",
    log_y: bool = False,
) -> go.Figure:
    """One line per learner: regret in every round, averaged over episodes.

    :param curves: name -> regret per round ``(rounds,)``, or per episode and round
        ``(episodes, rounds)`` (then averaged)
    """
    layout = {
        "xaxis": {"title": {"text": "round"}},
        "yaxis": {
            "title": {"text": "regret (output lost against the oracle)"},
            **({"type": "log"} if log_y else {"rangemode": "tozero"}),
        },
    }
    return _figure(_curve_traces(curves), layout, title)


def final_regret_figure(
    runs: Mapping[str, Any],
    tail: float = 0.2,
    title: str | None = None,
) -> go.Figure:
    """Regret at the end of every episode (the mean over its last ``tail`` of rounds), per learner.

    The spread shows what an average hides: a greedy learner is usually excellent but sometimes
    stuck, because an agent that looked weak early never gets budget again.

    :param runs: name -> regret per episode and round ``(episodes, rounds)``
    """
    layout = {
        "yaxis": {"title": {"text": "regret in the last rounds of each episode"}, "rangemode": "tozero"},
        "showlegend": False,
    }
    return _figure(
        _box_traces(runs, tail),
        layout,
        title or f"Where each episode ended (mean regret over its last {int(tail * 100)}% of rounds)",
    )


def allocation_figure(
    shares: Any,
    names: Sequence[str],
    divisions: Sequence[tuple[str, Sequence[int]]] = (),
    oracle_shares: Any = None,
    title: str | None = None,
) -> go.Figure:
    """The split of one episode, round by round (stacked shares), beside the oracle's.

    With divisions, each division's teams share a color family and a dashed line marks the
    boundary between divisions (the upper level's decision), so both levels are visible.

    :param shares: ``(rounds, K)``
    :param oracle_shares: ``(rounds, K)``, drawn in a second panel if given
    """
    s = np.asarray(shares, dtype=np.float64)
    k = s.shape[1]
    colors = agent_colors(k, divisions)
    order = [i for _, members in divisions for i in members] or list(range(k))
    panels = [("the manager's split", s)]
    if oracle_shares is not None:
        panels.append(("the oracle's split", np.asarray(oracle_shares, dtype=np.float64)))
    rounds = np.arange(1, s.shape[0] + 1)
    data: list[dict[str, Any]] = []
    for col, (_, values) in enumerate(panels, start=1):
        sx = "" if col == 1 else str(col)
        for i in order:
            data.append(
                {
                    "type": "scatter",
                    "x": rounds,
                    "y": values[:, i],
                    "mode": "lines",
                    "stackgroup": f"s{col}",
                    "name": names[i],
                    "legendgroup": names[i],
                    "showlegend": col == 1,
                    "line": {"width": 0.5, "color": colors[i]},
                    "fillcolor": colors[i],
                    "xaxis": f"x{sx}",
                    "yaxis": f"y{sx}",
                }
            )
        edge = np.zeros(len(rounds))
        for d, (dname, members) in enumerate(divisions[:-1]):
            edge = edge + values[:, list(members)].sum(axis=1)
            data.append(
                {
                    "type": "scatter",
                    "x": rounds,
                    "y": edge,
                    "mode": "lines",
                    "name": f"{dname} | {divisions[d + 1][0]}",
                    "legendgroup": f"div{d}",
                    "showlegend": col == 1,
                    "line": {"color": "black", "dash": "dash", "width": 2},
                    "xaxis": f"x{sx}",
                    "yaxis": f"y{sx}",
                }
            )
    layout = _panels([p[0] for p in panels], shared_y=True)
    for col in range(1, len(panels) + 1):
        sx = "" if col == 1 else str(col)
        layout[f"xaxis{sx}"]["title"] = {"text": "round"}
    layout["yaxis"].update(title={"text": "share of the round's budget"}, range=[0, 1])
    return _figure(data, layout, title or "How the budget was split, round by round")


@lru_cache(maxsize=64)
def _cached_runs(
    scenario: Any,
    names: tuple[str, ...],
    episodes: int,
    seed: int,
    budget: Any,
    overrides: tuple[tuple[str, Any], ...],
) -> dict[str, dict[str, np.ndarray]]:
    return run_managers(names, scenario, episodes=episodes, seed=seed, budget=budget, **dict(overrides))


def learner_runs(
    scenario: Any = "drift",
    names: Sequence[str] = tuple(LEARNERS),
    episodes: int = 24,
    seed: int = 0,
    budget: float | None = None,
    **overrides: Any,
) -> dict[str, dict[str, np.ndarray]]:
    """:func:`hbkit.managers.split.run_managers`, remembered (a slider that comes back to a value
    redraws at once). ``None`` overrides are dropped."""
    clean = tuple(sorted((k, v) for k, v in overrides.items() if v is not None))
    names = tuple(sequence_of(names, "learner_runs: names", "manager names"))
    if not isinstance(scenario, str):  # a loaded Scenario is not hashable: no memory
        return run_managers(names, scenario, episodes=episodes, seed=seed, budget=budget, **dict(clean))
    return _cached_runs(scenario, names, int(episodes), int(seed), budget, clean)


def feedback_figure(
    scenario: Any = "drift",
    noise: float | None = None,
    drift: float | None = None,
    budget: float | None = None,
    episodes: int = 24,
    seed: int = 0,
    names: Sequence[str] = tuple(LEARNERS),
    rounds: int | None = None,
) -> go.Figure:
    """Run the learners on ``episodes`` episodes of a scenario (with the given noise, drift and
    budget) and draw their regret per round and where each episode ended."""
    runs = learner_runs(scenario, names, episodes, seed, budget, noise=noise, drift=drift, rounds=rounds)
    regret = {n: r["regret"] for n, r in runs.items()}
    data = _curve_traces(regret) + _box_traces(regret, 0.2, ("x2", "y2"))
    layout = _panels(
        ("regret per round (mean of episodes)", "regret at the end of each episode"), widths=(0.6, 0.4)
    )
    layout["xaxis"]["title"] = {"text": "round"}
    layout["yaxis"].update(title={"text": "regret"}, rangemode="tozero")
    layout["yaxis2"]["rangemode"] = "tozero"
    mean = {n: float(r.mean()) for n, r in regret.items()}
    best = min((n for n in mean if n != "equal"), key=lambda n: mean[n], default=None)
    parts = [
        f"noise {noise:g}" if noise is not None else None,
        f"drift {drift:g}" if drift is not None else None,
        f"budget {budget:g}" if budget is not None else None,
    ]
    setting = ", ".join(p for p in parts if p)
    head = f"{setting}: " if setting else ""
    title = head
    if best:
        equal = mean.get("equal", float("nan"))
        title += f"best learner {best} (mean regret {mean[best]:.3f}; equal split {equal:.3f})"
    return _figure(data, layout, title, height=420)


@lru_cache(maxsize=16)
def _recorded(scenario: str, episodes: int, seed: int) -> dict[str, dict[str, np.ndarray]]:
    return run_managers(tuple(LEARNERS), scenario, episodes=episodes, seed=seed, record=True)


def episode_allocation_figure(
    scenario: Any = "divisions",
    name: str = "greedy",
    episode: int = 0,
    episodes: int = 8,
    seed: int = 0,
) -> go.Figure:
    """:func:`allocation_figure` for one episode of one learner (runs are remembered)."""
    if isinstance(scenario, str):
        runs = _recorded(scenario, int(episodes), int(seed))
    else:
        runs = run_managers(tuple(LEARNERS), scenario, episodes=episodes, seed=seed, record=True)
    if name not in runs:
        raise ValueError(f"unknown learner {name!r}; allowed: {', '.join(runs)}")
    w = world_of(scenario)
    r = runs[name]
    e = int(episode) % r["shares"].shape[0]
    regret = float(r["regret"][e].mean())
    return allocation_figure(
        r["shares"][e],
        w.names,
        w.divisions,
        r["oracle_shares"][e],
        title=f"{name}, episode {e}: mean regret {regret:.3f} per round",
    )
