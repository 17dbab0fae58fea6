"""Stable-Baselines3 on hbkit's native VectorEnvs (needs the ``sb3`` extra).

SB3 normally steps ``n`` copies of a single Env in a Python loop (``DummyVecEnv``). hbkit's worlds
have native VectorEnvs that step a whole batch in one NumPy call, so :class:`NativeVecEnv` wraps
one in SB3's ``VecEnv`` interface instead: same algorithms, same results format, a fraction of the
time per step. It works for any hbkit env whose VectorEnv supports
``autoreset_mode=AutoresetMode.DISABLED`` and ``reset(options={"reset_mask": ...})``, and forwards
``action_masks()`` so sb3-contrib's MaskablePPO can use it.

>>> from hbkit.train.sb3_native import NativeVecEnv
>>> venv = NativeVecEnv("hbkit/Team-v0", num_envs=16, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from hbkit.errors import sequence_of

__all__ = ["NativeVecEnv"]


class NativeVecEnv(VecEnv):
    """An hbkit native VectorEnv as an SB3 ``VecEnv`` (with SB3's autoreset semantics: a finished
    env is reset at once, its last observation is in ``infos[i]["terminal_observation"]`` and its
    return and length in ``infos[i]["episode"]``, as ``Monitor`` would report them).

    :param env_id: an hbkit env id with a native VectorEnv
    :param num_envs: number of parallel episodes
    :param seed: seed of the first reset (and of the budget draws)
    :param reset_budgets: if given, each new episode draws its budget from these (passed as the
        ``budget`` reset option), so a policy sees them all while training
    :param env_kwargs: keyword arguments of the VectorEnv (``scenario``, ``reward``, ...)
    """

    def __init__(
        self,
        env_id: str,
        num_envs: int = 8,
        seed: int | None = None,
        reset_budgets: Sequence[Any] | None = None,
        **env_kwargs: Any,
    ):
        budgets = None if reset_budgets is None else sequence_of(reset_budgets, "reset_budgets", "budgets")
        self.vec = gym.make_vec(
            env_id,
            num_envs=int(num_envs),
            vectorization_mode="vector_entry_point",
            autoreset_mode=AutoresetMode.DISABLED,
            **env_kwargs,
        )
        self.env_id = env_id
        self.reset_budgets = budgets
        self._rng = np.random.default_rng(seed)
        self._first_seed = seed
        self._actions: np.ndarray | None = None
        self._returns = np.zeros(int(num_envs))
        self._lengths = np.zeros(int(num_envs), np.int64)
        super().__init__(int(num_envs), self.vec.single_observation_space, self.vec.single_action_space)

    # -- VecEnv API ------------------------------------------------------------------------------
    def _budget_option(self, n: int) -> dict[str, Any]:
        if not self.reset_budgets:
            return {}
        picks = self._rng.integers(len(self.reset_budgets), size=n)
        return {"budget": [self.reset_budgets[k] for k in picks]}

    def reset(self) -> np.ndarray:
        seed = self._seeds[0] if self._seeds[0] is not None else self._first_seed
        obs, _ = self.vec.reset(seed=seed, options=self._budget_option(self.num_envs))
        self._first_seed = None
        self._reset_seeds()
        self._returns[:] = 0.0
        self._lengths[:] = 0
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions).reshape(self.num_envs)

    def step_wait(self):
        obs, reward, term, trunc, _ = self.vec.step(self._actions)
        self._returns += reward
        self._lengths += 1
        done = term | trunc
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if done.any():
            ended = np.flatnonzero(done)
            for i in ended:
                infos[i] = {
                    "terminal_observation": obs[i].copy(),
                    "episode": {"r": float(self._returns[i]), "l": int(self._lengths[i])},
                    "TimeLimit.truncated": bool(trunc[i] and not term[i]),
                }
            options = {"reset_mask": done, **self._budget_option(self.num_envs)}
            obs, _ = self.vec.reset(options=options)
            self._returns[done] = 0.0
            self._lengths[done] = 0
        return obs, reward.astype(np.float32), done, infos

    def close(self) -> None:
        self.vec.close()

    def action_masks(self) -> np.ndarray:
        """``(num_envs, n_actions)`` masks of the current states."""
        return self.vec.unwrapped.action_masks()  # type: ignore[attr-defined]  # an hbkit VectorEnv

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        if attr_name == "render_mode":
            return [None] * len(self._indices(indices))
        value = getattr(self.vec.unwrapped, attr_name)
        return [value] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self.vec.unwrapped, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        idx = self._indices(indices)
        if method_name == "action_masks":
            masks = self.action_masks()
            return [masks[i] for i in idx]
        result = getattr(self.vec.unwrapped, method_name)(*method_args, **method_kwargs)
        return [result] * len(idx)

    def has_attr(self, attr_name: str) -> bool:
        return attr_name == "render_mode" or hasattr(self.vec.unwrapped, attr_name)

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * len(self._indices(indices))

    def get_images(self):
        return [None] * self.num_envs

    def _indices(self, indices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        if isinstance(indices, int):
            return [indices]
        return list(indices)
