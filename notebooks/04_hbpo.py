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
# # 04 · Hierarchical Budget Policy Optimization (HBPO): an experiment
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
# - what the HBPO paper claims, and which of its claims this small world reproduces (and which not);
# - HBPO's budget-aware reward, and its advantage worked out by hand on one problem's 16 rollouts;
# - why a length penalty can starve exploration: once no rollout of a hard problem reaches the
#   length it needs, all rewards of the group are equal, the advantage is zero and long reasoning
#   never comes back (watch the collapse curve);
# - how a policy that was told budgets in training chooses its own budget when none is given;
# - why all of this only matters when being done is *not* observable (two worlds side by side).
#
# *Compute: about 90 s with the default settings on a 2-core laptop. Your time: about 45 minutes.
# Widgets: reward sliders, an advantage-mode dropdown, a Train button, sliders over a grid of trained
# policies (α, number of budgets, advantage), a predict-then-check question, an exercise with a checker.*
#
# ## What the paper claims
#
# Lyu et al., *Hierarchical Budget Policy Optimization for Adaptive Reasoning*, arXiv 2507.15844.
# On a 1.5B distilled reasoner (DeepSeek-R1-Distill-Qwen-1.5B) and four math benchmarks, HBPO cuts
# the average number of tokens by **60.6 %** while **raising** accuracy by **3.14 points**. A uniform
# length penalty (e.g. a cosine reward) makes reasoning shorter but collapses it: the model loses
# the long reasoning hard problems need. Their ablation on the number of budget subgroups
# (DeepScaleR average):
#
# | budgets | accuracy | tokens |
# |---|---|---|
# | 1 | 59.8 % | 1842 |
# | 2 | 61.7 % | 2427 |
# | 4 | 63.7 % | 2364 |
# | 6 | 62.9 % | - |
# | 8 | 62.9 % | - |
#
# Below, the same experiments in a toy world that trains in seconds. Every number here comes from
# your own runs or from `benchmarks/bench_hbpo_quality.py` (over training seeds, with 95 %
# intervals); nothing was tuned to match the paper.

# %%
import gymnasium as gym
import ipywidgets as widgets
import numpy as np
from IPython.display import display

import hbkit
from hbkit.evaluate import evaluate
from hbkit.managers import available
from hbkit.managers.reasoning import fit_threshold, fixed_length_grid
from hbkit.train import HBPO, base_reasoner, hbpo_advantages
from hbkit.viz import reasoning as rviz
from hbkit.viz.reasoning_widgets import TrainingPanel, reward_explorer

FAST = hbkit.fast_mode()
ITERATIONS = 3 if FAST else 100
EPISODES = 200 if FAST else 1000
ENV = "hbkit/Reasoning-v0"
env = gym.make(ENV, scenario="hbpo-math")

# %% [markdown]
# ## The world: being done is only partly observable
#
# Each problem has a hidden *need* (tokens until the answer is found). The reasoner sees noisy
# *hints* (tentative answers). In `hbpo-math` a hint can also come from a *false find*: a wrong
# answer that looks right for a few hundred tokens, more likely on long (hard) problems. The
# observation holds the problem's noisy features, the budget instruction, the tokens so far and
# the hint's history (`hint`, a fast moving average `hint_mean`, a slow one `hint_slow`, the maximum
# `hint_max`). One rollout of the verbose base reasoner:

# %%
from hbkit.envs.reasoning import trace_episode

rviz.rollout_trace(trace_episode(base_reasoner(env), env, seed=11, budget=None))

# %% [markdown]
# ## The budget-aware reward
#
# For a correct answer after $n$ tokens with budget $b$ (maximum length $L = 4096$):
#
# $$R(n, b) = \begin{cases} \beta\cos\left(\frac{\pi b}{2L}\right) & n \le b \\
# \beta\cos\left(\frac{\pi n}{2L}\right) - \alpha\,|n - b| & n > b \end{cases}$$
#
# and 0 for a wrong answer, −1 for no answer by $L$. Inside its budget a rollout is **not** punished
# for thinking longer; past it, every token costs. The cosine reward $\beta\cos(\pi n / 2L)$ punishes
# every token. Move the sliders.

# %%
rviz.reward_curves()

# %%
reward_explorer()

# %% [markdown]
# ## Train and watch
#
# Three runs from the same verbose base reasoner, same seed and iterations: HBPO (four budget
# subgroups, 512/1024/2048/2560), the cosine reward (same subgroups) and a single 512-token budget.
# Press **Train** to run them again; the next cell runs them once.

# %%
RUNS = {"HBPO": {}, "cosine": {"reward": "cosine"}, "single budget": {"budgets": (512,)}}


def make_trainers():
    out = {}
    for name, kw in RUNS.items():
        out[name] = HBPO(ENV, scenario="hbpo-math", seed=0, **kw)
        out[name].policy.metadata["name"] = name
    return out


