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
# # 01 · Meet the agents: a manager, its workers and two budgets
#
# **You will learn**
# - what the workers of the Team world (`hbkit/Team-v0`, after HASHIRU) cost, how much memory they
#   take and how good they are, and why the cheapest worker is not always the best buy;
# - how the two budgets differ: memory comes back when you fire a local worker, money never comes back;
# - what the manager sees (the task, the team, the feedback so far, both budgets) and what it may do
#   (answer itself, hire, fire, assign), and why some actions are rejected;
# - how a cost-benefit manager weighs success against price (the exercise).
#
# *Time: a few seconds. Widgets: a difficulty slider, buttons to play the manager.*

# %%
import gymnasium as gym
import numpy as np
import hbkit
from hbkit.evaluate import evaluate
from hbkit.managers import available
from hbkit.viz import team as tviz
from hbkit.viz.team_widgets import PlayTeam, worker_explorer

FAST = hbkit.fast_mode()
EPISODES = 20 if FAST else 300
env = gym.make("hbkit/Team-v0", scenario="hashiru")
world = env.unwrapped.world
print(env.unwrapped.scenario.description)

# %% [markdown]
# ## The workers
#
# Local workers (after llama3.2, mistral, deepseek-r1) cost no money but reserve memory while hired
# (16 GB = 100 units) and need a little headroom to run. Cloud workers (four price tiers) use no
# memory but cost dollars per million input and output tokens, plus a small hiring fee. Each has a
# *published* success probability per task type; every stream hides its own deviation from it.

# %%
tviz.workers_figure(world)

# %% [markdown]
# ## Success against cost
#
# Each dot is a worker on a typical task: dollars per call (x) and published success (y). Squares are
# local workers (size: memory), circles cloud workers, the diamond is the manager answering itself.
# The dotted lines join points of equal **net value** `value / quorum * p - money_weight * dollars`.
# Move the difficulty: hard tasks punish weak workers, and a pricier worker starts to pay for itself.

# %%
explorer = worker_explorer("hashiru")
explorer

# %% [markdown]
# ## Be the manager
#
# Hire a worker (a cloud hire costs a fee; a local hire needs free memory), then assign the current
# task to its slot, or answer yourself. The gauges show the money left (it never comes back) and the
# memory reserved (firing a local worker gives it back); the table shows the feedback: successes /
# trials of every worker on every task type so far. An action that is not possible is *rejected*:
# nothing changes and the message says why. "suggest" shows what the greedy manager would do.

# %%
play = PlayTeam("hashiru", seed=0)
play

# %% [markdown]
# The same buttons, from code: hire the `mid` local worker and the `flash-lite` cloud worker, assign, fire.

# %%
play.act(int(world.hire_action[world.worker_names.index("mid")]))
play.act(int(world.hire_action[world.worker_names.index("flash-lite")]))
play.act(int(world.assign_action[0]))
play.act(int(world.fire_action[0]))
print(play.status.value.replace("<br>", "\n"))
print("accounts:", {k: play.info[k] for k in ("spent", "remaining", "budget", "memory_used", "rejected")})

# %% [markdown]
# ## How the bundled managers do
#
# Every hand-written manager on the same streams. `no-economy` picks the best published skill and
# ignores cost: it runs out of money before the stream ends in most streams (the expense budget binds).

# %%
reports = {name: evaluate(f(env), "hbkit/Team-v0", episodes=EPISODES, seed=123) for name, f in available("hbkit/Team-v0").items()}
for name, r in reports.items():
    print(f"{name:12s} reward {r['reward']:6.2f}  success {r['success_rate']:.2f}  spent ${r['expense_spent']:.3f}  "
          f"ran out of money {r['budget_exhausted_rate']:.0%}  hires {r['hires']:.1f}  fires {r['fires']:.1f}")
tviz.success_vs_cost([{"name": n, **r} for n, r in reports.items()], y="reward", budget=world.expense_budget)

# %% [markdown]
# ## Exercise
#
# Write the net value of giving one part of a task to a worker, the number the greedy manager
# maximises: `net(p, value, quorum, dollars, money_weight)`. A review needs `quorum = 2` good opinions
# out of three, so each opinion is worth `value / quorum`. The placeholder below forgets the cost;
# fix it until the checker passes. Then, with the explorer above, find the difficulty at which the
# `reasoner` local worker beats `flash` on reasoning tasks.

# %%
from hbkit.exercises import check_cost_benefit

def net(p, value, quorum, dollars, money_weight):
    return value / quorum * p          # placeholder: what does the call cost?

check_cost_benefit(net)

# %%
# a reference answer
check_cost_benefit(lambda p, value, quorum, dollars, money_weight: value / quorum * p - money_weight * dollars)
