"""The Team world's scenario schema: every field of a Team scenario file, its range and the
checks across fields (see :mod:`hbkit.sim.team` for the model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hbkit.scenarios import (
    Flag,
    ListOf,
    Number,
    ScenarioError,
    Schema,
    Table,
    TableList,
    Text,
    hbpo_train_fields,
)

__all__ = ["REWARDS", "SCHEMA", "MAX_TOKENS", "MAX_PRICE", "MAX_VERBOSITY", "MAX_DOLLARS", "WORST_CALL_P"]

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
def _world_check(data: dict[str, Any], fail: Callable[..., ScenarioError]) -> None:
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
    most_parts = max(t["parts"] for t in types)
    if w["max_steps"] < w["tasks"] * most_parts:
        raise fail(
            "world.max_steps",
            f"{w['max_steps']} steps cannot finish {w['tasks']} tasks",
            f"at least tasks * the largest parts ({w['tasks'] * most_parts})",
        )


_PROB = Number(0.001, 0.999)

SCHEMA = Schema(
    sections={
        "world": Table(
            {
                "tasks": Number(1, 10_000, integer=True, help="tasks per stream (episode)"),
                "slots": Number(1, 16, integer=True, help="most workers hired at once"),
                "memory": Number(1, 100_000, integer=True, help="memory units (16 GB = 100)"),
                "expense_budget": Number(0.0, MAX_DOLLARS, open_low=True, help="dollars per stream"),
                "budgets": ListOf(
                    Number(0.0, MAX_DOLLARS, open_low=True),
                    max_len=16,
                    increasing=True,
                    help="expense budgets of the HBPO subgroups (dollars)",
                ),
                "spend_ceiling": Number(
                    0.0, MAX_DOLLARS, open_low=True, help="L: the largest budget of interest (dollars)"
                ),
                "min_balance": Number(
                    0.0, MAX_DOLLARS, default=0.0005, help="below this many dollars the money is exhausted"
                ),
                "max_steps": Number(1, 1_000_000, integer=True, help="actions per stream"),
                "reward": Text(REWARDS, default="plain"),
                "money_weight": Number(0.0, 1e6, default=5.0, help="plain: reward units per dollar"),
                "beta": Number(0.0, 100.0, open_low=True, default=4.0, help="hbpo/cosine scale"),
                "reject_penalty": Number(0.0, 100.0, default=0.0, help="reward lost per rejection"),
                "skill_noise": Number(0.0, 5.0, help="std of the hidden skill deviation (logits)"),
                "feedback_prior": Number(
                    0.0, 1e4, open_low=True, default=4.0, help="pseudo-trials the published skill counts for"
                ),
                "token_spread": Number(0.0, 3.0, help="std of log(tokens) around the medians"),
            }
        ),
        "ceo": Table(
            {
                "skill": ListOf(_PROB, max_len=_MAX_TYPES, help="answering itself, per task type"),
                "robust": Number(0.0, 1.0, default=0.0),
            }
        ),
        "task_types": TableList(
            {
                "name": Text(),
                "share": Number(0.0, 1.0),
                "value": Number(0.0, 1000.0, open_low=True),
                "parts": Number(1, 8, integer=True, default=1),
                "quorum": Number(1, 8, integer=True, default=1),
                "prompt_tokens": Number(1, 10_000_000, integer=True, help="median; draws are clipped to 1e8"),
                "answer_tokens": Number(1, 10_000_000, integer=True),
                "difficulty_slope": Number(0.0, 20.0, default=2.0),
            },
            max_len=_MAX_TYPES,
        ),
        "workers": TableList(
            {
                "name": Text(),
                "kind": Text(("local", "cloud")),
                "after": Text(default="", help="the real model it stands for"),
                "memory": Number(0, 100_000, integer=True, default=0),
                "run_memory": Number(0, 100_000, integer=True, default=0),
                "price_in": Number(0.0, MAX_PRICE, default=0.0, help="dollars per million input tokens"),
                "price_out": Number(0.0, MAX_PRICE, default=0.0, help="dollars per million output tokens"),
                "hire_fee": Number(0.0, MAX_PRICE, default=0.0, help="dollars per hire"),
                "verbosity": Number(
                    0.05, MAX_VERBOSITY, default=1.0, help="answer tokens / task answer size"
                ),
                "skill": ListOf(_PROB, max_len=_MAX_TYPES),
                "robust": Number(0.0, 1.0, default=0.0, help="share of the difficulty it shrugs off"),
            },
            max_len=_MAX_WORKERS,
        ),
        "train": Table(
            {
                "reward": Text(REWARDS, default="hbpo", help="reward HBPO trains with"),
                **hbpo_train_fields(hidden=64),
            }
        ),
        "sb3": Table(
            {
                "total_timesteps": Number(1, 10**9, integer=True, default=100_000),
                "n_envs": Number(1, 4096, integer=True, default=16),
                "n_steps": Number(1, 100_000, integer=True, default=128),
                "batch_size": Number(1, 100_000, integer=True, default=256),
                "n_epochs": Number(1, 100, integer=True, default=4),
                "learning_rate": Number(0.0, 1.0, open_low=True, default=0.0003),
                "gamma": Number(0.0, 1.0, default=0.99),
                "ent_coef": Number(0.0, 1.0, default=0.01),
                "hidden": Number(1, 1024, integer=True, default=64),
                "normalize_reward": Flag(default=False),
            },
            default={},
        ),
    },
    check=_world_check,
)
