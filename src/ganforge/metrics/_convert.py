"""Boundary conversion: torch tensors / numpy arrays / lists in, float64 out.

Every metric converts its inputs here once, so the maths below works on one
type and bad input gets one clear sentence (a :class:`GanforgeError`) rather
than a shape error deep inside numpy or torch.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError


def to_numpy(x, name: str, ndim: int | None = None) -> np.ndarray:
    """``x`` (tensor, array or nested list) as a float64 numpy array.

    Checks the number of dimensions and that every value is
    finite: NaN/inf features mean the generator (or extractor) diverged, and
    a metric computed from them would be meaningless.
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype == torch.bfloat16:  # numpy has no bfloat16
            x = x.float()
        x = x.numpy()
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise GanforgeError(f"{name} must be a tensor or array of numbers ({exc}).") from None
    if ndim is not None and arr.ndim != ndim:
        raise GanforgeError(
            f"{name} must have {ndim} dimensions but has shape {tuple(arr.shape)}; "
            f"reshape it (e.g. flatten features to (N, D))."
        )
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise GanforgeError(f"{name} must hold numbers, not {arr.dtype}.")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise GanforgeError(
            f"{name} contains NaN or inf values; check the generator has not diverged "
            f"before computing metrics."
        )
    return arr


def features(x, name: str, min_rows: int = 2) -> np.ndarray:
    """A (N, D) float64 feature matrix with at least ``min_rows`` rows."""
    arr = to_numpy(x, name, ndim=2)
    if arr.shape[0] < min_rows:
        raise GanforgeError(
            f"{name} has {arr.shape[0]} rows but this metric needs at least {min_rows}; "
            f"evaluate on more samples."
        )
    if arr.shape[1] < 1:
        raise GanforgeError(f"{name} has zero feature columns; check the feature extractor output.")
    return arr


def same_dim(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise GanforgeError(
            f"{name_a} has {a.shape[1]} features per sample but {name_b} has {b.shape[1]}; "
            f"use the same feature extractor for both sets."
        )


def labels(x, name: str, num_classes: int) -> np.ndarray:
    """Integer class ids (N,) from ids (N,) or scores/probabilities (N, K) (argmax)."""
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise GanforgeError(f"num_classes must be a positive integer, got {num_classes!r}.")
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim == 2:
        if arr.shape[1] != num_classes:
            raise GanforgeError(
                f"{name} has scores for {arr.shape[1]} classes but num_classes is {num_classes}; "
                f"pass matching num_classes."
            )
        arr = arr.argmax(axis=1)
    if arr.ndim != 1:
        raise GanforgeError(
            f"{name} must be class ids of shape (N,) or scores of shape (N, K), got shape {tuple(arr.shape)}."
        )
    if arr.size == 0:
        raise GanforgeError(f"{name} is empty; evaluate on at least one sample.")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise GanforgeError(f"{name} must hold integer class ids, got non-integer values.")
        arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= num_classes:
        raise GanforgeError(
            f"{name} holds class ids outside [0, {num_classes - 1}] (min {arr.min()}, max {arr.max()}); "
            f"check num_classes."
        )
    return arr.astype(np.int64, copy=False)
