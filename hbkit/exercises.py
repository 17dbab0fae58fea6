"""Checkers for the notebooks' exercises: each compares a learner's answer with hbkit's own and
explains the difference.

* Every checker runs on its own hidden cases (seeds and worlds the notebook does not show), and its
  target sits above what the notebook's placeholder or a one-line trick reaches. Ties are reported
  as ties.
* :func:`predict` asks a predict-then-check question: a choice, a *Check* button and an explanation.
* :func:`solution` shows a reference answer (from :mod:`hbkit.solutions`) folded away behind
  "Show a solution", so that it is never in plain sight under the exercise.

>>> from hbkit.exercises import check_hbpo_reward
>>> import math
>>> def my_reward(n, b, correct):
...     if not correct:
...         return 0.0
...     return 4 * math.cos(math.pi * min(n, b) / 8192)   # a common slip
>>> print(check_hbpo_reward(my_reward).passed)
False
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CheckResult",
    "Prediction",
    "predict",
    "solution",
    "check_hbpo_reward",
    "check_reasoner",
    "check_water_filling",
    "check_learner",
    "check_cost_benefit",
    "check_team_manager",
    "check_sb3_agent",
    "check_group_advantage",
]


@dataclass
class CheckResult:
    """The verdict of a checker: ``passed``, a ``message`` that explains it, and ``details``."""

    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return ("✅ " if self.passed else "❌ ") + self.message

    def _repr_html_(self) -> str:
        color = "#2ca02c" if self.passed else "#d62728"
        mark = "✅" if self.passed else "❌"
        style = f"border-left:4px solid {color};padding:4px 10px"
        return f"<div style='{style}'>{mark} {html.escape(self.message)}</div>"


def _same(x: float, y: float, rtol: float = 0.01) -> bool:
    """Two scores equal to within ``rtol`` (relative): a tie, not a win on float noise."""
    return abs(x - y) <= rtol * max(abs(x), abs(y), 1e-12)


# ------------------------------------------------------------------------------------------------
# Predict, then check; solutions folded away
# ------------------------------------------------------------------------------------------------


class Prediction:
    """A predict-then-check question: pick an option, press *Check*, read why.

    :param question: what to predict (before running the next cell)
    :param options: the choices shown
    :param answer: the right option (one of ``options``)
    :param why: the explanation shown after checking, right or wrong
    :param hints: an extra sentence for some wrong options (option -> text)
    """

    def __init__(
        self, question: str, options: list[str], answer: str, why: str, hints: dict[str, str] | None = None
    ):
        if answer not in options:
            raise ValueError(f"answer={answer!r} is not one of the options {options}")
        unknown = set(hints or {}) - set(options)
        if unknown:
            raise ValueError(f"hints name options that do not exist: {sorted(unknown)}")
        self.question, self.options, self.answer, self.why = question, list(options), answer, why
        self.hints = dict(hints or {})
        self._widget: Any = None

    def check(self, choice: str | None) -> CheckResult:
        """The verdict on ``choice`` (``None``: nothing chosen yet)."""
        if choice is None:
            return CheckResult(False, "choose an option first, then check")
        if choice not in self.options:
            return CheckResult(False, f"{choice!r} is not one of the options {self.options}")
        if choice == self.answer:
            return CheckResult(True, f"Right. {self.why}", {"choice": choice})
        hint = self.hints.get(choice, "")
        return CheckResult(
            False,
            f"Not quite: the answer is “{self.answer}”. {hint + ' ' if hint else ''}{self.why}",
            {"choice": choice},
        )

    @property
    def widget(self) -> Any:
        """The question as ipywidgets: radio buttons, a *Check* button and the verdict."""
        if self._widget is None:
            import ipywidgets as w

            choice = w.RadioButtons(options=self.options, value=None, layout=w.Layout(width="auto"))
            button = w.Button(description="Check", button_style="info", icon="check")
            verdict = w.HTML()
            output = w.Output()  # what checking raises is shown here (ipywidgets would keep it to the log)

            def show() -> None:
                verdict.value = self.check(choice.value)._repr_html_()

            def on_click(_: Any) -> None:
                from hbkit.viz.common import run_in_output

                verdict.value = ""  # a failed check leaves no verdict on an earlier choice
                if output.outputs:  # the last check's traceback, if any
                    output.clear_output()
                run_in_output(output, show)

            button.on_click(on_click)
            head = w.HTML(f"<b>Predict, then check.</b> {html.escape(self.question)}")
            self._widget = w.VBox([head, choice, button, verdict, output])
            self._widget.choice, self._widget.button, self._widget.verdict = choice, button, verdict
            self._widget.output = output
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def predict(
    question: str, options: list[str], answer: str, why: str, hints: dict[str, str] | None = None
) -> Prediction:
    """A predict-then-check question for a notebook (see :class:`Prediction`).

    >>> q = predict("2 + 2?", ["3", "4"], "4", "Counting.")
    >>> q.check("3").passed, q.check("4").passed
    (False, True)
    """
    return Prediction(question, options, answer, why, hints)


class _Folded:
    """HTML that shows a title and unfolds a block of code on click (works without a kernel)."""

    def __init__(self, title: str, code: str):
        self.title, self.code = title, code

    def _repr_html_(self) -> str:
        return (
            f"<details style='margin:4px 0'><summary style='cursor:pointer;color:#1f77b4'>"
            f"{html.escape(self.title)}</summary><pre style='background:#f6f8fa;padding:8px'>"
            f"{html.escape(self.code)}</pre></details>"
        )

    def __repr__(self) -> str:
        return f"{self.title} (folded): call print(hbkit.exercises.solution(...).code)"


def solution(name: str) -> _Folded:
    """A reference answer from :mod:`hbkit.solutions`, folded behind "Show a solution".

    :param name: the solution's name, e.g. ``"net_value"``; ``hbkit.solutions.__all__`` lists them
    """
    import inspect

    from hbkit import solutions

    if name not in solutions.__all__:
        raise ValueError(f"no solution named {name!r}; allowed: {', '.join(solutions.__all__)}")
    return _Folded(f"Show a solution ({name})", inspect.getsource(getattr(solutions, name)))


def _call(fn: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - we report whatever the learner's code raised
        return None, f"{type(exc).__name__}: {exc}"


def check_hbpo_reward(
    fn: Callable[[float, float, bool], float],
    beta: float = 4.0,
    max_tokens: int = 4096,
    alpha: float = 1 / 4096,
) -> CheckResult:
    """Check a learner's ``fn(n, b, correct) -> reward`` against HBPO's budget-aware reward.

    The reference: correct and ``n <= b``: ``beta*cos(pi*b/(2L))``; correct and ``n > b``:
    ``beta*cos(pi*n/(2L)) - alpha*|n - b|``; wrong: 0 (truncation is left out here).
    """
    from hbkit.sim.reasoning import reasoning_reward

    cases = [
        (n, b, c) for b in (512, 1024, 2560) for n in (0, 256, b, b + 64, 3000, 4000) for c in (True, False)
    ]
    for n, b, c in cases:
        want = float(
            reasoning_reward(
                "hbpo",
                *map(np.asarray, (c, n, b, False)),
                max_tokens=max_tokens,
                beta=beta,
                alpha=alpha,
                truncation_reward=-1.0,
            )
        )
        got, err = _call(fn, n, b, c)
        if err:
            return CheckResult(False, f"your function raised {err} for n={n}, b={b}, correct={c}")
        try:
            got = float(got)
        except (TypeError, ValueError):
            return CheckResult(
                False, f"your function returned {got!r} for n={n}, b={b}, correct={c}; expected a number"
            )
        if not np.isclose(got, want, atol=1e-6):
            hint = (
                "a wrong answer earns 0"
                if not c
                else "inside the budget (n <= b) the reward is the budget's value beta*cos(pi*b/(2L)), "
                "whatever n is"
                if n <= b
                else "past the budget the reward is beta*cos(pi*n/(2L)) minus alpha*(n - b)"
            )
            return CheckResult(
                False,
                f"for n={n}, b={b}, correct={c} you give {got:.4f}, HBPO gives {want:.4f}: {hint}",
                {"n": n, "b": b, "correct": c, "got": got, "want": want},
            )
    return CheckResult(
        True,
        f"your reward matches HBPO's on all {len(cases)} cases: flat inside the budget, "
        "decaying and penalised past it",
    )


def _frontier(
    env: Any, episodes: int, seed: int, scenario: str = "hbpo-math"
) -> tuple[np.ndarray, np.ndarray]:
    """Mean tokens and accuracy of the fixed-length reasoners (the non-adaptive frontier)."""
    from hbkit.evaluate import evaluate
    from hbkit.managers.reasoning import fixed_length_grid

    rows = [
        evaluate(f, "hbkit/Reasoning-v0", scenario=scenario, episodes=episodes, seed=seed, budget=None)
        for f in fixed_length_grid(env, step=128)
    ]
    tokens = np.array([0.0] + [r["mean_tokens"] for r in rows])
    accuracy = np.array([0.0] + [r["accuracy"] for r in rows])
    order = np.argsort(tokens)
    return tokens[order], np.maximum.accumulate(accuracy[order])


def check_reasoner(
    fn: Callable[[np.ndarray], int], episodes: int = 1000, seed: int = 2718, scenario: str = "hbpo-observable"
) -> CheckResult:
    """Evaluate a learner's reasoner ``fn(obs) -> 0/1`` in natural mode and under every budget of
    the default scenario, on hidden problems (``seed``), against targets computed from the world:

    * natural mode (no budget): at most 70 % of the base reasoner's tokens, at most 2 points less
      accuracy, and at least 2 points above the fixed-length frontier at the same mean tokens (an
      *adaptive* reasoner: a single stopping length cannot do that);
    * under each budget ``b``: mean tokens at most ``1.1 * b`` (it obeys the budget in the prompt)
      and accuracy no more than 2 points below the frontier at its mean tokens.

    The base reasoner, the frontier and the budgets come from the scenario at run time, so the
    targets follow the world if its constants change. The default world is ``hbpo-observable``,
    where being done shows in the hint, so a hand-written rule can pass; in ``hbpo-math`` no simple
    threshold does (notebook 04).
    """
    import gymnasium as gym

    from hbkit.evaluate import evaluate
    from hbkit.managers import available

    env = gym.make("hbkit/Reasoning-v0", scenario=scenario)
    world: Any = env.unwrapped
    budgets = list(world.world.budgets)
    base = evaluate(
        available("hbkit/Reasoning-v0")["base"](env),
        "hbkit/Reasoning-v0",
        scenario=scenario,
        episodes=episodes,
        seed=seed,
        budget=None,
    )
    # the frontier on the very problems the learner's reasoner and the base reasoner meet (the same
    # seed and number of episodes): a comparison on other problems would be decided by their luck
    tokens, accuracy = _frontier(env, episodes, seed, scenario)
    frontier = lambda t: float(np.interp(t, tokens, accuracy))  # noqa: E731
    mine: dict[Any, dict[str, Any]] = {}
    agent = fn if getattr(fn, "batched", False) else _RowWise(fn, np.int64)  # the base's problems
    for b in [None, *budgets]:
        try:
            mine[b] = evaluate(
                agent, "hbkit/Reasoning-v0", scenario=scenario, episodes=episodes, seed=seed, budget=b
            )
        except Exception as exc:  # noqa: BLE001
            return CheckResult(
                False, f"evaluating your reasoner (budget={b}) raised {type(exc).__name__}: {exc}"
            )
    details = {
        "yours": mine[None],
        "by_budget": mine,
        "base": base,
        "frontier": {"tokens": tokens.tolist(), "accuracy": accuracy.tolist()},
    }
    nat = mine[None]
    ratio, d_acc = nat["mean_tokens"] / base["mean_tokens"], nat["accuracy"] - base["accuracy"]
    lift = nat["accuracy"] - frontier(nat["mean_tokens"])
    summary = (
        f"natural mode: yours {nat['accuracy']:.3f} accuracy with {nat['mean_tokens']:.0f} tokens; "
        f"base reasoner {base['accuracy']:.3f} with {base['mean_tokens']:.0f}"
    )
    if ratio > 0.7:
        return CheckResult(
            False,
            f"{summary}. You use {100 * ratio:.0f}% of its tokens (target: at most 70%): "
            "answer once you are confident enough",
            details,
        )
    if d_acc < -0.02:
        return CheckResult(
            False,
            f"{summary}. You lose {-100 * d_acc:.1f} accuracy points (at most 2 allowed): "
            "you stop before the answer is found; wait for more confidence",
            details,
        )
    if lift < 0.02:
        return CheckResult(
            False,
            f"{summary}. A reasoner that always thinks {nat['mean_tokens']:.0f} tokens "
            f"reaches {frontier(nat['mean_tokens']):.3f}: yours is not adaptive yet "
            "(stop early on easy problems, think longer on hard ones)",
            details,
        )
    for b in budgets:
        r = mine[b]
        if r["mean_tokens"] > 1.1 * b:
            return CheckResult(
                False,
                f"{summary}. But with a budget of {b} tokens in the prompt you use "
                f"{r['mean_tokens']:.0f} on average: read the budget features of the "
                "observation and answer by the budget",
                details,
            )
        gap = r["accuracy"] - frontier(r["mean_tokens"])
        if gap < -0.02:
            return CheckResult(
                False,
                f"{summary}. With a budget of {b} you reach {r['accuracy']:.3f} with "
                f"{r['mean_tokens']:.0f} tokens, {-100 * gap:.1f} points below a reasoner "
                "that always thinks that long: do not stop far before the budget "
                "unless you are confident",
                details,
            )
    per_budget = ", ".join(f"{b}: {mine[b]['accuracy']:.2f} @ {mine[b]['mean_tokens']:.0f}" for b in budgets)
    return CheckResult(
        True,
        f"{summary}. {100 * (1 - ratio):.0f}% fewer tokens at {100 * d_acc:+.1f} points, "
        f"{100 * lift:.1f} points above the fixed-length frontier, and every budget obeyed "
        f"({per_budget}): an adaptive, budget-aware reasoner",
        details,
    )


# ----------------------------------------------------------------------------------------------
# The Split world (notebooks 02 and 03)
# ----------------------------------------------------------------------------------------------


def check_water_filling(
    fn: Callable[[np.ndarray, np.ndarray, float], Any], cases: int = 40, seed: int = 0
) -> CheckResult:
    """Check a learner's ``fn(a, c, B) -> x``, the best split of ``B`` for known productivities, against
    :func:`hbkit.managers.split.water_fill` (the oracle).

    The cases mix few and many agents, tiny budgets (only the best agent gets anything) and large
    ones (everybody does). An answer passes when on every case it is non-negative, spends exactly
    ``B`` and earns the oracle's output to within 1e-6 (relative).

    :param fn: takes productivities ``a`` and scales ``c`` (arrays of shape ``(K,)``) and a budget
        ``B``; returns allocations of shape ``(K,)``
    """
    from hbkit.managers.split import split_value, water_fill

    rng = np.random.default_rng(seed)
    problems = [
        (np.array([4.0, 2.0, 1.0, 0.5]), np.array([2.0, 3.0, 1.5, 2.0]), 12.0),
        (np.array([4.0, 2.0, 1.0, 0.5]), np.array([2.0, 3.0, 1.5, 2.0]), 0.5),
    ]
    for _ in range(cases):
        k = int(rng.integers(2, 8))
        problems.append(
            (
                rng.gamma(2.0, 1.0, k) + 0.05,
                rng.uniform(0.5, 4.0, k),
                float(rng.choice([0.2, 2.0, 10.0, 50.0]) * rng.uniform(0.5, 1.5)),
            )
        )
    for a, c, budget in problems:
        best = water_fill(a, c, budget)
        got, err = _call(fn, a.copy(), c.copy(), budget)
        case = f"a={np.round(a, 2).tolist()}, c={np.round(c, 2).tolist()}, B={budget:.3g}"
        if err:
            return CheckResult(False, f"your function raised {err} for {case}")
        try:
            x = np.asarray(got, dtype=np.float64).reshape(a.shape)
        except (TypeError, ValueError):
            return CheckResult(
                False, f"for {case} you return {got!r}; expected {len(a)} numbers, one per agent"
            )
        details = {"a": a, "c": c, "budget": budget, "yours": x, "oracle": best}
        if not np.all(np.isfinite(x)):
            return CheckResult(False, f"for {case} your split has NaN or infinite entries", details)
        if x.min() < -1e-9:
            return CheckResult(
                False,
                f"for {case} you give {x.min():.3g} to an agent: allocations cannot be "
                "negative. An agent whose first unit earns less than the water level "
                "(a_i / c_i <= lam) gets nothing: x_i = max(0, a_i / lam - c_i), with lam "
                "found from the agents that stay active",
                details,
            )
        if not np.isclose(x.sum(), budget, rtol=1e-6, atol=1e-9):
            return CheckResult(
                False,
                f"for {case} your split spends {x.sum():.4g} instead of {budget:.4g}: choose "
                "the level 1/lam so that the allocations add up to the budget",
                details,
            )
        mine, oracle = float(split_value(a, c, x)), float(split_value(a, c, best))
        if mine < oracle * (1 - 1e-6) - 1e-12:
            worst = int(np.argmax(np.abs(x - best)))
            return CheckResult(
                False,
                f"for {case} your split earns {mine:.4f}, the oracle's {oracle:.4f}. "
                f"Agent {worst} gets {x[worst]:.3f} from you and {best[worst]:.3f} from the "
                "oracle. At the best split every agent that gets budget has the same "
                "marginal return a_i / (c_i + x_i)",
                details,
            )
    return CheckResult(
        True,
        f"your water-filling matches the oracle on all {len(problems)} cases: every active "
        "agent ends with the same marginal return, and the rest get nothing",
    )


class _RowWise:
    """A single-observation learner made batched (so it meets the same worlds as the baselines).

    :param dtype: of the stacked actions (``float32`` for Split's shares, ``int64`` for choices)
    """

    batched = True

    def __init__(self, fn: Callable[[np.ndarray], Any], dtype: Any = np.float32):
        self.fn, self.name, self.dtype = fn, getattr(fn, "__name__", "yours"), dtype

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(self.fn(o), dtype=self.dtype) for o in np.asarray(obs)])


def check_learner(
    fn: Callable[[np.ndarray], Any],
    scenario: str = "drift",
    episodes: int = 64,
    seed: int = 2718,
    **env_kwargs: Any,
) -> CheckResult:
    """Evaluate a learner's manager ``fn(obs) -> action`` on ``hbkit/Split-v0`` against the equal split
    and the greedy learner (water-filling on the estimates), on the same hidden worlds (``seed``).

    Passes when its regret per round is at most half the equal split's, it learns (its regret in
    the last tenth of the rounds is below the first tenth), and it is within 10 % of greedy or
    better. Scores within 1 % of greedy's are reported as a tie.

    :param fn: a manager for one observation (``obs`` of shape ``(obs_dim,)`` -> action), or a
        batched hbkit manager (``batched = True``)
    :param scenario: ``"classroom"``, ``"drift"`` or ``"divisions"`` (or a path)
    :param env_kwargs: passed to the env (``noise=``, ``drift=`` ...)
    """
    import gymnasium as gym

    from hbkit.evaluate import evaluate
    from hbkit.managers.split import Equal, Greedy

    env = gym.make("hbkit/Split-v0", scenario=scenario, **env_kwargs)
    agent = fn if getattr(fn, "batched", False) else _RowWise(fn)
    run = {"episodes": episodes, "seed": seed, "scenario": scenario, **env_kwargs}
    try:
        mine = evaluate(agent, "hbkit/Split-v0", **run)
    except Exception as exc:  # noqa: BLE001
        return CheckResult(False, f"evaluating your learner raised {type(exc).__name__}: {exc}")
    equal = evaluate(Equal(env), "hbkit/Split-v0", **run)
    greedy = evaluate(Greedy(env), "hbkit/Split-v0", **run)
    env.close()
    curve = np.asarray(mine["regret_curve"])
    tenth = max(1, len(curve) // 10)
    early, late = float(curve[:tenth].mean()), float(curve[-tenth:].mean())
    details = {"yours": mine, "equal": equal, "greedy": greedy}
    summary = (
        f"on {scenario}: your regret per round {mine['regret']:.3f} (first rounds {early:.3f}, last "
        f"{late:.3f}); equal split {equal['regret']:.3f}; greedy {greedy['regret']:.3f}"
    )
    if mine["regret"] > 0.5 * equal["regret"]:
        return CheckResult(
            False,
            f"{summary}. You lose more than half of what the equal split loses: use the "
            "estimates in the observation and water-fill on them",
            details,
        )
    if late >= early:
        return CheckResult(
            False,
            f"{summary}. Your regret does not fall over the episode, so your split does "
            "not use the feedback: read the estimates afresh every round",
            details,
        )
    if mine["regret"] > 1.1 * greedy["regret"] and not _same(mine["regret"], greedy["regret"]):
        return CheckResult(
            False,
            f"{summary}. You learn, but lose {mine['regret'] / greedy['regret']:.2f}x what "
            "greedy loses: trust the estimates more (greedy water-fills on them as if they "
            "were true), or explore less",
            details,
        )
    if _same(mine["regret"], greedy["regret"]):
        verdict = (
            "and ties with greedy (within 1%): on this world, acting on the estimates is as good as it gets"
        )
    elif mine["regret"] < greedy["regret"]:
        verdict = f"and beats greedy ({greedy['regret'] / mine['regret']:.2f}x less regret)"
    else:
        verdict = "and comes within 10% of greedy"
    return CheckResult(
        True,
        f"{summary}. Your learner uses the feedback: {equal['regret'] / mine['regret']:.1f}x "
        f"less regret than the equal split, {verdict}",
        details,
    )


# ------------------------------------------------------------------------------------------------
# Team world (notebooks 01 and 05)
# ------------------------------------------------------------------------------------------------


def check_cost_benefit(fn: Callable[[float, float, int, float, float], float]) -> CheckResult:
    """Check a learner's ``fn(p, value, quorum, dollars, money_weight) -> net value`` of giving one
    part of a task to a worker: ``value / quorum * p - money_weight * dollars`` (what the greedy
    manager of ``hbkit/Team-v0`` maximises; a review of value 1 needs ``quorum = 2`` good opinions,
    so each opinion is worth half of it).
    """
    cases = [
        (p, v, q, d, lam)
        for p in (0.0, 0.4, 0.9)
        for v in (1.0, 2.0)
        for q in (1, 2)
        for d in (0.0, 0.0004, 0.02)
        for lam in (0.0, 5.0)
    ]
    for p, v, q, d, lam in cases:
        want = v / q * p - lam * d
        got, err = _call(fn, p, v, q, d, lam)
        if err:
            return CheckResult(
                False,
                f"your function raised {err} for p={p}, value={v}, quorum={q}, "
                f"dollars={d}, money_weight={lam}",
            )
        try:
            got = float(got)
        except (TypeError, ValueError):
            return CheckResult(False, f"your function returned {got!r}; expected a number")
        if not np.isclose(got, want, atol=1e-9):
            if np.isclose(got, v * p - lam * d):
                hint = "a part of a task with a quorum is worth value / quorum, not the whole value"
            elif np.isclose(got, v / q * p):
                hint = "subtract what the call costs: money_weight * dollars"
            elif np.isclose(got, v / q * p + lam * d):
                hint = "the cost is subtracted, not added"
            else:
                hint = "expected value of the part (value / quorum * p) minus money_weight * dollars"
            return CheckResult(
                False,
                f"for p={p}, value={v}, quorum={q}, dollars={d}, money_weight={lam} "
                f"you give {got:.5f}, the greedy manager uses {want:.5f}: {hint}",
                {"got": got, "want": want},
            )
    return CheckResult(
        True,
        f"your net value matches the greedy manager's on all {len(cases)} cases: "
        "a local worker (0 dollars) wins unless a cloud worker's extra success pays "
        "for its price",
    )


def _hidden_team_scenario(scenario: str, skill_noise: float) -> Any:
    """``scenario`` with each stream's hidden skill deviations widened (feedback matters more).

    :raises ScenarioError: for a ``skill_noise`` out of the field's range (never silently ignored)
    """
    from hbkit.scenarios import load_scenario

    return load_scenario(scenario, "hbkit/Team-v0").with_overrides({"world.skill_noise": skill_noise})


def check_team_manager(
    factory: Callable[[Any], Callable[..., Any]],
    episodes: int = 100,
    seed: int = 2718,
    scenario: str = "hashiru",
    skill_noise: float = 1.2,
) -> CheckResult:
    """Evaluate a learner's Team manager against ``local-only``, ``cloud-only`` and ``greedy`` (the
    cost-benefit manager that trusts the published skills) on hidden streams: ``scenario`` with each
    stream's hidden skill deviations widened to ``skill_noise`` (logits), so that what the feedback
    reveals is worth more than the published sheet.

    :param factory: ``factory(env) -> manager``; a manager is ``manager(obs, info) -> action``
        (set ``manager.wants_info = True``, or take only ``obs``)
    Passes when no action is rejected, the money runs out in at most 10 % of the streams, and the
    reward beats all three (by more than 1 % over greedy: closer is a tie).
    """
    import gymnasium as gym

    from hbkit.evaluate import evaluate_budgets
    from hbkit.managers import available

    env_id = "hbkit/Team-v0"
    sc = _hidden_team_scenario(scenario, skill_noise)
    env = gym.make(env_id, scenario=sc)

    def evaluate(agent: Any) -> dict[str, Any]:
        # on problem seeds: a batched manager and one taking one observation at a time (on the
        # single env) meet the same streams
        return evaluate_budgets(agent, env_id, [None], scenario=sc, episodes=episodes, seed=seed)[0]

    base = {n: evaluate(available(env_id)[n](env)) for n in ("local-only", "cloud-only", "greedy")}
    try:
        manager = factory(env)
        mine = evaluate(manager)
    except Exception as exc:  # noqa: BLE001
        return CheckResult(False, f"evaluating your manager raised {type(exc).__name__}: {exc}")
    details = {"yours": mine, **base}
    single = max((base["local-only"], base["cloud-only"]), key=lambda r: r["reward"])
    greedy = base["greedy"]
    summary = (
        f"yours: reward {mine['reward']:.2f}, success {mine['success_rate']:.2f}, "
        f"${mine['expense_spent']:.3f} spent; {single['agent']} {single['reward']:.2f}; "
        f"greedy {greedy['reward']:.2f}"
    )
    if mine["rejected"] > 0:
        return CheckResult(
            False,
            f"{summary}. {mine['rejected']:.1f} actions per stream were rejected: "
            "choose only actions allowed by info['action_mask']",
            details,
        )
    if mine["budget_exhausted_rate"] > 0.1:
        return CheckResult(
            False,
            f"{summary}. The money ran out in {mine['budget_exhausted_rate']:.0%} of the "
            "streams: weigh what a call costs, or keep some money per task left",
            details,
        )
    if mine["reward"] <= single["reward"]:
        return CheckResult(
            False,
            f"{summary}. Not better than the best single-kind team: mix cheap local "
            "workers with cloud workers where they are worth their price",
            details,
        )
    if _same(mine["reward"], greedy["reward"]):
        return CheckResult(
            False,
            f"{summary}. A tie with greedy (within 1%): your manager weighs price against "
            "the published skills as greedy does. These streams hide how good each worker "
            "really is: learn it from the outcomes (the feedback in the observation)",
            details,
        )
    if mine["reward"] < greedy["reward"]:
        return CheckResult(
            False,
            f"{summary}. Below greedy: weigh success against price per task, and learn "
            "each worker's real skill from the feedback",
            details,
        )
    return CheckResult(
        True,
        f"{summary}. You beat both single-kind teams and greedy: your manager learns "
        "from the feedback what the published skills do not say",
        details,
    )


# ------------------------------------------------------------------------------------------------
# Stable-Baselines3 (notebook 06)
# ------------------------------------------------------------------------------------------------


def check_sb3_agent(
    make_agent: Callable[[Any], Callable[[np.ndarray], Any]],
    model: Any,
    env_id: str,
    scenario: Any = None,
    steps: int = 200,
    seed: int = 123,
) -> CheckResult:
    """Check a learner's ``make_agent(model) -> (obs -> action)`` wrapper of an SB3 model.

    The wrapped function must choose the model's deterministic action (what ``hbkit.evaluate``
    uses for SB3 models) on every observation of ``steps`` steps of play.
    """
    import gymnasium as gym

    agent, err = _call(make_agent, model)
    if err:
        return CheckResult(False, f"make_agent(model) raised {err}")
    if not callable(agent):
        return CheckResult(
            False, f"make_agent(model) must return a function obs -> action, got {type(agent).__name__}"
        )
    env = gym.make(env_id, **({"scenario": scenario} if scenario is not None else {}))
    obs, _ = env.reset(seed=seed)
    mismatches = 0
    for _ in range(steps):
        expected, _ = model.predict(obs, deterministic=True)
        action, err = _call(agent, obs)
        if err:
            return CheckResult(
                False, f"your function raised {err} on an observation of shape {np.shape(obs)}"
            )
        if isinstance(action, tuple):
            return CheckResult(
                False,
                "your function returned a tuple: model.predict returns (action, state); "
                "return only the action",
            )
        if np.shape(action) != np.shape(expected):
            return CheckResult(
                False, f"your action has shape {np.shape(action)}, the model's {np.shape(expected)}"
            )
        mismatches += not np.allclose(action, expected)
        obs, _, term, trunc, _ = env.step(expected)
        if term or trunc:
            obs, _ = env.reset()
    details = {"steps": steps, "mismatches": int(mismatches)}
    if mismatches:
        return CheckResult(
            False,
            f"your function chose a different action than the model on {mismatches} of "
            f"{steps} observations: hbkit evaluates SB3 models deterministically — did you "
            "pass deterministic=True to model.predict?",
            details,
        )
    return CheckResult(
        True,
        f"the same action as the model on all {steps} observations: your function is a "
        "faithful wrapper (it acts as the model acts)",
        details,
    )


# ------------------------------------------------------------------------------------------------
# The RL primer (notebook 03b)
# ------------------------------------------------------------------------------------------------


def check_group_advantage(fn: Callable[[np.ndarray], Any], cases: int = 30, seed: int = 0) -> CheckResult:
    """Check a learner's ``fn(rewards) -> advantages``: GRPO's group-normalised advantage
    ``(r - mean(r)) / (std(r) + 1e-6)`` of a group of rollouts of one problem.

    The hidden cases include groups where every rollout earns the same (no signal: every
    advantage must be 0), a single success among failures, and large and negative rewards.
    """
    rng = np.random.default_rng(seed)
    groups = [
        np.array([1.0, 0.0, 0.0, 0.0]),
        np.array([1.0, 1.0, 1.0, 1.0]),
        np.array([0.0, 0.0]),
        np.array([-1.0, 3.0, 2.5, 0.0, 0.0, 4.0]),
    ]
    groups += [
        rng.normal(rng.uniform(-5, 5), rng.uniform(0.1, 10), int(rng.integers(2, 17))) for _ in range(cases)
    ]
    for r in groups:
        want = (r - r.mean()) / (r.std() + 1e-6)
        got, err = _call(fn, r.copy())
        case = f"rewards {np.round(r, 2).tolist()}"
        if err:
            return CheckResult(False, f"your function raised {err} for {case}")
        try:
            a = np.asarray(got, dtype=np.float64).reshape(r.shape)
        except (TypeError, ValueError):
            return CheckResult(False, f"for {case} you return {got!r}; expected one advantage per rollout")
        if np.allclose(a, want, atol=1e-4):
            continue
        details = {"rewards": r, "yours": a, "want": want}
        if not np.all(np.isfinite(a)):
            hint = "a group where all rewards are equal has std 0: add the 1e-6 before dividing"
        elif np.allclose(a, r - r.mean(), atol=1e-4):
            hint = "you subtract the group mean (the baseline) but do not divide by the group's std"
        elif np.allclose(a, r, atol=1e-4):
            hint = "the raw reward is not an advantage: subtract the mean of the group"
        elif np.allclose(a, (r - r.mean()) / (r.std(ddof=1) + 1e-6), atol=1e-4):
            hint = "use the population std (numpy's default, ddof=0), as GRPO does"
        else:
            hint = "advantage = (reward - mean of the group) / (std of the group + 1e-6)"
        return CheckResult(
            False,
            f"for {case} you give {np.round(a, 3).tolist()}, GRPO gives {np.round(want, 3).tolist()}: {hint}",
            details,
        )
    return CheckResult(
        True,
        f"your advantages match GRPO's on all {len(groups)} groups: each rollout is scored "
        "against its own group, and a group with no differences teaches nothing",
    )
