"""HBPO on hbpo-math over training seeds: what learning and the budget hierarchy change.

For every training seed, trains HBPO (four budgets, ``hbpo`` advantage) and the paper's
comparisons with the same iterations: ``grpo`` advantage, the cosine reward, a single 512-token
budget and a single 1536-token budget. Each is evaluated in natural mode (no budget given: the
policy declares its own) on the same 2000 problems (seed 123), and under each explicit budget
for the budget spread. Reported with means and 95 % Student-t intervals over seeds:

* (a) HBPO against the best threshold rule (one feature + a token cap, grid-searched on other
  problems) that uses at most HBPO's mean tokens;
* (b) level-5 accuracy of cosine and single-512 against HBPO, and the collapse curve recorded in
  training (share of hardest-level rollouts that reach their need);
* (c) four budgets against one; tokens at the largest budget minus tokens at the smallest, for
  the ``hbpo`` and ``grpo`` advantages.

    python benchmarks/run.py hbpo_quality            # 5 seeds, the scenario's iterations
    python benchmarks/run.py hbpo_quality --quick    # 2 seeds, 40 iterations
    HBKIT_SCENARIO=hbpo-other python benchmarks/bench_hbpo_quality.py   # another world
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from _common import table

import hbkit  # noqa: F401

TITLE = "HBPO quality across seeds"
ENV = "hbkit/Reasoning-v0"

#: name -> HBPO keyword arguments
VARIANTS: dict[str, dict] = {
    "HBPO (4 budgets)": {},
    "grpo advantage": {"advantage": "grpo"},
    "cosine reward": {"reward": "cosine"},
    "1 budget (512)": {"budgets": (512,)},
    "1 budget (1536)": {"budgets": (1536,)},
}


def interval(x) -> tuple[float, float]:
    """Mean and the half-width of its 95 % Student-t interval (:func:`hbkit.sweep.mean_interval`)."""
    from hbkit.sweep import mean_interval

    s = mean_interval(x)
    return s["mean"], s["half_width"]


def fmt(x, digits=3) -> str:
    m, h = interval(x)
    return f"{m:.{digits}f} ± {h:.{digits}f}"


def _one(args):
    from hbkit.evaluate import evaluate
    from hbkit.train import HBPO

    scenario, name, seed, iterations, episodes = args
    kw = VARIANTS[name]
    t = HBPO(ENV, scenario=scenario, seed=seed, **kw)
    hist = t.learn(iterations=iterations, progress=False)
    ev = dict(episodes=episodes, seed=123)
    out = {
        "natural": evaluate(t.policy, ENV, scenario=scenario, budget=None, **ev),
        "curve": [h["hard_reach"] for h in hist],
        "zero_variance": [h["zero_variance"] for h in hist],
    }
    budgets = t.config.budgets
    if len(budgets) > 1:
        for b in (budgets[0], budgets[-1]):
            out[f"tokens@{b}"] = evaluate(t.policy, ENV, scenario=scenario, budget=int(b), **ev)[
                "mean_tokens"
            ]
    return scenario, name, seed, out


def run(
    quick: bool = False,
    scenario: str | None = None,
    variants: list[str] | None = None,
    command: str = "python benchmarks/run.py hbpo_quality",
) -> str:
    """Train every variant (default: all of :data:`VARIANTS`) for 5 seeds on ``scenario`` (default:
    ``$HBKIT_SCENARIO`` or hbpo-math) and return the markdown section; ``command`` is the one the
    section names."""
    from hbkit.scenarios import load_scenario

    scenario = scenario or os.environ.get("HBKIT_SCENARIO", "hbpo-math")
    seeds = list(range(2 if quick else 5))
    iterations = 40 if quick else load_scenario(scenario)["train"]["iterations"]
    episodes = 500 if quick else 2000
    names = variants or list(VARIANTS)
    jobs = [(scenario, name, s, iterations, episodes) for s in seeds for name in names]
    with ProcessPoolExecutor(2) as ex:
        results = list(ex.map(_one, jobs))
    return summarize(results, scenario, iterations, episodes, quick, command=command)


def summarize(
    results,
    scenario: str,
    iterations: int,
    episodes: int,
    quick: bool = False,
    command: str = "python benchmarks/run.py hbpo_quality",
) -> str:
    """The markdown section for ``results`` (``(scenario, variant, seed, result of _one)`` tuples)."""
    import gymnasium as gym

    from hbkit.evaluate import evaluate
    from hbkit.managers import available
    from hbkit.managers.reasoning import ThresholdRule, fit_threshold

    seeds = sorted({s for _, _, s, _ in results})
    env = gym.make(ENV, scenario=scenario)
    ev = dict(scenario=scenario, episodes=episodes, seed=123, budget=None)
    base = evaluate(available(ENV)["base"](env), ENV, **ev)
    top = str(env.unwrapped.world.num_levels)
    by = {name: [r for _, n, _, r in results if n == name] for name in VARIANTS}
    by = {name: rs for name, rs in by.items() if rs}

    def col(name, f):
        return np.array([f(r) for r in by[name]])

    # (a) HBPO against the best threshold rule at equal or fewer tokens, per seed
    gaps, rule_acc, rule_tok = [], [], []
    for r in by["HBPO (4 budgets)"]:
        fit = fit_threshold(env, token_limit=r["natural"]["mean_tokens"], episodes=2000, seed=0)
        rule = ThresholdRule(env, fit["feature"], fit["threshold"], fit["cap"])
        rr = evaluate(rule, ENV, **ev)
        if rr["mean_tokens"] > r["natural"]["mean_tokens"]:  # held-out problems may differ a little
            fit = fit_threshold(env, token_limit=0.97 * r["natural"]["mean_tokens"], episodes=2000, seed=0)
            rr = evaluate(ThresholdRule(env, fit["feature"], fit["threshold"], fit["cap"]), ENV, **ev)
        gaps.append(r["natural"]["accuracy"] - rr["accuracy"])
        rule_acc.append(rr["accuracy"])
        rule_tok.append(rr["mean_tokens"])
    shipped = evaluate(available(ENV)["threshold"](env), ENV, **ev)

    rows = [
        [
            "base reasoner",
            "-",
            f"{base['accuracy']:.3f}",
            f"{base['mean_tokens']:.0f}",
            f"{base['by_level']['1']['accuracy']:.3f}",
            f"{base['by_level'][top]['accuracy']:.3f}",
            "-",
        ],
        [
            "threshold (shipped manager)",
            "-",
            f"{shipped['accuracy']:.3f}",
            f"{shipped['mean_tokens']:.0f}",
            f"{shipped['by_level']['1']['accuracy']:.3f}",
            f"{shipped['by_level'][top]['accuracy']:.3f}",
            "-",
        ],
        ["best threshold at <= HBPO's tokens", len(seeds), fmt(rule_acc), fmt(rule_tok, 0), "-", "-", "-"],
    ]
    for name in by:
        spread = None
        keys = sorted((k for k in by[name][0] if k.startswith("tokens@")), key=lambda k: int(k[7:]))
        if len(keys) > 1 and all(keys[0] in r and keys[-1] in r for r in by[name]):
            spread = col(name, lambda r, keys=keys: r[keys[-1]] - r[keys[0]])
        rows.append(
            [
                name,
                len(by[name]),
                fmt(col(name, lambda r: r["natural"]["accuracy"])),
                fmt(col(name, lambda r: r["natural"]["mean_tokens"]), 0),
                fmt(col(name, lambda r: r["natural"]["by_level"]["1"]["accuracy"])),
                fmt(col(name, lambda r: r["natural"]["by_level"][top]["accuracy"])),
                fmt(spread, 0) if spread is not None else "-",
            ]
        )
    claims = [
        [
            "(a) HBPO minus best threshold rule at <= its tokens (accuracy points)",
            fmt(100 * np.array(gaps), 1),
            ">= 3",
        ]
    ]

    def paired(name, f):  # per-seed differences, HBPO minus the other run, on the seeds both have
        mine = {s: r for _, n, s, r in results if n == "HBPO (4 budgets)"}
        other = {s: r for _, n, s, r in results if n == name}
        common = sorted(set(mine) & set(other))
        return 100 * np.array([f(mine[s]) - f(other[s]) for s in common])

    def l5(r):
        return r["natural"]["by_level"][top]["accuracy"]

    for name, what, f, target in (
        ("cosine reward", f"(b) HBPO minus cosine reward, level {top} (points)", l5, ">= 10"),
        ("1 budget (512)", f"(b) HBPO minus 1 budget (512), level {top} (points)", l5, ">= 10"),
        (
            "1 budget (512)",
            "(c) 4 budgets minus 1 budget (512), accuracy (points)",
            lambda r: r["natural"]["accuracy"],
            ">= 2",
        ),
        (
            "1 budget (1536)",
            "(c) 4 budgets minus 1 budget (1536), accuracy (points)",
            lambda r: r["natural"]["accuracy"],
            ">= 2",
        ),
    ):
        if name in by:
            claims.append([what, fmt(paired(name, f), 1), target])
    curve_rows = []
    marks = sorted(set(np.linspace(0, iterations - 1, 6).astype(int)))
    for name in [n for n in ("HBPO (4 budgets)", "cosine reward", "1 budget (512)") if n in by]:
        c = np.array([r["curve"] for r in by[name]])
        curve_rows.append([name] + [fmt(np.nanmean(c[:, max(0, i - 24) : i + 1], axis=1), 2) for i in marks])
    return (
        f"## {TITLE} ({scenario}, natural mode)\n\n"
        f"Command: `{command}{' --quick' if quick else ''}` ({iterations} iterations per "
        f"run, training seeds {seeds} (runs per variant in the table), {episodes} evaluation problems, "
        "seed 123; mean ± half-width of the "
        "95 % Student-t interval over seeds). Measured on a shared, heavily loaded 2-core machine "
        "(quality numbers do not depend on load).\n\n"
        + table(
            [
                "run",
                "seeds",
                "accuracy",
                "mean tokens",
                "level-1 accuracy",
                f"level-{top} accuracy",
                "tokens at largest minus smallest budget",
            ],
            rows,
        )
        + "\n\n"
        + table(["claim", "measured", "target"], claims)
        + f"\n\nShare of level-{top} rollouts that reach their need during training "
        "(mean of the 25 iterations "
        "up to each mark):\n\n" + table(["run"] + [f"it {i + 1}" for i in marks], curve_rows)
    )


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
