"""Build notebooks/02_budgets.ipynb and notebooks/03_feedback.ipynb (stored without outputs).

    python notebooks/_build/split_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from _cells import build

HERE = Path(__file__).resolve().parent.parent

NB02 = [
    ('md', r"""# 02 · Budgets: diminishing returns and the best split

**You will learn**
- why the first hour given to an agent is worth more than the tenth (diminishing returns);
- how to split a budget by hand across four agents, and how far from the best split you are;
- the best split for known productivities, *water-filling*: give budget until every agent that gets
  some earns the same from one more unit;
- how the best split changes as the budget grows (a slider), and who joins when.

*Time: under a minute. Widgets: one weight slider per agent, budget sliders.*"""),
    ('code', r"""import gymnasium as gym
import numpy as np
import hbkit                                   # registers hbkit/Split-v0
from hbkit.managers.split import water_fill, split_value
from hbkit.viz import split as sviz
from hbkit.viz.split_widgets import hand_split_dashboard, oracle_budget_dashboard

FAST = hbkit.fast_mode()                       # HBKIT_FAST=1 shrinks the work (used by the tests)
world = sviz.world_of("classroom")             # the constants of environments/classroom.toml
a, c, B = world.productivity, world.scale, world.budget
for name, ai, ci in zip(world.names, a, c):
    print(f"{name:>5}: productivity a = {ai:<4}  scale c = {ci:<4} (first hour earns {ai / ci:.2f})")
print("budget per round:", B, "hours")"""),
    ('md', r"""## Diminishing returns

In the `classroom` world a teacher has 12 tutoring hours a week for four study groups. Group $i$ turns
$x_i$ hours into progress

$$f_i(x_i) = a_i \log\left(1 + \frac{x_i}{c_i}\right)$$

The *productivity* $a_i$ says how much a group gains from tutoring; the *scale* $c_i$ says after how
many hours its gains start to flatten. The slope $a_i / (c_i + x_i)$ — what one more hour earns —
falls with every hour given. In this notebook you know the productivities; in the next one you
will have to learn them."""),
    ('code', r"""sviz.returns_figure(a, c, B, world.names, shares=[1, 1, 1, 1])"""),
    ('md', r"""## Split it yourself

Each slider is a weight; your split gives every group its weight's share of the budget. Try to beat
the equal split (all weights equal), then try to reach the oracle. The title tells you how much
progress your split loses against the best one: that loss is the **regret**."""),
    ('code', r"""hand_split_dashboard("classroom")"""),
    ('md', r"""## The best split: water-filling

Maximise $\sum_i a_i \log(1 + x_i / c_i)$ subject to $\sum_i x_i = B$, $x_i \ge 0$. Every $f_i$ is
concave, so the best split is where no hour can be moved to earn more: every group that gets hours
has the **same marginal return** $\lambda$, and no group left out would earn more than $\lambda$
from its first hour:

$$\frac{a_i}{c_i + x_i} = \lambda \;\text{ if } x_i > 0, \qquad \frac{a_i}{c_i} \le \lambda \;\text{ if } x_i = 0
\quad\Longrightarrow\quad x_i = \max\left(0, \frac{a_i}{\lambda} - c_i\right)$$

and $\lambda$ is set so that the hours add up to $B$. Picture a vessel per group with its floor
at height $c_i / a_i$; pour the budget in to a common water level $1/\lambda$ — hence the name.
`hbkit.managers.split.water_fill` solves it in closed form (its docstring has the derivation)."""),
    ('code', r"""x = water_fill(a, c, B)
print("oracle's split:", dict(zip(world.names, np.round(x, 2))), " total", x.sum())
print("marginal returns a/(c+x):", np.round(a / (c + x), 3), "(equal for every group that gets hours)")
print("progress: oracle", round(float(split_value(a, c, x)), 3),
      " equal split", round(float(split_value(a, c, np.full(4, B / 4))), 3))"""),
    ('md', r"""## Move the budget

With little budget only the group with the best first hour ($a_i / c_i$) gets anything. As the
budget grows, the water level rises and the marginal return $\lambda$ falls (right panel); a group
joins as soon as $\lambda$ drops below its first hour's return (its dotted line).

