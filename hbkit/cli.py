"""The ``hbkit`` command: demo, train, evaluate, scenarios, lab.

    hbkit demo                                   # what `make demo` runs
    hbkit scenarios [NAME]                       # list, or describe one scenario
    hbkit train --env hbkit/Reasoning-v0 --reward hbpo --budgets 512,1024,2048,2560 --out runs/p.npz
    hbkit train --env hbkit/Team-v0 --algo maskable-ppo --timesteps 50000 --out runs/team.zip
    hbkit evaluate runs/p.npz --budget none --episodes 2000
    hbkit evaluate manager:greedy --env hbkit/Team-v0
    hbkit lab                                    # JupyterLab on notebooks/
    hbkit sweep benchmarks/sweeps/hbpo-reward.toml [--ray auto]   # many seeds, resumable
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import hbkit
from hbkit.envs import DEFAULT_SCENARIOS, ENV_IDS

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent


def _budgets(text: str) -> tuple[int, ...]:
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"budgets must be comma-separated integers, got {text!r}") from None


def _budget(text: str) -> Any:
    t = text.strip().lower()
    if t in ("none", "natural"):
        return None
    if t == "default":
        return "default"
    try:
        return int(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"budget must be an integer, 'none' or 'default', got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hbkit", description="hbkit: hierarchical budgets kit")
    p.add_argument("--version", action="version", version=f"hbkit {hbkit.__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="train HBPO and the comparison runs, write an HTML report")
    d.add_argument("--out", type=Path, default=Path("runs/demo"), help="output folder")
    d.add_argument("--episodes", type=int, default=2000, help="evaluation problems per method")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--iterations", type=int, default=None, help="training iterations per run")
    d.add_argument("--fast", action="store_true", help="a few iterations only (smoke test)")

    s = sub.add_parser("scenarios", help="list scenarios, or describe one")
    s.add_argument("name", nargs="?", help="a scenario name or path")
    s.add_argument("--env", choices=ENV_IDS, default=None)

    t = sub.add_parser("train", help="train a policy (HBPO or an SB3 algorithm)")
    t.add_argument("--env", choices=ENV_IDS, default="hbkit/Reasoning-v0")
    t.add_argument("--scenario", default=None)
    t.add_argument("--algo", default="hbpo", help="hbpo, or an SB3 algorithm: ppo, a2c, dqn, sac, td3, maskable-ppo")
    t.add_argument("--reward", default=None, help="reward function (Reasoning: hbpo, cosine, classic)")
    t.add_argument("--budgets", type=_budgets, default=None, help="comma-separated budgets, or 'none'")
    t.add_argument("--advantage", default="hbpo", help="hbpo, hbpo-code or grpo")
    t.add_argument("--policy", default=None, help="linear or mlp (HBPO)")
    t.add_argument("--iterations", type=int, default=None, help="HBPO iterations (default: the scenario's)")
    t.add_argument("--timesteps", type=int, default=None,
                   help="SB3 total timesteps (default: the scenario's recipe, else 50000)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", type=Path, default=None, help="where to save (.npz for HBPO, .zip for SB3)")
    t.add_argument("--no-progress", action="store_true")

    e = sub.add_parser("evaluate", help="evaluate a saved policy, a manager or an SB3 model")
    e.add_argument("agent", help="a policy .npz, 'manager:NAME', or 'sb3:ALGO:PATH'")
    e.add_argument("--env", choices=ENV_IDS, default=None, help="default: the policy's env, else Reasoning")
    e.add_argument("--scenario", default=None)
    e.add_argument("--episodes", type=int, default=2000)
    e.add_argument("--seed", type=int, default=123)
    e.add_argument("--budget", type=_budget, default="default", help="an integer, 'none' (natural) or 'default'")
    e.add_argument("--json", action="store_true", help="print the whole report as JSON")

    sub.add_parser("lab", help="open the notebooks in JupyterLab")

    from hbkit.sweep import add_cli_parser

    add_cli_parser(sub)  # hbkit sweep SPEC.toml (handler: hbkit.sweep.cli_main)
    return p


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from hbkit.scenarios import list_scenarios, load_scenario

    if args.name:
        sc = load_scenario(args.name)
        print(f"{sc.name}  ({sc.env_id})\n{sc.title}\n\n{sc.description}\n\nfile: {sc.source}")
        for section, values in sc.data.items():
            print(f"\n[{section}]")
            for k, v in values.items():
                print(f"  {k} = {json.dumps(v)}")
        return 0
    rows = list_scenarios(args.env)
    width = max((len(s.name) for s in rows), default=4)
    for sc in rows:
        print(f"{sc.name:<{width}}  {sc.env_id:<20}  {sc.title}")
    if not rows:
        print("no scenarios found")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    scenario = args.scenario or DEFAULT_SCENARIOS[args.env]
    if args.algo == "hbpo":
        from hbkit.train import HBPO

        extra = {"policy": args.policy} if args.policy else {}
        trainer = HBPO(args.env, scenario=scenario, budgets=args.budgets, reward=args.reward,
                       advantage=args.advantage, seed=args.seed, **extra)
        history = trainer.learn(iterations=args.iterations, progress=not args.no_progress)
        out = args.out or Path("runs") / f"hbpo-{trainer.config.reward}-s{args.seed}.npz"
        path = trainer.policy.save(out)
        (path.with_suffix(".history.json")).write_text(json.dumps(history, indent=1))
        last = history[-1] if history else {}
        print(json.dumps({k: v for k, v in last.items() if isinstance(v, (int, float))}, indent=1))
        print(f"saved {path} ({trainer.num_timesteps} env steps)")
        return 0
    from hbkit.train.sb3 import train_sb3

    env_kwargs = {k: v for k, v in (("reward", args.reward), ("budgets", args.budgets)) if v}
    model = train_sb3(args.env, args.algo, scenario=scenario, total_timesteps=args.timesteps,
                      seed=args.seed, progress_bar=not args.no_progress, env_kwargs=env_kwargs)
    out = args.out or Path("runs") / f"{args.algo}-{args.env.split('/')[-1]}-s{args.seed}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    print(f"saved {out}")
    return 0


def _load_agent(spec: str, env_id: str | None, scenario: str | None = None):
    import gymnasium as gym

    if spec.startswith("manager:"):
        from hbkit.managers import available

        env_id = env_id or "hbkit/Reasoning-v0"
        name = spec.split(":", 1)[1]
        managers = available(env_id)
        if name not in managers:
            raise SystemExit(f"hbkit: unknown manager {name!r} for {env_id}; allowed: {', '.join(managers)}")
        # the manager sees the same world (scenario) it is evaluated on
        env = gym.make(env_id, **({"scenario": scenario} if scenario else {}))
        return managers[name](env), env_id
    if spec.startswith("sb3:"):
        from hbkit.train.sb3 import load_sb3

        _, algo, path = spec.split(":", 2)
        return load_sb3(path, algo), env_id or "hbkit/Reasoning-v0"
    from hbkit.train import load_policy

    policy = load_policy(spec)
    return policy, env_id or policy.metadata.get("env_id", "hbkit/Reasoning-v0")


def _print_report(report: dict[str, Any]) -> None:
    scalars = {k: v for k, v in report.items() if isinstance(v, (int, float, str)) or v is None}
    for k, v in scalars.items():
        print(f"{k:>22}: {v:.4g}" if isinstance(v, float) else f"{k:>22}: {v}")
    for key, value in report.items():
        if key.startswith("by_") and isinstance(value, dict) and value:
            cols = [c for c, v in next(iter(value.values())).items() if isinstance(v, (int, float))]
            print(f"\n{key}:")
            print(f"{'':>10} " + " ".join(f"{c:>16}" for c in cols))
            for row, stats in value.items():
                print(f"{row:>10} " + " ".join(
                    f"{stats[c]:>16.4g}" if isinstance(stats[c], float) else f"{stats[c]:>16}" for c in cols))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from hbkit.evaluate import evaluate

    agent, env_id = _load_agent(args.agent, args.env, args.scenario)
    report = evaluate(agent, env_id, scenario=args.scenario, episodes=args.episodes, seed=args.seed,
                      budget=args.budget, progress=True)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        _print_report(report)
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(ROOT / "notebooks")])


def _cmd_demo(args: argparse.Namespace) -> int:
    from hbkit.demo import run_demo

    run_demo(out=args.out, episodes=args.episodes, seed=args.seed, iterations=args.iterations,
             fast=args.fast or hbkit.fast_mode())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hbkit`` command."""
    from hbkit.scenarios import ScenarioError
    from hbkit.train.policies import PolicyFileError

    args = _parser().parse_args(argv)
    handler = {
        "scenarios": _cmd_scenarios,
        "train": _cmd_train,
        "evaluate": _cmd_evaluate,
        "lab": _cmd_lab,
        "demo": _cmd_demo,
    }.get(args.command) or args.handler
    try:
        return handler(args)
    except (ScenarioError, PolicyFileError, FileNotFoundError, ValueError) as exc:
        print(f"hbkit: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
