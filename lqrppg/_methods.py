"""The one registry of the unsupervised methods, by the name commands and pipelines use.

Light on purpose (no import of :mod:`lqrppg.baselines` until a class is asked for), so the
command line can list the names without loading scipy or scikit-learn.
"""

from __future__ import annotations

__all__ = ["BASELINES", "baseline_class"]

#: Unsupervised methods: name on the command line and in :func:`lqrppg.predict_video` ->
#: class name in :mod:`lqrppg.baselines`, in the order result tables list them. ``auto``
#: (:class:`lqrppg.baselines.Auto`) picks among the others per recording.
BASELINES = {
    "green": "GREEN",
    "chrom": "CHROM",
    "pos": "POS",
    "lgi": "LGI",
    "pbv": "PBV",
    "ica": "ICA",
    "omit": "OMIT",
    "auto": "Auto",
}


def baseline_class(name: str) -> type:
    """The class of the unsupervised method ``name`` (a key of :data:`BASELINES`)."""
    if name not in BASELINES:
        raise ValueError(f"unknown method {name!r}; expected one of {', '.join(BASELINES)}")
    from lqrppg import baselines

    return getattr(baselines, BASELINES[name])
