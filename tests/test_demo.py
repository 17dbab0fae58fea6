"""The demo's trainings run in worker processes; its results must not depend on how many."""

from __future__ import annotations

import json

from hbkit.demo import RUNS, run_demo


def test_demo_results_do_not_depend_on_the_workers(tmp_path):
    runs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        run_demo(out=out, fast=True, iterations=2, episodes=200, progress=False, workers=workers)
        runs[workers] = json.loads((out / "results.json").read_text())
        assert runs[workers]["workers"] == workers
        assert all((out / f"{name.replace(' ', '-')}.npz").exists() for name in RUNS)
    one, two = runs[1], runs[2]
    assert list(one["reports"]) == list(two["reports"])  # the table's order, whoever finished first
    assert one["reports"] == two["reports"] and one["fixed_length"] == two["fixed_length"]
    for name in RUNS:
        strip = [{k: v for k, v in row.items() if k != "seconds"} for row in one["histories"][name]]
        assert strip == [{k: v for k, v in row.items() if k != "seconds"} for row in two["histories"][name]]
