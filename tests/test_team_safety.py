"""The Team world under misuse: refused resets change nothing, options are checked, money cannot
overflow, copies continue like the original, one info dict."""

from __future__ import annotations

import copy
import pickle
import re

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hbkit  # noqa: F401
from hbkit.errors import OptionError, StateError
from hbkit.scenarios import load_scenario
from hbkit.sim.team import PICO, TeamWorld
from hbkit.sim.team.schema import MAX_DOLLARS, MAX_PRICE, MAX_TOKENS, MAX_VERBOSITY, WORST_CALL_P

ENV = "hbkit/Team-v0"


def _run(env, rng, steps, info):
    """Masked random steps; returns the trace (observations, rewards, ends, infos)."""
    trace = []
    for _ in range(steps):
        mask = np.asarray(info["action_mask"])
        if mask.ndim == 1:
            a = int(rng.choice(np.flatnonzero(mask)))
        else:
            a = np.array([rng.choice(np.flatnonzero(m)) for m in mask])
        obs, r, term, trunc, info = env.step(a)
        trace.append((obs, r, term, trunc, info))
        if mask.ndim == 1 and (term or trunc):
            obs, info = env.reset()
            trace.append((obs, info))
    return trace, info


def _same(a, b) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        assert np.array_equal(np.asarray(a), np.asarray(b)), (a, b)


BAD_OPTIONS = [
    ({"expense_budget": 0.05}, "expense_budget"),
    ({"budgets": [0.05]}, "budgets"),
    ({"budget": 0.1, "problem_seed": -1}, "problem_seed"),
    ({"budget": 0.1, "problem_seed": 1.5}, "problem_seed"),
    ({"budget": 0.1, "problem_seed": 2**64}, "problem_seed"),
    ({"budget": 0.1, "problem_seed": "3"}, "problem_seed"),
    ({"budget": 0.1, "problem_seed": True}, "problem_seed"),
    ({"budget": 10**30}, "budget"),
    ({"budget": 2**2000}, "budget"),
    ({"budget": "512"}, "budget"),
    ({"budget": "none"}, "budget"),
    ({"budget": float("nan")}, "budget"),
    ({"budget": [0.1, 0.2, 0.3]}, "budget"),
]


@pytest.mark.parametrize("options, name", BAD_OPTIONS)
def test_a_refused_reset_leaves_the_single_env_exactly_as_it_was(options, name):
    env = gym.make(ENV).unwrapped
    obs, info = env.reset(seed=5, options={"budget": 0.3})
    rng = np.random.default_rng(0)
    _, info = _run(env, rng, 7, info)
    twin = copy.deepcopy(env)
    with pytest.raises(OptionError) as exc:
        env.reset(seed=11, options=options)
    msg = str(exc.value)
    assert name in msg and "allowed" in msg, msg
    # the env continues exactly like a twin that never saw the refused call
    a, _ = _run(env, np.random.default_rng(1), 60, info)
    b, _ = _run(twin, np.random.default_rng(1), 60, info)
    _same(a, b)
    _same(env.reset(), twin.reset())


@pytest.mark.parametrize(
    "options, name",
    BAD_OPTIONS
    + [
        ({"reset_mask": [1, 0]}, "reset_mask"),
        ({"budget": [0.1, "x"]}, "budget"),
        ({"problem_seed": [3, -3]}, "problem_seed"),
    ],
)
def test_a_refused_reset_leaves_the_vector_env_exactly_as_it_was(options, name):
    if name == "budget" and options["budget"] == [0.1, 0.2, 0.3]:
        options = {"budget": [0.1, 0.2, 0.3, 0.1]}  # wrong length for 2 envs too
    vec = gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point")
    obs, info = vec.reset(seed=5, options={"budget": [0.3, 0.05]})
    _, info = _run(vec, np.random.default_rng(0), 7, info)
    twin = copy.deepcopy(vec)
    with pytest.raises(OptionError) as exc:
        vec.reset(seed=11, options=options)
    msg = str(exc.value)
    assert name in msg and "allowed" in msg, msg
    # the kept budget request, the generator and the episodes are untouched: later autoresets
    # (inside step) and plain resets give what the twin gives
    a, _ = _run(vec, np.random.default_rng(1), 120, info)
    b, _ = _run(twin, np.random.default_rng(1), 120, info)
    _same(a, b)
    _same(vec.reset(), twin.reset())


