"""Regression tests of the Split world against silent wrong results: copies, refused calls, options,
actions, render modes and tiny budgets."""

from __future__ import annotations

import copy
import pickle

import gymnasium as gym
import numpy as np
import pytest

import hbkit  # noqa: F401  (registers the environments)
from hbkit.envs.split import SplitEnv
from hbkit.errors import ActionError, OptionError
from hbkit.scenarios import load_scenario
from hbkit.sim.split import MIN_BUDGET, SplitWorld, water_fill

ENV = "hbkit/Split-v0"
SCENARIOS = ["classroom", "drift", "divisions"]


def _single(scenario):
    return gym.make(ENV, scenario=scenario)


def _vector(scenario, n=3):
    return gym.make_vec(ENV, num_envs=n, vectorization_mode="vector_entry_point", scenario=scenario)


def _play(env, actions, vector):
    """Step ``env`` through ``actions`` (resetting a single env when its episode ends)."""
    out = []
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        out += [
            obs,
            np.asarray(r),
            np.asarray(term),
            np.asarray(info["allocation"]),
            np.asarray(info["productivity"]),
        ]
        if not vector and term:
            obs, info = env.reset()
            out.append(obs)
    return out


def _twins(env):
    return {
        "pickle": pickle.loads(pickle.dumps(env)),
        "deepcopy": copy.deepcopy(env),
        "copy": copy.copy(env.unwrapped),
    }


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("vector", [False, True])
@pytest.mark.parametrize("played", [0, 5, "end"])
def test_copies_continue_like_the_original(scenario, vector, played):
    env = _vector(scenario) if vector else _single(scenario)
    space = env.action_space
    rounds = env.unwrapped.world.rounds
    rng = np.random.default_rng(1)
    env.reset(seed=11)
    steps = rounds if played == "end" else played
    for a in rng.uniform(-1, 1, (steps, *space.shape)).astype(np.float32):
        env.step(a)
        # a single env's finished episode is reset by _play; here we stop right at the end
    if not vector and played == "end":
        pass  # the twin must refuse step() exactly like the original, then reset alike
    twins = _twins(env)
    actions = rng.uniform(-1, 1, (rounds + 3, *space.shape)).astype(np.float32)
    if not vector and played == "end":
        for twin in [env, *twins.values()]:
            with pytest.raises(RuntimeError, match="ended"):
                twin.step(actions[0])
            twin.reset()
    want = _play(env, actions, vector)
    for how, twin in twins.items():
        got = _play(twin, actions, vector)
        assert len(got) == len(want)
        for x, y in zip(got, want, strict=True):
            np.testing.assert_array_equal(x, y, err_msg=f"{how} of a {scenario} env after {played} rounds")


def test_copied_vector_env_rewards_are_the_originals():
    vec = _vector("classroom", 2)
    vec.reset(seed=3)
    twin = pickle.loads(pickle.dumps(vec))
    a = np.zeros((2, 4), np.float32)
    r1, r2 = vec.step(a)[1], twin.step(a)[1]
    assert (r1 > 1).all()
    np.testing.assert_array_equal(r1, r2)


def test_copied_single_env_stays_in_its_observation_space():
    env = _single("drift")
    env.reset(seed=0)
    twin = copy.deepcopy(env)
    for _ in range(10):
        obs = twin.step(np.zeros(5, np.float32))[0]
        assert twin.observation_space.contains(obs)
        assert np.abs(obs[3:]).sum() > 0


# ----------------------------------------------------------------------------------------------
# Refused resets change nothing
# ----------------------------------------------------------------------------------------------

SINGLE_BAD = [
    {"budget": 30.0, "productivity": [1e9, 1, 1, 1]},
    {"budget": 30.0, "productivity": [1, 1]},
    {"budget": 30.0, "productivities": [1, 1, 1, 1]},
    {"budget": 10**30},
    {"budget": "12"},
    {"budget": "none"},
    {"budget": float("nan")},
    {"budget": 30.0, "productivity": "1"},
    {"budget": 30.0, "productivity": [1, 2, float("nan"), 1]},
    {"budget": 30.0, "productivity": [[1, 2], [1]]},
]


