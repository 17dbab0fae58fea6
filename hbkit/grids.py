"""Precomputed grids of trained or hand-written results, so that a notebook slider can move what was
*learned* without training on drag (the way a Mesa/Solara dashboard moves a model).

A grid is a small JSON file shipped in the repository (``notebooks/data/``), made by a documented
command and read by a pure figure function (:mod:`hbkit.viz.grids`)::

    python -m hbkit.grids team --out notebooks/data/team_grid.json          # about 10 min on 2 cores
    python -m hbkit.grids reasoning --out notebooks/data/reasoning_grid.json  # trains HBPO per point

``team``: every hand-written Team manager at every (hiring fee, memory, expense budget) point of the
``hashiru`` scenario. ``reasoning``: HBPO trained at every (alpha, number of budgets, advantage
mode) point of ``hbpo-math``, evaluated in natural mode. Each point holds the mean and a 95 %
interval over ``seeds`` independent evaluation (and training) seeds.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "budget_memory_grid",
    "add_to_grid",
    "team_grid",
    "reasoning_grid",
    "load_grid",
    "find_grid",
    "mean_ci",
    "main",
]


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of a 95 % t-interval over seeds (0 for a single value); the rule of
    :func:`hbkit.sweep.mean_interval`."""
    from hbkit.sweep import mean_interval

    s = mean_interval(values)
    return s["mean"], (0.0 if s["n"] < 2 else s["half_width"])


def _team_scenario(base: Any, fee: float, memory: int, expense: float) -> Any:
    workers = copy.deepcopy(list(base.data["workers"]))
    for w in workers:
        if w.get("kind") == "cloud":
            w["hire_fee"] = float(fee)
    return base.with_overrides(
        {"workers": workers, "world.memory": int(memory), "world.expense_budget": float(expense)}
    )


def team_grid(
    fees: Sequence[float] = (0.0, 0.005, 0.02, 0.05),
    memories: Sequence[int] = (50, 100, 150),
    expenses: Sequence[float] = (0.05, 0.1, 0.2, 0.3),
    scenario: str = "hashiru",
    episodes: int = 40,
    seeds: int = 3,
    progress: bool = False,
) -> dict[str, Any]:
    """Every hand-written Team manager at every (hiring fee, memory, expense budget) point.

    :returns: ``{"kind": "team", "axes": {...}, "metrics": [...], "points": [{"fee", "memory",
        "expense", "results": {manager: {metric: [mean, ci95]}}}], ...}``
    """
    import gymnasium as gym

    from hbkit.evaluate import evaluate
    from hbkit.managers.team import make_managers
    from hbkit.scenarios import load_scenario

    base = load_scenario(scenario)
    metrics = ["reward", "success_rate", "expense_spent", "budget_exhausted_rate", "hires", "peak_memory"]
    points = []
    combos = [(f, m, e) for f in fees for m in memories for e in expenses]
    t0 = time.time()
    for i, (fee, memory, expense) in enumerate(combos):
        sc = _team_scenario(base, fee, memory, expense)
        env = gym.make("hbkit/Team-v0", scenario=sc)
        results: dict[str, dict[str, list[float]]] = {}
        for name, manager in make_managers(env).items():
            runs = [
                evaluate(manager, "hbkit/Team-v0", scenario=sc, episodes=episodes, seed=1000 + s)
                for s in range(seeds)
            ]
            results[name] = {k: list(mean_ci([float(r[k]) for r in runs])) for k in metrics}
        env.close()
        points.append(
            {"fee": float(fee), "memory": int(memory), "expense": float(expense), "results": results}
        )
        if progress:
            print(
                f"[{i + 1}/{len(combos)}] fee {fee} memory {memory} expense {expense}  "
                f"{time.time() - t0:.0f}s",
                flush=True,
            )
    return {
        "kind": "team",
        "scenario": scenario,
        "episodes": episodes,
        "seeds": seeds,
        "metrics": metrics,
        "axes": {
            "fee": [float(f) for f in fees],
            "memory": [int(m) for m in memories],
            "expense": [float(e) for e in expenses],
        },
        "points": points,
    }


def reasoning_grid(
    alphas: Sequence[float] = (1 / 4096, 4 / 4096, 16 / 4096),
    budget_sets: Sequence[Sequence[int]] = ((1536,), (512, 2560), (512, 1024, 2048, 2560)),
    advantage_modes: Sequence[str] = ("hbpo", "grpo"),
    scenario: str = "hbpo-math",
    iterations: int | None = None,
    episodes: int = 500,
    seeds: int = 3,
    progress: bool = False,
) -> dict[str, Any]:
    """HBPO trained at every (alpha, budgets, advantage mode) point, evaluated in natural mode.

    ``advantage_modes`` are the trainer's ``advantage=`` options (``"hbpo"``: inter + intra
    subgroup; ``"grpo"``: z-score only). Each point trains ``seeds`` policies for ``iterations``
    (default: the scenario's ``[train] iterations``, so the grid shows trained policies).
    """
    from hbkit.evaluate import evaluate
    from hbkit.scenarios import load_scenario
    from hbkit.train import HBPO

    base = load_scenario(scenario)
    if iterations is None:
        iterations = int(base["train"]["iterations"])
    metrics = ["accuracy", "mean_tokens", "truncation_rate"]
    points = []
    combos = [(a, tuple(b), m) for a in alphas for b in budget_sets for m in advantage_modes]
    t0 = time.time()
    for i, (alpha, budgets, mode) in enumerate(combos):
        sc = base.with_overrides({"world.alpha": float(alpha)})
        runs = []
        for s in range(seeds):
            trainer = HBPO(
                "hbkit/Reasoning-v0",
                scenario=sc,  # type: ignore[arg-type]  # a Scenario object is accepted too
                budgets=budgets,
                advantage=mode,
                seed=s,
            )
            trainer.learn(iterations=iterations, progress=False)
            runs.append(
                evaluate(
                    trainer.policy,
                    "hbkit/Reasoning-v0",
                    scenario=sc,
                    episodes=episodes,
                    seed=5000 + s,
                    budget=None,
                )
            )
        points.append(
            {
                "alpha": float(alpha),
                "budgets": len(budgets),
                "advantage": mode,
                "results": {"HBPO": {k: list(mean_ci([float(r[k]) for r in runs])) for k in metrics}},
            }
        )
        if progress:
            print(
                f"[{i + 1}/{len(combos)}] alpha {alpha:.5f} budgets {budgets} {mode}  "
                f"{time.time() - t0:.0f}s",
                flush=True,
            )
    return {
        "kind": "reasoning",
        "scenario": scenario,
        "iterations": iterations,
        "episodes": episodes,
        "seeds": seeds,
        "metrics": metrics,
        "axes": {
            "alpha": [float(a) for a in alphas],
            "budgets": [len(b) for b in budget_sets],
            "advantage": list(advantage_modes),
        },
        "budget_sets": [list(b) for b in budget_sets],
        "points": points,
    }


