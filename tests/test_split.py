"""Tests of the Split world: API, budgets, the oracle, the learners, scenarios, figures, CLI."""

from __future__ import annotations

import itertools
import json

import gymnasium as gym
import numpy as np
import pytest

import hbkit  # noqa: F401  (registers the environments)
from hbkit.envs.checks import api_test
from hbkit.errors import OptionError
from hbkit.evaluate import compare as _compare
from hbkit.managers import available
from hbkit.managers.split import MANAGERS, run_managers, split_value, water_fill
from hbkit.scenarios import ScenarioError, load_scenario

ENV = "hbkit/Split-v0"


def compare(names, scenario, **kwargs):
    return _compare(ENV, names, scenario, **kwargs)


# ----------------------------------------------------------------------------------------------
# API
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["classroom", "drift", "divisions"])
def test_api(scenario):
    api_test(ENV, scenario=scenario)


def test_api_policy_rule():
    sc = load_scenario("divisions").with_overrides({"world.division_rule": "policy"})
    api_test(ENV, scenario=sc)
    env = gym.make(ENV, scenario=sc)
    assert env.action_space.shape == (2 + 6,)


def _trajectory(seed, steps=80, scenario="drift"):
    env = gym.make(ENV, scenario=scenario)
    rng = np.random.default_rng(7)
    obs, info = env.reset(seed=seed)
    out = [obs]
    for _ in range(steps):
        obs, r, term, trunc, info = env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
        out += [obs, np.array([r]), info["allocation"], info["productivity"]]
        if term:
            obs, info = env.reset()
            out.append(obs)
    return out


def test_deterministic_for_a_seed():
    a, b, c = _trajectory(3), _trajectory(3), _trajectory(4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=False))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=False))


def test_vector_env_matches_its_episodes_and_autoresets():
    vec = gym.make_vec(ENV, num_envs=5, vectorization_mode="vector_entry_point")
    rounds = vec.unwrapped.world.rounds
    obs, _ = vec.reset(seed=0)
    for t in range(rounds):
        obs, r, term, trunc, info = vec.step(np.zeros((5, 4), np.float32))
        assert term.all() == (t == rounds - 1) and not trunc.any()
    assert info["regret_curve"].shape == (5, rounds)
    obs, r, term, _, info = vec.step(np.zeros((5, 4), np.float32))  # NEXT_STEP: the restart
    assert (obs[:, 0] == 0).all() and (r == 0).all() and not term.any()


