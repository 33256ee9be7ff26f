"""Tests of the selective scan and the (bidirectional) Mamba blocks."""

from __future__ import annotations

import copy

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lqrppg.nn import (
    BiMambaBlock,
    MambaBlock,
    auto_chunk_size,
    selective_scan,
    selective_scan_reference,
)
from lqrppg.nn._mamba import _mamba_ssm_kernel


def _operands(b, L, d, n, *, dtype=torch.float32, seed=0, strong=False, with_D=True):
    """Random scan operands; ``strong`` makes delta * A reach several hundred per chunk."""
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    u = rnd(b, L, d)
    delta = torch.nn.functional.softplus(rnd(b, L, d) * (2.0 if strong else 1.0) - 2.0)
    if strong:
        delta = delta * 20.0
    A = -torch.exp(rnd(d, n) + (2.0 if strong else 0.0))
    B, C = rnd(b, L, n), rnd(b, L, n)
    D = rnd(d) if with_D else None
    return [None if t is None else t.to(dtype) for t in (u, delta, A, B, C, D)]


@pytest.mark.parametrize(
    ("shape", "chunk_size"),
    [
        ((2, 1, 3, 4), 16),  # L = 1
        ((2, 37, 5, 3), 8),  # L not a multiple of the chunk
        ((3, 20, 4, 2), 1),  # one step per chunk
        ((1, 50, 6, 5), 64),  # one chunk longer than L
        ((2, 48, 4, 3), 16),  # L a multiple of the chunk
    ],
)
def test_scan_matches_reference_float32(shape, chunk_size):
    ops = _operands(*shape)
    fast = selective_scan(*ops, chunk_size=chunk_size)
    ref = selective_scan_reference(*ops)
    assert fast.shape == shape[:3]
    assert fast.dtype == torch.float32
    torch.testing.assert_close(fast, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("chunk_size", [1, 7, 16])
def test_scan_matches_reference_float64(chunk_size):
    ops = _operands(2, 41, 6, 5, dtype=torch.float64, seed=1)
    fast = selective_scan(*ops, chunk_size=chunk_size)
    assert fast.dtype == torch.float64
    torch.testing.assert_close(fast, selective_scan_reference(*ops), rtol=0, atol=1e-10)


def test_scan_without_skip_and_strong_decay_is_stable():
    # delta * A reaches several hundred inside a chunk: a cumulative-sum-and-divide scan
    # would overflow exp() here.
    ops = _operands(2, 40, 5, 6, strong=True, with_D=False, seed=2)
    assert (ops[1][..., None] * ops[2]).min() < -100
    fast = selective_scan(*ops, chunk_size=32)
    assert torch.isfinite(fast).all()
    torch.testing.assert_close(fast, selective_scan_reference(*ops), rtol=1e-5, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(
    b=st.integers(1, 3),
    L=st.integers(1, 30),
    d=st.integers(1, 4),
    n=st.integers(1, 4),
    chunk_size=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_scan_matches_reference_property(b, L, d, n, chunk_size, seed):
    ops = _operands(b, L, d, n, dtype=torch.float64, seed=seed)
    fast = selective_scan(*ops, chunk_size=chunk_size)
    torch.testing.assert_close(fast, selective_scan_reference(*ops), rtol=0, atol=1e-10)


def test_scan_gradcheck_float64():
    ops = [t.requires_grad_() for t in _operands(2, 5, 2, 3, dtype=torch.float64, seed=3)]
    assert torch.autograd.gradcheck(lambda *a: selective_scan(*a, chunk_size=2), ops)


@pytest.mark.parametrize("with_D", [True, False])
def test_scan_gradients_match_reference(with_D):
    base = _operands(3, 29, 5, 4, seed=4, with_D=with_D)
    weight = torch.randn(3, 29, 5, generator=torch.Generator().manual_seed(5))
    grads = []
    for fn in (lambda *a: selective_scan(*a, chunk_size=8), selective_scan_reference):
        leaves = [None if t is None else t.clone().requires_grad_() for t in base]
        (fn(*leaves) * weight).sum().backward()
        grads.append([t.grad for t in leaves if t is not None])
    for fast, ref in zip(*grads, strict=True):
        assert fast is not None and fast.shape == ref.shape
        torch.testing.assert_close(fast, ref, rtol=1e-4, atol=1e-4)


def test_scan_only_saves_chunk_boundaries():
    # Autograd must not keep a (batch, L, d_inner, d_state) tensor for the backward pass.
    b, L, d, n = 2, 64, 3, 4
    leaves = [t.requires_grad_() for t in _operands(b, L, d, n, seed=6)]
    saved = []

    def pack(t):
        saved.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = selective_scan(*leaves, chunk_size=16)
    y.sum().backward()
    assert max(saved) < b * L * d * n
    assert all(torch.isfinite(t.grad).all() for t in leaves)


@pytest.mark.parametrize("shape", [(3, 29, 16, 8), (2, 40, 2, 16), (1, 7, 3, 2)])
def test_auto_chunk_matches_reference_with_gradients(shape):
    base = _operands(*shape, seed=11)
    weight = torch.randn(*shape[:3], generator=torch.Generator().manual_seed(12))
    results = []
    for fn in (selective_scan, selective_scan_reference):  # chunk_size='auto' is the default
        leaves = [t.clone().requires_grad_() for t in base]
        y = fn(*leaves)
        (y * weight).sum().backward()
        results.append((y.detach(), [t.grad for t in leaves]))
    (y_fast, g_fast), (y_ref, g_ref) = results
    torch.testing.assert_close(y_fast, y_ref, rtol=0, atol=1e-5)
    for a, b in zip(g_fast, g_ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_inference_path_equals_training_path_and_saves_nothing():
    ops = _operands(2, 30, 4, 3, seed=13)
    with torch.no_grad():
        y_inf = selective_scan(*ops, chunk_size=4)
    leaves = [t.clone().requires_grad_() for t in ops]
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        y_train = selective_scan(*leaves, chunk_size=4)
    assert saved  # the training path keeps the chunk starts
    # the same arithmetic in both paths, so bit for bit the same output
    assert torch.equal(y_inf, y_train.detach())
    assert not y_inf.requires_grad


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((16, 160, 128, 48), 4),  # 393 KiB per step: 4 steps fit in 1.5 MiB
        ((4, 160, 128, 48), 16),
        ((1, 160, 128, 48), 64),  # capped at 64
        ((64, 160, 128, 48), 2),  # at least 2
        ((16, 10, 2, 16), 10),  # at most L
        ((16, 1, 2, 16), 1),
    ],
)
def test_auto_chunk_size(shape, expected):
    assert auto_chunk_size(*shape) == expected
    b, L, d, n = shape
    assert auto_chunk_size(b, L, d, n, itemsize=8) <= expected  # float64 halves the budget


def test_scan_non_contiguous_inputs():
    # the blocks feed transposed views (conv output); the result must not depend on layout
    ops = _operands(2, 19, 4, 3, seed=10)
    views = [t.transpose(0, 1).contiguous().transpose(0, 1) if t.ndim == 3 else t for t in ops]
    assert not views[0].is_contiguous()
    torch.testing.assert_close(
        selective_scan(*views, chunk_size=5), selective_scan_reference(*ops), rtol=0, atol=1e-5
    )


def test_scan_does_not_mutate_inputs():
    ops = _operands(2, 10, 3, 2, seed=7)
    before = [t.clone() for t in ops]
    selective_scan(*ops, chunk_size=4)
    for a, b in zip(ops, before, strict=True):
        assert torch.equal(a, b)


def test_scan_low_precision_is_computed_in_float32():
    ops = _operands(2, 12, 3, 2, seed=8)
    half = [t.to(torch.bfloat16) for t in ops]
    y = selective_scan(*half, chunk_size=4)
    assert y.dtype == torch.bfloat16
    exact = selective_scan_reference(*[t.float() for t in half])
    torch.testing.assert_close(y.float(), exact, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"u": torch.zeros(2, 3)}, r"u must have shape \(batch, L, d_inner\)"),
        ({"u": torch.zeros(2, 0, 3), "delta": torch.zeros(2, 0, 3)}, "at least one time step"),
        ({"delta": torch.zeros(2, 5, 4)}, r"delta must have shape .* = \(2, 5, 3\)"),
        ({"A": torch.zeros(4, 2)}, r"A must have shape \(d_inner=3, d_state\)"),
        ({"B": torch.zeros(2, 5, 3)}, r"B must have shape .* = \(2, 5, 2\)"),
        ({"C": torch.zeros(2, 4, 2)}, r"C must have shape .* = \(2, 5, 2\)"),
        ({"D": torch.zeros(2)}, r"D must have shape \(d_inner,\) = \(3,\)"),
        ({"u": torch.zeros(2, 5, 3, dtype=torch.long)}, "floating-point"),
        ({"chunk_size": 0}, "chunk_size must be .auto. or a positive int"),
        ({"chunk_size": "fast"}, "chunk_size must be .auto. or a positive int"),
    ],
)
def test_scan_errors(kwargs, match):
    args = dict(zip("u delta A B C D".split(), _operands(2, 5, 3, 2), strict=True))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        selective_scan(**args)
    if "chunk_size" not in kwargs:
        with pytest.raises(ValueError, match=match):
            selective_scan_reference(**args)


