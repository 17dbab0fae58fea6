"""The Team world (``hbkit/Team-v0``): API, accounting, masks, scenarios, managers, learning."""

from __future__ import annotations

import copy
import json

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hbkit  # noqa: F401
from hbkit.envs.checks import api_test
from hbkit.evaluate import evaluate
from hbkit.managers import available
from hbkit.scenarios import ScenarioError, load_scenario
from hbkit.sim.team import REASONS, TeamBatch

ENV = "hbkit/Team-v0"
STATE = (
    "slot",
    "used",
    "reserved",
    "peak_memory",
    "budget",
    "spent",
    "remaining",
    "task",
    "part",
    "part_ok",
    "successes",
    "trials",
    "hires",
    "fires",
    "solved",
    "solved_by_type",
    "spent_by_type",
    "solved_value",
    "done",
    "exhausted",
    "truncated",
)


def world_state(env) -> dict[str, np.ndarray]:
    b = env.unwrapped._batch
    return {k: np.array(getattr(b, k), copy=True) for k in STATE}


def check_accounts(b: TeamBatch) -> None:
    """The accounting invariants of every state."""
    w = b.world
    assert np.array_equal(b.spent + b.remaining, b.budget), "spent + remaining != budget"
    assert (b.spent >= 0).all() and (b.remaining >= 0).all(), "negative money"
    hired = np.where(b.slot >= 0, w.memory_x[np.where(b.slot >= 0, b.slot, w.num_workers)], 0)
    assert np.array_equal(b.reserved, hired.sum(axis=1)), "reserved memory != hired local workers"
    assert (b.reserved >= 0).all() and (b.free >= 0).all(), "negative memory"
    assert np.array_equal(b.reserved + b.free, np.full(b.num, b.capacity)), "reserved + free != capacity"
    assert (b.peak_memory <= b.capacity).all(), "peak memory above capacity"
    assert np.array_equal(b.spent_by_type.sum(axis=1), b.spent), "spent by type does not add up"
    assert (b.trials >= b.successes).all() and (b.successes >= 0).all()
    assert (b.solved_by_type <= b.tasks_by_type).all()


# ------------------------------------------------------------------------------------------------
# API and determinism
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", ["hashiru", "startup"])
def test_api(scenario):
    api_test(ENV, scenario=scenario)


def _masked_run(env, seed, steps=400, mask_prob=1.0):
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    trace = [obs]
    for _ in range(steps):
        mask = info["action_mask"]
        if rng.random() < mask_prob:
            a = int(rng.choice(np.flatnonzero(mask)))
        else:
            a = int(rng.integers(len(mask)))
        obs, r, term, trunc, info = env.step(a)
        trace += [obs, r, term, trunc, info["reason"]]
        if term or trunc:
            obs, info = env.reset()
            trace.append(obs)
    return trace


def test_seeded_determinism():
    a = _masked_run(gym.make(ENV), 3, mask_prob=0.8)
    b = _masked_run(gym.make(ENV), 3, mask_prob=0.8)
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    c = _masked_run(gym.make(ENV), 4, mask_prob=0.8)
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=False))


def test_problem_seed_is_the_same_stream_in_env_and_vector_env():
    env = gym.make(ENV)
    vec = gym.make_vec(
        ENV, num_envs=3, vectorization_mode="vector_entry_point", autoreset_mode=AutoresetMode.DISABLED
    )
    vobs, vinfo = vec.reset(seed=0, options={"problem_seed": [7, 8, 7]})
    obs, info = env.reset(seed=99, options={"problem_seed": 7})
    assert np.array_equal(vobs[0], vobs[2]) and np.array_equal(vobs[0], obs)
    rng = np.random.default_rng(1)
    for _ in range(60):
        a = int(rng.choice(np.flatnonzero(info["action_mask"])))
        obs, r, term, trunc, info = env.step(a)
        vobs, vr, vterm, vtrunc, vinfo = vec.step(np.array([a, 0, a]))
        assert np.array_equal(obs, vobs[0]) and np.array_equal(obs, vobs[2])
        assert r == vr[0] == vr[2]
        assert np.array_equal(info["action_mask"], vinfo["action_mask"][0])
        if term or trunc:
            break


ALL_STATE = STATE + ("steps", "rejected", "tasks_by_type", "last_return", "reason", "mask")


