"""Selective state-space scan and (bidirectional) Mamba blocks in plain PyTorch.

The selective scan of Mamba (Gu & Dao, 2023) with a diagonal state matrix is, per channel
``d`` and state ``n``, the linear recurrence

    h_t = exp(delta_t * A) * h_{t-1} + delta_t * B_t * u_t,    y_t = <C_t, h_t> + D * u_t.

:func:`selective_scan_reference` runs it step by step and serves as the test oracle.
:func:`selective_scan` is the fast path used by the blocks: the sequence is cut into chunks,
the decays and inputs of a chunk are computed at once, the state is carried from chunk to
chunk, and a hand-written backward pass recomputes each chunk's states from the state saved at
its start. Neither pass ever holds a ``(batch, L, d_inner, d_state)`` tensor for the whole
sequence: memory is ``O(batch * d_inner * d_state * (L / chunk_size + chunk_size))``, and the
chunk size is chosen per shape (:func:`auto_chunk_size`) so that a chunk's buffers stay in
the CPU's caches.
On CUDA, when the optional ``mamba_ssm`` package is installed, its fused kernel is used.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from lqrppg._validation import check_int, is_int, is_real
from lqrppg.nn._checks import shape_of

__all__ = [
    "BiMambaBlock",
    "MambaBlock",
    "auto_chunk_size",
    "selective_scan",
    "selective_scan_reference",
]

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _check_scan_inputs(
    u: Any, delta: Any, A: Any, B: Any, C: Any, D: Any
) -> tuple[int, int, int, int]:
    """Validate the scan operands; return ``(batch, L, d_inner, d_state)``."""
    named = {"u": u, "delta": delta, "A": A, "B": B, "C": C}
    if D is not None:
        named["D"] = D
    for name, t in named.items():
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}.")
        if not (t.is_floating_point()):
            raise ValueError(f"{name} must have a floating-point dtype, got {t.dtype}.")
    if u.ndim != 3:
        raise ValueError(f"u must have shape (batch, L, d_inner), got shape {shape_of(u)}.")
    b, L, d = u.shape
    if L < 1:
        raise ValueError(f"u must hold at least one time step, got shape {shape_of(u)}.")
    if A.ndim != 2 or A.shape[0] != d:
        raise ValueError(f"A must have shape (d_inner={d}, d_state), got shape {shape_of(A)}.")
    n = A.shape[1]
    expected = {"delta": (b, L, d), "B": (b, L, n), "C": (b, L, n)}
    names = {"delta": "(batch, L, d_inner)", "B": "(batch, L, d_state)", "C": "(batch, L, d_state)"}
    for name, shape in expected.items():
        if tuple(named[name].shape) != shape:
            raise ValueError(
                f"{name} must have shape {names[name]} = {shape}, "
                f"got shape {shape_of(named[name])}."
            )
    if D is not None and tuple(D.shape) != (d,):
        raise ValueError(f"D must have shape (d_inner,) = ({d},), got shape {shape_of(D)}.")
    devices = {t.device for t in named.values()}
    if len(devices) > 1:
        raise ValueError(
            f"all scan operands must be on one device, got {sorted(map(str, devices))}."
        )
    return b, L, d, n


def selective_scan_reference(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor | None = None,
) -> torch.Tensor:
    """Selective scan computed one time step after the other (the test reference).

    Parameters
    ----------
    u : torch.Tensor of shape (batch, L, d_inner)
        Input sequence.
    delta : torch.Tensor of shape (batch, L, d_inner)
        Positive step sizes (already passed through softplus).
    A : torch.Tensor of shape (d_inner, d_state)
        Diagonal state matrix, one row of decay rates per channel (negative for a stable scan).
    B, C : torch.Tensor of shape (batch, L, d_state)
        Input-dependent input and output matrices.
    D : torch.Tensor of shape (d_inner,), optional
        Skip connection; ``None`` means no skip.

    Returns
    -------
    y : torch.Tensor of shape (batch, L, d_inner)
        ``y_t = <C_t, h_t> + D * u_t`` with ``h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t``
        and ``h_0 = 0``, computed in the promoted dtype of the operands.

    Examples
    --------
    >>> import torch
    >>> u = torch.ones(1, 3, 1); delta = torch.ones(1, 3, 1)
    >>> A = torch.zeros(1, 1); B = torch.ones(1, 3, 1); C = torch.ones(1, 3, 1)
    >>> selective_scan_reference(u, delta, A, B, C).flatten().tolist()
    [1.0, 2.0, 3.0]
    """
    b, L, d, n = _check_scan_inputs(u, delta, A, B, C, D)
    h = u.new_zeros((b, d, n), dtype=torch.result_type(u, A))
    ys = []
    for t in range(L):
        decay = torch.exp(delta[:, t, :, None] * A)
        h = decay * h + (delta[:, t] * u[:, t])[:, :, None] * B[:, t, None, :]
        ys.append((h * C[:, t, None, :]).sum(-1))
    y = torch.stack(ys, dim=1)
    if D is not None:
        y = y + u * D
    return y


# exp(x) = exp2(x * log2(e)): torch's exp2 runs about twice as fast as exp on CPU, and the
# scan's cost is dominated by one exponential per (batch, step, channel, state) element.
_LOG2E = math.log2(math.e)
# "auto" chunk: the largest number of steps whose per-chunk buffers (batch * d_inner * d_state
# elements per step) stay within about 1.5 MiB each, between 2 and 64 steps. Chunk buffers
# that stay in the CPU's caches make every pass over them several times cheaper; measured on
# a 2-core AMD EPYC (1 MiB L2 per core), see docs/benchmarks/mamba_scan.md.
_AUTO_CHUNK_BYTES = 3 * 2**19
_AUTO_CHUNK_RANGE = (2, 64)


def auto_chunk_size(batch: int, length: int, d_inner: int, d_state: int, itemsize: int = 4) -> int:
    """The chunk size ``selective_scan(chunk_size='auto')`` uses for a given shape.

    The largest number of time steps whose chunk buffers (``batch * d_inner * d_state``
    elements per step, ``itemsize`` bytes each) stay within about 1.5 MiB, clipped to
    ``[2, 64]`` and to ``length``: small enough for the buffers to stay in the caches of a CPU
    core, large enough for the per-chunk work to outweigh the per-operation overhead.

    Parameters
    ----------
    batch, length, d_inner, d_state : int
        The scan's shape.
    itemsize : int, default=4
        Bytes per element of the computation (4 for float32).

    Returns
    -------
    int

    Examples
    --------
    >>> auto_chunk_size(16, 160, 128, 48)   # the C2F network's blocks at batch 16
    4
    >>> auto_chunk_size(16, 160, 2, 16)     # a label-quantizer encoder
    64
    """
    per_step = max(1, batch * d_inner * d_state * itemsize)
    lo, hi = _AUTO_CHUNK_RANGE
    return max(1, min(length, max(lo, min(hi, _AUTO_CHUNK_BYTES // per_step))))


class _ChunkBuffers:
    """Work space of one chunk, ``(chunk, batch, d_inner, d_state)``, reused chunk after chunk.

    Allocating these once per scan rather than once per chunk avoids returning megabytes to
    the system and faulting them back in at every chunk.
    """

    def __init__(self, like: torch.Tensor, chunk: int, b: int, d: int, n: int) -> None:
        self.decay = like.new_empty((chunk, b, d, n))
        self.states = like.new_empty((chunk, b, d, n))
        self.product = like.new_empty((chunk, b, d, n))
        self.du = like.new_empty((chunk, b, d))

    def terms(
        self, u: torch.Tensor, delta: torch.Tensor, A2: torch.Tensor, B: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Decays ``exp(delta A)`` and inputs ``delta u B`` of one time-major chunk.

        ``A2`` is ``A * log2(e)``; both results are views of the buffers.
        """
        k = u.shape[0]
        decay = torch.mul(delta.unsqueeze(-1), A2, out=self.decay[:k]).exp2_()
        du = torch.mul(delta, u, out=self.du[:k])
        inputs = torch.mul(du.unsqueeze(-1), B.unsqueeze(2), out=self.states[:k])
        return decay, inputs


