"""The kinds of agent hbkit runs, declared once as :class:`typing.Protocol` classes.

:func:`hbkit.evaluate.evaluate`, the sweeps and the figures accept any of these; nothing needs to
inherit from them (structural typing), and :func:`agent_kind` tells them apart.

==================  ==========================================================================
protocol            what it is
==================  ==========================================================================
``PolicyAgent``     an hbkit NumPy policy: ``act(obs, rng, deterministic, mask)`` on a batch,
                    with ``metadata`` (the world it was trained on)
``SB3Model``        a Stable-Baselines3 model: ``predict(obs, deterministic=...)`` and ``policy``
``Manager``         a callable ``obs -> action`` (a hand-written manager, a baseline)
``InfoManager``     a manager called as ``manager(obs, info)`` (``wants_info = True``), to read
                    ``info["action_mask"]`` and the feedback in ``info``
``BatchedAgent``    a manager that takes a whole batch of observations (``batched = True``)
``EpisodicAgent``   a manager with a ``reset()`` called at the start of every episode (it keeps
                    state across steps, so it runs on the single env)
==================  ==========================================================================
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "PolicyAgent",
    "SB3Model",
    "Manager",
    "InfoManager",
    "BatchedAgent",
    "EpisodicAgent",
    "AgentKind",
    "agent_kind",
    "is_batched",
    "wants_info",
]

AgentKind = Literal["policy", "sb3", "manager"]


@runtime_checkable
class PolicyAgent(Protocol):
    """An hbkit policy (:class:`hbkit.train.Policy`): batched, stochastic, masks honoured."""

    metadata: dict[str, Any]

    def act(self, obs: Any, rng: Any = None, deterministic: bool = False, mask: Any = None) -> Any:
        """Actions ``(N,)`` for observations ``(N, obs_dim)``."""
        ...


@runtime_checkable
class SB3Model(Protocol):
    """A Stable-Baselines3 (or sb3-contrib) model."""

    policy: Any

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = False
    ) -> tuple[Any, Any]:
        """``(actions, state)``; masked models also take ``action_masks=``."""
        ...


@runtime_checkable
class Manager(Protocol):
    """A callable ``obs -> action``."""

    def __call__(self, obs: Any) -> Any: ...


@runtime_checkable
class InfoManager(Protocol):
    """A manager that also reads the info dict: ``manager(obs, info) -> action``."""

    wants_info: bool

    def __call__(self, obs: Any, info: Any) -> Any: ...


@runtime_checkable
class BatchedAgent(Protocol):
    """A manager that acts on a whole batch of observations at once (``batched = True``)."""

    batched: bool


@runtime_checkable
class EpisodicAgent(Protocol):
    """A manager with per-episode state, reset at the start of every episode."""

    def reset(self) -> Any: ...


def agent_kind(agent: Any) -> AgentKind:
    """``"policy"``, ``"sb3"`` or ``"manager"``.

    :raises TypeError: if ``agent`` is none of them
    """
    if isinstance(agent, PolicyAgent):
        return "policy"
    if isinstance(agent, SB3Model):
        return "sb3"
    if callable(agent):
        return "manager"
    raise TypeError(
        f"cannot evaluate {type(agent).__name__}: expected an hbkit Policy, a policy file path, "
        "a Stable-Baselines3 model or a callable obs -> action"
    )


def is_batched(agent: Any) -> bool:
    """True if the agent declares ``batched = True`` (it accepts a batch of observations)."""
    return isinstance(agent, BatchedAgent) and bool(agent.batched)


def wants_info(agent: Any) -> bool:
    """True if the manager declares ``wants_info = True`` (it is called as ``agent(obs, info)``)."""
    return isinstance(agent, InfoManager) and bool(agent.wants_info)
