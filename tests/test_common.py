"""Argument checks shared by every env and entry point: num_envs, render_mode, env ids, episodes,
seeds and SB3 algorithms. Each bad value is one hbkit error naming the argument."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import hbkit
from hbkit.envs._common import check_render_mode, vector_settings
from hbkit.errors import ConfigError, OptionError
from hbkit.evaluate import evaluate


@pytest.mark.parametrize("num_envs", [1.5, 0, -3, True, "4", None, 10**9])
def test_vector_settings_refuses_bad_num_envs(num_envs):
    with pytest.raises(OptionError, match="num_envs"):
        vector_settings(num_envs, "NextStep", {"render_modes": []})


def test_vector_settings_accepts_whole_numbers_and_refuses_bad_modes():
    assert vector_settings(4.0, "NextStep", {})[0] == 4
    assert vector_settings(np.int64(3), "NextStep", {})[0] == 3
    with pytest.raises(OptionError, match="autoreset_mode"):
        vector_settings(2, "SameStep", {})
    with pytest.raises(OptionError, match="autoreset_mode 'nope'"):
        vector_settings(2, "nope", {})
    with pytest.raises(OptionError, match="render_mode 'ansi'.*allowed: None$"):
        vector_settings(2, "NextStep", {"render_modes": []}, render_mode="ansi", where="TeamVectorEnv")


def test_check_render_mode():
    assert check_render_mode(None, [], "X") is None
    assert check_render_mode("ansi", ["ansi"], "X") == "ansi"
    with pytest.raises(OptionError, match="X: render_mode 'human' is not supported; allowed: None, 'ansi'"):
        check_render_mode("human", ["ansi"], "X")


@pytest.mark.parametrize("env_id", hbkit.ENV_IDS)
def test_vector_envs_refuse_render_modes_they_cannot_render(env_id):
    with pytest.raises(OptionError, match="render_mode"):
        gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", render_mode="ansi")


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"episodes": 2.5}, "episodes must be a whole number >= 1, got 2.5"),
        ({"episodes": 0}, "episodes"),
        ({"episodes": True}, "episodes"),
        ({"seed": -1}, "seed must be a whole number >= 0, got -1"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_evaluate_refuses_bad_counts(kwargs, words):
    with pytest.raises(ConfigError, match=words):
        evaluate(lambda obs: 1, "hbkit/Reasoning-v0", **kwargs)


@pytest.mark.parametrize("env_id", ["hbkit/Nope-v0", None, 3, "CartPole-v1"])
def test_unknown_env_ids_are_config_errors(env_id):
    from hbkit.envs import check_env_id

    with pytest.raises(ConfigError, match="unknown env id.*allowed: hbkit/Reasoning-v0"):
        check_env_id(env_id)
    with pytest.raises(ConfigError, match="unknown env id"):
        evaluate(lambda obs: 0, env_id)


def test_train_sb3_refuses_unknown_envs_and_unfit_algorithms_before_training():
    pytest.importorskip("stable_baselines3")
    from hbkit.train.sb3 import algos_for, train_sb3

    with pytest.raises(ConfigError, match="unknown env id 'hbkit/Nope-v0'"):
        train_sb3("hbkit/Nope-v0")
    with pytest.raises(ConfigError, match="'dqn' does not fit.*allowed: ppo, a2c, sac, td3"):
        train_sb3("hbkit/Split-v0", "dqn", total_timesteps=64)
    with pytest.raises(ConfigError, match="'sac' does not fit.*allowed: ppo, a2c, dqn"):
        train_sb3("hbkit/Reasoning-v0", "sac", total_timesteps=64)
    with pytest.raises(ConfigError, match="unknown algorithm 'nope'"):
        train_sb3("hbkit/Reasoning-v0", "nope")
    with pytest.raises(ConfigError, match="total_timesteps"):
        train_sb3("hbkit/Reasoning-v0", "ppo", total_timesteps=-5)
    assert "maskable-ppo" in algos_for("hbkit/Team-v0")
    assert "maskable-ppo" not in algos_for("hbkit/Reasoning-v0")


@pytest.mark.parametrize(
    "algo, kwargs, words",
    [
        ("ppo", {"n_step": 64}, r"unknown key 'n_step'; allowed: learning_rate, n_steps, batch_size"),
        (
            "sac",
            {"n_epochs": 4},
            r"'sac' \(SAC\): unknown key 'n_epochs'; allowed: learning_rate, buffer_size",
        ),
        ("ppo", {"seed": 3}, r"key 'seed' is set by train_sb3 \(pass seed= to train_sb3 itself\); allowed"),
        ("ppo", {"env": None}, r"key 'env' is set by train_sb3; allowed: learning_rate"),
        ("ppo", ["n_steps"], r"algo_kwargs of 'ppo' \(PPO\) is \['n_steps'\]; allowed: a dict with keys"),
    ],
)
def test_train_sb3_checks_algo_kwargs_against_the_algorithm_before_any_env(monkeypatch, algo, kwargs, words):
    """algo_kwargs went to SB3 as they were: PPO.__init__() got an unexpected keyword argument
    'n_step' (a TypeError after the envs were built), or 'got multiple values' for seed."""
    pytest.importorskip("stable_baselines3")
    import hbkit.train.sb3 as sb3

    def no_env(*args, **kwargs):
        raise AssertionError("an env was built before algo_kwargs were checked")

    monkeypatch.setattr(sb3, "make_sb3_env", no_env)
    with pytest.raises(ConfigError, match=words) as err:
        sb3.train_sb3("hbkit/Split-v0", algo, total_timesteps=64, algo_kwargs=kwargs, progress_bar=False)
    assert "_init_setup_model" not in str(err.value)


def test_load_sb3_missing_file_is_a_config_error(tmp_path):
    from hbkit.train.sb3 import load_sb3

    with pytest.raises(ConfigError, match="no such SB3 model file"):
        load_sb3(str(tmp_path / "missing.zip"), "ppo")


def test_evaluation_chunks_bound_the_memory_of_large_worlds():
    """max_tokens=65536 with chunk=1 is valid; evaluating 2000 problems at once asked for 5.4 GiB.
    The evaluation now runs in chunks whose arrays fit hbkit.evaluate.MEMORY_BUDGET."""
    from hbkit.evaluate import MEMORY_BUDGET, _array_bytes, _chunk_size
    from hbkit.scenarios import load_scenario

    big = load_scenario("hbpo-math").with_overrides({"world.max_tokens": 65536, "world.chunk": 1})
    n = _chunk_size("hbkit/Reasoning-v0", {"scenario": big}, 2000)
    assert 1 <= n <= 2000  # the world draws its hints step by step: its memory no longer grows with L
    vec = gym.make_vec(
        "hbkit/Reasoning-v0", num_envs=n, vectorization_mode="vector_entry_point", scenario=big
    )
    assert _array_bytes(vec.unwrapped, set()) <= 1.2 * MEMORY_BUDGET
    assert _chunk_size("hbkit/Reasoning-v0", {"scenario": "hbpo-math"}, 2000) == 2000


@pytest.mark.parametrize(
    "action, shown",
    [
        (2**63, "9223372036854775808"),
        (np.uint64(2**64 - 1), "18446744073709551615"),
        (1e30, "1e+30"),
        (-1, "-1"),
        (4, "4"),
    ],
)
def test_huge_actions_are_reported_as_they_are(action, shown):
    import re

    from hbkit.envs._common import check_actions
    from hbkit.errors import ActionError

    with pytest.raises(ActionError, match=rf"entry 0 is {re.escape(shown)}; allowed: integers 0..3"):
        check_actions(action, 4, "X.step")


def test_team_env_reports_action_2_63_as_a_positive_number():
    from hbkit.errors import ActionError

    env = gym.make("hbkit/Team-v0")
    env.reset(seed=0)
    with pytest.raises(ActionError, match="9223372036854775808"):
        env.step(2**63)


@pytest.mark.parametrize("value", [None, 1.5, "3", 2**64, -1, True, [1, 2, 3]])
def test_seed_options_are_refused_not_coerced(value):
    from hbkit.envs._common import check_seeds

    with pytest.raises(OptionError, match=r"TeamVectorEnv.reset: options\['problem_seed'\]"):
        check_seeds(value, 2, "problem_seed", "TeamVectorEnv.reset")


def test_seed_options_accepted():
    from hbkit.envs._common import check_seeds

    assert check_seeds(7, 3, "problem_seed", "X") == [7, 7, 7]
    assert check_seeds([1, np.int64(2)], 2, "problem_seed", "X") == [1, 2]
    assert check_seeds(4.0, 1, "problem_seed", "X") == [4]


@pytest.mark.parametrize("env_id", hbkit.ENV_IDS)
@pytest.mark.parametrize("vector", [False, True])
def test_a_bad_reset_seed_is_an_option_error_and_changes_nothing(env_id, vector):
    env = (
        gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point")
        if vector
        else gym.make(env_id)
    )
    first, _ = env.reset(seed=3)
    for bad in (-1, 1.5, "7", 2**64):
        with pytest.raises(OptionError, match="seed"):
            env.reset(seed=bad)
    again, _ = env.reset(seed=3)
    np.testing.assert_array_equal(first, again)


def test_learned_managers_run_on_their_own_world_and_refuse_another(tmp_path):
    """A learned Split guess manager and a learned Team router carry the world they were trained on:
    evaluate() uses it by default and refuses another one unless told otherwise."""
    from hbkit.errors import WorldMismatchError
    from hbkit.evaluate import evaluate
    from hbkit.train.split import train as train_split
    from hbkit.train.team import load_router, train_router

    guess = train_split(scenario="drift", seed=0, iterations=1, population=2, episodes=2)
    assert evaluate(guess, "hbkit/Split-v0", episodes=2)["scenario"] == "drift"
    with pytest.raises(WorldMismatchError):
        evaluate(guess, "hbkit/Split-v0", scenario="classroom", episodes=2)
    router = train_router(
        scenario="startup", seed=0, iterations=1, problems_per_iteration=2, rollouts_per_problem=4
    )
    router = load_router(router.save(tmp_path / "r.json"))
    assert evaluate(router, "hbkit/Team-v0", episodes=2)["scenario"] == "startup"
    with pytest.raises(WorldMismatchError):
        evaluate(router, "hbkit/Team-v0", scenario="hashiru", episodes=2)
    from hbkit.scenarios import load_scenario

    other = load_scenario("startup").with_overrides({"world.expense_budget": 0.01})
    with pytest.raises(WorldMismatchError, match="expense_budget"):
        evaluate(router, "hbkit/Team-v0", scenario=other, episodes=2)
    assert "reward" in evaluate(router, "hbkit/Team-v0", scenario=other, episodes=2, allow_other_world=True)


def test_a_cloned_team_policy_carries_its_world():
    from hbkit.train.team import imitate

    policy = imitate("startup", streams=2, rounds=1, epochs=1)
    assert policy.metadata["scenario"]["name"] == "startup" and "world_hash" in policy.metadata["scenario"]


def test_small_misuses_get_clear_messages(capsys):
    from hbkit.cli import main
    from hbkit.scenarios import load_scenario
    from hbkit.train import HBPO, base_reasoner

    with pytest.raises(ConfigError, match="not a Reasoning env"):
        base_reasoner(load_scenario("hbpo-math"))
    with pytest.raises(ConfigError, match="allowed: rollouts_per_problem >= 4"):
        HBPO("hbkit/Reasoning-v0", rollouts_per_problem=2)
    assert main(["train", "--env", "hbkit/Reasoning-v0", "--budgets", "512.5", "--fast"]) == 2
    assert "'512.5' is not a whole number; allowed: whole numbers of tokens" in capsys.readouterr().err


def test_sequence_of_refuses_strings_single_values_and_mappings():
    from hbkit.errors import sequence_of

    assert sequence_of((1, 2), "xs", "numbers") == [1, 2]
    assert sequence_of(np.array([1, 2]), "xs", "numbers") == [1, 2]
    assert sequence_of((x for x in "ab"), "xs", "names") == ["a", "b"]  # an iterator is one too
    for bad in ("512", b"512", 512, None, np.array(5), {"a": 1}):
        with pytest.raises(ConfigError, match=r"^xs is .*; allowed: a list or tuple of numbers"):
            sequence_of(bad, "xs", "numbers")
    with pytest.raises(OptionError, match="never split into characters"):
        sequence_of("ab", "xs", "names", error=OptionError)
