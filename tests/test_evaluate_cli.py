"""evaluate() for every kind of agent, the demo in fast mode, and the hbkit command."""

from __future__ import annotations

import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from hbkit.cli import main
from hbkit.evaluate import evaluate
from hbkit.managers import available
from hbkit.train import HBPO, base_reasoner

ENV = "hbkit/Reasoning-v0"


def test_report_is_json_and_seeded():
    env = gym.make(ENV)
    a = evaluate(base_reasoner(env), ENV, episodes=300, seed=5, budget=None)
    b = evaluate(base_reasoner(env), ENV, episodes=300, seed=5, budget=None)
    c = evaluate(base_reasoner(env), ENV, episodes=300, seed=6, budget=None)
    assert json.loads(json.dumps(a)) == a
    assert a == b and a != c
    for key in ("accuracy", "mean_tokens", "truncation_rate", "by_level"):
        assert key in a
    assert a["budget"] is None and a["episodes"] == 300


def test_same_seed_same_problems_for_every_agent():
    env = gym.make(ENV)
    m = available(ENV)
    r1 = evaluate(m["fixed-512"](env), ENV, episodes=500, seed=9, budget=None)
    r2 = evaluate(m["fixed-3072"](env), ENV, episodes=500, seed=9, budget=None)
    counts = [{k: v["count"] for k, v in r["by_level"].items()} for r in (r1, r2)]
    assert counts[0] == counts[1]
    assert r2["accuracy"] > r1["accuracy"]


def test_plain_callable_runs_on_the_single_env():
    calls = []

    def answer_at_once(obs):
        calls.append(np.shape(obs))
        return 1

    rep = evaluate(answer_at_once, ENV, episodes=20, seed=0, budget=512)
    assert rep["mean_tokens"] == 0 and calls and all(s == calls[0] for s in calls) and len(calls[0]) == 1


def test_budget_option_reaches_the_env():
    env = gym.make(ENV)
    base = base_reasoner(env)
    natural = evaluate(base, ENV, episodes=200, seed=1, budget=None)
    with pytest.raises(ValueError, match="not one of this scenario's budgets"):
        evaluate(base, ENV, episodes=10, budget=999)
    assert natural["budget"] is None


def test_policy_trained_with_other_budgets_evaluates_with_its_layout(tmp_path):
    t = HBPO(ENV, budgets=(1536,), problems_per_iteration=4)
    t.learn(iterations=1, progress=False)
    path = t.policy.save(tmp_path / "single.npz")
    rep = evaluate(str(path), ENV, episodes=100, seed=0, budget=1536)
    assert rep["episodes"] == 100


def test_sb3_model_is_evaluated_batched():
    pytest.importorskip("stable_baselines3")
    from hbkit.train.sb3 import train_sb3

    model = train_sb3(
        ENV,
        "ppo",
        total_timesteps=256,
        seed=0,
        progress_bar=False,
        algo_kwargs={"n_steps": 128, "batch_size": 64, "n_epochs": 1},
    )
    rep = evaluate(model, ENV, episodes=64, seed=0, budget=None)
    assert 0.0 <= rep["accuracy"] <= 1.0 and rep["agent"] == "PPO"


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown env id"):
        evaluate(lambda o: 0, "hbkit/Nope-v0")
    with pytest.raises(ValueError, match="episodes"):
        evaluate(lambda o: 0, ENV, episodes=0)
    with pytest.raises(TypeError, match="cannot evaluate"):
        evaluate(42, ENV, episodes=1)
    # a manager decides for itself: deterministic=True used to be ignored without a word
    random = available("hbkit/Team-v0")["random"](gym.make("hbkit/Team-v0"))
    with pytest.raises(ValueError, match="deterministic.*allowed"):
        evaluate(random, "hbkit/Team-v0", episodes=1, deterministic=True)


def test_demo_fast(tmp_path, capsys):
    from hbkit.demo import run_demo

    res = run_demo(out=tmp_path, fast=True, progress=False)
    out = capsys.readouterr().out
    assert "HBPO vs base reasoner" in out and "L5 acc/tok" in out
    html = (tmp_path / "report.html").read_text()
    assert (
        html.count("plotly-graph-div") >= 4
        and "<table" in html
        and "What full training gives over seeds" in html
    )
    saved = json.loads((tmp_path / "results.json").read_text())
    assert set(saved["reports"]) == {
        "base reasoner",
        "threshold rule",
        "HBPO",
        "cosine",
        "classic",
        "single budget",
    }
    saved = {p.name for p in tmp_path.glob("*.npz")}
    assert saved == {"HBPO.npz", "cosine.npz", "classic.npz", "single-budget.npz"}
    assert res["reports"]["HBPO"]["episodes"] == 300


