"""Label quantizer networks of LQ-rPPG: label encoder, scalar EMA vector quantizer, one level.

One level of the label quantization module turns a standardised contact-PPG clip of T samples
into T scalar codewords out of K:

- :class:`PulseLabelEncoder`: five dilated 1-D convolutions (residual), a learned positional
  embedding over time and one bidirectional Mamba block, giving one scalar per time step;
- :class:`ScalarEMAQuantizer`: each scalar takes its nearest of K codewords, the gradient
  passes straight through, a commitment loss pulls the encoder output towards its codeword,
  and the codewords follow an exponential moving average of the outputs assigned to them;
- :class:`LabelQuantizerNet`: the two together.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from lqrppg._validation import check_int, check_real
from lqrppg.nn._checks import check_architecture, shape_of
from lqrppg.nn._mamba import BiMambaBlock

__all__ = [
    "LabelQuantizerNet",
    "PulseLabelEncoder",
    "QuantizerOutput",
    "ScalarEMAQuantizer",
]


class QuantizerOutput(NamedTuple):
    """Result of a quantizer's forward pass (all tensors of shape (batch, T) but the loss).

    Attributes
    ----------
    quantized : torch.Tensor
        Codeword of every time step, with the straight-through gradient: its value is the
        codeword, its gradient flows to ``latent`` as through the identity.
    indices : torch.Tensor of int64
        Index of the codeword of every time step.
    commitment_loss : torch.Tensor, scalar
        ``commitment * MSE(stopgrad(codeword), latent)``.
    latent : torch.Tensor
        The quantizer's input (the encoder output).
    """

    quantized: torch.Tensor
    indices: torch.Tensor
    commitment_loss: torch.Tensor
    latent: torch.Tensor


class _StraightThrough(torch.autograd.Function):
    """Value of the codewords, gradient of the identity with respect to the input.

    Written out rather than as ``z + (q - z).detach()``, whose value differs from ``q`` by
    rounding, so that the quantized output holds the codewords exactly.
    """

    @staticmethod
    def forward(ctx: Any, z: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return q.clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad, None


class PulseLabelEncoder(nn.Module):
    """Label encoder of LQ-rPPG: dilated convolutions, positional embedding, bidirectional Mamba.

    ``x (batch, T) -> h = x + conv5(gelu(conv4(... gelu(conv1(x)))))`` with kernel
    ``kernel_size``, dilations ``dilations`` and 'same' padding (zeros) ->
    ``h + pos_embedding`` (one learned vector per time step) -> :class:`BiMambaBlock`
    (pre-norm, residual; for ``width=1`` without LayerNorm, see its ``norm='auto'``) ->
    a scalar per time step (for ``width > 1`` through a linear head).

    Parameters
    ----------
    length : int
        T, the number of time steps; the positional embedding has one entry per step, so the
        encoder only accepts clips of this length.
    width : int, default=1
        Channels of the convolutions and of the Mamba block (``d_model``); the authors use 1.
        With ``width > 1`` the first convolution maps 1 -> ``width`` channels, the input is
        added to every channel, and a linear layer maps the Mamba output back to one channel.
    kernel_size : int, default=5
    dilations : sequence of int, default=(1, 2, 4, 8, 16)
        One convolution per entry.
    d_state, d_conv, expand, chunk_size
        Of the :class:`BiMambaBlock`.
    architecture : {'lqrppg', 'authors'}, default='lqrppg'
        ``'authors'`` keeps the Mamba block's LayerNorm at ``width=1``, as the LQ-rPPG
        authors' released encoder does (``BiMambaBlock(norm='layer')``): a LayerNorm over one
        channel outputs its bias whatever the input, so the mixer then sees a constant
        sequence and adds the same vector to every time step; the released quantizers were
        trained that way and need it to reproduce their outputs. ``'lqrppg'`` drops the norm
        at ``width=1`` (``norm='auto'``) so the mixer sees the signal. Both are the same for
        ``width > 1``.
    device, dtype : optional
        Where and in which dtype the parameters are created.

    Attributes
    ----------
    convs : nn.ModuleList
        The dilated convolutions.
    pos_embedding : nn.Parameter of shape (1, length, width)
        Initialised from a normal distribution with standard deviation 0.02.
    mixer : BiMambaBlock
    head : nn.Module
        ``nn.Linear(width, 1)``, or ``nn.Identity`` for ``width=1``.

    Examples
    --------
    >>> import torch
    >>> enc = PulseLabelEncoder(40, d_state=4)
    >>> enc(torch.randn(3, 40)).shape
    torch.Size([3, 40])
    """

    def __init__(
        self,
        length: int,
        width: int = 1,
        *,
        kernel_size: int = 5,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 16),
        d_state: int = 16,
        d_conv: int = 4,
        expand: float = 2,
        chunk_size: int | str = "auto",
        architecture: str = "lqrppg",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.architecture = check_architecture(architecture)
        self.length = check_int(length, "length", 1)
        self.width = check_int(width, "width", 1)
        kernel_size = check_int(kernel_size, "kernel_size", 1)
        dilations = tuple(dilations)
        if not dilations:
            raise ValueError("dilations must hold at least one dilation")
        for d in dilations:
            check_int(d, "dilations[i]", 1)
        factory = {"device": device, "dtype": dtype}
        self.convs = nn.ModuleList(
            nn.Conv1d(
                1 if i == 0 else self.width,
                self.width,
                kernel_size,
                dilation=int(d),
                padding="same",
                **factory,
            )
            for i, d in enumerate(dilations)
        )
        self.pos_embedding = nn.Parameter(torch.empty(1, self.length, self.width, **factory))
        nn.init.normal_(self.pos_embedding, std=0.02)
        norm = "layer" if self.architecture == "authors" else "auto"
        self.mixer = BiMambaBlock(
            self.width, d_state, d_conv, expand, norm=norm, chunk_size=chunk_size, **factory
        )
        self.head = nn.Linear(self.width, 1, **factory) if self.width > 1 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encode ``x`` of shape (batch, length) to one scalar per time step (batch, length)."""
        if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != self.length:
            raise ValueError(
                f"input must be a tensor of shape (batch, T={self.length}), got {shape_of(x)}; "
                "the positional embedding was built for this T"
            )
        inp = x[:, None, :]
        h = inp
        for i, conv in enumerate(self.convs):
            if i:
                h = F.gelu(h)
            h = conv(h)
        h = (h + inp).transpose(1, 2) + self.pos_embedding  # (batch, T, width)
        h = self.mixer(h)
        return self.head(h).squeeze(-1)


