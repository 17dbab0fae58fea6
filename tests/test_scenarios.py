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
        (
            "budgets = [512, 1024, 2048, 2560]",
            "budgets = [512, 1024, 2048, 5000]",
            "world.budgets[3]",
            "below max_tokens",
        ),
        ("budgets = [512, 1024, 2048, 2560]", "budgets = [1024, 512]", "world.budgets", "increasing"),
        (
            "guess       = [0.30,  0.15,  0.08,  0.04,  0.02]",
            "guess       = [0.30,  0.15]",
            "levels.guess",
            "as many items as 'mix'",
        ),
        ("chunk = 64 ", "chunk = 100 ", "world.chunk", "divisor"),
        ("[verification]", "[verification]\ntypo = 1", "verification.typo", "unknown field"),
        ("gap = 0.1 ", "gap = nan ", "verification.gap", "finite"),
        (
            "truncation_reward = -1.0",
            "truncation_reward = 'bad'",
            "world.truncation_reward",
            "expected a number",
        ),
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


# ------------------------------------------------------------------------------------------------
# Hostile inputs: one clear ScenarioError each
# ------------------------------------------------------------------------------------------------
def test_utf8_bom_is_accepted(tmp_scenario):
    path = tmp_scenario("")
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert load_scenario(path)["world"]["max_tokens"] == 4096