@pytest.mark.parametrize("scenario", ["classroom", "drift"])
def test_single_env_steps_like_a_batch_of_one(scenario):
    # the single Env steps in plain floats (SplitBatch.step_one), the VectorEnv in NumPy: same math
    env = gym.make(ENV, scenario=scenario)
    vec = gym.make_vec(ENV, num_envs=1, vectorization_mode="vector_entry_point", scenario=scenario)
    obs1, _ = env.reset(seed=5)
    obs2, _ = vec.reset(seed=5)
    np.testing.assert_array_equal(obs1, obs2[0])
    rng = np.random.default_rng(0)
    for _ in range(env.unwrapped.world.rounds):
        a = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        obs1, r1, _, _, info1 = env.step(a)
        obs2, r2, _, _, info2 = vec.step(a[None])
        np.testing.assert_allclose(obs1, obs2[0], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose([r1, info1["regret"]], [r2[0], info2["regret"][0]], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(info1["allocation"], info2["allocation"][0], rtol=1e-12)
    np.testing.assert_allclose(info1["regret_curve"], info2["regret_curve"][0], rtol=1e-9, atol=1e-12)
    b = env.unwrapped._batch
    np.testing.assert_allclose(b.estimate, vec.unwrapped._batch.estimate, rtol=1e-9)


# ----------------------------------------------------------------------------------------------
# Budgets: shares sum to one, spending is exact
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["classroom", "divisions"])
def test_spending_is_exact(scenario):
    env = gym.make(ENV, scenario=scenario)
    w = env.unwrapped.world
    rng = np.random.default_rng(0)
    for budget in (None, 7, 13.5):
        obs, info = env.reset(seed=1, options={"budget": budget})
        b = w.budget if budget is None else budget
        initial = w.rounds * b
        assert info["budget_spent"] == 0 and info["budget_left"] == initial
        done = False
        while not done:
            action = rng.uniform(-3, 3, env.action_space.shape)  # out of range: clipped
            obs, _, done, _, info = env.step(action)
            assert np.isclose(info["allocation"].sum(), b, rtol=1e-12)
            assert (info["allocation"] >= 0).all()
            shares = obs[w.obs_index["shares"]]
            assert abs(float(shares.sum()) - 1.0) < 1e-6
            assert info["budget_spent"] + info["budget_left"] == initial
            assert info["budget_left"] >= 0
            assert info["budget_spent"] == info["round"] * b
        assert info["budget_left"] == 0 and info["budget_spent"] == initial


def test_vector_spending_is_exact():
    vec = gym.make_vec(ENV, num_envs=64, vectorization_mode="vector_entry_point")
    budgets = np.arange(1, 65, dtype=float) * 0.75
    obs, info = vec.reset(seed=0, options={"budget": list(budgets)})
    rng = np.random.default_rng(1)
    for _ in range(vec.unwrapped.world.rounds):
        obs, _, _, _, info = vec.step(rng.uniform(-1, 1, (64, 4)))
        np.testing.assert_allclose(info["allocation"].sum(axis=1), budgets, rtol=1e-12)
        np.testing.assert_array_equal(
            info["budget_spent"] + info["budget_left"], vec.unwrapped.world.rounds * budgets
        )


def test_out_of_range_actions_are_clipped():
    env = gym.make(ENV)
    env.reset(seed=0)
    _, _, _, _, a = env.step(np.array([5.0, -7.0, 0.5, 1.0]))
    env.reset(seed=0)
    _, _, _, _, b = env.step(np.array([1.0, -1.0, 0.5, 1.0]))
    np.testing.assert_array_equal(a["allocation"], b["allocation"])


# ----------------------------------------------------------------------------------------------
# The oracle
# ----------------------------------------------------------------------------------------------


def _grid_best(a, c, budget, steps):
    """Brute force: every split on a grid of the simplex with ``steps`` units."""
    k = len(a)
    cuts = np.array(list(itertools.combinations(range(steps + k - 1), k - 1)))  # stars and bars
    edges = np.concatenate(
        [np.full((len(cuts), 1), -1), cuts, np.full((len(cuts), 1), steps + k - 1)], axis=1
    )
    parts = np.diff(edges, axis=1) - 1
    return float(split_value(a, c, parts * budget / steps).max())


@pytest.mark.parametrize("k,steps", [(2, 4000), (3, 300)])
def test_oracle_matches_brute_force(k, steps):
    rng = np.random.default_rng(k)
    for _ in range(6):
        a = rng.uniform(0.2, 5.0, k)
        c = rng.uniform(0.3, 3.0, k)
        budget = rng.uniform(0.5, 20.0)
        x = water_fill(a, c, budget)
        assert np.isclose(x.sum(), budget) and (x >= 0).all()
        value = float(split_value(a, c, x))
        grid = _grid_best(a, c, budget, steps)
        assert value >= grid - 1e-12  # the closed form is never beaten by the grid...
        assert value - grid < 2e-3 * value  # ...and the grid comes close to it


def test_oracle_satisfies_equal_marginal_returns():
    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 4.0, (500, 6))
    c = rng.uniform(0.5, 3.0, 6)
    budget = rng.uniform(0.5, 30.0, 500)
    x = water_fill(a, c, budget)
    slope = a / (c + x)
    lam = np.where(x > 0, slope, -np.inf).max(axis=1, keepdims=True)
    active = x > 1e-9
    np.testing.assert_allclose(np.where(active, slope, lam), np.broadcast_to(lam, slope.shape), rtol=1e-9)
    assert (a / c <= lam * (1 + 1e-9))[~active].all()  # nobody left out would earn more
    # and random splits never do better
    for _ in range(50):
        y = rng.dirichlet(np.ones(6), 500) * budget[:, None]
        assert (split_value(a, c, y) <= split_value(a, c, x) + 1e-12).all()


def test_oracle_manager_has_almost_no_regret():
    report = compare(["oracle", "equal"], "classroom", episodes=16, seed=0)
    assert report["oracle"]["regret"] < 0.01 * report["equal"]["regret"]


