"""Coarse-to-fine (C2F) rPPG network of LQ-rPPG: fusion stem, bidirectional Mamba, soft heads.

A clip ``(batch, 3, T, H, W)`` (channels first, the layout of the rPPG-Toolbox models) goes
through

- a per-frame two-branch stem (as in RhythmMamba): the frame itself and the four temporal
  differences around it, fused to ``dim / 4`` channels at ``H / 8 x W / 8``; a 3-D
  convolution to ``dim`` channels; a self-attention mask; a spatial mean, giving one token of
  ``dim`` channels per frame, plus a learned positional embedding over time;
- ``n_blocks`` bidirectional Mamba blocks, each followed by a scalar head whose output is
  softly reconstructed through that level's codebook and projected back into the token
  stream (cumulatively: every later block also receives the projections of all earlier
  levels);
- a 1-D convolutional predictor whose output is softly reconstructed through the finest
  codebook: the rPPG waveform.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from lqrppg._validation import check_int
from lqrppg.nn._checks import ARCHITECTURES, check_architecture, shape_of
from lqrppg.nn._mamba import BiMambaBlock

__all__ = [
    "ARCHITECTURES",
    "C2FNet",
    "C2FOutput",
    "rescale_attention_mask",
    "soft_reconstruct",
    "temporal_difference_stack",
]


class C2FOutput(NamedTuple):
    """Result of :meth:`C2FNet.forward`; every sequence has shape (batch, T).

    Attributes
    ----------
    output : torch.Tensor
        The final waveform, ``heads[-1]`` (not standardised).
    heads : list of torch.Tensor
        Soft reconstructions ``s_1 .. s_{n_blocks + 1}``, coarse to fine, the last from the
        predictor. Without codebooks they equal ``raw_heads``.
    raw_heads : list of torch.Tensor
        Head outputs ``y_1 .. y_{n_blocks + 1}`` before soft reconstruction.
    """

    output: torch.Tensor
    heads: list[torch.Tensor]
    raw_heads: list[torch.Tensor]


def soft_reconstruct(y: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Soft reconstruction of scalars ``y`` through a codebook of K scalar codewords.

    ``p_k = softmax_k(-|y - c_k|)`` and the result is ``sum_k p_k c_k``: a convex
    combination of the codewords, so it lies in ``[min(c), max(c)]``, and it tends to the
    nearest codeword as ``y`` approaches it while the others are far (distances are in units
    of the codebook values; the temperature is 1).

    Parameters
    ----------
    y : torch.Tensor
        Values of any shape.
    codebook : torch.Tensor of shape (K,)
        Codewords. The computation runs in ``y``'s dtype, or float32 when that is a
        half-precision type.

    Returns
    -------
    torch.Tensor
        Same shape as ``y``.

    Examples
    --------
    >>> import torch
    >>> c = torch.tensor([-10.0, 0.0, 10.0])
    >>> soft_reconstruct(torch.tensor([10.0, 0.0]), c).round(decimals=3)
    tensor([10.,  0.])
    """
    if not isinstance(y, torch.Tensor) or not y.is_floating_point():
        raise ValueError(f"y must be a floating-point tensor; got {shape_of(y)}")
    if not isinstance(codebook, torch.Tensor) or codebook.ndim != 1 or codebook.numel() < 1:
        raise ValueError(
            f"codebook must be a non-empty tensor of shape (K,); got {shape_of(codebook)}"
        )
    # float16/bfloat16 (autocast) values are reconstructed in float32 and cast back
    dtype = torch.promote_types(y.dtype, torch.float32)
    c = codebook.to(device=y.device, dtype=dtype)
    p = torch.softmax(-(y.to(dtype).unsqueeze(-1) - c).abs(), dim=-1)
    return (p * c).sum(-1).to(y.dtype)


#: Pixels (frames x H x W) of one piece of the stem in eval mode (see C2FNet._stem).
_STEM_PIXELS = 32 * 128 * 128