@pytest.mark.skipif(
    not torch.cuda.is_available() or _mamba_ssm_kernel() is None,
    reason="needs CUDA and the mamba_ssm package",
)
def test_mamba_ssm_kernel_agrees_with_reference():
    ops = [t.cuda() for t in _operands(2, 64, 8, 4, seed=9)]
    torch.testing.assert_close(
        selective_scan(*ops), selective_scan_reference(*ops), rtol=1e-3, atol=1e-3
    )


# ----------------------------------------------------------------------------- blocks


def _block_input(b, L, d, seed=0):
    return torch.randn(b, L, d, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("cls", [MambaBlock, BiMambaBlock])
@pytest.mark.parametrize(("b", "L", "d_model"), [(2, 23, 8), (1, 1, 8), (3, 17, 1)])
def test_block_shape_dtype_and_gradients(cls, b, L, d_model):
    torch.manual_seed(0)
    block = cls(d_model, d_state=6, chunk_size=8)
    x = _block_input(b, L, d_model).requires_grad_()
    y = block(x)
    assert y.shape == (b, L, d_model) and y.dtype == x.dtype
    y.square().sum().backward()
    assert torch.isfinite(x.grad).all()
    for name, p in block.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_block_float64_and_determinism():
    torch.manual_seed(1)
    block = BiMambaBlock(4, d_state=3, dtype=torch.float64)
    x = _block_input(2, 9, 4).double()
    x_before = x.clone()
    y1, y2 = block(x), block(x)
    assert y1.dtype == torch.float64
    assert torch.equal(y1, y2)
    assert torch.equal(x, x_before)


def test_mamba_block_initialisation():
    torch.manual_seed(2)
    block = MambaBlock(20, d_state=5, expand=2, dt_min=1e-3, dt_max=1e-1)
    ssm = block.ssm
    assert block.d_inner == 40 and block.dt_rank == 2  # ceil(20 / 16)
    expected_A = -torch.arange(1, 6, dtype=torch.float32).expand(40, 5)
    torch.testing.assert_close(-torch.exp(ssm.A_log), expected_A)
    torch.testing.assert_close(ssm.D, torch.ones(40))
    dt = torch.nn.functional.softplus(ssm.dt_proj.bias)
    assert dt.min() >= 1e-3 * (1 - 1e-5) and dt.max() <= 1e-1 * (1 + 1e-5)
    assert ssm.conv1d.kernel_size == (4,) and ssm.conv1d.groups == 40
    assert ssm.x_proj.out_features == 2 + 2 * 5
    assert block.in_proj.out_features == 80 and block.out_proj.in_features == 40


def test_mamba_block_is_causal():
    torch.manual_seed(3)
    block = MambaBlock(6, d_state=4, chunk_size=4)
    x = _block_input(2, 21, 6)
    k = 11
    x2 = x.clone()
    x2[:, k] += torch.linspace(-5.0, 5.0, 6)
    y, y2 = block(x), block(x2)
    torch.testing.assert_close(y2[:, :k], y[:, :k], rtol=0, atol=1e-6)
    assert ((y2 - y)[:, k:].abs().amax(dim=(0, 2)) > 1e-6).all()  # every later step sees it


def test_bimamba_sees_past_and_future():
    torch.manual_seed(4)
    block = BiMambaBlock(6, d_state=4)
    x = _block_input(2, 21, 6)
    k = 10
    x2 = x.clone()
    x2[:, k] += torch.linspace(-5.0, 5.0, 6)  # not constant over channels: LayerNorm keeps it
    diff = (block(x2) - block(x)).abs().amax(dim=(0, 2))
    assert (diff > 1e-6).all()  # both before and after k


def test_bimamba_time_reversal_with_swapped_directions():
    torch.manual_seed(5)
    block = BiMambaBlock(5, d_state=3, chunk_size=4)
    swapped = copy.deepcopy(block)
    swapped.ssm_fwd.load_state_dict(block.ssm_bwd.state_dict())
    swapped.ssm_bwd.load_state_dict(block.ssm_fwd.state_dict())
    x = _block_input(2, 13, 5)
    torch.testing.assert_close(swapped(x.flip(1)), block(x).flip(1), rtol=1e-5, atol=1e-5)
    # and the two directions do differ, so the check is not vacuous
    assert not torch.allclose(swapped(x), block(x), atol=1e-4)


def test_bimamba_norm_and_residual_options():
    torch.manual_seed(6)
    auto_wide = BiMambaBlock(4, d_state=2)
    auto_narrow = BiMambaBlock(1, d_state=2)
    assert isinstance(auto_wide.norm, torch.nn.LayerNorm)
    assert isinstance(auto_narrow.norm, torch.nn.Identity)
    assert auto_narrow.dt_rank == 1
    # with one channel the block must still depend on the input's values
    x = _block_input(1, 12, 1)
    mixer = BiMambaBlock(1, d_state=2, residual=False)
    assert not torch.allclose(mixer(x), mixer(2 * x), atol=1e-6)
    plain = BiMambaBlock(4, d_state=2, norm=None, residual=False)
    assert isinstance(plain.norm, torch.nn.Identity)
    x4 = _block_input(2, 7, 4)
    with_res = copy.deepcopy(plain)
    with_res.residual = True
    torch.testing.assert_close(with_res(x4), plain(x4) + x4)


@pytest.mark.parametrize("cls", [MambaBlock, BiMambaBlock])
@pytest.mark.parametrize(
    ("x", "match"),
    [
        (torch.zeros(2, 8), r"\(batch, L, d_model=8\), got \(2, 8\)"),
        (torch.zeros(2, 5, 4), r"\(batch, L, d_model=8\), got \(2, 5, 4\)"),
        (torch.zeros(2, 0, 8), "at least one time step"),
    ],
)
def test_block_input_errors(cls, x, match):
    block = cls(8, d_state=2)
    with pytest.raises(ValueError, match=match):
        block(x)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"d_model": 0}, "d_model must be a positive int"),
        ({"d_state": 0}, "d_state must be a positive int"),
        ({"d_conv": 0}, "d_conv must be a positive int"),
        ({"expand": 0}, "expand must be a positive number"),
        ({"expand": 0.1}, "expand \\* d_model must be at least 1"),
        ({"dt_rank": 0}, "dt_rank must be 'auto' or a positive int"),
        ({"dt_rank": "big"}, "dt_rank must be 'auto' or a positive int"),
        ({"dt_min": 0.2}, "need 0 < dt_min <= dt_max"),
        ({"chunk_size": 0}, "chunk_size must be .auto. or a positive int"),
        ({"chunk_size": "fast"}, "chunk_size must be .auto. or a positive int"),
    ],
)
def test_block_constructor_errors(kwargs, match):
    args = {"d_model": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        MambaBlock(**args)


def test_bimamba_norm_error():
    with pytest.raises(ValueError, match="norm must be 'auto', 'layer' or None"):
        BiMambaBlock(4, norm="rms")
