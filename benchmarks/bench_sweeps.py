"""The multi-seed tables: the sweep specs of ``benchmarks/sweeps/`` run with :mod:`hbkit.sweep`, written
as tables of means with 95 % intervals over seeds.

* ``hbpo-ablations.toml``: HBPO's reward, budget and advantage ablations on hbpo-math (three tables
  that share the HBPO row);
* ``team-managers.toml``: every Team manager on hashiru, hand-written and learned;
* ``split-managers.toml``: every Split manager on classroom and drift.

Results go to ``runs/sweeps/<name>.jsonl``: a run that was stopped resumes where it stopped, and a
finished one only rebuilds the tables.

    python benchmarks/run.py sweeps                      # full size (long: see each spec)
    python benchmarks/bench_sweeps.py --quick            # the specs' [quick] tables: a smoke test
    python benchmarks/bench_sweeps.py --ray auto         # the same on a Ray cluster
"""

from __future__ import annotations

import argparse
from pathlib import Path

import hbkit  # noqa: F401
from hbkit.sweep import format_table, load_spec, run_sweep, summarize

TITLE = "Multi-seed tables (hbkit.sweep): means and 95 % intervals over seeds"
HERE = Path(__file__).resolve().parent
SPECS = HERE / "sweeps"
RUNS = HERE.parent / "runs" / "sweeps"

#: the three tables of the HBPO ablations: title -> runs of hbpo-ablations.toml
HBPO_TABLES = {
    "Reward": ["HBPO", "cosine reward", "classic reward"],
    "Budgets": ["HBPO", "1 budget (1536)", "2 budgets (512, 2560)"],
    "Advantage": ["HBPO", "grpo advantage"],
}


def _sweep(name: str, quick: bool, backend: str, address: str | None, workers: int | None):
    spec = load_spec(SPECS / f"{name}.toml", quick=quick)
    rows = run_sweep(
        spec, RUNS / f"{spec.name}.jsonl", backend=backend, address=address, workers=workers, progress=True
    )
    return spec, rows


def _header(spec, rows) -> str:
    failed = sum(r["status"] != "ok" for r in rows)
    ev = spec.evaluation
    seed = (
        f"evaluation seed {ev['seed']} (the same episodes for every row)"
        if ev.get("seed") is not None
        else "each job evaluated on its own seed (paired across rows)"
    )
    return (
        f"`{Path(spec.source).relative_to(HERE.parent)}`: {len(spec.seeds)} seeds per row "
        f"(`SeedSequence({spec.root_seed}).spawn({len(spec.seeds)})`), {ev['episodes']} episodes per "
        "evaluation, "
        f"{seed}; ± is the half-width of the 95 % Student-t interval over seeds."
        + (f" **{failed} job(s) failed** (see the results file)." if failed else "")
    )


def run(
    quick: bool = False, backend: str = "local", address: str | None = None, workers: int | None = None
) -> str:
    flag = " --quick" if quick else ""
    out = [
        f"## {TITLE}",
        "",
        f"Command: `python benchmarks/run.py sweeps`{flag} (specs in `benchmarks/sweeps/`, results in "
        "`runs/sweeps/`; `hbkit sweep SPEC` runs one spec and prints its table).",
    ]
    if quick:
        out += [
            "",
            "**Smoke-test size (`--quick`): a few iterations and seeds; these numbers show that the "
            "pipeline works, not what the methods achieve.**",
        ]

    spec, rows = _sweep("hbpo-ablations", quick, backend, address, workers)
    out += ["", f"### {spec.title}", "", _header(spec, rows)]
    for title, names in HBPO_TABLES.items():
        subset = [r for r in rows if r["job"]["name"] in names]
        out += [
            "",
            f"**{title}**",
            "",
            format_table(summarize(subset, ["name"], spec.metrics), spec.metrics, ["name"]),
        ]

    for name in ("team-managers", "split-managers"):
        spec, rows = _sweep(name, quick, backend, address, workers)
        out += [
            "",
            f"### {spec.title}",
            "",
            _header(spec, rows),
            "",
            format_table(summarize(rows, spec.by, spec.metrics), spec.metrics, spec.by),
        ]
    return "\n".join(out)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--ray", default=None, metavar="ADDRESS", help="run on Ray ('auto', HOST:PORT or 'local')")
    p.add_argument("--workers", type=int, default=None)
    a = p.parse_args()
    print(run(a.quick, "ray" if a.ray else "local", a.ray, a.workers))