*Try:* set the budget to 2, 6 and 20 hours. Predict from $a_i / c_i$ in the first cell in which order
the groups join, then check. At which budget does `dev` join?"""),
    ('code', r"""oracle_budget_dashboard("classroom")"""),
    ('md', r"""## The same thing as an environment

`hbkit/Split-v0` plays this game for many rounds. The action is one number per agent in $[-1, 1]$;
the env turns it into shares with a softmax, so the whole budget is always spent.
`world.action_from_shares` gives the action for the shares you want. `info["regret"]` is what the
round lost against the oracle. (Here we pass the productivities as a reset option; normally they
are hidden and differ in every episode.)"""),
    ('code', r"""env = gym.make("hbkit/Split-v0", scenario="classroom")
for label, shares in (("equal", np.full(4, 0.25)), ("oracle", x / B)):
    obs, info = env.reset(seed=0, options={"productivity": a})
    obs, reward, terminated, truncated, info = env.step(world.action_from_shares(shares))
    print(f"{label:>6}: allocation {np.round(info['allocation'], 2)}  measured output {reward:.2f}  "
          f"regret {info['regret']:.3f}  budget spent {info['budget_spent']:g} of "
          f"{info['budget_spent'] + info['budget_left']:g}")"""),
    ('md', r"""## Exercise: write water-filling yourself

Complete `my_water_fill(a, c, B)` below so that it returns the
best allocation for productivities `a`, scales `c` and budget `B` (without calling
`water_fill`). Hint: sort the agents by $a_i / c_i$; if the best $m$ are active, the level is
$1/\lambda = (B + \sum_{\text{active}} c_i) / \sum_{\text{active}} a_i$; keep adding agents while
the next one's first unit earns more than $\lambda$. `check_water_filling` compares your
function with the oracle on random problems and tells you where it differs. The placeholder
below is the equal split, so the checker starts by saying what is wrong with it."""),
    ('code', r"""from hbkit.exercises import check_water_filling


def my_water_fill(a, c, B):
    a, c = np.asarray(a, float), np.asarray(c, float)
    # your code here: find the water level and return max(0, a * level - c) for the active agents
    return np.full(len(a), B / len(a))     # placeholder: the equal split


check_water_filling(my_water_fill)"""),
]

NB03 = [
    ('md', r"""# 03 · Feedback: learning a split from what the agents return

**You will learn**
- what a manager can really know when the productivities are hidden: past splits and outputs;
- how simple learners turn that feedback into a split, and how to score them by **regret**
  against the water-filling oracle;
- why exploration matters: a greedy learner is usually excellent and sometimes stuck for good;
- what a second level (divisions) changes, and where Stable-Baselines3 PPO stands.

*Time: under a minute (PPO only trains if you press its button). Widgets: noise, drift and budget
sliders; a learner picker.*"""),
    ('code', r"""import gymnasium as gym
import numpy as np
import hbkit
from hbkit.managers.split import compare, run_managers, LEARNERS
from hbkit.viz import split as sviz
from hbkit.viz.split_widgets import feedback_dashboard, allocation_dashboard, ppo_panel

FAST = hbkit.fast_mode()
EPISODES = 16 if FAST else 64

env = gym.make("hbkit/Split-v0", scenario="drift")
obs, info = env.reset(seed=0)
obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
for name, value in zip(env.unwrapped.feature_names, np.round(obs, 3)):
    print(f"{name:>20} {value}")"""),
    ('md', r"""## What the manager sees

