"""hbkit/Reasoning-v0: API checks, rewards, invariants, determinism and bad input."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from hbkit.envs.checks import api_test
from hbkit.envs.reasoning import ReasoningEnv, ReasoningVectorEnv
from hbkit.errors import OptionError, StateError
from hbkit.scenarios import load_scenario
from hbkit.sim.reasoning import ReasoningWorld, reasoning_reward

ENV = "hbkit/Reasoning-v0"
KW = dict(max_tokens=4096, beta=4.0, alpha=1 / 4096, truncation_reward=-1.0)


def test_api_both_checkers_env_and_vector_env():
    api_test(ENV)  # Gymnasium + SB3 checkers with warnings as errors, vector checks


def test_registered_with_vector_entry_point_and_entry_point_group():
    from importlib.metadata import entry_points

    spec = gym.spec(ENV)
    assert spec.vector_entry_point is not None
    vec = gym.make_vec(ENV, num_envs=16, vectorization_mode="vector_entry_point")
    assert isinstance(vec.unwrapped, ReasoningVectorEnv) and vec.num_envs == 16
    eps = {ep.name: ep.value for ep in entry_points(group="gymnasium.envs")}
    assert eps.get("hbkit") == "hbkit.envs:register_envs"


def test_reward_values_against_hand_computed():
    f2 = lambda b: reasoning_reward("hbpo", True, b, b, False, **KW)  # noqa: E731
    assert f2(512) == pytest.approx(3.923, abs=1e-3)
    assert f2(2560) == pytest.approx(2.222, abs=1e-3)
    # correct within budget: the budget's value, whatever n is
    assert reasoning_reward("hbpo", True, 100, 1024, False, **KW) == pytest.approx(
        4 * math.cos(math.pi * 1024 / 8192)
    )
    # correct beyond the budget: cos(n) minus alpha * overshoot
    want = 4 * math.cos(math.pi * 1536 / 8192) - (1536 - 1024) / 4096
    assert reasoning_reward("hbpo", True, 1536, 1024, False, **KW) == pytest.approx(want)
    # natural mode (budget 0) is the cosine reward
    assert reasoning_reward("hbpo", True, 2048, 0, False, **KW) == pytest.approx(4 * math.cos(math.pi / 4))
    assert reasoning_reward("cosine", True, 2048, 512, False, **KW) == pytest.approx(
        4 * math.cos(math.pi / 4)
    )
    assert reasoning_reward("classic", True, 4000, 512, False, **KW) == 1.0
    for name in ("hbpo", "cosine", "classic"):
        assert reasoning_reward(name, False, 700, 512, False, **KW) == 0.0
        assert reasoning_reward(name, False, 4096, 512, True, **KW) == -1.0
    with pytest.raises(ValueError, match="unknown reward"):
        reasoning_reward("length", True, 1, 1, False, **KW)


def test_success_model_matches_its_formula():
    w = ReasoningWorld(load_scenario("hbpo-math"))
    lv = w.scenario["levels"]
    level, need = np.array([2, 2, 2]), np.array([700.0, 700.0, 700.0])
    p = w.accuracy(level, need, np.array([640, 700, 940]))
    assert p[0] == pytest.approx(lv["guess"][2])
    v, tau, c = w.gap, w.verify_tokens, lv["ceiling"][2]
    assert p[1] == pytest.approx(c * (1 - v))
    assert p[2] == pytest.approx(c * (1 - v * math.exp(-240 / tau)))


def _run_random(env, rng, steps):
    for _ in range(steps):
        obs, info = env.reset(
            seed=int(rng.integers(1 << 30)), options={"budget": rng.choice([None, 512, 2048])}
        )
        done = False
        prev = 0
        while not done:
            a = int(rng.random() < 0.08)
            obs, r, done, trunc, info = env.step(a)
            yield obs, r, done, trunc, info, prev
            prev = info["tokens"]


def test_token_and_budget_invariants_single_env():
    env = gym.make(ENV)
    w = env.unwrapped.world
    rng = np.random.default_rng(0)
    for obs, r, done, trunc, info, prev in _run_random(env, rng, 300):
        assert env.observation_space.contains(obs)
        assert 0 <= info["tokens"] <= w.max_tokens and info["tokens"] % w.chunk == 0
        assert info["tokens"] >= prev  # tokens never go back within an episode
        assert obs[w.feature_names.index("tokens/max")] == pytest.approx(info["tokens"] / w.max_tokens)
        assert not trunc  # ends are terminal states of the task
        if info["budget"] is not None:
            assert obs[w.feature_names.index(f"budget={info['budget']}")] == 1.0
            assert obs[w.feature_names.index("tokens/budget")] == pytest.approx(
                min(info["tokens"] / info["budget"], w.obs_high[w.feature_names.index("tokens/budget")])
            )
        else:
            assert obs[w.feature_names.index("budget=none")] == 1.0
        if done:
            assert info["answered"] != info["truncated"]
            assert not (info["correct"] and info["truncated"])
            assert r == pytest.approx(
                float(w.reward(info["correct"], info["tokens"], info["budget"] or 0, info["truncated"]))
            )
        else:
            assert r == 0.0


def test_vector_env_budgets_and_shared_problem_seeds():
    vec = ReasoningVectorEnv(num_envs=8, autoreset_mode=AutoresetMode.DISABLED)
    seeds = np.array([7, 7, 7, 7, 9, 9, 9, 9])
    budgets = [512, 1024, None, 2560, 512, 1024, None, 2560]
    obs, info = vec.reset(seed=3, options={"budget": budgets, "problem_seed": seeds})
    assert list(info["budget"]) == [b or 0 for b in budgets]
    # same problem seed -> same level and same noisy difficulty features
    assert len(set(info["level"][:4])) == 1 and len(set(info["level"][4:])) == 1
    assert np.all(obs[:4, :2] == obs[0, :2]) and np.all(obs[4:, :2] == obs[4, :2])
    # and the same problem as a single env given that seed
    single = ReasoningEnv()
    o1, i1 = single.reset(seed=0, options={"problem_seed": 7, "budget": 512})
    assert i1["level"] == info["level"][0] and np.allclose(o1[:2], obs[0, :2])
    # invariants over a whole batch
    done = np.zeros(8, bool)
    while not done.all():
        prev = vec.unwrapped._batch.tokens.copy()
        obs, r, term, trunc, info = vec.step(np.zeros(8, np.int64))
        assert np.all(info["tokens"] >= prev) and np.all(info["tokens"] <= 4096)
        assert np.all(r[~term] == 0)
        done |= term
    assert np.all(info["truncated"]) and np.all(info["tokens"] == 4096)
    # stepping finished envs in DISABLED mode changes nothing
    obs2, r2, term2, _, info2 = vec.step(np.ones(8, np.int64))
    assert np.all(r2 == 0) and not term2.any() and np.array_equal(info2["tokens"], info["tokens"])


def test_vector_env_next_step_autoreset():
    vec = ReasoningVectorEnv(num_envs=4)
    vec.reset(seed=0, options={"budget": 1024})
    obs, r, term, _, info = vec.step(np.ones(4, np.int64))  # everyone answers at once
    assert term.all()
    obs, r, term, _, info = vec.step(np.ones(4, np.int64))  # this step only resets
    assert not term.any() and np.all(r == 0) and np.all(info["tokens"] == 0)
    assert np.all(info["budget"] == 1024)  # the budget request is kept across autoresets


def test_seeded_determinism_single_and_vector():
    def trace(seed):
        env = gym.make(ENV)
        rng = np.random.default_rng(1)
        out = []
        obs, _ = env.reset(seed=seed)
        for _ in range(300):
            obs, r, d, _, info = env.step(int(rng.random() < 0.1))
            out.append((obs.tobytes(), r, info["tokens"], info["correct"]))
            if d:
                obs, _ = env.reset()
        return out

    assert trace(5) == trace(5)
    assert trace(5) != trace(6)


@pytest.mark.parametrize("bad", [2, -1, 0.5, float("nan"), "answer", [0, 1]])
def test_bad_action_is_refused_and_state_unchanged(bad):
    env = gym.make(ENV)
    obs, info = env.reset(seed=0)
    env.step(0)
    before = env.unwrapped._info()
    with pytest.raises(ValueError, match="allowed|expected"):
        env.step(bad)
    assert env.unwrapped._info() == before


def test_bad_use_gets_clear_errors():
    env = ReasoningEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    env.step(1)
    with pytest.raises(RuntimeError, match="ended"):
        env.step(0)
    with pytest.raises(OptionError, match="allowed: None"):
        env.reset(options={"budget": 777})
    with pytest.raises(ValueError, match="natural mode"):
        env.reset(options={"budget": -5})
    vec = ReasoningVectorEnv(num_envs=4)
    with pytest.raises(ValueError, match="2 entries; expected 4"):
        vec.reset(options={"budget": [512, 512]})
    with pytest.raises(ValueError, match="problem_seed"):
        vec.reset(options={"problem_seed": [1, 2, 3]})
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        vec.step(np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="entry 2"):
        vec.step(np.array([0, 1, 5, 0]))


def test_render_ansi():
    env = gym.make(ENV, render_mode="ansi")
    env.reset(seed=0, options={"budget": 512})
    env.step(0)
    text = env.render()
    assert "64 tokens" in text and "budget   512" in text


def test_summary_by_level_is_consistent():
    from hbkit.evaluate import evaluate
    from hbkit.managers import available

    env = gym.make(ENV)
    rep = evaluate(available(ENV)["fixed-1024"](env), ENV, episodes=1000, seed=0, budget=None)
    assert rep["mean_tokens"] == 1024 and rep["truncation_rate"] == 0
    assert sum(v["count"] for v in rep["by_level"].values()) == 1000
    acc = sum(v["accuracy"] * v["count"] for v in rep["by_level"].values()) / 1000
    assert acc == pytest.approx(rep["accuracy"])
    # thinking 1024 tokens solves easy problems far more often than hard ones
    assert rep["by_level"]["1"]["accuracy"] > rep["by_level"]["5"]["accuracy"] + 0.5


# -- refused resets leave the env as it was ------------------------------------------------------
BAD_OPTIONS = [
    {"budget": 1000},
    {"budget": 10**30},
    {"budget": "512"},
    {"budget": "none"},
    {"budget": 512.0},
    {"budget": True},
    {"budget": np.array(512)},  # a 0-d array: neither one budget nor a list (as in the other worlds)
    ["budget"],
    {"budgets": 512},
    {"problem_seed": None},
    {"problem_seed": 2**64},
    {"problem_seed": 1.5},
    {"problem_seed": "3"},
    {"problem_seed": -1},
    "budget",
]


def _state(env):
    b = env.unwrapped._batch
    return (
        b.steps.copy(),
        b.budget.copy(),
        b.need.copy(),
        b.hint_mean.copy(),
        env.unwrapped.np_random.bit_generator.state,
    )


@pytest.mark.parametrize("bad", BAD_OPTIONS, ids=repr)
def test_refused_reset_leaves_single_env_unchanged(bad):
    env = ReasoningEnv()
    env.reset(seed=1, options={"budget": 1024})
    env.step(0)
    before = _state(env)
    with pytest.raises(OptionError):
        env.reset(seed=5, options=bad)
    after = _state(env)
    assert all(
        np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
        for a, b in zip(before, after, strict=True)
    )
    env.step(0)  # the episode goes on
    env.reset()


@pytest.mark.parametrize(
    "bad", BAD_OPTIONS + [{"budget": [512, 1000, 512, 512]}, {"reset_mask": [1, 0, 1, 0]}], ids=repr
)
def test_refused_reset_leaves_vector_env_unchanged(bad):
    vec = ReasoningVectorEnv(num_envs=4)
    vec.reset(seed=1, options={"budget": 1024})
    vec.step(np.array([0, 1, 0, 0]))
    before = _state(vec)
    with pytest.raises(OptionError):
        vec.reset(seed=5, options=bad)
    assert all(
        np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
        for a, b in zip(before, _state(vec), strict=True)
    )
    vec.step(np.ones(4, np.int64))  # autoreset still works and keeps the earlier request
    _, _, _, _, info = vec.step(np.zeros(4, np.int64))
    assert np.all(info["budget"] == 1024)
    vec.reset()


def test_first_vector_reset_with_a_partial_reset_mask_is_refused():
    # an env left out of the very first reset was never started: stepping it would be silent garbage
    vec = ReasoningVectorEnv(num_envs=3, autoreset_mode=AutoresetMode.DISABLED)
    with pytest.raises(OptionError, match=r"reset_mask.*env 1.*allowed"):
        vec.reset(seed=0, options={"reset_mask": np.array([True, False, True])})
    with pytest.raises(StateError):  # still not started: the refused reset changed nothing
        vec.step(np.zeros(3, np.int64))
    vec.reset(seed=0, options={"reset_mask": np.ones(3, bool)})
    vec.reset(options={"reset_mask": np.array([False, True, False])})  # fine once started


# -- copies, deep copies and pickles continue exactly like the original --------------------------
def _continue(env, steps, vector):
    out = []
    for i in range(steps):
        a = (np.arange(env.num_envs) + i) % 7 == 0 if vector else int(i % 7 == 6)
        obs, r, term, _, info = env.step(a.astype(np.int64) if vector else a)
        out.append((np.asarray(obs).tobytes(), np.asarray(r).tobytes(), np.asarray(info["tokens"]).tobytes()))
        if not vector and term:
            env.reset()
    return out


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
@pytest.mark.parametrize("vector", [False, True])
def test_copies_continue_like_the_original(how, vector):
    import copy
    import pickle

    env = ReasoningVectorEnv(num_envs=6) if vector else ReasoningEnv()
    obs, _ = env.reset(seed=7)
    _continue(env, 5, vector)  # somewhere in the middle of an episode
    if how == "copy":
        other = copy.copy(env)
    elif how == "deepcopy":
        other = copy.deepcopy(env)
    else:
        other = pickle.loads(pickle.dumps(env))
    assert np.array_equal(other._batch.observe(), env._batch.observe())
    assert _continue(other, 40, vector) == _continue(env, 40, vector)


def test_deepcopy_of_fresh_env_observes_like_the_original():
    import copy

    env = gym.make(ENV)
    a, _ = copy.deepcopy(env).reset(seed=7)
    b, _ = env.reset(seed=7)
    assert np.array_equal(a, b) and np.any(a != 0)


# -- memory stays bounded --------------------------------------------------------------------------
def test_long_horizon_scenario_uses_per_step_memory():
    sc = load_scenario("hbpo-math").with_overrides({"world.max_tokens": 65536, "world.chunk": 1})
    vec = ReasoningVectorEnv(num_envs=2000, scenario=sc)
    total = sum(v.nbytes for v in vars(vec._batch).values() if isinstance(v, np.ndarray))
    assert total < 2_000_000  # state grows with the number of envs, never with the horizon


# -- the two worlds --------------------------------------------------------------------------------
def test_hint_model_matches_its_formula():
    w = ReasoningWorld(load_scenario("hbpo-math"))
    level, need = np.array([4, 4, 4]), np.array([2000.0, 2000.0, 2000.0])
    m = w.hint_mean(level, need, np.array([1000, 2000, 2240]))
    low = w.misleading[4]
    assert m[0] == pytest.approx(low) and m[1] == pytest.approx(low)
    assert m[2] == pytest.approx(low + (w.strength - low) * (1 - math.exp(-240 / w.verify_tokens)))
    obs_world = ReasoningWorld(load_scenario("hbpo-observable"))
    assert np.all(obs_world.misleading == 0) and obs_world.strength == 1.0


def test_threshold_rule_is_near_optimal_only_where_done_is_observable():
    """In hbpo-observable a threshold rule matches an oracle that knows the need; in hbpo-math the
    misleading hints leave a wide gap between the best threshold rule and that oracle."""
    from hbkit.managers.reasoning import fit_threshold

    gaps = {}
    for name in ("hbpo-observable", "hbpo-math"):
        env = ReasoningEnv(scenario=name)
        w = env.world
        fit = fit_threshold(env, episodes=1000, seed=3)
        rng = np.random.default_rng(3)
        p = w.sample_problems(rng, 4000)
        n = np.minimum(np.ceil((p.need + 2 * w.verify_tokens) / w.chunk) * w.chunk, w.max_tokens - w.chunk)
        oracle = float(w.accuracy(p.level, p.need, n).mean())
        near = fit_threshold(env, token_limit=float(n.mean()), episodes=1000, seed=3)
        gaps[name] = oracle - near["accuracy"]
        assert fit["feature"] in ("hint", "hint_mean", "hint_slow", "hint_max")
    assert gaps["hbpo-observable"] < 0.03
    assert gaps["hbpo-math"] > 0.05


def test_threshold_manager_acts_as_fitted():
    from hbkit.evaluate import evaluate
    from hbkit.managers import available
    from hbkit.managers.reasoning import ThresholdRule

    env = gym.make(ENV)
    rule = available(ENV)["threshold"](env)
    assert isinstance(rule, ThresholdRule)
    obs, _ = env.reset(seed=0)
    assert rule(obs) == 0  # never answers before thinking
    col = env.unwrapped.feature_names.index(rule.feature)
    obs = obs.copy()
    obs[env.unwrapped.feature_names.index("tokens/max")] = 0.25
    obs[col] = rule.threshold
    assert rule(obs) == 1
    rep = evaluate(rule, ENV, episodes=500, seed=1, budget=None)
    assert 0.5 < rep["accuracy"] < 1 and rep["mean_tokens"] <= rule.cap


# -- the single env's plain-Python path is the batched math, bit for bit -------------------------
def _single_vs_vector_of_one(scenario, p, options, steps=1500, seed=3):
    """Step a single env and a VectorEnv of one side by side with the same seeds and actions and
    assert that observations, rewards and infos agree bit for bit; returns how many episodes ran."""
    env = ReasoningEnv(scenario)
    vec = ReasoningVectorEnv(1, scenario, autoreset_mode=AutoresetMode.DISABLED)
    rng = np.random.default_rng(seed)

    def reset(first, episode):
        single_opts, vec_opts = options(episode, env.unwrapped.world.budgets)
        kw = {"seed": seed} if first else {}
        return (env.reset(**kw, options=single_opts), vec.reset(**kw, options=vec_opts))

    def same(o1, i1, o2, i2):
        assert o1.dtype == o2.dtype == np.float32 and o1.tobytes() == o2[0].tobytes()
        for key in ("level", "tokens", "correct", "answered", "truncated", "found"):
            assert i1[key] == i2[key][0], key
            assert type(i1[key]) is (bool if key not in ("level", "tokens") else int), key
        assert i1["budget"] == (int(i2["budget"][0]) or None)

    ((o1, i1), (o2, i2)), episodes = reset(True, 0), 1
    for _ in range(steps):
        same(o1, i1, o2, i2)
        a = int(rng.random() < p)
        o1, r1, d1, t1, i1 = env.step(a)
        o2, r2, d2, t2, i2 = vec.step(np.array([a]))
        assert type(r1) is float and r1 == r2[0] and d1 == bool(d2[0]) and t1 == bool(t2[0])
        if d1:
            same(o1, i1, o2, i2)
            ((o1, i1), (o2, i2)), episodes = reset(False, episodes), episodes + 1
    return episodes


def _no_options(k, budgets):
    return None, None


def _budget_options(k, budgets):
    b = ((None,) + budgets)[k % (len(budgets) + 1)]
    return {"budget": b}, {"budget": b}


def _seed_options(k, budgets):
    return (
        {"problem_seed": 100 + k, "budget": budgets[1]},
        {"problem_seed": [100 + k], "budget": budgets[1]},
    )


@pytest.mark.parametrize("scenario", ["hbpo-math", "hbpo-observable", "hbpo-long"])
@pytest.mark.parametrize("p", [0.5, 1 / 32])
@pytest.mark.parametrize("options", [_no_options, _budget_options, _seed_options])
def test_single_env_equals_vector_env_of_one_bit_for_bit(scenario, p, options):
    assert _single_vs_vector_of_one(scenario, p, options) > 20


def test_single_env_equals_vector_env_of_one_without_tables(monkeypatch):
    # a scenario too large for the per-scenario tables computes rewards and features at every step
    monkeypatch.setattr(ReasoningWorld, "MAX_TABLE", 0)
    assert _single_vs_vector_of_one("hbpo-math", 1 / 16, _budget_options) > 20
    assert ReasoningEnv().world.step_tables() is None