def budget_memory_grid(
    agents: dict[str, Any],
    expense_budgets: Sequence[float],
    memories: Sequence[int],
    scenario: Any = "hashiru",
    episodes: int = 64,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Evaluate every Team agent at every (expense budget, memory) point of a grid, so a figure can
    show any point at once (what notebook 05's sliders do).

    :param agents: name -> manager, hbkit Policy or SB3 model
    :param expense_budgets: dollars per stream
    :param memories: memory capacities (units; 100 = 16 GB)
    :return: ``{"expense_budgets", "memories", "scenario", "episodes", "seed", "points"}`` where
        ``points[(budget, memory)][name]`` is an :func:`hbkit.evaluate.evaluate` report
    """
    grid = {
        "expense_budgets": [float(b) for b in expense_budgets],
        "memories": [int(m) for m in memories],
        "scenario": scenario,
        "episodes": int(episodes),
        "seed": int(seed),
        "points": {},
    }
    return add_to_grid(grid, agents, progress=progress)


def add_to_grid(grid: dict[str, Any], agents: dict[str, Any], progress: bool = False) -> dict[str, Any]:
    """Evaluate more agents (e.g. freshly trained ones) on every point of ``grid`` (in place).

    Each (agent, memory) is one :func:`hbkit.evaluate.evaluate_budgets` run: every expense budget
    plays the same task streams (episode ``i`` is problem seed ``seed + i`` at every point). A
    learned manager is evaluated at every point, including the budgets and memories it was not
    trained at: that is what the grid is for (its own world is one of the points). If an
    evaluation fails, the grid is left as it was (no point gains an agent that others lack).
    """
    from tqdm.auto import tqdm

    from hbkit.evaluate import evaluate_budgets

    budgets = grid["expense_budgets"]
    runs = [(m, name) for m in grid["memories"] for name in agents]
    added: dict[tuple[float, int], dict[str, Any]] = {}
    for m, name in tqdm(runs, desc="evaluate", disable=not progress, unit="run"):
        reports = evaluate_budgets(
            agents[name],
            "hbkit/Team-v0",
            budgets,
            scenario=grid["scenario"],
            episodes=grid["episodes"],
            seed=grid["seed"],
            memory=m,
            allow_other_world=True,  # moving the budget and memory is the grid's purpose
        )
        for b, report in zip(budgets, reports, strict=True):
            added.setdefault((b, m), {})[name] = report
    for point, reports_at in added.items():
        grid["points"].setdefault(point, {}).update(reports_at)
    return grid


def load_grid(path: str | Path) -> dict[str, Any]:
    """Read a grid written by :func:`main` (plain JSON)."""
    data = json.loads(Path(path).read_text())
    if data.get("kind") not in ("team", "reasoning") or "points" not in data:
        raise ValueError(f"{path}: not an hbkit grid (expected 'kind' team or reasoning and 'points')")
    return data


def find_grid(kind: str) -> Path | None:
    """The shipped grid file of ``kind`` (``"team"`` or ``"reasoning"``), or ``None`` if it was not
    computed. Looks in ``$HBKIT_GRIDS``, ``./data`` and the checkout's ``notebooks/data``."""
    import os

    name = f"{kind}_grid.json"
    places = [Path(os.environ["HBKIT_GRIDS"])] if os.environ.get("HBKIT_GRIDS") else []
    places += [Path.cwd() / "data", Path(__file__).resolve().parents[1] / "notebooks" / "data"]
    return next((p / name for p in places if (p / name).is_file()), None)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m hbkit.grids {team,reasoning} --out FILE [--seeds N] [--episodes N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m hbkit.grids",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("kind", choices=["team", "reasoning"])
    parser.add_argument("--out", required=True, help="the JSON file to write")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--episodes", type=int, default=None)
    parser.add_argument(
        "--iterations",
        type=int,
        default=None,
        help="HBPO iterations per point (reasoning; default: the scenario's)",
    )
    args = parser.parse_args(argv)
    if args.kind == "team":
        grid = team_grid(episodes=args.episodes or 40, seeds=args.seeds, progress=True)
    else:
        grid = reasoning_grid(
            iterations=args.iterations, episodes=args.episodes or 500, seeds=args.seeds, progress=True
        )
    grid["command"] = f"python -m hbkit.grids {args.kind} --out {args.out} --seeds {args.seeds}" + (
        f" --episodes {args.episodes}" if args.episodes else ""
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(grid, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} kB, {len(grid['points'])} points)")


if __name__ == "__main__":
    main()
