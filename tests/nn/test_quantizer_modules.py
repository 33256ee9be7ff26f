"""Tests of the label-quantizer modules: scalar EMA quantizer, label encoder, one level."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lqrppg.nn import LabelQuantizerNet, PulseLabelEncoder, ScalarEMAQuantizer

# ------------------------------------------------------------------ NumPy reference


def np_ema_step(z, codebook, cluster_size, embed_sum, decay, eps):
    """One EMA codebook update by hand: assignment, counts, sums, Laplace smoothing."""
    z = np.asarray(z, dtype=np.float64).ravel()
    K = codebook.size
    idx = np.argmin(np.abs(z[:, None] - codebook[None, :]), axis=1)
    counts = np.array([np.sum(idx == k) for k in range(K)], dtype=np.float64)
    sums = np.array([z[idx == k].sum() for k in range(K)])
    N = decay * cluster_size + (1 - decay) * counts
    S = decay * embed_sum + (1 - decay) * sums
    n = N.sum()
    smoothed = (N + eps) / (n + K * eps) * n
    return idx, N, S, S / smoothed


def _vq(codebook, cluster_size, embed_sum, **kwargs):
    vq = ScalarEMAQuantizer(len(codebook), dtype=torch.float64, **kwargs)
    with torch.no_grad():
        vq.codebook.copy_(torch.as_tensor(codebook, dtype=torch.float64))
        vq.cluster_size.copy_(torch.as_tensor(cluster_size, dtype=torch.float64))
        vq.embed_sum.copy_(torch.as_tensor(embed_sum, dtype=torch.float64))
        vq.initialized.fill_(True)
    return vq


# ------------------------------------------------------------------ ScalarEMAQuantizer


@pytest.mark.parametrize("decay, eps", [(0.99, 1e-5), (0.5, 1e-2), (0.0, 1e-5)])
def test_ema_update_matches_numpy_reference(decay, eps):
    rng = np.random.default_rng(0)
    codebook = np.array([-1.5, -0.2, 0.3, 1.1, 4.0])  # 4.0 receives nothing: smoothing matters
    cluster_size = np.array([3.0, 5.0, 4.0, 2.0, 0.5])
    embed_sum = codebook * cluster_size * 1.1
    z = rng.normal(size=(3, 7))
    vq = _vq(codebook, cluster_size, embed_sum, decay=decay, eps=eps, dead_code_threshold=0.0)
    out = vq.train()(torch.from_numpy(z))
    idx, N, S, C = np_ema_step(z, codebook, cluster_size, embed_sum, decay, eps)
    # assignment and output use the codebook before the update
    np.testing.assert_array_equal(out.indices.numpy().ravel(), idx)
    np.testing.assert_allclose(out.quantized.detach().numpy().ravel(), codebook[idx])
    np.testing.assert_allclose(vq.cluster_size.numpy(), N, rtol=1e-12)
    np.testing.assert_allclose(vq.embed_sum.numpy(), S, rtol=1e-12)
    np.testing.assert_allclose(vq.codebook.numpy(), C, rtol=1e-12)
    assert not np.allclose(C, codebook)  # the step did move the codewords


def test_eval_mode_does_not_update():
    vq = _vq([-1.0, 1.0], [5.0, 5.0], [-5.0, 5.0])
    before = {k: v.clone() for k, v in vq.state_dict().items()}
    vq.eval()(torch.randn(4, 9, dtype=torch.float64))
    for k, v in vq.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_straight_through_gradient_equals_identity_gradient():
    g = torch.Generator().manual_seed(1)
    vq = _vq([-1.0, -0.1, 0.4, 2.0], [1.0] * 4, [-1.0, -0.1, 0.4, 2.0], commitment=0.0)
    z = torch.randn(2, 6, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 6, generator=g, dtype=torch.float64)
    out = vq.train()(z)
    assert torch.equal(out.quantized, vq.codebook.new_tensor([-1.0, -0.1, 0.4, 2.0])[out.indices])
    (w * out.quantized.square()).sum().backward()
    # the same loss on a leaf holding the codewords: the gradient passes to z unchanged
    q = out.quantized.detach().clone().requires_grad_(True)
    (w * q.square()).sum().backward()
    torch.testing.assert_close(z.grad, q.grad)
    assert not torch.allclose(z.grad, 2 * w * z.detach())  # evaluated at q, not at z


def test_commitment_loss_value_and_gradient():
    vq = _vq([-1.0, 0.5, 2.0], [1.0] * 3, [-1.0, 0.5, 2.0], commitment=0.5)
    z = torch.tensor([[0.1, -0.7, 1.9, 3.0]], dtype=torch.float64, requires_grad=True)
    out = vq.eval()(z)
    q = torch.tensor([[0.5, -1.0, 2.0, 2.0]], dtype=torch.float64)
    expected = 0.5 * ((z.detach() - q) ** 2).mean()
    torch.testing.assert_close(out.commitment_loss, expected)
    out.commitment_loss.backward()
    # codewords are stop-gradient: d/dz of 0.5 * mean((z - q)^2) = (z - q) / n
    torch.testing.assert_close(z.grad, (z.detach() - q) / 4)
    assert vq.codebook.grad is None and not vq.codebook.requires_grad


def test_init_codebook_from_quantiles():
    rng = np.random.default_rng(2)
    z = rng.standard_normal(1000)
    vq = ScalarEMAQuantizer(8, dtype=torch.float64)
    vq.init_codebook_(torch.from_numpy(z), tokens_per_step=100)
    expected = np.quantile(z, (np.arange(8) + 0.5) / 8)
    np.testing.assert_allclose(vq.codebook.numpy(), expected, rtol=1e-12)
    idx = np.argmin(np.abs(z[:, None] - expected[None]), axis=1)
    counts = np.bincount(idx, minlength=8) * 100 / 1000
    np.testing.assert_allclose(vq.cluster_size.numpy(), counts)
    np.testing.assert_allclose(vq.embed_sum.numpy(), expected * counts)
    assert bool(vq.initialized)


def test_lazy_init_on_first_training_batch_and_eval_refuses_uninitialised():
    vq = ScalarEMAQuantizer(4)
    with pytest.raises(RuntimeError, match="not initialised"):
        vq.eval()(torch.randn(2, 5))
    z = torch.linspace(-2, 2, 40).reshape(2, 20)
    vq.train()(z)
    assert bool(vq.initialized)
    assert torch.all(vq.codebook.diff() > 0)  # quantiles of z, then one EMA step
    assert vq.codebook.min() > -2 and vq.codebook.max() < 2


def test_dead_codes_are_reseeded_onto_batch_values():
    # codeword 100 is far from every value: its share decays below the threshold
    vq = _vq([-1.0, 1.0, 100.0], [5.0, 5.0, 0.5], [-5.0, 5.0, 50.0], dead_code_threshold=1.0)
    z = torch.randn(4, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    vq.train()(z, generator=torch.Generator().manual_seed(3))
    assert float(vq.codebook[2]) in set(z.flatten().tolist())
    assert float(vq.cluster_size[2]) == 1.0
    torch.testing.assert_close(vq.embed_sum[2], vq.codebook[2])
    # deterministic given the generator
    vq2 = _vq([-1.0, 1.0, 100.0], [5.0, 5.0, 0.5], [-5.0, 5.0, 50.0], dead_code_threshold=1.0)
    vq2.train()(z, generator=torch.Generator().manual_seed(3))
    assert torch.equal(vq.codebook, vq2.codebook)


def test_dead_code_reseeding_can_be_switched_off():
    vq = _vq([-1.0, 1.0, 100.0], [5.0, 5.0, 0.5], [-5.0, 5.0, 50.0], dead_code_threshold=0.0)
    z = torch.randn(4, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    vq.train()(z)
    assert float(vq.codebook[2]) > 10  # left where the moving average puts it


def test_sort_codebook_keeps_values_and_remaps_indices():
    vq = _vq([0.7, -1.2, 0.1, 2.5], [1.0, 2.0, 3.0, 4.0], [0.7, -2.4, 0.3, 10.0])
    z = torch.randn(3, 11, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    before = vq.eval()(z)
    order = vq.sort_codebook_()
    after = vq(z)
    assert order.tolist() == [1, 2, 0, 3]
    assert torch.all(vq.codebook.diff() > 0)
    assert vq.cluster_size.tolist() == [2.0, 3.0, 1.0, 4.0]
    assert torch.equal(before.quantized, after.quantized)
    assert torch.equal(order[after.indices], before.indices)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_codes": 0}, "n_codes"),
        ({"n_codes": 4, "decay": 1.0}, "decay"),
        ({"n_codes": 4, "eps": 0.0}, "eps"),
        ({"n_codes": 4, "commitment": -1.0}, "commitment"),
        ({"n_codes": 4, "dead_code_threshold": -1.0}, "dead_code_threshold"),
    ],
)
def test_quantizer_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ScalarEMAQuantizer(**kwargs)


# ------------------------------------------------------------------ encoder and level


def test_encoder_shapes_and_length_check():
    torch.manual_seed(0)
    enc = PulseLabelEncoder(48, d_state=4)
    assert enc(torch.randn(3, 48)).shape == (3, 48)
    assert [c.dilation[0] for c in enc.convs] == [1, 2, 4, 8, 16]
    assert all(c.kernel_size[0] == 5 for c in enc.convs)
    assert isinstance(enc.mixer.norm, torch.nn.Identity)  # width 1: no LayerNorm
    with pytest.raises(ValueError, match="T=48"):
        enc(torch.randn(3, 40))
    with pytest.raises(ValueError, match="batch, T"):
        enc(torch.randn(3, 1, 48))


def test_encoder_is_residual_and_every_part_gets_gradient():
    torch.manual_seed(0)
    enc = PulseLabelEncoder(32, d_state=4)
    with torch.no_grad():
        for conv in enc.convs:
            conv.weight.zero_()
            conv.bias.zero_()
        enc.pos_embedding.zero_()
        enc.mixer.out_proj.weight.zero_()
    x = torch.randn(2, 32)
    torch.testing.assert_close(enc(x), x)  # all branches off: the identity
    torch.manual_seed(1)
    enc = PulseLabelEncoder(32, d_state=4)
    enc(torch.randn(2, 32)).square().sum().backward()
    for name, p in enc.named_parameters():
        assert p.grad is not None and torch.any(p.grad != 0), name


def test_wide_encoder():
    torch.manual_seed(0)
    enc = PulseLabelEncoder(40, width=4, d_state=4)
    assert enc(torch.randn(2, 40)).shape == (2, 40)
    assert isinstance(enc.mixer.norm, torch.nn.LayerNorm)
    assert enc.convs[0].in_channels == 1 and enc.convs[1].in_channels == 4


def test_level_network_outputs_codewords_and_trains_codebook():
    torch.manual_seed(0)
    net = LabelQuantizerNet(40, 4, d_state=4)
    x = torch.randn(6, 40)
    net.init_codebook_(x, batch_size=4)
    assert net.training  # restored after the eval-mode initialisation
    start = net.quantizer.codebook.clone()
    out = net(x)
    assert torch.equal(out.quantized, start[out.indices])  # exactly the codewords
    assert not torch.equal(start, net.quantizer.codebook)  # EMA step in training mode
    net.eval()
    out = net(x)
    assert out.indices.dtype == torch.int64 and out.indices.shape == (6, 40)
    assert torch.equal(out.quantized, net.quantizer.codebook[out.indices])
    torch.testing.assert_close(out.latent, net.encoder(x))
