"""``gan-augment``: a conditional GAN trained on the labelled images adds labelled samples.

1. The labelled subset (and nothing else: the unlabelled images are *not*
   used) is written to a ``tensor-file`` data source and a conditional GAN is
   trained on it by the ordinary :class:`~ganforge.training.trainer.Trainer`
   with an existing recipe (``cgan`` by default, ``acgan`` with
   ``--set recipe=acgan``): a small conditional DCGAN with DiffAugment
   (translation + cutout; Zhao et al. 2020 show it is what makes GANs train on
   a few hundred images).  Its run directory is kept under the output folder.
2. ``generated_per_class`` samples per class are drawn once from its EMA
   generator (seeded, classes balanced).
3. The classifier is trained exactly like ``baseline`` except that every
   step's batch is ``batch_size`` augmented labelled images plus
   ``round(generated_ratio * batch_size)`` generated ones (default ratio 1:1,
   i.e. half of every batch is generated; the generated images get the same
   augmentation).

Why the labelled images only: the conditional recipes need a label for every
training image, and guessing labels for the unlabelled ones (pseudo-labels)
would be a different method.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ganforge.classify.base import METHODS, BatchSampler, Method
from ganforge.data.tensor_file import TENSOR_FILE_SOURCE, write_tensor_file
from ganforge.classify.net import ClassifierNet
from ganforge.data.base import class_blocks, to_uint8_images
from ganforge.errors import GanforgeError

INIT_BATCH = 500
GAN_PRESET = "mnist-cgan"  # the conditional DCGAN settings (nets, optimisers) the GAN starts from


@METHODS.register("gan-augment")
class GANAugment(Method):
    """Classifier trained on labelled + conditional-GAN samples of the labelled classes."""

    @dataclass
    class Options(Method.Options):
        recipe: str = "cgan"  # any conditional recipe (cgan, acgan, projection)
        gan_steps: int = 1500  # generator steps of the conditional GAN
        gan_batch: int = 64
        gan_width: int = 32  # DCGAN width of G and D
        z_dim: int = 64
        diffaugment: str = "translation,cutout"  # "" = off
        generated_per_class: int = 500  # size of the generated pool per class
        generated_ratio: float = 1.0  # generated images per labelled image in each batch

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        from ganforge.recipes import RECIPES
        from ganforge.recipes.base import conditional_recipes

        if opts.recipe not in RECIPES or not RECIPES.get(opts.recipe).conditional:
            raise GanforgeError(f"gan-augment needs a conditional recipe ({conditional_recipes()}), "
                                f"got {opts.recipe!r}.")
        if min(opts.gan_steps, opts.gan_batch, opts.gan_width, opts.z_dim, opts.generated_per_class) < 1:
            raise GanforgeError("gan-augment needs gan_steps, gan_batch, gan_width, z_dim and generated_per_class >= 1.")
        if opts.generated_ratio < 0:
            raise GanforgeError(f"generated_ratio must be >= 0, got {opts.generated_ratio}.")

    # ------------------------------------------------------------ the GAN

    def gan_config(self, data_file: Path, name: str):
        """The GAN's Config: GAN_PRESET's nets and optimisers, the chosen recipe with its own defaults."""
        from ganforge.presets import apply_overrides, config_from_dict, preset_dict

        o, steps = self.opts, self.opts.gan_steps
        values = {**preset_dict(GAN_PRESET), "name": name, "recipe": {"name": o.recipe}}
        overrides = [
            f"recipe.diffaugment={o.diffaugment!r}" if o.diffaugment else "recipe.diffaugment=''",
            f"data.source={TENSOR_FILE_SOURCE}", f"data.path={data_file}",
            f"model.z_dim={o.z_dim}", f"model.g.width={o.gan_width}", f"model.d.width={o.gan_width}",
            f"train.steps={steps}", f"train.batch_size={o.gan_batch}", f"train.seed={self.ctx.seed}",
            f"train.device={self.ctx.device}", "train.precision=fp32", "train.progress=false",
            f"train.log_every={max(1, steps // 10)}", f"train.sample_every={steps}", f"train.checkpoint_every={steps}",
            "train.keep_checkpoints=1", f"train.ema_decay={0.99 if steps < 5000 else 0.999}", "train.grid_size=100",
        ]
        return config_from_dict(apply_overrides(values, overrides))

    def train_gan(self, labelled_x: torch.Tensor, labelled_y: torch.Tensor, work_dir: Path):
        """Train the conditional GAN on the labelled subset; returns the loaded generator model."""
        from ganforge.model import load_generator
        from ganforge.training.trainer import Trainer

        data_file = write_tensor_file(work_dir / "labelled.safetensors", labelled_x, labelled_y, self.ctx.class_names)
        run_dir = work_dir / "gan"
        cfg = self.gan_config(data_file, "gan")
        self.log(f"gan-augment: training {self.opts.recipe} for {self.opts.gan_steps} steps on "
                 f"{len(labelled_x)} labelled images -> {run_dir}")
        Trainer(cfg, run_dir, overwrite=True).fit()
        return load_generator(run_dir, device=self.ctx.device)

    def generate(self, model, num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Balanced generated pool: (uint8 (K*n, C, H, W), int64 (K*n,))."""
        n = self.opts.generated_per_class
        labels = class_blocks(num_classes, n)
        images = to_uint8_images(model.sample(len(labels), seed=self.ctx.seed, labels=labels))
        return images, labels

    # ------------------------------------------------------------ the classifier

    def fit(self, labelled_x: torch.Tensor, labelled_y: torch.Tensor, unlabelled_x: torch.Tensor) -> ClassifierNet:
        del unlabelled_x  # not used: see the module docstring
        o = self.opts
        if self.ctx.work_dir is not None:
            work = Path(self.ctx.work_dir)
            work.mkdir(parents=True, exist_ok=True)
            gen_x, gen_y = self._generated(labelled_x, labelled_y, work)
        else:
            with tempfile.TemporaryDirectory(prefix="ganforge-gan-augment-") as tmp:
                gen_x, gen_y = self._generated(labelled_x, labelled_y, Path(tmp))
        self.generated = (gen_x, gen_y)  # kept for inspection

        gen, net, opt, avg = self.start(labelled_x, INIT_BATCH)
        real_sampler = BatchSampler(len(labelled_x), o.batch_size, gen)
        n_gen = round(o.generated_ratio * o.batch_size)
        gen_sampler = BatchSampler(len(gen_x), n_gen, gen) if n_gen else None
        net.train()
        for step in self.training_steps([opt]):
            x, y = self.labelled_batch(real_sampler, labelled_x, labelled_y)
            if gen_sampler is not None:
                xg, yg = self.labelled_batch(gen_sampler, gen_x, gen_y)
                x, y = torch.cat([x, xg]), torch.cat([y, yg])
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            avg.update(net)
            if self.log_every(step):
                self.log(f"gan-augment step {step + 1}/{self.total_steps}: loss {loss.item():.4f}")
        return avg.copy_to(net).eval()

    def _generated(self, labelled_x, labelled_y, work: Path) -> tuple[torch.Tensor, torch.Tensor]:
        model = self.train_gan(labelled_x, labelled_y, work)
        return self.generate(model, len(self.ctx.class_names))
