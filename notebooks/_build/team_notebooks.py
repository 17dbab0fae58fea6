"""Write notebooks 01_agents and 05_hierarchy (without outputs).

    python notebooks/_build/team_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from _cells import build

HERE = Path(__file__).resolve().parent.parent


def md(text: str) -> tuple[str, str]:
    return "md", text.strip()


def code(text: str) -> tuple[str, str]:
    return "code", text.strip()


AGENTS = [
    md("""
# 01 · Meet the agents: a manager, its workers and two budgets

**You will learn**
- what the workers of the Team world (`hbkit/Team-v0`, after HASHIRU) cost, how much memory they
  take and how good they are, and why the cheapest worker is not always the best buy;
- how the two budgets differ: memory comes back when you fire a local worker, money never comes back;
- what the manager sees (the task, the team, the feedback so far, both budgets) and what it may do
  (answer itself, hire, fire, assign), and why some actions are rejected;
- how a cost-benefit manager weighs success against price (the exercise).

*Time: a few seconds. Widgets: a difficulty slider, buttons to play the manager.*
"""),
    code("""
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
"""),
    md("""
## The workers

Local workers (after llama3.2, mistral, deepseek-r1) cost no money but reserve memory while hired
(16 GB = 100 units) and need a little headroom to run. Cloud workers (four price tiers) use no
memory but cost dollars per million input and output tokens, plus a small hiring fee. Each has a
*published* success probability per task type; every stream hides its own deviation from it.
"""),
    code("tviz.workers_figure(world)"),
    md("""
## Success against cost

Each dot is a worker on a typical task: dollars per call (x) and published success (y). Squares are
local workers (size: memory), circles cloud workers, the diamond is the manager answering itself.
The dotted lines join points of equal **net value** `value / quorum * p - money_weight * dollars`.
Move the difficulty: hard tasks punish weak workers, and a pricier worker starts to pay for itself.
"""),
    code("""
explorer = worker_explorer("hashiru")
explorer
"""),
    md("""
## Be the manager

Hire a worker (a cloud hire costs a fee; a local hire needs free memory), then assign the current
task to its slot, or answer yourself. The gauges show the money left (it never comes back) and the
memory reserved (firing a local worker gives it back); the table shows the feedback: successes /
trials of every worker on every task type so far. An action that is not possible is *rejected*:
nothing changes and the message says why. "suggest" shows what the greedy manager would do.
"""),
    code("""
play = PlayTeam("hashiru", seed=0)
play
"""),
    md("The same buttons, from code: hire the `mid` local worker and the `flash-lite` cloud worker, assign, fire."),
    code("""
play.act(int(world.hire_action[world.worker_names.index("mid")]))
play.act(int(world.hire_action[world.worker_names.index("flash-lite")]))
play.act(int(world.assign_action[0]))
play.act(int(world.fire_action[0]))
print(play.status.value.replace("<br>", "\\n"))
print("accounts:", {k: play.info[k] for k in ("spent", "remaining", "budget", "memory_used", "rejected")})
"""),
    md("""
## How the bundled managers do

Every hand-written manager on the same streams. `no-economy` picks the best published skill and
ignores cost: it runs out of money before the stream ends in most streams (the expense budget binds).
"""),
    code("""
reports = {name: evaluate(f(env), "hbkit/Team-v0", episodes=EPISODES, seed=123) for name, f in available("hbkit/Team-v0").items()}
for name, r in reports.items():
    print(f"{name:12s} reward {r['reward']:6.2f}  success {r['success_rate']:.2f}  spent ${r['expense_spent']:.3f}  "
          f"ran out of money {r['budget_exhausted_rate']:.0%}  hires {r['hires']:.1f}  fires {r['fires']:.1f}")
tviz.success_vs_cost([{"name": n, **r} for n, r in reports.items()], y="reward", budget=world.expense_budget)
"""),
    md("""
## Exercise

