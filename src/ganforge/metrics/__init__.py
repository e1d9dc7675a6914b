"""Sample-quality and mode-coverage metrics (the pure-maths layer).

Every function takes torch tensors or numpy arrays (converted once at the
boundary), computes in float64 where precision matters and returns plain
Python floats (or a dict of them). Feature extractors and the CLI sit on top
and decide what gets fed in (docs/architecture.md, *Metrics*).

Every evaluable metric registers one :class:`~ganforge.metrics.registry.MetricSpec`
in :data:`METRICS` (``METRICS.get(name)``) next to its maths; the specs say
what each needs, where it applies and which way is better:

=================  ======================  ===========================================  ==========
name               module                  returns                                      default
=================  ======================  ===========================================  ==========
``fid``            fid.py                  fid                                          images, points
``inception-fid``  fid.py                  inception_fid (needs the Inception weights)  -
``kid``            kid.py                  kid_mean, kid_std                            images, points
``pr``             prdc.py                 precision, recall (k = 3)                    images, points
``dc``             prdc.py                 density, coverage (k = 5)                    images, points
``is``             inception_score.py      is_mean, is_std                              images
``classes``        classes.py              class_coverage, class_kl                     images, points
``confident``      confidence.py           confident, confident_classes, _real (p>=0.9) -
``modes``          modes.py                modes_hit, modes_total, high_quality_rate    points
``stacked_mnist``  modes.py                stacked_modes_hit, _total, stacked_kl        -
``class_acc``      conditional.py          class_acc (conditional models)               -
``intra_fid``      conditional.py          intra_fid, intra_fid/<class>                 -
``cas``            conditional.py          cas                                          -
``pixel``          translation.py          l1, psnr, ssim (aligned pairs)               pairs
``target_kid``     translation.py          target_kid, target_kid_std                   pairs
``cycle``          translation.py          cycle_l1 (two-way translators)               pairs
``content``        translation.py          content_acc, content_acc_untranslated        pairs
=================  ======================  ===========================================  ==========

The modules are imported below in table order: that order is the order of
the columns in every result (``registry.output_order``).

On top of the maths (imported lazily, as they load data and weights):

- :mod:`ganforge.metrics.extractor`: ``load_extractor(name_or_path)``;
  :mod:`ganforge.metrics.extractor_training`: ``train_extractor(dataset, out_dir, ...)``: the committed domain
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

from ganforge.metrics.registry import METRICS, MetricSpec, register_metric

# Importing the modules registers their specs, in table order.
from ganforge.metrics.fid import fid, frechet_distance, gaussian_stats
from ganforge.metrics.kid import kid
from ganforge.metrics.prdc import density_coverage, precision_recall, prdc
from ganforge.metrics.inception_score import inception_score
from ganforge.metrics.classes import class_coverage, class_histogram, class_kl, class_metrics
from ganforge.metrics.confidence import confident_classes, confident_fraction
from ganforge.metrics.modes import stacked_mnist_modes, toy2d_modes
from ganforge.metrics import conditional  # noqa: F401 -- class_acc, intra_fid, cas
from ganforge.metrics import translation  # noqa: F401 -- pixel, target_kid, cycle, content (pairs)

_LAZY = {
    "load_extractor": "extractor", "train_extractor": "extractor_training", "Extractor": "extractor",
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
    "MetricSpec",
    "class_coverage",
    "class_histogram",
    "class_kl",
    "class_metrics",
    "confident_classes",
    "confident_fraction",
    "density_coverage",
    "fid",
    "frechet_distance",
    "gaussian_stats",
    "inception_score",
    "kid",
    "prdc",
    "precision_recall",
    "register_metric",
    "stacked_mnist_modes",
    "toy2d_modes",
]
