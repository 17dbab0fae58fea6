"""Team world: where a learned manager's gap to the clairvoyant one comes from, and the learned
router's variants.

    python benchmarks/run.py team_gap            # this section of RESULTS.md (several minutes)
    python benchmarks/run.py team_gap --quick    # a smoke test (fewer streams, one training seed)

Two measurements:

* **The price of information** on ``hashiru``: a clairvoyant manager that knows each worker's hidden
  skill only as well as ``K`` free trials of every worker on every task type would tell it
  (:class:`KnowsK`). ``K = 0`` is the published skills (what ``greedy`` knows), ``K = inf`` the
  clairvoyant bound. Where a fair manager lands on this curve says how many trials' worth of
  knowledge it gathers; a stream of 40 tasks has about 65 worker calls for 21 (worker, type) pairs.
* **The learned router** (:func:`hbkit.train.team.train_router`, its defaults) on ``hashiru``,
  ``startup`` and ``agency`` (3 training seeds), against the manager it starts from and the best
  hand-written manager.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
from _common import table

import hbkit  # noqa: F401  (registers the environments)
from hbkit.managers.team import Clairvoyant

TITLE = "Team world: the gap to the clairvoyant manager and the learned router"

ENV = "hbkit/Team-v0"
EVAL_SEED = 123


def _hash_normal(x: np.ndarray, c: np.ndarray, t: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random standard normal per value of ``(x, c, t)`` (the same input always
    gives the same number), from two sine hashes and Box-Muller."""
    a = np.sin(x * 12.9898 + c * 78.233 + t * 37.719) * 43758.5453
    b = np.sin(x * 93.9898 + c * 47.233 + t * 11.719) * 24634.6345
    u1 = np.clip(a - np.floor(a), 1e-9, 1 - 1e-9)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * (b - np.floor(b)))


class KnowsK(Clairvoyant):
    """The clairvoyant router with imperfect knowledge: it knows each worker's hidden deviation on
    the current task type only as well as ``K`` free trials at medium difficulty would tell it.

    The Gaussian approximation of those trials: an observation ``dev + noise``, ``noise ~ N(0, v)``
    with ``v = 1 / (K p (1 - p))`` (the variance of a logit estimated from ``K`` outcomes), shrunk to
    the prior ``N(0, skill_noise^2)``: the estimate is ``s^2 / (s^2 + v) * (dev + noise)``. The noise
    of a (stream, worker, type) is a fixed function of the hidden deviation itself, so it stays the
    same through the stream. No optimism (nothing more is learned during the stream).

    :param env: a Team Env or VectorEnv
    :param K: free trials per worker and task type (``np.inf``: the clairvoyant manager)
    """

    def __init__(self, env: Any, K: float):
        super().__init__(env, name=f"knows {K:g} trials")
        self.K = float(K)

    def p_hat(self, s: dict[str, np.ndarray]) -> np.ndarray:
        w = self.world
        true, tt = s["true_p"], s["type"]
        pub = w.published_logit(tt, s["difficulty"])
        p_true = np.clip(true[:, :-1], 1e-9, 1 - 1e-9)
        dev = np.log(p_true) - np.log1p(-p_true) - pub[:, :-1]  # (n, C)
        if np.isinf(self.K):
            est = dev
        else:
            p0 = 1.0 / (1.0 + np.exp(-(w.skill_logit.T[tt] + dev)))
            v = 1.0 / (max(self.K, 1e-9) * p0 * (1.0 - p0))
            noise = _hash_normal(np.round(dev, 4), np.arange(w.num_workers)[None], tt[:, None])
            s2 = w.skill_noise**2
            est = s2 / (s2 + v) * (dev + np.sqrt(v) * noise)
        out = true.copy()
        out[:, :-1] = 1.0 / (1.0 + np.exp(-(pub[:, :-1] + est)))
        return out


def _interval(values: list[float]) -> tuple[float, float]:
    from hbkit.grids import mean_ci

    return mean_ci(values)


