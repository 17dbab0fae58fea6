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
# *Compute: a few seconds (about 20 s for the manager comparison). Your time: about 40 minutes.
# Widgets: a difficulty slider, buttons to play the manager, a predict-then-check question, an
# exercise with a checker.*
#
# ## The paper: HASHIRU (arXiv 2506.04255)
#
# *HASHIRU: Hierarchical Agent System for Hybrid Intelligent Resource Utilization* organises LLM
# agents like a small company. A **CEO** agent receives the user's task, splits it, and hires, fires
# and invokes **employee** agents, chosen by task needs and resource constraints (cost, memory). It
# prefers small **local** models (served through Ollama), which occupy memory, and calls external
# APIs and larger **cloud** models, which cost money, when necessary. It works under a **resource
# budget** (memory of the local models, which comes back when a model is fired) and an **expense
# budget** (money spent on cloud calls, which does not come back). An economic model with hiring
# and firing costs keeps the team stable. The paper reports 58 % success on academic paper review,
# 100 % on a JailbreakBench subset, and beats Gemini 2.0 Flash alone on GSM8K (96 % vs 61 %),
# JEEBench (80 % vs 68.3 %) and SVAMP (92 % vs 84 %).
#
# ## What this simulation keeps, simplifies and cannot reproduce
#
# | HASHIRU | `hbkit/Team-v0` |
# |---|---|
# | CEO, employees, hire / fire / invoke | kept: a manager, a catalog of workers, hire / fire / assign / answer itself |
# | resource budget (GPU memory), expense budget (dollars) | kept: memory units (16 GB = 100) that come back on firing; dollars that do not |
# | hiring cost, local-first preference | kept: a hiring fee per cloud hire; local workers cost no money |
# | real LLMs solving real tasks | simplified: each worker succeeds with a hidden probability per task type and difficulty |
# | the CEO's reasoning in natural language, tool creation, memory of past tasks | not modelled: the manager sees numbers (task, team, feedback, budgets) |
# | benchmark scores (GSM8K, JEEBench, paper review) | cannot be reproduced: the worlds are toys; only the *trade-offs* are |
#
# The point of the toy: the budget decisions of the CEO (whom to hire, when to pay for a cloud call,
# whom to trust after seeing results) become a small decision problem that trains in seconds.

# %%
import gymnasium as gym

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
# Before you run the next cell: which manager will earn the least?
# Every hand-written manager on the same streams. `no-economy` picks the best published skill and
# ignores cost: it runs out of money before the stream ends in most streams (the expense budget binds).

# %%
from hbkit.exercises import predict

predict(
    "Which manager earns the least reward per stream?",
    ["local-only (never pays money)", "no-economy (always the best published skill)", "random"],
    "no-economy (always the best published skill)",
    "no-economy ignores prices: it calls the best (and dearest) cloud worker, so the expense budget runs out "
    "long before the stream ends and the remaining tasks earn nothing. Money that does not come back is "
    "the binding budget; even random does better because it spends slowly.",
    hints={"random": "random wastes calls but spends money slowly; it does not run dry as often."},
)

# %%
reports = {
    name: evaluate(f(env), "hbkit/Team-v0", episodes=EPISODES, seed=123)
    for name, f in available("hbkit/Team-v0").items()
}
for name, r in reports.items():
    print(
        f"{name:12s} reward {r['reward']:6.2f}  success {r['success_rate']:.2f}  spent ${r['expense_spent']:.3f}  "
        f"ran out of money {r['budget_exhausted_rate']:.0%}  hires {r['hires']:.1f}  fires {r['fires']:.1f}"
    )
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
from hbkit.exercises import check_cost_benefit, solution


def net(p, value, quorum, dollars, money_weight):
    return value / quorum * p  # placeholder: what does the call cost?


check_cost_benefit(net)

# %%
solution("net_value")  # open it after you have tried
