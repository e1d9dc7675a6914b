"""Layers shared by the architectures in ``ganforge.nets``."""

from ganforge.nn.init import dcgan_init
from ganforge.nn.layers import NORMS, make_norm, maybe_spectral_norm

__all__ = ["NORMS", "dcgan_init", "make_norm", "maybe_spectral_norm"]