def _frame_differences(frames: torch.Tensor, channel_dim: int) -> torch.Tensor:
    """The differences of frames t-2 .. t+2 of ``frames`` (time on axis 1), stacked on
    ``channel_dim``: ``(batch, T, ..., C, ...)`` to ``(batch, T, ..., 4 C, ...)``."""
    T = frames.shape[1]
    # replicate the first and last frames beyond the clip's edges; differencing the padded
    # clip once and taking four shifted views keeps memory at about 5 clips, not 9
    padded = torch.cat([frames[:, :1], frames[:, :1], frames, frames[:, -1:], frames[:, -1:]], 1)
    diffs = padded[:, 1:] - padded[:, :-1]  # diffs[:, j] = x[j - 1] - x[j - 2], clamped
    return torch.cat([diffs[:, k : k + T] for k in range(4)], dim=channel_dim)


def _stem_forward(block: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """A stem block (convolution, BatchNorm, ReLU, pool) with its output made contiguous.

    The convolution may run on a channels-last input; its output is turned channels-first
    before the BatchNorm, because torch's CPU BatchNorm computes the batch statistics of a
    channels-last tensor far less accurately (forward relative error 5e-5 against 2e-7
    measured on (1280, 8, 16, 16) float32 activations). In a training step its effect on the
    gradients is small (stem 1.9e-5 from float64 against 1.6e-5, once every max-pool window
    is won by float64's element); the 1e-3 differences seen at first came from max-pool
    windows whose two largest values lie within float32 rounding of each other, won by
    another element than in float64 (docs/benchmarks/training_step_check.md).
    """
    out = block[0](x).contiguous()
    for layer in block[1:]:
        out = layer(out)
    return out


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    """A contiguous (N, H, W, C) tensor as the (N, C, H, W) view torch's 2-D layers take."""
    return x.permute(0, 3, 1, 2)


def temporal_difference_stack(x: torch.Tensor) -> torch.Tensor:
    """The four frame differences around every frame, the input of the stem's branch B.

    With ``x_s`` frame ``s`` and indices outside ``0 .. T-1`` replaced by the nearest edge
    frame, the channels at frame ``t`` are ``x_{t-1} - x_{t-2}``, ``x_t - x_{t-1}``,
    ``x_{t+1} - x_t`` and ``x_{t+2} - x_{t+1}``, in that order, each with the C channels of
    the frame.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, C, T, H, W)

    Returns
    -------
    torch.Tensor of shape (batch, 4 C, T, H, W)

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(4.0).reshape(1, 1, 4, 1, 1)  # frames 0, 1, 2, 3
    >>> temporal_difference_stack(x)[0, :, :, 0, 0]
    tensor([[0., 0., 1., 1.],
            [0., 1., 1., 1.],
            [1., 1., 1., 0.],
            [1., 1., 0., 0.]])
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 5:
        raise ValueError(f"expected a tensor of shape (batch, C, T, H, W); got {shape_of(x)}")
    return _frame_differences(x.transpose(1, 2), 2).transpose(1, 2)


def rescale_attention_mask(mask: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Rescale a positive mask so that it sums to ``H W / 2`` over its last two axes.

    ``mask * H * W / (2 * sum_{h, w} mask)``, the normalisation of the attention masks of
    DeepPhys, EfficientPhys and RhythmMamba: a mask of sigmoids, whose values average 1/2
    when uninformative, keeps that average whatever it attends to.

    Parameters
    ----------
    mask : torch.Tensor of shape (..., H, W)
        Non-negative values (e.g. sigmoids).
    eps : float, default=1e-8
        Added to the sum, against division by zero.

    Returns
    -------
    torch.Tensor
        Same shape as ``mask``.

    Examples
    --------
    >>> import torch
    >>> m = rescale_attention_mask(torch.rand(2, 3, 4, 4))
    >>> torch.allclose(m.sum((-2, -1)), torch.full((2, 3), 8.0))
    True
    """
    if not isinstance(mask, torch.Tensor) or mask.ndim < 2:
        raise ValueError(f"mask must be a tensor of shape (..., H, W); got {shape_of(mask)}")
    h, w = mask.shape[-2:]
    return mask * (0.5 * h * w) / (mask.sum(dim=(-2, -1), keepdim=True) + eps)


def _stem_block(
    c_in: int, c_out: int, stride: int, authors: bool, factory: dict[str, Any]
) -> nn.Sequential:
    """Conv 7x7 -> BatchNorm -> ReLU -> max-pool halving H, W.

    Ours: no convolution bias (BatchNorm follows and cancels it) and a 3x3 pool of stride 2
    (RhythmMamba's). The authors' release: a bias and a 2x2 pool of stride 2 (the same output
    size on even H, W).
    """
    pool = nn.MaxPool2d(2, stride=2) if authors else nn.MaxPool2d(3, stride=2, padding=1)
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 7, stride=stride, padding=3, bias=authors, **factory),
        nn.BatchNorm2d(c_out, **factory),
        nn.ReLU(),
        pool,
    )


