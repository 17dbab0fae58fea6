"""Why MaskablePPO settles on one fixed policy in the Team world: the numbers behind the
"Why MaskablePPO settles" paragraph of benchmarks/RESULTS.md (Team section).

    python benchmarks/team_ppo_diagnosis.py 40000     # MaskablePPO steps per run (two runs)

1. Observation scale, reward scale and episode length in the states the feedback manager visits.
2. Two short MaskablePPO runs (plain rewards, and rewards normalised by VecNormalize): value loss,
   explained variance and entropy at the start and the end, and the trained model evaluated both
   deterministically (argmax, as the tables do) and by sampling.
"""
import json
import sys
import time

import gymnasium as gym
import numpy as np

import hbkit  # noqa: F401
from hbkit.evaluate import evaluate
from hbkit.managers import available
from gymnasium.vector import AutoresetMode

SC = "hashiru"
out = {}
# 1. observation scale and rewards under the feedback manager (the states a good manager visits)
vec = gym.make_vec("hbkit/Team-v0", num_envs=256, vectorization_mode="vector_entry_point", scenario=SC,
                   autoreset_mode=AutoresetMode.DISABLED)
fb = available("hbkit/Team-v0")["feedback"](vec)
obs, info = vec.reset(seed=0)
O, R, L = [], [], np.zeros(256)
done = np.zeros(256, bool)
rets = np.zeros(256)
while not done.all():
    O.append(obs[~done]); a = fb(obs, info)
    obs, r, t, tr, info = vec.step(a)
    R.append(r[~done]); rets[~done] += r[~done]; L[~done] += 1; done |= t | tr
O = np.concatenate(O); R = np.concatenate(R)
names = vec.unwrapped.feature_names
mx = np.abs(O).max(0); sd = O.std(0)
out["obs_dim"] = O.shape[1]
out["obs_features_max_gt_5"] = {names[i]: float(mx[i]) for i in np.flatnonzero(mx > 5)}
out["obs_features_constant"] = int((sd < 1e-6).sum())
out["obs_abs_max"] = float(mx.max())
out["reward_step_mean"], out["reward_step_std"] = float(R.mean()), float(R.std())
out["reward_step_nonzero_share"] = float((R != 0).mean())
out["return_mean"], out["return_std"] = float(rets.mean()), float(rets.std())
out["episode_len_mean"], out["episode_len_min"], out["episode_len_max"] = float(L.mean()), float(L.min()), float(L.max())
out["gamma_0.99_weight_at_mean_len"] = float(0.99 ** L.mean())
out["feedback_features"] = sum(1 for n in names if n.startswith(("est[", "tried[")))
print(json.dumps(out, indent=1), flush=True)

# 2. a short MaskablePPO run: value loss, explained variance, entropy; deterministic vs sampled
from hbkit.train.team import train_maskable_ppo
from stable_baselines3.common.callbacks import BaseCallback
class Log(BaseCallback):
    def __init__(self): super().__init__(); self.rows = []
    def _on_step(self): return True
    def _on_rollout_start(self):
        v = self.model.logger.name_to_value
        if "train/value_loss" in v:
            self.rows.append({k.split("/")[1]: float(v[k]) for k in ("train/value_loss", "train/explained_variance", "train/entropy_loss", "train/approx_kl") if k in v})
for label, kw in [("default", {}), ("normalize_reward", {"normalize_reward": True})]:
    log = Log(); t0 = time.time()
    model = train_maskable_ppo(SC, total_timesteps=int(sys.argv[1]) if len(sys.argv) > 1 else 40_000, seed=0, progress=False, callback=log, **kw)
    det = evaluate(model, "hbkit/Team-v0", scenario=SC, episodes=300, seed=123, deterministic=True)
    sto = evaluate(model, "hbkit/Team-v0", scenario=SC, episodes=300, seed=123, deterministic=False)
    rows = log.rows
    print(label, f"{time.time()-t0:.0f}s", json.dumps({"first": rows[:2], "last": rows[-2:],
          "deterministic": [det["reward"], det["expense_spent"], det["hires"], det["fires"]],
          "sampled": [sto["reward"], sto["expense_spent"], sto["hires"], sto["fires"]]}), flush=True)
