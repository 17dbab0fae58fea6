# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Budgets: diminishing returns and the best split
#
# **You will learn**
# - why the first hour given to an agent is worth more than the tenth (diminishing returns);
# - how to split a budget by hand across four agents, and how far from the best split you are;
# - the best split for known productivities, *water-filling*: give budget until every agent that gets
#   some earns the same from one more unit;
# - how the best split changes as the budget grows (a slider), and who joins when.
#
# *Compute: under a minute. Your time: about 35 minutes. Widgets: one weight slider per agent, budget
# sliders, an exercise with a checker.*
#
# **Where this comes from.** Splitting a budget across agents with diminishing returns is classic
# resource allocation. Its best split, *water-filling*, is the textbook answer to allocating transmit
# power across noisy channels in information theory (Cover & Thomas, *Elements of Information
# Theory*, ch. 9), and the same marginal-return rule appears in economics. In HASHIRU's terms it is
# the CEO's question "how much of the expense budget should each employee get?" when it already
# knows how good each one is; notebook 03 drops that knowledge.

# %%
import gymnasium as gym
import numpy as np

import hbkit  # registers hbkit/Split-v0
from hbkit.managers.split import split_value, water_fill
from hbkit.viz import split as sviz
from hbkit.viz.split_widgets import hand_split_dashboard, oracle_budget_dashboard

FAST = hbkit.fast_mode()  # HBKIT_FAST=1 shrinks the work (used by the tests)
world = sviz.world_of("classroom")  # the constants of environments/classroom.toml
a, c, B = world.productivity, world.scale, world.budget
for name, ai, ci in zip(world.names, a, c, strict=False):
    print(
        f"{name:>5}: productivity a = {ai:<4}  scale c = {ci:<4}  first hour earns {ai * np.log1p(1 / ci):.2f}"
        f"  (slope at 0: a/c = {ai / ci:.2f})"
    )
print("budget per round:", B, "hours")

# %% [markdown]
# ## Diminishing returns
#
# In the `classroom` world a teacher has 12 tutoring hours a week for four study groups. Group $i$ turns
# $x_i$ hours into progress
#
# $$f_i(x_i) = a_i \log\left(1 + \frac{x_i}{c_i}\right)$$
#
# The *productivity* $a_i$ says how much a group gains from tutoring; the *scale* $c_i$ says after how
# many hours its gains start to flatten. The slope $a_i / (c_i + x_i)$ — what one more hour earns —
# falls with every hour given. In this notebook you know the productivities; in the next one you
# will have to learn them.

# %%
sviz.returns_figure(a, c, B, world.names, shares=[1, 1, 1, 1])

# %% [markdown]
# ## Split it yourself
#
# Each slider is a weight; your split gives every group its weight's share of the budget. Try to beat
# the equal split (all weights equal), then try to reach the oracle. The title tells you how much
# progress your split loses against the best one: that loss is the **regret**.

# %%
hand_split_dashboard("classroom")

# %% [markdown]
# ## The best split: water-filling
#
# Maximise $\sum_i a_i \log(1 + x_i / c_i)$ subject to $\sum_i x_i = B$, $x_i \ge 0$. Every $f_i$ is
# concave, so the best split is where no hour can be moved to earn more: every group that gets hours
# has the **same marginal return** $\lambda$, and no group left out would earn more than $\lambda$
# from its first hour:
#
# $$\frac{a_i}{c_i + x_i} = \lambda \;\text{ if } x_i > 0, \qquad \frac{a_i}{c_i} \le \lambda \;\text{ if } x_i = 0
# \quad\Longrightarrow\quad x_i = \max\left(0, \frac{a_i}{\lambda} - c_i\right)$$
#
# and $\lambda$ is set so that the hours add up to $B$. Picture a vessel per group with its floor
# at height $c_i / a_i$; pour the budget in to a common water level $1/\lambda$ — hence the name.
# `hbkit.managers.split.water_fill` solves it in closed form (its docstring has the derivation).

# %%
x = water_fill(a, c, B)
print("oracle's split:", dict(zip(world.names, np.round(x, 2), strict=False)), " total", x.sum())
print("marginal returns a/(c+x):", np.round(a / (c + x), 3), "(equal for every group that gets hours)")
print(
    "progress: oracle",
    round(float(split_value(a, c, x)), 3),
    " equal split",
    round(float(split_value(a, c, np.full(4, B / 4))), 3),
)

# %% [markdown]
# ## Move the budget
#
# With little budget only the group with the best first hour ($a_i / c_i$) gets anything. As the
# budget grows, the water level rises and the marginal return $\lambda$ falls (right panel); a group
# joins as soon as $\lambda$ drops below its first hour's return (its dotted line).
#
# *Try:* set the budget to 2, 6 and 20 hours. Predict from $a_i / c_i$ in the first cell in which order
# the groups join, then check. At which budget does `dev` join?

# %%
oracle_budget_dashboard("classroom")

# %% [markdown]
# ## The same thing as an environment
#
# `hbkit/Split-v0` plays this game for many rounds. The action is one number per agent in $[-1, 1]$;
# the env turns it into shares with a softmax, so the whole budget is always spent.
# `world.action_from_shares` gives the action for the shares you want. `info["regret"]` is what the
# round lost against the oracle. (Here we pass the productivities as a reset option; normally they
# are hidden and differ in every episode.)

# %%
env = gym.make("hbkit/Split-v0", scenario="classroom")
for label, shares in (("equal", np.full(4, 0.25)), ("oracle", x / B)):
    obs, info = env.reset(seed=0, options={"productivity": a})
    obs, reward, terminated, truncated, info = env.step(world.action_from_shares(shares))
    print(
        f"{label:>6}: allocation {np.round(info['allocation'], 2)}  measured output {reward:.2f}  "
        f"regret {info['regret']:.3f}  budget spent {info['budget_spent']:g} of "
        f"{info['budget_spent'] + info['budget_left']:g}"
    )

# %% [markdown]
# ## Exercise: write water-filling yourself
#
# Complete `my_water_fill(a, c, B)` below so that it returns the
# best allocation for productivities `a`, scales `c` and budget `B` (without calling
# `water_fill`). Hint: sort the agents by $a_i / c_i$; if the best $m$ are active, the level is
# $1/\lambda = (B + \sum_{\text{active}} c_i) / \sum_{\text{active}} a_i$; keep adding agents while
# the next one's first unit earns more than $\lambda$. `check_water_filling` compares your
# function with the oracle on random problems and tells you where it differs. The placeholder
# below is the equal split, so the checker starts by saying what is wrong with it.

# %%
from hbkit.exercises import check_water_filling


def my_water_fill(a, c, B):
    a, c = np.asarray(a, float), np.asarray(c, float)
    # your code here: find the water level and return max(0, a * level - c) for the active agents
    return np.full(len(a), B / len(a))  # placeholder: the equal split


check_water_filling(my_water_fill)

# %%
from hbkit.exercises import predict, solution

predict(
    "Before you write it: with a tiny budget (B = 0.5 hours for the four groups above), who gets hours "
    "under water-filling?",
    [
        "everybody, a little",
        "only the group whose first hour earns the most (largest a/c)",
        "the group with the largest productivity a",
    ],
    "only the group whose first hour earns the most (largest a/c)",
    "At x = 0 the marginal return of group i is a_i / c_i. A small budget never lifts the water level below "
    "the second-best a_i / c_i, so only the best group is active; the others join one by one as B grows "
    "(the budget slider above shows when).",
    hints={
        "the group with the largest productivity a": "a large a with a large c flattens late but starts slow."
    },
)

# %%
solution("water_fill")  # open it after you have tried
