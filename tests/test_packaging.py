"""Packaging: environment.yml agrees with pyproject.toml; the core imports without torch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def _conda_deps() -> tuple[dict[str, str], list[str]]:
    conda, pip, in_pip = {}, [], False
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip().startswith("- "):
            continue
        item = line.strip()[2:].strip()
        if item == "pip:":
            in_pip = True
            continue
        if in_pip and raw.startswith("      "):
            pip.append(item)
        else:
            in_pip = False
            conda[_name(item)] = item
    return conda, pip


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    conda, pip = _conda_deps()
    required = [r for r in project["dependencies"] if "python_version" not in r]
    required += project["optional-dependencies"]["lab"]
    for req in required:
        name = _name(req)
        assert name in conda, f"environment.yml lacks {name} (pyproject.toml requires {req})"
        want = req.split(";")[0].replace(" ", "")[len(name):]
        assert conda[name].replace(" ", "").lower().endswith(want.lower()), (
            f"environment.yml has {conda[name]!r}, pyproject.toml has {req!r}")
    py = project["requires-python"].lstrip(">=")
    assert any(v.startswith("python=") and v.split("=")[1] >= py for v in conda.values())
    assert "torch==2.13.0" in pip and "-e .[sb3,lab,dev]" in pip
    assert pip.index("torch==2.13.0") < pip.index("-e .[sb3,lab,dev]"), "torch must come before SB3"


def test_core_imports_without_torch():
    code = (
        "import sys, hbkit, hbkit.envs, hbkit.train, hbkit.evaluate, hbkit.viz, hbkit.viz.reasoning, "
        "hbkit.viz.reasoning_widgets, hbkit.managers, hbkit.scenarios, hbkit.cli, hbkit.demo\n"
        "from hbkit.managers import available\n"
        "for env_id in hbkit.ENV_IDS: available(env_id)\n"
        "assert 'torch' not in sys.modules, 'the core imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
