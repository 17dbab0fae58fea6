"""Property-based tests (hypothesis): invariants that must hold for every valid scenario, every
malformed one, every action sequence and every option dict.

* random valid scenarios keep the invariants: money is exact and never negative or wrapped
  (Team), allocations sum to the budget (Split), tokens stay on the chunk grid below the maximum
  (Reasoning);
* random malformed scenarios give exactly one clear :class:`ScenarioError`, nothing else;
* random action sequences: a single env and a vector env of one agree; a copy continues exactly like
  the original;
* random option dicts: a refused ``reset`` leaves the env exactly as it was.

The default run is derandomized and small (about a minute). ``HBKIT_HYPOTHESIS=explore`` runs many
more, random examples.
"""

from __future__ import annotations

import copy
import math
import os
import pickle
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import hbkit  # noqa: F401  (registers the environments)
from hbkit.envs.checks import check_invariants
from hbkit.errors import HbkitError, ScenarioError
from hbkit.scenarios import Scenario, load_scenario

# The default run: derandomized, few examples, no shrinking (shrinking a failure can cost minutes);
# `explore` shrinks as usual.
settings.register_profile(
    "default",
    max_examples=int(os.environ.get("HBKIT_EXAMPLES", 8)),
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HBKIT_HYPOTHESIS", "default"))

TEAM, SPLIT, REASONING = "hbkit/Team-v0", "hbkit/Split-v0", "hbkit/Reasoning-v0"


def edited(name: str, edits: dict[tuple[Any, ...], Any]) -> Scenario:
    """The shipped scenario ``name`` with ``edits`` (path tuple -> value), re-validated; an edit the
    cross-field rules refuse is not a valid scenario, so the example is discarded."""
    saved = load_scenario(name).to_dict()
    saved.pop("world_hash")
    for path, value in edits.items():
        node = saved["data"]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    try:
        return Scenario.from_dict(saved, source=f"{name} (edited)")
    except ScenarioError:
        assume(False)
        raise  # unreachable


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log(low), math.log(high)).map(math.exp)


def masked_action(env: Any, info: dict[str, Any], rng: np.random.Generator) -> Any:
    mask = info.get("action_mask")
    if mask is not None:
        return int(rng.choice(np.flatnonzero(np.asarray(mask, bool))))
    space = env.action_space
    if isinstance(space, gym.spaces.Box):
        return rng.uniform(space.low, space.high).astype(space.dtype)
    return int(rng.integers(space.n))


# ------------------------------------------------------------------------------------------------
# Random valid scenarios: invariants
# ------------------------------------------------------------------------------------------------
@st.composite
def team_scenarios(draw: st.DrawFn) -> Scenario:
    base = load_scenario("hashiru")
    worker = draw(st.integers(0, len(base["workers"]) - 1))
    task = draw(st.integers(0, len(base["task_types"]) - 1))
    edits = {
        ("world", "tasks"): draw(st.integers(1, 40)),
        ("world", "memory"): draw(st.integers(1, 400)),
        ("world", "expense_budget"): draw(log_uniform(1e-3, 1e3)),
        ("world", "token_spread"): draw(st.floats(0.0, 3.0)),
        ("workers", worker, "price_out"): draw(st.sampled_from([0.0, 1.0, 100.0, 1000.0])),
        ("workers", worker, "verbosity"): draw(st.sampled_from([0.05, 1.0, 10.0, 50.0])),
        ("task_types", task, "answer_tokens"): draw(st.sampled_from([1, 1000, 10**6, 10**7])),
        ("task_types", task, "prompt_tokens"): draw(st.sampled_from([1, 1000, 10**7])),
    }
    return edited("hashiru", edits)


@given(sc=team_scenarios(), seed=st.integers(0, 2**31 - 1))
def test_team_money_is_exact_never_negative_never_wrapped(sc, seed):
    rng = np.random.default_rng(seed)
    env = gym.make(TEAM, scenario=sc)
    _, info = env.reset(seed=seed)
    check_invariants(TEAM, info, sc)
    for _ in range(150):
        _, reward, term, trunc, info = env.step(masked_action(env, info, rng))
        assert math.isfinite(reward)
        check_invariants(TEAM, info, sc)
        if term or trunc:
            break
    vec = gym.make_vec(TEAM, num_envs=3, vectorization_mode="vector_entry_point", scenario=sc)
    _, infos = vec.reset(seed=seed)
    for _ in range(100):
        mask = np.asarray(infos["action_mask"], bool)
        actions = (rng.random(mask.shape) * mask).argmax(axis=1)
        _, reward, _, _, infos = vec.step(actions)
        assert np.all(np.isfinite(reward))
        check_invariants(TEAM, infos, sc)