def _scan_forward(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    chunk_size: int,
    starts: torch.Tensor | None = None,
) -> torch.Tensor:
    """The chunked scan without the skip term; ``(batch, L, d_inner)``, not contiguous.

    With ``starts`` (``(n_chunks, batch, d_inner, d_state)``), the state at the start of
    every chunk is written into it for the backward pass.
    """
    b, L, d = u.shape
    n = A.shape[1]
    A2 = A * _LOG2E
    u_t, delta_t, B_t, C_t = (_time_major(x) for x in (u, delta, B, C))
    y = u.new_empty((L, b, d))
    buf = _ChunkBuffers(u, min(chunk_size, L), b, d, n)
    carry = u.new_zeros((b, d, n)) if starts is None else starts[0].zero_()
    for c, s in enumerate(range(0, L, chunk_size)):
        e = min(s + chunk_size, L)
        decay, hs = buf.terms(u_t[s:e], delta_t[s:e], A2, B_t[s:e])
        _scan_inplace(decay, hs, None if c == 0 else carry)
        prod = torch.mul(hs, C_t[s:e].unsqueeze(2), out=buf.product[: e - s])
        torch.sum(prod, dim=-1, out=y[s:e])
        if e < L:
            # the next chunk's start: a copy, since the buffers are overwritten by it
            carry = carry if starts is None else starts[c + 1]
            carry.copy_(hs[-1])
    return y.transpose(0, 1)