def test_first_vector_reset_with_a_partial_reset_mask_is_refused():
    # an env left out of the very first reset has no budget and no stream: NaN observations
    vec = gym.make_vec(ENV, num_envs=3, vectorization_mode="vector_entry_point", autoreset_mode="Disabled")
    with pytest.raises(OptionError, match=r"reset_mask.*env 1.*allowed"):
        vec.reset(seed=0, options={"reset_mask": np.array([True, False, True])})
    with pytest.raises(StateError):  # still not started: the refused reset changed nothing
        vec.step(np.zeros(3, np.int64))
    obs, _ = vec.reset(seed=0, options={"reset_mask": np.ones(3, bool)})
    obs, _ = vec.reset(options={"reset_mask": np.array([False, True, False])})  # fine once started
    assert np.isfinite(obs).all()


def test_options_must_be_a_mapping_and_unknown_keys_list_the_allowed_ones():
    env = gym.make(ENV).unwrapped
    with pytest.raises(OptionError, match="allowed keys: budget, problem_seed"):
        env.reset(options={"expense_budget": 0.05})
    with pytest.raises(OptionError, match="must be a dict"):
        env.reset(options=["budget"])
    vec = gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point")
    with pytest.raises(OptionError, match="allowed keys: budget, problem_seed, reset_mask"):
        vec.reset(options={"budgets": [0.1, 0.1]})


def test_good_options_are_taken_as_given():
    env = gym.make(ENV).unwrapped
    _, info = env.reset(options={"budget": 0.05, "problem_seed": np.int64(7)})
    assert info["budget"] == 0.05
    _, info2 = env.reset(options={"budget": None, "problem_seed": 7})
    assert info2["budget"] == env.world.expense_budget
    vec = gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point")
    _, vinfo = vec.reset(options={"budget": [0.05, None], "problem_seed": [7, 2**63 - 1]})
    assert vinfo["budget"].tolist() == [0.05, vec.unwrapped.world.expense_budget]


# ------------------------------------------------------------------------------------------------
# Money cannot overflow
# ------------------------------------------------------------------------------------------------
def _edited(tmp_scenario, edits: list[tuple[str, str]], name: str):
    text = open(load_scenario("hashiru").source).read()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return tmp_scenario(text, name)


# the four in-range edits that wrapped int64 call costs around before the schema's bounds
FOUR_EDITS = [
    ("token_spread = 0.4", "token_spread = 3.0"),
    ("answer_tokens = 800", "answer_tokens = 10000000"),
    ("price_out = 10.0", "price_out = 1000"),
    ("verbosity = 3.0            # thinking", "verbosity = 50            # thinking"),
]


def _exact_costs(world: TeamWorld, streams) -> np.ndarray:
    """Call costs in Python integers (no overflow possible)."""
    out = np.empty(streams.prompt.shape + (world.num_workers,), object)
    for idx in np.ndindex(streams.prompt.shape):
        for c in range(world.num_workers):
            tokens_out = round(int(streams.answer[idx]) * float(world.verbosity[c]))
            out[idx + (c,)] = int(streams.prompt[idx]) * int(world.price_in_p[c]) + tokens_out * int(
                world.price_out_p[c]
            )
    return out


def test_the_worst_call_the_schema_allows_fits_in_int64():
    price_p = int(MAX_PRICE * 1e6)  # pico-dollars per token
    worst = MAX_TOKENS * price_p + round(MAX_TOKENS * MAX_VERBOSITY) * price_p
    assert worst == WORST_CALL_P
    assert worst + int(MAX_DOLLARS) * PICO < 2**63


