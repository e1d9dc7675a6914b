"""The metric registry.

Every metric function in this package is registered here under a short name
(``fid``, ``kid``, ``pr``, ``dc``, ``prdc``, ``is``, ``classes``, ``modes``,
``stacked_mnist``) so the evaluation code can look one up by name::

    from ganforge.metrics import METRICS
    METRICS.get("fid")(feat_real, feat_fake)        # -> float

The registered objects are plain functions whose inputs differ by metric
(features, class probabilities, predicted labels, 2-D points); each one's
docstring gives the shapes. Wiring them to feature extractors is the caller's
job.
"""

from ganforge.registry import Registry

METRICS = Registry("metric")
