"""The simulated worlds as plain, batched NumPy models (no Gymnasium here).

Each module holds one world's constants (parsed from a scenario), its scenario ``SCHEMA`` and the
batched functions that step it. The environments in :mod:`hbkit.envs` are thin layers over these.
"""
