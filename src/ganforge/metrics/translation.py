"""Metrics of image-to-image translation: pixel fidelity, realism, cycle consistency, content preservation.

Images are float tensors (N, C, H, W) in [-1, 1] (model space), compared in
[0, 1] (data range 1):

- :func:`l1`: mean absolute error in [0, 1] units.
- :func:`psnr`: 10 log10(1 / MSE) per image, averaged (dB; identical images are capped at 100 dB).
- :func:`ssim`: SSIM of Wang et al. 2004 with an 11x11 Gaussian window (sigma 1.5),
  K1 = 0.01, K2 = 0.03, "valid" windows only, averaged over channels and images
  (what ``skimage.metrics.structural_similarity(..., gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False, data_range=1)`` computes).
- :func:`accuracy`: top-1 accuracy, for content preservation: does a target-domain
  classifier still read *what* a translated image shows?

They are registered as metric specs for data of kind "pairs" (A|B packed
sources, ``data/paired.py``), so ``ganforge eval RUN`` on a pix2pix or CycleGAN
run loops over them like over any other spec.  :class:`Translations` is their
input: it translates the held-out source images of the run's data with the
model's first direction (and back, when the model has both) and hands
``{"outputs", "sources", "targets", "labels", "cycled", "view"}`` to the specs:

==============  ==========================================  ==========================================
spec            outputs                                     computed when
==============  ==========================================  ==========================================
``pixel``       l1, psnr, ssim                              the pairs are aligned (pix2pix data)
``target_kid``  target_kid, target_kid_std                  the target domain has a feature extractor
``cycle``       cycle_l1                                    the model translates both ways (CycleGAN)
``content``     content_acc, content_acc_untranslated       as target_kid, and the sources have labels
==============  ==========================================  ==========================================

A spec whose condition fails returns nothing and says why in the report's
``not_applicable``.  The target domain's extractor is the one the data source
declares (``data.paired.PAIRED_SOURCES``; e.g. Fashion-MNIST's, read after
un-inverting for the inverted domain: an exact classifier of that domain, since
inversion is a bijection), or the one given with ``--extractor``.  KID, not
FID: held-out sets here are a few thousand images, where FID is biased.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganforge.errors import GanforgeError
from ganforge.metrics.accuracy import top1 as accuracy  # content accuracy: top-1 of the class scores
from ganforge.metrics.inputs import Input, Setup, register_input
from ganforge.metrics.registry import PAIRS, MetricContext, MetricSpec, register_metric

SSIM_SIZE, SSIM_SIGMA, SSIM_K1, SSIM_K2 = 11, 1.5, 0.01, 0.03
PSNR_CAP = 100.0  # dB for identical images (MSE 0)


def _unit(x: torch.Tensor) -> torch.Tensor:
    """Model-space images [-1, 1] -> float64 [0, 1]."""
    return (x.double() + 1.0) / 2.0


def _same_shape(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape != b.shape or a.dim() != 4:
        raise GanforgeError(f"Translation metrics compare image batches of one shape (N, C, H, W), "
                            f"got {tuple(a.shape)} and {tuple(b.shape)}.")


def l1(output: torch.Tensor, target: torch.Tensor) -> float:
    """Mean |output - target| in [0, 1] units (lower is better)."""
    _same_shape(output, target)
    return float((_unit(output) - _unit(target)).abs().mean())


def psnr(output: torch.Tensor, target: torch.Tensor) -> float:
    """Mean over images of 10 log10(1 / MSE), in dB (higher is better)."""
    _same_shape(output, target)
    mse = (_unit(output) - _unit(target)).pow(2).flatten(1).mean(1)
    values = torch.where(mse > 0, 10.0 * torch.log10(1.0 / mse.clamp_min(1e-300)), torch.full_like(mse, PSNR_CAP))
    return float(values.clamp(max=PSNR_CAP).mean())


def gaussian_window(size: int = SSIM_SIZE, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """The normalised 2-d Gaussian (size, size), float64."""
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-coords**2 / (2 * sigma**2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def ssim(output: torch.Tensor, target: torch.Tensor) -> float:
    """Mean SSIM (Wang et al. 2004) over images and channels (higher is better, 1 = identical)."""
    _same_shape(output, target)
    if min(output.shape[-2:]) < SSIM_SIZE:
        raise GanforgeError(f"SSIM needs images of at least {SSIM_SIZE}x{SSIM_SIZE} pixels, got {tuple(output.shape[-2:])}.")
    x, y = _unit(output), _unit(target)
    c = x.shape[1]
    window = gaussian_window().expand(c, 1, SSIM_SIZE, SSIM_SIZE)
    blur = lambda t: F.conv2d(t, window, groups=c)  # noqa: E731 -- local Gaussian mean, valid windows only
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(index.mean())


# ----------------------------------------------------------------------------
# the input: held-out pairs, translated


def _translate(model, images: torch.Tensor, direction: str, batch_size: int) -> torch.Tensor:
    """(N, C, H, W) in [-1, 1] -> the model's translations (N, C, H, W), NaN/inf refused."""
    out = torch.cat([model.translate(chunk, direction) for chunk in images.split(batch_size)])
    if not torch.isfinite(out).all():
        raise GanforgeError("The translator produced NaN or inf values; it has diverged, so metrics are "
                            "meaningless. Evaluate an earlier checkpoint (--checkpoint step_NNNNNN).")
    return out


