"""Wall time of every notebook at its default settings, executed top to bottom with nbclient.

Each notebook is copied with its data to a temporary folder and run once in a fresh kernel, with
``HBKIT_FAST`` unset (what a learner gets with *Run All*). A press of a training button is not
included unless the notebook presses it in a cell (05 does). Target: at most 60 s each on a
2-core machine. The load average before and after each run is recorded: the times are wall
times, so a busy machine makes them longer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from _common import table as markdown_table

TITLE = "Notebooks at default settings: wall time"
TARGET_S = 60.0
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _execute(path: Path, timeout: int) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def run(quick: bool = False) -> str:
    saved = os.environ.pop("HBKIT_FAST", None)
    if quick:
        os.environ["HBKIT_FAST"] = "1"
    rows, worst = [], 0.0
    try:
        with tempfile.TemporaryDirectory(prefix="hbkit-nb-") as tmp:
            folder = Path(tmp) / "notebooks"
            shutil.copytree(NOTEBOOKS, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            for path in sorted(folder.glob("*.ipynb")):
                before = os.getloadavg()[0]
                seconds = _execute(path, timeout=900)
                after = os.getloadavg()[0]
                worst = max(worst, seconds)
                rows.append(
                    [
                        path.stem,
                        f"{seconds:.1f}",
                        f"{before:.2f} / {after:.2f}",
                        "yes" if seconds <= TARGET_S else "**no**",
                    ]
                )
    finally:
        os.environ.pop("HBKIT_FAST", None)
        if saved is not None:
            os.environ["HBKIT_FAST"] = saved
    table = markdown_table(
        ["notebook", "seconds", "load average before / after", f"<= {TARGET_S:.0f} s"], rows
    )
    mode = "`HBKIT_FAST=1` (quick run)" if quick else "default settings (`HBKIT_FAST` unset)"
    verdict = "every notebook meets" if worst <= TARGET_S else "NOT every notebook meets"
    return (
        f"## {TITLE}\n\nEach notebook executed once, top to bottom, in a fresh kernel, at {mode}; "
        f"{os.cpu_count()} cores.\n\n{table}\n\nSlowest {worst:.1f} s: {verdict} the {TARGET_S:.0f} s "
        "target. The times include starting the kernel and importing the libraries; 05 and 06 train "
        "their learned managers and SB3 models as they run, which is most of their time."
    )
