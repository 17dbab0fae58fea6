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
# # 03 · Feedback: learning a split from what the agents return
#
# **You will learn**
# - what a manager can really know when the productivities are hidden: past splits and outputs;
# - how simple learners turn that feedback into a split, and how to score them by **regret**
#   against the water-filling oracle;
# - why exploration matters: a greedy learner is usually excellent and sometimes stuck for good;
# - what a second level (divisions) changes, and where Stable-Baselines3 PPO stands.
#
# *Time: under a minute (PPO only trains if you press its button). Widgets: noise, drift and budget
# sliders; a learner picker.*

# %%
import gymnasium as gym
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
    print(f"{name:>20} {value}")

# %% [markdown]
# ## What the manager sees
#
# In `drift` five teams share 20 engineer-days a week. Their productivities are hidden, start
# somewhere different every year, and drift from week to week; the weekly output figures are noisy.
# The observation holds only what a manager could know: the round and the budget left, last week's
# shares and outputs, and for every team a running least-squares **estimate** of its productivity with
# its **uncertainty** (recent weeks count more: the world's `memory`).
#
# The learners in `hbkit.managers.split` read nothing else:
#
# | learner | rule |
# |---|---|
# | `equal` | the same share for everyone, always |
# | `follow-last` | shares proportional to last week's outputs |
# | `greedy` | water-fill on the estimates, as if they were true |
# | `ucb` | water-fill on optimistic estimates: estimate + 2 standard deviations |
# | `thompson` | water-fill on one random draw from what the estimates allow |
# | `exp-grad` | exponentiated gradient: shift shares towards teams whose next unit earns more |

# %%
reports = compare(list(LEARNERS) + ["oracle"], "classroom", episodes=EPISODES, seed=1)
for name, r in reports.items():
    print(f"{name:>12}: regret per round {r['regret']:.3f}   in the last rounds {r['final_regret']:.3f}   "
          f"share of the best output lost {100 * r['relative_regret']:.1f}%")
sviz.regret_curves_figure({n: r["regret_curve"] for n, r in reports.items() if n != "oracle"},
                          title="classroom: regret per round")

# %% [markdown]
# ## Noise, drift and budget
#
# Every move of a slider re-runs all learners on a batch of short episodes of `drift` (the same
# episodes for every learner) and redraws their regret. More noise makes the estimates slower to
# trust; more drift makes old evidence stale; a bigger budget makes every agent worth funding.
#
# *Try:* set noise to 0 and drift to 0. Which learner wins now, and why does exploring no longer pay?

# %%
feedback_dashboard("drift", episodes=12 if FAST else 24)

# %% [markdown]
# ## Why exploration matters
#
# Averages hide the tails. Make the outputs very noisy and let the episodes run longer: the greedy
# learner ends most episodes close to the oracle, but in some it decided early that a good group was
# weak, stopped giving it hours, and so never saw evidence to the contrary. Thompson sampling keeps
# trying such groups exactly as often as its uncertainty warrants, so it rarely gets stuck.

# %%
runs = run_managers(["greedy", "ucb", "thompson", "exp-grad"], "classroom",
                    episodes=48 if FAST else 200, seed=3, noise=2.0, rounds=100)
sviz.final_regret_figure({n: r["regret"] for n, r in runs.items()},
                         title="classroom with noise 2: regret at the end of each episode")

# %% [markdown]
# ## Two levels: divisions
#
# In `divisions` a director splits 30 engineer-days across two divisions; each division head splits
# the division's days across three teams (by default a greedy head, water-filling on what it has
# seen). The dashed line is the boundary between the divisions: the director's decision. Pick a
# learner for the director and an episode.

# %%
allocation_dashboard("divisions", episodes=4 if FAST else 8)

# %% [markdown]
# ## Stable-Baselines3 PPO
#
# PPO learns a policy from the same observations (`hbkit train --env hbkit/Split-v0 --algo ppo` on the
# command line; the hyperparameters are the `[ppo]` section of the scenario file). It trains only when
# you press the button (a few minutes for the 100,000 steps of the recipe on a laptop; a progress bar
# shows how far it is), then its regret curve joins the learners'. Press it again to train afresh.
# `benchmarks/RESULTS.md` has where PPO ends up against the learners.

# %%
ppo = ppo_panel("classroom", timesteps=2_000 if FAST else None)
ppo

# %% [markdown]
# ## Exercise: write a learner of your own
#
# Write a function `obs -> action`. The one below water-fills on
# `estimate - noise * uncertainty` (pessimism: the opposite of UCB). It uses
# `world.obs_index` to find the entries of the observation and `world.action_from_shares` to build
# the action. `check_learner` scores it on `drift` against the equal split and greedy (the same
# worlds for all three) and explains the verdict. Does pessimism beat greedy? Change it (more or
# less pessimism, or optimism) and check again.

# %%
from hbkit.exercises import check_learner
from hbkit.managers.split import water_fill

world = gym.make("hbkit/Split-v0", scenario="drift").unwrapped.world
ix = world.obs_index


def my_learner(obs):
    budget = obs[ix["budget"]] * world.max_budget
    guess = obs[ix["estimate"]] - world.noise * obs[ix["uncertainty"]]   # pessimism
    shares = water_fill(np.maximum(guess, 1e-3), world.scale, budget) / budget
    return world.action_from_shares(shares)


check_learner(my_learner, scenario="drift", episodes=32 if FAST else 128)