@pytest.mark.parametrize("scenario", ["hashiru", "startup"])
@pytest.mark.parametrize("reward", ["plain", "hbpo", "cosine"])
def test_single_env_steps_exactly_like_the_batched_sim(scenario, reward):
    """TeamBatch.step_one (what the single Env steps with, in plain Python) against TeamBatch.step
    (what the VectorEnv steps with): the same observations, rewards, ends, outcomes, reasons,
    masks and state, bit for bit, over long random action sequences (masked and unmasked, so that
    every kind of rejection happens) on tight and loose budgets and memories."""
    from hbkit.envs.team import _world

    for seed in range(4):
        rng = np.random.default_rng(seed)
        w = _world(scenario, reward, None, None, [None, 40, 120, 400][seed])
        if seed == 3:
            w.reject_penalty = 0.25  # exercised here only: the scenarios have none
        one, ref = TeamBatch(w, 1), TeamBatch(w, 1)
        episodes = steps = 0
        while episodes < 6:
            budget = np.array([w.budget_p(float(rng.uniform(0.002, w.spend_ceiling)))])
            streams = w.streams_from_seeds([int(rng.integers(1 << 30))])
            one.reset(slice(None), streams, budget)
            ref.reset(slice(None), streams, budget)
            assert np.array_equal(one.observe_one(), ref.observe()[0])
            masked = rng.random() < 0.7
            while not ref.done[0]:
                allowed = np.flatnonzero(ref.mask[0]) if masked else np.arange(w.num_actions)
                a = int(rng.choice(allowed))
                code = int(ref.reason[0, a])
                r, term, trunc, outcome, code1 = one.step_one(a)
                rr, rterm, rtrunc, routcome = ref.step(np.array([a]))
                assert code1 == code and outcome == routcome[0]
                assert r == rr[0] and type(r) is float
                assert term == rterm[0] and trunc == rtrunc[0]
                obs = one.observe_one()
                assert obs.dtype == np.float32 and np.array_equal(obs, ref.observe()[0])
                for k in ALL_STATE:
                    assert np.array_equal(getattr(one, k), getattr(ref, k)), k
                steps += 1
            episodes += 1
        assert steps > 300


@pytest.mark.parametrize("scenario", ["hashiru", "startup"])
def test_single_env_and_vector_env_agree_step_by_step(scenario):
    """The single Env and the VectorEnv (autoreset off) on the same streams and random allowed
    actions: the same observations, rewards, ends and infos."""
    for seed in range(3):
        env = gym.make(ENV, scenario=scenario)
        vec = gym.make_vec(
            ENV,
            num_envs=2,
            vectorization_mode="vector_entry_point",
            scenario=scenario,
            autoreset_mode=AutoresetMode.DISABLED,
        )
        rng = np.random.default_rng(seed)
        ceiling = env.unwrapped.world.spend_ceiling
        for episode in range(4):
            ps = int(rng.integers(1 << 30))
            budget = float(rng.uniform(0.02, 1.0) * ceiling)
            obs, info = env.reset(seed=seed, options={"problem_seed": ps, "budget": budget})
            vobs, vinfo = vec.reset(seed=seed, options={"problem_seed": [ps, ps], "budget": budget})
            term = trunc = False
            while not (term or trunc):
                assert np.array_equal(obs, vobs[0])
                for k, v in info.items():
                    if k == "reason":
                        assert v.endswith(vinfo[k][0])
                    elif k == "type_names":
                        assert list(v) == list(vinfo[k][0])
                    else:
                        assert np.array_equal(v, vinfo[k][0]), k
                allowed = (
                    np.flatnonzero(info["action_mask"]) if episode % 2 else np.arange(env.action_space.n)
                )
                a = int(rng.choice(allowed))
                obs, r, term, trunc, info = env.step(a)
                vobs, vr, vterm, vtrunc, vinfo = vec.step(np.array([a, a]))
                assert r == vr[0] and term == vterm[0] and trunc == vtrunc[0]
            assert np.array_equal(obs, vobs[0])


def test_single_env_pickles_and_copies_mid_episode():
    import pickle

    env = gym.make(ENV).unwrapped
    obs, info = env.reset(seed=3)
    rng = np.random.default_rng(3)
    for _ in range(25):
        obs, *_, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
    twins = [pickle.loads(pickle.dumps(env)), copy.deepcopy(env)]
    for _ in range(40):
        a = int(rng.choice(np.flatnonzero(info["action_mask"])))
        obs, r, term, trunc, info = env.step(a)
        for twin in twins:
            tobs, tr, tterm, ttrunc, tinfo = twin.step(a)
            assert np.array_equal(obs, tobs) and r == tr and term == tterm and trunc == ttrunc
            assert np.array_equal(info["action_mask"], tinfo["action_mask"])
        if term or trunc:
            break


# ------------------------------------------------------------------------------------------------
# Accounting
# ------------------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    actions=st.lists(st.integers(0, 15), min_size=50, max_size=400),
    budget=st.one_of(st.none(), st.floats(0.001, 0.4)),
    memory=st.integers(1, 150),
)
def test_accounting_invariants_under_random_actions(seed, actions, budget, memory):
    env = gym.make(ENV, memory=memory).unwrapped
    env.reset(seed=seed, options={"budget": budget})
    b = env._batch
    check_accounts(b)
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        check_accounts(b)
        assert np.isfinite(r) and env.observation_space.contains(obs)
        assert info["spent"] + info["remaining"] == pytest.approx(info["budget"], abs=1e-15)
        if term or trunc:
            env.reset(seed=seed + 1)
            check_accounts(b)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), steps=st.integers(20, 300))