Write the net value of giving one part of a task to a worker, the number the greedy manager
maximises: `net(p, value, quorum, dollars, money_weight)`. A review needs `quorum = 2` good opinions
out of three, so each opinion is worth `value / quorum`. The placeholder below forgets the cost;
fix it until the checker passes. Then, with the explorer above, find the difficulty at which the
`reasoner` local worker beats `flash` on reasoning tasks.
"""),
    code("""
from hbkit.exercises import check_cost_benefit

def net(p, value, quorum, dollars, money_weight):
    return value / quorum * p          # placeholder: what does the call cost?

check_cost_benefit(net)
"""),
    code("""
# a reference answer
check_cost_benefit(lambda p, value, quorum, dollars, money_weight: value / quorum * p - money_weight * dollars)
"""),
]


HIERARCHY = [
    md("""
# 05 · Managers under two budgets: hand-written and learned

**You will learn**
- how six hand-written managers (static team, local-only, cloud-only, no-economy, greedy
  cost-benefit, feedback/UCB) trade success against dollars in `hbkit/Team-v0`;
- how the picture moves when the expense budget or the memory changes (sliders over a precomputed
  grid: no re-training on drag);
- how to train MaskablePPO (sb3-contrib, with action masks) and HBPO carried over to the Team world
  (subgroups of rollouts on the same stream with different expense budgets), and where they land;
- how to write your own manager and check it (the exercise).

*Time: under a minute in fast mode; about three minutes with full settings. Widgets: expense and memory
sliders, a Train button.*
"""),
    code("""
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
"""),
    md("""
## The grid

Every manager is evaluated once at every (expense budget, memory) point, on the same streams.
The sliders below only pick a point: a redraw costs milliseconds.
"""),
    code("""
grid = sweep(managers, BUDGETS, MEMORIES, scenario="hashiru", episodes=EPISODES, seed=123, progress=True)
dash = HierarchyDashboard(grid, y="reward")
dash
"""),
    md("""
Watch `no-economy` (it ignores prices) fall as the budget shrinks: it runs out of money before the
stream ends. Local-only does not care about money but suffers when memory is small; cloud-only does
not care about memory. Greedy and feedback mix both.

## Train the learned managers

The button (or the next cell) trains three learned managers, evaluates them on the whole grid and
adds them (stars). Press it again for a fresh seed.

- **MaskablePPO** (sb3-contrib) on the plain reward, with the env's action masks;
- **HBPO**: the NumPy policy, first cloned from the feedback manager (HBPO fine-tunes a pretrained
  model), then trained with four expense-budget subgroups per stream;
- **HBPO-router**: the same HBPO grouping and advantage, but what each rollout samples is the
  feedback manager's cost weight and optimism bonus, one Gaussian per budget. It learns in seconds.
"""),
    code("""
learned = dash.train()
print(dash.describe())
"""),
    md("## At the scenario's own budget"),
    code("""
rows = tviz.sweep_point(grid, 0.2, 100)
for r in rows:
    print(f"{r['name']:12s} reward {r['reward']:6.2f}  success {r['success_rate']:.2f}  spent ${r['expense_spent']:.3f}  "
          f"ran out {r['budget_exhausted_rate']:.0%}  rejected {r['rejected']:.1f}")
tviz.success_vs_cost(rows, y="success_rate", budget=0.2)
"""),
    md("""
## Exercise

Write your own manager and beat both `local-only` and `cloud-only` without running out of money.
A manager is a factory `factory(env) -> manager`, and a manager maps `(obs, info)` to an action
(`info["action_mask"]` marks what is allowed; `env.unwrapped.world.decode(obs)` reads the
observation). The placeholder reuses the `Router` with a cost weight of your choice: try other
weights, `feedback=True`, or start from scratch.
"""),
    code("""
from hbkit.exercises import check_team_manager

def my_manager(env):
    return Router(env, "mine", cost_weight=2.0, feedback=True, ucb=0.3)

check_team_manager(my_manager, episodes=20 if FAST else 200)
"""),
]


def write(name: str, cells) -> None:
    nbformat.write(build(cells), HERE / f"{name}.ipynb")
    print("wrote", HERE / f"{name}.ipynb")


if __name__ == "__main__":
    write("01_agents", AGENTS)
    write("05_hierarchy", HIERARCHY)
