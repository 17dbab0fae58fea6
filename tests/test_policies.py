"""NumPy policies: gradients, masks, save/load round trip and corrupt files."""

from __future__ import annotations

import json
import zipfile

import gymnasium as gym
import numpy as np
import pytest

from hbkit.train import LinearPolicy, MLPPolicy, PolicyFileError, base_reasoner, load_policy, make_policy


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
        load_policy(_write_npz(tmp_path / "shape.npz", W=np.zeros((4, 2)), b=np.zeros(2),
                               __metadata__=np.array(json.dumps(meta))))
    # non-finite weights
    with pytest.raises(PolicyFileError, match="non-finite"):
        load_policy(_write_npz(tmp_path / "nan.npz", W=np.full((3, 2), np.nan), b=np.zeros(2),
                               __metadata__=np.array(json.dumps(meta))))
    # future format version
    with pytest.raises(PolicyFileError, match="version 99"):
        load_policy(_write_npz(tmp_path / "v99.npz", W=np.zeros((3, 2)), b=np.zeros(2),
                               __metadata__=np.array(json.dumps({**meta, "version": 99}))))
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
