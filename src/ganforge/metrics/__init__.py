"""Sample-quality and mode-coverage metrics (the pure-maths layer).

Every function takes torch tensors or numpy arrays (converted once at the
boundary), computes in float64 where precision matters and returns plain
Python floats (or a dict of them). Feature extractors and the CLI sit on top
and decide what gets fed in (DESIGN.md, *Metrics*).

Registered in :data:`METRICS` (``METRICS.get(name)``):

======================  ==================================  ===========================================
name                    function                            returns
======================  ==================================  ===========================================
``fid``                 fid(feat_real, feat_fake)           float
``kid``                 kid(feat_real, feat_fake, ...)      kid_mean, kid_std
``pr``                  precision_recall(real, fake, k=3)   precision, recall
``dc``                  density_coverage(real, fake, k=5)   density, coverage
``prdc``                prdc(real, fake, k_pr=3, k_dc=5)    precision, recall, density, coverage
``is``                  inception_score(probs, splits=10)   is_mean, is_std
``classes``             class_metrics(fake_labels, K, ...)  class_coverage, class_kl
``modes``               toy2d_modes(points, centres, std)   modes_hit, modes_total, high_quality_rate
``stacked_mnist``       stacked_mnist_modes(digit_preds)    modes_hit, modes_total, kl
======================  ==================================  ===========================================

On top of the maths (imported lazily, as they load data and weights):

- :mod:`ganforge.metrics.extractor`: ``load_extractor(name_or_path)``,
  ``train_extractor(dataset, out_dir, ...)``: the committed domain
  classifiers (mnist, fashion-mnist) whose features the metrics use.
- :mod:`ganforge.metrics.inception`: ``load_inception(path)``, the standard
  FID Inception-v3 when its weights file is on disk.
- :mod:`ganforge.metrics.evaluate`: ``evaluate(model, data_cfg, ...)``
  (import it from there: ``ganforge.metrics.evaluate`` is the module),
  ``floor(data_cfg)``, ``evaluate_run(run_dir)``, ``format_table``,
  ``TrainingEvaluator``.
- :mod:`ganforge.metrics.commands`: ``add_commands(subparsers)`` for
  ``ganforge eval`` and ``ganforge metrics ...``.
"""

from ganforge.metrics.registry import METRICS
from ganforge.metrics.cas import classification_accuracy
from ganforge.metrics.classes import class_coverage, class_histogram, class_kl, class_metrics
from ganforge.metrics.fid import fid, frechet_distance, gaussian_stats
from ganforge.metrics.inception_score import inception_score
from ganforge.metrics.kid import kid
from ganforge.metrics.modes import stacked_mnist_modes, toy2d_modes
from ganforge.metrics.prdc import density_coverage, precision_recall, prdc

_LAZY = {
    "load_extractor": "extractor", "train_extractor": "extractor", "Extractor": "extractor",
    "load_inception": "inception",
    # not "evaluate": that name is the submodule ganforge.metrics.evaluate once imported
    "evaluate_run": "evaluate", "floor": "evaluate", "format_table": "evaluate",
    "TrainingEvaluator": "evaluate",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"ganforge.metrics.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'ganforge.metrics' has no attribute {name!r}")


__all__ = [
    "METRICS",
    "class_coverage",
    "class_histogram",
    "class_kl",
    "class_metrics",
    "classification_accuracy",
    "density_coverage",
    "fid",
    "frechet_distance",
    "gaussian_stats",
    "inception_score",
    "kid",
    "prdc",
    "precision_recall",
    "stacked_mnist_modes",
    "toy2d_modes",
]