def test_accounting_invariants_in_the_vector_env(seed, steps):
    vec = gym.make_vec(ENV, num_envs=16, vectorization_mode="vector_entry_point")
    rng = np.random.default_rng(seed)
    vec.reset(seed=seed, options={"budget": list(rng.uniform(0.001, 0.4, 16))})
    for _ in range(steps):
        vec.step(rng.integers(0, 16, 16))  # masked or not: rejections must be harmless
        check_accounts(vec.unwrapped._batch)


def test_money_is_exact_integers():
    env = gym.make(ENV).unwrapped
    env.reset(seed=0, options={"budget": 0.3})
    assert env._batch.budget[0] == 3 * 10**11 and env._batch.budget.dtype == np.int64
    w = env.world
    assert w.price_in_p.tolist() == [0, 0, 0, 37_500, 75_000, 100_000, 1_250_000]  # 1e-12 $/token
    assert w.hire_fee_p[-1] == 5 * 10**9


# ------------------------------------------------------------------------------------------------
# Rejections and masks
# ------------------------------------------------------------------------------------------------
def _states(seed: int, count: int):
    """Envs in a variety of states (including money nearly gone and memory nearly full)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        env = gym.make(ENV, memory=int(rng.integers(20, 120))).unwrapped
        _, info = env.reset(
            seed=int(rng.integers(1 << 30)), options={"budget": float(rng.choice([0.001, 0.006, 0.05, 0.2]))}
        )
        for _ in range(int(rng.integers(0, 60))):
            _, _, term, trunc, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
            if term or trunc:
                _, info = env.reset(seed=k)
        out.append(env)
    return out


def test_mask_matches_exactly_what_step_accepts():
    checked = rejected = 0
    for env in _states(0, 40):
        mask = env.action_masks()
        assert mask[0], "answering itself is always allowed"
        for a in range(env.action_space.n):
            twin = copy.deepcopy(env)
            _, _, _, _, info = twin.step(a)
            assert info["accepted"] == bool(mask[a]), (env.world.action_name(a), info["reason"])
            checked += 1
            rejected += not mask[a]
    assert rejected > checked // 4, "the states should exercise many rejections"


def test_rejected_actions_change_nothing():
    seen = set()
    for env in _states(1, 40):
        mask = env.action_masks()
        for a in np.flatnonzero(~mask):
            before = world_state(env)
            reason_code = int(env._batch.reason[0, a])
            steps, rejected = int(env._batch.steps[0]), int(env._batch.rejected[0])
            obs_before = env._batch.observe()[0]
            obs, r, term, trunc, info = env.step(int(a))
            after = world_state(env)
            for k in STATE:
                if k == "done":  # the step limit may end the episode; nothing else may change
                    continue
                assert np.array_equal(before[k], after[k]), f"{k} changed on a rejected action"
            assert not info["accepted"] and info["reason"].endswith(REASONS[reason_code])
            assert info["reason"].startswith(env.world.action_name(a))
            assert env._batch.steps[0] == steps + 1 and env._batch.rejected[0] == rejected + 1
            assert r == 0.0 and not term
            assert np.array_equal(obs, obs_before)
            seen.add(reason_code)
            if trunc:
                break
    assert {1, 2, 3, 4, 5, 6, 7} <= seen, f"reasons exercised: {sorted(seen)}"


def test_overspending_is_rejected_with_a_reason():
    env = gym.make(ENV).unwrapped
    env.reset(seed=0, options={"budget": 0.006})
    w = env.world
    pro = w.worker_names.index("pro")
    _, _, _, _, info = env.step(int(w.hire_action[pro]))  # fee 0.005 of 0.006
    assert info["accepted"] and info["spent"] == pytest.approx(0.005)
    _, _, _, _, info = env.step(int(w.hire_action[pro]))  # a second fee would overspend
    assert not info["accepted"] and "money" in info["reason"] and info["spent"] == pytest.approx(0.005)


def test_bad_actions_raise_and_do_not_change_state():
    env = gym.make(ENV)
    env.reset(seed=0)
    before = world_state(env)
    for bad in (16, -1, float("nan"), 2.5, np.array([1, 2]), "hire"):
        with pytest.raises((ValueError, TypeError)) as exc:
            env.step(bad)
        assert "allowed" in str(exc.value) or "expected" in str(exc.value)
    after = world_state(env)
    assert all(np.array_equal(before[k], after[k]) for k in STATE)
    vec = gym.make_vec(ENV, num_envs=4, vectorization_mode="vector_entry_point")
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="entry 2"):
        vec.step(np.array([0, 0, 99, 0]))
    with pytest.raises(ValueError, match="shape"):
        vec.step(np.zeros(3, np.int64))


@pytest.mark.parametrize("budget", [0.0, -1.0, float("nan"), 5.0, "a lot", True])
def test_bad_budget_options_are_refused(budget):
    env = gym.make(ENV)
    env.reset(seed=0)
    before = world_state(env)
    with pytest.raises(ValueError, match="allowed"):
        env.reset(seed=1, options={"budget": budget})
    assert all(np.array_equal(before[k], world_state(env)[k]) for k in STATE)
    vec = gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point")
    with pytest.raises(ValueError, match="entry 1"):
        vec.reset(seed=0, options={"budget": [None, budget]})


def test_step_before_reset_and_after_the_end():
    env = gym.make(ENV).unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    term = trunc = False
    while not (term or trunc):
        _, _, term, trunc, info = env.step(0)
    with pytest.raises(RuntimeError, match="ended"):
        env.step(0)


# ------------------------------------------------------------------------------------------------
# Episode ends
# ------------------------------------------------------------------------------------------------
def test_stream_end_terminates():
    env = gym.make(ENV)
    _, info = env.reset(seed=0)
    steps, term, trunc = 0, False, False
    while not (term or trunc):
        _, _, term, trunc, info = env.step(0)  # answer everything itself: free
        steps += 1
    assert term and not trunc and not info["exhausted"]
    assert info["tasks_done"] == 40 and info["spent"] == 0.0
    assert info["tasks_by_type"].sum() == 40


def test_exhausting_money_ends_the_episode():
    env = gym.make(ENV)
    manager = available(ENV)["no-economy"](env)
    ends = []
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        term = trunc = False
        while not (term or trunc):
            obs, r, term, trunc, info = env.step(manager(obs, info))
        ends.append(info["exhausted"])
        if info["exhausted"]:
            assert term and info["tasks_done"] < 40
            assert info["remaining"] < env.unwrapped.world.min_balance
    assert any(ends)


def test_truncation_after_max_steps(tmp_path):
    sc = load_scenario("hashiru").with_overrides({"world.max_steps": 120})
    env = gym.make(ENV, scenario=sc)
    env.reset(seed=0)
    w = env.unwrapped.world
    small = w.worker_names.index("small")
    for t in range(120):
        a = w.hire_action[small] if t % 2 == 0 else w.fire_action[0]  # churn, no progress
        _, _, term, trunc, info = env.step(int(a))
    assert trunc and not term and info["truncated"] and info["hires"] == 60 and info["fires"] == 60


def test_memory_headroom_and_peak():
    env = gym.make(ENV, memory=70).unwrapped
    env.reset(seed=0)
    w = env.world
    reasoner, small = w.worker_names.index("reasoner"), w.worker_names.index("small")
    assert env.step(int(w.hire_action[reasoner]))[4]["memory_used"] == 56
    info = env.step(int(w.hire_action[small]))[4]
    assert info["memory_used"] == 69 and info["memory_free"] == 1
    assert not env.action_masks()[w.assign_action[0]]  # the reasoner needs 12 units to run
    info = env.step(int(w.assign_action[0]))[4]
    assert not info["accepted"] and "memory" in info["reason"]
    env.step(int(w.fire_action[1]))  # fire small: memory comes back
    info = env.step(int(w.assign_action[0]))[4]
    assert info["accepted"] and info["peak_memory"] == 56 + 12 and info["memory_used"] == 56


# ------------------------------------------------------------------------------------------------
# Scenarios
# ------------------------------------------------------------------------------------------------
def _hashiru_text():
    return load_scenario("hashiru").source


@pytest.mark.parametrize(
    "old, new, field, allowed",
    [
        ("memory = 100 ", "memory = -5 ", "world.memory", "1 <= value"),
        ("share = 0.40", "share = 0.50", "task_types.share", "sum to 1"),
        ("quorum = 2", "quorum = 4", "task_types[2].quorum", "quorum <= parts"),
        ("skill = [0.55, 0.35, 0.30]", "skill = [0.55, 0.35]", "workers[0].skill", "per task type"),
        (
            'kind = "local"\nafter = "llama3.2 3B (2.0 GB)"',
            'kind = "local"\nafter = "llama3.2 3B (2.0 GB)"\nprice_in = 0.1',
            "workers[0].price_in",
            "0 for a local",
        ),
        (
            "budgets = [0.05, 0.10, 0.20, 0.30]",
            "budgets = [0.05, 0.10, 0.20, 0.50]",
            "world.budgets[3]",
            "spend_ceiling",
        ),
        (
            "expense_budget = 0.20",
            "expense_budget = 0.20\nexpense_budgt = 1",
            "world.expense_budgt",
            "the fields",
        ),
        ("skill_noise = 0.7", 'skill_noise = "high"', "world.skill_noise", "a number"),
        ("max_steps = 200", "max_steps = 100", "world.max_steps", "at least"),
        ("verbosity = 3.0", "verbosity = nan", "workers[6].verbosity", "a number"),
    ],
)
def test_scenario_errors_name_file_field_and_allowed(tmp_scenario, old, new, field, allowed):
    text = open(_hashiru_text()).read()
    assert old in text, old
    path = tmp_scenario(text.replace(old, new, 1), "broken.toml")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    msg = str(exc.value)
    assert str(path) in msg and f"'{field}'" in msg and allowed in msg, msg


def test_env_overrides_are_validated():
    with pytest.raises(ScenarioError, match="world.memory"):
        gym.make(ENV, memory=0)
    with pytest.raises(ScenarioError, match="world.reward"):
        gym.make(ENV, reward="tips")
    env = gym.make(ENV, memory=40, expense_budget=0.05, reward="hbpo")
    _, info = env.reset(seed=0)
    assert info["memory_free"] == 40 and info["budget"] == 0.05


# ------------------------------------------------------------------------------------------------
# Rewards
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reward", ["plain", "hbpo", "cosine"])
def test_rewards_sum_to_the_episode_return(reward):
    env = gym.make(ENV, reward=reward)
    w = env.unwrapped.world
    manager = available(ENV)["greedy"](env)
    obs, info = env.reset(seed=5, options={"budget": 0.1})
    total, term, trunc = 0.0, False, False
    while not (term or trunc):
        obs, r, term, trunc, info = env.step(manager(obs, info))
        total += r
    b = env.unwrapped._batch
    q = b.solved_value[0] / b.stream_value[0]
    expected = w.reward(q, info["spent"], 0.1, b.solved_value[0], name=reward)
    assert total == pytest.approx(float(expected), abs=1e-9)
    if reward == "hbpo":
        assert total == pytest.approx(4.0 * q * np.cos(np.pi * 0.1 / (2 * 0.4)))


def test_reference_reward_is_the_paper_f2():
    vec = gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point", reward="hbpo")
    f2 = vec.unwrapped.reference_reward(np.array([0.05, 0.3]))
    assert np.allclose(f2, 4.0 * np.cos(np.pi * np.array([0.05, 0.3]) / 0.8))
    assert f2[0] > f2[1]


# ------------------------------------------------------------------------------------------------
# Managers and evaluation
# ------------------------------------------------------------------------------------------------
def test_available_managers():
    names = set(available(ENV))
    assert {"static", "local-only", "cloud-only", "no-economy", "greedy", "feedback", "random"} <= names


def test_managers_act_from_what_they_may_see():
    """A manager decides the same whether or not the hidden skills differ."""
    env = gym.make(ENV)
    obs, info = env.reset(seed=0)
    for name, factory in available(ENV).items():
        if name == "random":
            continue
        m = factory(env)
        a = m(obs, info)
        env.unwrapped._batch.prob[:] = 0.0  # hidden: must not matter
        assert m(obs, info) == a


@pytest.fixture(scope="module")
def reports():
    env = gym.make(ENV)
    return {name: evaluate(f(env), ENV, episodes=200, seed=123) for name, f in available(ENV).items()}


def test_evaluate_report(reports):
    r = reports["greedy"]
    for key in (
        "reward",
        "success_rate",
        "expense_spent",
        "budget_exhausted_rate",
        "peak_memory",
        "hires",
        "fires",
        "rejected",
        "by_type",
    ):
        assert key in r
    assert set(r["by_type"]) == {"math", "reasoning", "review"}
    assert sum(v["count"] for v in r["by_type"].values()) == 200 * 40
    json.dumps(r)
    assert reports["local-only"]["expense_spent"] == 0.0
    assert reports["cloud-only"]["peak_memory"] == 0.0
    assert all(r["rejected"] == 0 for name, r in reports.items() if name != "random")


def test_the_results_hashiru_must_show(reports):
    # the expense budget binds: a hand-written manager runs out of money before the stream ends
    assert reports["no-economy"]["budget_exhausted_rate"] > 0.3
    # greedy and feedback beat local-only and cloud-only on reward
    for good in ("greedy", "feedback"):
        for base in ("local-only", "cloud-only"):
            assert reports[good]["reward"] > reports[base]["reward"], (good, base)
    assert reports["random"]["reward"] < reports["static"]["reward"]


def test_single_env_and_vector_env_evaluations_agree():
    """Managers are batched; run one on the single env too (a reset() keeps it there)."""

    class Unbatched:
        wants_info = True

        def __init__(self, inner):
            self.inner = inner

        def reset(self):
            pass

        def __call__(self, obs, info):
            return self.inner(obs, info)

    env = gym.make(ENV)
    m = available(ENV)["greedy"](env)
    a = evaluate(Unbatched(m), ENV, episodes=30, seed=0)
    assert a["episodes"] == 30 and 0.6 < a["success_rate"] < 0.95


# ------------------------------------------------------------------------------------------------
# Learning
# ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_trained_manager_beats_random_and_static(reports):
    pytest.importorskip("sb3_contrib")
    from hbkit.train.team import train_maskable_ppo

    model = train_maskable_ppo("hashiru", total_timesteps=60_000, seed=0, progress=False)
    r = evaluate(model, ENV, episodes=200, seed=123)
    assert r["rejected"] == 0
    assert r["reward"] > reports["static"]["reward"] + 0.5, (r["reward"], reports["static"]["reward"])
    assert r["reward"] > reports["random"]["reward"] + 10


def test_hbpo_runs_on_team_with_budget_subgroups(tmp_path):
    from hbkit.train import HBPO, load_policy

    trainer = HBPO(ENV, scenario="hashiru", seed=0, problems_per_iteration=4, rollouts_per_problem=4)
    assert trainer.config.reward == "hbpo" and trainer.config.budgets == (0.05, 0.1, 0.2, 0.3)
    history = trainer.learn(iterations=2, progress=False)
    row = history[-1]
    for b in (0.05, 0.1, 0.2, 0.3):
        assert row[f"spent@{b:g}"] <= b + 1e-12  # the subgroup budgets are hard
    assert trainer.num_timesteps > 0
    path = trainer.policy.save(tmp_path / "team.npz")
    report = evaluate(load_policy(path), ENV, episodes=20, seed=0)
    assert report["env_id"] == ENV and report["rejected"] == 0


def test_hbpo_router_beats_random_and_static_and_stays_in_budget(reports):
    from hbkit.train.team import train_hbpo_router

    manager, history = train_hbpo_router("hashiru", iterations=30, seed=0, progress=False)
    assert len(history) == 30 and all(row["spent@0.05"] <= 0.05 + 1e-12 for row in history)
    r = evaluate(manager, ENV, episodes=200, seed=123)
    assert r["rejected"] == 0 and r["budget_exhausted_rate"] < 0.05
    assert r["reward"] > reports["static"]["reward"] + 3, (r["reward"], reports["static"]["reward"])
    assert r["reward"] > reports["random"]["reward"] + 10
    assert r["reward"] > reports["local-only"]["reward"] and r["reward"] > reports["cloud-only"]["reward"]
    json.dumps(manager.to_dict())
    # a budget-conditioned manager: parameters per budget, interpolated in between
    cw = manager.params_at([0.05, 0.075, 0.1])["cost_weight"]
    assert np.all(np.isfinite(cw)) and cw[1] == pytest.approx(np.sqrt(cw[0] * cw[2]))


def test_imitation_warm_start_for_hbpo(tmp_path):
    from hbkit.train import load_policy
    from hbkit.train.team import imitate, train_hbpo

    clone = imitate("hashiru", streams=32, rounds=2, epochs=3, seed=0)
    assert clone.metadata["trained"]["expert"] == "feedback" and clone.metadata["trained"]["samples"] > 1000
    with pytest.raises(ValueError, match="unknown expert"):
        imitate("hashiru", expert="nobody")
    trainer = train_hbpo(
        "hashiru",
        iterations=1,
        seed=0,
        progress=False,
        problems_per_iteration=4,
        rollouts_per_problem=4,
        imitation=dict(streams=16, rounds=1, epochs=2),
    )
    assert trainer.policy.metadata["trained"]["init"] == "clone of feedback"
    r = evaluate(load_policy(trainer.policy.save(tmp_path / "h.npz")), ENV, episodes=20, seed=0)
    assert r["rejected"] == 0


# ------------------------------------------------------------------------------------------------
# Figures, dashboards and exercises
# ------------------------------------------------------------------------------------------------
def test_worker_value_figure():
    import plotly.graph_objects as go

    from hbkit.viz.team import worker_value

    env = gym.make(ENV)
    w = env.unwrapped.world
    easy, hard = worker_value(env, "math", 0.0), worker_value(env, "math", 1.0)
    p_easy, p_hard = np.asarray(easy.data[1].y), np.asarray(hard.data[1].y)
    assert len(p_easy) == w.num_workers + 1 and np.all(p_hard < p_easy)
    dollars = np.asarray(easy.data[1].customdata)[:, 2].astype(float)  # x is on a log axis: "free" sits left
    assert dollars[w.is_local.tolist() + [True]].max() == 0.0  # local and self: free
    assert go.FigureWidget(easy).layout.template.layout.paper_bgcolor is not None  # styled
    with pytest.raises(ValueError, match="unknown task type"):
        worker_value(env, "poetry", 0.5)


def test_notebook_dashboards_redraw_in_place_when_controls_move():
    import plotly.graph_objects as go

    from hbkit.viz.team_widgets import NOTEBOOK_DASHBOARDS

    assert set(NOTEBOOK_DASHBOARDS) == {"01_agents", "05_hierarchy"}
    for factories in NOTEBOOK_DASHBOARDS.values():
        for factory in factories:
            live = factory(widget_factory=go.FigureWidget)
            figure = live.figure
            for control in live.controls.values():
                options = getattr(control, "options", None)
                values = (
                    [o[1] if isinstance(o, tuple) else o for o in options]
                    if options
                    else [control.min, control.max]
                )
                before = json.loads(figure.to_json())["data"]
                control.value = values[-1] if control.value != values[-1] else values[0]
                assert live.figure is figure  # redrawn in place
                assert json.loads(figure.to_json())["data"] != before, control.description
                assert figure.layout.template.layout.paper_bgcolor is not None
            assert len(live.latencies_ms) == len(live.controls)


def test_play_team_buttons():
    import plotly.graph_objects as go

    from hbkit.viz.team_widgets import PlayTeam

    play = PlayTeam("hashiru", seed=0, widget_factory=go.Figure)
    w = play.env.world
    play.act(int(w.assign_action[0]))  # empty slot: rejected, nothing changes
    assert not play.info["accepted"] and "rejected" in play.status.value
    play.act(int(w.hire_action[w.worker_names.index("flash-lite")]))
    assert play.info["spent"] > 0 and play.info["hires"] == 1
    play.act(int(w.assign_action[0]))
    assert play.info["outcome"] in (0, 1)
    play.budget.value = 0.1
    assert play.info["budget"] == pytest.approx(0.1) and play.info["spent"] == 0


def test_play_team_shows_what_its_buttons_raise():
    """The buttons called the env directly: an exception reached only ipywidgets' log, and the
    notebook showed nothing. They now run in the panel's output widget (run_in_output), which shows
    the traceback in the notebook."""
    import plotly.graph_objects as go

    from hbkit.viz.team_widgets import PlayTeam

    class Shown:  # stands in for the ipywidgets.Output: records what reached it
        outputs: tuple = ()

        def __init__(self):
            self.seen: list[BaseException] = []

        def __enter__(self):
            return self

        def __exit__(self, etype, value, tb):
            if value is not None:
                self.seen.append(value)

    play = PlayTeam("hashiru", seed=0, widget_factory=go.Figure)
    assert play.output in play.widget.children

    def broken(*args, **kwargs):
        raise RuntimeError("broken world")

    play.output = shown = Shown()
    play.env.step = broken  # type: ignore[method-assign]
    play.answer.click()
    play.assign.click()
    play.env.reset = broken  # type: ignore[method-assign]
    play.new.click()
    with pytest.raises(RuntimeError, match="broken world"):  # a slider's observer raises to the setter
        play.budget.value = 0.1
    assert [str(e) for e in shown.seen] == ["broken world"] * 4


def test_team_exercise_checkers():
    from hbkit.exercises import check_cost_benefit, check_team_manager
    from hbkit.managers.team import RandomManager, Router

    assert check_cost_benefit(lambda p, v, q, d, lam: v / q * p - lam * d).passed
    wrong = check_cost_benefit(lambda p, v, q, d, lam: v * p - lam * d)
    assert not wrong.passed and "quorum" in wrong.message
    assert "money_weight * dollars" in check_cost_benefit(lambda p, v, q, d, lam: v / q * p).message
    assert not check_cost_benefit(lambda *a: 1 / 0).passed
    good = check_team_manager(lambda env: Router(env, "mine", feedback=True), episodes=40)
    assert good.passed, good.message
    bad = check_team_manager(lambda env: RandomManager(env), episodes=40)
    assert not bad.passed and "yours" in bad.message


def test_the_hierarchy_dashboard_adds_a_learned_router_at_every_point():
    """Notebook 05's Train button: a router learned at the scenario's own memory is evaluated at every
    (budget, memory) point of the grid (the grid moves the world on purpose)."""
    from hbkit.grids import budget_memory_grid
    from hbkit.managers.team import make_managers
    from hbkit.train.team import ENV_ID, train_router
    from hbkit.viz.team_widgets import HierarchyDashboard

    greedy = make_managers(gym.make(ENV_ID, scenario="hashiru"))["greedy"]
    grid = budget_memory_grid(
        {"greedy": greedy}, (0.1, 0.2), (50, 100), scenario="hashiru", episodes=2, seed=1
    )

    def train(seed: int) -> dict:
        return {"router": train_router(ENV_ID, "hashiru", seed=seed, iterations=1, problems_per_iteration=2)}

    dash = HierarchyDashboard(grid, train=train)
    agents = dash.train()
    assert set(agents) == {"router"} and dash.runs == 1
    assert all(row["router"]["episodes"] == 2 for row in grid["points"].values())
    assert set(grid["points"]) == {(0.1, 50), (0.1, 100), (0.2, 50), (0.2, 100)}


def test_the_hierarchy_dashboard_shows_a_chart_that_fails_after_training():
    """After training, the chart was redrawn outside the training's output: what its figure
    function raised reached only ipywidgets' log, and the chart silently kept the managers it had
    before. The failure is now shown under the chart (which says it shows the previous setting)
    and reaches the caller."""
    import plotly.graph_objects as go

    from hbkit.grids import budget_memory_grid
    from hbkit.managers.team import make_managers
    from hbkit.train.team import ENV_ID
    from hbkit.viz.team_widgets import HierarchyDashboard

    greedy = make_managers(gym.make(ENV_ID, scenario="hashiru"), ["greedy"])["greedy"]
    grid = budget_memory_grid({"greedy": greedy}, (0.1, 0.2), (50,), scenario="hashiru", episodes=2, seed=1)
    dash = HierarchyDashboard(grid, train=lambda seed: {f"run {seed}": greedy}, widget_factory=go.Figure)
    assert dash.live.error in dash.live.widget.children and dash.live.widget in dash.widget.children

    def broken(**kwargs):
        raise RuntimeError("broken chart")

    dash.live.build = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="broken chart"):
        dash.train()
    shown = dash.live.error.value
    assert "broken chart" in shown and "shows the previous setting" in shown and "expense = 0.2" in shown
    dash.live.error.value = ""
    dash.button.click()  # from the button, the exception itself only reaches the log
    assert "broken chart" in dash.live.error.value and not dash.button.disabled
    assert dash.runs == 2 and {"run 0", "run 1"} <= set(grid["points"][(0.1, 50)])


def test_a_failed_training_reaches_the_caller_not_only_the_widget():
    """Inside a kernel an ipywidgets Output swallows the exception it shows; run_in_output raises it
    again, so ``dash.train()`` in a cell (or a test) fails loudly."""
    from hbkit.viz.common import run_in_output

    class SwallowingOutput:  # what ipywidgets.Output does in a kernel
        shown: list = []

        def __enter__(self):
            return self

        def __exit__(self, kind, exc, tb):
            self.shown.append(kind)
            return True

    def broken():
        raise RuntimeError("training failed")

    out = SwallowingOutput()
    with pytest.raises(RuntimeError, match="training failed"):
        run_in_output(out, broken)
    assert out.shown == [RuntimeError]
    assert run_in_output(out, lambda: 7) == 7


def test_report_gives_no_success_rate_for_a_task_type_never_seen():
    """A type without tasks has no success rate (it read 0.0, as if every such task failed)."""
    from hbkit.envs.team import summarize_episodes

    columns = {
        "return": np.array([1.0, 2.0]),
        "solved_by_type": np.array([[3, 0], [1, 0]]),
        "tasks_by_type": np.array([[4, 0], [4, 0]]),
        "spent_by_type": np.array([[0.1, 0.0], [0.2, 0.0]]),
        "type_names": np.array([["math", "review"], ["math", "review"]]),
        **{k: np.zeros(2) for k in ("spent", "exhausted", "truncated", "peak_memory", "hires")},
        **{k: np.zeros(2) for k in ("fires", "rejected", "tasks_done", "budget")},
    }
    r = summarize_episodes(columns)
    assert r["by_type"]["math"] == {"success_rate": 0.5, "count": 8, "spent": pytest.approx(0.15)}
    assert r["by_type"]["review"]["count"] == 0 and r["by_type"]["review"]["success_rate"] is None
    assert r["success_rate"] == 0.5


def test_make_managers_refuses_a_single_name():
    """names="greedy" was split into characters: "unknown manager(s) ['g', 'r', 'e', 'e', 'd', 'y']"."""
    from hbkit.errors import ConfigError
    from hbkit.managers.team import make_managers

    env = gym.make(ENV)
    with pytest.raises(ConfigError, match=r"make_managers: names is 'greedy'; allowed: a list or tuple"):
        make_managers(env, "greedy")
    with pytest.raises(ConfigError, match=r"unknown manager\(s\) \['greedyy'\]; allowed: static"):
        make_managers(env, ["greedyy"])
    assert list(make_managers(env, ("greedy",))) == ["greedy"]


def test_the_static_manager_runs_on_a_world_with_other_worker_names(tmp_path):
    """A Team world written against the schema with its own catalog and no static team: ``static``
    picks a team from the catalog (distinct workers, within the slots and the memory), hires only
    it and never fires, and every hand-written manager builds and runs there."""
    import re
    from pathlib import Path

    from hbkit.managers.team import make_managers, static_team

    text = (Path(__file__).resolve().parent.parent / "environments" / "hashiru.toml").read_text()
    for old in ("small", "mid", "reasoner", "flash-8b", "flash-lite", "flash", "pro"):
        text = text.replace(f'name = "{old}"', f'name = "w-{old}"')
    text = re.sub(r"static_team = \[.*\]\n", "", text).replace('name = "hashiru"', 'name = "renamed"')
    path = tmp_path / "renamed.toml"
    path.write_text(text)
    env = gym.make(ENV, scenario=str(path))
    w = env.unwrapped.world
    team = static_team(w)
    assert 1 <= len(team) <= w.num_slots and len(set(team)) == len(team), team
    local = [c for c in (w.worker_names.index(x) for x in team) if w.is_local[c]]
    assert sum(w.worker_memory[local]) + max(w.run_memory[local], default=0) <= w.memory
    managers = make_managers(env)
    reports = {k: evaluate(m, ENV, scenario=str(path), episodes=20, seed=0) for k, m in managers.items()}
    assert reports["static"]["hires"] <= len(team) and reports["static"]["fires"] == 0
    assert reports["static"]["reward"] > reports["random"]["reward"]
    named = gym.make(ENV, scenario="hashiru").unwrapped.world
    assert static_team(named) == ("mid", "flash-lite", "flash")  # the scenario's own


@pytest.mark.parametrize("memory", [1, 20])
def test_the_static_manager_hires_what_of_its_team_fits_a_smaller_memory(memory):
    """A memory override (a slider, a grid point) may leave no room for the scenario's local
    member (mid: 26 + 5 units): the static manager hires the rest of its team and never fires."""
    env = gym.make(ENV, memory=memory)
    r = evaluate(available(ENV)["static"](env), ENV, episodes=20, seed=0, memory=memory)
    assert r["fires"] == 0 and 0 < r["hires"] <= 2 and r["rejected"] == 0
