"""Build hook: the scenario files in ``environments/`` travel inside the package.

``environments/`` stays at the top of the checkout, where people read and copy the scenario files;
every ``*.toml`` in it is copied into the built package as ``hbkit/_scenarios/`` (read with
``importlib.resources`` by :mod:`hbkit.scenarios`), so a new scenario file is shipped without any
list to update. All other settings live in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithScenarios(build_py):
    """``build_py`` that also copies ``environments/*.toml`` to ``hbkit/_scenarios/``."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "hbkit" / "_scenarios"
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted((HERE / "environments").glob("*.toml")):
            shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildWithScenarios})
