"""The labelled / unlabelled split, and the only code that looks at training labels.

Protocol (as in every semi-supervised GAN paper): a class-balanced set of
``n_labels`` training images keeps its labels; every training image (the
labelled ones included, as in Salimans et al.'s code) is also available as an
*unlabelled* image.  The training functions of the methods receive only
``(labelled_x, labelled_y, unlabelled_x)``: the unlabelled tensor carries no
labels, so a method cannot use a label it was not given.

How the balanced subset is chosen without reading every label: the pool is
walked in a seeded random order and labels are read *one at a time*, like an
annotator labelling images in random order and setting aside the extras of a
class whose quota is full; the walk stops as soon as every class has
``n_labels / K`` images.  So the labels read are the chosen ones plus those
few set-aside ones (typically a few dozen for 100 labels); the rest of the
pool's labels are never read (``tests/classify/test_no_label_leak.py`` checks
it with a recording label object).  The set-aside labels only decide
membership: they are not returned and no method sees them.

``labels`` only needs ``len(labels)`` and ``labels[i]`` for an int ``i``, so a
test can pass an object that records every index read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ganforge.augment import cutout as cutout_square
from ganforge.data.base import Dataset, from_uint8_images
from ganforge.data.registry import SOURCES, source_trait
from ganforge.errors import GanforgeError


@dataclass
class LabelledSplit:
    """What a method is trained on.

    labelled_x: uint8 (n, C, H, W); labelled_y: int64 (n,);
    unlabelled_x: uint8 (M, C, H, W), no labels.
    """

    labelled_x: torch.Tensor
    labelled_y: torch.Tensor
    unlabelled_x: torch.Tensor
    labelled_index: torch.Tensor = field(repr=False)  # indices into the training pool (n,)
    labels_read: int = 0  # labels the selection looked at (chosen + set aside)


def select_labelled(labels, num_classes: int, n_labels: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Balanced, seeded choice of ``n_labels`` indices of the pool.

    Returns (indices int64 (n,), their labels int64 (n,), labels read).
    Labels are read one at a time in the order ``randperm(len(labels))`` of
    a generator seeded with ``seed``; the walk stops when every class is full.
    """
    pool = len(labels)
    check_label_count(n_labels, num_classes, pool)
    quota = n_labels // num_classes
    order = torch.randperm(pool, generator=torch.Generator().manual_seed(int(seed)))
    counts = [0] * num_classes
    chosen, chosen_y, read, filled = [], [], 0, 0
    for i in order.tolist():
        label = int(labels[i])
        read += 1
        if not 0 <= label < num_classes:
            raise GanforgeError(f"Training image {i} has label {label}, outside 0-{num_classes - 1}; check the data set.")
        if counts[label] < quota:
            counts[label] += 1
            chosen.append(i)
            chosen_y.append(label)
            filled += counts[label] == quota
            if filled == num_classes:
                break
    else:
        short = [c for c in range(num_classes) if counts[c] < quota]
        raise GanforgeError(f"Class(es) {', '.join(map(str, short))} have fewer than {quota} training images; "
                            f"ask for fewer labels (--labels {num_classes * min(counts)} or less).")
    # Sorted by class then pool index: a stable order that does not depend on the walk.
    pairs = sorted(zip(chosen_y, chosen))
    return (torch.tensor([p[1] for p in pairs], dtype=torch.long),
            torch.tensor([p[0] for p in pairs], dtype=torch.long), read)


def check_label_count(n_labels: int, num_classes: int, pool: int) -> None:
    """Clear errors for a label count that cannot make a balanced subset of the pool."""
    if num_classes < 2:
        raise GanforgeError(f"Classification needs at least 2 classes, the data set has {num_classes}.")
    if n_labels < num_classes or n_labels % num_classes:
        raise GanforgeError(f"--labels must be a positive multiple of the number of classes ({num_classes}) so every "
                            f"class gets the same number, got {n_labels}; try {max(1, round(n_labels / num_classes)) * num_classes}.")
    if n_labels > pool:
        raise GanforgeError(f"--labels {n_labels} is more than the {pool} training images available; "
                            f"use at most {pool - pool % num_classes}.")


def num_classes_of(data: Dataset) -> int:
    """K from the class names (never from the labels: that would read all of them)."""
    if not data.class_names:
        raise GanforgeError(f"Data source {data.source!r} has no class names, so it cannot be used for classification; "
                            "use a labelled source (mnist, fashion-mnist, digits, a folder with class sub-folders).")
    return len(data.class_names)


def make_split(train: Dataset, n_labels: int, seed: int) -> LabelledSplit:
    """Choose the labelled subset of ``train`` and give back images without labels for the rest."""
    if not train.is_image:
        raise GanforgeError(f"Data source {train.source!r} gives points, not images; classify needs images.")
    if train.y is None:
        raise GanforgeError(f"Data source {train.source!r} is unlabelled; classify needs some labels.")
    index, y, read = select_labelled(train.y, num_classes_of(train), n_labels, seed)
    return LabelledSplit(labelled_x=train.x[index].contiguous(), labelled_y=y, unlabelled_x=train.x,
                         labelled_index=index, labels_read=read)


