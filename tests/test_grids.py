"""Precomputed grids: the command's functions, the JSON round trip, the figures and widgets over them."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from hbkit.grids import find_grid, load_grid, mean_ci, reasoning_grid, team_grid
from hbkit.viz.grids import grid_point, reasoning_grid_figure, team_grid_figure


def test_mean_ci():
    assert mean_ci([2.0]) == (2.0, 0.0)
    m, h = mean_ci([1.0, 2.0, 3.0])
    assert m == pytest.approx(2.0) and h == pytest.approx(4.303 * 1.0 / 3**0.5, rel=1e-3)


@pytest.fixture(scope="module")
def small_team_grid():
    return team_grid(fees=(0.0, 0.05), memories=(100,), expenses=(0.05, 0.2), episodes=4, seeds=2)


def test_team_grid_moves_with_its_settings(small_team_grid, tmp_path):
    g = json.loads(json.dumps(small_team_grid))  # plain JSON
    assert len(g["points"]) == 4 and {"greedy", "cloud-only"} <= set(g["points"][0]["results"])
    tight = grid_point(g, fee=0.0, memory=100, expense=0.05)["results"]["cloud-only"]["expense_spent"][0]
    loose = grid_point(g, fee=0.0, memory=100, expense=0.2)["results"]["cloud-only"]["expense_spent"][0]
    assert tight <= 0.05 + 1e-9 and loose > tight  # the expense budget reaches the managers
    fig = team_grid_figure(g, 0.05, 100, 0.2)
    assert "hiring fee $0.05" in fig.layout.title.text and len(fig.data) == 1 + len(g["points"][0]["results"])
    path = tmp_path / "team_grid.json"
    path.write_text(json.dumps(g))
    assert load_grid(path)["kind"] == "team"
    with pytest.raises(KeyError, match="no grid point"):
        grid_point(g, fee=0.3, memory=100, expense=0.2)
    # a missing axis used to pick the first point that matched the others, whatever its budget
    with pytest.raises(KeyError, match="expense"):
        grid_point(g, fee=0.0, memory=100)
    with pytest.raises(KeyError, match="budget"):
        grid_point(g, fee=0.0, memory=100, budget=0.2)


def test_team_grid_widget(small_team_grid, tmp_path):
    from hbkit.viz.common import control_values
    from hbkit.viz.grid_widgets import team_grid_explorer

    path = tmp_path / "team_grid.json"
    path.write_text(json.dumps(small_team_grid))
    live = team_grid_explorer(path, widget_factory=go.Figure)
    for key, control in live.controls.items():
        values = control_values(control, n=1)
        if not values:  # an axis with a single value
            continue
        before = live.figure.to_json()
        control.value = values[-1]
        assert live.figure.to_json() != before, key


def test_reasoning_grid_and_figure():
    g = reasoning_grid(
        alphas=(1 / 4096,),
        budget_sets=((512, 2560),),
        advantage_modes=("hbpo", "grpo"),
        iterations=1,
        episodes=20,
        seeds=1,
    )
    assert [p["advantage"] for p in g["points"]] == ["hbpo", "grpo"]
    fig = reasoning_grid_figure(g, 1 / 4096, 2, "grpo")
    assert "advantage grpo" in fig.layout.title.text
    # one seed has no interval (mean_ci stores 0): the figure must not draw a zero-width one
    this = fig.data[-1]
    assert this.error_x.visible is False and this.error_y.visible is False


def test_team_grid_figure_draws_intervals_only_over_seeds(small_team_grid):
    g = json.loads(json.dumps(small_team_grid))
    assert g["seeds"] == 2 and team_grid_figure(g, 0.0, 100, 0.05).data[0].error_y.visible is not False
    g["seeds"] = 1  # as team_grid(seeds=1) writes it: every half-width is 0
    bars = team_grid_figure(g, 0.0, 100, 0.05).data[0]
    assert bars.error_y.visible is False


def test_load_grid_refuses_other_json(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"a": 1}')
    with pytest.raises(ValueError, match="not an hbkit grid"):
        load_grid(bad)


def test_find_grid_env(tmp_path, monkeypatch):
    (tmp_path / "team_grid.json").write_text("{}")
    monkeypatch.setenv("HBKIT_GRIDS", str(tmp_path))
    assert find_grid("team") == tmp_path / "team_grid.json"


def test_hierarchy_meanings_figure():
    from hbkit.viz.concepts import hierarchy_meanings_figure

    fig = hierarchy_meanings_figure()
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "HASHIRU" in texts and "HBPO" in texts and len(fig.data) == 2


@pytest.mark.parametrize("kind", ["team", "reasoning"])
def test_shipped_grid_has_a_point_for_every_slider_position(kind):
    """The notebooks' sliders pick points of the shipped grids: each combination of the axes must be
    there, with the command that regenerates the file."""
    import itertools

    path = find_grid(kind)
    assert path is not None and path.parent.name == "data", f"no shipped {kind} grid"
    g = load_grid(path)
    assert g["command"].startswith(f"python -m hbkit.grids {kind} --out notebooks/data/{kind}_grid.json")
    axes = g["axes"]
    for values in itertools.product(*axes.values()):
        point = grid_point(g, **dict(zip(axes, values, strict=True)))
        for metrics in point["results"].values():
            assert all(len(v) == 2 and v[1] >= 0 for v in metrics.values())


def test_shipped_reasoning_grid_is_trained_as_the_scenario_says():
    from hbkit.scenarios import load_scenario

    g = load_grid(find_grid("reasoning"))
    assert g["iterations"] == load_scenario(g["scenario"])["train"]["iterations"]
    assert g["seeds"] >= 3


def test_evaluate_budgets_plays_every_budget_on_the_same_streams():
    """One VectorEnv run for a whole budget list (Team): each report is its budget's, deterministic,
    and a richer budget never spends less on the same streams for a manager that ignores money."""
    import gymnasium as gym

    from hbkit.evaluate import evaluate_budgets
    from hbkit.managers.team import make_managers

    ms = make_managers(gym.make("hbkit/Team-v0", scenario="hashiru"))
    budgets = [0.05, 0.1, 0.2]
    a = evaluate_budgets(ms["feedback"], "hbkit/Team-v0", budgets, scenario="hashiru", episodes=12, seed=4)
    b = evaluate_budgets(ms["feedback"], "hbkit/Team-v0", budgets, scenario="hashiru", episodes=12, seed=4)
    assert a == b
    assert [r["budget"] for r in a] == budgets and all(r["episodes"] == 12 for r in a)
    assert all(r["expense_spent"] <= bud + 1e-12 for r, bud in zip(a, budgets, strict=True))
    # the clairvoyant router uses more money when it has more: the rows did get their own budgets
    c = evaluate_budgets(ms["clairvoyant"], "hbkit/Team-v0", budgets, scenario="hashiru", episodes=12, seed=4)
    spent = [r["expense_spent"] for r in c]
    assert spent[0] < spent[-1]


def test_evaluate_budgets_gives_an_unbatched_manager_the_same_streams():
    """A manager that takes one observation at a time (run on the single env) faces the same task
    streams as a batched one: the same decisions give the same numbers at every budget."""
    import gymnasium as gym

    from hbkit.evaluate import evaluate_budgets
    from hbkit.managers.team import make_managers

    greedy = make_managers(gym.make("hbkit/Team-v0", scenario="hashiru"))["greedy"]

    def one_at_a_time(obs, info):
        return greedy(obs, info)

    one_at_a_time.wants_info = True  # type: ignore[attr-defined]
    budgets = [0.05, 0.2]
    batched = evaluate_budgets(greedy, "hbkit/Team-v0", budgets, episodes=6, seed=4)
    single = evaluate_budgets(one_at_a_time, "hbkit/Team-v0", budgets, episodes=6, seed=4)
    for a, b in zip(batched, single, strict=True):
        assert {**a, "agent": ""} == {**b, "agent": ""}


def test_evaluate_budgets_takes_default_as_evaluate_does():
    """ "default" (the scenario decides) works for batched and one-observation managers alike."""
    import gymnasium as gym

    from hbkit.evaluate import evaluate_budgets
    from hbkit.managers.team import make_managers

    greedy = make_managers(gym.make("hbkit/Team-v0", scenario="hashiru"))["greedy"]

    def one_at_a_time(obs, info):
        return greedy(obs, info)

    one_at_a_time.wants_info = True  # type: ignore[attr-defined]
    for agent in (greedy, one_at_a_time):
        [default, scenarios] = evaluate_budgets(agent, "hbkit/Team-v0", ["default", 0.2], episodes=3, seed=1)
        assert default["budget"] == "default" and default["budget_mean"] == pytest.approx(0.2)  # hashiru
        assert {**default, "budget": 0.2} == scenarios


def test_evaluate_budgets_falls_back_to_one_evaluate_per_budget():
    """Worlds without a per-env problem seed (Split) get exactly what evaluate gives per budget."""
    import gymnasium as gym

    from hbkit.errors import ConfigError
    from hbkit.evaluate import evaluate, evaluate_budgets
    from hbkit.managers.split import MANAGERS

    greedy = MANAGERS["greedy"](gym.make("hbkit/Split-v0", scenario="classroom"))
    reports = evaluate_budgets(
        greedy, "hbkit/Split-v0", ["default"], scenario="classroom", episodes=4, seed=2
    )
    assert reports == [evaluate(greedy, "hbkit/Split-v0", scenario="classroom", episodes=4, seed=2)]
    with pytest.raises(ConfigError, match="budgets is empty"):
        evaluate_budgets(greedy, "hbkit/Split-v0", [], scenario="classroom")


@pytest.mark.parametrize("budgets", [[[0.1, 0.2]], [np.array([0.1, 0.2])], 0.1, "0.1"], ids=repr)
def test_evaluate_budgets_refuses_what_is_not_a_list_of_budgets(budgets):
    """A nested list used to run every row at its first budget under the label of the whole list."""
    import gymnasium as gym

    from hbkit.errors import ConfigError
    from hbkit.evaluate import evaluate_budgets
    from hbkit.managers.team import make_managers

    greedy = make_managers(gym.make("hbkit/Team-v0", scenario="hashiru"))["greedy"]
    with pytest.raises(ConfigError, match="budgets.*allowed"):
        evaluate_budgets(greedy, "hbkit/Team-v0", budgets, episodes=2)


def test_a_failed_evaluation_leaves_the_grid_as_it_was():
    """add_to_grid adds an agent at every point or nowhere: an agent that fails at one memory must
    not leave a grid whose points silently disagree on which agents they hold."""
    import copy

    import gymnasium as gym

    from hbkit.grids import add_to_grid, budget_memory_grid
    from hbkit.managers.team import make_managers

    greedy = make_managers(gym.make("hbkit/Team-v0", scenario="hashiru"))["greedy"]
    grid = budget_memory_grid({"greedy": greedy}, (0.1, 0.2), (50, 100), episodes=2, seed=1)
    before = copy.deepcopy(grid)

    def fails_at_large_memory(obs, info):  # the second memory of the grid, after the first worked
        if info["memory_used"][0] + info["memory_free"][0] >= 100:
            raise RuntimeError("this manager cannot use 100 units")
        return greedy(obs, info)

    fails_at_large_memory.batched = True  # type: ignore[attr-defined]
    fails_at_large_memory.wants_info = True  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="cannot use 100 units"):
        add_to_grid(grid, {"fragile": fails_at_large_memory})
    assert grid == before


def test_evaluate_budgets_refuses_a_single_budget_or_string():
    import gymnasium as gym

    from hbkit.errors import ConfigError
    from hbkit.evaluate import evaluate_budgets
    from hbkit.managers.team import make_managers

    greedy = make_managers(gym.make("hbkit/Team-v0", scenario="hashiru"), ["greedy"])["greedy"]
    for bad in ("0.1", 0.1):
        with pytest.raises(ConfigError, match=r"budgets: budgets is .*0\.1.*allowed: a list or tuple"):
            evaluate_budgets(greedy, "hbkit/Team-v0", bad, episodes=2)
