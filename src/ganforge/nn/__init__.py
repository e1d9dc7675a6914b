"""Layers shared by the architectures in ``ganforge.nets``."""

from ganforge.nn.init import dcgan_init
from ganforge.nn.layers import (NORMS, MinibatchStd, make_minibatch_std, make_norm, maybe_spectral_norm,
                                minibatch_std_features)

__all__ = ["NORMS", "MinibatchStd", "dcgan_init", "make_minibatch_std", "make_norm", "maybe_spectral_norm",
           "minibatch_std_features"]
