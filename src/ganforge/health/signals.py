"""Health signals: cheap numbers that show how a GAN's training is going.

Two kinds:

- per step, on the device (:func:`d_signals`): what D says about a real and a
  fake batch.  They are returned as tensors and summed by the trainer on the
  device, so they add no host sync to the step; the trainer reads them once per
  log interval.
- per sample grid (:class:`SampleSpace`): diversity, class histogram and toy2d
  modes of the samples from the fixed latents, computed on the CPU when the
  trainer saves a sample grid anyway.
"""

from __future__ import annotations

import math

import torch

from ganforge.metrics.modes import toy2d_modes

MAX_PAIRWISE = 1000  # samples used for the mean pairwise distance: O(N^2) memory, stable to ~1% at 1000


def d_signals(real_logits: torch.Tensor, fake_logits: torch.Tensor, threshold: float = 0.0) -> dict[str, torch.Tensor]:
    """D's view of one real and one fake batch, as 0-d tensors on their device (no host sync).

    Args:
        real_logits: (B,) D's raw outputs on real samples.
        fake_logits: (B,) D's raw outputs on generated samples.
        threshold: the output value that separates "real" from "fake": 0 for
            logits (minimax, non-saturating, hinge), (a + b) / 2 for LSGAN's
            regression targets (0.5 for the 0-1 coding).  A WGAN critic has no
            such threshold: its acc_* then only say on which side of 0 the
            scores lie, and the detectors ignore them for wasserstein losses.

    Returns:
        ``acc_real`` = mean(real > threshold) and ``acc_fake`` = mean(fake <
        threshold): D's accuracy, ~0.5 at the DCGAN equilibrium, ~1 on both
        when D overpowers G (PyTorch DCGAN tutorial, "D(x), D(G(z))");
        ``sign_real`` = mean(sign(real - threshold)): ADA's overfitting
        heuristic r_t (Karras et al. 2020, logged by stylegan2-ada as
        Loss/signs/real; ADA targets 0.6, 1 means D separates every real);
        ``logit_real`` / ``logit_fake``: mean outputs (float32).
    """
    real = real_logits.detach().float().reshape(-1)
    fake = fake_logits.detach().float().reshape(-1)
    return {
        "acc_real": (real > threshold).float().mean(),
        "acc_fake": (fake < threshold).float().mean(),
        "sign_real": torch.sign(real - threshold).mean(),
        "logit_real": real.mean(),
        "logit_fake": fake.mean(),
    }


def mean_pairwise_distance(x: torch.Tensor) -> float:
    """Mean L2 distance over distinct pairs of rows of x (N, D); 0 for a constant set.

    The sample-diversity statistic of mode-collapse studies (e.g. the
    MS-SSIM / LPIPS "mean pairwise distance" of Odena et al. 2017 and the
    diversity term of DSGAN), taken in whatever feature space x lives in.
    """
    x = x[:MAX_PAIRWISE].double().flatten(1)
    n = len(x)
    if n < 2:
        return 0.0
    d = torch.cdist(x, x)  # (n, n), zero diagonal
    return float(d.sum() / (n * (n - 1)))


def kl_to_uniform(classes: torch.Tensor, num_classes: int) -> float:
    """KL(q || uniform) in nats of the histogram q of class ids (N,): 0 = all classes equal, log K = one class."""
    q = torch.bincount(classes.long(), minlength=num_classes).double()
    q = q / q.sum()
    nz = q > 0
    return max(0.0, float((q[nz] * (q[nz] * num_classes).log()).sum()))


def top_class(classes: torch.Tensor, num_classes: int) -> dict[str, float]:
    """Class ids (N,) -> {"health/top_class": the most frequent id, "health/top_share": its share of N}.

    Which mode the samples sit on, not only how many: a collapsed G that
    hops from mode to mode (Metz et al. 2017, fig. 1: the standard GAN on
    the ring of 8 visits one mode after another) keeps a high top share
    while its top class changes from check to check; a stable collapse keeps
    both.  The oscillation detector reads the sequence.
    """
    counts = torch.bincount(classes.long(), minlength=num_classes)
    top = int(counts.argmax())
    return {"health/top_class": float(top), "health/top_share": float(counts[top]) / max(len(classes), 1)}