class _ChunkedScan(torch.autograd.Function):
    """Chunked selective scan without the skip term, with a recomputing backward pass.

    Everything runs time-major, ``(L, batch, d_inner, d_state)``, so that one step of the
    recurrence touches one contiguous ``(batch, d_inner, d_state)`` block.
    """

    @staticmethod
    def forward(
        ctx: Any,
        u: torch.Tensor,
        delta: torch.Tensor,
        A: torch.Tensor,
        B: torch.Tensor,
        C: torch.Tensor,
        chunk_size: int,
    ) -> torch.Tensor:
        b, L, d = u.shape
        starts = u.new_empty((-(-L // chunk_size), b, d, A.shape[1]))
        y = _scan_forward(u, delta, A, B, C, chunk_size, starts)
        ctx.save_for_backward(u, delta, A, B, C, starts)
        ctx.chunk_size = chunk_size
        return y.contiguous()

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        u, delta, A, B, C, starts = ctx.saved_tensors
        chunk_size = ctx.chunk_size
        b, L, d = u.shape
        n = A.shape[1]
        A2 = A * _LOG2E
        u_t, delta_t, B_t, C_t, gy_t = (_time_major(x) for x in (u, delta, B, C, grad_y))
        g_u, g_delta = torch.empty_like(u_t), torch.empty_like(delta_t)
        g_B, g_C = torch.empty_like(B_t), torch.empty_like(C_t)
        g_A = torch.zeros_like(A)
        buf = _ChunkBuffers(u, min(chunk_size, L), b, d, n)
        lam_buf = torch.empty_like(buf.decay)
        carry = None  # decay-weighted adjoint flowing in from the chunk after this one
        for c in range(starts.shape[0] - 1, -1, -1):
            s, e = c * chunk_size, min((c + 1) * chunk_size, L)
            k = e - s
            dl, ul, Bl, gyl = delta_t[s:e], u_t[s:e], B_t[s:e], gy_t[s:e]
            decay, hs = buf.terms(ul, dl, A2, Bl)
            h0 = starts[c]
            _scan_inplace(decay, hs, h0)
            # vector-matrix products (a contraction over d_inner) as batched matmuls; the
            # contractions over d_state are cheaper as multiply-and-sum on CPU
            torch.bmm(gyl.reshape(k * b, 1, d), hs.view(k * b, d, n),
                      out=g_C[s:e].view(k * b, 1, n))  # fmt: skip
            # adjoint of the states: lam_t = C_t gy_t + exp(delta_{t+1} A) lam_{t+1}
            lam = torch.mul(gyl.unsqueeze(-1), C_t[s:e, :, None, :], out=lam_buf[:k])
            if carry is not None:
                lam[-1].add_(carry)
            for t in range(k - 2, -1, -1):
                lam[t].addcmul_(decay[t + 1], lam[t + 1])
            carry = decay[0] * lam[0]
            # gradient with respect to delta_t * A: lam_t * h_{t-1} * exp(delta_t A)
            g_dA = decay
            g_dA[1:].mul_(hs[:-1])
            g_dA[0].mul_(h0)
            g_dA.mul_(lam)
            prod = buf.product[:k]
            lam_B = torch.mul(lam, Bl.unsqueeze(2), out=prod).sum(-1)
            torch.sum(torch.mul(g_dA, A, out=prod), dim=-1, out=g_delta[s:e])
            g_delta[s:e].addcmul_(ul, lam_B)
            g_A += torch.mul(g_dA, dl.unsqueeze(-1), out=prod).sum((0, 1))
            torch.mul(dl, lam_B, out=g_u[s:e])
            torch.bmm((dl * ul).reshape(k * b, 1, d), lam.view(k * b, d, n),
                      out=g_B[s:e].view(k * b, 1, n))  # fmt: skip
        grads = [g_u.transpose(0, 1), g_delta.transpose(0, 1), g_A]
        grads += [g_B.transpose(0, 1), g_C.transpose(0, 1)]
        needed = ctx.needs_input_grad[:5]
        return (*(g if need else None for g, need in zip(grads, needed, strict=True)), None)


def _time_major(x: torch.Tensor) -> torch.Tensor:
    """(batch, L, k) -> contiguous (L, batch, k).

    Contiguity matters: broadcasting ops lay their outputs out like their inputs, and a
    chunk whose time axis is not the outermost one makes every step of the loop strided.
    """
    return x.transpose(0, 1).contiguous()


def _scan_inplace(decay: torch.Tensor, x: torch.Tensor, h0: torch.Tensor | None) -> None:
    """Turn the inputs ``x`` of a time-major chunk into its states, starting from ``h0``.

    Only decays in (0, 1] multiply the state, so nothing can overflow whatever the size of
    ``delta * A``; one fused multiply-add per step keeps the loop cheap. ``h0=None`` is a
    zero initial state.
    """
    if h0 is not None:
        x[0].addcmul_(decay[0], h0)
    for t in range(1, x.shape[0]):
        x[t].addcmul_(decay[t], x[t - 1])


@functools.lru_cache(maxsize=1)
def _mamba_ssm_kernel() -> Callable[..., torch.Tensor] | None:
    """The fused CUDA scan of ``mamba_ssm`` when that package is installed, else ``None``."""
    try:
        from mamba_ssm.ops.selective_scan_interface import selective_scan_fn
    except Exception:  # not installed, or installed without a working CUDA build
        return None
    return selective_scan_fn


def selective_scan(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor | None = None,
    chunk_size: int | str = "auto",
) -> torch.Tensor:
    """Selective scan, chunked, with a memory-light backward pass (the fast path).

    Same result as :func:`selective_scan_reference` up to rounding. The sequence is processed
    in chunks of ``chunk_size`` steps: the decays ``exp(delta A)`` and inputs ``delta B u`` of a
    chunk are computed in one vectorised operation, the state is propagated through the chunk
    (a fused multiply-add per step, which multiplies by decays in (0, 1] only and so cannot
    overflow for any ``delta * A``), and carried to the next chunk. When a gradient is needed
    the state at the start of each chunk is saved, and the backward pass recomputes a chunk's
    states from it when it needs them, running the adjoint recurrence backwards in time;
    without one (inference, ``torch.no_grad()``) nothing is saved. Inputs in
    float16/bfloat16 are scanned in float32 and the result is cast back.

    On CUDA tensors, when ``mamba_ssm`` is importable, its fused kernel
    ``selective_scan_fn`` computes the scan instead (float16, bfloat16 and float32 only).

    Parameters
    ----------
    u : torch.Tensor of shape (batch, L, d_inner)
        Input sequence.
    delta : torch.Tensor of shape (batch, L, d_inner)
        Positive step sizes (already passed through softplus).
    A : torch.Tensor of shape (d_inner, d_state)
        Diagonal state matrix (negative entries for a stable scan).
    B, C : torch.Tensor of shape (batch, L, d_state)
        Input-dependent input and output matrices.
    D : torch.Tensor of shape (d_inner,), optional
        Skip connection; ``None`` means no skip.
    chunk_size : int or 'auto', default='auto'
        Time steps per chunk. It trades the size of the per-chunk buffers
        (``chunk_size * batch * d_inner * d_state`` elements, which are fastest while they
        fit in a core's cache) against the number of vectorised operations, and sets the
        memory kept for the backward pass (one state per chunk). ``'auto'`` is
        :func:`auto_chunk_size` of the shape: 4 for the C2F network's blocks at batch 16,
        64 for the label quantizers' one-channel encoders.

    Returns
    -------
    y : torch.Tensor of shape (batch, L, d_inner)

    Notes
    -----
    Why a multiply-add per step inside a chunk rather than a parallel form: with Mamba-1's
    decay, which differs per channel *and* state, the masked segment-sum form
    ``exp(S_t - S_s)`` needs a ``(batch, chunk, chunk, d_inner, d_state)`` tensor per chunk
    (``chunk_size`` times the work and memory; 5-30 times slower on CPU), and the
    ``exp(S_t) * cumsum(exp(-S_s) x_s)`` form overflows as soon as ``delta * A`` summed over a
    chunk passes about -88 in float32, which trained step sizes reach. On CPU the scan is
    bound by the exponential over ``batch * L * d_inner * d_state`` elements that every form
    pays (computed as ``exp2(delta * A * log2(e))``, twice as fast as ``exp`` in torch's CPU
    kernels, equal to it up to float rounding) and by passes over chunk buffers, so the
    sequential step costs nothing extra. ``docs/benchmarks/mamba_scan.md`` has the timings
    against the step-by-step reference, forward and forward plus backward, and the memory
    autograd keeps.

    The backward pass gives first derivatives only; differentiating it again (double
    backward) is not supported.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> u, dt = torch.randn(2, 5, 3, generator=g), torch.rand(2, 5, 3, generator=g)
    >>> A = -torch.rand(3, 4, generator=g)
    >>> B, C = torch.randn(2, 5, 4, generator=g), torch.randn(2, 5, 4, generator=g)
    >>> y = selective_scan(u, dt, A, B, C, chunk_size=2)
    >>> y.shape
    torch.Size([2, 5, 3])
    >>> torch.allclose(y, selective_scan_reference(u, dt, A, B, C), atol=1e-6)
    True
    """
    b, L, d, n = _check_scan_inputs(u, delta, A, B, C, D)
    _check_chunk_size(chunk_size)
    operands = [u, delta, A, B, C] + ([] if D is None else [D])
    out_dtype = functools.reduce(torch.promote_types, (t.dtype for t in operands))

    kernel = _mamba_ssm_kernel() if u.is_cuda else None
    if kernel is not None and out_dtype in (torch.float32, *_LOW_PRECISION):
        # mamba_ssm wants (batch, channels, L) layouts and an fp32 A
        u_k, delta_k, B_k, C_k = (t.to(out_dtype).transpose(1, 2).contiguous()
                                  for t in (u, delta, B, C))  # fmt: skip
        y = kernel(u_k, delta_k, A.float().contiguous(), B_k, C_k,
                   None if D is None else D.float())  # fmt: skip
        return y.transpose(1, 2).to(out_dtype)

    compute = torch.float32 if out_dtype in _LOW_PRECISION else out_dtype
    u_c, delta_c, A_c, B_c, C_c = (t.to(compute) for t in (u, delta, A, B, C))
    if chunk_size == "auto":
        itemsize = torch.empty((), dtype=compute).element_size()
        chunk = auto_chunk_size(b, L, d, n, itemsize)
    else:
        chunk = int(chunk_size)
    if torch.is_grad_enabled() and any(t.requires_grad for t in (u_c, delta_c, A_c, B_c, C_c)):
        y = _ChunkedScan.apply(u_c, delta_c, A_c, B_c, C_c, chunk)
    else:
        y = _scan_forward(u_c, delta_c, A_c, B_c, C_c, chunk)
    if D is not None:
        y = y + u_c * D.to(compute)
    return y.to(out_dtype)


def _check_chunk_size(chunk_size: Any) -> None:
    if isinstance(chunk_size, str) and chunk_size == "auto":
        return
    if not is_int(chunk_size) or chunk_size < 1:
        raise ValueError(f"chunk_size must be 'auto' or a positive int, got {chunk_size!r}.")


def _resolve_dt_rank(dt_rank: int | str, d_model: int) -> int:
    if isinstance(dt_rank, str) and dt_rank == "auto":
        return math.ceil(d_model / 16)
    if not is_int(dt_rank) or dt_rank < 1:
        raise ValueError(f"dt_rank must be 'auto' or a positive int, got {dt_rank!r}.")
    return int(dt_rank)


def _check_block_input(x: Any, d_model: int) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 3 or x.shape[-1] != d_model:
        raise ValueError(
            f"input must be a tensor of shape (batch, L, d_model={d_model}), got {shape_of(x)}."
        )
    if x.shape[1] < 1:
        raise ValueError(f"input must hold at least one time step, got shape {shape_of(x)}.")


class _SelectiveSSM(nn.Module):
    """One scan direction: causal depthwise conv + SiLU, x_proj, dt_proj, A_log, D, scan.

    Maps the ``u`` half of the input projection, ``(batch, L, d_inner)``, to the scan output
    ``(batch, L, d_inner)`` before gating.
    """

    def __init__(
        self,
        d_inner: int,
        d_state: int,
        d_conv: int,
        dt_rank: int,
        dt_min: float,
        dt_max: float,
        dt_init_floor: float,
        conv_bias: bool,
        chunk_size: int | str,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.d_state, self.dt_rank, self.chunk_size = d_state, dt_rank, chunk_size
        self.dt_min, self.dt_max, self.dt_init_floor = dt_min, dt_max, dt_init_floor
        self.conv1d = nn.Conv1d(
            d_inner, d_inner, d_conv, groups=d_inner, padding=d_conv - 1, bias=conv_bias, **factory
        )
        self.x_proj = nn.Linear(d_inner, dt_rank + 2 * d_state, bias=False, **factory)
        self.dt_proj = nn.Linear(dt_rank, d_inner, bias=True, **factory)
        self.A_log = nn.Parameter(torch.empty(d_inner, d_state, **factory))
        self.D = nn.Parameter(torch.empty(d_inner, **factory))
        self._reset_ssm_parameters()

    def _reset_ssm_parameters(self) -> None:
        with torch.no_grad():
            bound = self.dt_rank**-0.5
            self.dt_proj.weight.uniform_(-bound, bound)
            # softplus(bias) log-uniform in [dt_min, dt_max]; bias = softplus^-1(dt)
            log_lo, log_hi = math.log(self.dt_min), math.log(self.dt_max)
            dt = torch.rand_like(self.dt_proj.bias) * (log_hi - log_lo) + log_lo
            dt = dt.exp().clamp_min(self.dt_init_floor)
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
            # S4D-real initialisation: A[:, k] = -(k + 1)
            ranks = torch.arange(1, self.d_state + 1, dtype=torch.float64)
            self.A_log.copy_(ranks.log().expand_as(self.A_log))
            self.D.fill_(1.0)

    def reset_parameters(self) -> None:
        """Re-draw every parameter (uses the global torch RNG like ``nn.Linear``)."""
        self.conv1d.reset_parameters()
        self.x_proj.reset_parameters()
        self.dt_proj.reset_parameters()
        self._reset_ssm_parameters()

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        L = u.shape[1]
        u = F.silu(self.conv1d(u.transpose(1, 2))[..., :L]).transpose(1, 2)
        dt, B, C = torch.split(self.x_proj(u), [self.dt_rank, self.d_state, self.d_state], -1)
        delta = F.softplus(self.dt_proj(dt))
        A = -torch.exp(self.A_log)
        return selective_scan(u, delta, A, B, C, self.D, chunk_size=self.chunk_size)


class _MambaBase(nn.Module):
    """Argument checking and the layers shared by both block types."""

    def __init__(
        self,
        d_model: int,
        d_state: int,
        d_conv: int,
        expand: float,
        dt_rank: int | str,
        dt_min: float,
        dt_max: float,
        dt_init_floor: float,
        conv_bias: bool,
        bias: bool,
        chunk_size: int | str,
        device: Any,
        dtype: Any,
    ) -> None:
        super().__init__()
        check_int(d_model, "d_model", 1, expected="a positive int")
        check_int(d_state, "d_state", 1, expected="a positive int")
        check_int(d_conv, "d_conv", 1, expected="a positive int")
        _check_chunk_size(chunk_size)
        if not is_real(expand) or not expand > 0:
            raise ValueError(f"expand must be a positive number, got {expand!r}.")
        d_model, d_state, d_conv = int(d_model), int(d_state), int(d_conv)
        d_inner = int(expand * d_model)
        if d_inner < 1:
            raise ValueError(f"expand * d_model must be at least 1, got {expand} * {d_model}.")
        if not 0 < dt_min <= dt_max:
            raise ValueError(f"need 0 < dt_min <= dt_max, got dt_min={dt_min}, dt_max={dt_max}.")
        if not dt_init_floor > 0:
            raise ValueError(f"dt_init_floor must be positive, got {dt_init_floor}.")
        self.d_model, self.d_inner = d_model, d_inner
        self.dt_rank = _resolve_dt_rank(dt_rank, d_model)
        self._ssm_kwargs = {
            "d_inner": d_inner,
            "d_state": d_state,
            "d_conv": d_conv,
            "dt_rank": self.dt_rank,
            "dt_min": dt_min,
            "dt_max": dt_max,
            "dt_init_floor": dt_init_floor,
            "conv_bias": conv_bias,
            "chunk_size": chunk_size,
            "device": device,
            "dtype": dtype,
        }
        factory = {"device": device, "dtype": dtype}
        self.in_proj = nn.Linear(d_model, 2 * d_inner, bias=bias, **factory)
        self.out_proj = nn.Linear(d_inner, d_model, bias=bias, **factory)


class MambaBlock(_MambaBase):
    """Unidirectional (causal) Mamba mixer of Gu & Dao (2023), in plain PyTorch.

    ``x -> in_proj -> (u, z)``; ``u -> causal depthwise conv1d -> SiLU -> selective scan``
    with input-dependent ``delta, B, C``; ``out = out_proj(scan(u) * SiLU(z))``.
    No normalisation and no residual connection: this is the mixer alone, causal in time.

    Parameters
    ----------
    d_model : int
        Channels of the input and output.
    d_state : int, default=16
        State size per inner channel.
    d_conv : int, default=4
        Kernel size of the causal depthwise convolution.
    expand : float, default=2
        ``d_inner = int(expand * d_model)``.
    dt_rank : int or 'auto', default='auto'
        Rank of the step-size projection; 'auto' is ``ceil(d_model / 16)``.
    dt_min, dt_max : float, default=1e-3, 1e-1
        ``softplus(dt_proj.bias)`` is initialised log-uniform in ``[dt_min, dt_max]``.
    dt_init_floor : float, default=1e-4
        Lower clamp of the initial step sizes.
    conv_bias : bool, default=True
        Bias in the depthwise convolution.
    bias : bool, default=False
        Bias in ``in_proj`` and ``out_proj``.
    chunk_size : int or 'auto', default='auto'
        Passed to :func:`selective_scan`.
    device, dtype : optional
        Where and in which dtype the parameters are created.

    Attributes
    ----------
    d_inner : int
        Width of the scan.
    dt_rank : int
        Resolved rank of the step-size projection.
    ssm : nn.Module
        The scan branch: ``conv1d``, ``x_proj``, ``dt_proj``, ``A_log`` (``A = -exp(A_log)``,
        S4D-real init ``A[:, k] = -(k + 1)``) and ``D`` (init 1).

    Examples
    --------
    >>> import torch
    >>> block = MambaBlock(8, d_state=4)
    >>> block(torch.randn(2, 10, 8)).shape
    torch.Size([2, 10, 8])
    """

    def __init__(
        self,
        d_model: int,
        d_state: int = 16,
        d_conv: int = 4,
        expand: float = 2,
        dt_rank: int | str = "auto",
        *,
        dt_min: float = 1e-3,
        dt_max: float = 1e-1,
        dt_init_floor: float = 1e-4,
        conv_bias: bool = True,
        bias: bool = False,
        chunk_size: int | str = "auto",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            d_model, d_state, d_conv, expand, dt_rank, dt_min, dt_max, dt_init_floor,
            conv_bias, bias, chunk_size, device, dtype,
        )  # fmt: skip
        self.ssm = _SelectiveSSM(**self._ssm_kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mix ``x`` of shape (batch, L, d_model) causally; returns the same shape."""
        _check_block_input(x, self.d_model)
        u, z = self.in_proj(x).chunk(2, dim=-1)
        return self.out_proj(self.ssm(u) * F.silu(z))


class BiMambaBlock(_MambaBase):
    """Bidirectional Mamba block (Vision Mamba / RhythmMamba style), pre-norm and residual.

    ``out = x + out_proj((scan_fwd(u) + flip(scan_bwd(flip(u)))) * SiLU(z))`` with
    ``(u, z) = in_proj(norm(x))``. ``in_proj``, ``out_proj`` and the gate are shared; each
    direction has its own causal conv1d, ``x_proj``, ``dt_proj``, ``A_log`` and ``D``; the
    backward direction runs on the time-reversed ``u`` and its output is flipped back, so every
    output step sees the whole sequence.

    Parameters
    ----------
    d_model : int
        Channels of the input and output; 1 is allowed (the label encoder's width).
    d_state : int, default=16
        State size per inner channel.
    d_conv : int, default=4
        Kernel size of the depthwise convolutions.
    expand : float, default=2
        ``d_inner = int(expand * d_model)``.
    dt_rank : int or 'auto', default='auto'
        Rank of the step-size projections; 'auto' is ``ceil(d_model / 16)`` (1 for
        ``d_model = 1``).
    norm : {'auto', 'layer'} or None, default='auto'
        Pre-normalisation. 'layer' is ``nn.LayerNorm(d_model)``. ``None`` is the identity.
        'auto' is 'layer' when ``d_model > 1`` and ``None`` when ``d_model == 1``: a LayerNorm
        over a single channel subtracts the value from itself and outputs its bias for every
        input, which would cut the mixer off from the signal; with one channel the input is
        left as it is (the label encoder feeds standardised labels, so its scale is sane).
    residual : bool, default=True
        Add the input to the mixer output.
    dt_min, dt_max, dt_init_floor, conv_bias, bias, chunk_size, device, dtype
        As in :class:`MambaBlock`.

    Attributes
    ----------
    d_inner : int
        Width of the scans.
    dt_rank : int
        Resolved rank of the step-size projections.
    norm : nn.Module
        ``nn.LayerNorm`` or ``nn.Identity``.
    ssm_fwd, ssm_bwd : nn.Module
        The forward-time and backward-time scan branches (see :class:`MambaBlock`).

    Examples
    --------
    >>> import torch
    >>> block = BiMambaBlock(1, d_state=4)
    >>> block(torch.randn(2, 10, 1)).shape
    torch.Size([2, 10, 1])
    """

    def __init__(
        self,
        d_model: int,
        d_state: int = 16,
        d_conv: int = 4,
        expand: float = 2,
        dt_rank: int | str = "auto",
        *,
        norm: str | None = "auto",
        residual: bool = True,
        dt_min: float = 1e-3,
        dt_max: float = 1e-1,
        dt_init_floor: float = 1e-4,
        conv_bias: bool = True,
        bias: bool = False,
        chunk_size: int | str = "auto",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            d_model, d_state, d_conv, expand, dt_rank, dt_min, dt_max, dt_init_floor,
            conv_bias, bias, chunk_size, device, dtype,
        )  # fmt: skip
        if norm not in ("auto", "layer", None):
            raise ValueError(f"norm must be 'auto', 'layer' or None, got {norm!r}.")
        if norm == "auto":
            norm = "layer" if d_model > 1 else None
        self.norm = (
            nn.LayerNorm(d_model, device=device, dtype=dtype) if norm == "layer" else nn.Identity()
        )
        self.residual = bool(residual)
        self.ssm_fwd = _SelectiveSSM(**self._ssm_kwargs)
        self.ssm_bwd = _SelectiveSSM(**self._ssm_kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mix ``x`` of shape (batch, L, d_model) in both time directions; same shape out."""
        _check_block_input(x, self.d_model)
        u, z = self.in_proj(self.norm(x)).chunk(2, dim=-1)
        y = self.ssm_fwd(u) + self.ssm_bwd(u.flip(1)).flip(1)
        out = self.out_proj(y * F.silu(z))
        return x + out if self.residual else out
