"""hbkit.sweep: jobs, the JSONL results file (resume, torn lines, Ctrl-C), backends that agree
seed for seed (local processes, and a real local Ray runtime), failed jobs, spec validation and
the interval math."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from hbkit.errors import ScenarioError
from hbkit.sweep import (
    Job,
    ResultStore,
    agent_names,
    comparable,
    format_table,
    load_spec,
    mean_interval,
    run_job,
    run_sweep,
    spawn_seeds,
    summarize,
    t_quantile,
)

ROOT = Path(__file__).resolve().parent.parent
REASONING = "hbkit/Reasoning-v0"
TINY = {"iterations": 2, "problems_per_iteration": 4, "rollouts_per_problem": 4}


def tiny_jobs() -> list[Job]:
    """A few jobs of every kind, each well under a second."""
    seeds = spawn_seeds(7, 2)
    jobs = [
        Job(
            REASONING,
            "hbpo-math",
            "hbpo",
            TINY,
            s,
            evaluation={"episodes": 40, "budget": "none"},
            name="HBPO",
        )
        for s in seeds
    ]
    jobs += [
        Job(
            REASONING,
            "hbpo-math",
            "hbpo",
            {**TINY, "reward": "cosine"},
            s,
            evaluation={"episodes": 40, "budget": "none", "seed": 123},
            name="cosine",
        )
        for s in seeds
    ]
    jobs += [Job("hbkit/Team-v0", None, "manager:greedy", {}, s, evaluation={"episodes": 8}) for s in seeds]
    jobs += [
        Job(
            "hbkit/Split-v0",
            "classroom",
            "manager:thompson",
            {},
            s,
            overrides={"world.noise": 0.2},
            evaluation={"episodes": 8},
        )
        for s in seeds
    ]
    jobs.append(Job(REASONING, None, "hbpo", {**TINY, "advantage": "no-such-advantage"}, 1, name="broken"))
    return jobs


def by_key(rows):
    return {r["key"]: comparable(r) for r in rows}


# ------------------------------------------------------------------------------------------------
# Interval math and seeds
# ------------------------------------------------------------------------------------------------
def test_interval_on_a_hand_worked_case():
    # values 1..5: mean 3, s = sqrt(2.5) = 1.5811, t(0.975, 4) = 2.776,
    # half-width = 2.776 * 1.5811 / sqrt(5) = 1.963
    s = mean_interval([1, 2, 3, 4, 5])
    assert s["n"] == 5 and s["mean"] == 3.0
    assert s["std"] == pytest.approx(1.5811, abs=1e-4)
    assert t_quantile(0.975, 4) == pytest.approx(2.776, abs=1e-3)
    assert s["half_width"] == pytest.approx(1.963, abs=1e-3)
    assert (s["low"], s["high"]) == pytest.approx((3 - 1.963, 3 + 1.963), abs=1e-3)


@pytest.mark.parametrize(
    "p, df, expected",
    [
        (0.975, 1, 12.7062),
        (0.975, 2, 4.3027),
        (0.975, 10, 2.2281),
        (0.975, 30, 2.0423),
        (0.95, 5, 2.0150),
        (0.995, 3, 5.8409),
        (0.975, 1000, 1.9623),
        (0.025, 4, -2.7764),
    ],
)
def test_t_quantile_matches_the_tables(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, abs=1e-4)


def test_summary_refuses_a_metric_that_no_row_has():
    """A misspelled metric used to show as "-" (what a group without results shows), silently."""
    from hbkit.errors import ConfigError

    rows = [
        {"job": {"name": n, "seed": s}, "status": "ok", "report": {"accuracy": a, "by_level": {}}}
        for n, s, a in (("a", 1, 0.5), ("a", 2, 0.7), ("b", 1, 0.6))
    ]
    assert summarize(rows, ["name"], ["accuracy"], strict=True)[0]["accuracy"]["mean"] == pytest.approx(0.6)
    with pytest.raises(ConfigError, match=r"'acuracy'.*allowed.*accuracy"):
        summarize(rows, ["name"], ["accuracy", "acuracy"], strict=True)
    assert summarize(rows, ["name"], ["acuracy"])[0]["acuracy"]["n"] == 0  # not strict: "-"
    rows[2]["report"]["by_level"] = {"5": {"accuracy": 1.0}}  # in some rows only: fine
    assert summarize(rows, ["name"], ["by_level.5.accuracy"], strict=True)[1]["by_level.5.accuracy"]["n"] == 1
    assert summarize(rows, ["name"], ["by_level.9.accuracy"], strict=True)[0]["by_level.9.accuracy"]["n"] == 0
    failed = [{**r, "status": "error", "report": None} for r in rows]
    assert summarize(failed, ["name"], ["acuracy"], strict=True)  # nothing to check against


def test_natural_mode_is_refused_where_a_world_has_none(tmp_scenario):
    """budget "none" means natural mode (Reasoning); Team and Split have none, and it used to run
    silently at the scenario's default budget."""
    from hbkit.errors import ConfigError

    row = run_job(
        Job("hbkit/Team-v0", None, "manager:greedy", {}, 1, evaluation={"episodes": 2, "budget": "none"})
    )
    assert row["status"] == "error" and row["error"]["type"] == "ConfigError", row["error"]
    assert "natural mode" in row["error"]["message"] and "allowed" in row["error"]["message"]
    spec = tmp_scenario(
        textwrap.dedent("""
        [sweep]
        name = "s"
        env = "hbkit/Split-v0"
        seeds = 2

        [eval]
        episodes = 4
        budget = "none"

        [[run]]
        name = "greedy"
        agent = "manager:greedy"
        """),
        "split.toml",
    )
    with pytest.raises(ConfigError, match="natural mode"):
        load_spec(spec).jobs()


