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
# # 03b · An RL primer: from a policy to PPO's clipped ratio, on a two-armed bandit
#
# **You will learn** the five ideas notebook 04 (HBPO) is built from, each on a problem so small
# that a slider retrains it in a blink:
# - a **policy** (a probability for every action) and its **return** (the reward it earns on average);
# - the **policy gradient**: make the actions that earned more likelier;
# - a **baseline** and the **advantage**: compare a reward with what was expected, not with zero;
# - **GRPO's group-normalised advantage**: compare each rollout of a problem with the others of its group;
# - **PPO's clipped ratio** (with HBPO's `clip_low = 0.2`, `clip_high = 0.28`): reuse data without
#   running away from the policy that collected it.
#
# *Compute: about 10 s. Your time: about 40 minutes. Widgets: five sliders or toggles, each retraining
# or redrawing its figure; two predict-then-check questions; one exercise.*
#
# **The problem.** A slot machine with two arms: arm A pays 1 with probability 0.4, arm B with
# probability 0.6. The learner does not know which is better; it pulls, sees the reward, and adjusts.
# A reasoning model deciding "think on or answer" faces the same kind of choice, with a longer story
# before the reward.

# %%
import hbkit
from hbkit.exercises import check_group_advantage, predict, solution
from hbkit.viz.primer_widgets import (
    clip_explorer,
    group_explorer,
    learning_explorer,
    policy_explorer,
    ppo_explorer,
)

FAST = hbkit.fast_mode()

# %% [markdown]
# ## 1 · Policy and return
#
# The policy has one number per arm, a *logit* $\theta_A$, $\theta_B$; a softmax turns them into
# probabilities, so only the gap matters: $\pi(B) = \sigma(\theta_B - \theta_A)$. Its **return** is the
# reward it earns on average, $J = \pi(A)\,0.4 + \pi(B)\,0.6$. Move the gap: the red dashed line is the
# slope of $J$, the direction learning should push.

# %%
policy_explorer()

# %% [markdown]
# ## 2 · The policy gradient, and why a baseline helps
#
# The learner never sees $J$; it sees rewards. REINFORCE estimates the slope from samples:
# $\nabla J \approx \frac{1}{G}\sum_i A_i \nabla \log \pi(a_i)$ over a group of $G = 8$ pulls, with
# $A_i$ the **advantage** of pull $i$. With $A_i = r_i$ (no baseline) every pulled arm is pushed up,
# the better one only a little more. Subtracting the group's mean reward (a **baseline**) pushes
# up only what did better than usual. It changes nothing on average, but a lot in the noise.
#
# Each curve is 64 independent learners (the mean, and a band from the 10th to the 90th percentile).

# %%
offset_question = predict(
    "Add 5 to every reward (the reward offset slider). Arm B is still better by 0.2. What happens to "
    "learning without a baseline?",
    [
        "nothing: only differences matter",
        "it learns faster: bigger rewards",
        "it gets much noisier and some runs settle on the wrong arm",
    ],
    "it gets much noisier and some runs settle on the wrong arm",
    "Without a baseline every pulled arm is pushed up by about 5, so which arm gets pushed depends on which "
    "was pulled, not on which paid: the gradient's noise grows about 7-fold. The baseline removes the "
    "offset exactly, so with it the curve does not move at all.",
    hints={
        "nothing: only differences matter": "Only differences matter *on average*; a single estimate "
        "from 8 pulls is another matter."
    },
)
offset_question

# %%
learning_explorer()

# %% [markdown]
# ## 3 · GRPO: compare each rollout with its group
#
# A reasoning model gets a reward only at the end of an answer, and rewards differ a lot between
# easy and hard problems. GRPO (the trainer of DeepSeek-R1-style models, and HBPO's starting point)
# samples a **group** of rollouts of the same problem and scores each against the group:
#
# $$A_i = \frac{r_i - \mathrm{mean}(r)}{\mathrm{std}(r) + 10^{-6}}$$
#
# A problem that every rollout solves (or none does) teaches nothing. A problem that one rollout in
# eight solves gives that rollout a large push.

# %%
group_question = predict(
    "In a group of 8 rollouts, how large is the advantage of the only one that is right?",
    ["+1", "about +2.6", "+8"],
    "about +2.6",
    "mean = 1/8, std = sqrt(1/8 * 7/8) = 0.33, so A = (1 - 0.125) / 0.33 = 2.65; the seven wrong ones "
    "get -0.38 each. The advantages of a group always sum to zero.",
)
group_question

# %%
group_explorer()

# %% [markdown]
# ### Exercise: write the group advantage
#
# `my_advantage(rewards)` gets the rewards of one group (a NumPy array) and returns one advantage per
# rollout. The placeholder returns the raw rewards; the checker tries hidden groups (including ones
# where every reward is the same) and says what is off.


# %%
def my_advantage(rewards):
    return rewards  # placeholder: the raw reward is not an advantage


check_group_advantage(my_advantage)

# %%
solution("group_advantage")  # open it after you have tried

# %% [markdown]
# In the bandit, the toggle *group* of section 2 uses exactly this advantage. It also rescales the
# step (dividing by the std), which is why it learns faster at the same learning rate.

# %% [markdown]
# ## 4 · PPO's clipped ratio
#
# Collecting rollouts is the expensive part, so PPO reuses each group for several updates
# (*epochs*). After the first update the policy is no longer the one that collected the data; the
# ratio $\rho = \pi(a) / \pi_{old}(a)$ says by how much. PPO maximises
#
# $$\min\big(\rho A,\ \mathrm{clip}(\rho, 1-\epsilon_{low}, 1+\epsilon_{high})\,A\big)$$
#
# which stops pushing once the ratio has moved far enough in the direction the advantage favours.
# HBPO (after DAPO) uses $\epsilon_{low} = 0.2$ and a higher $\epsilon_{high} = 0.28$: a rare good
# action may grow a little more than a common bad one may shrink, which keeps exploration alive.

# %%
clip_explorer()

# %% [markdown]
# Below: 8 epochs per group at a large learning rate. Without the clip, some learners overshoot onto
# the wrong arm from a lucky group and never come back (the policy stops pulling the other arm); the
# clip bounds each group's total push. Move the epochs to 1: both curves coincide (with one epoch the
# ratio is 1, and PPO is plain policy gradient).

# %%
ppo_explorer()

# %% [markdown]
# ## What carries over to HBPO (notebook 04)
#
# | here | in HBPO |
# |---|---|
# | one pull of an arm | one rollout: think chunk by chunk, then answer |
# | reward 0/1 | a budget-aware reward: correct, and short enough for the budget |
# | a group of 8 pulls | 16 rollouts of the same problem, in 4 budget subgroups |
# | group advantage | inter-subgroup (GRPO over all 16) plus intra-subgroup (each subgroup against its budget's value) |
# | clip 0.2 / 0.28 | the same clip, a few epochs per batch, Adam, no KL term |
#
# The advantage is given to every step of a rollout, so every "think on" and the final "answer" of a
# good rollout become likelier together.
