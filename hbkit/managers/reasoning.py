"""Hand-written reasoners for ``hbkit/Reasoning-v0``.

* :class:`FixedLength` thinks exactly ``T`` tokens, then answers. A family of them for a range of
  ``T`` draws the accuracy-versus-tokens frontier that any non-adaptive method lives on.
* ``base``: the scenario's verbose base reasoner (the starting point of HBPO training).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FixedLength", "fixed_length_grid", "MANAGERS"]


class FixedLength:
    """Think ``tokens`` tokens (rounded up to whole chunks), then answer.

    :param env: a Reasoning Env or VectorEnv (for ``max_tokens`` and the feature layout)
    :param tokens: how long to think
    """

    batched = True

    def __init__(self, env: Any, tokens: int):
        world = env.unwrapped.world
        if not 0 <= tokens < world.max_tokens:
            raise ValueError(f"tokens={tokens} is out of range; allowed: 0 <= tokens < {world.max_tokens}")
        self.tokens = int(tokens)
        self.name = f"fixed-{self.tokens}"
        self._col = world.feature_names.index("tokens/max")
        self._max = world.max_tokens

    def __call__(self, obs: Any) -> Any:
        obs = np.asarray(obs)
        used = np.rint(obs[..., self._col] * self._max)
        action = (used >= self.tokens).astype(np.int64)
        return int(action) if action.ndim == 0 else action


def fixed_length_grid(env: Any, step: int = 256) -> list[FixedLength]:
    """Fixed-length reasoners for ``T = step, 2*step, ...`` below ``max_tokens``."""
    world = env.unwrapped.world
    return [FixedLength(env, t) for t in range(step, world.max_tokens, step)]


def _base(env: Any):
    from hbkit.train.policies import base_reasoner

    return base_reasoner(env)


MANAGERS = {
    "base": _base,
    **{f"fixed-{t}": (lambda env, t=t: FixedLength(env, t)) for t in (256, 512, 1024, 1536, 2048, 3072)},
}