In `drift` five teams share 20 engineer-days a week. Their productivities are hidden, start
somewhere different every year, and drift from week to week; the weekly output figures are noisy.
The observation holds only what a manager could know: the round and the budget left, last week's
shares and outputs, and for every team a running least-squares **estimate** of its productivity with
its **uncertainty** (recent weeks count more: the world's `memory`).

The learners in `hbkit.managers.split` read nothing else:

| learner | rule |
|---|---|
| `equal` | the same share for everyone, always |
| `follow-last` | shares proportional to last week's outputs |
| `greedy` | water-fill on the estimates, as if they were true |
| `ucb` | water-fill on optimistic estimates: estimate + 2 standard deviations |
| `thompson` | water-fill on one random draw from what the estimates allow |
| `exp-grad` | exponentiated gradient: shift shares towards teams whose next unit earns more |"""),
    ('code', r"""reports = compare(list(LEARNERS) + ["oracle"], "classroom", episodes=EPISODES, seed=1)
for name, r in reports.items():
    print(f"{name:>12}: regret per round {r['regret']:.3f}   in the last rounds {r['final_regret']:.3f}   "
          f"share of the best output lost {100 * r['relative_regret']:.1f}%")
sviz.regret_curves_figure({n: r["regret_curve"] for n, r in reports.items() if n != "oracle"},
                          title="classroom: regret per round")"""),
    ('md', r"""## Noise, drift and budget

Every move of a slider re-runs all learners on a batch of short episodes of `drift` (the same
episodes for every learner) and redraws their regret. More noise makes the estimates slower to
trust; more drift makes old evidence stale; a bigger budget makes every agent worth funding.

*Try:* set noise to 0 and drift to 0. Which learner wins now, and why does exploring no longer pay?"""),
    ('code', r"""feedback_dashboard("drift", episodes=12 if FAST else 24)"""),
    ('md', r"""## Why exploration matters

Averages hide the tails. Make the outputs very noisy and let the episodes run longer: the greedy
learner ends most episodes close to the oracle, but in some it decided early that a good group was
weak, stopped giving it hours, and so never saw evidence to the contrary. Thompson sampling keeps
trying such groups exactly as often as its uncertainty warrants, so it rarely gets stuck."""),
    ('code', r"""runs = run_managers(["greedy", "ucb", "thompson", "exp-grad"], "classroom",
                    episodes=48 if FAST else 200, seed=3, noise=2.0, rounds=100)
sviz.final_regret_figure({n: r["regret"] for n, r in runs.items()},
                         title="classroom with noise 2: regret at the end of each episode")"""),
    ('md', r"""## Two levels: divisions

In `divisions` a director splits 30 engineer-days across two divisions; each division head splits
the division's days across three teams (by default a greedy head, water-filling on what it has
seen). The dashed line is the boundary between the divisions: the director's decision. Pick a
learner for the director and an episode."""),
    ('code', r"""allocation_dashboard("divisions", episodes=4 if FAST else 8)"""),
    ('md', r"""## Stable-Baselines3 PPO

PPO learns a policy from the same observations (`hbkit train --env hbkit/Split-v0 --algo ppo` on the
command line; the hyperparameters are the `[ppo]` section of the scenario file). It trains only when
you press the button (a few minutes for the 100,000 steps of the recipe on a laptop; a progress bar
shows how far it is), then its regret curve joins the learners'. Press it again to train afresh.
`benchmarks/RESULTS.md` has where PPO ends up against the learners."""),
    ('code', r"""ppo = ppo_panel("classroom", timesteps=2_000 if FAST else None)
ppo"""),
    ('md', r"""## Exercise: write a learner of your own

Write a function `obs -> action`. The one below water-fills on
`estimate - noise * uncertainty` (pessimism: the opposite of UCB). It uses
`world.obs_index` to find the entries of the observation and `world.action_from_shares` to build
the action. `check_learner` scores it on `drift` against the equal split and greedy (the same
worlds for all three) and explains the verdict. Does pessimism beat greedy? Change it (more or
less pessimism, or optimism) and check again."""),
    ('code', r"""from hbkit.exercises import check_learner
from hbkit.managers.split import water_fill

world = gym.make("hbkit/Split-v0", scenario="drift").unwrapped.world
ix = world.obs_index


def my_learner(obs):
    budget = obs[ix["budget"]] * world.max_budget
    guess = obs[ix["estimate"]] - world.noise * obs[ix["uncertainty"]]   # pessimism
    shares = water_fill(np.maximum(guess, 1e-3), world.scale, budget) / budget
    return world.action_from_shares(shares)


check_learner(my_learner, scenario="drift", episodes=32 if FAST else 128)"""),
]


def main() -> None:
    for name, cells in (("02_budgets", NB02), ("03_feedback", NB03)):
        path = HERE / f"{name}.ipynb"
        nbformat.write(build(cells), path)
        print("wrote", path)


if __name__ == "__main__":
    main()