def test_team_money_in_the_worst_valid_scenario():
    """The four in-range edits of hashiru that made call costs wrap around."""
    sc = edited(
        "hashiru",
        {
            ("world", "token_spread"): 3.0,
            ("task_types", 2, "answer_tokens"): 10_000_000,
            ("workers", 6, "price_out"): 1000.0,
            ("workers", 6, "verbosity"): 50.0,
        },
    )
    assert sc["workers"][6]["name"] == "pro" and sc["task_types"][2]["name"] == "review"
    rng = np.random.default_rng(0)
    vec = gym.make_vec(TEAM, num_envs=64, vectorization_mode="vector_entry_point", scenario=sc)
    _, infos = vec.reset(seed=0)
    for _ in range(200):
        mask = np.asarray(infos["action_mask"], bool)
        _, reward, _, _, infos = vec.step((rng.random(mask.shape) * mask).argmax(axis=1))
        assert np.all(np.isfinite(reward))
        check_invariants(TEAM, infos, sc)


@st.composite
def split_scenarios(draw: st.DrawFn, low: float = 1e-3, high: float = 1e6) -> Scenario:
    name = draw(st.sampled_from(["classroom", "drift", "divisions"]))
    budget = draw(log_uniform(low, high))
    edits: dict[tuple[Any, ...], Any] = {
        ("world", "budget"): budget,
        ("world", "rounds"): draw(st.integers(1, 12)),
        ("world", "noise"): draw(st.floats(0.0, 10.0)),
        ("world", "drift"): draw(st.floats(0.0, 2.0)),
    }
    if name == "divisions":
        edits[("world", "division_rule")] = draw(st.sampled_from(["equal", "estimate", "oracle"]))
    base = load_scenario(name)
    if base["world"].get("max_budget") is not None and base["world"]["max_budget"] < budget:
        edits[("world", "max_budget")] = budget
    return edited(name, edits)


