"""The shipped API test of hbkit's environments (in the spirit of PettingZoo's ``api_test``).

>>> from hbkit.envs.checks import api_test
>>> api_test("hbkit/Reasoning-v0")          # raises AssertionError or a warning-as-error on failure

It runs Gymnasium's ``check_env`` and (if installed) Stable-Baselines3's ``check_env`` on the single
Env with every warning turned into an error, checks that bad actions are refused with a clear
``ValueError``, and, where the env has a native VectorEnv, runs :func:`check_vector_env`.
"""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["api_test", "check_vector_env", "sample_actions", "check_invariants"]


def sample_actions(space: gym.Space, rng: np.random.Generator, mask: Any = None) -> Any:
    """Seeded random actions for a (batched) Discrete/MultiDiscrete/Box space, honouring masks.

    For a batched ``MultiDiscrete`` space from a Discrete single space, ``mask`` is ``(n, k)``.
    """
    if isinstance(space, gym.spaces.Discrete):
        if mask is not None:
            allowed = np.flatnonzero(np.asarray(mask, bool))
            return int(rng.choice(allowed)) + int(space.start)
        return int(rng.integers(space.n)) + int(space.start)
    if isinstance(space, gym.spaces.MultiDiscrete):
        nvec = np.asarray(space.nvec)
        if mask is not None:
            m = np.asarray(mask, bool)
            u = rng.random(m.shape) * m
            return u.argmax(axis=-1).astype(np.int64)
        return (rng.random(nvec.shape) * nvec).astype(np.int64)
    if isinstance(space, gym.spaces.Box):
        return rng.uniform(space.low, space.high).astype(space.dtype)
    raise TypeError(f"sample_actions does not know {space}")


def check_vector_env(vec: Any, seed: int = 0, steps: int = 100) -> None:
    """Check a native VectorEnv: spaces, shapes and dtypes, observations inside the space, finite
    rewards, seeded determinism of reset and of a whole random trajectory.

    :raises AssertionError: describing the first failed check
    """
    n = vec.num_envs
    u = vec.unwrapped
    assert vec.observation_space.shape == (n, *vec.single_observation_space.shape), "batched obs space"
    assert len(vec.action_space.shape or (n,)) >= 1, "batched action space"

    def run(run_seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(run_seed)
        obs, infos = vec.reset(seed=run_seed)
        assert isinstance(infos, dict), "reset must return an info dict"
        trace = []
        for _ in range(steps):
            assert obs.shape == vec.observation_space.shape, f"obs shape {obs.shape}"
            assert obs.dtype == vec.single_observation_space.dtype, f"obs dtype {obs.dtype}"
            assert vec.observation_space.contains(obs), (
                f"observation outside the space: min {obs.min(axis=0)}, max {obs.max(axis=0)}"
            )
            mask = infos.get("action_mask")
            actions = sample_actions(vec.action_space, rng, mask)
            obs, reward, term, trunc, infos = vec.step(actions)
            reward = np.asarray(reward)
            assert reward.shape == (n,) and np.all(np.isfinite(reward)), f"rewards {reward}"
            assert np.asarray(term).dtype == bool and np.asarray(trunc).dtype == bool, "flags must be bool"
            assert np.asarray(term).shape == (n,) and np.asarray(trunc).shape == (n,), "flag shapes"
            for key, value in infos.items():
                if not key.startswith("_") and isinstance(value, np.ndarray):
                    assert value.shape[:1] == (n,), f"info {key!r} has shape {value.shape}"
            trace.append((obs.copy(), reward.copy(), np.asarray(term).copy()))
        return trace

    a, b = run(seed), run(seed)
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        for part, (p, q) in zip(("obs", "reward", "terminated"), zip(x, y, strict=True), strict=True):
            assert np.array_equal(p, q), f"not deterministic: {part} differs at step {t} for seed {seed}"
    assert hasattr(u, "summarize_episodes"), "the VectorEnv needs summarize_episodes for evaluate()"


def api_test(env_id: str, scenario: Any = None, num_envs: int = 8, seed: int = 0) -> None:
    """Run every API check on ``env_id`` (see the module docstring).

    :param env_id: an hbkit env id
    :param scenario: scenario name or path (default: the env's)
    :param num_envs: size of the VectorEnv checked
    """
    from gymnasium.utils.env_checker import check_env

    kwargs = {} if scenario is None else {"scenario": scenario}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(env_id, **kwargs)
        check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env: Any = None
        try:
            from stable_baselines3.common.env_checker import check_env as sb3_check_env
        except ImportError:  # pragma: no cover - the sb3 extra is optional
            pass
        if sb3_check_env is not None:
            sb3_check_env(env.unwrapped, warn=True)
        assert hasattr(env.unwrapped, "summarize_episodes"), "the Env needs summarize_episodes"
        env.reset(seed=seed)
        for bad in _bad_actions(env.action_space):
            try:
                env.step(bad)
            except ValueError as exc:
                assert str(exc), "the error must say what was wrong"
            else:
                raise AssertionError(f"step({bad!r}) was accepted; it must raise ValueError")
        env.close()
        spec = gym.spec(env_id)
        if spec.vector_entry_point is not None:
            vec = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)
            check_vector_env(vec, seed=seed)
            vec.close()