def information(episodes: int) -> str:
    from hbkit.evaluate import evaluate
    from hbkit.managers import available

    sc = "hashiru"
    env = gym.make(ENV, scenario=sc)
    hand = available(ENV)
    agents: dict[str, Any] = {"greedy (published skills, K = 0)": hand["greedy"](env)}
    agents["bayes (posteriors from the stream's outcomes)"] = hand["bayes"](env)
    for K in (1, 3, 10, 30):
        agents[f"knows {K} free trials per worker and type"] = KnowsK(env, K)
    agents["clairvoyant (K = inf)"] = hand["clairvoyant"](env)
    reps = {k: evaluate(a, ENV, scenario=sc, episodes=episodes, seed=EVAL_SEED) for k, a in agents.items()}
    top = reps["clairvoyant (K = inf)"]["reward"]
    base = reps["bayes (posteriors from the stream's outcomes)"]["reward"]
    rows = []
    for name, r in reps.items():
        bt = r["by_type"]
        rows.append(
            [
                name,
                f"{r['reward']:.2f}",
                f"{r['reward'] / base - 1:+.1%}",
                f"{top - r['reward']:.2f}",
                " / ".join(f"{bt[t]['success_rate']:.3f}" for t in bt),
                f"{r['expense_spent']:.4f}",
            ]
        )
    cols = ["manager", "reward", "vs bayes", "gap to clairvoyant", "success math / reasoning / review", "$"]
    return (
        f"**The price of information on `{sc}`** ({episodes} streams, seed {EVAL_SEED}; the same "
        "streams for every row). `knows K` is the clairvoyant router that knows each hidden skill "
        "only as well as K free trials of every worker on every task type would tell it "
        "(`KnowsK` in `benchmarks/bench_team_gap.py`).\n\n" + table(cols, rows)
    )


def learned(episodes: int, seeds: tuple[int, ...]) -> str:
    from hbkit.evaluate import evaluate
    from hbkit.managers import available
    from hbkit.train.team import DEFAULT_SETTINGS, train_router

    rows = []
    for sc in ("hashiru", "startup", "agency"):
        env = gym.make(ENV, scenario=sc)
        hand = {
            k: evaluate(f(env), ENV, scenario=sc, episodes=episodes, seed=EVAL_SEED)
            for k, f in available(ENV).items()
            if k not in ("clairvoyant", "random")
        }
        best = max(hand, key=lambda k: hand[k]["reward"])
        start = hand[DEFAULT_SETTINGS["base"]]
        runs, secs = [], []
        for seed in seeds:
            t0 = time.perf_counter()
            manager = train_router(ENV, sc, seed=seed)
            secs.append(time.perf_counter() - t0)
            runs.append(evaluate(manager, ENV, scenario=sc, episodes=episodes, seed=EVAL_SEED))
        m, h = _interval([r["reward"] for r in runs])
        ms, hs = _interval([r["expense_spent"] for r in runs])
        lo = min(r["reward"] for r in runs)
        rows.append(
            [
                f"`{sc}`",
                f"{start['reward']:.2f}",
                f"{hand[best]['reward']:.2f} ({best}, ${hand[best]['expense_spent']:.4f})",
                f"{m:.2f} ± {h:.2f} (lowest seed {lo:.2f})",
                f"{m / hand[best]['reward'] - 1:+.1%}",
                f"{ms:.4f} ± {hs:.4f}",
                f"{np.mean(secs):.0f}",
            ]
        )
    cols = [
        "scenario",
        "start (untrained base)",
        "best hand-written",
        "learned router",
        "vs best",
        "$ spent (learned)",
        "train s",
    ]
    return (
        f"**The learned router with its defaults** (`train_router`: {DEFAULT_SETTINGS}), "
        f"training seeds {', '.join(map(str, seeds))}, {episodes} streams (seed {EVAL_SEED}); mean "
        "and 95 % t-interval over the seeds. *Start* is the base router with its hand-written "
        "settings, where training begins. Training seconds on the loaded 2-core machine.\n\n"
        + table(cols, rows)
    )


def run(quick: bool = False) -> str:
    episodes = 200 if quick else 1000
    seeds = (0,) if quick else (0, 1, 2)
    cmd = "`python benchmarks/run.py team_gap`" + (" --quick" if quick else "")
    return "\n\n".join(
        [f"## {TITLE}", f"Command: {cmd}", information(episodes), learned(episodes, seeds), VARIANTS]
    )


#: Measured while choosing the defaults (hashiru unless said; 1000 streams, seed 123; one training
#: seed unless said); not re-run by this benchmark.
VARIANTS = ""
