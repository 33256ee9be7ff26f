"""Label quantization of LQ-rPPG: contact-PPG labels to multi-level pseudo labels.

:class:`LabelQuantizer` trains one quantizer per level (label encoder + scalar codebook) on
the labels alone and turns labels into pseudo labels of 2, 4, ..., 32 codewords. It imports
torch.
"""

from ._label_quantizer import LabelQuantizer

__all__ = ["LabelQuantizer"]
