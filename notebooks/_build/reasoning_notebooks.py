"""Build notebooks/00_quickstart.ipynb and notebooks/04_hbpo.ipynb (stored without outputs).

    python notebooks/_build/reasoning_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from _cells import build

HERE = Path(__file__).resolve().parent.parent

Q = [
("md", """
# 00 · Quickstart: a reasoner that must decide when to stop

**You will learn**
- how to make an hbkit environment and read its observation;
- what one episode of the *Reasoning* world looks like: think a chunk of tokens, or answer;
- how to train a small policy with HBPO in a few seconds;
- how the budget in the prompt changes what the trained reasoner does (a slider).

*Time: about 1 minute. Widgets: a budget slider.*
"""),
("code", """
import gymnasium as gym
import numpy as np
import hbkit                                   # registers hbkit/Reasoning-v0, Team-v0, Split-v0
from hbkit.evaluate import evaluate
from hbkit.train import HBPO, base_reasoner
from hbkit.viz import reasoning as rviz
from hbkit.viz.reasoning_widgets import budget_explorer

FAST = hbkit.fast_mode()                       # HBKIT_FAST=1 shrinks training (used by the tests)
env = gym.make("hbkit/Reasoning-v0", scenario="hbpo-math")
obs, info = env.reset(seed=0)
print("observation:", dict(zip(env.unwrapped.feature_names, np.round(obs, 3))))
print("info:", info)
"""),
("md", """
## One rollout of the untrained reasoner

The *base reasoner* is verbose, like a distilled reasoning model: it rarely answers before it has
found the answer, then keeps checking for a long while. The green line is the (hidden) need of the
problem, the blue curve the noisy "found it" signal the reasoner sees.
"""),
("code", """
from hbkit.envs.reasoning import trace_episode

base = base_reasoner(env)
trace = trace_episode(base, env, seed=3, budget=None)
print("\\n".join(trace["text"][::6] + [trace["text"][-1]]))
rviz.rollout_trace(trace)
"""),
("md", """
## Train for a few seconds

HBPO samples problems, runs 16 rollouts of each split into four budget subgroups (512, 1024, 2048,
2560 tokens), scores them with a budget-aware reward and updates the policy. The progress bar shows
accuracy and mean tokens of the training rollouts.
"""),
("code", """
trainer = HBPO("hbkit/Reasoning-v0", scenario="hbpo-math", seed=0)
history = trainer.learn(iterations=3 if FAST else 120)
rviz.learning_curves({"HBPO": history})
"""),
("md", """
## Move the budget

Both reasoners are evaluated once for every budget instruction (and for "none", the natural mode);
the slider only switches between these results, so it reacts instantly.
"""),
("code", """
episodes = 200 if FAST else 1000
reports = {
    b: {name: evaluate(agent, "hbkit/Reasoning-v0", episodes=episodes, seed=123,
                       budget=None if b == "none" else b)
        for name, agent in (("base reasoner", base), ("HBPO", trainer.policy))}
    for b in ["none", 512, 1024, 2048, 2560]
}
explorer = budget_explorer(reports)
explorer
"""),
("code", """
for name, r in reports["none"].items():
    print(f"{name:14s} accuracy {r['accuracy']:.3f}   mean tokens {r['mean_tokens']:6.0f}")
"""),
("md", """
## Exercises

1. Train with `reward="cosine"` instead of the default and move the slider again. What happens to
   the tokens on level 1, and to the accuracy on level 5?
2. Write a reasoner of your own: a function `obs -> action` (0 = think on, 1 = answer) that answers
   as soon as the confidence (the last observation entry) passes a threshold. The checker below
   evaluates it in natural mode against the base reasoner and tells you what to change.
"""),
("code", """
from hbkit.exercises import check_reasoner

def my_reasoner(obs):
    return 0          # always thinks on: replace this with your rule

check_reasoner(my_reasoner)
"""),
]

H = [
("md", """
# 04 · Hierarchical Budget Policy Optimization (HBPO)

**You will learn**
- the budget-aware reward of HBPO and how its constants shape it (sliders for b, β, α);
- why a plain length penalty (the cosine reward) collapses exploration, and how budget subgroups
  keep it alive;
- how to train HBPO while watching it learn, and how its tokens grow with difficulty;
- the paper's ablations (number of budgets, reward function), as a table you regenerate.

*Time: under a minute with the default settings. Widgets: reward sliders, a Train button.*
"""),
("code", """
import gymnasium as gym
import hbkit
from hbkit.demo import run_ablations
from hbkit.evaluate import evaluate
from hbkit.managers.reasoning import fixed_length_grid
from hbkit.train import HBPO, base_reasoner
from hbkit.viz import reasoning as rviz
from hbkit.viz.reasoning_widgets import TrainingPanel, reward_explorer

