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
# # 05 · Managers under two budgets: hand-written and learned
#
# **You will learn**
# - how six hand-written managers (static team, local-only, cloud-only, no-economy, greedy
#   cost-benefit, feedback/UCB) trade success against dollars in `hbkit/Team-v0`;
# - how the picture moves when the expense budget or the memory changes (sliders over a precomputed
#   grid: no re-training on drag);
# - how to train MaskablePPO (sb3-contrib, with action masks) and HBPO carried over to the Team world
#   (subgroups of rollouts on the same stream with different expense budgets), and where they land;
# - how to write your own manager and check it (the exercise).
#
# *Time: under a minute in fast mode; about three minutes with full settings. Widgets: expense and memory
# sliders, a Train button.*

# %%
import gymnasium as gym
import numpy as np
import hbkit
from hbkit.evaluate import evaluate
from hbkit.managers.team import Router, make_managers, sweep
from hbkit.viz import team as tviz
from hbkit.viz.team_widgets import HierarchyDashboard

FAST = hbkit.fast_mode()
EPISODES = 16 if FAST else 200
BUDGETS = (0.05, 0.1, 0.2, 0.3) if FAST else (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)
MEMORIES = (50, 100, 150) if FAST else (25, 50, 75, 100, 150, 200)
env = gym.make("hbkit/Team-v0", scenario="hashiru")
managers = make_managers(env)

# %% [markdown]
# ## The grid
#
# Every manager is evaluated once at every (expense budget, memory) point, on the same streams.
# The sliders below only pick a point: a redraw costs milliseconds.

# %%
grid = sweep(managers, BUDGETS, MEMORIES, scenario="hashiru", episodes=EPISODES, seed=123, progress=True)
dash = HierarchyDashboard(grid, y="reward")
dash

# %% [markdown]
# Watch `no-economy` (it ignores prices) fall as the budget shrinks: it runs out of money before the
# stream ends. Local-only does not care about money but suffers when memory is small; cloud-only does
# not care about memory. Greedy and feedback mix both.
#
# ## Train the learned managers
#
# The button (or the next cell) trains three learned managers, evaluates them on the whole grid and
# adds them (stars). Press it again for a fresh seed.
#
# - **MaskablePPO** (sb3-contrib) on the plain reward, with the env's action masks;
# - **HBPO**: the NumPy policy, first cloned from the feedback manager (HBPO fine-tunes a pretrained
#   model), then trained with four expense-budget subgroups per stream;
# - **HBPO-router**: the same HBPO grouping and advantage, but what each rollout samples is the
#   feedback manager's cost weight and optimism bonus, one Gaussian per budget. It learns in seconds.

# %%
learned = dash.train()
print(dash.describe())

# %% [markdown]
# ## At the scenario's own budget

# %%
rows = tviz.sweep_point(grid, 0.2, 100)
for r in rows:
    print(f"{r['name']:12s} reward {r['reward']:6.2f}  success {r['success_rate']:.2f}  spent ${r['expense_spent']:.3f}  "
          f"ran out {r['budget_exhausted_rate']:.0%}  rejected {r['rejected']:.1f}")
tviz.success_vs_cost(rows, y="success_rate", budget=0.2)

# %% [markdown]
# ## Exercise
#
# Write your own manager and beat both `local-only` and `cloud-only` without running out of money.
# A manager is a factory `factory(env) -> manager`, and a manager maps `(obs, info)` to an action
# (`info["action_mask"]` marks what is allowed; `env.unwrapped.world.decode(obs)` reads the
# observation). The placeholder reuses the `Router` with a cost weight of your choice: try other
# weights, `feedback=True`, or start from scratch.

# %%
from hbkit.exercises import check_team_manager

def my_manager(env):
    return Router(env, "mine", cost_weight=2.0, feedback=True, ucb=0.3)

check_team_manager(my_manager, episodes=20 if FAST else 200)