panel = TrainingPanel(make_trainers, iterations=ITERATIONS, every=10)
panel

# %%
trainers = panel.run()
histories = {name: t.history for name, t in trainers.items()}

# %% [markdown]
# ## The advantage, worked by hand
#
# One problem, its 16 rollouts in four subgroups. `R` is each rollout's reward,
# `A_inter = (R - mean R) / (std R + 1e-6)` compares it with the whole group, and
# `A_intra = mean R (subgroup) - f2(b)` says how far its subgroup is from the best reward its budget
# allows. `hbpo` adds them, `hbpo-code` (the released code) adds `A_intra` twice, `grpo` keeps
# `A_inter` only. Pick a mode.

# %%
t = trainers["HBPO"]
batch = t.rollout()
n = t.config.rollouts_per_problem
problem, subgroup, budget = (x[:n] for x in t._layout)
R = batch["returns"][:n]
f2 = t.vec.unwrapped.reference_reward(budget)
tokens = batch["infos"]["tokens"][:n]
correct = batch["infos"]["correct"][:n]


def advantage_rows(mode):
    a_inter = hbpo_advantages(R, subgroup, f2, "grpo")
    a = hbpo_advantages(R, subgroup, f2, mode)
    a_intra = (a - a_inter) / (2.0 if mode == "hbpo-code" else 1.0) if mode != "grpo" else 0 * a
    return [
        {
            "rollout": i,
            "budget": int(budget[i]),
            "tokens": int(tokens[i]),
            "correct": bool(correct[i]),
            "R": float(R[i]),
            "A_inter": float(a_inter[i]),
            "A_intra": float(a_intra[i]),
            "A": float(a[i]),
        }
        for i in range(n)
    ]


mode = widgets.Dropdown(options=["hbpo", "hbpo-code", "grpo"], value="hbpo", description="advantage")
table = widgets.Output()


def show(*_):
    with table:
        table.clear_output(wait=True)
        display(
            rviz.results_table(
                advantage_rows(mode.value),
                f"one problem (level {batch['infos']['level'][0]}), advantage = {mode.value}",
            )
        )


mode.observe(show, names="value")
show()
widgets.VBox([mode, table])

# %% [markdown]
# ## Does the policy follow its budgets?
#
# Mean tokens of each subgroup's rollouts during training (dashed: the budgets), then the trained
# policy evaluated under each budget instruction and in natural mode.

# %%
rviz.subgroup_tokens(histories["HBPO"])

# %%
ev = dict(episodes=EPISODES, seed=123)
following = {b: evaluate(trainers["HBPO"].policy, ENV, budget=b, **ev) for b in (512, 1024, 2048, 2560)}
following[None] = evaluate(trainers["HBPO"].policy, ENV, budget=None, **ev)
rviz.budget_following(following, "HBPO")

# %% [markdown]
# ## Natural mode: the policy declares its own budget
#
# At inference there is no budget in the prompt (the paper's released code prefills "I will answer
# the question with {b} tokens" only during training). Here the trained policy is hierarchical: a
# high level looks at the problem's features and declares one of the budgets, trained from the
# subgroups' advantages (the budget whose subgroup did best on a problem becomes more likely), and
# the low level reasons under it exactly as it was trained to. Which budgets does it declare, by
# level?

# %%
venv = gym.make_vec(ENV, num_envs=EPISODES, vectorization_mode="vector_entry_point")
obs, info = venv.reset(seed=123, options={"budget": None})
declared = trainers["HBPO"].policy.declare(obs)
for lv in range(1, 6):
    m = info["level"] == lv
    values, counts = np.unique(declared[m], return_counts=True)
    print(
        f"level {lv}: "
        + ", ".join(f"{int(v)} tokens {c / m.sum():.0%}" for v, c in zip(values, counts, strict=False))
    )

# %% [markdown]
# ## Exploration collapse
#
# Left: the share of level-5 rollouts whose thinking reaches the problem's need. Right: the share of
# problem groups whose 16 rewards are all equal, so that their group-normalised advantage is zero
# and they teach nothing. A run whose left curve falls towards zero has stopped exploring long
# solutions; nothing in its updates brings them back.

# %%
rviz.collapse_curves(histories)

# %% [markdown]
# ## Tokens by difficulty, in natural mode, against a hand rule
#
# The `threshold` manager is the best simple stopping rule: answer when one hint feature passes a
# threshold, or at a token cap, grid-searched on other problems. Where does each method land, by
# level, and against the fixed-length frontier?