# ----------------------------------------------------------------------------
# augmentation for the classifier's labelled batches

# "Ordinary" augmentation per data set: random shifts everywhere; horizontal
# flips only where a mirrored image is still of the same class (the source declares
# mirror_invariant: clothes, not digits).
MAX_SHIFT = 2  # pixels


@dataclass
class Augment:
    """Random integer shifts (zero = background padding), optional horizontal flips, an
    optional random rotation + scaling (``rotate`` degrees, ``scale`` relative; 0 = off), and an
    optional cutout (a square of side ``cutout`` x the image side set to the background; 0 = off)."""

    max_shift: int = MAX_SHIFT
    flip: bool = False
    rotate: float = 0.0  # max |angle| in degrees of a random rotation about the centre; 0 = off
    scale: float = 0.0  # max |s - 1| of a random zoom s; 0 = off
    cutout: float = 0.0  # side of a background square at a random place, as a fraction of the image side; 0 = off

    @classmethod
    def for_source(cls, source: str) -> "Augment":
        return cls(MAX_SHIFT, source in SOURCES and source_trait(source, "mirror_invariant"))

    def __call__(self, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        """x float (B, C, H, W) in [-1, 1] -> augmented copy: flipped, rotated / zoomed, shifted, cut out
        (each only where its option is on)."""
        b = len(x)
        if self.flip:
            flip = torch.rand(b, generator=gen) < 0.5
            x = torch.where(flip.view(b, 1, 1, 1).to(x.device), x.flip(3), x)
        if self.rotate > 0 or self.scale > 0:
            x = self.rotate_and_scale(x, gen)
        x = self.shift(x, gen)
        return self.cut(x) if self.cutout > 0 else x

    def shift(self, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        """x float (B, C, H, W) -> each image moved by up to ``max_shift`` pixels each way.

        Pads with -1 (black, the background of MNIST-like data) and crops a random H x W window.
        """
        b, _, h, w = x.shape
        s = self.max_shift
        if s <= 0:
            return x
        padded = F.pad(x, (s, s, s, s), value=-1.0)
        dx = torch.randint(0, 2 * s + 1, (b,), generator=gen)
        dy = torch.randint(0, 2 * s + 1, (b,), generator=gen)
        rows = (dy.view(b, 1) + torch.arange(h).view(1, h)).to(x.device)  # (B, H)
        cols = (dx.view(b, 1) + torch.arange(w).view(1, w)).to(x.device)  # (B, W)
        idx_b = torch.arange(b, device=x.device).view(b, 1, 1)
        out = padded.permute(0, 2, 3, 1)[idx_b, rows.view(b, h, 1), cols.view(b, 1, w)]  # (B, H, W, C)
        return out.permute(0, 3, 1, 2).contiguous()

    def rotate_and_scale(self, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        """x float (B, C, H, W) in [-1, 1] -> each image rotated by U(-rotate, rotate) degrees and
        zoomed by U(1 - scale, 1 + scale) about its centre (bilinear; outside = -1, the background).

        Why: a digit written at a slant or a size the 100 labelled ones do not show is still the same
        digit; shifts alone do not ask the classifier for that.  No random numbers are drawn when
        both are 0, so runs without it repeat exactly.
        """
        b = len(x)
        angle = (torch.rand(b, generator=gen) * 2 - 1) * (self.rotate * torch.pi / 180)
        zoom = 1 + (torch.rand(b, generator=gen) * 2 - 1) * self.scale
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom  # output -> input coordinates
        zero = torch.zeros(b)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)  # (B, 2, 3)
        grid = F.affine_grid(theta.to(x), list(x.shape), align_corners=False)
        # sample x + 1 with zero padding, then subtract 1: the padding becomes -1 (background), not grey
        return F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1

    def cut(self, x: torch.Tensor) -> torch.Tensor:
        """x float (B, C, H, W) in [-1, 1] -> a (cutout*H, cutout*W) square per image set to -1 (the background).

        FixMatch's cutout (Sohn et al. 2020; DeVries & Taylor 2017): the centre is uniform over the image
        (the square is clipped at the border), so the square hides part of the digit or none of it.  Why:
        the student must name the class the teacher gave the whole digit from what is left, so it cannot
        lean on one stroke.  The square is ``ganforge.augment.cutout``'s (DiffAugment's), applied to x + 1
        so that its zeros become -1; it draws from torch's global generator, as the labelled batches do.
        Measured (BENCHMARKS.md, issue 15 round 3): cutout=0.5 cost ssl-gan about 2 points on MNIST with
        100 labels (94.5 / 94.3% on seeds 0 / 1); a likely reason: a 14 x 14 square is half a digit.
        """
        return cutout_square(x + 1, self.cutout) - 1

    def to_dict(self) -> dict:
        return {"max_shift": self.max_shift, "flip": self.flip, "rotate": self.rotate, "scale": self.scale,
                "cutout": self.cutout}


to_model = from_uint8_images  # uint8 images -> float in [-1, 1] (one home: ganforge.data.base)


__all__ = ["Augment", "LabelledSplit", "check_label_count", "make_split", "select_labelled", "to_model"]
