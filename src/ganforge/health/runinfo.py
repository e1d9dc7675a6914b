"""What the detectors and remedies need to know about a run's config (recipe, loss, stabilisers, rates)."""

from __future__ import annotations

from dataclasses import dataclass

WASSERSTEIN_RECIPES = ("wgan", "wgan-gp")


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

    @property
    def wasserstein(self) -> bool:
        """A WGAN critic: unbounded scores, no real/fake threshold, a strong critic is intended."""
        return self.loss == "wasserstein" or self.recipe in WASSERSTEIN_RECIPES

    @classmethod
    def from_config(cls, cfg: dict | None) -> "RunInfo":
        """From ``Config.to_dict()`` or a run's config.yaml; missing keys keep the defaults."""
        cfg = cfg or {}
        recipe, model, train = cfg.get("recipe", {}) or {}, cfg.get("model", {}) or {}, cfg.get("train", {}) or {}
        name = recipe.get("name", "gan")
        default_loss = "wasserstein" if name in WASSERSTEIN_RECIPES else "nonsaturating"
        return cls(
            recipe=name, loss=recipe.get("loss", default_loss), r1_gamma=float(recipe.get("r1_gamma", 0.0)),
            diffaugment=recipe.get("diffaugment", "") or "", instance_noise=float(recipe.get("instance_noise", 0.0)),
            real_label=float((recipe.get("loss_args") or {}).get("real_label", 1.0)),
            d_spectral_norm=bool((model.get("d") or {}).get("spectral_norm", False)),
            is_image=(cfg.get("data", {}) or {}).get("source") != "toy2d",
            n_critic=int(train.get("n_critic", 1)), lr_g=float((cfg.get("optim_g") or {}).get("lr", 2e-4)),
            lr_d=float((cfg.get("optim_d") or {}).get("lr", 2e-4)), grad_clip=float(train.get("grad_clip", 0.0)),
            ema_decay=float(train.get("ema_decay", 0.0)), precision=str(train.get("precision", "fp32")),
            log_every=int(train.get("log_every", 50)), sample_every=int(train.get("sample_every", 250)))
