"""Scenario files: loading, listing and validation errors that name file, field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hbkit.scenarios import ScenarioError, list_scenarios, load_scenario

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "environments" / "hbpo-math.toml").read_text()


def test_load_by_name_and_by_path():
    a = load_scenario("hbpo-math")
    b = load_scenario(ROOT / "environments" / "hbpo-math.toml")
    assert a.env_id == "hbkit/Reasoning-v0" and a.data == b.data
    assert a["world"]["budgets"] == [512, 1024, 2048, 2560]
    assert a["world"]["max_tokens"] == 4096


def test_every_shipped_scenario_is_valid():
    files = sorted((ROOT / "environments").glob("*.toml"))
    assert files
    for f in files:
        load_scenario(f)  # raises on any problem
    assert {s.name for s in list_scenarios()} >= {"hbpo-math"}


@pytest.mark.parametrize(
    "old, new, field, words",
    [
        ("ceiling     = [0.97,", "ceiling     = [1.70,", "levels.ceiling[0]", "out of range"),
        ("max_tokens = 4096 ", "max_tokens = 4096.5 ", "world.max_tokens", "integer"),
        ('reward = "hbpo"', 'reward = "length"', "world.reward", "not a known choice"),
        ("mix         = [0.20,", "mix         = [0.50,", "levels.mix", "sum to"),
        ("budgets = [512, 1024, 2048, 2560]", "budgets = [512, 1024, 2048, 5000]", "world.budgets[3]", "below max_tokens"),
        ("budgets = [512, 1024, 2048, 2560]", "budgets = [1024, 512]", "world.budgets", "increasing"),
        ("guess       = [0.30,  0.15,  0.08,  0.04,  0.02]", "guess       = [0.30,  0.15]", "levels.guess", "as many items as 'mix'"),
        ("chunk = 64 ", "chunk = 100 ", "world.chunk", "divisor"),
        ("[verification]", "[verification]\ntypo = 1", "verification.typo", "unknown field"),
        ("gap = 0.1 ", "gap = nan ", "verification.gap", "finite"),
        ("truncation_reward = -1.0", "truncation_reward = 'bad'", "world.truncation_reward", "expected a number"),
    ],
)
def test_validation_error_names_file_field_and_allowed(tmp_scenario, old, new, field, words):
    assert old in GOOD, old
    path = tmp_scenario(GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert str(path) in msg
    assert f"'{field}'" in msg
    assert words in msg
    assert "allowed" in msg
    assert info.value.field == field


def test_missing_field_and_section(tmp_scenario):
    path = tmp_scenario(GOOD.replace("need_spread = 0.35", ""))
    with pytest.raises(ScenarioError, match="levels.need_spread.*missing"):
        load_scenario(path)
    start = GOOD.index("[verification]")
    end = GOOD.index("[features]")
    with pytest.raises(ScenarioError, match="'verification'.*missing"):
        load_scenario(tmp_scenario(GOOD[:start] + GOOD[end:]))


def test_not_toml_and_unknown_name(tmp_scenario):
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(tmp_scenario("[scenario\nname = 1"))
    with pytest.raises(ScenarioError, match="no scenario of this name.*hbpo-math"):
        load_scenario("no-such-world")
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario("missing/dir/x.toml")


def test_wrong_env_for_scenario():
    with pytest.raises(ScenarioError, match="scenario.env"):
        load_scenario("hbpo-math", env_id="hbkit/Team-v0")


def test_overrides_are_validated():
    sc = load_scenario("hbpo-math")
    assert sc.with_overrides({"world.reward": "cosine"})["world"]["reward"] == "cosine"
    assert sc["world"]["reward"] == "hbpo"  # the original is untouched
    with pytest.raises(ScenarioError, match="world.reward"):
        sc.with_overrides({"world.reward": "nope"})
    with pytest.raises(ScenarioError, match="unknown field"):
        sc.with_overrides({"world.nope": 1})


def test_env_constructor_reports_bad_kwargs():
    import gymnasium as gym

    with pytest.raises(ScenarioError, match="world.budgets"):
        gym.make("hbkit/Reasoning-v0", budgets=[512, 9000])