# ----------------------------------------------------------------------------------------------
# The learners
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def classroom_runs():
    return run_managers(None, "classroom", episodes=96, seed=11, rounds=72)


@pytest.mark.parametrize("name", ["follow-last", "greedy", "ucb", "thompson", "exp-grad"])
def test_learners_beat_the_equal_split(classroom_runs, name):
    assert classroom_runs[name]["regret"].mean() < 0.5 * classroom_runs["equal"]["regret"].mean()


@pytest.mark.parametrize("name", ["greedy", "ucb", "thompson", "exp-grad"])
def test_feedback_learners_keep_improving(classroom_runs, name):
    curve = classroom_runs[name]["regret"].mean(axis=0)
    early, middle, late = curve[1:13].mean(), curve[24:48].mean(), curve[48:].mean()
    assert late < middle < early
    assert late < 0.1 * curve[0]


def test_best_learner_far_below_equal_on_classroom():
    report = compare(None, "classroom", episodes=64, seed=2)
    best = min(r["regret"] for n, r in report.items() if n not in ("equal", "oracle"))
    assert best * 5 <= report["equal"]["regret"]


def test_exploration_avoids_getting_stuck():
    runs = run_managers(["greedy", "thompson"], "classroom", episodes=200, seed=3, noise=2.0, rounds=100)
    end = {n: r["regret"][:, -20:].mean(axis=1) for n, r in runs.items()}
    assert np.quantile(end["thompson"], 0.95) < np.quantile(end["greedy"], 0.95)


def test_managers_are_batched_and_single():
    env = gym.make(ENV, scenario="drift")
    obs, info = env.reset(seed=0)
    for name, factory in available(ENV).items():
        m = factory(env)
        a = m(obs, info) if getattr(m, "wants_info", False) else m(obs)
        assert env.action_space.contains(a), name


def test_action_from_shares_round_trip():
    for scenario, rule in (("classroom", None), ("divisions", "policy"), ("divisions", "equal")):
        env = gym.make(ENV, scenario=scenario, division_rule=rule)
        w = env.unwrapped.world
        target = np.random.default_rng(0).dirichlet(np.ones(w.num_agents), 8) * 0.9 + 0.1 / w.num_agents
        action = w.action_from_shares(target)
        got = w.allocate(
            action.astype(np.float64), np.ones(8), np.ones((8, w.num_agents)), np.ones((8, w.num_agents))
        )
        if rule == "equal":  # only the divisions' totals are the manager's
            np.testing.assert_allclose(got @ w.membership, target @ w.membership, rtol=1e-5)
        else:
            np.testing.assert_allclose(got, target, rtol=1e-5)


def test_hierarchy_costs_what_its_heads_cost():
    regret = {
        rule: compare(["oracle"], "divisions", episodes=16, seed=0, division_rule=rule)["oracle"]["regret"]
        for rule in ("oracle", "estimate", "equal")
    }
    assert regret["oracle"] < 0.01 < regret["estimate"] < regret["equal"]


# ----------------------------------------------------------------------------------------------
# evaluate
# ----------------------------------------------------------------------------------------------


def test_evaluate_report():
    from hbkit.evaluate import evaluate

    env = gym.make(ENV, scenario="drift")
    report = evaluate(MANAGERS["ucb"](env), ENV, scenario="drift", episodes=20, seed=5)
    for key in ("reward", "regret", "regret_curve", "final_regret", "relative_regret", "oracle_reward"):
        assert key in report
    assert len(report["regret_curve"]) == 52
    assert np.isclose(np.mean(report["regret_curve"]), report["regret"])
    json.dumps(report)

    class OneAtATime:  # a manager with reset() runs on the single env
        def __init__(self):
            self.inner = MANAGERS["greedy"](env)
            self.resets = 0

        def reset(self):
            self.resets += 1

        def __call__(self, obs):
            return self.inner(obs)

    m = OneAtATime()
    single = evaluate(m, ENV, scenario="drift", episodes=3, seed=5)
    assert m.resets == 3 and len(single["regret_curve"]) == 52


