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
    assert {k: v["count"] for k, v in r1["by_level"].items()} == {k: v["count"] for k, v in r2["by_level"].items()}
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

    model = train_sb3(ENV, "ppo", total_timesteps=256, seed=0, progress_bar=False,
                      algo_kwargs={"n_steps": 128, "batch_size": 64, "n_epochs": 1})
    rep = evaluate(model, ENV, episodes=64, seed=0, budget=None)
    assert 0.0 <= rep["accuracy"] <= 1.0 and rep["agent"] == "PPO"


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown env id"):
        evaluate(lambda o: 0, "hbkit/Nope-v0")
    with pytest.raises(ValueError, match="episodes"):
        evaluate(lambda o: 0, ENV, episodes=0)
    with pytest.raises(TypeError, match="cannot evaluate"):
        evaluate(42, ENV, episodes=1)


def test_demo_fast(tmp_path, capsys):
    from hbkit.demo import run_demo

    res = run_demo(out=tmp_path, fast=True, progress=False)
    out = capsys.readouterr().out
    assert "HBPO vs base reasoner" in out and "L5 acc/tok" in out
    html = (tmp_path / "report.html").read_text()
    assert html.count("plotly-graph-div") >= 4 and "<pre>" in html
    saved = json.loads((tmp_path / "results.json").read_text())
    assert set(saved["reports"]) == {"base reasoner", "threshold rule", "HBPO", "cosine", "classic", "single budget"}
    assert {p.name for p in tmp_path.glob("*.npz")} == {"HBPO.npz", "cosine.npz", "classic.npz", "single-budget.npz"}
    assert res["reports"]["HBPO"]["episodes"] == 300


def test_cli_scenarios_train_evaluate(tmp_path, capsys):
    assert main(["scenarios"]) == 0
    assert "hbpo-math" in capsys.readouterr().out
    assert main(["scenarios", "hbpo-math"]) == 0
    assert "max_tokens = 4096" in capsys.readouterr().out
    out = tmp_path / "p.npz"
    assert main(["train", "--iterations", "2", "--reward", "cosine", "--budgets", "512,2560",
                 "--out", str(out), "--no-progress"]) == 0
    assert out.exists() and out.with_suffix(".history.json").exists()
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