def test_interval_needs_two_values():
    one = mean_interval([4.0])
    assert one["mean"] == 4.0 and math.isnan(one["half_width"])
    assert mean_interval([])["n"] == 0


def test_seeds_come_from_seed_sequence_spawn():
    seeds = spawn_seeds(2024, 5)
    expected = [int(c.generate_state(1, np.uint32)[0] >> 1) for c in np.random.SeedSequence(2024).spawn(5)]
    assert seeds == expected and len(set(seeds)) == 5
    assert all(0 <= s < 2**31 for s in seeds)
    assert spawn_seeds(2024, 3) == seeds[:3]  # more seeds later keep the first ones


def test_job_key_is_canonical_and_stable():
    a = Job(
        REASONING,
        "hbpo-math",
        "hbpo",
        {"reward": "cosine", "budgets": (512, 1024)},
        3,
        evaluation={"episodes": 10, "budget": "none"},
    )
    b = Job(
        REASONING,
        "hbpo-math",
        "hbpo",
        {"budgets": [512, 1024], "reward": "cosine"},
        3,
        evaluation={"budget": "none", "episodes": 10},
    )
    assert a.key == b.key
    assert a.key != Job(REASONING, "hbpo-math", "hbpo", {"reward": "cosine"}, 4).key
    # the canonical JSON is part of the file format: a key must not change between versions
    assert a.key == "a71d98ca65bac326"
    assert Job.from_dict(a.to_dict()).key == a.key


# ------------------------------------------------------------------------------------------------
# Running, failures, the results file
# ------------------------------------------------------------------------------------------------
def test_local_backend_matches_in_process_whatever_the_order(tmp_path):
    jobs = tiny_jobs()
    serial = run_sweep(jobs, tmp_path / "serial.jsonl", workers=1, progress=False)
    pooled = run_sweep(jobs[::-1], tmp_path / "pooled.jsonl", workers=2, progress=False)
    assert by_key(serial) == by_key(pooled)
    assert [r["key"] for r in pooled] == [j.key for j in jobs[::-1]]  # rows in the order asked
    ok = [r for r in serial if r["status"] == "ok"]
    assert len(ok) == len(jobs) - 1
    # different seeds give different numbers (the seed reaches training and evaluation)
    hbpo = [r["report"]["accuracy"] for r in ok if r["job"]["name"] == "HBPO"]
    assert hbpo[0] != hbpo[1]
    row = ok[0]
    assert set(row) >= {"key", "job", "status", "report", "history", "timing", "versions", "host"}
    assert set(row["versions"]) >= {"hbkit", "numpy", "gymnasium"}
    assert set(row["timing"]) == {"train_seconds", "eval_seconds", "wall_seconds", "cpu_seconds"}
    assert row["history"]["iterations"] == 2 and "seconds" not in row["history"]["last"]
    assert json.loads(json.dumps(row)) == row


