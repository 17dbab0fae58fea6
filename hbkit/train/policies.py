"""Small NumPy policies: a linear and a one-hidden-layer MLP categorical policy, with save/load.

A policy maps a batch of observations ``(N, obs_dim)`` to logits over ``n_actions`` discrete
actions. The MLP keeps a linear "skip" path beside its hidden layer and starts with a zero output
layer, so both policies can start exactly as a given linear policy (the scenario's base reasoner).

Files are a single ``.npz`` holding the parameter arrays and a JSON metadata string. They are read
with ``allow_pickle=False``, and every problem (unreadable file, missing or mismatched array,
non-finite weight, unknown format) raises :class:`PolicyFileError` naming the file and the problem.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hbkit.errors import PolicyFileError

__all__ = [
    "Policy",
    "LinearPolicy",
    "MLPPolicy",
    "DeclaringPolicy",
    "PolicyFileError",
    "load_policy",
    "make_policy",
    "base_reasoner",
    "env_metadata",
    "log_softmax",
]

FORMAT = "hbkit-policy"
FORMAT_VERSION = 1
_META_KEY = "__metadata__"


def log_softmax(logits: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Row-wise log-probabilities of ``logits`` ``(N, A)``; where ``mask`` is False an action gets
    probability 0 (log-probability ``-inf``). The one masked log-softmax of hbkit's trainers."""
    logits = np.asarray(logits, np.float64)
    if mask is not None:
        logits = np.where(np.asarray(mask, bool).reshape(logits.shape), logits, -np.inf)
    z = logits - logits.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