# %%
ev = dict(episodes=EPISODES, seed=123, budget=None)
reports = {"base reasoner": evaluate(base_reasoner(env), ENV, **ev)}
reports.update({name: evaluate(t.policy, ENV, **ev) for name, t in trainers.items()})
rule = fit_threshold(env, token_limit=reports["HBPO"]["mean_tokens"], episodes=EPISODES, seed=0)
print("best threshold rule at HBPO's tokens:", {k: v for k, v in rule.items() if k != "grid"})
reports["threshold rule"] = evaluate(available(ENV)["threshold"](env), ENV, **ev)
rviz.by_level(reports)

# %%
fixed = [evaluate(m, ENV, **ev) for m in fixed_length_grid(env, step=512 if FAST else 256)]
rviz.frontier(fixed, reports)

# %% [markdown]
# ## Over seeds: the ablations (from the benchmark)
#
# One seed is not a result. `python benchmarks/run.py hbpo_quality` trains every variant for 5
# seeds (300 iterations each) and evaluates in natural mode on 2000 problems; these are its means
# and 95 % intervals (`benchmarks/RESULTS.md`). Set `RUN_SEEDS = True` to rerun a smaller version
# here (3 seeds, about 10 minutes).

# %%
# natural mode, 2000 problems (seed 123), 300 iterations per run: mean and 95 % half-width over seeds
BENCHMARK = [
    {
        "run": "HBPO (4 budgets)",
        "seeds": 5,
        "accuracy": 0.8259,
        "accuracy ±": 0.0032,
        "L1 accuracy": 0.9506,
        "L1 accuracy ±": 0.0014,
        "L5 accuracy": 0.5947,
        "L5 accuracy ±": 0.0141,
        "mean_tokens": 1498.0,
        "mean_tokens ±": 20.0,
    },
    {
        "run": "grpo advantage",
        "seeds": 5,
        "accuracy": 0.7998,
        "accuracy ±": 0.0081,
        "L1 accuracy": 0.9537,
        "L1 accuracy ±": 0.0,
        "L5 accuracy": 0.4819,
        "L5 accuracy ±": 0.0381,
        "mean_tokens": 1372.0,
        "mean_tokens ±": 30.0,
    },
    {
        "run": "cosine reward",
        "seeds": 5,
        "accuracy": 0.784,
        "accuracy ±": 0.0096,
        "L1 accuracy": 0.8905,
        "L1 accuracy ±": 0.0112,
        "L5 accuracy": 0.5835,
        "L5 accuracy ±": 0.0394,
        "mean_tokens": 1313.0,
        "mean_tokens ±": 51.0,
    },
    {
        "run": "1 budget (512)",
        "seeds": 5,
        "accuracy": 0.7565,
        "accuracy ±": 0.0125,
        "L1 accuracy": 0.9208,
        "L1 accuracy ±": 0.0076,
        "L5 accuracy": 0.458,
        "L5 accuracy ±": 0.0463,
        "mean_tokens": 1225.0,
        "mean_tokens ±": 32.0,
    },
]

RUN_SEEDS = False  # True: train 3 seeds of each run here (about 10 minutes) and plot those instead