class ScalarEMAQuantizer(nn.Module):
    """Scalar vector quantizer with K codewords updated by exponential moving averages.

    Forward pass on encoder outputs ``z`` of any shape: each value takes its nearest codeword
    ``q``; the output holds exactly ``q`` and passes its gradient to ``z`` unchanged (the
    straight-through estimator, ``z + stopgrad(q - z)`` without its rounding); the commitment
    loss is ``commitment * MSE(stopgrad(q), z)``.
    The codewords receive no gradient. In training mode each forward pass updates them
    (van den Oord et al. 2017, appendix; Razavi et al. 2019), with ``n_k`` the number and
    ``s_k`` the sum of the values assigned to codeword ``k`` in the batch:

        N_k <- decay * N_k + (1 - decay) * n_k             (cluster_size)
        S_k <- decay * S_k + (1 - decay) * s_k             (embed_sum)
        N~_k = (N_k + eps) / (sum_j N_j + K * eps) * sum_j N_j   (Laplace smoothing)
        c_k = S_k / N~_k

    **Initialisation**: the first training batch (or an explicit :meth:`init_codebook_`
    call, e.g. on the encoder outputs of the whole training set) sets the codewords to the
    quantiles ``(k + 1/2) / K`` of the values, so every codeword starts with an equal share of
    them, and sets ``N_k`` to the number of values nearest to ``c_k`` (rescaled to the number
    of values per training step) and ``S_k = c_k N_k``, so the averages start consistent.

    **Dead codes**: after each update, a codeword whose ``N_k`` (the moving average of the
    number of values it receives per step) is below ``dead_code_threshold`` is moved onto an
    encoder output of the batch drawn at random (uniformly over values, hence following
    their density, as k-means++-style re-seeding does), with ``N_k = dead_code_threshold``
    and ``S_k = c_k N_k``; the next updates then pull it to the mean of what it captures.
    ``dead_code_threshold=0`` switches this off.

    Parameters
    ----------
    n_codes : int
        K, at least 1.
    commitment : float, default=0.5
        Weight of the commitment loss.
    decay : float, default=0.99
        EMA decay, in [0, 1).
    eps : float, default=1e-5
        Laplace smoothing of the cluster sizes (> 0).
    dead_code_threshold : float, default=1.0
        Re-seed codewords receiving fewer values than this per step (moving average).
    device, dtype : optional

    Attributes
    ----------
    codebook : torch.Tensor of shape (K,), buffer
    cluster_size : torch.Tensor of shape (K,), buffer
        ``N_k``.
    embed_sum : torch.Tensor of shape (K,), buffer
        ``S_k``.
    initialized : torch.Tensor, bool scalar buffer

    Examples
    --------
    >>> import torch
    >>> vq = ScalarEMAQuantizer(4)
    >>> vq.init_codebook_(torch.linspace(-1, 1, 100))
    >>> vq.codebook
    tensor([-0.7500, -0.2500,  0.2500,  0.7500])
    >>> out = vq.eval()(torch.tensor([[0.9, -0.1]]))
    >>> out.quantized, out.indices
    (tensor([[ 0.7500, -0.2500]]), tensor([[3, 1]]))
    """

    def __init__(
        self,
        n_codes: int,
        *,
        commitment: float = 0.5,
        decay: float = 0.99,
        eps: float = 1e-5,
        dead_code_threshold: float = 1.0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.n_codes = check_int(n_codes, "n_codes", 1)
        self.commitment = check_real(commitment, "commitment", 0.0)
        self.decay = check_real(decay, "decay", 0.0, 1.0)
        self.eps = check_real(eps, "eps", 0.0, open_low=True)
        self.dead_code_threshold = check_real(dead_code_threshold, "dead_code_threshold", 0.0)
        factory = {"device": device, "dtype": dtype}
        self.register_buffer("codebook", torch.zeros(self.n_codes, **factory))
        self.register_buffer("cluster_size", torch.zeros(self.n_codes, **factory))
        self.register_buffer("embed_sum", torch.zeros(self.n_codes, **factory))
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool, device=device))

    def extra_repr(self) -> str:
        return (
            f"n_codes={self.n_codes}, commitment={self.commitment}, decay={self.decay}, "
            f"eps={self.eps}, dead_code_threshold={self.dead_code_threshold}"
        )

    def nearest(self, z: torch.Tensor) -> torch.Tensor:
        """Index of the nearest codeword of every value of ``z`` (ties: the lower index)."""
        return (z.unsqueeze(-1) - self.codebook).abs().argmin(dim=-1)

    @torch.no_grad()
    def init_codebook_(self, z: torch.Tensor, tokens_per_step: float | None = None) -> None:
        """Set the codewords to the quantiles ``(k + 1/2) / K`` of ``z`` (see the class notes).

        Parameters
        ----------
        z : torch.Tensor
            Encoder outputs, any shape.
        tokens_per_step : float, optional
            Number of values one training step will see; the initial cluster sizes are the
            counts of ``z`` rescaled to it (default: ``z.numel()``, no rescaling).
        """
        flat = z.detach().reshape(-1).to(self.codebook.dtype)
        if flat.numel() == 0:
            raise ValueError("cannot initialise the codebook from an empty tensor")
        probs = (torch.arange(self.n_codes, dtype=torch.float64) + 0.5) / self.n_codes
        # torch.quantile has a size limit; a float64 sort on the CPU is exact and cheap here
        values = torch.sort(flat.to("cpu", torch.float64)).values
        pos = probs * (values.numel() - 1)
        lo = pos.floor().long()
        hi = pos.ceil().long()
        frac = pos - lo
        quant = values[lo] * (1 - frac) + values[hi] * frac
        self.codebook.copy_(quant.to(self.codebook))
        counts = torch.bincount(self.nearest(flat), minlength=self.n_codes).to(self.codebook)
        scale = 1.0 if tokens_per_step is None else float(tokens_per_step) / flat.numel()
        self.cluster_size.copy_(counts * scale)
        self.embed_sum.copy_(self.codebook * self.cluster_size)
        self.initialized.fill_(True)

    @torch.no_grad()
    def ema_update_(self, z: torch.Tensor, indices: torch.Tensor) -> None:
        """One EMA step of the cluster sizes, sums and codewords from values ``z``."""
        flat = z.detach().reshape(-1).to(self.codebook.dtype)
        # a one-hot matrix rather than scatter_add: deterministic on CUDA as well
        onehot = F.one_hot(indices.reshape(-1), self.n_codes).to(flat.dtype)
        counts = onehot.sum(dim=0)
        sums = flat @ onehot
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1.0 - self.decay)
        self.embed_sum.mul_(self.decay).add_(sums, alpha=1.0 - self.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.eps) / (n + self.n_codes * self.eps) * n
        self.codebook.copy_(self.embed_sum / smoothed)

    @torch.no_grad()
    def reseed_dead_codes_(self, z: torch.Tensor, generator: torch.Generator | None = None) -> int:
        """Move codewords with ``cluster_size < dead_code_threshold`` onto random values of z.

        Parameters
        ----------
        z : torch.Tensor
            Encoder outputs of the current batch, any shape.
        generator : torch.Generator, optional
            CPU generator for the draw (the global torch random state otherwise).

        Returns
        -------
        int
            Number of codewords moved.
        """
        if self.dead_code_threshold <= 0:
            return 0
        dead = torch.nonzero(self.cluster_size < self.dead_code_threshold).flatten()
        if dead.numel() == 0:
            return 0
        flat = z.detach().reshape(-1).to(self.codebook.dtype)
        pick = torch.randint(flat.numel(), (dead.numel(),), generator=generator)
        self.codebook[dead] = flat[pick.to(flat.device)]
        self.cluster_size[dead] = self.dead_code_threshold
        self.embed_sum[dead] = self.codebook[dead] * self.dead_code_threshold
        return int(dead.numel())

    @torch.no_grad()
    def sort_codebook_(self) -> torch.Tensor:
        """Sort the codewords in increasing order (with their statistics); return the order.

        Nearest-codeword assignment does not depend on the order, so sorting changes the
        indices but not the quantized values: new index ``i`` is old index ``order[i]``.
        """
        order = torch.argsort(self.codebook, stable=True)
        for buf in (self.codebook, self.cluster_size, self.embed_sum):
            buf.copy_(buf[order])
        return order

    def forward(self, z: torch.Tensor, generator: torch.Generator | None = None) -> QuantizerOutput:
        """Quantize ``z`` (any shape); in training mode, then update the codewords.

        Parameters
        ----------
        z : torch.Tensor
            Encoder outputs.
        generator : torch.Generator, optional
            CPU generator for dead-code re-seeding (training mode only).

        Returns
        -------
        QuantizerOutput
            ``quantized`` and ``indices`` shaped like ``z``; the codeword values are those
            before this call's update.
        """
        if not isinstance(z, torch.Tensor) or not z.is_floating_point():
            raise ValueError(f"z must be a floating-point tensor, got {shape_of(z)}")
        if not bool(self.initialized):
            if not self.training:
                raise RuntimeError(
                    "the codebook is not initialised: call init_codebook_ or run a forward "
                    "pass in training mode first"
                )
            self.init_codebook_(z)
        indices = self.nearest(z)
        q = self.codebook[indices].to(z.dtype)
        commitment_loss = self.commitment * F.mse_loss(z, q.detach())
        quantized = _StraightThrough.apply(z, q.detach())
        if self.training:
            self.ema_update_(z, indices)
            self.reseed_dead_codes_(z, generator)
        return QuantizerOutput(quantized, indices, commitment_loss, z)