def test_budget_option_reaches_the_report():
    from hbkit.evaluate import evaluate

    env = gym.make(ENV)
    report = evaluate(MANAGERS["equal"](env), ENV, episodes=4, budget=24)
    assert report["budget_spent"] == 24 * 36


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad,msg",
    [
        (np.array([np.nan, 0, 0, 0]), "entry 0"),
        (np.array([0, 0, np.inf, 0]), "entry 2"),
        (np.zeros(3), "shape"),
        (np.zeros((4, 2)), "shape"),
        ("abc", "numbers"),
        ([0.0, 0.0, None, 0.0], "entry 2"),
    ],
)
def test_bad_actions_raise_and_change_nothing(bad, msg):
    env = gym.make(ENV)
    obs, _ = env.reset(seed=0)
    env.step(np.zeros(4))
    before = env.unwrapped._batch.observe().copy()
    with pytest.raises(ValueError, match=msg):
        env.step(bad)
    assert env.unwrapped._batch.round == 1
    np.testing.assert_array_equal(env.unwrapped._batch.observe(), before)


def test_vector_bad_actions():
    vec = gym.make_vec(ENV, num_envs=3, vectorization_mode="vector_entry_point")
    vec.reset(seed=0)
    bad = np.zeros((3, 4))
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"entry \(1, 2\)"):
        vec.step(bad)
    with pytest.raises(ValueError, match="shape"):
        vec.step(np.zeros((2, 4)))


def test_step_before_reset_and_after_the_end():
    env = gym.make(ENV).unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(4))
    env.reset(seed=0)
    for _ in range(env.world.rounds):
        env.step(np.zeros(4))
    with pytest.raises(RuntimeError, match="ended"):
        env.step(np.zeros(4))


@pytest.mark.parametrize("budget", [0, -1, 1000, True, "12", float("nan")])
def test_bad_budget_option(budget):
    env = gym.make(ENV)
    with pytest.raises(ValueError, match="max_budget"):
        env.reset(seed=0, options={"budget": budget})


def test_productivity_option():
    env = gym.make(ENV)
    _, info = env.reset(seed=0, options={"productivity": [1, 2, 3, 4]})
    np.testing.assert_array_equal(info["productivity"], [1, 2, 3, 4])
    with pytest.raises(OptionError, match=r"entry 2 is -3.0; allowed: .*0.025 <= a <= 80"):
        env.reset(seed=0, options={"productivity": [1, 2, -3, 4]})
    with pytest.raises(ValueError, match="shape"):
        env.reset(seed=0, options={"productivity": [1, 2]})


GOOD = """
[scenario]
name = "tiny"
env = "hbkit/Split-v0"

[world]
rounds = 5
budget = 4.0
max_budget = 8.0
noise = 0.1
prior_sd = 1.0

[agents]
names = ["a", "b", "c"]
productivity = [1.0, 2.0, 3.0]
scale = [1.0, 1.0, 1.0]
"""


@pytest.mark.parametrize(
    "old,new,field,allowed",
    [
        ("noise = 0.1", "noise = -0.1", "world.noise", "0.0 <= value"),
        ("budget = 4.0", "budget = 9.0", "world.budget", "budget <= world.max_budget"),
        (
            "productivity = [1.0, 2.0, 3.0]",
            "productivity = [1.0, 2.0]",
            "agents.productivity",
            "as many items as 'names'",
        ),
        ("scale = [1.0, 1.0, 1.0]", "scale = [1.0, 0.0, 1.0]", "agents.scale[1]", "0.0 < value"),
        ('names = ["a", "b", "c"]', 'names = ["a", "b", "a"]', "agents.names[2]", "distinct names"),
        ("rounds = 5", "rounds = 2.5", "world.rounds", "an integer"),
        ("noise = 0.1", "noise = 0.1\nnoize = 2", "world.noize", "the fields"),
        ("noise = 0.1", 'noise = 0.1\ndivision_rule = "vote"', "world.division_rule", "'estimate'"),
    ],
)
def test_scenario_errors_name_file_field_allowed(tmp_scenario, old, new, field, allowed):
    path = tmp_scenario(GOOD.replace(old, new))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.field == field and str(path) in str(err.value)
    assert allowed in str(err.value)