@pytest.mark.parametrize("options", SINGLE_BAD)
def test_refused_single_reset_changes_nothing(options):
    env = _single("classroom")
    env.reset(seed=0, options={"budget": 20.0})
    env.step(np.zeros(4, np.float32))
    twin = copy.deepcopy(env)
    with pytest.raises(OptionError):
        env.reset(seed=99, options=options)
    actions = np.random.default_rng(0).uniform(-1, 1, (80, 4)).astype(np.float32)
    want, got = _play(twin, actions, False), _play(env, actions, False)
    for x, y in zip(got, want, strict=True):
        np.testing.assert_array_equal(x, y)


VECTOR_BAD = [
    {"budget": [30.0, 30.0, 30.0], "productivity": [1e9, 1, 1, 1]},
    {"budget": [30.0, 30.0, 30.0], "world_seed": [1, 2]},
    {"budget": [30.0, 30.0, 30.0], "world_seed": [1, -2, 3]},
    {"budget": [30.0, 30.0, 30.0], "world_seed": ["1", "2", "3"]},
    {"budget": [30.0, 30.0, 30.0], "world_seed": np.array([1, 2**63, 3], dtype=np.uint64)},
    {"budget": [30.0, 30.0, 30.0], "productivity": [[1, 1, 1, 1], [1, 1], [1, 1, 1, 1]]},
    {"budget": [30.0, 30.0, 30.0], "reset_mask": [True, False, True]},
    {"budget": [30.0, 10**30, 30.0]},
    {"budget": [30.0, "12", 30.0]},
    {"budget": [30.0, 30.0]},
]


@pytest.mark.parametrize("options", VECTOR_BAD)
def test_refused_vector_reset_changes_nothing(options):
    vec = _vector("classroom")
    vec.reset(seed=0, options={"budget": 20.0})
    vec.step(np.zeros((3, 4), np.float32))
    twin = copy.deepcopy(vec)
    with pytest.raises(OptionError):
        vec.reset(seed=99, options=options)
    actions = np.random.default_rng(0).uniform(-1, 1, (80, 3, 4)).astype(np.float32)
    want, got = _play(twin, actions, True), _play(vec, actions, True)
    for x, y in zip(got, want, strict=True):
        np.testing.assert_array_equal(x, y)
    # later plain resets use the budget of the last accepted reset
    _, info = vec.reset()
    np.testing.assert_array_equal(info["budget"], [20.0] * 3)


def test_unknown_option_keys_list_the_allowed_ones():
    with pytest.raises(OptionError, match="'productivities'.*allowed keys: budget, productivity"):
        _single("classroom").reset(options={"productivities": [1, 1, 1, 1]})
    with pytest.raises(OptionError, match="allowed keys: budget, productivity, world_seed"):
        _vector("classroom").reset(options={"budgets": 3.0})
    with pytest.raises(OptionError, match="dict"):
        _single("classroom").reset(options=["budget"])


def test_productivity_out_of_range_states_the_range():
    env = _single("classroom")
    with pytest.raises(OptionError, match=r"entry 0 is 1000000000.0; allowed: .*0.025 <= a <= 80") as err:
        env.reset(options={"productivity": [1e9, 1, 1, 1]})
    # the range in the message is the range accepted
    env.reset(options={"productivity": [80, 0.025, 1, 1]})
    with pytest.raises(OptionError, match="80"):
        env.reset(options={"productivity": [80.001, 1, 1, 1]})
    assert "clip" not in str(err.value)


@pytest.mark.parametrize("budget", [10**30, "12", "none", float("nan"), float("inf"), -1.0, True, [1.0, 2.0]])
def test_bad_budgets_are_clear_option_errors(budget):
    with pytest.raises(OptionError, match=r"options\['budget'\].*allowed"):
        _single("classroom").reset(options={"budget": budget})


# ----------------------------------------------------------------------------------------------
# Actions and render modes
# ----------------------------------------------------------------------------------------------

BAD_ACTIONS = [
    ("abc", "strings"),
    (np.array(["0", "0", "0", "0"]), "strings"),
    (np.zeros(4, complex), "complex"),
    ([0.0, 0.0, 1j, 0.0], "complex"),
    (np.array([0.0, 0.0, object(), 0.0], dtype=object), "entry 2"),
    (np.zeros(4, dtype=object), "objects"),
    ([0.0, "x", 0.0, 0.0], "strings"),
]


