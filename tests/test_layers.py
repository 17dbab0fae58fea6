"""The layers hold: scenarios/errors -> sim -> envs -> managers -> train -> evaluate -> sweep -> viz
-> cli, each importing only from those below it (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (it comes with the dev extra)")
    return found


def test_import_contracts_are_kept():
    """`lint-imports`: the layers contract, sim without Gymnasium, training without figures."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    report = r.stdout[r.stdout.find("Contracts") :]
    assert r.returncode == 0, f"an import crosses the layers:\n{report}\n{r.stderr[-2000:]}"


def test_evaluate_tells_agents_apart_by_protocol_not_hasattr():
    source = (ROOT / "hbkit" / "evaluate.py").read_text()
    assert "hasattr(" not in source, "use the protocols of hbkit.agents"
    assert "from hbkit.agents import" in source


def test_agent_protocols():
    import gymnasium as gym

    import hbkit  # noqa: F401
    from hbkit.agents import agent_kind, is_batched, wants_info
    from hbkit.managers import available
    from hbkit.train import base_reasoner

    env = gym.make("hbkit/Reasoning-v0")
    assert agent_kind(base_reasoner(env)) == "policy"
    assert agent_kind(lambda obs: 0) == "manager" and not is_batched(lambda obs: 0)
    team = gym.make("hbkit/Team-v0")
    greedy = available("hbkit/Team-v0")["greedy"](team)
    assert agent_kind(greedy) == "manager"
    assert wants_info(greedy) == bool(getattr(greedy, "wants_info", False))

    class FakeSB3:
        policy = object()

        def predict(self, observation, state=None, episode_start=None, deterministic=False):
            return 0, None

    assert agent_kind(FakeSB3()) == "sb3"
    with pytest.raises(TypeError, match="cannot evaluate int"):
        agent_kind(3)
