"""Tests of the PhysNet baseline network."""

from __future__ import annotations

import pytest
import torch

from lqrppg.nn import PhysNet


def _net(seed=0):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return PhysNet()


def _clip(b=2, t=32, hw=32, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, 3, t, hw, hw, generator=g)


@pytest.mark.parametrize(("t", "hw"), [(32, 32), (8, 16), (20, 24)])
def test_output_is_one_value_per_frame(t, hw):
    out = _net()(_clip(t=t, hw=hw))
    assert out.shape == (2, t)
    assert torch.isfinite(out).all()


def test_gradient_reaches_every_parameter():
    net = _net()
    net(_clip()).square().mean().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_output_depends_on_time():
    # the decoder restores the frame rate: a change late in the clip moves late outputs most
    net = _net().eval()
    x = _clip(b=1)
    y = x.clone()
    y[:, :, -4:] += 3.0
    with torch.no_grad():
        diff = (net(y) - net(x)).abs()[0]
    assert diff[-4:].mean() > 5 * diff[:8].mean()


def test_layer_list_and_size():
    net = _net()
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv3d)]
    assert [c.kernel_size for c in convs[:2]] == [(1, 5, 5), (3, 3, 3)]
    assert len(convs) == 10  # nine blocks and the head
    ups = [m for m in net.modules() if isinstance(m, torch.nn.ConvTranspose3d)]
    assert len(ups) == 2 and ups[0].stride == (2, 1, 1)
    assert sum(p.numel() for p in net.parameters()) == 768_577


def test_float64():
    net = _net().to(torch.float64)
    assert net(_clip(b=1, t=8, hw=16).double()).dtype == torch.float64


@pytest.mark.parametrize(
    "shape",
    [(2, 3, 30, 32, 32), (2, 3, 0, 32, 32), (2, 4, 32, 32, 32), (3, 32, 32, 32), (1, 3, 8, 8, 32)],
)
def test_input_errors(shape):
    with pytest.raises(ValueError, match=r"\(batch, 3, T, H, W\) with T a multiple of 4"):
        _net()(torch.zeros(shape))


def test_integer_input_error():
    with pytest.raises(ValueError, match="floating-point"):
        _net()(torch.zeros(1, 3, 8, 16, 16, dtype=torch.int64))