@pytest.mark.parametrize("bad,msg", BAD_ACTIONS)
def test_single_env_refuses_non_real_actions(bad, msg):
    env = _single("classroom")
    env.reset(seed=0)
    env.step(np.zeros(4, np.float32))
    before = env.unwrapped._batch.observe().copy()
    with pytest.raises(ActionError, match=msg):
        env.step(bad)
    assert env.unwrapped._batch.round == 1
    np.testing.assert_array_equal(env.unwrapped._batch.observe(), before)


@pytest.mark.parametrize(
    "bad,msg",
    [
        (np.full((3, 4), "0"), "strings"),
        (np.zeros((3, 4), complex), "complex"),
        (np.zeros((3, 4), object), "objects"),
    ],
)
def test_vector_env_refuses_non_real_actions(bad, msg, recwarn):
    vec = _vector("classroom")
    vec.reset(seed=0)
    with pytest.raises(ActionError, match=msg):
        vec.step(bad)
    assert not [w for w in recwarn if "omplex" in str(w.message)]
    vec.step(np.zeros((3, 4), np.float32))  # still usable


def test_unsupported_render_modes_are_refused_when_made():
    with pytest.raises(OptionError, match="render_mode 'ansi'.*allowed: None"):
        gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point", render_mode="ansi")
    with pytest.raises(OptionError, match="render_mode 'human'.*allowed: None, 'ansi'"):
        SplitEnv(render_mode="human")
    assert isinstance(gym.make(ENV, render_mode="ansi").reset(seed=0) and "ok", str)


# ----------------------------------------------------------------------------------------------
# Tiny budgets: allocations spend exactly the budget
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("budget", [1e-6, 1e-9, 1e-12, 1e-15, 1e-17, 1e-300, 5e-324])
@pytest.mark.parametrize("n", [7, 5000])  # both code paths of water_fill
def test_water_fill_spends_tiny_budgets_exactly(budget, n):
    rng = np.random.default_rng(0)
    a = rng.lognormal(0, 1, (n, 6))
    c = rng.lognormal(0, 1, 6) * 1e9  # the schema's largest scale
    x = water_fill(a, c, budget)
    assert (x >= 0).all()
    np.testing.assert_allclose(x.sum(axis=-1), budget, rtol=1e-12)
    # everything goes to the agents with the best first unit, as the optimum says
    best = np.argmax(a / c, axis=1)
    assert (x[np.arange(n), best] > 0).all()


def test_water_fill_near_ties_with_a_tiny_budget():
    a = np.array([[1.0, 1.0 + 1e-13, 0.5]])
    x = water_fill(a, np.ones(3), 1e-12)
    np.testing.assert_allclose(x.sum(), 1e-12, rtol=1e-12)
    # equal marginal returns a_i / (c_i + x_i) for the two active agents
    np.testing.assert_allclose(a[0, 0] / (1 + x[0, 0]), a[0, 1] / (1 + x[0, 1]), rtol=1e-15)


@pytest.mark.parametrize("rule", ["estimate", "oracle"])
def test_two_level_allocations_spend_the_budget_in_the_worst_case(rule):
    # the worst case of the schema (the smallest budget against the largest scales), and far beyond
    for budget in (MIN_BUDGET, 1e-12, 1e-200):
        sc = load_scenario("divisions").with_overrides(
            {
                "world.division_rule": rule,
                "world.budget": MIN_BUDGET,
                "world.max_budget": MIN_BUDGET,
                "agents.scale": [1e9] * 6,
            }
        )
        w = SplitWorld(sc)
        rng = np.random.default_rng(0)
        n = 500
        action = rng.uniform(-1, 1, (n, w.action_dim))
        a = rng.uniform(w.a_low, w.a_high, (n, w.num_agents))
        shares = w.allocate(action, np.full(n, budget), a, a)
        assert (shares >= 0).all()
        np.testing.assert_allclose(shares.sum(axis=1), 1.0, rtol=1e-12)
        if budget < MIN_BUDGET:
            continue
        env = gym.make(ENV, scenario=sc)
        env.reset(seed=0)
        for _ in range(3):
            _, _, _, _, info = env.step(env.action_space.sample())
            np.testing.assert_allclose(info["allocation"].sum(), budget, rtol=1e-12)