def test_the_four_edits_that_overflowed_give_exact_costs_and_accounts(tmp_scenario):
    path = _edited(tmp_scenario, FOUR_EDITS, "overflow.toml")
    env = gym.make(ENV, scenario=str(path)).unwrapped
    w = env.world
    streams = w.sample_streams(np.random.default_rng(0), 64)
    assert streams.answer.max() <= MAX_TOKENS and streams.prompt.max() <= MAX_TOKENS
    cost = w.call_cost_p(streams)
    assert (cost >= 0).all()
    assert np.array_equal(cost.astype(object), _exact_costs(w, streams))
    rng = np.random.default_rng(1)
    for episode in range(20):
        obs, info = env.reset(seed=episode)
        done = False
        while not done:
            obs, r, term, trunc, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
            b = env._batch
            assert b.spent[0] + b.remaining[0] == b.budget[0] and b.spent[0] >= 0 and b.remaining[0] >= 0
            assert np.isfinite(r) and abs(r) < 1e4
            done = term or trunc


def test_the_largest_scenario_the_schema_allows_keeps_money_exact(tmp_scenario):
    edits = [
        ("token_spread = 0.4", "token_spread = 3.0"),
        ("expense_budget = 0.20", "expense_budget = 1000000"),
        ("budgets = [0.05, 0.10, 0.20, 0.30]", "budgets = [1000000]"),
        ("spend_ceiling = 0.40", "spend_ceiling = 1000000"),
        ("prompt_tokens = 9000", "prompt_tokens = 10000000"),
        ("answer_tokens = 800", "answer_tokens = 10000000"),
        ("price_in = 1.25", "price_in = 1000"),
        ("price_out = 10.0", "price_out = 1000"),
        ("hire_fee = 0.005\nverbosity = 3.0", "hire_fee = 1000\nverbosity = 50"),
    ]
    path = _edited(tmp_scenario, edits, "largest.toml")
    vec = gym.make_vec(ENV, num_envs=64, vectorization_mode="vector_entry_point", scenario=str(path))
    w = vec.unwrapped.world
    streams = w.sample_streams(np.random.default_rng(2), 64)
    cost = w.call_cost_p(streams)
    assert (cost >= 0).all() and cost.max() <= WORST_CALL_P
    assert np.array_equal(cost.astype(object), _exact_costs(w, streams))
    rng = np.random.default_rng(3)
    _, info = vec.reset(seed=0)
    for _ in range(150):
        _, r, _, _, info = vec.step(np.array([rng.choice(np.flatnonzero(m)) for m in info["action_mask"]]))
        b = vec.unwrapped._batch
        assert np.array_equal(b.spent + b.remaining, b.budget)
        assert (b.spent >= 0).all() and (b.remaining >= 0).all() and np.isfinite(r).all()


# ------------------------------------------------------------------------------------------------
# Copies
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("when", [0, 3, 40, 150])
def test_copies_of_the_vector_env_continue_exactly_like_the_original(when):
    vec = gym.make_vec(ENV, num_envs=3, vectorization_mode="vector_entry_point")
    obs, info = vec.reset(seed=2, options={"budget": [0.05, 0.2, 0.3]})
    rng = np.random.default_rng(4)
    _, info = _run(vec, rng, when, info)  # 150 steps: through autoresets
    twins = [copy.copy(vec), copy.deepcopy(vec), pickle.loads(pickle.dumps(vec))]
    state = rng.bit_generator.state
    a, _ = _run(vec, rng, 80, info)
    for twin in twins[1:]:  # a shallow copy shares the state arrays, so it is not independent
        r2 = np.random.default_rng()
        r2.bit_generator.state = state
        _same(a, _run(twin, r2, 80, info)[0])


@pytest.mark.parametrize("when", [0, 1, 30])
def test_copies_of_the_single_env_continue_exactly_like_the_original(when):
    env = gym.make(ENV)
    obs, info = env.reset(seed=3)
    rng = np.random.default_rng(5)
    _, info = _run(env, rng, when, info)
    twins = [copy.deepcopy(env), pickle.loads(pickle.dumps(env))]
    state = rng.bit_generator.state
    a, _ = _run(env, rng, 120, info)  # through the end of the episode and a reset
    for twin in twins:
        r2 = np.random.default_rng()
        r2.bit_generator.state = state
        _same(a, _run(twin, r2, 120, info)[0])


# ------------------------------------------------------------------------------------------------
# One info dict
# ------------------------------------------------------------------------------------------------
def test_single_and_vector_infos_are_built_by_one_function():
    import inspect

    import hbkit.envs.team as module

    source = inspect.getsource(module)
    assert len(re.findall(r'"memory_free":', source)) == 1
    env = gym.make(ENV).unwrapped
    vec = gym.make_vec(ENV, num_envs=1, vectorization_mode="vector_entry_point")
    _, info = env.reset(options={"problem_seed": 9})
    _, vinfo = vec.reset(options={"problem_seed": 9})
    assert set(vinfo) == set(info) | {"_" + k for k in info}


