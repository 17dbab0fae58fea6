"""Training: the HBPO trainer (NumPy), small NumPy policies with save/load, and SB3 helpers.

>>> from hbkit.train import HBPO, load_policy
"""

from hbkit.train.hbpo import ADVANTAGES, HBPO, HBPOConfig, hbpo_advantages
from hbkit.train.policies import (
    LinearPolicy,
    MLPPolicy,
    Policy,
    PolicyFileError,
    base_reasoner,
    load_policy,
    make_policy,
)

__all__ = [
    "HBPO",
    "HBPOConfig",
    "ADVANTAGES",
    "hbpo_advantages",
    "Policy",
    "LinearPolicy",
    "MLPPolicy",
    "PolicyFileError",
    "base_reasoner",
    "load_policy",
    "make_policy",
]
