"""``hbkit sweep SPEC.toml``: run a spec, resumable, then print the summary table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hbkit.errors import ConfigError
from hbkit.sweep.backends import run_sweep
from hbkit.sweep.jobs import scenario_hash
from hbkit.sweep.spec import load_spec
from hbkit.sweep.stats import format_table, summarize
from hbkit.sweep.store import ResultStore

__all__ = ["add_cli_parser", "cli_main"]


def add_cli_parser(subparsers: Any) -> Any:
    """Add the ``sweep`` subcommand to ``hbkit``'s subparsers (its handler is :func:`cli_main`)."""
    p = subparsers.add_parser(
        "sweep",
        help="run a sweep spec (many seeds and settings), resumable",
        description="Run every job of a sweep spec not yet in the results file, "
        "then print the summary table (mean ± 95 % interval over seeds).",
    )
    p.add_argument("spec", type=Path, help="a sweep spec .toml (e.g. benchmarks/sweeps/hbpo-ablations.toml)")
    p.add_argument("--out", type=Path, default=None, help="results file (default: runs/sweeps/<name>.jsonl)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: all CPUs)")
    p.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="run on Ray: 'auto' (this machine's cluster), HOST:PORT, or 'local'",
    )
    p.add_argument("--quick", action="store_true", help="apply the spec's [quick] table (a smoke test)")
    p.add_argument("--retry-errors", action="store_true", help="run the failed jobs again")
    p.add_argument("--dry-run", action="store_true", help="list the jobs and how many are done, run nothing")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=cli_main)
    return p


def cli_main(args: Any) -> int:
    """Run ``hbkit sweep`` with parsed arguments; returns the exit code (130 after Ctrl-C)."""
    spec = load_spec(args.spec, quick=args.quick)
    path = args.out or Path("runs") / "sweeps" / f"{spec.name}.jsonl"
    jobs = spec.jobs()
    if args.dry_run:
        stored = ResultStore(path).done(args.retry_errors)
        done = {  # a row computed on a scenario file edited since is run again
            key
            for key, row in stored.items()
            if row.get("scenario_hash") is None
            or any(row["scenario_hash"] == scenario_hash(j) for j in jobs if j.key == key)
        }
        for job in jobs:
            print(f"{job.key}  {'done' if job.key in done else 'todo'}  {job.name}  seed={job.seed}")
        print(f"{sum(j.key in done for j in jobs)} of {len(jobs)} jobs done in {path}")
        return 0
    try:
        rows = run_sweep(
            jobs,
            path,
            backend="ray" if args.ray else "local",
            workers=args.workers,
            address=args.ray,
            progress=not args.no_progress,
            retry_errors=args.retry_errors,
        )
    except KeyboardInterrupt:
        kept = len(ResultStore(path).read())
        print(
            f"\ninterrupted: {kept} finished rows kept in {path}; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    except (ImportError, RuntimeError) as exc:  # no ray, Ray unreachable, a worker process died
        print(f"hbkit sweep: error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = summarize(rows, spec.by, spec.metrics, strict=True)
    except ConfigError as exc:
        raise ConfigError(
            f"{args.spec}: [sweep] metrics: {exc} (the results are kept in {path}: fix the spec and "
            "run it again, the finished jobs are read back)"
        ) from None
    print(
        f"\n{spec.title or spec.name}: {len(spec.seeds)} seeds per row, 95 % Student-t intervals; "
        f"results in {path}\n"
    )
    print(format_table(summary, spec.metrics, spec.by))
    for row in rows:
        if row["status"] != "ok":
            err = row["error"]
            print(
                f"failed: {row['job']['name']} seed={row['job']['seed']}: {err['type']}: {err['message']}",
                file=sys.stderr,
            )
    return 1 if any(row["status"] != "ok" for row in rows) else 0
