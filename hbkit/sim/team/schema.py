"""The Team world's scenario schema: every field of a Team scenario file, its range and the
checks across fields (see :mod:`hbkit.sim.team` for the model)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hbkit.schema import Choice, Flag, HBPOTrain, Int, ListOf, Real, Section, Text, WorldSchema, fail

__all__ = [
    "REWARDS",
    "SCHEMA",
    "MAX_TOKENS",
    "MAX_PRICE",
    "MAX_VERBOSITY",
    "MAX_DOLLARS",
    "WORST_CALL_P",
]

#: Reward functions by name (see :func:`hbkit.sim.team.team_reward`).
REWARDS = ("plain", "hbpo", "cosine")

_MAX_TYPES = 8
_MAX_WORKERS = 16

#: Money cannot overflow: the schema bounds every factor of a call's cost, and a drawn prompt or
#: answer is clipped to ``MAX_TOKENS``, so the dearest possible call,
#: ``MAX_TOKENS * MAX_PRICE + MAX_TOKENS * MAX_VERBOSITY * MAX_PRICE`` dollars per million tokens,
#: is :data:`WORST_CALL_P` pico-dollars, below ``2**63`` (int64). Budgets, spending and fees are at
#: most ``MAX_DOLLARS``; an overspending call is rejected, so ``spent <= budget`` always.
MAX_TOKENS = 10**8
MAX_PRICE = 1000.0  # dollars per million tokens
MAX_VERBOSITY = 50.0
MAX_DOLLARS = 1e6
WORST_CALL_P = MAX_TOKENS * int(MAX_PRICE * 1e6) + round(MAX_TOKENS * MAX_VERBOSITY) * int(MAX_PRICE * 1e6)
assert WORST_CALL_P + int(MAX_DOLLARS) * 10**12 < 2**63, "the schema's bounds allow an int64 overflow"


# ------------------------------------------------------------------------------------------------
# Scenario schema
# ------------------------------------------------------------------------------------------------
_PROB = Real(0.001, 0.999)


class _World(Section):
    tasks: Int(1, 10_000) = Field(description="tasks per stream (episode)")
    slots: Int(1, 16) = Field(description="most workers hired at once")
    memory: Int(1, 100_000) = Field(description="memory units (16 GB = 100)")
    expense_budget: Real(0.0, MAX_DOLLARS, open_low=True) = Field(description="dollars per stream")
    budgets: ListOf(Real(0.0, MAX_DOLLARS, open_low=True), max_len=16, increasing=True) = Field(
        description="expense budgets of the HBPO subgroups (dollars)"
    )
    spend_ceiling: Real(0.0, MAX_DOLLARS, open_low=True) = Field(
        description="L: the largest budget of interest (dollars)"
    )
    min_balance: Real(0.0, MAX_DOLLARS) = Field(
        0.0005, description="below this many dollars the money is exhausted"
    )
    max_steps: Int(1, 1_000_000) = Field(description="actions per stream")
    reward: Choice(REWARDS) = "plain"
    money_weight: Real(0.0, 1e6) = Field(5.0, description="plain: reward units per dollar")
    beta: Real(0.0, 100.0, open_low=True) = Field(4.0, description="hbpo/cosine scale")
    reject_penalty: Real(0.0, 100.0) = Field(0.0, description="reward lost per rejection")
    skill_noise: Real(0.0, 5.0) = Field(description="std of the hidden skill deviation (logits)")
    feedback_prior: Real(0.0, 1e4, open_low=True) = Field(
        4.0, description="pseudo-trials the published skill counts for"
    )
    token_spread: Real(0.0, 3.0) = Field(description="std of log(tokens) around the medians")


class _CEO(Section):
    skill: ListOf(_PROB, max_len=_MAX_TYPES) = Field(description="answering itself, per task type")
    robust: Real(0.0, 1.0) = 0.0


class _TaskType(Section):
    name: Text
    share: Real(0.0, 1.0)
    value: Real(0.0, 1000.0, open_low=True)
    parts: Int(1, 8) = 1
    quorum: Int(1, 8) = 1
    prompt_tokens: Int(1, 10_000_000) = Field(description="median; draws are clipped to 1e8")
    answer_tokens: Int(1, 10_000_000)
    difficulty_slope: Real(0.0, 20.0) = 2.0


class _Worker(Section):
    name: Text
    kind: Choice(("local", "cloud"))
    after: Text = Field("", description="the real model it stands for")
    memory: Int(0, 100_000) = 0
    run_memory: Int(0, 100_000) = 0
    price_in: Real(0.0, MAX_PRICE) = Field(0.0, description="dollars per million input tokens")
    price_out: Real(0.0, MAX_PRICE) = Field(0.0, description="dollars per million output tokens")
    hire_fee: Real(0.0, MAX_PRICE) = Field(0.0, description="dollars per hire")
    verbosity: Real(0.05, MAX_VERBOSITY) = Field(1.0, description="answer tokens / task answer size")
    skill: ListOf(_PROB, max_len=_MAX_TYPES)
    robust: Real(0.0, 1.0) = Field(0.0, description="share of the difficulty it shrugs off")


class _Train(HBPOTrain):
    reward: Choice(REWARDS) = Field("hbpo", description="reward HBPO trains with")
    hidden: Int(1, 1024) = Field(64, description="width of the MLP policy's hidden layer")


class _SB3(Section):
    total_timesteps: Int(1, 10**9) = 100_000
    n_envs: Int(1, 4096) = 16
    n_steps: Int(1, 100_000) = 128
    batch_size: Int(1, 100_000) = 256
    n_epochs: Int(1, 100) = 4
    learning_rate: Real(0.0, 1.0, open_low=True) = 0.0003
    gamma: Real(0.0, 1.0) = 0.99
    ent_coef: Real(0.0, 1.0) = 0.01
    hidden: Int(1, 1024) = 64
    normalize_reward: Flag = False


class _Managers(Section):
    static_team: ListOf(Text, min_len=0, max_len=_MAX_WORKERS) = Field(
        default_factory=list,
        description="the workers the static manager hires once, as far as slots and memory allow "
        "(empty: chosen from the catalog, see hbkit.managers.team.static_team)",
    )


class TeamSchema(WorldSchema):
    """A Team scenario file (every section but ``[scenario]``)."""

    world: _World
    ceo: _CEO
    task_types: ListOf(_TaskType, max_len=_MAX_TYPES)
    workers: ListOf(_Worker, max_len=_MAX_WORKERS)
    train: _Train
    sb3: _SB3 = _SB3()
    managers: _Managers = _Managers()

    def check(self, data: dict[str, Any]) -> None:
        w, types, workers, ceo = data["world"], data["task_types"], data["workers"], data["ceo"]
        ntypes = len(types)
        names = [t["name"] for t in types]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise fail(f"task_types[{i}].name", f"{name!r} appears twice", "unique task type names")
        total = sum(t["share"] for t in types)
        if abs(total - 1.0) > 1e-6:
            raise fail("task_types.share", f"the shares sum to {total:g}", "shares that sum to 1")
        for i, t in enumerate(types):
            if t["quorum"] > t["parts"]:
                raise fail(
                    f"task_types[{i}].quorum",
                    f"{t['quorum']} is more than parts={t['parts']}",
                    f"1 <= quorum <= parts ({t['parts']})",
                )
        wnames = [x["name"] for x in workers]
        for i, x in enumerate(workers):
            where = f"workers[{i}]"
            if x["name"] in wnames[:i]:
                raise fail(f"{where}.name", f"{x['name']!r} appears twice", "unique worker names")
            if len(x["skill"]) != ntypes:
                raise fail(
                    f"{where}.skill",
                    f"has {len(x['skill'])} items",
                    f"one success probability per task type ({ntypes}: {', '.join(names)})",
                )
            if x["kind"] == "local":
                for key in ("price_in", "price_out", "hire_fee"):
                    if x[key] != 0:
                        raise fail(
                            f"{where}.{key}",
                            f"a local worker costs no money, got {x[key]!r}",
                            "0 for a local worker",
                        )
                if x["memory"] < 1:
                    raise fail(f"{where}.memory", "a local worker must reserve memory", "an integer >= 1")
            else:
                for key in ("memory", "run_memory"):
                    if x[key] != 0:
                        raise fail(
                            f"{where}.{key}",
                            f"a cloud worker uses no local memory, got {x[key]!r}",
                            "0 for a cloud worker",
                        )
        if len(ceo["skill"]) != ntypes:
            raise fail(
                "ceo.skill",
                f"has {len(ceo['skill'])} items",
                f"one success probability per task type ({ntypes}: {', '.join(names)})",
            )
        L = w["spend_ceiling"]
        if w["expense_budget"] > L:
            raise fail(
                "world.expense_budget",
                f"{w['expense_budget']} is above spend_ceiling={L}",
                f"min_balance < expense_budget <= spend_ceiling ({L})",
            )
        if w["expense_budget"] <= w["min_balance"]:
            raise fail(
                "world.expense_budget",
                f"{w['expense_budget']} is not above min_balance={w['min_balance']}",
                f"min_balance < expense_budget <= spend_ceiling ({L})",
            )
        for i, b in enumerate(w["budgets"]):
            if not w["min_balance"] < b <= L:
                raise fail(
                    f"world.budgets[{i}]",
                    f"{b} is out of range",
                    f"min_balance ({w['min_balance']}) < budget <= spend_ceiling ({L})",
                )
        self._check_static_team(data)
        most_parts = max(t["parts"] for t in types)
        if w["max_steps"] < w["tasks"] * most_parts:
            raise fail(
                "world.max_steps",
                f"{w['max_steps']} steps cannot finish {w['tasks']} tasks",
                f"at least tasks * the largest parts ({w['tasks'] * most_parts})",
            )

    @staticmethod
    def _check_static_team(data: dict[str, Any]) -> None:
        # names only: memory and slots may be moved by overrides and sliders, and the static
        # manager then hires what of its team fits
        team = data["managers"]["static_team"]
        names = [x["name"] for x in data["workers"]]
        for i, name in enumerate(team):
            where = f"managers.static_team[{i}]"
            if name not in names:
                raise fail(where, f"{name!r} is not a worker", f"one of {', '.join(names)}")
            if name in team[:i]:
                raise fail(where, f"{name!r} appears twice", "distinct workers")


#: The schema of a Team scenario file.
SCHEMA = TeamSchema
