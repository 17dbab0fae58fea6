"""HBPO on a world it was not tuned on: the claims of ``bench_hbpo_quality`` on ``hbpo-long``.

``hbpo-long`` is written against the same scenario schema as ``hbpo-math`` (four levels, longer
needs, a 6144-token horizon) and trained with the scenario defaults; nothing was adjusted after its
first results. The same variants, seeds, evaluation and claims as ``bench_hbpo_quality`` (the single
1536-token budget is left out: no claim reads it).

    python benchmarks/run.py hbpo_heldout            # 5 seeds, the scenario's iterations
    python benchmarks/run.py hbpo_heldout --quick    # 2 seeds, 40 iterations
"""

from __future__ import annotations

import bench_hbpo_quality as quality

TITLE = "HBPO quality on a held-out world"
SCENARIO = "hbpo-long"
VARIANTS = [name for name in quality.VARIANTS if name != "1 budget (1536)"]


def run(quick: bool = False) -> str:
    return quality.run(
        quick=quick,
        scenario=SCENARIO,
        variants=VARIANTS,
        command="python benchmarks/run.py hbpo_heldout",
    )


if __name__ == "__main__":
    import sys

    print(run(quick="--quick" in sys.argv))