def test_cli_scenarios_train_evaluate(tmp_path, capsys):
    assert main(["scenarios"]) == 0
    assert "hbpo-math" in capsys.readouterr().out
    assert main(["scenarios", "hbpo-math"]) == 0
    assert "max_tokens = 4096" in capsys.readouterr().out
    out = tmp_path / "p.npz"
    assert (
        main(
            [
                "train",
                "--iterations",
                "2",
                "--reward",
                "cosine",
                "--budgets",
                "512,2560",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    assert out.exists() and (tmp_path / "p.npz.history.json").exists()
    capsys.readouterr()
    assert main(["evaluate", str(out), "--episodes", "100", "--budget", "none", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["episodes"] == 100 and rep["budget"] is None
    assert main(["evaluate", "manager:fixed-512", "--episodes", "50"]) == 0


def test_cli_reports_errors_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_text("not a policy")
    assert main(["evaluate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "hbkit: error:" in err and "bad.npz" in err and "Traceback" not in err
    assert main(["train", "--scenario", "no-such-world", "--iterations", "1"]) == 2
    assert "no scenario of this name" in capsys.readouterr().err


def test_console_script_is_installed():
    r = subprocess.run([sys.executable, "-m", "hbkit.cli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("hbkit ")


# ------------------------------------------------------------------------------------------------
# The command line on every world (tiny settings)
# ------------------------------------------------------------------------------------------------
def _cli(capsys, *argv: str) -> tuple[object, str, str]:
    code: object
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse refuses with exit code 2
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "env_id, train, evaluate_args",
    [
        (
            "hbkit/Reasoning-v0",
            ["--algo", "hbpo", "--budgets", "512,2560", "--reward", "cosine"],
            ["--budget", "none"],
        ),
        (
            "hbkit/Team-v0",
            ["--algo", "hbpo", "--budgets", "0.1,0.2", "--reward", "hbpo"],
            ["--budget", "0.15"],
        ),
    ],
)
def test_cli_trains_and_evaluates_hbpo_per_world(tmp_path, capsys, env_id, train, evaluate_args):
    out = tmp_path / "p.npz"
    code, stdout, err = _cli(
        capsys,
        "train",
        "--env",
        env_id,
        *train,
        "--fast",
        "--iterations",
        "1",
        "--out",
        str(out),
        "--no-progress",
    )
    assert code == 0, err
    assert out.exists() and "saved" in stdout
    code, stdout, err = _cli(capsys, "evaluate", str(out), "--episodes", "8", "--json", *evaluate_args)
    assert code == 0, err
    rep = json.loads(stdout)
    assert rep["env_id"] == env_id and rep["episodes"] == 8


def test_cli_trains_sb3_on_split_and_evaluates_the_saved_model(tmp_path, capsys):
    pytest.importorskip("stable_baselines3")
    out = tmp_path / "split.zip"
    code, stdout, err = _cli(
        capsys,
        "train",
        "--env",
        "split",
        "--algo",
        "ppo",
        "--budgets",
        "2.5",
        "--fast",
        "--out",
        str(out),
        "--no-progress",
    )
    assert code == 0, err
    assert out.exists() and out.with_suffix(".hbkit.json").exists()
    # the saved model knows its world and algorithm
    code, stdout, err = _cli(capsys, "evaluate", str(out), "--episodes", "4", "--json")
    assert code == 0, err
    rep = json.loads(stdout)
    assert rep["env_id"] == "hbkit/Split-v0" and rep["agent"] == "PPO"
    code, stdout, err = _cli(
        capsys,
        "evaluate",
        f"sb3:ppo:{out}",
        "--env",
        "hbkit/Split-v0",
        "--episodes",
        "4",
        "--budget",
        "2.5",
        "--json",
    )
    assert code == 0, err
    assert json.loads(stdout)["budget"] == 2.5


def test_cli_refuses_an_sb3_model_on_a_world_it_was_not_trained_on(tmp_path, capsys):
    # as for a saved policy: the world recorded beside the model is the default, another world
    # (same observation shape, other numbers) is refused unless --other-world says it is on purpose
    pytest.importorskip("stable_baselines3")
    out = tmp_path / "ppo.zip"
    code, _, err = _cli(capsys, "train", "--algo", "ppo", "--fast", "--out", str(out), "--no-progress")
    assert code == 0, err
    code, stdout, err = _cli(capsys, "evaluate", str(out), "--episodes", "4", "--json")
    assert code == 0 and json.loads(stdout)["scenario"] == "hbpo-math", err
    code, _, err = _cli(capsys, "evaluate", str(out), "--scenario", "hbpo-long", "--episodes", "4")
    assert code == 2 and "hbpo-math" in err and "--other-world" in err, err
    code, _, err = _cli(capsys, "evaluate", f"sb3:ppo:{out}", "--env", "hbkit/Split-v0", "--episodes", "4")
    assert code == 2 and "trained on hbkit/Reasoning-v0" in err, err
    code, stdout, err = _cli(
        capsys, "evaluate", str(out), "--scenario", "hbpo-long", "--other-world", "--episodes", "4", "--json"
    )
    assert code == 0 and json.loads(stdout)["scenario"] == "hbpo-long", err


def test_cli_trains_maskable_ppo_on_team(tmp_path, capsys):
    pytest.importorskip("sb3_contrib")
    out = tmp_path / "team.zip"
    code, _, err = _cli(
        capsys,
        "train",
        "--env",
        "hbkit/Team-v0",
        "--algo",
        "maskable-ppo",
        "--fast",
        "--out",
        str(out),
        "--no-progress",
    )
    assert code == 0, err
    code, stdout, err = _cli(capsys, "evaluate", str(out), "--episodes", "3", "--json")
    assert code == 0, err
    assert json.loads(stdout)["env_id"] == "hbkit/Team-v0"


@pytest.mark.parametrize(
    "env_id, algo, suffix",
    [
        ("hbkit/Team-v0", "hbpo-router", ".json"),
        ("hbkit/Split-v0", "guess-es", ".npz"),
    ],
)
def test_cli_trains_and_evaluates_the_learned_managers(tmp_path, capsys, env_id, algo, suffix):
    out = tmp_path / f"m{suffix}"
    code, stdout, err = _cli(
        capsys, "train", "--env", env_id, "--algo", algo, "--fast", "--out", str(out), "--no-progress"
    )
    assert code == 0, err
    assert out.exists() and "saved" in stdout
    # the file carries its world: no --env needed to evaluate it
    code, stdout, err = _cli(capsys, "evaluate", str(out), "--episodes", "4", "--json")
    assert code == 0, err
    assert json.loads(stdout)["env_id"] == env_id
    # --env naming another world is refused, not silently ignored
    code, _, err = _cli(capsys, "evaluate", str(out), "--env", "hbkit/Reasoning-v0", "--episodes", "4")
    assert code == 2 and f"trained on {env_id}" in err, err


@pytest.mark.parametrize(
    "env_id, algo, suffix",
    [
        ("hbkit/Team-v0", "hbpo-router", ".json"),
        ("hbkit/Split-v0", "guess-es", ".npz"),
    ],
)
def test_evaluate_loads_a_saved_learned_manager_as_the_cli_does(tmp_path, capsys, env_id, algo, suffix):
    """evaluate("m.npz", "hbkit/Split-v0") read every path as a policy: "m.npz: no '__metadata__'
    entry: not written by hbkit's Policy.save", though `hbkit evaluate m.npz` loaded it."""
    from hbkit.errors import WorldMismatchError

    out = tmp_path / f"m{suffix}"
    code, _, err = _cli(
        capsys, "train", "--env", env_id, "--algo", algo, "--fast", "--out", str(out), "--no-progress"
    )
    assert code == 0, err
    code, stdout, err = _cli(capsys, "evaluate", str(out), "--episodes", "4", "--json")
    assert code == 0, err
    cli = json.loads(stdout)
    report = evaluate(str(out), env_id, episodes=4, seed=cli["seed"])
    assert report == cli
    with pytest.raises(WorldMismatchError, match=f"trained on {env_id}.*allowed: evaluate it on {env_id}"):
        evaluate(str(out), "hbkit/Reasoning-v0", episodes=4)


def test_a_policy_and_a_router_saved_under_one_stem_keep_their_own_histories(tmp_path, capsys):
    """p.npz and p.json both wrote p.history.json: the second run's history replaced the first's."""
    from hbkit.train.files import history_path, load_history

    policy, router = tmp_path / "p.npz", tmp_path / "p.json"
    for algo, out in (("hbpo", policy), ("hbpo-router", router)):
        code, _, err = _cli(
            capsys,
            "train",
            "--env",
            "hbkit/Team-v0",
            "--algo",
            algo,
            "--fast",
            "--out",
            str(out),
            "--no-progress",
        )
        assert code == 0, err
    assert history_path(policy).name == "p.npz.history.json" and history_path(router).exists()
    assert not (tmp_path / "p.history.json").exists()
    policy_rows, router_rows = load_history(policy), load_history(router)
    assert policy_rows and router_rows and policy_rows != router_rows
    assert json.loads(history_path(policy).read_text()) == policy_rows
    # a file saved before: its history under the old name (stem + .history.json) still loads
    old = tmp_path / "old.npz"
    old.write_bytes(policy.read_bytes())
    (tmp_path / "old.history.json").write_text(json.dumps(policy_rows))
    assert load_history(old) == policy_rows
    history_path(old).write_text(json.dumps(router_rows))  # the new name wins where both exist
    assert load_history(old) == router_rows


def _registered_trainers():
    from hbkit.train.registry import TRAINERS

    return [(env_id, name) for env_id, entries in TRAINERS.items() for name in entries]


@pytest.mark.parametrize("env_id, name", _registered_trainers())
def test_every_registered_trainer_runs_through_the_cli_and_the_sweep(tmp_path, capsys, env_id, name):
    """The one trainer registry: every entry trains and evaluates through `hbkit train` and as a
    sweep job, on its smoke-sized settings."""
    from hbkit.cli import trainers_for
    from hbkit.sweep.jobs import Job, agent_names, agent_settings, run_job
    from hbkit.train.registry import TRAINERS

    entry = TRAINERS[env_id][name]
    if entry.saves == "sb3":
        pytest.importorskip("sb3_contrib")
    assert name in trainers_for(env_id) and name in agent_names(env_id)
    out = tmp_path / f"m{entry.suffix}"
    code, stdout, err = _cli(
        capsys, "train", "--env", env_id, "--algo", name, "--fast", "--out", str(out), "--no-progress"
    )
    assert code == 0, err
    assert out.exists() and "saved" in stdout
    code, stdout, err = _cli(capsys, "evaluate", str(out), "--episodes", "3", "--json")
    assert code == 0, err
    assert json.loads(stdout)["env_id"] == env_id
    settings = dict(entry.fast)
    known = agent_settings(env_id, name)
    assert known is None or set(settings) <= known, (set(settings) - known) if known else None
    row = run_job(Job(env_id, None, name, settings, 0, evaluation={"episodes": 3}))
    assert row["status"] == "ok", row["error"]
    assert row["report"]["episodes"] == 3


@pytest.mark.parametrize(
    "env_id, manager, budget",
    [
        ("hbkit/Reasoning-v0", "fixed-1024", "none"),
        ("hbkit/Team-v0", "greedy", "0.1"),
        ("hbkit/Split-v0", "ucb", "2.5"),
    ],
)
def test_cli_evaluates_managers_by_name(capsys, env_id, manager, budget):
    code, stdout, err = _cli(
        capsys, "evaluate", manager, "--env", env_id, "--episodes", "4", "--budget", budget, "--json"
    )
    assert code == 0, err
    rep = json.loads(stdout)
    assert rep["env_id"] == env_id and rep["agent"]
    code, stdout, _ = _cli(capsys, "evaluate", "--list-managers", "--env", env_id)
    assert code == 0 and manager in stdout.split()


@pytest.mark.parametrize(
    "argv, words",
    [
        (["evaluate", "sb3:ppo"], "no model path"),
        (["evaluate", "sb3:ppo:missing.zip"], "no such model file"),
        (["evaluate", "sb3:nope:x.zip"], "unknown algorithm"),
        (["evaluate", "no-such-manager", "--env", "hbkit/Team-v0"], "greedy"),
        (["train", "--timesteps", "-5"], "--timesteps must be a whole number >= 1"),
        (["train", "--iterations", "0"], "--iterations"),
        (["train", "--seed", "-1"], "--seed"),
        (["evaluate", "greedy", "--env", "team", "--episodes", "2.5"], "--episodes"),
        (["train", "--env", "hbkit/Split-v0", "--algo", "dqn"], "allowed: guess-es, ppo, a2c, sac, td3"),
        (["train", "--env", "hbkit/Reasoning-v0", "--algo", "sac"], "allowed: hbpo, ppo, a2c, dqn"),
        (["train", "--env", "hbkit/Split-v0", "--algo", "hbpo"], "cannot train hbkit/Split-v0"),
        (["train", "--env", "hbkit/Team-v0", "--reward", "classic"], "allowed: plain, hbpo, cosine"),
        (["train", "--env", "hbkit/Split-v0", "--reward", "hbpo"], "single reward"),
        (["train", "--env", "hbkit/Reasoning-v0", "--budgets", "512,1.5"], "whole numbers of tokens"),
        (["train", "--env", "hbkit/Team-v0", "--budgets", "0.1,abc"], "dollars"),
        (["train", "--env", "hbkit/Team-v0", "--budgets", "none"], "no natural mode"),
        (["train", "--env", "hbkit/Split-v0", "--budgets", "1,2"], "one budget per round"),
        (["evaluate", "greedy", "--env", "hbkit/Team-v0", "--budget", "none"], "no natural mode"),
        (["evaluate", "greedy", "--env", "hbkit/Team-v0", "--budget", "-1"], "out of range"),
        (["train", "--env", "hbkit/Nope-v0"], "allowed: hbkit/Reasoning-v0"),
        (["scenarios", "x" * 5000], "not a usable scenario name"),
    ],
)
def test_cli_bad_input_is_one_clear_line_and_exit_2(capsys, argv, words):
    code, _, err = _cli(capsys, *argv)
    assert code == 2
    assert words in err, err
    assert "Traceback" not in err


def test_cli_error_starts_on_a_fresh_line_after_a_progress_bar(capsys):
    from tqdm.auto import tqdm

    bar = tqdm(total=10, desc="working")
    bar.update(3)
    code, _, err = _cli(capsys, "evaluate", "sb3:ppo")
    assert code == 2
    line = next(ln for ln in err.splitlines() if "hbkit: error:" in ln)
    assert line.startswith("hbkit: error:"), repr(err)


def test_cli_help_shows_an_example_per_world(capsys):
    for command in ("train", "evaluate"):
        code, stdout, _ = _cli(capsys, command, "--help")
        assert code == 0
        for env_id in ("hbkit/Reasoning-v0", "hbkit/Team-v0", "hbkit/Split-v0"):
            assert env_id in stdout or command == "evaluate" and env_id == "hbkit/Reasoning-v0"


def test_cli_scenarios_schema(capsys):
    code, stdout, _ = _cli(capsys, "scenarios", "--schema", "--env", "hbkit/Team-v0")
    assert code == 0
    schema = json.loads(stdout)
    assert schema["properties"]["scenario"]["properties"]["env"] == {"const": "hbkit/Team-v0"}
    assert schema["properties"]["world"]["additionalProperties"] is False
    assert "expense_budget" in schema["properties"]["world"]["required"]
    code, stdout, _ = _cli(capsys, "scenarios", "--schema")
    assert set(json.loads(stdout)) == {"hbkit/Reasoning-v0", "hbkit/Team-v0", "hbkit/Split-v0"}


def test_cli_output_paths_it_cannot_write_are_one_line_errors(tmp_path, capsys):
    """An --out that is a folder (or sits under a file) is bad input: exit 2 with one line, no
    traceback, and nothing in the way is touched."""
    folder = tmp_path / "taken"
    folder.mkdir()
    code, _, err = _cli(capsys, "scenarios", "--schema", "--env", "hbkit/Team-v0", "--out", str(folder))
    assert code == 2 and err.startswith("hbkit: error:") and "Traceback" not in err, err
    assert str(folder) in err and folder.is_dir() and not any(folder.iterdir())
    a_file = tmp_path / "report.txt"
    a_file.write_text("keep me")
    code, _, err = _cli(capsys, "demo", "--fast", "--out", str(a_file))
    assert code == 2 and err.startswith("hbkit: error:") and "Traceback" not in err, err
    assert a_file.read_text() == "keep me"