def _run_split(sc: Scenario, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rounds = sc["world"]["rounds"]
    env = gym.make(SPLIT, scenario=sc)
    _, info = env.reset(seed=seed)
    for _ in range(rounds):
        _, reward, term, trunc, info = env.step(masked_action(env, info, rng))
        assert math.isfinite(reward)
        check_invariants(SPLIT, info, sc)
        if term or trunc:
            break
    vec = gym.make_vec(SPLIT, num_envs=3, vectorization_mode="vector_entry_point", scenario=sc)
    _, infos = vec.reset(seed=seed)
    for _ in range(rounds):
        actions = rng.uniform(-1, 1, vec.action_space.shape).astype(np.float32)
        _, reward, term, trunc, infos = vec.step(actions)
        assert np.all(np.isfinite(reward))
        if (term | trunc).any():
            break
        check_invariants(SPLIT, infos, sc)


@given(sc=split_scenarios(), seed=st.integers(0, 2**31 - 1))
def test_split_allocations_sum_to_the_budget(sc, seed):
    _run_split(sc, seed)


@given(sc=split_scenarios(low=1e-6, high=1e-3), seed=st.integers(0, 2**31 - 1))
def test_split_allocations_sum_to_tiny_budgets(sc, seed):
    """The smallest budgets the schema allows (1e-6): two-level allocations still sum to them."""
    _run_split(sc, seed)


@st.composite
def reasoning_scenarios(draw: st.DrawFn) -> Scenario:
    return edited(
        "hbpo-math",
        {
            ("world", "reward"): draw(st.sampled_from(["hbpo", "cosine", "classic"])),
            ("world", "chunk"): draw(st.sampled_from([16, 32, 64, 128, 256])),
            ("world", "budget_mode"): draw(st.sampled_from(["sample", "none"])),
            ("world", "truncation_reward"): draw(st.floats(-100.0, 0.0)),
            ("levels", "need_spread"): draw(st.floats(0.0, 3.0)),
            ("signal", "noise"): draw(st.floats(0.0, 2.0)),
            ("signal", "doubt_tokens"): draw(st.integers(0, 2048)),
        },
    )


@given(sc=reasoning_scenarios(), seed=st.integers(0, 2**31 - 1))
def test_reasoning_tokens_stay_on_the_grid(sc, seed):
    rng = np.random.default_rng(seed)
    w = sc["world"]
    vec = gym.make_vec(REASONING, num_envs=8, vectorization_mode="vector_entry_point", scenario=sc)
    vec.reset(seed=seed)
    for _ in range(w["max_tokens"] // w["chunk"] + 2):
        actions = (rng.random(8) < 0.02).astype(np.int64)
        _, reward, _, _, infos = vec.step(actions)
        assert np.all(np.isfinite(reward))
        check_invariants(REASONING, infos, sc)


# ------------------------------------------------------------------------------------------------
# Random malformed scenarios: exactly one clear ScenarioError
# ------------------------------------------------------------------------------------------------
def _toml(data: dict[str, Any]) -> str:
    import json

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, float) and math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)

    lines = []
    for name, body in data.items():
        if isinstance(body, list):
            for row in body:
                lines.append(f"[[{name}]]")
                lines += [f"{json.dumps(k)} = {value(v)}" for k, v in row.items()]
        else:
            lines.append(f"[{name}]")
            lines += [f"{json.dumps(k)} = {value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(node, list) and node and isinstance(node[0], dict):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


BAD_VALUES = st.sampled_from(
    ["text", True, -1e9, 1e300, float("nan"), float("inf"), 0, -1, [], [1, "a"], {"x": 1}, 2**70, 0.5]
)


@given(
    name=st.sampled_from(["hbpo-math", "hashiru", "startup", "classroom", "divisions", "drift"]),
    data=st.data(),
)
def test_malformed_scenarios_give_one_clear_scenario_error(tmp_path_factory, name, data):
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    raw = tomllib.loads(open(load_scenario(name).source, encoding="utf-8").read())
    leaves = [p for p in _leaves(raw) if len(p) >= 2]
    path = data.draw(st.sampled_from(leaves))
    kind = data.draw(st.sampled_from(["replace", "delete", "unknown"]))
    node = raw
    for key in path[:-1]:
        node = node[key]
    if kind == "replace":
        node[path[-1]] = data.draw(BAD_VALUES)
    elif kind == "delete":
        del node[path[-1]]
    else:
        node["no_such_field"] = 1
    file = tmp_path_factory.mktemp("bad") / f"{name}.toml"
    file.write_text(_toml(raw), encoding="utf-8")
    try:
        load_scenario(file)
    except ScenarioError as exc:
        msg = str(exc)
        assert msg.startswith(str(file)) and "field '" in msg, msg
        assert exc.field and exc.problem
    # anything else (a valid edit, such as deleting a field that has a default) loads cleanly


# ------------------------------------------------------------------------------------------------
# Random action sequences: single env = vector env of one; copy = original
# ------------------------------------------------------------------------------------------------
def _trace_single(env: Any, seed: int, actions: list[Any]) -> list[tuple[np.ndarray, float, bool]]:
    obs, _ = env.reset(seed=seed)
    out = [(np.asarray(obs), 0.0, False)]
    for a in actions:
        obs, reward, term, trunc, _ = env.step(a)
        out.append((np.asarray(obs), float(reward), bool(term or trunc)))
        if term or trunc:
            break
    return out


def _actions(env_id: str, n: int, seed: int) -> list[Any]:
    env = gym.make(env_id)
    space = env.action_space
    rng = np.random.default_rng(seed)
    if isinstance(space, gym.spaces.Box):
        return [rng.uniform(space.low, space.high).astype(space.dtype) for _ in range(n)]
    if env_id == TEAM:  # answer-it-yourself (0) is always allowed; mix in hires and assigns
        return [int(rng.choice([0, 0, 1, 2, int(space.n) - 1])) for _ in range(n)]
    return [int(rng.random() < 0.1) for _ in range(n)]


@pytest.mark.parametrize("env_id", [REASONING, TEAM, SPLIT])
@given(seed=st.integers(0, 2**31 - 1))
def test_single_env_equals_vector_env_of_one(env_id, seed):
    actions = _actions(env_id, 40, seed)
    single = _trace_single(gym.make(env_id), seed, actions)
    vec = gym.make_vec(env_id, num_envs=1, vectorization_mode="vector_entry_point")
    obs, _ = vec.reset(seed=seed)
    assert np.allclose(obs[0], single[0][0]), "first observations differ"
    for t, (obs_s, reward_s, done_s) in enumerate(single[1:]):
        a = np.asarray([actions[t]])
        obs, reward, term, trunc, _ = vec.step(a)
        assert np.isclose(reward[0], reward_s), f"step {t}: reward {reward[0]} vs {reward_s}"
        assert bool(term[0] or trunc[0]) == done_s
        if not done_s:
            assert np.allclose(obs[0], obs_s), f"step {t}: observations differ"


def _copy_cases() -> list[Any]:
    out = []
    for env_id in (REASONING, TEAM, SPLIT):
        for how in ("copy", "deepcopy", "pickle"):
            out.append(pytest.param(env_id, how, id=f"{env_id.split('/')[1]}-{how}"))
    return out


def _clone(obj: Any, how: str) -> Any:
    if how == "copy":
        return copy.copy(obj)
    if how == "deepcopy":
        return copy.deepcopy(obj)
    return pickle.loads(pickle.dumps(obj))


@pytest.mark.parametrize("env_id, how", _copy_cases())
@given(seed=st.integers(0, 2**31 - 1), cut=st.integers(0, 15))
def test_copy_continues_exactly_like_the_original(env_id, how, seed, cut):
    actions = _actions(env_id, 40, seed)
    for vector in (False, True):
        env = (
            gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point")
            if vector
            else gym.make(env_id).unwrapped
        )
        env.reset(seed=seed)
        steps = [np.asarray([a, a]) if vector else a for a in actions]
        for a in steps[:cut]:
            _, _, term, trunc, _ = env.step(a)
            if not vector and (term or trunc):
                env.reset(seed=seed + 1)
        twin = _clone(env, how)
        for t, a in enumerate(steps[cut : cut + 15]):
            o1, r1, te1, tr1, _ = env.step(a)
            o2, r2, te2, tr2, _ = twin.step(a)
            where = f"{'vector' if vector else 'single'} {how}, step {cut + t}"
            assert np.array_equal(np.asarray(o1), np.asarray(o2)), f"{where}: observations differ"
            assert np.array_equal(np.asarray(r1), np.asarray(r2)), f"{where}: rewards differ"
            if not vector and (te1 or tr1):
                break


# ------------------------------------------------------------------------------------------------
# Random option dicts: a refused reset leaves the state unchanged
# ------------------------------------------------------------------------------------------------
OPTION_KEYS = [
    "budget",
    "budgets",
    "problem_seed",
    "productivity",
    "productivities",
    "world_seed",
    "expense_budget",
    "memory",
    "seed",
]
OPTION_VALUES = st.one_of(
    st.none(),
    st.integers(-5, 10**6),
    st.sampled_from([10**30, 2**64, -1, 0, 1.5, float("nan"), 1e9]),
    st.sampled_from(["512", "none", "x"]),
    st.lists(st.integers(-3, 5000), max_size=3),
)


@pytest.mark.parametrize("env_id", [pytest.param(e, id=e.split("/")[1]) for e in (REASONING, TEAM, SPLIT)])
@given(
    options=st.one_of(
        st.dictionaries(st.sampled_from(OPTION_KEYS), OPTION_VALUES, min_size=1, max_size=3),
        st.sampled_from([["budget"], "budget", 3]),
    ),
    seed=st.integers(0, 2**31 - 1),
)
def test_refused_reset_leaves_the_env_unchanged(env_id, options, seed):
    actions = _actions(env_id, 12, seed)
    envs = [gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point") for _ in range(2)]
    for env in envs:
        env.reset(seed=seed)
        env.step(np.asarray([actions[0], actions[0]]))
    try:
        envs[0].reset(options=options)
    except (HbkitError, ValueError, TypeError) as exc:
        assert isinstance(exc, HbkitError), f"{type(exc).__name__} is not an hbkit error: {exc}"
    else:
        return  # accepted: nothing to compare
    for a in actions[1:]:
        out = [env.step(np.asarray([a, a])) for env in envs]
        assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1])
    for env in envs:  # a plain reset afterwards works and agrees
        env.reset(seed=seed + 1)
    a = np.asarray([actions[0], actions[0]])
    assert np.array_equal(envs[0].step(a)[0], envs[1].step(a)[0])
