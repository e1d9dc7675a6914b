"""Walking the latent space: lerp / slerp, the truncation trick, seed-to-seed walks, latent grids.

Latents are z ~ N(0, I) of ``model.z_dim`` dimensions, drawn per seed on the
CPU by :meth:`GeneratorModel.latents`, so a seed is the same picture on every
machine.

*slerp* (the default) walks the great circle between two latents' directions
while their length changes linearly: for Gaussian z, whose norms concentrate
near sqrt(z_dim), the path stays where the generator was trained, whereas a
straight line (*lerp*) cuts through the low-norm middle of the ball, where
samples turn grey and blurry (White 2016, "Sampling Generative Networks").

*Truncation* (BigGAN, Brock et al. 2018): every component with |z_i| > psi is
redrawn until it lies in [-psi, psi].  Smaller psi = more typical, cleaner,
less varied images; psi around 2-3 barely changes anything.  See
:func:`truncate`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import torch

from ganforge.data.base import to_uint8_images
from ganforge.errors import GanforgeError
from ganforge.limits import check_truncation
from ganforge.model import truncate  # noqa: F401  (re-exported: ganforge.art.truncate)

if TYPE_CHECKING:
    from ganforge.model import GeneratorModel

# ---------------------------------------------------------------- interpolation


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Straight line: z0 (D,), z1 (D,), t (T,) -> (T, D)."""
    t = torch.as_tensor(t, dtype=torch.float64).reshape(-1, 1)
    out = (1 - t) * z0.double() + t * z1.double()
    return out.to(z0.dtype)


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Spherical: the direction moves along the great circle from z0 to z1, the length linearly.

    z0 (D,), z1 (D,), t (T,) -> (T, D).  For unit vectors this is the classic
    slerp (Shoemake 1985) and every point has norm 1; in general the norm
    goes linearly from |z0| to |z1|.  Nearly parallel (or opposite, where the
    great circle is undefined) latents fall back to a lerp of the directions.
    """
    t = torch.as_tensor(t, dtype=torch.float64).reshape(-1, 1)
    a, b = z0.double(), z1.double()
    na, nb = a.norm(), b.norm()
    if na == 0 or nb == 0:
        return lerp(z0, z1, t)
    ua, ub = a / na, b / nb
    omega = torch.arccos((ua * ub).sum().clamp(-1.0, 1.0))
    sin_omega = torch.sin(omega)
    if sin_omega < 1e-6:
        direction = (1 - t) * ua + t * ub
        direction = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-12)
    else:
        direction = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / sin_omega
    length = (1 - t) * na + t * nb
    return (direction * length).to(z0.dtype)


#: interpolation paths by name (the first is the default); `interpolate --mode` offers these.
MODES = {"slerp": slerp, "lerp": lerp}


def interpolate_latents(keys: torch.Tensor, steps: int, mode: str = "slerp", closed: bool = False) -> torch.Tensor:
    """Key latents (K, D) -> a path (F, D) through them, ``steps`` frames per leg.

    F = steps * (K - 1) + 1 (``closed``: steps * K, walking back to the first
    key and leaving out the repeat, so a looping GIF is seamless).  Frame
    ``i * steps`` is exactly key i (a copy, not a recomputation).
    """
    if mode not in MODES:
        raise GanforgeError(f"Unknown interpolation mode {mode!r}; choose one of: {', '.join(MODES)}.")
    if steps < 1:
        raise GanforgeError(f"Steps between seeds must be >= 1, got {steps}.")
    if len(keys) < 2:
        raise GanforgeError("Give at least two seeds to walk between, e.g. --seeds 1,7,42.")
    fn = MODES[mode]
    if closed:
        keys = torch.cat([keys, keys[:1]])
    t = torch.arange(steps, dtype=torch.float64) / steps  # 0 .. (steps-1)/steps: each leg's own start, not its end
    legs = []
    for z0, z1 in zip(keys[:-1], keys[1:]):
        leg = fn(z0, z1, t)
        leg[0] = z0  # exact: slerp's sin(w)/sin(w) may be 1 - 1e-16
        legs.append(leg)
    if not closed:
        legs.append(keys[-1:].clone())
    return torch.cat(legs)


def _labels(model: "GeneratorModel", n: int, label) -> torch.Tensor | None:
    """labels (n,) for a conditional model (a class must be chosen), None for an unconditional one."""
    if not getattr(model, "num_classes", 0):
        if label is not None:
            raise GanforgeError("This model is unconditional: it has no classes; leave the class out.")
        return None
    if label is None:
        names = model.class_names or [str(i) for i in range(model.num_classes)]
        raise GanforgeError(f"This model is conditional: choose a class (one of {', '.join(names)}).")
    return model.labels_for(n, label)


def render(model: "GeneratorModel", z: torch.Tensor, label=None, keys: Sequence[int] = ()) -> torch.Tensor:
    """Latents (F, D) -> uint8 images (F, C, H, W); frames ``keys`` rendered one by one.

    A convolution's result can differ in the last bit with the batch size, and
    that flips a pixel now and then; rendering key frames alone (as
    ``model.sample(1, seed)`` does) makes them pixel-identical to single samples.
    """
    if len(model.shape) != 3:
        raise GanforgeError("This model makes points, not images; walks and grids need an image model.")
    labels = _labels(model, len(z), label)
    frames = to_uint8_images(model.generate(z, labels) if labels is not None else model.generate(z))
    for i in keys:
        one = model.generate(z[i : i + 1], labels[i : i + 1]) if labels is not None else model.generate(z[i : i + 1])
        frames[i] = to_uint8_images(one)[0]
    return frames


def interpolate(model: "GeneratorModel", seeds: Sequence[int] = (1, 7, 42), steps: int = 60, mode: str = "slerp",
                truncation: float | None = None, closed: bool = False, label=None) -> torch.Tensor:
    """Walk from seed to seed: uint8 frames (F, C, H, W), F = steps * (len(seeds) - 1) + 1.

    Frame ``i * steps`` equals ``model.sample_images(1, seed=seeds[i], truncation=truncation)``
    pixel for pixel.  ``closed`` walks back to the first seed (F = steps * len(seeds)).
    ``label``: the class for a conditional model (kept for the whole walk).
    """
    seeds = [int(s) for s in seeds]
    truncation = check_truncation(truncation)
    keys = torch.cat([model.latents(1, s, truncation=truncation) for s in seeds])
    path = interpolate_latents(keys, steps, mode, closed)
    return render(model, path, label, keys=range(0, len(path), steps))


# ---------------------------------------------------------------- latent grid


def orthonormal_directions(seed: int, z_dim: int, k: int = 2) -> torch.Tensor:
    """k random orthonormal directions (k, z_dim) for a seed (QR of Gaussian draws).

    Drawn from the seed's stream after its first latent, so the directions are
    fixed by the seed and independent of the truncation.
    """
    if z_dim < k:
        raise GanforgeError(f"A latent grid needs z_dim >= {k}, this model has {z_dim}.")
    g = torch.Generator().manual_seed(seed)
    torch.randn(1, z_dim, generator=g)  # the seed's own latent: skip it
    q, r = torch.linalg.qr(torch.randn(z_dim, k, generator=g, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))  # unique QR: positive diagonal, so the result is deterministic
    return q.T.float()


def latent_grid_latents(z0: torch.Tensor, directions: torch.Tensor, n: int = 8, spread: float = 0.5) -> torch.Tensor:
    """(n * n, D) latents z0 + |z0| * spread * (a * d1 + b * d2), a (columns) and b (rows) in [-1, 1].

    With n odd the centre is exactly z0.
    """
    if not 1 <= n <= 32:
        raise GanforgeError(f"Grid size n must be between 1 and 32 (n x n images), got {n}.")
    if not (isinstance(spread, (int, float)) and math.isfinite(spread) and 0 <= spread <= 10):
        raise GanforgeError(f"Spread must be a number between 0 and 10 (0.5 is a good start), got {spread!r}.")
    steps = torch.linspace(-1.0, 1.0, n) if n > 1 else torch.zeros(1)
    b, a = torch.meshgrid(steps, steps, indexing="ij")  # rows vary b, columns vary a
    scale = z0.norm() * spread
    offsets = a.reshape(-1, 1) * directions[0] + b.reshape(-1, 1) * directions[1]
    z = z0 + scale * offsets
    if n % 2 == 1:
        z[(n * n) // 2] = z0
    return z


def latent_grid(model: "GeneratorModel", seed: int, n: int = 8, spread: float = 0.5,
                truncation: float | None = None, label=None) -> torch.Tensor:
    """uint8 images (n * n, C, H, W) around one seed, row-major for ``make_grid(nrow=n)``.

    The seed's latent (truncated if asked) is moved along two random
    orthonormal directions (from the seed) by up to ``spread`` times its own
    length; with n odd the centre image is ``model.sample(1, seed)`` exactly.
    """
    truncation = check_truncation(truncation)
    z0 = model.latents(1, seed, truncation=truncation)[0]
    z = latent_grid_latents(z0, orthonormal_directions(seed, model.z_dim), n, spread)
    return render(model, z, label, keys=[(n * n) // 2] if n % 2 == 1 else [])


# ---------------------------------------------------------------- conditional runs


def class_grid(model: "GeneratorModel", seeds: Sequence[int] = (0, 1, 2, 3), classes: Sequence | None = None,
               truncation: float | None = None) -> torch.Tensor:
    """Conditional runs: uint8 (len(seeds) * K, C, H, W), one row per seed, one column per class.

    Each row keeps the seed's latent and changes only the class, so style
    (stroke, pose, colour) stays while the class changes; lay it out with
    ``make_grid(images, nrow=K)``.  ``classes``: ids or names, default all.
    (:func:`class_morph` is the smooth version, through mixtures of classes.)
    """
    num_classes = int(getattr(model, "num_classes", 0) or 0)
    if not num_classes:
        raise GanforgeError("A class grid needs a conditional run (trained with classes); this model has none.")
    if len(model.shape) != 3:
        raise GanforgeError("This model makes points, not images; a class grid needs an image model.")
    truncation = check_truncation(truncation)
    classes = list(range(num_classes)) if classes is None else list(classes)
    if not classes or not seeds:
        raise GanforgeError("Give at least one seed and one class.")
    ids = [model.class_index(c) for c in classes]
    z = torch.cat([model.latents(1, int(s), truncation=truncation).expand(len(ids), -1) for s in seeds])
    labels = torch.tensor(ids * len(seeds), dtype=torch.long)
    return to_uint8_images(model.generate(z, labels))


def class_weights_path(ids: Sequence[int], num_classes: int, steps: int, closed: bool = False) -> torch.Tensor:
    """Class weights (F, K) moving linearly from class to class, F = steps * (len(ids) - 1) + 1.

    Row ``i * steps`` is exactly one-hot on ``ids[i]``; rows between mix two
    neighbours (each row sums to 1).  ``closed`` goes back to the first class.
    """
    if steps < 1:
        raise GanforgeError(f"steps must be >= 1, got {steps}.")
    onehots = torch.eye(num_classes)[list(ids) + ([ids[0]] if closed else [])]
    t = torch.arange(steps, dtype=torch.float32).unsqueeze(1) / steps  # (steps, 1), 0 <= t < 1
    legs = [(1 - t) * a + t * b for a, b in zip(onehots[:-1], onehots[1:])]
    if not closed:
        legs.append(onehots[-1:])
    return torch.cat(legs)


def class_morph(model: "GeneratorModel", seed: int, classes: Sequence, steps: int = 30,
                truncation: float | None = None, closed: bool = False) -> torch.Tensor:
    """Conditional runs: one seed's latent kept while the class changes smoothly: uint8 (F, C, H, W).

    The generator is given mixtures of class embeddings (class weights
    (F, K)), so a "3" melts into an "8" with the same stroke.  Frame
    ``i * steps`` equals ``model.sample_images(1, seed, labels=classes[i])``
    pixel for pixel.  F = steps * (len(classes) - 1) + 1 (+ 0 when closed:
    F = steps * len(classes)).
    """
    num_classes = int(getattr(model, "num_classes", 0) or 0)
    if not num_classes:
        raise GanforgeError("A class morph needs a conditional run (trained with classes); this model has none.")
    if len(model.shape) != 3:
        raise GanforgeError("This model makes points, not images; a class morph needs an image model.")
    ids = [model.class_index(c) for c in classes]
    if len(ids) < 2:
        raise GanforgeError(f"A class morph needs at least two classes, like 3,8; got {list(classes)!r}.")
    truncation = check_truncation(truncation)
    weights = class_weights_path(ids, num_classes, steps, closed)
    z = model.latents(1, int(seed), truncation=truncation).expand(len(weights), -1).contiguous()
    frames = to_uint8_images(model.generate(z, weights))
    for i in range(0, len(weights), steps):  # key frames alone and with the class id, as sample() makes them
        key = torch.tensor([ids[(i // steps) % len(ids)]], dtype=torch.long)
        frames[i] = to_uint8_images(model.generate(z[i : i + 1], key))[0]
    return frames