class _View:
    """A target-domain classifier: an extractor, read after un-inverting when the domain is inverted.
    ``view(x)`` -> (features (N, D), probabilities (N, K))."""

    def __init__(self, extractor, inverted: bool, batch_size: int) -> None:
        self.extractor, self.inverted, self.batch_size = extractor, inverted, batch_size

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.extractor(-x if self.inverted else x, self.batch_size)


@register_input
class Translations(Input):
    """Held-out pairs of a translation source, translated by the model (see the module docstring).

    real["translation"]: {"A", "B": (N, C, H, W) in [-1, 1], "labels": (N,) or None};
    fake["translation"]: {"outputs", "sources", "targets" (n, C, H, W), "labels" (n,) or None,
    "cycled" (n, C, H, W) or None, "view": a :class:`_View` or None, "aligned", "direction"}.
    """

    provides = ("translation",)
    applies_to = PAIRS
    from_model = True

    def __init__(self, setup: Setup) -> None:
        super().__init__(setup)
        from ganforge.data.paired import PAIRED_SOURCES, split_pair

        data = setup.data
        a, b = split_pair(data.to_model(data.x))
        self.real = {"translation": {"A": a, "B": b, "labels": data.y}}
        self.pairs = PAIRED_SOURCES.get(setup.data_cfg.source)  # aligned?, which classifier reads each domain
        self.extractor, self.device, self.batch_size = setup.extractor, setup.device, setup.batch_size
        self.info = {"n_real": len(a)}

    @classmethod
    def check_model(cls, model, metrics: list[str]) -> None:
        if not callable(getattr(model, "translate", None)) or not getattr(model, "directions", None):
            raise GanforgeError("Translation metrics need a translator (a pix2pix or CycleGAN run); "
                                "this model generates from latents, so evaluate it with fid, kid, pr, ...")

    def _view(self, side: str) -> _View | None:
        """The classifier of domain ``side``: --extractor when given, else the one the data source names."""
        from ganforge.metrics.extractor import Extractor, load_extractor

        if isinstance(self.extractor, Extractor) or self.extractor not in (None, "auto"):
            given = self.extractor if isinstance(self.extractor, Extractor) else load_extractor(self.extractor)
            return _View(given.to(self.device), False, self.batch_size)
        if side not in self.pairs.readers:
            return None
        name, inverted = self.pairs.readers[side]
        return _View(load_extractor(name, device=self.device), inverted, self.batch_size)

    def sample(self, model, n: int, seed: int) -> tuple[dict, int]:
        """Translate the first n held-out source images with the model's first direction (and back)."""
        self.check_model(model, [])
        direction = model.directions[0]
        source, target = direction[0], direction[-1]  # "AtoB" -> A, B
        real = self.real["translation"]
        sources, targets = real[source][:n], real[target][:n]
        outputs = _translate(model, sources, direction, self.batch_size)
        reverse = f"{target}to{source}"
        cycled = _translate(model, outputs, reverse, self.batch_size) if reverse in model.directions else None
        labels = real["labels"][:n] if real["labels"] is not None and source in self.pairs.labels_of else None
        return {"translation": {"outputs": outputs, "sources": sources, "targets": targets, "labels": labels,
                                "cycled": cycled, "view": self._view(target), "aligned": self.pairs.aligned,
                                "direction": direction}}, len(outputs)