FAST = hbkit.fast_mode()
ITERATIONS = 3 if FAST else 120
EPISODES = 200 if FAST else 1000
env = gym.make("hbkit/Reasoning-v0", scenario="hbpo-math")
"""),
("md", """
## The budget-aware reward

For a correct answer after $n$ tokens with budget $b$ (maximum length $L = 4096$):

$$R(n, b) = \\begin{cases} \\beta\\cos\\left(\\frac{\\pi b}{2L}\\right) & n \\le b \\\\
\\beta\\cos\\left(\\frac{\\pi n}{2L}\\right) - \\alpha\\,|n - b| & n > b \\end{cases}$$

and 0 for a wrong answer, −1 for no answer by $L$. Inside its budget a rollout is **not** punished
for thinking longer; past it, every token costs. The cosine reward (left) punishes every token.
Move the sliders.
"""),
("code", """
rviz.reward_curves()
"""),
("code", """
reward_explorer()
"""),
("md", """
## Train and watch

Four runs from the same verbose base reasoner: HBPO, the cosine reward, the classic reward (1 if
correct) and a single budget. Press **Train** to run them again; the next cell runs them once.
"""),
("code", """
RUNS = {"HBPO": {}, "cosine": {"reward": "cosine"}, "classic": {"reward": "classic"},
        "single budget": {"budgets": (1536,)}}

def make_trainers():
    out = {}
    for name, kw in RUNS.items():
        out[name] = HBPO("hbkit/Reasoning-v0", scenario="hbpo-math", seed=0, **kw)
        out[name].policy.metadata["name"] = name
    return out

panel = TrainingPanel(make_trainers, iterations=ITERATIONS, every=10)
panel
"""),
("code", """
trainers = panel.run()
"""),
("md", """
## Tokens by difficulty, in natural mode

No budget in the prompt: each reasoner decides how long to think. HBPO should think briefly on easy
problems and long on hard ones; the cosine reward shortens everything and loses the hardest level.
"""),
("code", """
ev = dict(episodes=EPISODES, seed=123, budget=None)
reports = {"base reasoner": evaluate(base_reasoner(env), "hbkit/Reasoning-v0", **ev)}
reports.update({name: evaluate(t.policy, "hbkit/Reasoning-v0", **ev) for name, t in trainers.items()})
rviz.by_level(reports)
"""),
("md", """
## Above the fixed-length frontier

A reasoner that always thinks exactly $T$ tokens and then answers cannot adapt; evaluating it for a
range of $T$ draws the best any non-adaptive method can do. An adaptive policy sits above it.
"""),
("code", """
fixed = [evaluate(m, "hbkit/Reasoning-v0", **ev) for m in fixed_length_grid(env, step=512 if FAST else 256)]
rviz.frontier(fixed, reports)
"""),
("md", """
## The paper's ablations

Budget count (4, 2, 1) and reward (hbpo, classic, cosine), trained the same way. The runs above are
reused; only the two-budget run (512 and 2560) is trained here. The table comes from your own runs.
"""),
("code", """
reuse = {"4 budgets, hbpo reward": trainers["HBPO"].policy, "1 budget (1536)": trainers["single budget"].policy,
         "4 budgets, classic reward": trainers["classic"].policy, "4 budgets, cosine reward": trainers["cosine"].policy}
rows = run_ablations(iterations=ITERATIONS, seed=0, episodes=EPISODES, trained=reuse)
rviz.results_table(rows, "ablations (natural mode)")
"""),
("md", """
## Exercises

1. Write HBPO's reward yourself, `my_reward(n, b, correct)`, from the formula at the top (leave out
   truncation); the checker compares it with hbkit's on many cases and explains the first mismatch.
   Then try `advantage="hbpo-code"` (the released code counts the intra-subgroup term twice) and
   `advantage="grpo"` (no intra-subgroup term). Which one keeps the budgets apart?
2. Set α ten times larger with the slider above and look at the penalty past the budget. Then train
   on a copy of the scenario with that α:
   `sc = hbkit.scenarios.load_scenario("hbpo-math").with_overrides({"world.alpha": 0.0025})`,
   `HBPO("hbkit/Reasoning-v0", scenario=sc)`. Evaluate with `budget=512`: does the trained reasoner
   respect small budgets better?
"""),
("code", """
import math
from hbkit.exercises import check_hbpo_reward

def my_reward(n, b, correct):
    if not correct:
        return 0.0
    return 4 * math.cos(math.pi * n / (2 * 4096))   # the cosine reward: fix it to HBPO's

check_hbpo_reward(my_reward)
"""),
]


def main() -> None:
    for name, cells in (("00_quickstart", Q), ("04_hbpo", H)):
        path = HERE / f"{name}.ipynb"
        nbformat.write(build(cells), path)
        print("wrote", path)


if __name__ == "__main__":
    main()
