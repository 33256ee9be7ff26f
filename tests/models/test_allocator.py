"""keep_freed_memory: large blocks come from glibc's heap inside the block, from mmap outside."""

import ctypes
import platform

import numpy as np
import pytest
import torch

from lqrppg._training import keep_freed_memory, train_module

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="glibc's allocator only (mallopt, mallinfo2)",
)


class _MallInfo2(ctypes.Structure):
    # struct mallinfo2 (glibc >= 2.33): ten size_t fields
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]  # fmt: skip


def _mmapped_blocks() -> int:
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc older than 2.33 (no mallinfo2)")
    libc.mallinfo2.restype = _MallInfo2
    return int(libc.mallinfo2().hblks)


def _mmapped_while_holding(n_bytes: int) -> int:
    """How many more mmapped blocks there are while one array of ``n_bytes`` is alive."""
    before = _mmapped_blocks()
    block = np.ones(n_bytes, dtype=np.uint8)
    during = _mmapped_blocks()
    del block
    return during - before


def test_large_blocks_come_from_the_heap_inside_and_from_mmap_outside():
    size = 64 * 2**20  # above glibc's largest mmap threshold (32 MB)
    assert _mmapped_while_holding(size) == 1
    with keep_freed_memory():
        assert _mmapped_while_holding(size) == 0
        with keep_freed_memory():  # nested: the inner end does not restore
            pass
        assert _mmapped_while_holding(size) == 0
    assert _mmapped_while_holding(size) == 1  # defaults back


def test_the_default_is_restored_when_the_block_raises():
    with pytest.raises(RuntimeError), keep_freed_memory():
        raise RuntimeError("boom")
    assert _mmapped_while_holding(64 * 2**20) == 1


def test_train_module_trains_inside_the_block():
    seen = []

    def loss_fn(module, batch):
        (x,) = batch
        seen.append(_mmapped_while_holding(64 * 2**20))
        return module(x).square().mean()

    torch.manual_seed(0)
    train_module(torch.nn.Linear(3, 1), loss_fn, (torch.randn(8, 3),), epochs=1, batch_size=4,
                 verbose=0)  # fmt: skip
    assert seen == [0, 0]
    assert _mmapped_while_holding(64 * 2**20) == 1


def test_a_fit_is_bit_identical_with_and_without_the_setting(monkeypatch):
    # 64 x 64 clips: the stem's frame differences (126 MB) and activations are large blocks
    import contextlib

    from lqrppg import _training
    from lqrppg.models import LQRPPGRegressor

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (4, 160, 64, 64, 3), dtype=np.uint8)
    t = np.arange(160) / 30
    y = np.sin(2 * np.pi * rng.uniform(1, 2, 4)[:, None] * t) + 0.1 * rng.standard_normal((4, 160))

    def fit():
        est = LQRPPGRegressor(epochs=1, batch_size=4, dim=16, d_state=8, validation_fraction=0.0,
                              early_stopping=False, num_threads=1, device="cpu", random_state=0,
                              quantizer_epochs=1, verbose=0)  # fmt: skip
        return est.fit(X, y).predict(X)

    kept = fit()
    monkeypatch.setattr(_training, "keep_freed_memory", contextlib.nullcontext)
    assert np.array_equal(fit(), kept)
