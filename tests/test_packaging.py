"""Packaging: environment.yml agrees with pyproject.toml; the core imports without torch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

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
        want = req.split(";")[0].replace(" ", "")[len(name) :]
        assert conda[name].replace(" ", "").lower().endswith(want.lower()), (
            f"environment.yml has {conda[name]!r}, pyproject.toml has {req!r}"
        )
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


# ------------------------------------------------------------------------------------------------
# A real install: build the wheel, install it (not editable) into a fresh venv, run it elsewhere
# ------------------------------------------------------------------------------------------------
_SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "hbkit", "environments")

_SMOKE = """
import sys, pathlib, gymnasium as gym, hbkit
from hbkit.scenarios import list_scenarios
here = pathlib.Path(hbkit.__file__).resolve()
assert pathlib.Path(sys.prefix).resolve() in here.parents, f"hbkit imported from {here}"
names = sorted(s.name for s in list_scenarios())
assert names == sorted(sys.argv[1].split(",")), (names, sys.argv[1])
for sc in list_scenarios():
    env = gym.make(sc.env_id, scenario=sc.name)
    env.reset(seed=0)
    env.step(env.action_space.sample())
    env.close()
    if gym.spec(sc.env_id).vector_entry_point is not None:
        vec = gym.make_vec(sc.env_id, num_envs=2, vectorization_mode="vector_entry_point", scenario=sc.name)
        vec.reset(seed=0)
        vec.close()
print("made", len(names), "scenarios")
"""


def _site_packages() -> list[str]:
    import sysconfig

    paths = sysconfig.get_paths()
    return sorted({paths["purelib"], paths["platlib"]})


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    """`pip wheel .`, install the wheel into a fresh venv, and from another folder: make every env on
    every shipped scenario, `hbkit scenarios`, `hbkit demo --fast`. The venv sees the installed
    dependencies through a .pth file (nothing is downloaded), not the checkout."""
    import os
    import shutil
    import venv

    src = tmp_path / "src"
    src.mkdir()
    for name in _SOURCES:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(item, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(item, src / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HBKIT_SCENARIO_PATH")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(wheels),
            str(src),
        ],
        check=True,
        capture_output=True,
        env=env,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("hbkit-*.whl")
    shipped = sorted(p.stem for p in (ROOT / "environments").glob("*.toml"))
    import zipfile

    inside = {Path(n).stem for n in zipfile.ZipFile(wheel).namelist() if n.startswith("hbkit/_scenarios/")}
    assert inside == set(shipped), "every environments/*.toml must be in the wheel"

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, symlinks=os.name != "nt").create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    subprocess.run(
        [str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        env=env,
        cwd=tmp_path,
    )
    # then the dependencies: this interpreter's site-packages, after the venv's own (a path in a
    # .pth file does not run that folder's own .pth files, so an editable hbkit there stays out)
    (Path(site) / "_deps.pth").write_text("\n".join(_site_packages()) + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*cmd: str) -> str:
        r = subprocess.run(list(cmd), cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"{cmd} failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
        return r.stdout

    assert "made" in run(str(py), "-c", _SMOKE, ",".join(shipped))
    listing = run(str(bindir / "hbkit"), "scenarios")
    assert all(name in listing for name in shipped), listing
    out = run(str(bindir / "hbkit"), "demo", "--fast", "--out", "demo")
    assert "HBPO vs base reasoner" in out and (elsewhere / "demo" / "report.html").is_file()
