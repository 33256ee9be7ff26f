"""Unsupervised rPPG methods with a scikit-learn interface.

Every estimator takes mean RGB traces of shape (n_series, T, 3) or video clips of shape
(n_clips, T, H, W, 3) (averaged over H, W), returns a pulse waveform of shape
(n_series, T) from :meth:`predict` and heart rates in bpm from ``predict_hr`` (through
:func:`lqrppg.signal.estimate_hr`, the evaluation chain used everywhere). They learn
nothing: ``fit`` validates and returns the estimator, and ``predict`` works unfitted.

``predict`` returns each method's own output as its publication defines it - including
the band-pass that CHROM and ICA apply as part of the method, but not the detrending and
band-pass that evaluation adds, which ``predict_hr`` applies once for every method.

Signs differ between methods, as published: GREEN, POS, LGI, PBV, OMIT and ICA (whose
sign is fixed to agree with the green trace) follow the reflected skin intensity, which
falls when blood volume rises; CHROM is inverted (it rises with blood volume).

| class | method | reference |
|---|---|---|
| GREEN | green-channel trace | Verkruysse 2008 |
| CHROM | chrominance, Hann-windowed overlap-add | de Haan 2013 |
| POS | plane orthogonal to skin, 1.6 s windows | Wang 2017 |
| LGI | local group invariance projection | Pilz 2018 |
| PBV | blood-volume-pulse signature | de Haan 2014 |
| ICA | JADE / FastICA, spectral-peak selection | Poh 2010 |
| OMIT | QR-based orthogonal projection | Casado 2023 |
| Auto | the usable channel or method above with the best SNR, per series | - |

``BaseRPPG`` is their common base class, ``spatial_mean`` the video-to-trace averaging
they share and ``channel_problems`` the check for constant or clipped colour channels, on
which a method that needs the channel declines with the reason. ``predict_quality`` gives
each heart rate with its SNR and confidence label (:class:`lqrppg.signal.HREstimate`).
"""

from ._auto import Auto
from ._base import BaseRPPG, channel_problems, spatial_mean
from ._chrom import CHROM
from ._green import GREEN
from ._ica import ICA
from ._lgi import LGI
from ._omit import OMIT
from ._pbv import PBV
from ._pos import POS

__all__ = [
    "CHROM",
    "GREEN",
    "ICA",
    "LGI",
    "OMIT",
    "PBV",
    "POS",
    "Auto",
    "BaseRPPG",
    "channel_problems",
    "spatial_mean",
]
