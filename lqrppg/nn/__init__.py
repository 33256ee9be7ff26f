"""Torch building blocks of LQ-rPPG: selective scan, Mamba blocks, losses, label quantizer.

This subpackage holds ``torch.nn`` modules and differentiable functions only; it knows
nothing of scikit-learn (the estimators in other subpackages wrap it).
"""

from lqrppg.nn._losses import (
    bpm_power_spectrum,
    frequency_cross_entropy,
    hybrid_loss,
    neg_pearson_loss,
)
from lqrppg.nn._mamba import (
    BiMambaBlock,
    MambaBlock,
    selective_scan,
    selective_scan_reference,
)
from lqrppg.nn._quantizer import (
    LabelQuantizerNet,
    PulseLabelEncoder,
    QuantizerOutput,
    ScalarEMAQuantizer,
)

__all__ = [
    "BiMambaBlock",
    "LabelQuantizerNet",
    "MambaBlock",
    "PulseLabelEncoder",
    "QuantizerOutput",
    "ScalarEMAQuantizer",
    "bpm_power_spectrum",
    "frequency_cross_entropy",
    "hybrid_loss",
    "neg_pearson_loss",
    "selective_scan",
    "selective_scan_reference",
]
