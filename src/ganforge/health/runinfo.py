"""What the detectors and remedies need to know about a run's config (recipe, loss, stabilisers, rates)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ganforge.losses import LOSSES


def _recipe(name: str):
    """The registered recipe class called ``name``, or None for a name this version does not know (an old run)."""
    from ganforge.recipes import RECIPES  # imported on use: recipes import health.signals

    return RECIPES.get(name) if isinstance(name, str) and name in RECIPES else None


def _source_is_image(name) -> bool:
    """Whether data source ``name`` declared images (True for names this version does not know)."""
    from ganforge.data.registry import SOURCES, source_trait

    return not isinstance(name, str) or name not in SOURCES or source_trait(name, "is_image")


@dataclass
class RunInfo:
    """A run's settings as the health checks see them; built from a config dict, so old runs' config.yaml works too."""

    recipe: str = "gan"
    loss: str = "nonsaturating"
    r1_gamma: float = 0.0
    diffaugment: str = ""
    instance_noise: float = 0.0
    real_label: float = 1.0
    d_spectral_norm: bool = False
    is_image: bool = True
    n_critic: int = 1
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    grad_clip: float = 0.0
    ema_decay: float = 0.0
    precision: str = "fp32"
    log_every: int = 50
    sample_every: int = 250

    # What the registered loss and recipe declare (losses.py:Loss, recipes/base.py:Recipe); unknown names: False.

    @property
    def wasserstein(self) -> bool:
        """A WGAN critic: unbounded scores, no real/fake threshold, a strong critic is intended."""
        return self._loss_says("wasserstein") or self._recipe_says("wasserstein")

    @property
    def saturating(self) -> bool:
        """G's loss flattens out when D wins (minimax)."""
        return self._loss_says("saturating")

    @property
    def smoothable(self) -> bool:
        """The loss has a ``real_label`` option (one-sided label smoothing)."""
        loss = self._loss()
        return loss is not None and "real_label" in {f.name for f in fields(loss)}

    @property
    def clips_weights(self) -> bool:
        return self._recipe_says("clips_weights")

    @property
    def has_gradient_penalty(self) -> bool:
        return self._recipe_says("has_gradient_penalty")

    def _loss(self):
        return LOSSES.get(self.loss) if isinstance(self.loss, str) and self.loss in LOSSES else None

    def _loss_says(self, trait: str) -> bool:
        return bool(getattr(self._loss(), trait, False))

    def _recipe_says(self, trait: str) -> bool:
        return bool(getattr(_recipe(self.recipe), trait, False))

    @classmethod
    def from_config(cls, cfg: dict | None) -> "RunInfo":
        """From ``Config.to_dict()`` or a run's config.yaml; missing keys keep the defaults."""
        cfg = cfg or {}
        recipe, model, train = cfg.get("recipe", {}) or {}, cfg.get("model", {}) or {}, cfg.get("train", {}) or {}
        name = recipe.get("name", "gan")
        default_loss = getattr(getattr(_recipe(name), "Options", None), "loss", "nonsaturating")  # the recipe's own
        return cls(
            recipe=name, loss=recipe.get("loss", default_loss), r1_gamma=float(recipe.get("r1_gamma", 0.0)),
            diffaugment=recipe.get("diffaugment", "") or "", instance_noise=float(recipe.get("instance_noise", 0.0)),
            real_label=float((recipe.get("loss_args") or {}).get("real_label", 1.0)),
            d_spectral_norm=bool((model.get("d") or {}).get("spectral_norm", False)),
            is_image=_source_is_image((cfg.get("data", {}) or {}).get("source")),
            n_critic=int(train.get("n_critic", 1)), lr_g=float((cfg.get("optim_g") or {}).get("lr", 2e-4)),
            lr_d=float((cfg.get("optim_d") or {}).get("lr", 2e-4)), grad_clip=float(train.get("grad_clip", 0.0)),
            ema_decay=float(train.get("ema_decay", 0.0)), precision=str(train.get("precision", "fp32")),
            log_every=int(train.get("log_every", 50)), sample_every=int(train.get("sample_every", 250)))
