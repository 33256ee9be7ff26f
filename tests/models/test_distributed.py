"""Data-parallel training over torch.distributed (gloo, 2 CPU processes) vs one process."""

from __future__ import annotations

import itertools
import os
import socket
import sys

import numpy as np
import pytest
import torch

from lqrppg._training import (
    BatchShard,
    _shard_bounds,
    _sync_batch_norm_forward,
    current_shard,
    distributed_world,
)
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.models import LQRPPGRegressor

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
    reason="needs torch.distributed with the gloo backend",
)

#: global batch 5 over 2 processes: shards of 2 and 3 clips; 10 training clips (2 held out)
PARAMS = {
    "chunk_length": 40,
    "dim": 16,
    "n_blocks": 2,
    "d_state": 4,
    "levels": (2, 4, 8),
    "epochs": 2,
    "quantizer_epochs": 1,
    "batch_size": 5,
    "verbose": 0,
    "num_threads": 1,
    "device": "cpu",
    "random_state": 0,
}


def _data():
    return make_synthetic_rppg(
        n_subjects=6, videos_per_subject=2, duration=40 / 30, frame_size=(16, 16), random_state=0
    )


def _fit():
    data = _data()
    est = LQRPPGRegressor(**PARAMS).fit(data.videos, data.ppg, groups=data.subjects)
    return est, est.predict(data.videos)


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    try:
        assert distributed_world() == (rank, world)
        est, pred = _fit()
        arrays = {f"param/{k}": v.numpy() for k, v in est.module_.state_dict().items()}
        arrays.update({f"codebook/{i}": c for i, c in enumerate(est.codebooks_)})
        np.savez(
            f"{out}-{rank}.npz",
            prediction=pred,
            train_loss=[h["train_loss"] for h in est.history_],
            val_loss=[h["val_loss"] for h in est.history_],
            best_epoch=est.best_epoch_,
            **arrays,
        )
    finally:
        torch.distributed.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_process_fit(tmp_path_factory):
    import torch.multiprocessing as mp

    out = str(tmp_path_factory.mktemp("ddp") / "fit")
    mp.spawn(_worker, args=(2, _free_port(), out), nprocs=2, join=True)
    return [dict(np.load(f"{out}-{r}.npz")) for r in range(2)]


def test_two_processes_equal_one_process_with_the_same_global_batch(two_process_fit):
    single, pred = _fit()
    for run in two_process_fit:  # both processes hold the same model
        assert int(run["best_epoch"]) == single.best_epoch_
        # float rounding only: the gradients of one step agree to ~1e-6 relative (different
        # summation order of the batch-norm statistics and of the gradient sum); two epochs
        # of AdamW carry that to a few 1e-6 in the weights
        for k, v in single.module_.state_dict().items():
            np.testing.assert_allclose(run[f"param/{k}"], v.numpy(), rtol=0, atol=2e-5, err_msg=k)
        for i, c in enumerate(single.codebooks_):  # stage 1 of process 0, broadcast
            np.testing.assert_array_equal(run[f"codebook/{i}"], c)
        np.testing.assert_allclose(run["prediction"], pred, rtol=0, atol=5e-4)
        hist = single.history_
        np.testing.assert_allclose(run["train_loss"], [h["train_loss"] for h in hist], rtol=1e-5)
        np.testing.assert_allclose(run["val_loss"], [h["val_loss"] for h in hist], rtol=1e-5)


def test_shards_cover_the_batch_in_order():
    for n in (2, 5, 16):
        for world in (1, 2, 3):
            if n < world:
                continue
            bounds = [_shard_bounds(n, r, world) for r in range(world)]
            assert bounds[0][0] == 0 and bounds[-1][1] == n
            assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
            assert max(b - a for a, b in bounds) - min(b - a for a, b in bounds) <= 1
    assert current_shard() is None
    assert BatchShard(0, 2, 5).size == 5


def test_sync_batch_norm_falls_back_in_eval_mode_and_without_a_group():
    # in eval mode (validation, prediction) the layer is the plain one; no collective runs
    bn = torch.nn.BatchNorm1d(3).eval()
    x = torch.randn(4, 3, 5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(_sync_batch_norm_forward(bn, x), bn(x))


def test_a_batch_smaller_than_the_world_is_refused():
    from lqrppg._training import _check_shards

    with pytest.raises(ValueError, match="at least 2 samples in every mini-batch"):
        _check_shards(11, 5, 2)  # last batch of 1 clip
    _check_shards(12, 5, 2)  # last batch of 2 clips: fine


@pytest.mark.skipif(sys.platform == "win32", reason="torchrun's rendezvous on localhost")
def test_distributed_from_env_outside_torchrun_is_one_process(monkeypatch):
    from lqrppg._training import distributed_from_env

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with distributed_from_env() as (rank, world):
        assert (rank, world) == (0, 1)
        assert not torch.distributed.is_initialized()
