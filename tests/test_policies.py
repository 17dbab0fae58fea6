"""NumPy policies: gradients, masks, save/load round trip and corrupt files."""

from __future__ import annotations

import json
import zipfile

import gymnasium as gym
import numpy as np
import pytest

from hbkit.train import LinearPolicy, MLPPolicy, PolicyFileError, base_reasoner, load_policy, make_policy
from hbkit.train.policies import env_metadata


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_backward_matches_numerical_gradient(kind):
    rng = np.random.default_rng(0)
    p = make_policy(kind, 5, 3, seed=1, hidden=4)
    for v in p.params.values():
        v[...] = rng.normal(size=v.shape)
    obs = rng.normal(size=(7, 5))
    weights = rng.normal(size=(7, 3))  # loss = sum(weights * logits)
    logits, cache = p.forward(obs)
    grads = p.backward(cache, weights)
    eps = 1e-6
    for key, value in p.params.items():
        num = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + eps
            up = (weights * p.forward(obs)[0]).sum()
            value[idx] = old - eps
            down = (weights * p.forward(obs)[0]).sum()
            value[idx] = old
            num[idx] = (up - down) / (2 * eps)
        assert np.allclose(grads[key], num, atol=1e-5), key


def test_mlp_starts_as_its_linear_path():
    env = gym.make("hbkit/Reasoning-v0")
    lin, mlp = base_reasoner(env, "linear"), base_reasoner(env, "mlp")
    obs = np.random.default_rng(0).random((20, lin.obs_dim))
    assert np.allclose(lin.logits(obs), mlp.logits(obs))


def test_masks_are_respected():
    p = LinearPolicy(3, 4)
    p.params["b"][:] = [5.0, 0.0, 0.0, 0.0]
    mask = np.array([[False, True, False, True]] * 200)
    acts = p.act(np.zeros((200, 3)), np.random.default_rng(0), mask=mask)
    assert set(acts.tolist()) <= {1, 3} and len(set(acts.tolist())) == 2
    assert np.all(p.probs(np.zeros((1, 3)), mask[:1])[0, [0, 2]] == 0)


def test_bad_observation_shape_is_explained():
    p = LinearPolicy(4, 2, metadata={"env_kwargs": {"budgets": [1536]}})
    with pytest.raises(ValueError, match="obs_dim=4.*1536"):
        p.act(np.zeros((2, 5)))


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_save_load_round_trip(tmp_path, kind):
    env = gym.make("hbkit/Reasoning-v0")
    p = base_reasoner(env, kind, seed=3)
    p.params["W"][0, 0] = 0.123
    path = p.save(tmp_path / "sub" / "p.npz")
    q = load_policy(path)
    assert type(q) is type(p) and q.feature_names == p.feature_names
    assert q.metadata["env_kwargs"] == {"scenario": "hbpo-math", "budgets": [512, 1024, 2048, 2560]}
    for k in p.params:
        assert np.array_equal(p.params[k], q.params[k])
    obs = np.random.default_rng(0).random((10, p.obs_dim))
    assert np.allclose(p.logits(obs), q.logits(obs))
    # the file opens without pickle
    with np.load(path, allow_pickle=False) as data:
        assert "__metadata__" in data.files


def _write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_corrupt_and_mismatched_files_raise_clear_errors(tmp_path):
    good = LinearPolicy(3, 2).save(tmp_path / "good.npz")
    raw = good.read_bytes()
    # truncated zip
    (tmp_path / "trunc.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(PolicyFileError, match="trunc.npz: not a readable hbkit policy file"):
        load_policy(tmp_path / "trunc.npz")
    # not a zip at all
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(PolicyFileError, match="not a readable"):
        load_policy(tmp_path / "text.npz")
    # no metadata
    with pytest.raises(PolicyFileError, match="__metadata__"):
        load_policy(_write_npz(tmp_path / "nometa.npz", W=np.zeros((3, 2)), b=np.zeros(2)))
    meta = json.loads(str(np.load(good)["__metadata__"]))
    # wrong shape
    with pytest.raises(PolicyFileError, match="'W' has shape"):
        load_policy(
            _write_npz(
                tmp_path / "shape.npz",
                W=np.zeros((4, 2)),
                b=np.zeros(2),
                __metadata__=np.array(json.dumps(meta)),
            )
        )
    # non-finite weights
    with pytest.raises(PolicyFileError, match="non-finite"):
        load_policy(
            _write_npz(
                tmp_path / "nan.npz",
                W=np.full((3, 2), np.nan),
                b=np.zeros(2),
                __metadata__=np.array(json.dumps(meta)),
            )
        )
    # future format version
    with pytest.raises(PolicyFileError, match="version 99"):
        load_policy(
            _write_npz(
                tmp_path / "v99.npz",
                W=np.zeros((3, 2)),
                b=np.zeros(2),
                __metadata__=np.array(json.dumps({**meta, "version": 99})),
            )
        )
    # a pickled object array inside is refused, not executed
    with zipfile.ZipFile(tmp_path / "pickle.npz", "w") as z:
        import io

        buf = io.BytesIO()
        np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
        z.writestr("W.npy", buf.getvalue())
    with pytest.raises(PolicyFileError):
        load_policy(tmp_path / "pickle.npz")
    with pytest.raises(FileNotFoundError, match="no such policy file"):
        load_policy(tmp_path / "missing.npz")


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = LinearPolicy(3, 2).save(tmp_path / "p.npz")
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        MLPPolicy(3, 2).save(path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".tmp-*"))