@pytest.mark.parametrize(
    "divisions,field,allowed",
    [
        ('[[divisions]]\nname = "x"\nmembers = ["a", "b", "c"]\n', "divisions", "at least 2 divisions"),
        (
            '[[divisions]]\nname = "x"\nmembers = ["a", "z"]\n'
            '[[divisions]]\nname = "y"\nmembers = ["b", "c"]\n',
            "divisions[0].members[1]",
            "one of agents.names",
        ),
        (
            '[[divisions]]\nname = "x"\nmembers = ["a", "b"]\n'
            '[[divisions]]\nname = "y"\nmembers = ["b", "c"]\n',
            "divisions[1].members[0]",
            "exactly one division",
        ),
        (
            '[[divisions]]\nname = "x"\nmembers = ["a"]\n[[divisions]]\nname = "y"\nmembers = ["b"]\n',
            "divisions",
            "exactly one division",
        ),
    ],
)
def test_division_errors(tmp_scenario, divisions, field, allowed):
    path = tmp_scenario(GOOD + "\n" + divisions)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.field == field and allowed in str(err.value)


def test_good_scenario_and_overrides(tmp_scenario):
    env = gym.make(ENV, scenario=str(tmp_scenario(GOOD)), noise=0.3, rounds=9)
    w = env.unwrapped.world
    assert (w.num_agents, w.rounds, w.noise) == (3, 9, 0.3)
    with pytest.raises(ScenarioError, match="world.noise"):
        gym.make(ENV, noise=-1.0)


def test_render_ansi():
    env = gym.make(ENV, render_mode="ansi")
    env.reset(seed=0)
    env.step(np.zeros(4))
    text = env.render()
    assert "round 1/36" in text and "ada" in text


# ----------------------------------------------------------------------------------------------
# Figures and dashboards (no browser)
# ----------------------------------------------------------------------------------------------


def test_figures():
    import plotly.graph_objects as go

    from hbkit.viz import split as vs

    a, c = [4, 2, 1, 0.5], [2, 3, 1.5, 2]
    assert isinstance(vs.returns_figure(a, c, 12, shares=[1, 1, 1, 1]), go.Figure)
    fig = vs.hand_split_figure(a, c, 12, [1, 1, 1, 1])
    assert "regret" in fig.layout.title.text
    fig = vs.oracle_budget_figure(a, c, 12, 48)
    assert len([t for t in fig.data if t.stackgroup]) == 4
    runs = run_managers(["equal", "greedy"], "divisions", episodes=2, record=True)
    w = vs.world_of("divisions")
    fig = vs.allocation_figure(
        runs["greedy"]["shares"][0], w.names, w.divisions, runs["greedy"]["oracle_shares"][0]
    )
    assert len(fig.data) == 2 * (6 + 1)  # six teams and one division boundary, in two panels
    fig = vs.feedback_figure("classroom", noise=0.5, episodes=4, names=("equal", "greedy"))
    assert "best learner greedy" in fig.layout.title.text


def test_dashboards_redraw_on_sliders():
    import plotly.graph_objects as go

    from hbkit.viz import split_widgets as sw

    dash = sw.hand_split_dashboard("classroom", widget_factory=go.Figure)
    before = dash.figure.layout.title.text
    dash.controls["w_ada"].value = 6.0
    assert dash.figure.layout.title.text != before and len(dash.latencies_ms) == 1
    dash = sw.oracle_budget_dashboard("classroom", widget_factory=go.Figure)
    dash.controls["budget"].value = 40.0
    assert "dev" in dash.figure.layout.title.text  # at 40 hours even the weakest group gets some
    dash = sw.feedback_dashboard("classroom", episodes=4, names=("equal", "ucb"), widget_factory=go.Figure)
    dash.controls["noise"].value = 1.0
    assert "noise 1" in dash.figure.layout.title.text
    dash = sw.allocation_dashboard("divisions", episodes=2, widget_factory=go.Figure)
    dash.controls["name"].value = "ucb"
    assert dash.figure.layout.title.text.startswith("ucb")
    assert sw.ppo_panel("classroom", timesteps=1000).children[0].description.startswith("Train PPO")


# ----------------------------------------------------------------------------------------------
# PPO recipe and the CLI
# ----------------------------------------------------------------------------------------------


