"""``baseline``: the classifier trained on the labelled images only, the number to beat.

Cross-entropy on augmented labelled batches (random shifts of up to 2 pixels;
horizontal flips too for clothes), the same network, optimiser, schedule and
number of steps as the other methods.  The unlabelled images are not used at
all (not even for the weight-norm initialisation, which uses labelled images).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganforge.classify.base import METHODS, BatchSampler, Method
from ganforge.classify.net import ClassifierNet

INIT_BATCH = 500  # images for the data-dependent weight-norm initialisation


@METHODS.register("baseline")
class Baseline(Method):
    """Supervised training on the labelled subset with ordinary augmentation."""

    def fit(self, labelled_x: torch.Tensor, labelled_y: torch.Tensor, unlabelled_x: torch.Tensor) -> ClassifierNet:
        del unlabelled_x  # the baseline uses labels only
        gen, net, opt, avg = self.start(labelled_x, INIT_BATCH)
        sampler = BatchSampler(len(labelled_x), self.opts.batch_size, gen)
        net.train()
        for step in self.training_steps([opt]):
            x, y = self.labelled_batch(sampler, labelled_x, labelled_y)
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            avg.update(net)
            if self.log_every(step):
                self.log(f"baseline step {step + 1}/{self.total_steps}: loss {loss.item():.4f}")
        return avg.copy_to(net).eval()
