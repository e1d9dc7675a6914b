"""The standard remedies for each diagnosis, filtered by what the run already does.

Sources: soumith/ganhacks; Goodfellow et al. 2014 (non-saturating G loss);
Salimans et al. 2016 (one-sided label smoothing); Heusel et al. 2017 (TTUR);
Miyato et al. 2018 (spectral norm); Mescheder et al. 2018 (R1); Zhao et al.
2020 (DiffAugment); Sønderby et al. 2017 (instance noise); Gulrajani et al.
2017 (WGAN-GP).  Each remedy is a (applies(run), text(run)) pair so a run is
never told to turn on what it already uses; the first three that apply are
given, most effective first.
"""

from __future__ import annotations

from ganforge.health.runinfo import RunInfo

MAX_REMEDIES = 3


def _nonsaturating(r: RunInfo):
    return (r.saturating,
            "switch to the non-saturating G loss (recipe.loss=nonsaturating): the minimax loss stops teaching G once D wins")


def _balance_lr(r: RunInfo):
    return (r.lr_g > 2 * r.lr_d, f"G's learning rate is {r.lr_g / r.lr_d:.3g}x D's: a G that outruns D hops between "
            f"modes (Metz et al. 2017); lower optim_g.lr to {r.lr_d:.2g}")


def _lower_d_lr(r: RunInfo):
    return (True, f"lower D's learning rate (optim_d.lr={r.lr_d / 4:.2g}, now {r.lr_d:.2g}; G's is {r.lr_g:.2g})")


def _one_critic(r: RunInfo):
    return (r.n_critic > 1 and not r.wasserstein,
            f"train.n_critic=1 (now {r.n_critic}): several D steps per G step suit WGAN critics, not this loss")


def _r1(r: RunInfo):
    return (r.r1_gamma == 0 and not r.wasserstein, "add an R1 penalty on D: recipe.r1_gamma=10 (Mescheder et al. 2018)")


def _spectral_norm(r: RunInfo):
    return (not r.d_spectral_norm and not r.has_gradient_penalty,
            "spectral norm on D: model.d.spectral_norm=true, with TTUR optim_d.lr=4e-4 optim_g.lr=1e-4 (SNGAN)")


def _augment(r: RunInfo):
    if r.is_image:
        return (not r.diffaugment, "augment what D sees: recipe.diffaugment=color,translation,cutout (DiffAugment)")
    return (r.instance_noise == 0, "add instance noise to D's inputs: recipe.instance_noise=0.1 (annealed to 0)")


def _label_smoothing(r: RunInfo):
    return (r.smoothable and r.real_label == 1.0,
            "one-sided label smoothing: recipe.loss_args={real_label: 0.9}")


def _lower_both_lr(r: RunInfo):
    return (True, f"lower both learning rates 10x (optim_g.lr={r.lr_g / 10:.2g}, optim_d.lr={r.lr_d / 10:.2g})")


def _clip(r: RunInfo):
    return (r.grad_clip <= 0 or r.grad_clip > 1e3, "clip gradient norms: train.grad_clip=10")


def _fp32(r: RunInfo):
    return (r.precision in ("fp16", "bf16", "auto"), f"train in fp32 (train.precision=fp32, now {r.precision})")


def _wgan_gp(r: RunInfo):
    return (r.clips_weights, "replace weight clipping by a gradient penalty: recipe.name=wgan-gp")


def _ema(r: RunInfo):
    return (r.ema_decay == 0, "sample from an EMA of G: train.ema_decay=0.999")


def _raise_g_lr(r: RunInfo):
    return (True, f"give G a larger step than D (TTUR: optim_g.lr={r.lr_g * 2:.2g} or optim_d.lr={r.lr_d / 2:.2g})")


REMEDIES = {
    "mode_collapse": [_balance_lr, _nonsaturating, _wgan_gp, _augment, _r1, _spectral_norm, _lower_d_lr],
    "partial_collapse": [_balance_lr, _nonsaturating, _wgan_gp, _augment, _r1, _spectral_norm, _lower_d_lr],
    "d_overpowering": [_one_critic, _lower_d_lr, _augment, _label_smoothing, _r1],
    "g_not_learning": [_nonsaturating, _raise_g_lr, _r1, _spectral_norm],
    "divergence": [_lower_both_lr, _fp32, _clip, _r1, _spectral_norm],
    "oscillation": [_balance_lr, _r1, _spectral_norm, _ema, _lower_both_lr],  # hopping: Metz et al. 2017; cycling: R1
    "healthy": [],
}


def remedies_for(name: str, run: RunInfo) -> list[str]:
    """The first few remedies for diagnosis ``name`` that this run does not already use."""
    texts = []
    for remedy in REMEDIES.get(name, []):
        applies, text = remedy(run)
        if applies:
            texts.append(text)
    return texts[:MAX_REMEDIES]