def test_deeply_nested_arrays(tmp_scenario):
    path = tmp_scenario(GOOD + "\n[deep]\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError, match="nested too deeply|not valid TOML|unknown field"):
        load_scenario(path)


@pytest.mark.parametrize("value", [None, 123, 1.5, ["hbpo-math"], object()])
def test_scenario_of_the_wrong_type(value):
    with pytest.raises(ScenarioError, match="field 'scenario': expected a scenario name or path"):
        load_scenario(value)


@pytest.mark.parametrize("value", [None, 123])
def test_env_with_a_scenario_of_the_wrong_type(value):
    import gymnasium as gym

    with pytest.raises(ScenarioError, match="expected a scenario name or path"):
        gym.make("hbkit/Team-v0", scenario=value)


@pytest.mark.parametrize("name", ["x" * 5000, "a/" * 3000 + "b.toml", "", "   "])
def test_unusable_names(name):
    with pytest.raises(ScenarioError, match="not a usable scenario name"):
        load_scenario(name)


def _required_fields(model):
    """Dotted names of the required fields of a scenario schema (top-level tables and their fields),
    read from its JSON Schema."""
    root = model.model_json_schema()

    def node(s):
        return root["$defs"][s["$ref"].rsplit("/", 1)[-1]] if "$ref" in s else s

    for key in root.get("required", []):
        yield key
        sub = node(root["properties"][key])
        for inner in sub.get("required", []) if sub.get("type") == "object" else []:
            yield f"{key}.{inner}"


def _shipped():
    return sorted((ROOT / "environments").glob("*.toml"))


def test_every_missing_field_names_its_type_and_range(tmp_path):
    """Delete each required field of each shipped scenario in turn: the error names the field and
    what it must be, never a bare 'a value'."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from hbkit.scenarios import _schema_for
    from hbkit.schema import field_allowed

    cases = 0
    for path in _shipped():
        raw = tomllib.loads(path.read_text())
        schema = _schema_for(raw["scenario"]["env"])
        for dotted in _required_fields(schema):
            section, _, key = dotted.partition(".")
            data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
            if key:
                if not isinstance(data.get(section), dict) or key not in data[section]:
                    continue
                del data[section][key]
            elif section in data:
                del data[section]
            else:
                continue
            with pytest.raises(ScenarioError) as info:
                load_scenario(_write_toml(tmp_path / f"{path.stem}-{cases}.toml", data))
            msg = str(info.value)
            assert f"'{dotted}'" in msg and "is missing" in msg, msg
            assert "allowed: a value" not in msg and info.value.allowed == field_allowed(schema, dotted), msg
            cases += 1
    assert cases >= 40


def _write_toml(path, data):
    """A tiny TOML writer for the plain data of scenario files (tables, arrays of tables, lists)."""
    import json as _json

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return _json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines = []
    for name, body in data.items():
        if isinstance(body, list):
            for row in body:
                lines.append(f"[[{name}]]")
                lines += [f"{k} = {value(v)}" for k, v in row.items()]
        else:
            lines.append(f"[{name}]")
            lines += [f"{k} = {value(v)}" for k, v in body.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_written_toml_helper_round_trips(tmp_path):
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    for path in _shipped():
        raw = tomllib.loads(path.read_text())
        again = _write_toml(tmp_path / path.name, raw)
        assert load_scenario(again).data == load_scenario(path).data


def test_json_schema_accepts_every_shipped_scenario_and_rejects_a_typo():
    jsonschema = pytest.importorskip("jsonschema")
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from hbkit.scenarios import scenario_json_schema

    for path in _shipped():
        raw = tomllib.loads(path.read_text())
        schema = scenario_json_schema(raw["scenario"]["env"])
        jsonschema.validate(raw, schema)
        raw["world"]["typo_field"] = 1
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(raw, schema)


def test_scenarios_are_found_in_the_package_without_a_checkout(monkeypatch, tmp_path):
    """Without a checkout, names resolve to the files shipped in the package (hbkit/_scenarios,
    stood in for here by a copy; tests/test_packaging.py checks a real installed wheel)."""
    import shutil

    import hbkit.scenarios as scenarios

    packaged = tmp_path / "_scenarios"
    packaged.mkdir()
    for path in _shipped():
        shutil.copy2(path, packaged / path.name)
    monkeypatch.setattr(scenarios, "_checkout_dir", lambda: None)
    monkeypatch.setattr(scenarios, "_packaged_dir", lambda: packaged)
    monkeypatch.delenv("HBKIT_SCENARIO_PATH", raising=False)
    assert {s.name for s in list_scenarios()} == {p.stem for p in _shipped()}
    assert load_scenario("hashiru").source == str(packaged / "hashiru.toml")


def test_saved_scenario_round_trip_and_world_hash():
    from hbkit.scenarios import Scenario

    sc = load_scenario("hashiru")
    again = Scenario.from_dict(sc.to_dict())
    assert again.data == sc.data and again.world_hash == sc.world_hash
    assert sc.with_overrides({"world.memory": 40}).world_hash != sc.world_hash
    assert sc.with_overrides({"world.reward": "hbpo"}).world_hash == sc.world_hash
    assert sc.with_overrides({"train.iterations": 7}).world_hash == sc.world_hash
    assert sc.differences(sc.with_overrides({"world.memory": 40})) == ["world.memory: 100 -> 40"]


def test_validation_keeps_every_value_of_the_file_and_only_fills_defaults():
    """Loading changes no value written in a file (an integer in a number field becomes the same
    float); fields left out get their defaults, and a number field always holds a float."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    def same(raw, loaded, path):
        if isinstance(raw, dict):
            assert isinstance(loaded, dict) and set(raw) <= set(loaded), path
            for k, v in raw.items():
                same(v, loaded[k], f"{path}.{k}")
        elif isinstance(raw, list):
            assert isinstance(loaded, list) and len(raw) == len(loaded), path
            for i, (a, b) in enumerate(zip(raw, loaded, strict=True)):
                same(a, b, f"{path}[{i}]")
        else:
            assert raw == loaded and (type(raw) is type(loaded) or type(loaded) is float), path

    for path in _shipped():
        raw = tomllib.loads(path.read_text())
        sc = load_scenario(path)
        for section, body in raw.items():
            if section != "scenario":
                same(body, sc[section], section)
        assert sc.name == raw["scenario"]["name"] and sc.env_id == raw["scenario"]["env"]


def test_a_wrong_value_in_any_field_is_one_scenario_error_naming_it():
    """Every field of every shipped scenario, given a value no field takes (a table): one
    ScenarioError naming that field, never a pydantic error."""
    cases = 0
    for path in _shipped():
        sc = load_scenario(path)
        for section, body in sc.data.items():
            if not isinstance(body, dict):
                continue
            for key in body:
                dotted = f"{section}.{key}"
                with pytest.raises(ScenarioError) as info:
                    sc.with_overrides({dotted: {"oops": 1}})
                assert info.value.field == dotted and info.value.allowed, str(info.value)
                cases += 1
    assert cases >= 150


def test_json_schemas_written_by_the_cli_are_valid_and_fit_every_shipped_scenario(tmp_path, capsys):
    """`hbkit scenarios --schema --out DIR` writes one JSON Schema per world: each is a valid
    draft 2020-12 schema that every shipped scenario of its world passes and a typo fails."""
    import json
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    from hbkit.cli import main

    assert main(["scenarios", "--schema", "--out", str(tmp_path / "schemas")]) == 0
    files = {p.name: json.loads(p.read_text()) for p in (tmp_path / "schemas").glob("*.json")}
    assert set(files) == {"reasoning.schema.json", "team.schema.json", "split.schema.json"}
    by_env = {s["properties"]["scenario"]["properties"]["env"]["const"]: s for s in files.values()}
    jsonschema = pytest.importorskip("jsonschema")
    for schema in by_env.values():
        jsonschema.Draft202012Validator.check_schema(schema)
        text = json.dumps(schema)
        assert '"ge"' not in text and '"le"' not in text  # pydantic's names, not JSON Schema's
    for path in _shipped():
        raw = tomllib.loads(path.read_text())
        schema = by_env[raw["scenario"]["env"]]
        jsonschema.Draft202012Validator(schema).validate(raw)
        raw["scenario"]["typo"] = 1
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft202012Validator(schema).validate(raw)
    one = tmp_path / "team.json"
    assert main(["scenarios", "--schema", "--env", "hbkit/Team-v0", "--out", str(one)]) == 0
    assert json.loads(one.read_text()) == by_env["hbkit/Team-v0"]
    capsys.readouterr()


def test_hbpo_defaults_live_once_in_the_train_model():
    """HBPOConfig's defaults are the [train] model's, and keyword arguments are checked by it."""
    from hbkit.errors import ConfigError
    from hbkit.schema import HBPOTrain
    from hbkit.sim.team import SCHEMA as TEAM
    from hbkit.train import HBPOConfig
    from hbkit.train.hbpo import check_config

    config = HBPOConfig()
    for name, info in HBPOTrain.model_fields.items():
        assert getattr(config, name) == info.default, name
    team_train = TEAM.model_fields["train"].annotation
    assert issubclass(team_train, HBPOTrain) and team_train.model_fields["hidden"].default == 64
    assert check_config({"iterations": 3.0, "budgets": (1, 2)}) == {"iterations": 3, "budgets": (1, 2)}
    with pytest.raises(ConfigError, match=r"HBPO: clip_high: .* out of range; allowed: a number with 0.0 <="):
        check_config({"clip_high": 11})


def test_numpy_numbers_are_taken_as_overrides():
    """A value from a NumPy loop (``for m in np.arange(...)``) is an ordinary override; a NumPy bool
    is still not an integer."""
    import gymnasium as gym
    import numpy as np

    assert gym.make("hbkit/Team-v0", memory=np.int64(50)).unwrapped.world.scenario["world"]["memory"] == 50
    assert gym.make("hbkit/Split-v0", rounds=np.int32(20)).unwrapped.world.scenario["world"]["rounds"] == 20
    env = gym.make("hbkit/Reasoning-v0", budgets=np.array([512, 1024]))
    assert list(env.unwrapped.scenario["world"]["budgets"]) == [512, 1024]
    with pytest.raises(ScenarioError, match="world.memory"):
        gym.make("hbkit/Team-v0", memory=np.bool_(True))


@pytest.mark.parametrize(
    "team, where, problem",
    [
        (["mid", "nobody"], "managers.static_team[1]", "'nobody' is not a worker"),
        (["mid", "flash", "mid"], "managers.static_team[2]", "'mid' appears twice"),
    ],
)
def test_a_static_team_names_distinct_workers_that_fit(tmp_path, team, where, problem):
    """``[managers] static_team`` names distinct workers of the catalog."""
    import tomllib

    raw = tomllib.loads((ROOT / "environments" / "hashiru.toml").read_text())
    raw["managers"]["static_team"] = team
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write_toml(tmp_path / "team.toml", raw))
    msg = str(info.value)
    assert f"'{where}'" in msg and problem in msg, msg


def test_the_static_team_is_not_part_of_the_world(tmp_path):
    """A scenario that differs only in its static team is the same world (the same hash), as one
    that differs only in its training recipes; one with no static team still loads."""
    import tomllib

    raw = tomllib.loads((ROOT / "environments" / "hashiru.toml").read_text())
    shipped = load_scenario("hashiru")
    raw["managers"]["static_team"] = ["reasoner", "flash"]
    other = load_scenario(_write_toml(tmp_path / "other.toml", raw))
    del raw["managers"]
    none = load_scenario(_write_toml(tmp_path / "none.toml", raw))
    assert other.world_hash == none.world_hash == shipped.world_hash
    assert none["managers"]["static_team"] == [] and other["managers"]["static_team"] == ["reasoner", "flash"]
