"""Policy gradient on a two-armed bandit: the RL primer's tiny problem (notebook 03b).

The same steps as :mod:`hbkit.train.hbpo`, on a problem small enough to train many seeds in a few
milliseconds, so a slider can retrain it:

* **policy**: a softmax over two logits ``theta``; ``pi(B) = sigmoid(theta_B - theta_A)``;
* **return**: one pull, reward 1 with the arm's probability (plus a constant ``offset``, which
  changes nothing about which arm is better but a lot about the noise without a baseline);
* **policy gradient** (REINFORCE): ``grad = mean(A * grad log pi(a))`` over a group of pulls;
* **advantage** ``A``: the reward itself (``"none"``), the reward minus the group's mean (a
  baseline, ``"baseline"``), or GRPO's group-normalised ``(r - mean) / (std + 1e-6)`` (``"group"``);
* **PPO's clipped ratio**: each group is reused for ``epochs`` updates; the ratio
  ``rho = pi(a) / pi_old(a)`` stops pushing once it leaves ``[1 - clip_low, 1 + clip_high]`` in the
  direction the advantage favours (``clip_high = 0.28 > clip_low = 0.2``: DAPO's "clip higher",
  used by HBPO).

Config at the top; every function is pure NumPy and deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BanditConfig",
    "ARM_MEANS",
    "policy_prob",
    "expected_return",
    "advantages",
    "ppo_objective",
    "train_bandit",
]

#: Success probability of arms A and B (B is better).
ARM_MEANS = (0.4, 0.6)
ADVANTAGES = ("none", "baseline", "group")


@dataclass(frozen=True)
class BanditConfig:
    """:param lr: learning rate (plain gradient ascent on the logits)
    :param advantage: ``"none"``, ``"baseline"`` or ``"group"`` (see the module docstring)
    :param group: pulls per update (one group of rollouts of the same problem)
    :param steps: updates
    :param seeds: independent runs (the figures show their mean and spread)
    :param offset: a constant added to every reward
    :param epochs: updates per group (1 = plain policy gradient; more = PPO-style reuse)
    :param clip_low, clip_high: PPO's clip range; ``None`` = no clipping
    """

    lr: float = 0.3
    advantage: str = "baseline"
    group: int = 8
    steps: int = 150
    seeds: int = 64
    offset: float = 0.0
    epochs: int = 1
    clip_low: float | None = None
    clip_high: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.advantage not in ADVANTAGES:
            raise ValueError(f"advantage={self.advantage!r}; allowed: {', '.join(ADVANTAGES)}")
        if not (self.lr > 0 and self.group >= 2 and self.steps >= 1 and self.seeds >= 1 and self.epochs >= 1):
            raise ValueError(
                "lr > 0, group >= 2, steps >= 1, seeds >= 1 and epochs >= 1 are required; got "
                f"lr={self.lr}, group={self.group}, steps={self.steps}, seeds={self.seeds}, "
                f"epochs={self.epochs}"
            )


def policy_prob(gap: np.ndarray | float) -> np.ndarray:
    """``pi(B)`` for a logit gap ``theta_B - theta_A``."""
    return 1.0 / (1.0 + np.exp(-np.asarray(gap, dtype=np.float64)))


def expected_return(gap: np.ndarray | float, means: tuple[float, float] = ARM_MEANS) -> np.ndarray:
    """``J = pi(A) mu_A + pi(B) mu_B``: the return the policy earns on average."""
    p = policy_prob(gap)
    return (1 - p) * means[0] + p * means[1]


def advantages(rewards: np.ndarray, mode: str) -> np.ndarray:
    """Advantages of a batch of groups (last axis: the pulls of one group)."""
    r = np.asarray(rewards, dtype=np.float64)
    if mode == "none":
        return r
    centred = r - r.mean(axis=-1, keepdims=True)
    if mode == "baseline":
        return centred
    if mode == "group":
        return centred / (r.std(axis=-1, keepdims=True) + 1e-6)
    raise ValueError(f"mode={mode!r}; allowed: {', '.join(ADVANTAGES)}")


def ppo_objective(
    ratio: np.ndarray, advantage: float, clip_low: float = 0.2, clip_high: float = 0.28
) -> np.ndarray:
    """PPO's clipped surrogate ``min(rho * A, clip(rho, 1 - clip_low, 1 + clip_high) * A)``."""
    rho = np.asarray(ratio, dtype=np.float64)
    return np.minimum(rho * advantage, np.clip(rho, 1 - clip_low, 1 + clip_high) * advantage)


def train_bandit(config: BanditConfig | None = None, **overrides: Any) -> dict[str, np.ndarray]:
    """Train ``config.seeds`` independent policies; return their history.

    :returns: ``p_best`` (steps + 1, seeds): ``pi(B)`` before each update and at the end;
        ``grad`` (steps, seeds): the gradient estimate on the logit gap at each update;
        ``reward`` (steps, seeds): the mean raw reward (without offset) of each group
    """
    cfg = BanditConfig(**{**(config.__dict__ if config else {}), **overrides})  # type: ignore[arg-type]
    rng = np.random.default_rng([cfg.seed, 0xBA2D])
    means = np.asarray(ARM_MEANS)
    gap = np.zeros(cfg.seeds)
    p_best = np.empty((cfg.steps + 1, cfg.seeds))
    grads = np.empty((cfg.steps, cfg.seeds))
    rewards = np.empty((cfg.steps, cfg.seeds))
    clip = cfg.clip_low is not None and cfg.clip_high is not None
    low, high = float(cfg.clip_low or 0.0), float(cfg.clip_high or 0.0)
    for t in range(cfg.steps):
        p_old = policy_prob(gap)
        p_best[t] = p_old
        arm = (rng.random((cfg.seeds, cfg.group)) < p_old[:, None]).astype(np.float64)  # 1 = arm B
        success = (rng.random((cfg.seeds, cfg.group)) < means[arm.astype(int)]).astype(np.float64)
        rewards[t] = success.mean(axis=1)
        adv = advantages(success + cfg.offset, cfg.advantage)
        # d log pi(a) / d gap: (1 - p) for arm B, -p for arm A
        logp_old = np.where(arm == 1, np.log(p_old)[:, None], np.log1p(-p_old)[:, None])
        for epoch in range(cfg.epochs):
            p = policy_prob(gap)[:, None]
            dlogp = np.where(arm == 1, 1 - p, -p)
            ratio = np.exp(np.where(arm == 1, np.log(p), np.log1p(-p)) - logp_old)
            weight = ratio
            if clip:
                out = ((adv > 0) & (ratio > 1 + high)) | ((adv < 0) & (ratio < 1 - low))
                weight = np.where(out, 0.0, ratio)
            grad = (adv * weight * dlogp).mean(axis=1)
            if epoch == 0:
                grads[t] = grad
            gap = gap + cfg.lr * grad
    p_best[-1] = policy_prob(gap)
    return {"p_best": p_best, "grad": grads, "reward": rewards}