def ablation_rows(seeds=(0, 1, 2), iterations=ITERATIONS):
    from hbkit.sweep import t_quantile

    runs = {
        "HBPO (4 budgets)": {},
        "grpo advantage": {"advantage": "grpo"},
        "cosine reward": {"reward": "cosine"},
        "1 budget (512)": {"budgets": (512,)},
    }
    rows = []
    for name, kw in runs.items():
        reps = []
        for s in seeds:
            tr = HBPO(ENV, scenario="hbpo-math", seed=s, **kw)
            tr.learn(iterations=iterations, progress=False)
            reps.append(evaluate(tr.policy, ENV, episodes=EPISODES, seed=123, budget=None))
        row = {"run": name, "seeds": len(seeds)}
        for key, get in (
            ("accuracy", lambda r: r["accuracy"]),
            ("L1 accuracy", lambda r: r["by_level"]["1"]["accuracy"]),
            ("L5 accuracy", lambda r: r["by_level"]["5"]["accuracy"]),
            ("mean_tokens", lambda r: r["mean_tokens"]),
        ):
            x = np.array([get(r) for r in reps])
            row[key] = x.mean()
            row[key + " ±"] = (
                t_quantile(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else 0.0
            )
        rows.append(row)
    return rows


rows = ablation_rows(seeds=(0, 1) if FAST else (0, 1, 2)) if (RUN_SEEDS or FAST) else BENCHMARK
rviz.ablation_bars(rows)

# %%
rviz.results_table(rows, "ablations over seeds (natural mode; ± is the 95 % half-width)")

# %% [markdown]
# **What the benchmark found** (5 seeds, paired per seed; `benchmarks/RESULTS.md`):
#
# - HBPO beats the best threshold rule at equal or fewer tokens by 4.3 ± 0.5 points: learning matters
#   here.
# - A single 512-token budget ends 13.7 ± 5.1 points below HBPO on level 5, and four budgets beat it
#   by 6.9 ± 1.4 points overall. Its collapse curve falls to about a quarter around iteration 60 and
#   recovers only partly.
# - **The cosine reward does not collapse in this world**: its level 5 is within 1.1 ± 3.8 points of
#   HBPO and its level-5 rollouts keep reaching their need. Here the policy sees the problem's
#   features, and a correct long answer still earns about half the reward of a short one against
#   nearly nothing for a guess, so the group signal for thinking on never vanishes. What the cosine
#   reward does cost is level 1 (0.890 against 0.951): it pushes the policy to answer at hints that
#   are still false finds. The paper's collapse is stronger than this toy reproduces.
# - The `hbpo` advantage keeps budgets further apart than `grpo` (328 ± 141 against 229 ± 77 tokens
#   between budgets 2560 and 512; the intervals overlap) and is 2.6 points more accurate.
# - HBPO uses 31 % fewer tokens than the base reasoner at +0.2 points (the paper: −60.6 % at +3.14).

# %% [markdown]
# ## Move the settings: a grid of trained policies
#
# One training run takes about half a minute, too long to follow a slider. So HBPO was trained at
# every point of a small grid, **α** (the penalty per token over the budget) × **number of budgets**
# (one of 1536; two, 512 and 2560; the four of the paper) × **advantage mode** (`hbpo` or `grpo`), with
# 3 seeds per point and the scenario's 300 iterations, and evaluated in natural mode on 1000 problems
# by `python -m hbkit.grids reasoning --out notebooks/data/reasoning_grid.json --seeds 3 --episodes 1000`.
# The sliders only pick a point; the grey dots are all the others, and the bars are 95 % intervals over
# the seeds. Before you move anything, predict: does a larger α make the policy shorter, and at what
# price in accuracy?

# %%
from hbkit.grids import find_grid
from hbkit.viz.grid_widgets import reasoning_grid_explorer

reasoning_grid_explorer() if find_grid("reasoning") else print(
    "no grid shipped: run python -m hbkit.grids reasoning ..."
)

# %% [markdown]
# **What the grid shows** (3 seeds per point; the bars are wide, so read the trends across points
# rather than one point against its neighbour):
#
# - With **one budget**, a larger α costs accuracy: 0.81, 0.77 and 0.70 at α = 1, 4 and 16 /L. With
#   two or four budgets accuracy stays at 0.80-0.83 at every α: the long-budget subgroup is not
#   penalised for thinking up to its budget, so long reasoning survives the penalty.
# - With two or four budgets, the `hbpo` advantage is 3-6 points more accurate than `grpo` at every
#   α, and uses more tokens (1520-1830 against 1320-1380): `grpo` ranks rollouts only by reward, and
#   the short subgroups' cheap answers win that ranking.

# %% [markdown]
# ## Two worlds
#
# `hbpo-observable` is the same world with a clean "found it" signal: no false finds, the hint is 0
# before the need and rises to 1 after it. There a threshold on the hint is nearly as good as an
# oracle that knows the need, so training has little to add. In `hbpo-math` the best threshold is
# far from that oracle, and a trained policy has room to do better.


# %%
def oracle_gap(name):
    e = gym.make(ENV, scenario=name)
    w = e.unwrapped.world
    p = w.sample_problems(np.random.default_rng(0), 4000)
    n = np.minimum(np.ceil((p.need + 2 * w.verify_tokens) / w.chunk) * w.chunk, w.max_tokens - w.chunk)
    oracle = float(w.accuracy(p.level, p.need, n).mean())
    best = fit_threshold(e, token_limit=float(n.mean()), episodes=EPISODES, seed=0)
    return {
        "world": name,
        "oracle accuracy": oracle,
        "oracle tokens": float(n.mean()),
        "best threshold accuracy": best["accuracy"],
        "threshold tokens": best["mean_tokens"],
    }


rviz.results_table(
    [oracle_gap("hbpo-observable"), oracle_gap("hbpo-math")],
    "an oracle that knows the need vs the best threshold rule at the same tokens",
)

# %% [markdown]
# ## Exercises
#
# 1. Write HBPO's reward yourself, `my_reward(n, b, correct)`, from the formula at the top (leave out
#    truncation); the checker compares it with hbkit's on many cases and explains the first mismatch.
#    Then train with `advantage="grpo"` and evaluate under `budget=512` and `budget=2560`: does
#    the policy still keep the budgets apart?
# 2. Train HBPO on `hbpo-observable` and compare it with `available(ENV)["threshold"]` there.

# %%
import math

from hbkit.exercises import check_hbpo_reward


def my_reward(n, b, correct):
    if not correct:
        return 0.0
    return 4 * math.cos(math.pi * n / (2 * 4096))  # the cosine reward: fix it to HBPO's


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
solution("hbpo_reward")  # open it after you have tried