def _bad_actions(space: gym.Space) -> list[Any]:
    if isinstance(space, gym.spaces.Discrete):
        return [space.n + int(space.start), -1 + int(space.start), float("nan")]
    if isinstance(space, gym.spaces.Box):
        nan = np.full(space.shape, np.nan, dtype=space.dtype)
        wrong_shape = np.zeros((*space.shape, 2), dtype=space.dtype)
        return [nan, wrong_shape]
    return []


# ------------------------------------------------------------------------------------------------
# Budget invariants, checked on the info of a single env or the infos of a VectorEnv
# ------------------------------------------------------------------------------------------------
def _team_invariants(info: dict[str, Any], world: dict[str, Any]) -> None:
    spent, remaining, budget = (np.asarray(info[k], np.float64) for k in ("spent", "remaining", "budget"))
    tol = 1e-9 * np.maximum(1.0, budget)
    assert np.all(np.isfinite(spent)) and np.all(np.isfinite(remaining)), "money is not finite"
    assert np.all(spent >= -tol), f"money spent is negative: {spent.min()}"
    assert np.all(remaining >= -tol), f"money remaining is negative: {remaining.min()}"
    gap = np.abs(spent + remaining - budget)
    assert np.all(gap <= tol), f"spent + remaining != budget (off by {gap.max():g})"
    by_type = np.asarray(info["spent_by_type"], np.float64).sum(axis=-1)
    assert np.all(np.abs(by_type - spent) <= tol), "spending by task type does not add up"
    used, free = np.asarray(info["memory_used"]), np.asarray(info["memory_free"])
    assert np.all(used >= 0) and np.all(free >= 0), "memory is negative"
    assert np.all(used + free == world["memory"]), "memory used + free != memory"


def _split_invariants(info: dict[str, Any], world: dict[str, Any]) -> None:
    alloc = np.asarray(info["allocation"], np.float64)
    alloc = alloc.reshape(-1, alloc.shape[-1])
    started = np.asarray(info["round"]).reshape(-1) > 0
    budget = np.asarray(info["budget"], np.float64).reshape(-1)
    assert np.all(alloc >= 0), "negative allocation"
    sums = alloc.sum(axis=1)
    bad = started & ~np.isclose(sums, budget, rtol=1e-9, atol=0.0)
    assert not bad.any(), f"allocations sum to {sums[bad][:3]}, budgets {budget[bad][:3]}"
    spent, left = (np.asarray(info[k], np.float64).reshape(-1) for k in ("budget_spent", "budget_left"))
    total = budget * world["rounds"]
    assert np.allclose(spent + left, total, rtol=1e-9), "budget spent + left != budget x rounds"
    assert np.all(left >= -1e-9 * total), "budget left is negative"


def _reasoning_invariants(info: dict[str, Any], world: dict[str, Any]) -> None:
    tokens = np.asarray(info["tokens"])
    assert np.all((tokens >= 0) & (tokens <= world["max_tokens"])), "tokens outside 0..max_tokens"
    assert np.all(tokens % world["chunk"] == 0), "tokens off the chunk grid"


_INVARIANTS = {
    "hbkit/Team-v0": _team_invariants,
    "hbkit/Split-v0": _split_invariants,
    "hbkit/Reasoning-v0": _reasoning_invariants,
}


def check_invariants(env_id: str, info: dict[str, Any], scenario: Any) -> None:
    """Check the budget invariants of one step: money and budgets are exact (spent + remaining =
    initial), never negative or wrapped; Split allocations sum to the budget; Reasoning tokens
    stay on the chunk grid below the maximum. Works on a single env's info and on a VectorEnv's
    infos.

    :param scenario: the env's :class:`hbkit.scenarios.Scenario`
    :raises AssertionError: naming the broken invariant
    """
    _INVARIANTS[env_id](info, scenario["world"])