def test_ppo_recipe_comes_from_the_scenario():
    from hbkit.train.sb3 import scenario_recipe

    recipe = scenario_recipe(ENV, "ppo", "classroom")
    assert recipe["timesteps"] == 100_000 and recipe["n_envs"] == 8
    assert recipe["algo_kwargs"]["policy_kwargs"]["net_arch"] == [64, 64]
    assert scenario_recipe("hbkit/Reasoning-v0", "ppo") == {}


def test_cli_train_and_evaluate(tmp_path, tmp_scenario, capsys):
    pytest.importorskip("stable_baselines3")
    from hbkit.cli import main

    # a tiny world with a tiny PPO recipe, so that `hbkit train` takes a second
    recipe = (
        "\n[ppo]\ntimesteps = 32\nn_envs = 1\nn_steps = 16\nbatch_size = 16\nn_epochs = 1\nhidden = [8]\n"
    )
    scenario = str(tmp_scenario(GOOD + recipe, "tiny.toml"))
    out = tmp_path / "ppo.zip"
    assert (
        main(
            [
                "train",
                "--env",
                ENV,
                "--algo",
                "ppo",
                "--out",
                str(out),
                "--no-progress",
                "--scenario",
                scenario,
            ]
        )
        == 0
    )
    assert out.exists()
    assert (
        main(
            ["evaluate", f"sb3:ppo:{out}", "--env", ENV, "--scenario", scenario, "--episodes", "8", "--json"]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out.split("saved")[-1].split("\n", 1)[1])
    assert len(report["regret_curve"]) == 5 and report["episodes"] == 8
    assert main(["evaluate", "manager:ucb", "--env", ENV, "--scenario", "drift", "--episodes", "8"]) == 0
    assert "regret" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------
# Notebook dashboards and exercise checkers
# ----------------------------------------------------------------------------------------------


def _control_values(control):
    if hasattr(control, "options") and not hasattr(control, "min"):
        return [o for o in control.options if o != control.value][:2]
    lo, hi = control.min, control.max
    values = [lo + (hi - lo) * f for f in (0.2, 0.7)]
    return [type(control.value)(round(v)) if isinstance(control.value, int) else v for v in values]


@pytest.mark.parametrize("stem", ["02_budgets", "03_feedback"])
def test_every_notebook_control_redraws_its_plot(stem):
    import plotly.graph_objects as go

    from hbkit.viz.split_widgets import NOTEBOOK_DASHBOARDS

    assert NOTEBOOK_DASHBOARDS[stem]
    for factory in NOTEBOOK_DASHBOARDS[stem]:
        dash = factory(widget_factory=go.Figure)
        for name, control in dash.controls.items():
            for value in _control_values(control):
                before = dash.figure.to_plotly_json()
                control.value = value
                after = dash.figure.to_plotly_json()
                assert json.dumps(before, default=str) != json.dumps(after, default=str), (stem, name, value)
        assert len(dash.latencies_ms) == sum(len(_control_values(c)) for c in dash.controls.values())


def test_water_filling_checker():
    from hbkit.exercises import check_water_filling

    assert check_water_filling(water_fill).passed
    equal = check_water_filling(lambda a, c, b: np.full(len(a), b / len(a)))
    assert not equal.passed and "marginal return" in equal.message
    unclipped = check_water_filling(lambda a, c, b: a * (b + c.sum()) / a.sum() - c)  # forgets max(0, .)
    assert not unclipped.passed and "negative" in unclipped.message
    short = check_water_filling(lambda a, c, b: 0.5 * water_fill(a, c, b))
    assert not short.passed and "spends" in short.message
    assert "ZeroDivisionError" in check_water_filling(lambda a, c, b: 1 / 0).message


def test_learner_checker():
    from hbkit.exercises import check_learner

    env = gym.make(ENV, scenario="drift")
    w = env.unwrapped.world
    ix = w.obs_index

    def trusting(obs):  # water-fills on the running estimates, as greedy does
        b = obs[ix["budget"]] * w.max_budget
        guess = obs[ix["estimate"]]
        return w.action_from_shares(water_fill(np.maximum(guess, 1e-3), w.scale, b) / b)

    def pessimist(obs):  # learns, but distrusts its estimates: loses far more than greedy
        b = obs[ix["budget"]] * w.max_budget
        guess = obs[ix["estimate"]] - w.noise * obs[ix["uncertainty"]]
        return w.action_from_shares(water_fill(np.maximum(guess, 1e-3), w.scale, b) / b)

    assert not check_learner(pessimist, episodes=16).passed
    good = check_learner(trusting, episodes=16)
    assert good.passed, good.message
    assert good.details["yours"]["regret"] < good.details["equal"]["regret"]
    flat = check_learner(lambda obs: np.zeros(5, np.float32), episodes=16)
    assert not flat.passed and "equal split" in flat.message
    assert "ActionError" in check_learner(lambda obs: np.zeros(3), episodes=4).message


@pytest.mark.parametrize("scenario", ["classroom", "drift"])
def test_single_env_is_a_batch_of_one_bit_for_bit(scenario):
    # the plain-float reset and step (SplitBatch.reset_one, step_one) draw the same numbers and do
    # the same operations as the NumPy batch: a VectorEnv of one meets exactly the same episodes
    env = gym.make(ENV, scenario=scenario)
    vec = gym.make_vec(ENV, num_envs=1, vectorization_mode="vector_entry_point", scenario=scenario)
    rounds = env.unwrapped.world.rounds
    for episode, options in enumerate([None, {"budget": 0.5}]):
        obs1, _ = env.reset(seed=11 + episode, options=options)
        obs2, _ = vec.reset(seed=11 + episode, options=options)
        np.testing.assert_array_equal(obs1, obs2[0])
        rng = np.random.default_rng(episode)
        for _ in range(rounds):
            a = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
            obs1, r1, _, _, info1 = env.step(a)
            obs2, r2, _, _, info2 = vec.step(a[None])
            np.testing.assert_array_equal(obs1, obs2[0])
            assert r1 == r2[0] and info1["regret"] == info2["regret"][0]
            for key in ("allocation", "output", "productivity"):
                np.testing.assert_array_equal(info1[key], info2[key][0])
        np.testing.assert_array_equal(info1["regret_curve"], info2["regret_curve"][0])
        assert info1["oracle_output"] == info2["oracle_output"][0]
        np.testing.assert_array_equal(env.unwrapped._batch.estimate, vec.unwrapped._batch.estimate)


@pytest.mark.parametrize("budget", [20.0, 1.0, 1e-3, 1e-6, 1e-12])
def test_oracle_output_is_the_water_filling_optimum(budget):
    # the per-round oracle of the step (a water level from the active set) against water_fill's
    # allocations, with productivities spread wide enough that some agents are left out
    w = gym.make(ENV, scenario="drift").unwrapped.world
    rng = np.random.default_rng(3)
    a = w.productivity * np.exp(rng.normal(0.0, 1.5, (500, w.num_agents)))
    b = np.full(500, budget)
    expected = w.best_output(a, b)
    got = w.oracle_output(np.ascontiguousarray(a.T), np.log(a.T), b)
    # the water level of a budget far below the scales carries the rounding of B + C: an absolute
    # error of about 1e-16 of the productivities (the regret is reported in absolute terms)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-16 * a.sum(axis=1).max() * 10)
    one = [w.oracle_output_one(row.tolist(), np.log(row).tolist(), budget) for row in a[:50]]
    np.testing.assert_array_equal(one, got[:50])


def test_manager_names_must_be_a_sequence():
    """names="ucb" was split into characters ("unknown manager 'u'")."""
    from hbkit.errors import ConfigError
    from hbkit.viz.split import learner_runs

    with pytest.raises(ConfigError, match=r"compare: names is 'greedy'; allowed: a list or tuple of manager"):
        compare("greedy", "classroom", episodes=2)
    with pytest.raises(ConfigError, match=r"run_managers: names is 'ucb'; allowed: a list or tuple"):
        run_managers("ucb", episodes=2)
    with pytest.raises(ConfigError, match=r"learner_runs: names is 'ucb'"):
        learner_runs("classroom", "ucb", episodes=2)
    with pytest.raises(ConfigError, match=r"unknown manager 'ucbb'; allowed: equal"):
        run_managers(["ucbb"], episodes=2)
    assert list(run_managers(["ucb"], episodes=2)) == ["ucb"]