# ----------------------------------------------------------------------------
# the specs


def _translation(ctx: MetricContext) -> dict:
    """The translated held-out set (see :class:`Translations`); its direction goes into the report."""
    t = ctx.fake["translation"]
    ctx.info["direction"] = t["direction"]
    return t


def _skip(ctx: MetricContext, name: str, why: str) -> dict[str, float]:
    """No numbers from spec ``name`` for this run; the report's ``not_applicable`` says why."""
    ctx.info.setdefault("not_applicable", {})[name] = why
    return {}


def _views(ctx: MetricContext, t: dict):
    """(real-target, output, untranslated-input) (features, probs) in the target domain's view, computed once."""
    view = t["view"]
    ctx.info["extractor"], ctx.info["extractor_sha256"] = view.extractor.name, view.extractor.sha256
    return ctx.once("translation_views", lambda: (view(t["targets"]), view(t["outputs"]), view(t["sources"])))


def _pixel(ctx: MetricContext) -> dict[str, float]:
    t = _translation(ctx)
    if not t["aligned"]:
        return _skip(ctx, "pixel", "the pairs are not aligned (unpaired data)")
    out, target = t["outputs"], t["targets"]
    return {"l1": l1(out, target), "psnr": psnr(out, target), "ssim": ssim(out, target)}


def _target_kid(ctx: MetricContext) -> dict[str, float]:
    from ganforge.metrics.kid import KID_SUBSET_SIZE, KID_SUBSETS, kid

    t = _translation(ctx)
    if t["view"] is None:
        return _skip(ctx, "target_kid", "no feature extractor for the target domain (give --extractor)")
    (real, _), (fake, _), _ = _views(ctx, t)
    size = min(KID_SUBSET_SIZE, len(real), len(fake))
    ctx.info["kid_subset_size"] = size
    scores = kid(real, fake, num_subsets=KID_SUBSETS, subset_size=size, seed=ctx.seed)
    return {"target_kid": scores["kid_mean"], "target_kid_std": scores["kid_std"]}


def _cycle(ctx: MetricContext) -> dict[str, float]:
    t = _translation(ctx)
    if t["cycled"] is None:
        return _skip(ctx, "cycle", "the model translates one way only")
    return {"cycle_l1": l1(t["cycled"], t["sources"])}


def _content(ctx: MetricContext) -> dict[str, float]:
    t = _translation(ctx)
    if t["view"] is None or t["labels"] is None:
        return _skip(ctx, "content", "needs class labels of the source images and a target-domain classifier")
    _, (_, out_probs), (_, in_probs) = _views(ctx, t)
    return {"content_acc": accuracy(out_probs, t["labels"]),
            "content_acc_untranslated": accuracy(in_probs, t["labels"])}


_NEEDS = {"needs": ("translation",), "applies_to": (PAIRS,), "default_for": (PAIRS,),
          "hint": "translation metrics score pix2pix / CycleGAN runs on paired data sources."}
register_metric(MetricSpec("pixel", _pixel, {"l1": "lower", "psnr": "higher", "ssim": "higher"}, **_NEEDS))
register_metric(MetricSpec("target_kid", _target_kid, {"target_kid": "lower", "target_kid_std": None}, **_NEEDS))
register_metric(MetricSpec("cycle", _cycle, {"cycle_l1": "lower"}, **_NEEDS))
register_metric(MetricSpec("content", _content, {"content_acc": "higher", "content_acc_untranslated": None}, **_NEEDS))