class SampleSpace:
    """Where the sample signals of one data set are measured: features and (optional) classes.

    - images with a committed domain extractor (``ganforge.metrics``):
      its 128-d penultimate features, and its predicted class;
    - other images: raw pixels, no classes;
    - toy2d points: the points themselves; the class of a point is its
      nearest mixture centre, and modes are counted as in VEEGAN / PacGAN.

    The real data's mean pairwise distance is measured once (same N as the
    samples), so ``health/diversity`` is 1 for samples as varied as the data
    and 0 for a generator that outputs one sample.
    """

    def __init__(self, data, source: str, device="cpu", n_real: int = 512, seed: int = 0) -> None:
        self.centres, self.std = _centres(data)
        self.extractor = _extractor_for(source, data) if data.is_image else None
        self.num_classes = self._num_classes(data)
        g = torch.Generator().manual_seed(seed)
        index = torch.randperm(len(data), generator=g)[:n_real]
        # In-memory sources hold every sample in .x; a streaming folder decodes them one by one.
        raw = data.x[index] if hasattr(data, "x") else torch.stack([data[int(i)][0] for i in index])
        real = data.to_model(raw)
        self.real_spread = mean_pairwise_distance(self.features(real))

    def _num_classes(self, data) -> int:
        if self.centres is not None:
            return len(self.centres)
        return self.extractor.num_classes if self.extractor is not None else 0

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Samples (N, *shape) in model space -> (N, D) features."""
        if self.extractor is not None:
            return self.extractor.features(x)
        return x.float().flatten(1)

    def classes(self, x: torch.Tensor) -> torch.Tensor | None:
        """Samples (N, *shape) -> class ids (N,), or None where the space has no classifier."""
        if self.centres is not None:
            return torch.cdist(x.float(), self.centres).argmin(1)
        if self.extractor is not None:
            return self.extractor.probs(x).argmax(1)
        return None

    def signals(self, fake: torch.Tensor) -> dict[str, float]:
        """Samples (N, *shape) float in [-1, 1] (CPU) -> {"health/diversity", "health/class_kl", "health/modes", ...}."""
        fake = fake.detach().float().cpu()
        finite = bool(torch.isfinite(fake).all())
        if not finite:  # a diverged G: report it rather than crash on NaN distances
            return {"health/nonfinite_samples": 1.0}
        out = {"health/diversity": mean_pairwise_distance(self.features(fake)) / max(self.real_spread, 1e-12)}
        classes = self.classes(fake)
        if classes is not None:
            out["health/class_kl"] = kl_to_uniform(classes, self.num_classes)
            out["health/class_kl_max"] = math.log(self.num_classes)
            out.update(top_class(classes, self.num_classes))
        if self.centres is not None:
            modes = toy2d_modes(fake, self.centres, self.std)
            out["health/modes"] = modes["modes_hit"]
            out["health/modes_total"] = modes["modes_total"]
            out["health/high_quality"] = modes["high_quality_rate"]
        return out


def _centres(data) -> tuple[torch.Tensor | None, float]:
    """toy2d puts its mixture centres and std in ``data.info``; other sources have none."""
    if "centres" not in data.info:
        return None, 0.0
    return torch.tensor(data.info["centres"], dtype=torch.float32), float(data.info["std"])


def _extractor_for(source: str, data):
    """The committed extractor for ``source`` if its input fits the data's channels, else None (pixels)."""
    from ganforge.metrics.extractor import extractor_for_source, load_extractor  # heavy: images only

    name = extractor_for_source(source)
    if name is None:
        return None
    extractor = load_extractor(name)
    return extractor if extractor.in_channels == data.sample_shape[0] else None