# ------------------------------------------------------------------------------------------------
# Hostile files: every problem is a PolicyFileError naming the file, found before allocating
# ------------------------------------------------------------------------------------------------
def _meta_of(path):
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["__metadata__"]))


def _with_meta(path, meta, **arrays):
    np.savez(path, __metadata__=np.array(json.dumps(meta)), **arrays)
    return path


@pytest.mark.parametrize("config", [[1, 2], "mlp", 7])
def test_metadata_config_of_the_wrong_type(tmp_path, config):
    good = MLPPolicy(3, 2, hidden=4).save(tmp_path / "good.npz")
    meta = _meta_of(good)
    with np.load(good) as data:
        arrays = {k: data[k] for k in data.files if k != "__metadata__"}
    bad = _with_meta(tmp_path / "cfg.npz", {**meta, "config": config}, **arrays)
    with pytest.raises(PolicyFileError, match=r"cfg.npz: metadata field 'config' is"):
        load_policy(bad)


def test_metadata_config_null_means_defaults(tmp_path):
    p = LinearPolicy(3, 2)
    good = p.save(tmp_path / "good.npz")
    meta = _meta_of(good)
    bad = _with_meta(tmp_path / "null.npz", {**meta, "config": None}, W=np.ones((3, 2)), b=np.zeros(2))
    assert load_policy(bad).params["W"].sum() == 6


def test_npy_renamed_npz(tmp_path):
    path = tmp_path / "array.npz"
    with open(path, "wb") as fh:
        np.save(fh, np.zeros(3))
    with pytest.raises(PolicyFileError, match="array.npz: not a readable hbkit policy file"):
        load_policy(path)


