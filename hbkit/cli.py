"""The ``hbkit`` command: demo, train, evaluate, scenarios, lab.

    hbkit demo [--fast]                          # what `make demo` runs (--fast: a smoke test)
    hbkit scenarios [NAME] [--schema [--out P]]  # list, describe one, or export a JSON Schema
    hbkit train --env hbkit/Reasoning-v0 --reward hbpo --budgets 512,1024,2048,2560 --out runs/p.npz
    hbkit train --env hbkit/Team-v0 --algo maskable-ppo --budgets 0.05,0.1,0.2 --out runs/team.zip
    hbkit train --env hbkit/Split-v0 --algo ppo --budgets 2.5 --timesteps 20000
    hbkit evaluate runs/p.npz --budget none --episodes 2000
    hbkit evaluate greedy --env hbkit/Team-v0 --budget 0.1
    hbkit evaluate sb3:ppo:runs/ppo-Split-v0-s0.zip --env hbkit/Split-v0
    hbkit lab                                    # JupyterLab on notebooks/
    hbkit sweep benchmarks/sweeps/hbpo-ablations.toml [--ray auto]   # many seeds, resumable

Each world reads ``--budgets``/``--budget`` in its own unit (:data:`WORLDS`): tokens for Reasoning,
dollars for Team, the budget per round for Split. ``hbkit train --algo NAME`` runs one of the
world's trainers (:func:`trainers_for`): hbkit's own (HBPO and friends, from the one registry
:data:`hbkit.train.registry.TRAINERS` that sweeps read too) or a Stable-Baselines3 algorithm that
fits the world's action space. Errors on bad input are one line on stderr and exit
code 2.
"""

from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import hbkit
from hbkit.envs import DEFAULT_SCENARIOS, ENV_IDS, NATURAL_MODE
from hbkit.errors import ConfigError, HbkitError, whole_number

if TYPE_CHECKING:
    from hbkit.train.registry import TrainerEntry

__all__ = ["main", "WORLDS", "TrainRequest", "trainers_for"]

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------------------------
# What the command line knows about each world
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class World:
    """How the command line reads one world's budgets, and an example per command.

    :param unit: what a budget counts, in words
    :param integer: budgets are whole numbers (tokens) rather than real numbers
    :param budgets_kwarg: the env keyword that ``hbkit train --budgets`` sets (``"budget"`` takes
        a single value)
    """

    unit: str
    integer: bool
    budgets_kwarg: str
    train_example: str
    evaluate_example: str


WORLDS: dict[str, World] = {
    "hbkit/Reasoning-v0": World(
        "tokens",
        True,
        "budgets",
        "hbkit train --env hbkit/Reasoning-v0 --reward hbpo --budgets 512,1024,2048,2560",
        "hbkit evaluate runs/hbpo-hbpo-s0.npz --budget none",
    ),
    "hbkit/Team-v0": World(
        "dollars of expense budget",
        False,
        "budgets",
        "hbkit train --env hbkit/Team-v0 --algo maskable-ppo --budgets 0.05,0.1,0.2",
        "hbkit evaluate greedy --env hbkit/Team-v0 --budget 0.1",
    ),
    "hbkit/Split-v0": World(
        "budget per round",
        False,
        "budget",
        "hbkit train --env hbkit/Split-v0 --algo ppo --budgets 2.5 --timesteps 20000",
        "hbkit evaluate ucb --env hbkit/Split-v0 --budget 2.5",
    ),
}


def _env_id(text: str) -> str:
    """``hbkit/Team-v0``, ``Team-v0`` or ``team`` -> ``hbkit/Team-v0``."""
    t = text.strip().lower()
    for env_id in ENV_IDS:
        if t in (env_id.lower(), env_id.split("/")[1].lower(), env_id.split("/")[1].split("-")[0].lower()):
            return env_id
    raise argparse.ArgumentTypeError(f"unknown env {text!r}; allowed: {', '.join(ENV_IDS)}")


