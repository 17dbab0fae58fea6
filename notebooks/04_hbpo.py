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
# # 04 · Hierarchical Budget Policy Optimization (HBPO)
#
# **The paper: HBPO (arXiv 2507.15844).** *Hierarchical Budget Policy Optimization for Adaptive
# Reasoning* trains a **reasoning model** (DeepSeek-R1-Distill-Qwen-1.5B and a 7B model) to spend as
# much reasoning as a problem needs. Each problem's rollouts are split into **subgroups with
# different token budgets**, stated in the prompt (512, 1024, 2048, 2560 tokens); a budget-aware
# reward scores each rollout, and advantages compare rollouts inside and across subgroups. The paper
# reports **−60.6 % average tokens at +3.14 points of accuracy** across four reasoning benchmarks,
# length growing with difficulty, and length collapse when a plain length penalty is used instead.
# The map of what this simulation keeps, simplifies and cannot reproduce is in `notebooks/README.md`;
# the RL ideas used below (advantages, GRPO, PPO's clip) are introduced in notebook 03b.
#
# **You will learn**
# - the budget-aware reward of HBPO and how its constants shape it (sliders for b, β, α);
# - why a plain length penalty (the cosine reward) collapses exploration, and how budget subgroups
#   keep it alive;
# - how to train HBPO while watching it learn, and how its tokens grow with difficulty;
# - the paper's ablations (number of budgets, reward function), as a table you regenerate.
#
# *Compute: under a minute with the default settings. Your time: about 45 minutes. Widgets: reward
# sliders, a Train button, a predict-then-check question, an exercise with a checker.*

# %%
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

# %% [markdown]
# ## The budget-aware reward
#
# For a correct answer after $n$ tokens with budget $b$ (maximum length $L = 4096$):
#
# $$R(n, b) = \begin{cases} \beta\cos\left(\frac{\pi b}{2L}\right) & n \le b \\
# \beta\cos\left(\frac{\pi n}{2L}\right) - \alpha\,|n - b| & n > b \end{cases}$$
#
# and 0 for a wrong answer, −1 for no answer by $L$. Inside its budget a rollout is **not** punished
# for thinking longer; past it, every token costs. The cosine reward (left) punishes every token.
# Move the sliders.

# %%
rviz.reward_curves()

# %%
reward_explorer()

# %% [markdown]
# ## Train and watch
#
# Four runs from the same verbose base reasoner: HBPO, the cosine reward, the classic reward (1 if
# correct) and a single budget. Press **Train** to run them again; the next cell runs them once.

# %%
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

# %%
trainers = panel.run()

# %% [markdown]
# ## Tokens by difficulty, in natural mode
#
# No budget in the prompt: each reasoner decides how long to think. HBPO should think briefly on easy
# problems and long on hard ones; the cosine reward shortens everything and loses the hardest level.

# %%
ev = dict(episodes=EPISODES, seed=123, budget=None)
reports = {"base reasoner": evaluate(base_reasoner(env), "hbkit/Reasoning-v0", **ev)}
reports.update({name: evaluate(t.policy, "hbkit/Reasoning-v0", **ev) for name, t in trainers.items()})
rviz.by_level(reports)

# %% [markdown]
# ## Above the fixed-length frontier
#
# A reasoner that always thinks exactly $T$ tokens and then answers cannot adapt; evaluating it for a
# range of $T$ draws the best any non-adaptive method can do. An adaptive policy sits above it.

# %%
fixed = [evaluate(m, "hbkit/Reasoning-v0", **ev) for m in fixed_length_grid(env, step=512 if FAST else 256)]
rviz.frontier(fixed, reports)

# %% [markdown]
# ## The paper's ablations
#
# Budget count (4, 2, 1) and reward (hbpo, classic, cosine), trained the same way. The runs above are
# reused; only the two-budget run (512 and 2560) is trained here. The table comes from your own runs.

# %%
reuse = {"4 budgets, hbpo reward": trainers["HBPO"].policy, "1 budget (1536)": trainers["single budget"].policy,
         "4 budgets, classic reward": trainers["classic"].policy, "4 budgets, cosine reward": trainers["cosine"].policy}
rows = run_ablations(iterations=ITERATIONS, seed=0, episodes=EPISODES, trained=reuse)
rviz.results_table(rows, "ablations (natural mode)")

# %% [markdown]
# ## Exercises
#
# 1. Write HBPO's reward yourself, `my_reward(n, b, correct)`, from the formula at the top (leave out
#    truncation); the checker compares it with hbkit's on many cases and explains the first mismatch.
#    Then try `advantage="hbpo-code"` (the released code counts the intra-subgroup term twice) and
#    `advantage="grpo"` (no intra-subgroup term). Which one keeps the budgets apart?
# 2. Set α ten times larger with the slider above and look at the penalty past the budget. Then train
#    on a copy of the scenario with that α:
#    `sc = hbkit.scenarios.load_scenario("hbpo-math").with_overrides({"world.alpha": 0.0025})`,
#    `HBPO("hbkit/Reasoning-v0", scenario=sc)`. Evaluate with `budget=512`: does the trained reasoner
#    respect small budgets better?

# %%
import math
from hbkit.exercises import check_hbpo_reward

def my_reward(n, b, correct):
    if not correct:
        return 0.0
    return 4 * math.cos(math.pi * n / (2 * 4096))   # the cosine reward: fix it to HBPO's

check_hbpo_reward(my_reward)

# %%
from hbkit.exercises import predict, solution

predict(
    "Under HBPO's reward with a budget of 1024 tokens, a correct answer after 300 tokens earns ... a correct "
    "answer after 900 tokens.",
    ["more than", "the same as", "less than"],
    "the same as",
    "Inside the budget the reward is the budget's own value beta*cos(pi*b/(2L)), whatever n is: HBPO does "
    "not push for brevity below the budget, which keeps short budgets from starving long reasoning. Past the "
    "budget the reward decays with n and pays alpha per extra token.",
    hints={"more than": "that is the cosine reward, which rewards every saved token."},
)

# %%
solution("hbpo_reward")                # open it after you have tried
