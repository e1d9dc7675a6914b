"""``--net arch=cnn``: a small weight-normalised conv classifier (= SSL-GAN discriminator).

After the CIFAR-10 discriminator of Salimans et al. 2016 (weight-normalised
convs, leaky ReLU, a regulariser after every layer, global average pooling
to the features), scaled down for a 1-thread CPU.  With the default
``channels=[16, 32, 64]`` on 28x28 images::

    GaussianNoise(input_noise)                           # on [0, 1] pixels, training only
    WNConv3x3(-> 16)            lrelu                                # 28x28
    WNConv3x3(-> 32, stride 2)  lrelu  GaussianNoise(hidden_noise)   # 14x14
    WNConv3x3(-> 64, stride 2)  lrelu  GaussianNoise(hidden_noise)   # 7x7
    WNConv1x1(-> 64)            lrelu                                # the paper's NiN layer
    global average pool                                  -> features (N, 64)
    GaussianNoise(hidden_noise)  WNLinear(-> K)          -> logits (N, K)

Cost (ssl-gan step: 100 labelled + 100 unlabelled + 100 generated images,
1 thread, Intel Xeon): ~190 ms for [16, 32, 64], ~480 ms for [32, 64, 128],
against ~62 ms for the MLP; a baseline step ~41 / ~100 / ~21 ms.  The
default is the width that fits a few thousand steps in ~500 CPU s.

Why these pieces: convolutions share weights over positions, which a
clothing image (a shape at any small shift) rewards and a 784-input MLP
cannot learn from 1,000 labels.  Strided convs rather than pooling: the
downsampling is learned at no extra cost (the authors' code does the same).
No noise after the full-resolution conv: like the authors' dropout, the
noise comes after each downsampling (at 28x28 it drew half of all the noise,
~10% of an ssl-gan step, for the layer that matters least).
Weight norm with data-dependent init and per-sample Gaussian noise, not
batch norm, for the reason ``net.py`` gives (a sample's output must not
depend on the batch it sits in: ssl-gan sends real and fake images through
D as one batch).  Hidden scales stay at their init values as in ``net.py``,
so the pooled features stay bounded for feature matching.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganforge.classify.net import NETS, Classifier, GaussianNoise, NetSpec, WNLinear

LEAK = 0.2  # leaky ReLU slope of the authors' CIFAR discriminator


class WNConv2d(nn.Module):
    """Weight-normalised 2-D convolution y = conv(x, v) * g / ||v|| + b, per output channel.

    ``init_from(x)`` sets g and b so that batch x's pre-activations have mean 0 and std 1 per
    channel (over batch and positions), like ``WNLinear``; g is then fixed unless ``train_scale``.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, train_scale: bool = False) -> None:
        super().__init__()
        self.stride, self.padding = stride, kernel // 2
        self.v = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel) * 0.05)
        self.b = nn.Parameter(torch.zeros(c_out))
        if train_scale:
            self.g = nn.Parameter(torch.ones(c_out))
        else:
            self.register_buffer("g", torch.ones(c_out))

    def _conv(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, weight, stride=self.stride, padding=self.padding)

    def _v_norm(self) -> torch.Tensor:
        """||v|| per output channel, (C_out,)."""
        return self.v.flatten(1).norm(dim=1).clamp_min(1e-12)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the scale multiplies the (out,) channels of the output, not the (out, in, k, k) weights, as in WNLinear
        scale = self.g / self._v_norm()
        return torch.addcmul(self.b.view(1, -1, 1, 1), self._conv(x, self.v), scale.view(1, -1, 1, 1))

    @torch.no_grad()
    def init_from(self, x: torch.Tensor) -> torch.Tensor:
        """Data-dependent init on inputs x (B, C_in, H, W); returns the new outputs (B, C_out, H', W')."""
        t = self._conv(x, self.v / self._v_norm().view(-1, 1, 1, 1))
        mean, std = t.mean((0, 2, 3)), t.std((0, 2, 3)).clamp_min(1e-6)
        self.g.copy_(1.0 / std)
        self.b.copy_(-mean / std)
        return self(x)


@NETS.register("cnn")
class ConvClassifierNet(Classifier):
    """images (N, C, H, W) in [-1, 1] -> class logits (N, K): weight-normalised convs, global average pool."""

    SETTINGS = ("channels", "input_noise", "hidden_noise")
    # Far less noise than the MLP's 0.3 / 0.5, which cost this net 8 points (Fashion-MNIST, 1,000 labels,
    # seed 0, baseline at 800 steps: 70.8% at 0.3 / 0.5, 77.7% at 0.1 / 0.25, 78.8% at 0.05 / 0.15, 79.1%
    # at 0 / 0); a little is kept as D's regulariser for ssl-gan.  Fills what is not given (NetSpec.with_defaults).
    DEFAULTS = {"input_noise": 0.05, "hidden_noise": 0.15}

    def __init__(self, spec: NetSpec) -> None:
        super().__init__(spec)
        widths = [spec.in_channels, *[int(c) for c in spec.channels]]
        # the first conv keeps the resolution; every later one halves it (28 -> 14 -> 7)
        self.convs = nn.ModuleList(WNConv2d(a, b, 3, stride=1 if i == 0 else 2)
                                   for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])))
        self.nin = WNConv2d(widths[-1], widths[-1], 1)
        self.input_noise = GaussianNoise(spec.input_noise)
        # noise after each strided conv and before the head, none after the full-resolution conv (see above)
        self.noises = nn.ModuleList(GaussianNoise(spec.hidden_noise if i else 0.0) for i in range(len(self.convs) + 1))
        self.head = WNLinear(widths[-1], spec.num_classes, train_scale=True)

    def _layers(self, x: torch.Tensor, init: bool) -> torch.Tensor:
        """The conv body, (N, C, H, W) -> pooled features (N, channels[-1]); ``init``: data-dependent init on the way."""
        h = self.input_noise(self.pixels(x))
        for conv, noise in zip(self.convs, self.noises):
            h = noise(F.leaky_relu(conv.init_from(h) if init else conv(h), LEAK))
        h = F.leaky_relu(self.nin.init_from(h) if init else self.nin(h), LEAK)
        return h.mean((2, 3))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, channels[-1]): the pooled last conv layer, used for feature matching."""
        return self._layers(x, init=False)

    @torch.no_grad()
    def init_from(self, x: torch.Tensor) -> None:
        """Data-dependent weight-norm init from a batch of images (B, C, H, W), noise on (as ``ClassifierNet``)."""
        self.head.init_from(self.noises[-1](self._layers(x, init=True)))
