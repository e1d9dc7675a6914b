"""``ganforge classify``: GANs that improve image classification when labels are scarce.

Three methods on the same classifier network and the same labelled subset
(registered in :data:`METHODS`, one file each):

- ``baseline``: the classifier on the labelled images only, with shifts (and flips for clothes);
- ``ssl-gan``: the semi-supervised GAN of Salimans et al. 2016 (K-class
  discriminator, feature matching), on labelled + unlabelled images;
- ``gan-augment``: a conditional GAN (``cgan`` / ``acgan`` recipe) trained on
  the labelled images adds generated labelled samples.

Methods receive only ``(labelled_x, labelled_y, unlabelled_x)``; see
``data.py`` for how the labelled subset is chosen without reading the other labels.
"""

from ganforge.classify.base import METHODS, Context, Method, accuracy, options_for
from ganforge.classify.data import Augment, LabelledSplit, make_split, select_labelled
from ganforge.classify.experiment import RunResult, run_method, run_seeds, summarise
from ganforge.classify.model import ClassifierModel
from ganforge.classify.net import NETS, ClassifierNet, NetSpec, build_classifier

# Importing the modules registers the methods.
from ganforge.classify import baseline, gan_augment, ssl_gan  # noqa: E402,F401
from ganforge.classify import cnn  # noqa: E402,F401  (the 'cnn' classifier net)
from ganforge.classify import conv_generator  # noqa: E402,F401  (the 'conv' ssl-gan generator)

__all__ = ["METHODS", "NETS", "Augment", "ClassifierModel", "ClassifierNet", "Context", "LabelledSplit", "Method",
           "NetSpec", "RunResult", "accuracy", "build_classifier", "make_split", "options_for", "run_method", "run_seeds",
           "select_labelled", "summarise"]