class LabelQuantizerNet(nn.Module):
    """One level of the LQ-rPPG label quantizer: :class:`PulseLabelEncoder` + K codewords.

    Parameters
    ----------
    length : int
        T, the clip length (fixed by the positional embedding).
    n_codes : int
        K, codewords of this level.
    width : int, default=1
        Encoder channels.
    d_state, d_conv, expand, chunk_size
        Of the encoder's bidirectional Mamba block.
    commitment, decay, eps, dead_code_threshold
        Of the :class:`ScalarEMAQuantizer`.
    architecture : {'lqrppg', 'authors'}, default='lqrppg'
        Of the :class:`PulseLabelEncoder`.
    device, dtype : optional

    Attributes
    ----------
    encoder : PulseLabelEncoder
    quantizer : ScalarEMAQuantizer

    Examples
    --------
    >>> import torch
    >>> net = LabelQuantizerNet(40, n_codes=4, d_state=4)
    >>> x = torch.randn(3, 40)
    >>> net.init_codebook_(x)
    >>> out = net.eval()(x)
    >>> out.quantized.shape, bool(torch.isin(out.quantized, net.quantizer.codebook).all())
    (torch.Size([3, 40]), True)
    """

    def __init__(
        self,
        length: int,
        n_codes: int,
        *,
        width: int = 1,
        d_state: int = 16,
        d_conv: int = 4,
        expand: float = 2,
        chunk_size: int | str = "auto",
        commitment: float = 0.5,
        decay: float = 0.99,
        eps: float = 1e-5,
        dead_code_threshold: float = 1.0,
        architecture: str = "lqrppg",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.encoder = PulseLabelEncoder(
            length,
            width,
            d_state=d_state,
            d_conv=d_conv,
            expand=expand,
            chunk_size=chunk_size,
            architecture=architecture,
            device=device,
            dtype=dtype,
        )
        self.quantizer = ScalarEMAQuantizer(
            n_codes,
            commitment=commitment,
            decay=decay,
            eps=eps,
            dead_code_threshold=dead_code_threshold,
            device=device,
            dtype=dtype,
        )

    @torch.no_grad()
    def init_codebook_(
        self, x: torch.Tensor, batch_size: int = 256, tokens_per_step: float | None = None
    ) -> None:
        """Initialise the codebook from the encoder outputs of labels ``x`` (batch, T).

        The encoder runs in eval mode, ``batch_size`` clips at a time; the training mode of
        the module is restored afterwards. See :meth:`ScalarEMAQuantizer.init_codebook_`.
        """
        was_training = self.training
        self.eval()
        try:
            z = torch.cat(
                [self.encoder(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
            )
        finally:
            self.train(was_training)
        self.quantizer.init_codebook_(z, tokens_per_step=tokens_per_step)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> QuantizerOutput:
        """Encode and quantize standardised labels ``x`` of shape (batch, T)."""
        return self.quantizer(self.encoder(x), generator=generator)