def test_a_failed_job_is_recorded_and_the_sweep_goes_on(tmp_path):
    path = tmp_path / "r.jsonl"
    jobs = tiny_jobs()[-3:]
    rows = run_sweep(jobs, path, workers=1, progress=False)
    failed = [r for r in rows if r["status"] == "error"]
    assert len(failed) == 1 and [r["status"] for r in rows].count("ok") == 2
    err = failed[0]["error"]
    assert err["type"] in ("ValueError", "ConfigError") and "no-such-advantage" in err["message"]
    assert "Traceback" in err["traceback"]
    assert failed[0]["report"] is None
    # a rerun does not repeat it ... unless asked to
    run_sweep(jobs, path, workers=1, progress=False)
    assert len(ResultStore(path).read()) == 3
    again = run_sweep(jobs, path, workers=1, progress=False, retry_errors=True)
    assert len(ResultStore(path).read()) == 4 and again[-1]["status"] == "error"
    assert len(ResultStore(path).done()) == 3
    table = format_table(summarize(rows, by=["name"], metrics=["accuracy"]))
    assert "broken" in table and "(1 failed)" in table


def test_rerun_skips_done_jobs_and_repairs_a_torn_last_line(tmp_path):
    path = tmp_path / "r.jsonl"
    jobs = tiny_jobs()[4:8]
    first = run_sweep(jobs[:2], path, workers=1, progress=False)
    before = path.read_bytes()
    with open(path, "ab") as f:  # a crash in the middle of writing a row
        f.write(b'{"key":"0123","job":{"env_id":"hbk')
    assert len(ResultStore(path).read()) == 2  # the torn line is ignored on reading
    rows = run_sweep(jobs, path, workers=1, progress=False)
    text = path.read_bytes()
    assert text.startswith(before) and text.endswith(b"\n")
    lines = [json.loads(x) for x in text.splitlines()]
    assert [r["key"] for r in lines] == [j.key for j in jobs]  # each job once, no torn line left
    assert rows[:2] == first  # done rows were read back, not run again


def test_rows_of_a_scenario_file_edited_since_are_run_again(tmp_path):
    """The results file is keyed by job, and a job names its scenario: after the file is edited, the
    rows computed on the old world must not be served as results of the new one."""
    scenario = tmp_path / "mine.toml"
    scenario.write_text((ROOT / "environments" / "classroom.toml").read_text())
    job = Job("hbkit/Split-v0", str(scenario), "manager:greedy", {}, 3, evaluation={"episodes": 4})
    path = tmp_path / "r.jsonl"
    [old] = run_sweep([job], path, workers=1, progress=False)
    scenario.write_text(scenario.read_text().replace("budget = 12.0", "budget = 6.0", 1))
    with pytest.warns(UserWarning, match="1 row.*edited"):
        [new] = run_sweep([job], path, workers=1, progress=False)
    assert new["report"]["world_hash"] != old["report"]["world_hash"]
    assert new["report"] == run_job(job)["report"]
    [again] = run_sweep([job], path, workers=1, progress=False)  # now up to date: read back
    assert comparable(again) == comparable(new)


def _wait_for_rows(path: Path, n: int, proc: subprocess.Popen, timeout: float = 240) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = len(ResultStore(path).read()) if path.exists() else 0
        if rows >= n:
            return rows
        if proc.poll() is not None:
            raise AssertionError(f"the sweep ended early: {proc.communicate()}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the sweep wrote no rows in time")


SLOW = {"iterations": 25, "problems_per_iteration": 8, "rollouts_per_problem": 8}


