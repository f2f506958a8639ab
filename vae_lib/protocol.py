"""How the series evaluates: ONE settings object, :data:`PROTOCOL`, read wherever a number is measured.

The zoo's manifest (:data:`vae_lib.zoo.EVALUATION` is its description in words, written from these fields), the
shared measures of :mod:`vae_lib.measures` (code spread, holes, the judge), the rate--distortion points of
:func:`vae_lib.metrics.rate_distortion` and the lecture app's captions all take their seeds, subset sizes and
thresholds from here, so that changing one changes it everywhere and nothing is retyped as a literal.

* ``seed``: the test set's one-time binarization seed and every evaluation generator's seed;
* ``subset``: the fixed test subset, the first ``subset`` = 1,000 test images (the manifest's ``subset1000``, the
  default number of images of an importance-weighted estimate, the rate--distortion points);
* ``active_threshold``: latent dimension j is *active* when Cov_x(E_q[z_j]) > 0.01;
* ``n_train``, ``n_test``, ``n_samples``, ``quantile``, ``threshold``, ``n_real``: the shared measures' codes,
  prior samples, hole quantile and the judge (see :mod:`vae_lib.measures`).

A notebook that departs from the protocol passes its own :class:`Protocol` (``dataclasses.replace(PROTOCOL, ...)``)
and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import validate

__all__ = ["PROTOCOL", "Protocol"]


@dataclass(frozen=True)
class Protocol:
    """The evaluation settings of the series (see the module's docstring); :data:`PROTOCOL` is the default."""

    seed: int = 0
    subset: int = 1000
    active_threshold: float = 0.01
    n_train: int = 10_000
    n_test: int = 10_000
    n_samples: int = 10_000
    quantile: float = 0.99
    threshold: float = 0.8
    n_real: int = 10_000

    def __post_init__(self) -> None:
        for name in ("subset", "n_train", "n_test", "n_samples", "n_real"):
            validate.count(getattr(self, name), name)
        validate.number(self.quantile, "quantile", minimum=0.0, maximum=1.0)
        validate.number(self.active_threshold, "active_threshold", minimum=0.0)
        if not 0.0 <= validate.number(self.threshold, "threshold") < 1.0:
            raise ValueError(f"threshold must lie in [0, 1); got {self.threshold}")
        validate.count(self.seed, "seed", minimum=0)


#: the one default protocol of the series
PROTOCOL = Protocol()