class Policy:
    """Base class of hbkit's categorical policies.

    :param obs_dim: length of the observation vector
    :param n_actions: number of discrete actions
    :param feature_names: names of the observation entries (kept in the saved file)
    :param metadata: free JSON-serialisable metadata (env id, scenario, training config, ...)
    :param seed: seed of the generator used by :meth:`__call__`
    """

    kind = "base"

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        feature_names: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        seed: int = 0,
    ):
        self.obs_dim, self.n_actions = int(obs_dim), int(n_actions)
        self.feature_names = tuple(feature_names) if feature_names is not None else None
        if self.feature_names is not None and len(self.feature_names) != self.obs_dim:
            raise ValueError(f"feature_names has {len(self.feature_names)} names for obs_dim={self.obs_dim}")
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.params: dict[str, np.ndarray] = {}
        self._rng = np.random.default_rng(seed)

    # -- the model -----------------------------------------------------------------------
    def forward(self, obs: np.ndarray) -> tuple[np.ndarray, Any]:
        """Logits ``(N, n_actions)`` and a cache for :meth:`backward`."""
        raise NotImplementedError

    def backward(self, cache: Any, dlogits: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the parameters, given the gradient of a loss w.r.t. the logits."""
        raise NotImplementedError

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape every parameter array must have."""
        raise NotImplementedError

    # -- using it ------------------------------------------------------------------------
    def _check_obs(self, obs: Any) -> np.ndarray:
        obs = np.asarray(obs, dtype=np.float64)
        if obs.ndim == 1:
            obs = obs[None, :]
        if obs.ndim != 2 or obs.shape[1] != self.obs_dim:
            raise ValueError(
                f"observation shape {obs.shape} does not fit this policy (obs_dim={self.obs_dim}); "
                "was it trained on another scenario or budget list? "
                f"It was trained with {self.metadata.get('env_kwargs', 'unknown settings')}"
            )
        finite = np.isfinite(obs).all(axis=1)
        if not finite.all():  # a NaN row gives NaN logits, which every action rule reads as action 0
            row = int(np.flatnonzero(~finite)[0])
            raise ValueError(f"observation row {row} is {obs[row].tolist()}; allowed: finite numbers only")
        return obs

    @staticmethod
    def _masked(logits: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """``logits`` with masked-out actions at ``-inf``; a row that allows no action is an error."""
        if mask is None:
            return logits
        mask = np.asarray(mask, bool).reshape(logits.shape)
        empty = ~mask.any(axis=1)
        if empty.any():
            raise ValueError(
                f"action mask row {int(np.flatnonzero(empty)[0])} allows no action; "
                "allowed: at least one True per row"
            )
        return np.where(mask, logits, -np.inf)

    def logits(self, obs: Any, mask: np.ndarray | None = None) -> np.ndarray:
        """Logits for a batch of observations; masked-out actions get ``-inf``."""
        logits, _ = self.forward(self._check_obs(obs))
        return self._masked(logits, mask)

    def probs(self, obs: Any, mask: np.ndarray | None = None) -> np.ndarray:
        """Action probabilities ``(N, n_actions)``."""
        return np.exp(log_softmax(self.logits(obs, mask)))

    def act(
        self,
        obs: Any,
        rng: np.random.Generator | None = None,
        deterministic: bool = False,
        mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Sample (or, if ``deterministic``, take the most likely) actions for a batch.

        :param obs: ``(N, obs_dim)`` or a single ``(obs_dim,)`` observation
        :param rng: random generator (default: the policy's own, seeded at construction)
        :param mask: ``(N, n_actions)`` booleans, True where an action is allowed
        :return: int64 actions of shape ``(N,)``
        """
        logits = self.logits(obs, mask)
        if deterministic:
            return logits.argmax(axis=1)
        rng = rng if rng is not None else self._rng
        p = np.exp(log_softmax(logits))
        u = rng.random((p.shape[0], 1))
        return np.minimum((p.cumsum(axis=1) < u).sum(axis=1), self.n_actions - 1).astype(np.int64)

    def __call__(self, obs: Any) -> Any:
        """Manager-style use: one observation in, one sampled action out (a batch gives a batch)."""
        single = np.ndim(obs) == 1
        a = self.act(obs)
        return int(a[0]) if single else a

    batched = True  #: evaluate() may pass a whole batch of observations at once

    # -- files ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the policy to ``path`` (``.npz``), atomically: a failed save never leaves a
        half-written file in place of an existing one.

        :return: the path written
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "kind": self.kind,
            "obs_dim": self.obs_dim,
            "n_actions": self.n_actions,
            "feature_names": list(self.feature_names) if self.feature_names else None,
            "config": self._config(),
            "metadata": self.metadata,
        }
        arrays = {k: np.asarray(v, np.float64) for k, v in self.params.items()}
        arrays[_META_KEY] = np.array(json.dumps(meta))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def _config(self) -> dict[str, Any]:
        return {}

    def copy(self) -> Policy:
        """An independent copy (same parameters, same metadata)."""
        other = _KINDS[self.kind](
            self.obs_dim, self.n_actions, self.feature_names, self.metadata, **self._config()
        )
        other.params = {k: v.copy() for k, v in self.params.items()}
        return other

    def __repr__(self) -> str:
        n = sum(v.size for v in self.params.values())
        return f"{type(self).__name__}(obs_dim={self.obs_dim}, n_actions={self.n_actions}, params={n})"


class LinearPolicy(Policy):
    """``logits = obs @ W + b``."""

    kind = "linear"

    def __init__(self, obs_dim, n_actions, feature_names=None, metadata=None, seed: int = 0):
        super().__init__(obs_dim, n_actions, feature_names, metadata, seed)
        self.params = {"W": np.zeros((self.obs_dim, self.n_actions)), "b": np.zeros(self.n_actions)}

    def param_shapes(self):
        return {"W": (self.obs_dim, self.n_actions), "b": (self.n_actions,)}

    def forward(self, obs):
        return obs @ self.params["W"] + self.params["b"], obs

    def backward(self, cache, dlogits):
        return {"W": cache.T @ dlogits, "b": dlogits.sum(axis=0)}


class MLPPolicy(Policy):
    """``logits = obs @ W + b + tanh(obs @ W1 + b1) @ W2``: a linear path plus one hidden layer.

    ``W2`` starts at zero, so a fresh MLP behaves exactly like its linear path.

    :param hidden: width of the hidden layer
    """

    kind = "mlp"

    def __init__(
        self, obs_dim, n_actions, feature_names=None, metadata=None, seed: int = 0, hidden: int = 32
    ):
        super().__init__(obs_dim, n_actions, feature_names, metadata, seed)
        self.hidden = int(hidden)
        if self.hidden < 0:
            raise ValueError(f"hidden={hidden}; allowed: an integer >= 0")
        rng = np.random.default_rng(seed)
        self.params = {
            "W": np.zeros((self.obs_dim, self.n_actions)),
            "b": np.zeros(self.n_actions),
            "W1": rng.normal(0.0, 1.0 / np.sqrt(self.obs_dim), (self.obs_dim, self.hidden)),
            "b1": np.zeros(self.hidden),
            "W2": np.zeros((self.hidden, self.n_actions)),
        }

    def _config(self):
        return {"hidden": self.hidden}

    def param_shapes(self):
        d, a, h = self.obs_dim, self.n_actions, self.hidden
        return {"W": (d, a), "b": (a,), "W1": (d, h), "b1": (h,), "W2": (h, a)}

    def forward(self, obs):
        p = self.params
        h = np.tanh(obs @ p["W1"] + p["b1"])
        return obs @ p["W"] + p["b"] + h @ p["W2"], (obs, h)

    def backward(self, cache, dlogits):
        obs, h = cache
        p = self.params
        dh = (dlogits @ p["W2"].T) * (1.0 - h * h)
        return {
            "W": obs.T @ dlogits,
            "b": dlogits.sum(axis=0),
            "W1": obs.T @ dh,
            "b1": dh.sum(axis=0),
            "W2": h.T @ dlogits,
        }


class DeclaringPolicy(MLPPolicy):
    """A two-level policy for worlds with budget instructions: first declare a budget, then
    reason under it.

    * The high level ("declare") looks at the problem features (``level_hint``, ``need_hint``)
      and scores the budgets: ``logits_d = features @ Wd + bd``. It is trained from the rollouts of
      the budget subgroups: the subgroup's mean advantage is the value of declaring its budget for
      that problem (HBPO's own signal).
    * The low level is an :class:`MLPPolicy` (``hidden=0`` makes it linear) that sees the budget
      instruction, as in training, where each subgroup is told its budget (the paper's released
      code prefills "I will answer the question with {b} tokens").

    In natural mode (the observation's ``budget=none`` entry is 1, no budget was given) the
    policy declares the budget it scores highest and rewrites the budget instruction and progress
    features to that budget before the low level acts. The declaration depends only on the problem
    features, which stay fixed during an episode, so the policy needs no memory between steps and
    never acts on an input it did not see in training.

    :param hidden: width of the low level's hidden layer (0: linear)
    """

    kind = "declaring"

    def __init__(
        self, obs_dim, n_actions, feature_names=None, metadata=None, seed: int = 0, hidden: int = 32
    ):
        super().__init__(obs_dim, n_actions, feature_names, metadata, seed, hidden)
        names = list(self.feature_names or ())
        need = ("level_hint", "need_hint", "budget=none", "tokens/max", "tokens/budget", "over_budget")
        missing = [n for n in need if n not in names]
        if missing or "max_tokens" not in self.metadata:
            raise ValueError(
                f"a declaring policy needs the features {need} and metadata['max_tokens'] "
                f"(missing: {missing or 'max_tokens'})"
            )
        self.budget_slots = [i for i, n in enumerate(names) if n.startswith("budget=") and n != "budget=none"]
        self.budget_values = np.array([float(names[i].split("=", 1)[1]) for i in self.budget_slots])
        self.problem_slots = [names.index("level_hint"), names.index("need_hint")]
        self.none_slot = names.index("budget=none")
        self.progress_slots = [names.index(n) for n in ("tokens/max", "tokens/budget", "over_budget")]
        self.max_tokens = float(self.metadata["max_tokens"])
        k = len(self.budget_slots)
        self.params["Wd"] = np.zeros((len(self.problem_slots), k))
        self.params["bd"] = np.zeros(k)

    def param_shapes(self):
        return {
            **super().param_shapes(),
            "Wd": (len(self.problem_slots), len(self.budget_slots)),
            "bd": (len(self.budget_slots),),
        }

    def declare_logits(self, obs: Any) -> np.ndarray:
        """Scores of the budgets ``(N, k)`` for a batch of observations (only the problem features
        are read)."""
        x = np.asarray(obs, np.float64)[:, self.problem_slots]
        return x @ self.params["Wd"] + self.params["bd"]

    def declare(self, obs: Any) -> np.ndarray:
        """The budget (tokens) this policy declares for each observation's problem."""
        return self.budget_values[self.declare_logits(self._check_obs(obs)).argmax(axis=1)]

    def declare_backward(self, obs: np.ndarray, dlogits: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of ``Wd`` and ``bd`` given the gradient of a loss w.r.t. the budget scores."""
        x = np.asarray(obs, np.float64)[:, self.problem_slots]
        return {"Wd": x.T @ dlogits, "bd": dlogits.sum(axis=0)}

    def with_declared_budget(self, obs: np.ndarray) -> np.ndarray:
        """``obs`` with every natural-mode row rewritten to the budget the policy declares."""
        natural = obs[:, self.none_slot] > 0.5
        if not natural.any():
            return obs
        obs = obs.copy()
        rows = obs[natural]
        j = self.declare_logits(rows).argmax(axis=1)
        b = self.budget_values[j]
        t = rows[:, self.progress_slots[0]] * self.max_tokens
        rows[:, self.none_slot] = 0.0
        rows[:, self.budget_slots] = 0.0
        rows[np.arange(len(rows)), np.asarray(self.budget_slots)[j]] = 1.0
        max_ratio = self.max_tokens / self.budget_values.min()
        rows[:, self.progress_slots[1]] = np.minimum(t / b, max_ratio)
        rows[:, self.progress_slots[2]] = np.maximum(t - b, 0.0) / self.max_tokens
        obs[natural] = rows
        return obs

    def logits(self, obs: Any, mask: np.ndarray | None = None) -> np.ndarray:
        logits, _ = self.forward(self.with_declared_budget(self._check_obs(obs)))
        return self._masked(logits, mask)


_KINDS: dict[str, type[Policy]] = {"linear": LinearPolicy, "mlp": MLPPolicy, "declaring": DeclaringPolicy}


def make_policy(
    kind: str,
    obs_dim: int,
    n_actions: int,
    feature_names=None,
    metadata=None,
    seed: int = 0,
    hidden: int = 32,
) -> Policy:
    """Create a fresh ``"linear"`` or ``"mlp"`` policy."""
    if kind not in _KINDS:
        raise ValueError(f"unknown policy kind {kind!r}; allowed: {', '.join(_KINDS)}")
    extra = {"hidden": hidden} if kind in ("mlp", "declaring") else {}
    return _KINDS[kind](obs_dim, n_actions, feature_names, metadata, seed, **extra)


def base_reasoner(env: Any, kind: str = "linear", seed: int = 0, hidden: int = 32) -> Policy:
    """The scenario's untrained, verbose reasoner as a policy of the given kind.

    The reasoner itself is part of the world
    (:meth:`hbkit.sim.reasoning.ReasoningWorld.base_reasoner_weights`, the scenario's
    ``[base_reasoner]`` table); this wraps it as a trainable policy.

    :param env: a Reasoning Env or VectorEnv (wrapped or not)
    :raises ConfigError: if ``env`` is not a Reasoning env
    """
    from hbkit.errors import ConfigError

    world: Any = getattr(getattr(env, "unwrapped", None), "world", None)
    if not hasattr(world, "base_reasoner_weights"):
        raise ConfigError(
            f"base_reasoner: {type(env).__name__} is not a Reasoning env; allowed: "
            'an env of hbkit/Reasoning-v0, e.g. gym.make("hbkit/Reasoning-v0", scenario="hbpo-math")'
        )
    w, bias = world.base_reasoner_weights()
    policy = make_policy(kind, world.obs_dim, 2, world.feature_names, env_metadata(env), seed, hidden)
    policy.params["W"][:, 1] = w
    policy.params["b"][1] = bias
    policy.metadata["name"] = "base reasoner"
    return policy


def env_metadata(env: Any) -> dict[str, Any]:
    """What a policy must remember about the env it acts in, so that evaluate() rebuilds exactly
    that world: the env id, the keyword arguments, and the full resolved scenario (its content and
    its :attr:`~hbkit.scenarios.Scenario.world_hash`).

    :param env: an hbkit Env or VectorEnv (wrapped or not)
    """
    u = env.unwrapped
    sc = u.world.scenario
    meta: dict[str, Any] = {
        "env_id": sc.env_id,
        "env_kwargs": {"scenario": sc.name},
        "scenario": sc.to_dict(),
    }
    if hasattr(u.world, "budgets"):
        meta["env_kwargs"]["budgets"] = list(u.world.budgets)
    if hasattr(u.world, "max_tokens"):
        meta["max_tokens"] = int(u.world.max_tokens)
    return meta


_env_metadata = env_metadata  # the former private name


#: Largest policy :func:`load_policy` reads: parameters (float64) and metadata characters.
MAX_PARAMS = 20_000_000
MAX_METADATA_CHARS = 16_000_000
_DIM_FIELDS = {"obs_dim": 1_000_000, "n_actions": 100_000, "hidden": 100_000}


def _npy_header(fh: Any) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of the ``.npy`` stream ``fh``, read from its header only."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    else:
        raise ValueError(f".npy format version {version} is not supported")
    return tuple(int(n) for n in shape), np.dtype(dtype)


def _read_member(zf: zipfile.ZipFile, name: str, check: Any) -> np.ndarray:
    """Read one ``.npy`` member after ``check(shape, dtype)`` accepted its header."""
    with zf.open(name) as fh:
        shape, dtype = _npy_header(fh)
        check(shape, dtype)
    with zf.open(name) as fh:
        return np.lib.format.read_array(fh, allow_pickle=False)


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read a policy written by :meth:`Policy.save` (never unpickling anything).

    Every size is checked from the file's headers before memory is allocated, and the file is
    closed on every path, also when it is truncated or corrupt.

    :raises FileNotFoundError: if there is no such file
    :raises PolicyFileError: if the file is not a valid hbkit policy, naming the file and the problem
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such policy file")

    def fail(problem: str) -> PolicyFileError:
        return PolicyFileError(f"{path}: {problem}")

    try:
        with zipfile.ZipFile(path) as zf:
            members = {n[:-4]: n for n in zf.namelist() if n.endswith(".npy")}
            if _META_KEY not in members:
                raise fail(f"no '{_META_KEY}' entry: not written by hbkit's Policy.save")

            def meta_ok(shape: tuple[int, ...], dtype: np.dtype) -> None:
                if shape != () or dtype.kind != "U" or dtype.itemsize // 4 > MAX_METADATA_CHARS:
                    raise fail(
                        f"'{_META_KEY}' is {dtype} of shape {shape}, expected one JSON string "
                        f"of at most {MAX_METADATA_CHARS} characters"
                    )

            meta = _parse_metadata(str(_read_member(zf, members[_META_KEY], meta_ok)), fail)
            policy = _empty_policy(meta, fail)
            shapes = policy.param_shapes()
            names = set(members) - {_META_KEY}
            missing, extra = sorted(set(shapes) - names), sorted(names - set(shapes))
            if missing or extra:
                raise fail(
                    f"parameter arrays do not match a {policy.kind} policy "
                    f"(missing {missing}, unexpected {extra})"
                )
            for key, want in shapes.items():

                def array_ok(
                    shape: tuple[int, ...], dtype: np.dtype, key: str = key, want: tuple[int, ...] = want
                ) -> None:
                    if shape != tuple(want):
                        raise fail(f"array '{key}' has shape {shape}, expected {tuple(want)}")
                    if dtype.kind not in "fiu" or dtype.itemsize > 8:
                        raise fail(f"array '{key}' holds {dtype} values, expected real numbers")

                arr = _read_member(zf, members[key], array_ok)
                if not np.all(np.isfinite(arr)):
                    raise fail(f"array '{key}' holds non-finite or non-numeric values")
                policy.params[key] = arr.astype(np.float64)
    except PolicyFileError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        KeyError,
        RuntimeError,
        NotImplementedError,
    ) as exc:
        raise fail(f"not a readable hbkit policy file ({type(exc).__name__}: {exc})") from None
    return policy


def _parse_metadata(text: str, fail: Any) -> dict[str, Any]:
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise fail(f"metadata is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise fail(
            f"metadata format is {meta.get('format') if isinstance(meta, dict) else meta!r}, "
            f"expected {FORMAT!r}"
        )
    if meta.get("version") != FORMAT_VERSION:
        raise fail(
            f"format version {meta.get('version')!r} is not supported (this hbkit reads "
            f"version {FORMAT_VERSION})"
        )
    if meta.get("kind") not in _KINDS:
        raise fail(f"unknown policy kind {meta.get('kind')!r}; allowed: {', '.join(_KINDS)}")
    for key, kinds, what in (
        ("config", (dict,), "a JSON object"),
        ("metadata", (dict,), "a JSON object"),
        ("feature_names", (list,), "a list of strings"),
    ):
        if meta.get(key) is not None and not isinstance(meta[key], kinds):
            raise fail(
                f"metadata field '{key}' is {type(meta[key]).__name__} {str(meta[key])[:40]!r}; "
                f"allowed: {what} or null"
            )
    names = meta.get("feature_names")
    if names is not None and not all(isinstance(n, str) for n in names):
        raise fail("metadata field 'feature_names' holds non-strings; allowed: a list of strings or null")
    return meta


def _empty_policy(meta: dict[str, Any], fail: Any) -> Policy:
    """A policy of the file's kind and dimensions, once every dimension is checked."""
    dims = {
        "obs_dim": meta.get("obs_dim"),
        "n_actions": meta.get("n_actions"),
        "hidden": (meta.get("config") or {}).get("hidden", 32),
    }
    for key, value in dims.items():
        high = _DIM_FIELDS[key]
        low = 0 if key == "hidden" and meta.get("kind") == "declaring" else 1  # 0: a linear low level
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise fail(f"metadata field '{key}' is {value!r}; allowed: a whole number from {low} to {high}")
    d, a, h = dims["obs_dim"], dims["n_actions"], dims["hidden"]
    if d * a + d * h + h * a + h + a > MAX_PARAMS:
        raise fail(f"obs_dim={d}, n_actions={a}, hidden={h} make more than {MAX_PARAMS} parameters")
    names = meta.get("feature_names")
    if names is not None and len(names) != d:
        raise fail(f"metadata field 'feature_names' has {len(names)} names for obs_dim={d}")
    try:
        return make_policy(meta["kind"], d, a, names, meta.get("metadata"), hidden=h)
    except (TypeError, ValueError) as exc:
        raise fail(f"metadata is inconsistent ({type(exc).__name__}: {exc})") from None
