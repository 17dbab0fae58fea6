"""The exercise checkers accept right answers, reject wrong ones and explain why."""

from __future__ import annotations

import math

import numpy as np

from hbkit.exercises import check_hbpo_reward, check_reasoner


def _right(n, b, correct):
    if not correct:
        return 0.0
    if n <= b:
        return 4 * math.cos(math.pi * b / 8192)
    return 4 * math.cos(math.pi * n / 8192) - (n - b) / 4096


def test_reward_checker():
    assert check_hbpo_reward(_right).passed
    wrong = check_hbpo_reward(lambda n, b, c: 4 * math.cos(math.pi * n / 8192) if c else 0.0)
    assert not wrong.passed and "inside the budget" in wrong.message
    boom = check_hbpo_reward(lambda n, b, c: 1 / 0)
    assert not boom.passed and "ZeroDivisionError" in boom.message
    assert "❌" in str(boom) and "border-left" in boom._repr_html_()


def test_reasoner_checker():
    good = check_reasoner(lambda obs: int(obs[-3] > 0.8))  # hint_mean, in hbpo-observable
    assert good.passed, good.message
    assert not check_reasoner(lambda obs: 1, episodes=200).passed  # answers at once: guesses
    slow = check_reasoner(lambda obs: 0, episodes=200)              # never answers
    assert not slow.passed and "tokens" in slow.message
    assert isinstance(good.details["yours"]["accuracy"], float) and np.isfinite(good.details["base"]["mean_tokens"])
