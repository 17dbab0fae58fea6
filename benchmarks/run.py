"""Run every benchmark module (``benchmarks/bench_*.py``) and write ``benchmarks/RESULTS.md``.

Each module defines ``TITLE`` and ``run(quick: bool) -> str`` returning a markdown section.

    python benchmarks/run.py            # all of them (what `make bench` runs)
    python benchmarks/run.py envs       # only bench_envs.py
    python benchmarks/run.py --quick    # shorter runs, for a smoke test; writes RESULTS.quick.md
    python benchmarks/run.py team --part speed   # only the speed subsections of a section whose
                                                 # module offers parts (the rest is kept)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_info  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="benchmark names (bench_NAME.py); default: all")
    parser.add_argument("--quick", action="store_true", help="short runs; writes RESULTS.quick.md")
    parser.add_argument("--out", type=Path, default=None, help="output file")
    parser.add_argument(
        "--part", default=None, help="rerun only this part of each named section (modules with PARTS)"
    )
    args = parser.parse_args(argv)
    names = args.names or sorted(p.stem[len("bench_") :] for p in HERE.glob("bench_*.py"))
    out = args.out or HERE / ("RESULTS.quick.md" if args.quick else "RESULTS.md")
    previous = out.read_text() if out.exists() and args.names else ""
    existing = _sections(previous)
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        print(f"== {module.TITLE}", flush=True)
        if args.part is not None:
            if args.part not in getattr(module, "PARTS", ()):
                parser.error(f"bench_{name}.py has no part {args.part!r}")
            existing[name] = module.run(quick=args.quick, part=args.part, previous=existing.get(name, ""))
        else:
            existing[name] = module.run(quick=args.quick)
        existing[name] = existing[name].strip()
        print(existing[name], flush=True)
    order = sorted(p.stem[len("bench_") :] for p in HERE.glob("bench_*.py"))
    header = (
        "# hbkit benchmark results\n\n"
        f"Written by `make bench` (`python benchmarks/run.py`) on {dt.date.today().isoformat()}.\n\n"
        f"Machine: {machine_info()}.\n\n"
        "Speed is reported as a ratio against a reference measured in the same process "
        "(Gymnasium's CartPole-v1 for env steps, Stable-Baselines3 PPO for training), "
        "so the ratios, not the absolute numbers, are what carry across machines.\n"
    )
    if previous:  # a partial run keeps the header (and its date) of the full run
        header = previous.split("<!-- bench:", 1)[0].rstrip() + "\n"
    body = "\n\n".join(f"<!-- bench:{n} -->\n{existing[n]}" for n in order if n in existing)
    out.write_text(header + "\n" + body + "\n")
    print(f"wrote {out}")
    return 0


def _sections(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for chunk in text.split("<!-- bench:")[1:]:
        name, _, rest = chunk.partition(" -->\n")
        parts[name] = rest.strip()
    return parts


if __name__ == "__main__":
    raise SystemExit(main())