class C2FNet(nn.Module):
    """Coarse-to-fine rPPG network of LQ-rPPG with hierarchical soft-quantized heads.

    **Input**: a float clip of shape ``(batch, 3, T, H, W)``, channels first (the layout of
    the rPPG-Toolbox models: ``clips.permute(0, 4, 1, 2, 3)`` for ``(n, T, H, W, 3)``
    frames), with ``T == seq_len`` and H, W multiples of 8.

    **Stem** (as in RhythmMamba). Per frame, branch A sees the frame (3 channels) and
    branch B the four differences of frames ``t-2 .. t+2`` (12 channels, edge frames
    replicated, see :func:`temporal_difference_stack`); each is conv 7x7 stride 2 ->
    BatchNorm -> ReLU -> max-pool (3x3, stride 2, as RhythmMamba) to ``dim / 8`` channels.
    Path 1 is the same kind of block (stride 1) on ``(A + B) / 2``, path 2 on B; their
    average has ``dim / 4`` channels at ``H / 8 x W / 8``. A 3-D convolution (3x5x5,
    padding keeping T and the spatial size) to ``dim`` channels and BatchNorm3d follow; then
    the attention mask ``rescale_attention_mask(sigmoid(x))`` (METHOD.md and RhythmMamba; or
    ``sigmoid(conv1x1(x))`` as in DeepPhys with ``attention_conv=True``) multiplies ``x``,
    the spatial mean
    gives tokens ``(batch, T, dim)``, and a learned positional embedding is added.

    **Backbone and heads**. ``n_blocks`` :class:`BiMambaBlock` (pre-LayerNorm, residual).
    After block ``i`` a token head ``nn.Linear(dim, 1)`` (a 1x1 convolution over time) gives
    ``y_i`` (batch, T); its soft reconstruction ``s_i = soft_reconstruct(y_i, c_i)`` is
    projected back by ``nn.Linear(1, dim)``, and the input of the next stage is the block
    output plus the projections of every level so far: ``h_i + sum_{j <= i} proj_j(s_j)``.
    The predictor, three ``Conv1d(dim, dim, 3, padding=1)`` each followed by GELU and a
    final ``Conv1d(dim, 1, 3, padding=1)``, gives ``y_{n_blocks + 1}``, reconstructed through
    the finest codebook: the output waveform. Standardising it per clip is left to the
    caller.

    **Without codebooks** (``codebooks=None`` and no :meth:`set_codebooks` call, the
    no-quantization ablation) there is no soft reconstruction: ``s_i = y_i``, and the same
    backbone, heads and projections are trained on raw labels.

    Parameters
    ----------
    seq_len : int, default=160
        T, the clip length. The positional embedding has one learned vector per frame, so the
        network accepts clips of exactly this length and raises a ``ValueError`` otherwise.
    dim : int, default=64
        Token width (``d_model`` of the Mamba blocks); a multiple of 8.
    n_blocks : int, default=4
        Mamba blocks, hence ``n_blocks + 1`` heads and codebooks.
    d_state, d_conv, expand : default=48, 4, 2
        Of each :class:`BiMambaBlock`.
    codebooks : sequence of 1-D tensors or arrays, optional
        ``n_blocks + 1`` codebooks, coarse to fine (see :meth:`set_codebooks`).
    codebook_sizes : sequence of int, optional
        Sizes of the codebooks; default: the sizes of ``codebooks`` when given, else
        ``2, 4, 8, ..., 2 ** (n_blocks + 1)`` (2, 4, 8, 16, 32 for four blocks).
    attention_conv : bool, default=False
        Compute the attention mask from the features themselves (``False``, as METHOD.md
        and RhythmMamba) or from a 1x1x1 convolution of them (``True``, as DeepPhys).
    chunk_size : int or 'auto', default='auto'
        Of the selective scans (see :func:`~lqrppg.nn.selective_scan`).
    architecture : {'lqrppg', 'authors'}, default='lqrppg'
        ``'authors'`` builds the network exactly as the LQ-rPPG authors' released code
        (``LQC2F.py``), so that their checkpoints load into it
        (:func:`lqrppg.models.load_authors_checkpoint`): the five stem convolutions (2-D and
        3-D) have a bias, the stem's max-pools are 2x2 with stride 2, and the predictor has
        no GELU between its third convolution and the final one. ``'lqrppg'`` (ours, the
        default of every model trained with this package) drops those biases (BatchNorm
        follows each of them), pools 3x3 with stride 2 (as RhythmMamba) and has a GELU after
        each of the three predictor convolutions, and adds 1e-8 to the attention mask's
        spatial sums (the authors add nothing: see :func:`rescale_attention_mask`; the
        difference is large for channels whose sigmoids nearly vanish). Everything else is
        the same; the authors' form has 112 parameters more (405,453 against 405,341 at the
        defaults).
    device, dtype : optional
        Where and in which dtype the parameters and buffers are created.

    Attributes
    ----------
    architecture : str
    codebook_sizes : tuple of int
    quantized : bool
        Whether codebooks are set (soft reconstruction on).
    codebooks : list of torch.Tensor or None
        The codebook buffers ``codebook_1 .. codebook_{n_blocks + 1}`` when set. They are
        non-trainable buffers: they follow ``.to()`` and are saved in the ``state_dict``,
        together with the boolean buffer ``codebooks_set`` (so loading a state dict also
        restores whether the network quantizes).
    pos_embedding : nn.Parameter of shape (1, seq_len, dim)
    blocks : nn.ModuleList of BiMambaBlock
    heads, projections : nn.ModuleList of nn.Linear
        The ``n_blocks`` token heads and back-projections.
    predictor : nn.Sequential

    Notes
    -----
    Size at the defaults (``dim=64``, four blocks, ``d_state=48``): 405,341 parameters
    (409,501 with ``attention_conv=True``; 405,453 with ``architecture='authors'``) and
    57.9 M multiply-accumulates per frame on a ``(1, 3, 160, 128, 128)`` clip, as counted by
    ``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matrix products: 36.9 M in
    the 2-D stem, 19.7 M in the 3-D convolution, 1.0 M in the mask convolution, 0.2 M in the
    Mamba projections). The counter ignores elementwise work; the selective scans add about
    0.15 M multiply-adds and 0.05 M exponentials per frame.

    Examples
    --------
    >>> import torch
    >>> net = C2FNet(8, dim=16, d_state=4, codebooks=[torch.linspace(-1, 1, k)
    ...                                               for k in (2, 4, 8, 16, 32)])
    >>> out = net(torch.randn(1, 3, 8, 16, 16))
    >>> out.output.shape, len(out.heads)
    (torch.Size([1, 8]), 5)
    """

    def __init__(
        self,
        seq_len: int = 160,
        dim: int = 64,
        n_blocks: int = 4,
        *,
        d_state: int = 48,
        d_conv: int = 4,
        expand: float = 2,
        codebooks: Sequence[Any] | None = None,
        codebook_sizes: Sequence[int] | None = None,
        attention_conv: bool = False,
        chunk_size: int | str = "auto",
        architecture: str = "lqrppg",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.architecture = check_architecture(architecture)
        authors = self.architecture == "authors"
        self.seq_len = check_int(seq_len, "seq_len", 1)
        self.dim = check_int(dim, "dim", 8)
        if self.dim % 8:
            raise ValueError(f"dim must be a multiple of 8; got {dim!r}")
        self.n_blocks = check_int(n_blocks, "n_blocks", 1)
        n_levels = self.n_blocks + 1
        if codebooks is not None:
            codebooks = _codebook_list(codebooks, n_levels)
        if codebook_sizes is None:
            if codebooks is None:
                codebook_sizes = [2 ** (i + 1) for i in range(n_levels)]
            else:
                codebook_sizes = [_n_values(c) for c in codebooks]
        codebook_sizes = tuple(check_int(k, "codebook_sizes[i]", 1) for k in codebook_sizes)
        if len(codebook_sizes) != n_levels:
            raise ValueError(
                f"codebook_sizes must hold n_blocks + 1 = {n_levels} sizes; got {codebook_sizes}"
            )
        self.codebook_sizes = codebook_sizes
        self.attention_conv = bool(attention_conv)

        factory = {"device": device, "dtype": dtype}
        d_a, d_b = self.dim // 8, self.dim // 4
        self.branch_frame = _stem_block(3, d_a, 2, authors, factory)
        self.branch_diff = _stem_block(12, d_a, 2, authors, factory)
        self.path_fused = _stem_block(d_a, d_b, 1, authors, factory)
        self.path_diff = _stem_block(d_a, d_b, 1, authors, factory)
        self.conv3d = nn.Conv3d(
            d_b, self.dim, (3, 5, 5), padding=(1, 2, 2), bias=authors, **factory
        )
        self.bn3d = nn.BatchNorm3d(self.dim, **factory)
        self.mask_conv = nn.Conv3d(self.dim, self.dim, 1, **factory) if attention_conv else None
        self.pos_embedding = nn.Parameter(torch.empty(1, self.seq_len, self.dim, **factory))
        nn.init.normal_(self.pos_embedding, std=0.02)

        self.blocks = nn.ModuleList(
            BiMambaBlock(self.dim, d_state, d_conv, expand, chunk_size=chunk_size, **factory)
            for _ in range(self.n_blocks)
        )
        self.heads = nn.ModuleList(nn.Linear(self.dim, 1, **factory) for _ in range(self.n_blocks))
        self.projections = nn.ModuleList(
            nn.Linear(1, self.dim, **factory) for _ in range(self.n_blocks)
        )
        layers: list[nn.Module] = []
        for i in range(3):
            layers.append(nn.Conv1d(self.dim, self.dim, 3, padding=1, **factory))
            if i < 2 or not authors:
                layers.append(nn.GELU())
        layers.append(nn.Conv1d(self.dim, 1, 3, padding=1, **factory))
        self.predictor = nn.Sequential(*layers)

        for i, k in enumerate(self.codebook_sizes):
            self.register_buffer(f"codebook_{i + 1}", torch.zeros(k, **factory))
        self.register_buffer("codebooks_set", torch.zeros((), dtype=torch.bool, device=device))
        # a Python copy of the flag, so that forward never reads a (possibly CUDA) tensor
        self._quantized = False
        self.register_load_state_dict_post_hook(_sync_quantized_flag)
        if codebooks is not None:
            self.set_codebooks(codebooks)

    def extra_repr(self) -> str:
        return (
            f"seq_len={self.seq_len}, dim={self.dim}, n_blocks={self.n_blocks}, "
            f"codebook_sizes={self.codebook_sizes}, quantized={self._quantized}, "
            f"architecture={self.architecture!r}"
        )

    @property
    def quantized(self) -> bool:
        """Whether codebooks are set (heads are softly reconstructed)."""
        return self._quantized

    @property
    def codebooks(self) -> list[torch.Tensor] | None:
        """The codebook buffers, coarse to fine, or ``None`` when none are set."""
        if not self._quantized:
            return None
        return [getattr(self, f"codebook_{i + 1}") for i in range(len(self.codebook_sizes))]

    @torch.no_grad()
    def set_codebooks(self, codebooks: Sequence[Any] | None) -> None:
        """Set (or, with ``None``, clear) the codebooks used for soft reconstruction.

        Parameters
        ----------
        codebooks : sequence of 1-D tensors or arrays, or None
            ``n_blocks + 1`` codebooks, coarse to fine, of sizes ``codebook_sizes`` and finite
            values; copied into the buffers (keeping their device and dtype). The order of
            the codewords inside a codebook does not matter. ``None`` switches soft
            reconstruction off (heads output raw values).
        """
        if codebooks is None:
            self._quantized = False
            self.codebooks_set.fill_(False)
            return
        codebooks = _codebook_list(codebooks, len(self.codebook_sizes))
        values = []
        for i, (c, k) in enumerate(zip(codebooks, self.codebook_sizes, strict=True)):
            # on the CPU even under a default-device context (e.g. meta, in load)
            c = c if isinstance(c, torch.Tensor) else torch.as_tensor(np.asarray(c), device="cpu")
            if c.ndim != 1 or c.numel() != k:
                raise ValueError(
                    f"codebook {i + 1} must have shape ({k},) "
                    f"(codebook_sizes={self.codebook_sizes}); got {tuple(c.shape)}"
                )
            if c.is_complex() or c.dtype == torch.bool or not torch.isfinite(c).all():
                raise ValueError(f"codebook {i + 1} must hold finite real values; got {c}")
            values.append(c)
        for i, c in enumerate(values):
            buf = getattr(self, f"codebook_{i + 1}")
            buf.copy_(c.to(device=buf.device, dtype=buf.dtype))
        self.codebooks_set.fill_(True)
        self._quantized = True

    def _check_input(self, x: Any) -> None:
        ok = isinstance(x, torch.Tensor) and x.ndim == 5 and x.shape[1] == 3
        if ok:
            h, w = x.shape[-2:]
            ok = h >= 8 and w >= 8 and h % 8 == 0 and w % 8 == 0
        if not ok:
            raise ValueError(
                "expected a tensor of shape (batch, 3, T, H, W) with H and W multiples of 8; "
                f"got {shape_of(x)}"
            )
        if not x.is_floating_point():
            raise ValueError(f"expected a floating-point clip; got dtype {x.dtype}")
        if x.shape[2] != self.seq_len:
            raise ValueError(
                f"expected T={self.seq_len} frames (the positional embedding was learned for "
                f"seq_len={self.seq_len}); got T={x.shape[2]} in input of shape {shape_of(x)}"
            )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Stem, attention mask, spatial mean and positional embedding: the input tokens.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, 3, seq_len, H, W)

        Returns
        -------
        torch.Tensor of shape (batch, seq_len, dim)
        """
        self._check_input(x)
        # The first convolutions of the stem take channels-last frames (batch * T, H, W, C):
        # oneDNN's 7 x 7 convolutions on 3 and 12 channels, and above all their weight
        # gradients, are several times faster in that layout (3x for the 12-channel branch),
        # and it is how clips are stored, so clips_to_tensor's output needs no copy here.
        frames = x.permute(0, 2, 3, 4, 1).contiguous()  # (batch, T, H, W, 3)
        f = self._stem(frames).transpose(1, 2)  # (batch, dim/4, T, H/8, W/8)
        f = self.bn3d(self.conv3d(f))
        logits = self.mask_conv(f) if self.mask_conv is not None else f
        mask = torch.sigmoid(logits)
        # The authors divide by the sum as it is: channels whose sigmoids all but vanish
        # (sums of 1e-9 occur) are scaled up as much as the others; an eps of 1e-8 would
        # change them. The smallest normal number only guards against a sum of exactly 0.
        eps = torch.finfo(mask.dtype).tiny if self.architecture == "authors" else 1e-8
        f = f * rescale_attention_mask(mask, eps)
        tokens = f.mean(dim=(-2, -1)).transpose(1, 2)  # (batch, T, dim)
        return tokens + self.pos_embedding

    def _stem(self, frames: torch.Tensor) -> torch.Tensor:
        """The per-frame two-branch stem: (batch, T, H, W, 3) -> (batch, T, dim/4, H/8, W/8).

        ``frames`` are channels-last and contiguous. In training mode all frames go through
        at once (the BatchNorm layers take their statistics over the whole batch). In eval
        mode every frame is independent (BatchNorm uses its running statistics), so the
        frames go through in pieces of at most ``_STEM_PIXELS`` pixels (32 frames of 128 x
        128): the frame differences of a piece are taken from the edge-padded clip, so the
        result is the same to float rounding, and the working memory is that of a piece (at
        160 frames of 128 x 128, the differences alone are 126 MB per clip at once).
        """
        b, T, H, W, _ = frames.shape
        step = T if self.training else max(1, _STEM_PIXELS // (b * H * W))
        if step >= T:
            return self._stem_frames(frames, _frame_differences(frames, -1))
        # padded[:, j] is frame j - 2, the edge frames replicated (as _frame_differences)
        padded = torch.cat(
            [frames[:, :1], frames[:, :1], frames, frames[:, -1:], frames[:, -1:]], 1
        )
        pieces = []
        for t0 in range(0, T, step):
            t1 = min(T, t0 + step)
            window = padded[:, t0 : t1 + 4]
            steps = window[:, 1:] - window[:, :-1]
            diffs = torch.cat([steps[:, k : k + t1 - t0] for k in range(4)], dim=-1)
            pieces.append(self._stem_frames(frames[:, t0:t1], diffs))
        return torch.cat(pieces, dim=1)

    def _stem_frames(self, frames: torch.Tensor, diffs: torch.Tensor) -> torch.Tensor:
        """Frames (b, L, H, W, 3) and their differences (b, L, H, W, 12) through the stem."""
        b, L, H, W, _ = frames.shape
        a = _stem_forward(self.branch_frame, _channels_last(frames.reshape(b * L, H, W, 3)))
        d = _stem_forward(self.branch_diff, _channels_last(diffs.reshape(b * L, H, W, 12)))
        f = 0.5 * self.path_fused(0.5 * a + 0.5 * d) + 0.5 * self.path_diff(d)
        return f.reshape(b, L, *f.shape[1:])

    def _reconstruct(self, y: torch.Tensor, level: int) -> torch.Tensor:
        if not self._quantized:
            return y
        return soft_reconstruct(y, getattr(self, f"codebook_{level + 1}"))

    def forward(self, x: torch.Tensor) -> C2FOutput:
        """Run the network on clips ``x`` of shape (batch, 3, seq_len, H, W).

        Returns
        -------
        C2FOutput
            ``output`` (batch, T), ``heads`` and ``raw_heads``: lists of ``n_blocks + 1``
            tensors (batch, T), coarse to fine.
        """
        h = self.embed(x)
        heads, raw = [], []
        skip = None
        for level, (block, head, proj) in enumerate(
            zip(self.blocks, self.heads, self.projections, strict=True)
        ):
            h = block(h)
            y = head(h).squeeze(-1)
            s = self._reconstruct(y, level)
            raw.append(y)
            heads.append(s)
            p = proj(s.unsqueeze(-1))
            skip = p if skip is None else skip + p
            h = h + skip
        y = self.predictor(h.transpose(1, 2)).squeeze(1)
        raw.append(y)
        heads.append(self._reconstruct(y, self.n_blocks))
        return C2FOutput(heads[-1], heads, raw)


def _sync_quantized_flag(module: C2FNet, incompatible_keys: Any) -> None:
    module._quantized = bool(module.codebooks_set)


def _n_values(c: Any) -> int:
    return c.numel() if isinstance(c, torch.Tensor) else int(np.size(c))


def _codebook_list(codebooks: Any, n_levels: int) -> list[Any]:
    """``codebooks`` as a list of ``n_levels`` items, or a ValueError."""
    items = None
    if not isinstance(codebooks, torch.Tensor | np.ndarray | str):
        try:
            items = list(codebooks)
        except TypeError:
            items = None
    if items is None or len(items) != n_levels:
        if items is not None:
            got = f"{len(items)} items"
        elif isinstance(codebooks, torch.Tensor | np.ndarray):
            got = f"one array of shape {tuple(codebooks.shape)}"
        else:
            got = type(codebooks).__name__
        raise ValueError(
            f"codebooks must be a sequence of n_blocks + 1 = {n_levels} 1-D codebooks; got {got}"
        )
    return items
