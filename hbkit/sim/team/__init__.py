"""The Team world (HASHIRU): a manager hires, fires and invokes workers under two budgets.

This package is the only home of the world's math and rules. It is plain, batched NumPy:

* :mod:`~hbkit.sim.team.schema`: the scenario schema (every field, its range, the cross-field checks);
* :mod:`~hbkit.sim.team.world`: :class:`TeamWorld` (the constants of a scenario, the observation
  layout, the success and cost model), :class:`Streams` (everything random) and the rewards;
* :mod:`~hbkit.sim.team.batch`: :class:`TeamBatch`, the state of any number of episodes ("task
  streams") stepped in one NumPy call;
* :mod:`~hbkit.sim.team.single`: the same rules for a batch of one in plain Python
  (:class:`EpisodeState`, named fields), bit for bit equal to the batched methods and several times
  faster for a single env (``benchmarks/bench_team.py``).

:class:`hbkit.envs.team.TeamEnv` (a batch of one) and :class:`hbkit.envs.team.TeamVectorEnv` (a
batch of thousands) are thin layers over it; the managers, the HBPO trainer and the figures use the
helpers defined here.

The world
---------
After HASHIRU (arXiv 2506.04255): a *manager* (the paper's CEO) works through a stream of tasks.
A task has a type (e.g. math, reasoning, review), a difficulty ``d`` in [0, 1], a prompt and an answer
size in tokens, a value, and a number of *parts*: a review is a panel of three opinions of which two
must be good (``parts = 3``, ``quorum = 2``); the task is decided as soon as the quorum is reached or
can no longer be reached. Each step the manager takes one action:

* **answer itself**: the manager does the current part on its own: free, but weak;
* **hire** catalog entry ``c`` into a free slot. A *local* worker reserves ``memory`` units
  (16 GB = 100 units) while hired; a *cloud* worker costs a one-off ``hire_fee`` in dollars;
* **fire** slot ``j``: a local worker gives its memory back (fees are not refunded);
* **assign** the current part to slot ``j`` (each slot works at most once on a task). A local worker
  needs ``run_memory`` units of headroom on top of what is reserved while it runs, and costs no
  money. A cloud worker costs ``(prompt * price_in + answer * verbosity * price_out) / 1e6`` dollars,
  prices being dollars per million input/output tokens.

Worker ``c`` solves a part of a task of type ``k`` and difficulty ``d`` with probability::

    p = sigmoid(logit(skill[c, k]) + dev[c, k] - slope[k] * (1 - robust[c]) * (d - 0.5))

``skill`` is the catalog's published skill (what a leaderboard would say); ``dev`` is a hidden,
per-stream deviation (normal with std ``world.skill_noise``): the manager can only learn it from the
outcomes it sees. Every outcome is observed, and the observation carries the running success
estimates of every catalog entry on every task type: the feedback.

Two budgets, accounted exactly (integers: memory units and pico-dollars, ``1e-12`` dollars):

* the **resource** budget (memory) replenishes: ``reserved + free = capacity`` in every state;
  running a local worker briefly uses ``run_memory`` more (``peak_memory`` records the highest use);
* the **expense** budget (money) does not: ``spent + remaining = budget`` in every state.

An action that is not possible (no free slot, not enough memory or money, an empty slot, a slot
that already worked on this task) is *rejected*: nothing in the world changes (only the step clock
advances), and the env's ``info`` says why. The action mask marks exactly the actions that would be
accepted. The episode ends when the stream is done, or when the money is *exhausted* (less than
``world.min_balance`` remains), or is truncated after ``world.max_steps`` actions.

The stream of an episode (tasks, hidden deviations and the uniform draws that decide outcomes) is a
function of one integer *problem seed*, so a group of rollouts can face the same stream with the
same luck: the only difference between them is what the managers did.

Rewards
-------
See :func:`team_reward`: ``plain`` (value of solved tasks minus ``money_weight`` per dollar),
``hbpo`` (HBPO's budget-aware reward with dollars in place of tokens) and ``cosine``.
"""

from hbkit.sim.team.batch import TeamBatch
from hbkit.sim.team.schema import MAX_TOKENS, REWARDS, SCHEMA
from hbkit.sim.team.single import EpisodeState
from hbkit.sim.team.world import ASSIGN, FIRE, HIRE, PICO, REASONS, SELF, Streams, TeamWorld, team_reward

__all__ = [
    "REWARDS",
    "SCHEMA",
    "MAX_TOKENS",
    "PICO",
    "SELF",
    "HIRE",
    "FIRE",
    "ASSIGN",
    "REASONS",
    "TeamWorld",
    "Streams",
    "TeamBatch",
    "EpisodeState",
    "team_reward",
]
