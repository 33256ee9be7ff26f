"""PhysNet (Yu et al., BMVC 2019): the 3-D CNN encoder-decoder baseline for rPPG.

The spatio-temporal encoder-decoder variant with max pooling and 'same' padding that the
rPPG-Toolbox benchmarks under the name PhysNet: a clip ``(batch, 3, T, H, W)`` in, one value
per frame ``(batch, T)`` out.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lqrppg.nn._checks import shape_of

__all__ = ["PhysNet"]


def _conv_block(
    c_in: int, c_out: int, kernel: tuple[int, int, int], factory: dict[str, Any]
) -> nn.Sequential:
    """Conv3d with 'same' padding -> BatchNorm3d -> ReLU."""
    padding = tuple(k // 2 for k in kernel)
    return nn.Sequential(
        nn.Conv3d(c_in, c_out, kernel, padding=padding, **factory),
        nn.BatchNorm3d(c_out, **factory),
        nn.ReLU(),
    )


def _upsample_block(channels: int, factory: dict[str, Any]) -> nn.Sequential:
    """Transposed convolution doubling the length of the time axis -> BatchNorm3d -> ELU."""
    return nn.Sequential(
        nn.ConvTranspose3d(
            channels, channels, (4, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0), **factory
        ),
        nn.BatchNorm3d(channels, **factory),
        nn.ELU(),
    )


class PhysNet(nn.Module):
    """PhysNet 3-D CNN encoder-decoder (Yu et al. 2019), rPPG-Toolbox layout.

    **Input**: a float clip ``(batch, 3, T, H, W)``, channels first, with T a multiple of 4
    (two temporal poolings by 2 are undone by two temporal upsamplings by 2) and H, W at least
    16 (four spatial poolings by 2).

    **Layers** (every convolution with 'same' padding, followed by BatchNorm3d and ReLU):
    conv 1x5x5, 3 -> 16; max-pool 1x2x2; convs 3x3x3 16 -> 32 -> 64; max-pool 2x2x2; two
    convs 3x3x3 64 -> 64; max-pool 2x2x2; two convs; max-pool 1x2x2; two convs; two
    transposed convolutions (kernel 4x1x1, stride 2x1x1, padding 1x0x0), each followed by
    BatchNorm3d and ELU, restoring T; average pooling to ``(T, 1, 1)``; a 1x1x1 convolution
    64 -> 1.

    Parameters
    ----------
    device, dtype : optional
        Where and in which dtype the parameters are created.

    Attributes
    ----------
    encoder : nn.Sequential
        From the input to the last 3-D convolution block, ``(batch, 64, T/4, H/16, W/16)``.
    decoder : nn.Sequential
        The two temporal upsampling blocks.
    head : nn.Conv3d
        The final 1x1x1 convolution to one channel.

    Notes
    -----
    768,577 parameters; 434.5 M multiply-accumulates per frame on a ``(1, 3, 160, 128, 128)``
    clip (``torch.utils.flop_counter.FlopCounterMode``).

    Examples
    --------
    >>> import torch
    >>> PhysNet()(torch.randn(1, 3, 8, 16, 16)).shape
    torch.Size([1, 8])
    """

    def __init__(self, *, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        f = {"device": device, "dtype": dtype}
        k3 = (3, 3, 3)
        self.encoder = nn.Sequential(
            _conv_block(3, 16, (1, 5, 5), f),
            nn.MaxPool3d((1, 2, 2), stride=(1, 2, 2)),
            _conv_block(16, 32, k3, f),
            _conv_block(32, 64, k3, f),
            nn.MaxPool3d((2, 2, 2), stride=2),
            _conv_block(64, 64, k3, f),
            _conv_block(64, 64, k3, f),
            nn.MaxPool3d((2, 2, 2), stride=2),
            _conv_block(64, 64, k3, f),
            _conv_block(64, 64, k3, f),
            nn.MaxPool3d((1, 2, 2), stride=(1, 2, 2)),
            _conv_block(64, 64, k3, f),
            _conv_block(64, 64, k3, f),
        )
        self.decoder = nn.Sequential(_upsample_block(64, f), _upsample_block(64, f))
        self.head = nn.Conv3d(64, 1, 1, **f)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map clips ``x`` of shape (batch, 3, T, H, W) to waveforms of shape (batch, T)."""
        ok = isinstance(x, torch.Tensor) and x.ndim == 5 and x.shape[1] == 3
        if ok:
            T, H, W = x.shape[2:]
            ok = T >= 4 and T % 4 == 0 and H >= 16 and W >= 16
        if not ok:
            raise ValueError(
                "expected a tensor of shape (batch, 3, T, H, W) with T a multiple of 4 and "
                f"H, W >= 16; got {shape_of(x)}"
            )
        if not x.is_floating_point():
            raise ValueError(f"expected a floating-point clip; got dtype {x.dtype}")
        T = x.shape[2]
        h = self.decoder(self.encoder(x))
        h = F.adaptive_avg_pool3d(h, (T, 1, 1))
        return self.head(h).reshape(x.shape[0], T)
