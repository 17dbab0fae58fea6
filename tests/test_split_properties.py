"""Property-based tests of the Split world (hypothesis): random valid worlds keep the invariants,
refused resets change nothing, copies continue like the original."""

from __future__ import annotations

import copy
import pickle

import gymnasium as gym
import numpy as np
import pytest

import hbkit  # noqa: F401  (registers the environments)
from hbkit.errors import OptionError
from hbkit.scenarios import load_scenario

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ENV = "hbkit/Split-v0"
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)


@st.composite
def worlds(draw):
    k = draw(st.integers(1, 6))
    positive = st.floats(1e-3, 1e3)
    budget = draw(st.floats(1e-6, 1e6))
    return load_scenario("classroom").with_overrides(
        {
            "agents.names": [f"a{i}" for i in range(k)],
            "agents.productivity": [draw(positive) for _ in range(k)],
            "agents.scale": [draw(st.floats(1e-3, 1e9)) for _ in range(k)],
            "agents.spread": draw(st.floats(0.0, 3.0)),
            "world.rounds": draw(st.integers(1, 12)),
            "world.budget": budget,
            "world.max_budget": budget * draw(st.floats(1.0, 10.0)),
            "world.noise": draw(st.floats(0.0, 10.0)),
            "world.drift": draw(st.sampled_from([0.0, 0.1, 2.0])),
            "world.reversion": draw(st.floats(0.0, 1.0)),
            "world.memory": draw(st.floats(0.05, 1.0)),
            "world.prior_sd": draw(st.floats(1e-2, 1e3)),
        }
    )


@SETTINGS
@given(worlds(), st.integers(0, 2**31 - 1))
def test_random_worlds_keep_the_invariants(scenario, seed):
    env = gym.make(ENV, scenario=scenario)
    vec = gym.make_vec(ENV, num_envs=1, vectorization_mode="vector_entry_point", scenario=scenario)
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    vobs, _ = vec.reset(seed=seed)
    np.testing.assert_array_equal(obs, vobs[0])  # single env = VectorEnv of one
    spent = 0.0
    for _ in range(env.unwrapped.world.rounds):
        a = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        obs, r, term, trunc, info = env.step(a)
        vobs, vr, _, _, vinfo = vec.step(a[None])
        x = info["allocation"]
        assert (x >= 0).all() and np.isfinite(r)
        np.testing.assert_allclose(x.sum(), info["budget"], rtol=1e-9)
        best = abs(info["regret"]) + 1.0
        assert info["regret"] >= -1e-9 * best  # nobody beats the oracle
        assert env.observation_space.contains(obs)
        np.testing.assert_allclose(x, vinfo["allocation"][0], rtol=1e-9)
        np.testing.assert_allclose(r, vr[0], rtol=1e-9, atol=1e-9)
        spent += x.sum()
    assert term and not trunc
    np.testing.assert_allclose(
        info["budget_spent"] + info["budget_left"], env.unwrapped.world.rounds * info["budget"], rtol=1e-12
    )


option_values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10, 10**30),
    st.text(max_size=3),
    st.lists(st.floats(-1e9, 1e9), max_size=5),
    st.booleans(),
)
option_dicts = st.dictionaries(
    st.sampled_from(["budget", "productivity", "productivities", "world_seed", "reset_mask"]),
    option_values,
    max_size=3,
)


@SETTINGS
@given(option_dicts, st.integers(0, 100))
def test_random_options_are_accepted_or_change_nothing(options, played):
    env = gym.make(ENV, scenario="classroom")
    env.reset(seed=1)
    for _ in range(played % 36):
        env.step(np.zeros(4, np.float32))
    twin = copy.deepcopy(env)
    try:
        env.reset(seed=5, options=options)
    except OptionError:
        actions = np.random.default_rng(played).uniform(-1, 1, (40, 4)).astype(np.float32)
        for a in actions:  # the refused env continues exactly like its untouched twin
            if env.unwrapped._batch.done:
                env.reset()
                twin.reset()
            o1, r1, *_ = env.step(a)
            o2, r2, *_ = twin.step(a)
            np.testing.assert_array_equal(o1, o2)
            assert r1 == r2
    else:
        assert set(options) <= {"budget", "productivity"}


@SETTINGS
@given(st.sampled_from(["classroom", "drift", "divisions"]), st.integers(0, 60), st.booleans())
def test_copies_at_random_points_continue_like_the_original(scenario, played, vector):
    env = (
        gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point", scenario=scenario)
        if vector
        else gym.make(ENV, scenario=scenario)
    )
    rng = np.random.default_rng(played)
    env.reset(seed=played)
    rounds = env.unwrapped.world.rounds
    for _ in range(played % (rounds + 1)):
        env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
    twin = pickle.loads(pickle.dumps(env)) if played % 2 else copy.deepcopy(env)
    for _ in range(rounds + 2):
        a = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        if not vector and env.unwrapped._batch.done:
            np.testing.assert_array_equal(env.reset()[0], twin.reset()[0])
        o1, r1, *_ = env.step(a)
        o2, r2, *_ = twin.step(a)
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, r2)