def _npy_bytes_claiming(shape):
    """A .npy member whose header claims ``shape`` but carries almost no data."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue() + b"\0" * 64


def test_header_claiming_1e14_floats_is_refused_before_reading(tmp_path):
    good = LinearPolicy(3, 2).save(tmp_path / "good.npz")
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        dst.writestr("__metadata__.npy", src.read("__metadata__.npy"))
        dst.writestr("b.npy", src.read("b.npy"))
        dst.writestr("W.npy", _npy_bytes_claiming((10**7, 10**7)))
    with pytest.raises(PolicyFileError, match=r"huge.npz: array 'W' has shape \(10000000, 10000000\)"):
        load_policy(path)


@pytest.mark.parametrize(
    "field, value",
    [
        ("obs_dim", 10**7),
        ("hidden", 10**7),
        ("obs_dim", 1e7),
        ("n_actions", 0),
        ("obs_dim", True),
        ("hidden", "32"),
    ],
)
def test_absurd_dimensions_are_refused_before_allocating(tmp_path, field, value):
    good = MLPPolicy(3, 2, hidden=4).save(tmp_path / "good.npz")
    meta = _meta_of(good)
    if field == "hidden":
        meta["config"] = {"hidden": value}
    else:
        meta[field] = value
    bad = _with_meta(tmp_path / "dims.npz", meta, W=np.zeros((3, 2)))
    with pytest.raises(PolicyFileError, match=rf"dims.npz: metadata field '{field}' is"):
        load_policy(bad)


def test_metadata_string_too_long_or_not_a_string(tmp_path):
    path = tmp_path / "meta.npz"
    np.savez(path, __metadata__=np.zeros(3), W=np.zeros((3, 2)))
    with pytest.raises(PolicyFileError, match="meta.npz: '__metadata__' is float64"):
        load_policy(path)


def test_truncated_file_leaves_no_handle_open(tmp_path):
    psutil = pytest.importorskip("psutil")
    good = LinearPolicy(3, 2).save(tmp_path / "good.npz")
    raw = good.read_bytes()
    for cut in (10, len(raw) // 3, len(raw) // 2, len(raw) - 10):
        (tmp_path / "trunc.npz").write_bytes(raw[:cut])
        with pytest.raises(PolicyFileError):
            load_policy(tmp_path / "trunc.npz")
    open_files = [f.path for f in psutil.Process().open_files()]
    assert not [f for f in open_files if f.endswith("trunc.npz")], open_files


# ------------------------------------------------------------------------------------------------
# A saved policy carries its world and is evaluated on it
# ------------------------------------------------------------------------------------------------
def test_saved_policy_carries_the_full_scenario(tmp_path):
    from hbkit.scenarios import Scenario

    env = gym.make("hbkit/Team-v0", memory=40)
    p = make_policy(
        "linear", env.observation_space.shape[0], int(env.action_space.n), metadata=env_metadata(env)
    )
    q = load_policy(p.save(tmp_path / "team.npz"))
    saved = Scenario.from_dict(q.metadata["scenario"])
    assert saved["world"]["memory"] == 40
    assert saved.world_hash == env.unwrapped.scenario.world_hash == q.metadata["scenario"]["world_hash"]


def test_policy_is_evaluated_on_its_own_world_and_refuses_another(tmp_path):
    from hbkit.errors import WorldMismatchError
    from hbkit.evaluate import evaluate

    env = gym.make("hbkit/Team-v0", memory=40)
    p = make_policy(
        "linear", env.observation_space.shape[0], int(env.action_space.n), metadata=env_metadata(env)
    )
    path = p.save(tmp_path / "team.npz")
    own = evaluate(str(path), "hbkit/Team-v0", episodes=2, seed=0)
    assert own["world_hash"] == env.unwrapped.scenario.world_hash
    with pytest.raises(WorldMismatchError, match=r"world.memory: 40 -> 100"):
        evaluate(str(path), "hbkit/Team-v0", scenario="hashiru", episodes=2)
    with pytest.raises(WorldMismatchError, match="memory"):
        evaluate(str(path), "hbkit/Team-v0", episodes=2, memory=100)
    other = evaluate(str(path), "hbkit/Team-v0", scenario="hashiru", episodes=2, allow_other_world=True)
    assert other["world_hash"] != own["world_hash"]


def test_same_name_different_content_is_another_world(tmp_path):
    """A file that keeps ``name = "hbpo-math"`` but has harder problems is not hbpo-math."""
    from hbkit.errors import WorldMismatchError
    from hbkit.evaluate import evaluate
    from hbkit.scenarios import load_scenario

    text = load_scenario("hbpo-math").source
    from pathlib import Path

    raw = Path(text).read_text()
    harder = tmp_path / "hbpo-math.toml"
    assert "need_spread = 0.35" in raw
    harder.write_text(raw.replace("need_spread = 0.35", "need_spread = 0.60"))
    env = gym.make("hbkit/Reasoning-v0", scenario=str(harder))
    policy = base_reasoner(env)
    rep = evaluate(policy, "hbkit/Reasoning-v0", episodes=50, seed=0, budget=None)
    assert rep["world_hash"] == env.unwrapped.scenario.world_hash
    with pytest.raises(WorldMismatchError, match="levels.need_spread: 0.6 -> 0.35"):
        evaluate(policy, "hbkit/Reasoning-v0", scenario="hbpo-math", episodes=50, budget=None)
    # a different reward is the same world (rewards are recomputable from info)
    evaluate(policy, "hbkit/Reasoning-v0", episodes=20, budget=None, reward="cosine")


def test_tampered_saved_scenario_is_refused(tmp_path):
    from hbkit.errors import ScenarioError
    from hbkit.evaluate import evaluate

    env = gym.make("hbkit/Reasoning-v0")
    path = base_reasoner(env).save(tmp_path / "p.npz")
    meta = _meta_of(path)
    meta["metadata"]["scenario"]["data"]["world"]["max_tokens"] = 2048 * 4
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files if k != "__metadata__"}
    bad = _with_meta(tmp_path / "tampered.npz", meta, **arrays)
    with pytest.raises(ScenarioError, match="world_hash"):
        evaluate(str(bad), "hbkit/Reasoning-v0", episodes=5, budget=None)


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_policy_refuses_non_finite_observations_and_empty_masks(kind):
    """A NaN observation, or a mask allowing nothing, gave action 0 (sampled and deterministic)."""
    p = make_policy(kind, 3, 4, seed=0, hidden=4)
    obs = np.array([[0.1, 0.2, 0.3], [0.0, np.nan, 1.0]])
    for deterministic in (False, True):
        with pytest.raises(ValueError, match="row 1") as info:
            p.act(obs, np.random.default_rng(0), deterministic)
        assert "nan" in str(info.value)
    with pytest.raises(ValueError, match="inf"):
        p(np.array([np.inf, 0.0, 0.0]))
    mask = np.array([[True, False, True, False], [False, False, False, False]])
    with pytest.raises(ValueError, match="row 1"):
        p.act(obs[:1].repeat(2, axis=0), np.random.default_rng(0), False, mask)
    ok = p.act(obs[:1].repeat(2, axis=0), np.random.default_rng(0), True, mask[[0, 0]])
    assert set(ok.tolist()) <= {0, 2}