def test_the_single_env_state_has_named_fields():
    from hbkit.sim.team import EpisodeState

    env = gym.make(ENV).unwrapped
    env.reset(seed=0)
    one = env.sim.episode()
    assert isinstance(one, EpisodeState) and hasattr(EpisodeState, "__slots__")
    with pytest.raises(AttributeError):
        one.not_a_field = 1  # slotted: a misspelt field is an error, not a new key
    b = env.sim
    assert (one.spent, one.remaining, one.budget) == (b.spent[0], b.remaining[0], b.budget[0])


# ------------------------------------------------------------------------------------------------
# Random option dicts: a refused reset changes nothing, an accepted one takes the values as given
# ------------------------------------------------------------------------------------------------
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=4),
    st.lists(st.floats(0.001, 0.4), max_size=3),
)
_options = st.dictionaries(
    st.sampled_from(["budget", "problem_seed", "reset_mask", "budgets", "expense_budget"]),
    _values,
    max_size=3,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=_options)
def test_random_reset_options_are_refused_cleanly_or_taken_as_given(options):
    env = gym.make(ENV).unwrapped
    obs, info = env.reset(seed=1)
    env.step(int(np.flatnonzero(info["action_mask"])[-1]))
    twin = copy.deepcopy(env)
    try:
        _, info = env.reset(seed=2, options=options)
    except OptionError:
        rng1, rng2 = np.random.default_rng(0), np.random.default_rng(0)
        _same(_run(env, rng1, 30, twin._info())[0], _run(twin, rng2, 30, twin._info())[0])
        return
    budget = options.get("budget")
    assert set(options) <= {"budget", "problem_seed"}
    if isinstance(budget, list):  # one entry per env: a single env takes a list of one
        assert len(budget) == 1
        budget = budget[0]
    expected = env.world.expense_budget if budget is None else float(budget)
    assert info["budget"] == pytest.approx(expected, abs=1e-12)  # money is kept in whole pico-dollars
    seed = options.get("problem_seed")
    assert seed is None or (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**63)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=_options)
def test_random_vector_reset_options_are_refused_cleanly(options):
    vec = gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point")
    _, info = vec.reset(seed=1, options={"budget": [0.05, 0.3]})
    _, info = _run(vec, np.random.default_rng(0), 3, info)
    twin = copy.deepcopy(vec)
    try:
        vec.reset(seed=2, options=options)
    except OptionError:
        a, _ = _run(vec, np.random.default_rng(1), 40, info)
        b, _ = _run(twin, np.random.default_rng(1), 40, info)
        _same(a, b)
        return
    assert set(options) <= {"budget", "problem_seed", "reset_mask"}


def test_a_hand_written_manager_is_refused_on_a_world_it_was_not_built_on():
    """A manager reads observations with its own world's constants (prices, catalog, spend
    ceiling): on another scenario it would return other numbers without a word. Memory and
    expense budget, which the observation carries, may differ."""
    from hbkit.errors import WorldMismatchError
    from hbkit.evaluate import evaluate
    from hbkit.managers.team import make_managers

    greedy = make_managers(gym.make("hbkit/Team-v0", scenario="hashiru"))["greedy"]
    with pytest.raises(WorldMismatchError, match="built on scenario 'hashiru'.*'agency'"):
        evaluate(greedy, "hbkit/Team-v0", scenario="agency", episodes=2)
    other = evaluate(greedy, "hbkit/Team-v0", scenario="agency", episodes=2, allow_other_world=True)
    own = evaluate(
        make_managers(gym.make("hbkit/Team-v0", scenario="agency"))["greedy"],
        "hbkit/Team-v0",
        scenario="agency",
        episodes=2,
    )
    assert other["world_hash"] == own["world_hash"]
    report = evaluate(greedy, "hbkit/Team-v0", scenario="hashiru", episodes=2, memory=40, budget=0.1)
    assert report["episodes"] == 2
