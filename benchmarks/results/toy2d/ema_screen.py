"""Issue-15 round-5 screen: does an EMA of the batch-norm grid G end sharper, and are its BN statistics a handicap?

    python benchmarks/results/toy2d/ema_screen.py OUT.json 20000 0 --emas                  # the EMA screen (seed 0)
    python benchmarks/results/toy2d/ema_screen.py OUT.json 20000 0 optim_g.lr=0.001 optim_d.lr=0.001   # a setting

One training run of ``toy2d-grid25-nonsaturating`` (+ config overrides), scored every 10% of the run on
2,500 samples (PacGAN's rule, ``toy2d_modes``; latents of seed 10,000 + seed, as the benchmark).  An EMA
does not feed back into training, so with ``--emas`` several EMAs of G (``ganforge.training.ema.EMA``,
the trainer's own class, so its warm-up too) are kept side by side in the one run and each is scored
twice: with the batch-norm running statistics the trainer's EMA holds (copied from the live G), and
recalibrated — BN statistics recomputed as the exact mean over 20 batches of 512 fresh latents of the
EMA net's own batch statistics (the "standing statistics" of BigGAN / SWA's ``update_bn``).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from ganforge.data.toy2d import mode_centres
from ganforge.metrics.modes import toy2d_modes
from ganforge.model import seeded_latents
from ganforge.presets import load_config
from ganforge.training.ema import EMA
from ganforge.training.trainer import Trainer

PRESET = "toy2d-grid25-nonsaturating"


@torch.no_grad()
def recalibrated(g: torch.nn.Module, z_dim: int, batches: int = 20, batch_size: int = 512) -> torch.nn.Module:
    """A copy of G whose BN running statistics are the mean of its own batch statistics on fresh latents
    (``EMA.recalibrate``, the trainer's own standing statistics, with this screen's 20 batches of 512)."""
    copy_of_g = EMA(g, decay=0.0)  # the shadow: a deep copy, left untouched by training
    gen = torch.Generator().manual_seed(123)
    copy_of_g.recalibrate(lambda net: net(torch.randn(batch_size, z_dim, generator=gen)), batches=batches)
    return copy_of_g.shadow


def main() -> None:
    out, steps, seed, *rest = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:]
    with_emas = "--emas" in rest
    sets = [s for s in rest if s != "--emas"]
    torch.set_num_threads(1)
    cfg = load_config(PRESET, [f"train.seed={seed}", "train.progress=false", "train.precision=fp32", *sets],
                      name=Path(out).stem)
    every = steps // 10
    cfg.train.steps, cfg.train.checkpoint_every, cfg.train.sample_every = steps, steps, steps
    cfg.train.log_every, cfg.train.keep_checkpoints = every, 1
    centres, std = mode_centres("grid25")
    z, _ = seeded_latents(10_000 + seed, 2500, cfg.model.z_dim)

    @torch.no_grad()
    def score(g: torch.nn.Module) -> tuple[int, float, float]:
        was = g.training
        s = toy2d_modes(g.eval()(z), centres, std)
        g.train(was)
        return int(s["modes_hit"]), round(100 * s["high_quality_rate"], 1), round(s["reverse_kl"], 3)

    with tempfile.TemporaryDirectory() as tmp:
        cfg.out_dir = tmp
        trainer = Trainer(cfg, overwrite=True)
        G = trainer.recipe.nets["G"]
        emas = {"0.99": EMA(G, 0.99), "0.999": EMA(G, 0.999), "0.9999": EMA(G, 0.9999),
                "0.9999@50%": EMA(G, 0.9999, steps // 2)} if with_emas else {}
        res = {"preset": PRESET, "steps": steps, "seed": seed, "sets": sets, "scores": {}}
        train_step = trainer.train_step

        def step() -> None:  # the trainer's step, then the side EMAs, then a score every 10%
            train_step()
            for e in emas.values():
                e.update(G, trainer.step)
            if (trainer.step + 1) % every == 0:
                scores = {"live": score(G)}
                for name, e in emas.items():
                    scores[f"ema{name}"] = score(e.shadow)
                    scores[f"ema{name}+recal"] = score(recalibrated(e.shadow, cfg.model.z_dim))
                res["scores"][trainer.step + 1] = scores
                print(trainer.step + 1, scores, flush=True)

        trainer.train_step = step
        cpu = time.process_time()
        trainer.fit()
        res["cpu_seconds"] = time.process_time() - cpu
    Path(out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