def _whole(what: str, low: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``low`` (the rule of :func:`hbkit.errors.whole_number`)."""

    def parse(text: str) -> int:
        try:
            value: Any = int(text)
        except ValueError:
            value = text
        try:
            return whole_number(value, what, low)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _positive_int(what: str) -> Callable[[str], int]:
    return _whole(what, 1)


_seed = _whole("--seed", 0)


def _number(text: str, world: World, what: str) -> int | float:
    import math

    kind = "whole numbers of " if world.integer else "numbers of "
    try:
        value: int | float = int(text) if world.integer else float(text)
    except ValueError:
        problem = "is not a whole number" if world.integer else "is not a number"
        raise ConfigError(f"{what}: {text!r} {problem}; allowed: {kind}{world.unit} (> 0)") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{what}: {text!r} is out of range; allowed: {kind}{world.unit} (> 0)")
    return value


def parse_budgets(text: str | None, env_id: str) -> tuple[int | float, ...] | None:
    """``--budgets`` of ``hbkit train`` for ``env_id``: ``None`` (the scenario's), ``()`` ("none":
    natural mode only, Reasoning) or a tuple of positive numbers in the world's unit."""
    if text is None:
        return None
    world = WORLDS[env_id]
    if text.strip().lower() in ("", "none"):
        if env_id not in NATURAL_MODE:
            raise ConfigError(
                f"--budgets none: {env_id} has no natural mode; allowed: comma-separated {world.unit}"
            )
        return ()
    values = tuple(_number(t.strip(), world, "--budgets") for t in text.split(","))
    if world.budgets_kwarg == "budget" and len(values) != 1:
        raise ConfigError(
            f"--budgets {text}: {env_id} trains with one {world.unit}; allowed: a "
            "single number, e.g. --budgets 2.5"
        )
    return values


def parse_budget(text: str, env_id: str) -> Any:
    """``--budget`` of ``hbkit evaluate``: ``"default"`` (the scenario decides), ``None`` (natural
    mode, Reasoning only) or one positive number in the world's unit."""
    world = WORLDS[env_id]
    t = text.strip().lower()
    if t == "default":
        return "default"
    if t in ("none", "natural"):
        if env_id not in NATURAL_MODE:
            raise ConfigError(
                f"--budget {text}: {env_id} has no natural mode; allowed: 'default' "
                f"or a number of {world.unit}"
            )
        return None
    return _number(t, world, "--budget")


def _reward_choices(env_id: str) -> tuple[str, ...]:
    """The world's reward functions, read from its scenario schema (``world.reward``)."""
    from hbkit.scenarios import SCHEMA_HOMES, _schema_for

    if env_id not in SCHEMA_HOMES:
        return ()
    world = _schema_for(env_id).model_fields["world"].annotation
    reward = world.model_fields.get("reward")
    return tuple(get_args(reward.annotation)) if reward is not None else ()


# ------------------------------------------------------------------------------------------------
# Trainers, per world
# ------------------------------------------------------------------------------------------------
@dataclass
class TrainRequest:
    """Everything ``hbkit train`` was asked for, checked and in the world's units."""

    env_id: str
    scenario: str
    algo: str
    seed: int
    budgets: tuple[int | float, ...] | None
    reward: str | None
    iterations: int | None
    timesteps: int | None
    policy: str | None
    advantage: str
    out: Path | None
    progress: bool
    fast: bool

    def default_out(self, suffix: str) -> Path:
        return Path("runs") / f"{self.algo}-{self.env_id.split('/')[-1]}-s{self.seed}{suffix}"

    def env_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.reward:
            kwargs["reward"] = self.reward
        if self.budgets:
            key = WORLDS[self.env_id].budgets_kwarg
            kwargs[key] = self.budgets[0] if key == "budget" else list(self.budgets)
        return kwargs


#: A trainer: ``run(request) -> (saved path, one line to print)``.
Trainer = Callable[[TrainRequest], "tuple[Path, str]"]


def _save_history(path: Path, history: list[dict[str, Any]]) -> str:
    from hbkit.train.files import save_history

    save_history(path, history)
    last = history[-1] if history else {}
    return json.dumps({k: v for k, v in last.items() if isinstance(v, (int, float))}, indent=1)


def _registered(name: str, entry: TrainerEntry) -> Trainer:
    """The command-line runner of a trainer of :data:`hbkit.train.registry.TRAINERS`: maps the
    request onto the keywords the entry takes, trains, and saves the result as the entry says."""

    def run(req: TrainRequest) -> tuple[Path, str]:
        settings: dict[str, Any] = {}
        if req.fast:
            settings.update(entry.fast)
            if "rollouts_per_problem" in settings:  # each budget subgroup needs a rollout
                rollouts = max(settings["rollouts_per_problem"], len(req.budgets or ()))
                settings["rollouts_per_problem"] = rollouts
        length = req.timesteps if entry.length == "total_timesteps" else req.iterations
        if length:
            settings[entry.length] = length
        if req.budgets is not None and "budgets" in entry.takes:
            key = entry.budgets_kwarg
            settings[key] = req.budgets[0] if key == "budget" else tuple(req.budgets)
        if req.reward and "reward" in entry.takes:
            settings["reward"] = req.reward
        if req.policy and "policy" in entry.takes:
            settings["policy"] = req.policy
        if "advantage" in entry.takes:
            settings["advantage"] = req.advantage
        fn = entry.load()
        if "env_id" in inspect.signature(fn).parameters:
            settings["env_id"] = req.env_id
        result = fn(scenario=req.scenario, seed=req.seed, progress=req.progress, **settings)
        if entry.saves == "sb3":
            return _save_sb3(result, req)
        reward = getattr(getattr(result, "config", None), "reward", None) or req.reward
        world = req.env_id.split("/")[-1]
        default = Path("runs") / (
            entry.out_name.format(algo=name, world=world, seed=req.seed, reward=reward) + entry.suffix
        )
        if entry.saves == "policy":
            path = result.policy.save(req.out or default)
            summary = _save_history(path, result.history)
            return path, f"{summary}\nsaved {path} ({result.num_timesteps} env steps)"
        path = result.save(req.out or default)
        done = f"saved {path} (load it with: hbkit evaluate {path})"
        return path, (f"{_save_history(path, result.history)}\n{done}" if entry.history else done)

    run.__doc__ = entry.summary
    return run


def _save_sb3(model: Any, req: TrainRequest) -> tuple[Path, str]:
    import gymnasium as gym

    from hbkit.train.files import save_sb3_world

    out = req.out or req.default_out(".zip")
    if out.suffix != ".zip":
        out = out.with_suffix(out.suffix + ".zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    probe = gym.make(req.env_id, scenario=req.scenario, **req.env_kwargs())
    sc = probe.unwrapped.scenario  # type: ignore[attr-defined]  # the resolved world it trained on
    probe.close()
    save_sb3_world(out, req.env_id, req.algo, sc)
    return out, f"saved {out} (load it with: hbkit evaluate {out})"


def _sb3_trainer(algo: str) -> Trainer:
    def run(req: TrainRequest) -> tuple[Path, str]:
        from hbkit.train.sb3 import train_sb3

        fast = {"ppo": {"n_steps": 64, "batch_size": 64, "n_epochs": 1}}.get(algo, {}) if req.fast else {}
        steps = req.timesteps or (128 if req.fast else None)
        model = train_sb3(
            req.env_id,
            algo,
            scenario=req.scenario,
            total_timesteps=steps,
            seed=req.seed,
            progress_bar=req.progress,
            env_kwargs=req.env_kwargs(),
            algo_kwargs=fast,
        )
        return _save_sb3(model, req)

    run.__doc__ = f"Stable-Baselines3 {algo.upper()} (SB3's own settings, the scenario's [{algo}] table)"
    return run


def trainers_for(env_id: str) -> dict[str, Trainer]:
    """Every trainer of ``env_id``: hbkit's own (:data:`hbkit.train.registry.TRAINERS`), then the SB3
    algorithms that fit its action space."""
    from hbkit.train.registry import TRAINERS
    from hbkit.train.sb3 import algos_for

    out = {name: _registered(name, entry) for name, entry in TRAINERS[env_id].items()}
    for algo in algos_for(env_id):
        out.setdefault(algo, _sb3_trainer(algo))
    return out


# ------------------------------------------------------------------------------------------------
# The parser
# ------------------------------------------------------------------------------------------------
def _examples(kind: str) -> str:
    lines = [f"  {getattr(w, kind + '_example')}" for w in WORLDS.values()]
    return "examples (one per world):\n" + "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="hbkit",
        description="hbkit: hierarchical budgets kit",
        epilog=_examples("train") + "\n" + _examples("evaluate")[9:],
        formatter_class=raw,
    )
    p.add_argument("--version", action="version", version=f"hbkit {hbkit.__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="train HBPO and the comparison runs, write an HTML report")
    d.add_argument("--out", type=Path, default=Path("runs/demo"), help="output folder")
    d.add_argument(
        "--episodes", type=_positive_int("--episodes"), default=2000, help="evaluation problems per method"
    )
    d.add_argument("--seed", type=_seed, default=0)
    d.add_argument(
        "--iterations", type=_positive_int("--iterations"), default=None, help="training iterations per run"
    )
    d.add_argument("--fast", action="store_true", help="a few iterations only (a smoke test, seconds)")
    d.add_argument(
        "--workers",
        type=_positive_int("--workers"),
        default=None,
        help="processes for the four trainings (default: one per CPU, at most 4)",
    )

    s = sub.add_parser("scenarios", help="list scenarios, describe one, or export a JSON Schema")
    s.add_argument("name", nargs="?", help="a scenario name or path")
    s.add_argument("--env", type=_env_id, default=None, help="only this world's scenarios")
    s.add_argument(
        "--schema",
        action="store_true",
        help="print the JSON Schema of the scenario files (of --env, else of every world, by env id)",
    )
    s.add_argument(
        "--out",
        type=Path,
        default=None,
        help="with --schema: write it to this file (with --env), else one WORLD.schema.json per world "
        "into this folder",
    )

    t = sub.add_parser(
        "train",
        help="train an agent (HBPO, a world's own trainer or an SB3 algorithm)",
        description="Train an agent and save it. --budgets and --reward are read in the world's "
        "terms: tokens (Reasoning), dollars (Team), budget per round (Split).",
        epilog=_examples("train"),
        formatter_class=raw,
    )
    t.add_argument("--env", type=_env_id, default="hbkit/Reasoning-v0", help=", ".join(ENV_IDS))
    t.add_argument("--scenario", default=None, help="scenario name or path (default: the world's)")
    t.add_argument(
        "--algo", default=None, help="a trainer of the world (default: its first; `--algo list` lists them)"
    )
    t.add_argument(
        "--reward",
        default=None,
        help="reward function: Reasoning hbpo/cosine/classic, Team plain/hbpo/cosine",
    )
    t.add_argument(
        "--budgets",
        default=None,
        help="comma-separated budgets in the world's unit (Reasoning: tokens or 'none'; "
        "Team: dollars; Split: one budget per round)",
    )
    t.add_argument("--advantage", default="hbpo", help="HBPO advantage: hbpo, hbpo-code or grpo")
    t.add_argument("--policy", default=None, help="linear or mlp (HBPO)")
    t.add_argument(
        "--iterations",
        type=_positive_int("--iterations"),
        default=None,
        help="HBPO iterations (default: the scenario's)",
    )
    t.add_argument(
        "--timesteps",
        type=_positive_int("--timesteps"),
        default=None,
        help="SB3 total timesteps (default: the scenario's recipe, else 50000)",
    )
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--out", type=Path, default=None, help="where to save (.npz for HBPO, .zip for SB3)")
    t.add_argument("--fast", action="store_true", help="tiny settings (a smoke test)")
    t.add_argument("--no-progress", action="store_true")

    e = sub.add_parser(
        "evaluate",
        help="evaluate a saved policy, a manager or an SB3 model",
        description="AGENT is a policy .npz, an SB3 model .zip saved by `hbkit train`, a manager "
        "name (see --list-managers), 'manager:NAME' or 'sb3:ALGO:PATH'.",
        epilog=_examples("evaluate"),
        formatter_class=raw,
    )
    e.add_argument("agent", nargs="?", help="what to evaluate (see above)")
    e.add_argument(
        "--env", type=_env_id, default=None, help="default: the saved agent's world, else hbkit/Reasoning-v0"
    )
    e.add_argument("--scenario", default=None, help="default: the world the agent was trained on")
    e.add_argument(
        "--other-world",
        action="store_true",
        help="allow evaluating a saved agent on a world other than its own",
    )
    e.add_argument("--episodes", type=_positive_int("--episodes"), default=2000)
    e.add_argument("--seed", type=_seed, default=123)
    e.add_argument(
        "--budget",
        default="default",
        help="'default' (the scenario decides), a number in the world's unit, or "
        "'none' (natural mode, Reasoning)",
    )
    e.add_argument("--json", action="store_true", help="print the whole report as JSON")
    e.add_argument("--list-managers", action="store_true", help="list the world's managers and exit")

    sub.add_parser("lab", help="open the notebooks in JupyterLab")

    from hbkit.sweep import add_cli_parser

    add_cli_parser(sub)  # hbkit sweep SPEC.toml (handler: hbkit.sweep.cli_main)
    return p


# ------------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------------
def _cmd_scenarios(args: argparse.Namespace) -> int:
    from hbkit.scenarios import list_scenarios, load_scenario, scenario_json_schema

    if args.schema:
        if args.out is None:
            if args.env:
                print(json.dumps(scenario_json_schema(args.env), indent=1))
            else:
                print(json.dumps({e: scenario_json_schema(e) for e in ENV_IDS}, indent=1))
            return 0
        if args.env:
            targets = {args.env: args.out}
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            targets = {e: args.out / f"{e.split('/')[-1].split('-')[0].lower()}.schema.json" for e in ENV_IDS}
        for env_id, path in targets.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(scenario_json_schema(env_id), indent=1) + "\n")
            print(f"wrote {path} (the JSON Schema of {env_id} scenario files)")
        return 0
    if args.out is not None:
        raise ConfigError(
            "--out: only with --schema; allowed: hbkit scenarios --schema [--env ENV] --out PATH"
        )
    if args.name:
        sc = load_scenario(args.name)
        print(f"{sc.name}  ({sc.env_id})\n{sc.title}\n\n{sc.description}\n\nfile: {sc.source}")
        for section, values in sc.data.items():
            print(f"\n[{section}]")
            items = values.items() if isinstance(values, dict) else enumerate(values)
            for k, v in items:
                print(f"  {k} = {json.dumps(v)}")
        return 0
    found = list_scenarios(args.env)
    width = max((len(s.name) for s in found), default=4)
    for sc in found:
        print(f"{sc.name:<{width}}  {sc.env_id:<20}  {sc.title}")
    if not found:
        print("no scenarios found")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    env_id = args.env
    trainers = trainers_for(env_id)
    args.algo = args.algo or next(iter(trainers))
    if args.algo == "list":
        for name, run in trainers.items():
            print(f"{name:<14} {(run.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if args.algo not in trainers:
        from hbkit.train.sb3 import ALGOS

        why = " (its action space does not fit)" if args.algo in ALGOS else ""
        raise ConfigError(f"--algo {args.algo!r} cannot train {env_id}{why}; allowed: {', '.join(trainers)}")
    rewards = _reward_choices(env_id)
    if args.reward is not None and args.reward not in rewards:
        allowed = ", ".join(rewards) if rewards else f"none ({env_id} has a single reward)"
        raise ConfigError(f"--reward {args.reward!r} is not a reward of {env_id}; allowed: {allowed}")
    req = TrainRequest(
        env_id=env_id,
        scenario=args.scenario or DEFAULT_SCENARIOS[env_id],
        algo=args.algo,
        seed=args.seed,
        budgets=parse_budgets(args.budgets, env_id),
        reward=args.reward,
        iterations=args.iterations,
        timesteps=args.timesteps,
        policy=args.policy,
        advantage=args.advantage,
        out=args.out,
        progress=not args.no_progress,
        fast=args.fast,
    )
    _, message = trainers[args.algo](req)
    print(message)
    return 0


def _load_agent(args: argparse.Namespace) -> tuple[Any, str, Any]:
    """``(agent, env_id, scenario)`` for ``hbkit evaluate``'s AGENT argument."""
    import gymnasium as gym

    from hbkit.managers import available

    spec: str = args.agent
    if spec.startswith("sb3:"):
        return _load_sb3_spec(spec, args)
    path = Path(spec)
    if path.is_file() or path.suffix == ".npz":
        from hbkit.train.files import load_agent

        agent, env_id = load_agent(path, args.env)
        return agent, env_id, args.scenario
    env_id = args.env or "hbkit/Reasoning-v0"
    name = spec.split(":", 1)[1] if spec.startswith("manager:") else spec
    managers = available(env_id)
    if name not in managers:
        raise ConfigError(
            f"{spec!r} is neither a file nor a manager of {env_id}; allowed: a policy .npz, "
            f"an SB3 .zip, sb3:ALGO:PATH or a manager: {', '.join(managers)}"
        )
    env = gym.make(env_id, **({"scenario": args.scenario} if args.scenario else {}))
    return managers[name](env), env_id, args.scenario


def _load_sb3_spec(spec: str, args: argparse.Namespace) -> tuple[Any, str, Any]:
    from hbkit.train.sb3 import ALGOS

    parts = spec.split(":", 2)
    if len(parts) < 3 or not parts[2]:
        raise ConfigError(
            f"agent {spec!r}: no model path; allowed: sb3:ALGO:PATH, e.g. "
            "sb3:ppo:runs/ppo-Reasoning-v0-s0.zip (ALGO one of " + ", ".join(ALGOS) + ")"
        )
    _, algo, path = parts
    if algo not in ALGOS:
        raise ConfigError(f"agent {spec!r}: unknown algorithm {algo!r}; allowed: {', '.join(ALGOS)}")
    if not Path(path).is_file():
        raise ConfigError(f"agent {spec!r}: no such model file {path!r}")
    from hbkit.train.files import load_agent

    model, env_id = load_agent(path, args.env, algo)
    return model, env_id, args.scenario


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
                cells = (
                    f"{stats[c]:>16.4g}" if isinstance(stats[c], float) else f"{stats[c]:>16}" for c in cols
                )
                print(f"{row:>10} " + " ".join(cells))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from hbkit.evaluate import evaluate

    if args.list_managers:
        from hbkit.managers import available

        print("\n".join(available(args.env or "hbkit/Reasoning-v0")))
        return 0
    if not args.agent:
        raise ConfigError(
            "hbkit evaluate: no AGENT given; allowed: a policy .npz, an SB3 .zip, "
            "sb3:ALGO:PATH or a manager name (hbkit evaluate --list-managers --env ENV)"
        )
    agent, env_id, scenario = _load_agent(args)
    budget = parse_budget(args.budget, env_id)
    report = evaluate(
        agent,
        env_id,
        scenario=scenario,
        episodes=args.episodes,
        seed=args.seed,
        budget=budget,
        progress=True,
        allow_other_world=args.other_world,
    )
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        _print_report(report)
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(ROOT / "notebooks")])


def _cmd_demo(args: argparse.Namespace) -> int:
    from hbkit.demo import run_demo

    run_demo(
        out=args.out,
        episodes=args.episodes,
        seed=args.seed,
        iterations=args.iterations,
        fast=args.fast or hbkit.fast_mode(),
        workers=args.workers,
    )
    return 0


def _close_progress_bars() -> None:
    """Close every open tqdm bar, so that an error message starts on a line of its own."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a core dependency
        return
    for bar in list(getattr(tqdm, "_instances", ())):
        bar.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hbkit`` command.

    :return: the exit code: 0 on success, 2 on a usage error or bad input (one line on stderr)
    """
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
    except BrokenPipeError:  # `hbkit ... | head`: the reader left; say nothing more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (HbkitError, OSError, ValueError, ImportError) as exc:  # OSError: a path that cannot be used
        _close_progress_bars()
        sys.stdout.flush()
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"hbkit: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
