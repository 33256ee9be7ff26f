"""Torch building blocks of LQ-rPPG: selective scan, Mamba blocks, losses, label quantizer,
C2F network, PhysNet.

This subpackage holds ``torch.nn`` modules and differentiable functions only; it knows
nothing of scikit-learn (the estimators in other subpackages wrap it).
"""

from lqrppg.nn._c2f import (
    C2FNet,
    C2FOutput,
    rescale_attention_mask,
    soft_reconstruct,
    temporal_difference_stack,
)
from lqrppg.nn._losses import (
    bpm_power_spectrum,
    frequency_cross_entropy,
    hybrid_loss,
    neg_pearson_loss,
)
from lqrppg.nn._mamba import (
    BiMambaBlock,
    MambaBlock,
    auto_chunk_size,
    selective_scan,
    selective_scan_reference,
)
from lqrppg.nn._physnet import PhysNet
from lqrppg.nn._quantizer import (
    LabelQuantizerNet,
    PulseLabelEncoder,
    QuantizerOutput,
    ScalarEMAQuantizer,
)

__all__ = [
    "BiMambaBlock",
    "C2FNet",
    "C2FOutput",
    "LabelQuantizerNet",
    "MambaBlock",
    "PhysNet",
    "PulseLabelEncoder",
    "QuantizerOutput",
    "ScalarEMAQuantizer",
    "auto_chunk_size",
    "bpm_power_spectrum",
    "frequency_cross_entropy",
    "hybrid_loss",
    "neg_pearson_loss",
    "rescale_attention_mask",
    "selective_scan",
    "selective_scan_reference",
    "soft_reconstruct",
    "temporal_difference_stack",
]
