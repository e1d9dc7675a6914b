"""The trainer's GAN step is the textbook loop: same batches and latents in, the same weights out.

Issue 15 asked why a hand-written loop reached 80% high-quality toy2d samples
where the trainer reached ~70%.  Fed the same real batches and the same
latents, one ``Trainer.train_step`` (D update on fakes of the current G, then
a G update through the updated D, batch-norm statistics, linear lr decay,
fused Adam) must leave G and D exactly where the plain loop leaves them; the
gap was seed luck.  Any extra update, reordering, stray random draw or change
to the optimiser shows up here as a weight difference.
"""

import copy

import torch

from ganforge.losses import LOSSES
from ganforge.presets import load_config
from ganforge.training.trainer import Trainer


def test_train_step_equals_a_plain_gan_loop(tmp_path):
    steps, batch = 6, 32
    cfg = load_config("toy2d-grid25-nonsaturating", [
        "train.seed=0", "train.progress=false", "train.precision=fp32", f"train.batch_size={batch}",
        f"train.steps={steps}", "model.g.hidden=[16,16]", "model.d.hidden=[16,16]"], name="plain")
    cfg.out_dir = str(tmp_path)
    trainer = Trainer(cfg, overwrite=True)
    try:
        G, D = copy.deepcopy(trainer.G), copy.deepcopy(trainer.D)  # batch-norm G: running stats included
        opt_g = torch.optim.Adam(G.parameters(), lr=cfg.optim_g.lr, betas=tuple(cfg.optim_g.betas), fused=True)
        opt_d = torch.optim.Adam(D.parameters(), lr=cfg.optim_d.lr, betas=tuple(cfg.optim_d.betas), fused=True)
        loss = LOSSES.get("nonsaturating")()
        start = G.state_dict()["net.0.weight"].clone()
        reals, next_batch = [], trainer.batches.next

        def recording_next(device):
            out = next_batch(device)
            reals.append(out[0].clone())
            return out

        trainer.batches.next = recording_next
        for t in range(steps):
            rng = torch.get_rng_state()
            trainer.train_step()
            trainer.step += 1
            torch.set_rng_state(rng)  # the plain loop draws the same latents
            for opt, o in ((opt_g, cfg.optim_g), (opt_d, cfg.optim_d)):
                for group in opt.param_groups:
                    group["lr"] = o.lr * (1 - t / steps)  # schedule: linear
            with torch.no_grad():
                fake = G(torch.randn(batch, cfg.model.z_dim))
            opt_d.zero_grad()
            loss.d_loss(D(reals[-1]), D(fake)).backward()
            opt_d.step()
            D.requires_grad_(False)
            opt_g.zero_grad()
            loss.g_loss(D(G(torch.randn(batch, cfg.model.z_dim)))).backward()
            opt_g.step()
            D.requires_grad_(True)
        assert len(reals) == steps
        for ours, plain in ((trainer.G, G), (trainer.D, D)):
            for (name, a), b in zip(ours.state_dict().items(), plain.state_dict().values()):
                assert torch.allclose(a.float(), b.float(), rtol=0, atol=1e-6), name
        assert not torch.allclose(trainer.G.state_dict()["net.0.weight"], start)  # it trained
    finally:
        trainer.run.close()