def _slow_spec(tmp_path: Path, seeds: int = 12) -> Path:
    spec = tmp_path / "slow.toml"
    spec.write_text(
        textwrap.dedent(f"""
        [sweep]
        name = "slow"
        env = "hbkit/Reasoning-v0"
        scenario = "hbpo-math"
        seeds = {seeds}
        metrics = ["accuracy", "mean_tokens"]

        [eval]
        episodes = 100
        budget = "none"

        [[run]]
        name = "HBPO"
        agent = "hbpo"
        settings = {json.dumps(SLOW).replace('":', '" =')}
        """)
    )
    return spec


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def test_a_killed_sweep_resumes_without_duplicates(tmp_path):
    spec, path = _slow_spec(tmp_path), tmp_path / "r.jsonl"
    code = (
        f"from hbkit.sweep import load_spec, run_sweep; "
        f"run_sweep(load_spec({str(spec)!r}), {str(path)!r}, workers=1, progress=False)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_for_rows(path, 2, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = ResultStore(path).read()
    jobs = load_spec(spec).jobs()
    assert 2 <= len(kept) < len(jobs), "the kill should land in the middle of the sweep"
    before = {r["key"]: r for r in kept}
    rows = run_sweep(jobs, path, workers=1, progress=False)
    final = ResultStore(path).read()
    assert sorted(r["key"] for r in final) == sorted(j.key for j in jobs)  # every job once
    assert all(r["status"] == "ok" for r in rows)
    for r in rows:  # the rows written before the kill were kept as they were
        if r["key"] in before:
            assert r == before[r["key"]]


def test_ctrl_c_keeps_every_finished_row(tmp_path):
    spec, path = _slow_spec(tmp_path), tmp_path / "r.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "hbkit.cli",
        "sweep",
        str(spec),
        "--out",
        str(path),
        "--workers",
        "2",
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_rows(path, 1, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err and "resume" in err
    kept = ResultStore(path).read()
    assert path.read_bytes().endswith(b"\n") and kept
    jobs = load_spec(spec).jobs()
    assert len(kept) < len(jobs) and len({r["key"] for r in kept}) == len(kept)
    run_sweep(jobs, path, workers=2, progress=False)
    assert sorted(r["key"] for r in ResultStore(path).read()) == sorted(j.key for j in jobs)


# ------------------------------------------------------------------------------------------------
# Spec files
# ------------------------------------------------------------------------------------------------
GOOD = """
[sweep]
name = "t"
env = "hbkit/Reasoning-v0"
scenario = "hbpo-math"
seeds = 3
root_seed = 5
metrics = ["accuracy", "by_level.5.accuracy"]

[eval]
episodes = 30
budget = "none"

[[run]]
name = "HBPO"
agent = "hbpo"
settings = { iterations = 2, problems_per_iteration = 4, rollouts_per_problem = 4 }

[[run]]
name = "fixed"
agent = "manager:fixed-1024"
eval = { seed = 9 }

[grid]
"overrides.levels.need_spread" = [0.3, 0.4]

[quick]
seeds = 2
episodes = 10
settings = { iterations = 1 }
"""


def test_a_spec_gives_runs_times_grid_times_seeds(tmp_scenario):
    spec = load_spec(tmp_scenario(GOOD, "good.toml"))
    jobs = spec.jobs()
    assert len(jobs) == 2 * 2 * 3 and len({j.key for j in jobs}) == 12
    assert spec.seeds == tuple(spawn_seeds(5, 3))
    assert spec.by == ("name", "overrides.levels.need_spread")
    fixed = [j for j in jobs if j.name == "fixed"]
    assert all(j.evaluation == {"episodes": 30, "budget": "none", "seed": 9} for j in fixed)
    assert {j.overrides["levels.need_spread"] for j in jobs} == {0.3, 0.4}
    quick = load_spec(tmp_scenario(GOOD, "good.toml"), quick=True)
    qjobs = quick.jobs()
    assert len(qjobs) == 2 * 2 * 2 and quick.name == "t-quick"
    assert all(j.evaluation["episodes"] == 10 for j in qjobs)
    assert {j.settings.get("iterations") for j in qjobs} == {1, None}  # managers take no iterations


@pytest.mark.parametrize(
    "edit, field, allowed",
    [
        (("seeds = 3", "seeds = 0"), "sweep.seeds", "an integer with 1 <= value"),
        (("seeds = 3", "seeds = 3\ncolour = 1"), "sweep.colour", "the fields name"),
        (('env = "hbkit/Reasoning-v0"', 'env = "hbkit/Chess-v0"'), "sweep.env", "hbkit/Team-v0"),
        (('agent = "hbpo"', 'agent = "hbpoo"'), "run[0].agent", "manager:fixed-512"),
        (
            ("settings = { iterations = 2,", "settings = { iterationz = 2,"),
            "run[0].settings.iterationz",
            "iterations",
        ),
        (("[grid]\n", '[grid]\n"overrides.levels.spread" = [1]\n'), "grid.overrides.levels.spread", None),
        (
            ('"overrides.levels.need_spread" = [0.3, 0.4]', '"overrides.levels.need_spread" = [-1.0]'),
            "grid.overrides.levels.need_spread",
            "value",
        ),
        (('"overrides.levels.need_spread"', '"seed"'), "grid.seed", "settings.NAME"),
        (('budget = "none"', 'budget = "lots"'), "eval.budget", "'none' (natural mode)"),
        (('name = "fixed"', 'name = "HBPO"'), "run[1].name", "a different name"),
        (('scenario = "hbpo-math"', 'scenario = "no-such-world"'), "sweep.scenario", "a scenario name"),
        (('scenario = "hbpo-math"', 'scenario = "hashiru"'), "sweep.scenario", "Reasoning"),
    ],
)
def test_a_bad_spec_names_file_field_and_what_is_allowed(tmp_scenario, edit, field, allowed):
    old, new = edit
    assert old in GOOD
    path = tmp_scenario(GOOD.replace(old, new, 1), "bad.toml")
    with pytest.raises(ScenarioError) as info:
        load_spec(path)
    msg = str(info.value)
    assert str(path) in msg and f"field '{field}'" in msg, msg
    if allowed:
        assert "allowed:" in msg and allowed in msg, msg


def test_a_grid_over_scenarios_and_per_run_quick_settings(tmp_scenario):
    text = textwrap.dedent("""
        [sweep]
        name = "s"
        env = "hbkit/Split-v0"
        seeds = 2
        by = ["scenario", "name"]
        [[run]]
        name = "ucb"
        agent = "manager:ucb"
        [[run]]
        name = "ppo"
        agent = "sb3:ppo"
        settings = { total_timesteps = 50000 }
        quick = { total_timesteps = 256 }
        [grid]
        scenario = ["classroom", "drift"]
        """)
    spec = load_spec(tmp_scenario(text, "s.toml"))
    jobs = spec.jobs()
    assert [(j.scenario, j.name) for j in jobs[::2]] == [
        ("classroom", "ucb"),
        ("classroom", "ppo"),
        ("drift", "ucb"),
        ("drift", "ppo"),
    ]
    quick = load_spec(tmp_scenario(text, "s.toml"), quick=True).jobs()
    assert [j.settings for j in quick if j.name == "ppo"] == [{"total_timesteps": 256}] * 4
    bad = text.replace('"drift"]', '"hashiru"]')
    with pytest.raises(ScenarioError, match=r"field 'grid.scenario\[1\]'"):
        load_spec(tmp_scenario(bad, "bad.toml"))
    bad = text.replace("quick = { total_timesteps = 256 }", "quick = { total_timestep = 256 }")
    with pytest.raises(ScenarioError, match=r"'run\[1\].quick.total_timestep'.*allowed: .*total_timesteps"):
        load_spec(tmp_scenario(bad, "bad.toml"))


@pytest.mark.parametrize("name", ["hbpo-ablations", "team-managers", "split-managers"])
def test_the_shipped_specs_are_valid(name):
    for quick in (False, True):
        spec = load_spec(ROOT / "benchmarks" / "sweeps" / f"{name}.toml", quick=quick)
        jobs = spec.jobs()
        assert len({j.key for j in jobs}) == len(jobs) and len(spec.seeds) >= (2 if quick else 5)


def test_spec_file_errors(tmp_path, tmp_scenario):
    with pytest.raises(ScenarioError, match="no such sweep spec"):
        load_spec(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_spec(tmp_scenario("[sweep\n", "x.toml"))
    with pytest.raises(ScenarioError, match="field 'run'"):
        load_spec(tmp_scenario(GOOD.split("[[run]]")[0], "x.toml"))


def test_every_agent_name_is_runnable():
    names = agent_names(REASONING)
    assert "hbpo" in names and "manager:base" in names and "sb3:ppo" in names
    assert "maskable-ppo" in agent_names("hbkit/Team-v0")
    row = run_job(Job(REASONING, None, "no-such-agent", {}, 0))
    assert row["status"] == "error" and "allowed" in row["error"]["message"]


def test_cli_runs_a_spec_and_prints_the_table(tmp_scenario, tmp_path, capsys):
    from hbkit.cli import main

    spec = tmp_scenario(GOOD, "good.toml")
    out = tmp_path / "r.jsonl"
    assert main(["sweep", str(spec), "--quick", "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "| name | overrides.levels.need_spread | accuracy | by_level.5.accuracy | seeds |" in text
    assert " ± " in text
    assert main(["sweep", str(spec), "--quick", "--out", str(out), "--dry-run"]) == 0
    assert "8 of 8 jobs done" in capsys.readouterr().out
    bad = tmp_scenario(GOOD.replace("seeds = 3", "seeds = -1"), "bad.toml")
    assert main(["sweep", str(bad)]) == 2
    assert "sweep.seeds" in capsys.readouterr().err
    # a misspelled metric is an error (the table would show "-"), and the results are kept
    typo = tmp_scenario(GOOD.replace('"by_level.5.accuracy"', '"acuracy"'), "good.toml")
    assert main(["sweep", str(typo), "--quick", "--out", str(out), "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "'acuracy'" in err and "kept" in err


def test_summary_figure_has_the_intervals_as_error_bars():
    from hbkit.viz.sweep import sweep_figure

    rows = [
        {"job": {"name": n}, "status": "ok", "report": {"accuracy": v}}
        for n, vals in (("a", [1, 2, 3, 4, 5]), ("b", [2, 2, 2]))
        for v in vals
    ]
    summary = summarize(rows, by=["name"], metrics=["accuracy"])
    assert [g["n"] for g in summary] == [5, 3]
    fig = sweep_figure(summary, ["accuracy"], by=["name"])
    assert [t.y[0] for t in fig.data] == [3.0, 2.0]
    assert fig.data[0].error_y.array[0] == pytest.approx(1.963, abs=1e-3)
    assert fig.data[1].error_y.array[0] == 0.0


def test_summary_figure_draws_no_interval_for_one_seed():
    """One seed has no interval: the figure must not draw (or print) a zero-width one."""
    from hbkit.viz.sweep import sweep_figure

    rows = [
        {"job": {"name": n}, "status": "ok", "report": {"accuracy": v}}
        for n, vals in (("a", [1, 2, 3]), ("one", [0.7]))
        for v in vals
    ]
    summary = summarize(rows, by=["name"], metrics=["accuracy"])
    fig = sweep_figure(summary, ["accuracy"], by=["name"])
    many, one = fig.data
    assert many.error_y.visible is True and many.error_y.array[0] > 0
    assert one.y[0] == pytest.approx(0.7)
    assert one.error_y.visible is False
    assert "±" not in one.hovertemplate and "no interval" in one.hovertemplate


# ------------------------------------------------------------------------------------------------
# Ray: a real local runtime, compared with the local backend
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_runtime():
    ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'hbkit[ray]')")
    # Ray's raylet gives its helper processes a fixed time to start; on a machine busy with other
    # work that can run out, so a failed start is tried again (a real runtime either way, no mock)
    for attempt in range(3):
        try:
            ray.init(
                num_cpus=2,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}},
            )
            break
        except Exception:
            ray.shutdown()
            if attempt == 2:
                raise
    yield ray
    ray.shutdown()


def test_ray_gives_the_same_rows_as_the_local_backend(ray_runtime, tmp_path):
    jobs = tiny_jobs()
    local = run_sweep(jobs, tmp_path / "local.jsonl", workers=2, progress=False)
    remote = run_sweep(jobs[::-1], tmp_path / "ray.jsonl", backend="ray", progress=False)
    assert by_key(remote) == by_key(local)
    hosts = {r["host"] for r in remote}
    assert hosts and all(isinstance(h, str) for h in hosts)
    failed = [r for r in remote if r["status"] == "error"]
    assert len(failed) == 1 and failed[0]["error"]["type"] in ("ValueError", "ConfigError")
    # resuming from the Ray file runs nothing new
    again = run_sweep(jobs, tmp_path / "ray.jsonl", backend="ray", progress=False)
    assert len(ResultStore(tmp_path / "ray.jsonl").read()) == len(jobs) and by_key(again) == by_key(local)


def test_summary_refuses_a_single_string_for_by_or_metrics():
    """by="name" was split into characters: groups keyed 'n', 'a', 'm', 'e', each None."""
    from hbkit.errors import ConfigError

    rows = [{"job": {"name": "a", "seed": 1}, "status": "ok", "report": {"accuracy": 0.5}}]
    with pytest.raises(ConfigError, match=r"summarize: by is 'name'; allowed: a list or tuple"):
        summarize(rows, "name", ["accuracy"])
    with pytest.raises(ConfigError, match=r"summarize: metrics is 'accuracy'; allowed: a list or tuple"):
        summarize(rows, ["name"], "accuracy")


def test_an_hbpo_job_refuses_budgets_given_as_one_string():
    """settings.budgets = "512" in a spec was split into characters: HBPO trained on budgets '5',
    '1', '2' (refused only by the world's schema, as budgets[0] '5')."""
    row = run_job(Job(REASONING, None, "hbpo", {**TINY, "budgets": "512"}, 1, evaluation={"episodes": 2}))
    assert row["status"] == "error" and row["error"]["type"] == "ConfigError", row["error"]
    assert "budgets is '512'; allowed: a list or tuple of numbers" in row["error"]["message"]
