"""Training utilities shared by every torch estimator of the package.

One place for what all of them need: turning the ``device`` parameter into a
:class:`torch.device` (:func:`resolve_device`), turning ``random_state`` into torch seeds and
generators without touching the global random state (:func:`random_seed`,
:func:`torch_generator`, :func:`torch_rng`), splitting off a validation set
(:func:`train_validation_split`), and one training loop (:func:`train_module`): mini-batches
shuffled by a :class:`torch.Generator`, AdamW, a one-cycle learning-rate schedule, the
validation loss after every epoch, the weights of the best epoch restored at the end, optional
early stopping, a per-epoch history and a tqdm progress bar. With ``distributed=True`` inside
an initialised :mod:`torch.distributed` process group (e.g. under ``torchrun``) the loop is
data-parallel: every process takes its share of each mini-batch, the gradients are summed
across processes, and batch normalisation uses the statistics of the whole mini-batch, so
that the result is that of one process with the same global batch (see :func:`train_module`).

This module imports torch; the estimators import it, ``import lqrppg`` does not.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers
import os
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state
from torch import nn
from tqdm import tqdm  # text bars: tqdm.auto warns in Jupyter without ipywidgets

from lqrppg._validation import check_choice, check_int, check_real

__all__ = [
    "BatchShard",
    "TrainingResult",
    "broadcast_module_",
    "broadcast_object",
    "current_shard",
    "distributed_from_env",
    "distributed_world",
    "keep_freed_memory",
    "random_seed",
    "resolve_device",
    "torch_generator",
    "torch_num_threads",
    "torch_rng",
    "train_module",
    "train_validation_split",
]

_MAX_SEED = 2**31 - 1
_SCHEDULES = ("onecycle", "constant")


# ----------------------------------------------------------------------------- device


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn an estimator's ``device`` parameter into an available :class:`torch.device`.

    Parameters
    ----------
    device : 'auto', str or torch.device, default='auto'
        ``'auto'`` is the first CUDA device when CUDA is available, else the CPU. Any other
        string (``'cpu'``, ``'cuda'``, ``'cuda:1'``, ``'mps'``) or :class:`torch.device` is
        checked for availability.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``device`` is not a valid device specification or names a device this machine
        does not have.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto").type in ("cpu", "cuda")
    True
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise ValueError(
            "device must be 'auto', a device string such as 'cpu' or 'cuda:0', or a "
            f"torch.device; got {device!r}"
        )
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:<index>' or another torch device "
            f"string; got {device!r}"
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} asks for CUDA, which is not available here")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: there are only {torch.cuda.device_count()} CUDA device(s)"
            )
    elif dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"device={device!r} asks for MPS, which is not available here")
    elif dev.type != "cpu":
        raise ValueError(f"device={device!r}: only 'cpu', 'cuda' and 'mps' devices are supported")
    return dev


# ----------------------------------------------------------------------------- randomness


def random_seed(random_state: Any = None) -> int:
    """Draw one integer seed in ``[0, 2**31 - 1)`` from a scikit-learn ``random_state``.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        As everywhere in scikit-learn: an int gives the same seed every time, None a fresh
        one, and a RandomState or Generator is advanced by one draw.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``random_state`` is none of the above.

    Examples
    --------
    >>> random_seed(0) == random_seed(0)
    True
    """
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(_MAX_SEED))
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return int(check_random_state(random_state).randint(_MAX_SEED))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= random_state < 2**32:
            raise ValueError(f"random_state must be in [0, 2**32); got {random_state!r}")
        return int(np.random.RandomState(int(random_state)).randint(_MAX_SEED))
    raise ValueError(
        "random_state must be None, an int, a numpy RandomState or a numpy Generator; "
        f"got {random_state!r}"
    )


def torch_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A local :class:`torch.Generator` on ``device`` seeded with ``seed``.

    Pass it to ``torch.randperm`` / ``torch.randint`` and friends instead of using the global
    torch random state.

    Examples
    --------
    >>> g = torch_generator(3)
    >>> torch.equal(torch.randperm(5, generator=g), torch.randperm(5, generator=torch_generator(3)))
    True
    """
    return torch.Generator(device=device).manual_seed(int(seed))


@contextlib.contextmanager
def torch_rng(seed: int, device: str | torch.device | None = None) -> Iterator[None]:
    """Run a block with the global torch random state seeded, then put it back as it was.

    Module constructors (``nn.Linear``, ``nn.Conv1d``, ...) draw their initial weights from
    the global torch random state. Building a module inside ``with torch_rng(seed):`` makes
    those weights a function of ``seed`` alone and leaves the caller's random state
    untouched. With a CUDA ``device``, that device's random state is forked and seeded too
    (for modules that draw on the GPU, e.g. dropout); other devices are not touched.

    Parameters
    ----------
    seed : int
    device : str or torch.device, optional

    Examples
    --------
    >>> before = torch.random.get_rng_state()
    >>> with torch_rng(0):
    ...     a = torch.rand(2)
    >>> with torch_rng(0):
    ...     b = torch.rand(2)
    >>> torch.equal(a, b), torch.equal(before, torch.random.get_rng_state())
    (True, True)
    """
    dev = None if device is None else torch.device(device)
    cuda = dev is not None and dev.type == "cuda"
    index = (dev.index if dev.index is not None else torch.cuda.current_device()) if cuda else None
    with torch.random.fork_rng(devices=[index] if cuda else [], device_type="cuda"):
        torch.default_generator.manual_seed(int(seed))
        if cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(int(seed))
        yield


@contextlib.contextmanager
def torch_num_threads(num_threads: int | None) -> Iterator[None]:
    """Run a block with ``torch.set_num_threads(num_threads)``, then restore the setting.

    Small networks (the one-channel label quantizer) run fastest on one thread: their
    operations are too small to split, and on a busy machine the intra-op thread pool's
    synchronisation can make every step many times slower. The setting is process-wide
    while the block runs. ``None`` leaves it alone.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with torch_num_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if num_threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(num_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


#: glibc's mallopt parameters and their defaults (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_GLIBC_DEFAULTS = ((_M_MMAP_MAX, 65536), (_M_TRIM_THRESHOLD, 128 * 1024))
_KEEP_LOCK = threading.Lock()
_KEEP_DEPTH = 0


def _glibc() -> Any:
    """The process's glibc through ctypes, or None (another C library or platform)."""
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:  # pragma: no cover - a Linux without dlopen of the main program
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


@contextlib.contextmanager
def keep_freed_memory() -> Iterator[None]:
    """Run a block with the C allocator keeping freed memory for reuse (glibc only).

    glibc's ``malloc`` serves every block above its mmap threshold (at most 32 MB) with a
    fresh ``mmap`` and returns it to the system when freed, so each training step's large
    activations (gigabytes at 128 x 128) are faulted in page by page again, step after
    step: on the benchmark machine a fresh 2 GiB tensor took 1.9 s to fill against 0.24 s
    for the same tensor reused, and a 128 x 128 training step of 16 clips 55.7 s against
    25.2 s with the setting below, for a peak RSS of 8.7 GB instead of 7.2 GB
    (docs/benchmarks/training_step_allocator.md; the same fit gives bit-identical
    predictions either way). Inside the
    block large blocks come from the heap (``mallopt(M_MMAP_MAX, 0)``) and freed memory is
    kept there (``M_TRIM_THRESHOLD`` unlimited), so the next step reuses pages already
    mapped. On leaving, glibc's defaults are set back and ``malloc_trim(0)`` returns the
    kept memory to the system. Nested and concurrent blocks share one setting, restored
    when the last one ends. Nothing changes the arithmetic; on other C libraries and
    platforms the block runs as it is.

    Examples
    --------
    >>> with keep_freed_memory():
    ...     x = torch.ones(1000).sum()
    >>> float(x)
    1000.0
    """
    global _KEEP_DEPTH
    libc = _glibc()
    if libc is None:
        yield
        return
    with _KEEP_LOCK:
        _KEEP_DEPTH += 1
        if _KEEP_DEPTH == 1:
            libc.mallopt(_M_MMAP_MAX, 0)
            libc.mallopt(_M_TRIM_THRESHOLD, -1)  # as size_t: no limit
    try:
        yield
    finally:
        with _KEEP_LOCK:
            _KEEP_DEPTH -= 1
            if _KEEP_DEPTH == 0:
                for param, value in _GLIBC_DEFAULTS:
                    libc.mallopt(param, value)
                libc.malloc_trim(0)


def train_validation_split(
    n_samples: int,
    validation_fraction: float,
    rng: np.random.Generator,
    groups: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Random split of ``range(n_samples)`` into training and validation indices.

    ``floor(validation_fraction * n)`` samples (or, with ``groups``, whole groups until that
    many samples are reached, so that no group is on both sides: split clips by subject)
    go to validation. When that is zero, or would leave nothing to train on, the validation
    part is empty.

    Parameters
    ----------
    n_samples : int
    validation_fraction : float in [0, 1)
    rng : numpy.random.Generator
    groups : array-like of shape (n_samples,), optional
        Group label of each sample (e.g. subject id).

    Returns
    -------
    train_idx, val_idx : ndarray of int
        Both sorted.

    Examples
    --------
    >>> tr, va = train_validation_split(10, 0.2, np.random.default_rng(0))
    >>> len(tr), len(va)
    (8, 2)
    >>> train_validation_split(4, 0.2, np.random.default_rng(0))[1].size
    0
    """
    n_val = math.floor(validation_fraction * n_samples + 1e-9)
    if n_val < 1 or n_val >= n_samples:
        return np.arange(n_samples), np.arange(0)
    if groups is None:
        val = rng.permutation(n_samples)[:n_val]
    else:
        groups = np.asarray(groups)
        if groups.shape != (n_samples,):
            raise ValueError(f"groups must have shape ({n_samples},); got {groups.shape}")
        uniq = np.unique(groups)
        chosen, count = [], 0
        for g in rng.permutation(uniq):
            if count >= n_val:
                break
            chosen.append(g)
            count += int(np.sum(groups == g))
        val = np.flatnonzero(np.isin(groups, chosen))
        if val.size >= n_samples:
            return np.arange(n_samples), np.arange(0)
    mask = np.zeros(n_samples, dtype=bool)
    mask[val] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


# ----------------------------------------------------------------------------- distributed


def distributed_world() -> tuple[int, int]:
    """``(rank, world_size)`` of the initialised :mod:`torch.distributed` process group.

    ``(0, 1)`` when torch was built without distributed support or no process group has
    been initialised (a plain single-process run).

    Examples
    --------
    >>> distributed_world()
    (0, 1)
    """
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


@contextlib.contextmanager
def distributed_from_env() -> Iterator[tuple[int, int]]:
    """Join the process group that ``torchrun`` describes in the environment, if any.

    When ``WORLD_SIZE`` (set by ``torchrun``) is above 1 and no process group is
    initialised yet, one is initialised from the environment (``RANK``, ``WORLD_SIZE``,
    ``MASTER_ADDR``, ``MASTER_PORT``) with the ``nccl`` backend when CUDA is available
    (each process then uses the GPU ``LOCAL_RANK``) and ``gloo`` otherwise, and destroyed
    when the block ends. Yields ``(rank, world_size)``; ``(0, 1)`` outside ``torchrun``.

    Examples
    --------
    >>> with distributed_from_env() as (rank, world):
    ...     print(rank, world)
    0 1
    """
    dist = torch.distributed
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or not dist.is_available() or dist.is_initialized():
        yield distributed_world()
        return
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend="nccl" if cuda else "gloo")
    try:
        yield distributed_world()
    finally:
        dist.destroy_process_group()


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """``obj`` of process ``src``, on every process of the group (pickled); ``obj`` unchanged
    without a process group.

    Examples
    --------
    >>> broadcast_object({"a": 1})
    {'a': 1}
    """
    if distributed_world()[1] == 1:
        return obj
    box = [obj]
    torch.distributed.broadcast_object_list(box, src=src)
    return box[0]


def broadcast_module_(module: nn.Module, src: int = 0) -> nn.Module:
    """Copy the parameters and buffers of process ``src``'s ``module`` into every process's.

    In place; returns ``module``. Nothing happens without a process group.
    """
    if distributed_world()[1] > 1:
        with torch.no_grad():
            for t in module.state_dict().values():
                torch.distributed.broadcast(t, src=src)
    return module


@dataclass(frozen=True)
class BatchShard:
    """Which rows of the current global mini-batch this process trains on.

    Attributes
    ----------
    start, stop : int
        The rows ``start:stop`` of the global mini-batch (in the order of the shuffle).
    size : int
        Clips in the global mini-batch.
    """

    start: int
    stop: int
    size: int


_SHARD: contextvars.ContextVar[BatchShard | None] = contextvars.ContextVar(
    "lqrppg_batch_shard", default=None
)


def current_shard() -> BatchShard | None:
    """The :class:`BatchShard` of the step :func:`train_module` is running, else None.

    A ``loss_fn`` that draws random numbers per sample (augmentation) draws them for the
    whole global mini-batch (``shard.size`` samples) and keeps rows ``shard.start:stop``,
    so that the stream of draws, hence the result, does not depend on the number of
    processes. None outside a data-parallel step.

    Examples
    --------
    >>> current_shard() is None
    True
    """
    return _SHARD.get()


def _all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    torch.distributed.all_reduce(values, op=torch.distributed.ReduceOp.SUM)
    return values


class _AllReduceSum(torch.autograd.Function):
    """Differentiable all-reduce (sum): the gradient of a sum over processes is the sum of
    the gradients that reach it on every process."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return _all_reduce_sum(x.clone())

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        return _all_reduce_sum(grad.clone())


def _sync_batch_norm_forward(self: nn.modules.batchnorm._BatchNorm, x: torch.Tensor):
    """Training-mode batch norm with the statistics of the whole global mini-batch.

    torch's own ``SyncBatchNorm`` runs on GPUs only; this one runs wherever
    ``torch.distributed`` does (gloo on CPU too). The per-channel sum and the sum of
    squared deviations are summed across processes with a differentiable all-reduce, so
    the backward pass is that of one batch norm over the global
    batch; running statistics are updated as ``nn.BatchNorm`` does (unbiased variance).
    """
    if not (self.training and self.track_running_stats) or x.shape[0] == 0:
        return type(self).forward(self, x)
    all_reduce = _AllReduceSum.apply
    dims = [0, *range(2, x.ndim)]
    shape = [1, -1] + [1] * (x.ndim - 2)
    count = torch.tensor([x.numel() / x.shape[1]], dtype=torch.float64, device=x.device)
    count = _all_reduce_sum(count)
    total = all_reduce(x.sum(dim=dims, dtype=torch.float64))
    mean = (total / count).to(x.dtype)
    centred = x - mean.view(shape)
    sq = all_reduce(centred.square().sum(dim=dims, dtype=torch.float64))
    var = (sq / count).to(x.dtype)
    out = centred * torch.rsqrt(var + self.eps).view(shape)
    if self.affine:
        out = out * self.weight.view(shape) + self.bias.view(shape)
    with torch.no_grad():
        self.num_batches_tracked.add_(1)
        if self.momentum is None:
            factor = 1.0 / float(self.num_batches_tracked)
        else:
            factor = self.momentum
        n = float(count)
        unbiased = var.detach() * (n / max(n - 1.0, 1.0))
        self.running_mean.mul_(1 - factor).add_(mean.detach(), alpha=factor)
        self.running_var.mul_(1 - factor).add_(unbiased, alpha=factor)
    return out


@contextlib.contextmanager
def _synced_batch_norms(module: nn.Module) -> Iterator[None]:
    """Every batch-norm layer of ``module`` uses global statistics while the block runs."""
    layers = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in layers:
        m.forward = types.MethodType(_sync_batch_norm_forward, m)
    try:
        yield
    finally:
        for m in layers:
            del m.forward


def _shard_bounds(n: int, rank: int, world: int) -> tuple[int, int]:
    """Rows of process ``rank`` in a batch of ``n``: contiguous, sizes differing by <= 1."""
    return rank * n // world, (rank + 1) * n // world


def _check_shards(n_train: int, batch_size: int, world: int) -> None:
    sizes = {min(batch_size, n_train)}
    if n_train % batch_size:
        sizes.add(n_train % batch_size)
    if min(sizes) < world:
        raise ValueError(
            f"data-parallel training over {world} processes needs at least {world} samples "
            f"in every mini-batch, but with {n_train} training samples and batch_size="
            f"{batch_size} a mini-batch has {min(sizes)}; use a batch_size >= {world} that "
            f"leaves a last batch of 0 or >= {world} samples"
        )


def _all_reduce_gradients(params: Sequence[nn.Parameter]) -> None:
    """Sum the gradients of ``params`` over the processes (one flat buffer)."""
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = _all_reduce_sum(torch.cat([g.reshape(-1) for g in grads]))
    offset = 0
    for p, g in zip(params, grads, strict=True):
        k = g.numel()
        p.grad = flat[offset : offset + k].view_as(p).clone()
        offset += k


# ----------------------------------------------------------------------------- training loop


@dataclass
class TrainingResult:
    """What :func:`train_module` returns.

    Attributes
    ----------
    history : list of dict
        One dict per epoch run: ``epoch`` (1-based), ``train_loss`` (mean over the epoch's
        batches, weighted by batch size, with the weights as they were during the epoch),
        ``val_loss`` (after the epoch, in eval mode; NaN without validation data), ``lr``
        (learning rate of the epoch's last optimizer step) and ``time_s`` (wall time of the epoch),
        plus whatever ``epoch_callback`` returned.
    best_epoch : int
        1-based epoch with the lowest monitored loss (``val_loss``, or ``train_loss``
        without validation data); its weights are the module's at return when
        ``restore_best=True``.
    best_loss : float
        The monitored loss at ``best_epoch``.
    stopped_early : bool
        Whether early stopping ended the training before ``epochs``.
    monitor : str
        ``'val_loss'`` or ``'train_loss'``.
    """

    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_loss: float = math.inf
    stopped_early: bool = False
    monitor: str = "val_loss"


def _as_arrays(data: Any, name: str) -> tuple[Any, ...] | None:
    if data is None:
        return None
    arrays = tuple(data) if isinstance(data, (tuple, list)) else (data,)
    if not arrays:
        raise ValueError(f"{name} must hold at least one array")
    for a in arrays:
        lazy = hasattr(a, "__len__") and hasattr(a, "__getitem__") and not isinstance(a, str)
        if not isinstance(a, (torch.Tensor, np.ndarray)) and not (lazy and hasattr(a, "shape")):
            raise ValueError(
                f"{name} must be a tensor / ndarray (or an array-like with shape, len and "
                f"integer-array indexing) or a tuple of them; got {type(a).__name__}"
            )
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(
            f"all arrays of {name} must have the same length along axis 0; "
            f"got {[len(a) for a in arrays]}"
        )
    return arrays


def _batch(arrays: tuple[Any, ...], idx: torch.Tensor, device: torch.device) -> tuple:
    out = []
    for a in arrays:
        if isinstance(a, torch.Tensor):
            part = a[idx.to(a.device)]
        else:
            part = torch.from_numpy(np.ascontiguousarray(a[idx.numpy()]))
        out.append(part.to(device, non_blocking=True))
    return tuple(out)


def _module_device(module: nn.Module) -> torch.device:
    for t in module.parameters():
        return t.device
    for t in module.buffers():
        return t.device
    return torch.device("cpu")


def train_module(
    module: nn.Module,
    loss_fn: Callable[[nn.Module, tuple[torch.Tensor, ...]], torch.Tensor],
    train_data: Any,
    val_data: Any = None,
    *,
    epochs: int,
    batch_size: int,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    schedule: str = "onecycle",
    generator: torch.Generator | None = None,
    patience: int | None = None,
    val_loss_fn: Callable[[nn.Module, tuple[torch.Tensor, ...]], torch.Tensor] | None = None,
    parameters: Sequence[nn.Parameter] | None = None,
    max_grad_norm: float | None = None,
    restore_best: bool = True,
    device: str | torch.device | None = None,
    verbose: int = 0,
    desc: str = "training",
    epoch_callback: Callable[[int, nn.Module], Mapping[str, float] | None] | None = None,
    distributed: bool = False,
) -> TrainingResult:
    """Train ``module`` with AdamW and a one-cycle schedule; keep the best epoch.

    Each epoch shuffles the training samples with ``generator``, runs the mini-batches
    (``module.train()``; ``loss_fn(module, batch)``, backward, optional gradient clipping,
    optimizer step, scheduler step), then computes the loss on the validation data in
    ``module.eval()`` mode without gradients. The module's ``state_dict`` (parameters *and*
    buffers, e.g. EMA codebooks or batch-norm statistics) at the epoch with the lowest
    validation loss is kept and loaded back at the end. Everything that needs to be random
    is drawn from ``generator``; the global torch random state is not used by the loop.

    Parameters
    ----------
    module : torch.nn.Module
        Already on its device.
    loss_fn : callable ``(module, batch) -> scalar tensor``
        ``batch`` is a tuple with one tensor per array of ``train_data``, on ``device``.
    train_data : tensor, ndarray or tuple of them
        Arrays indexed along axis 0 (same length). NumPy arrays are converted batch by batch
        (pass float32 for float32 modules), so a memory-mapped array is never loaded whole.
        Any other object with ``shape``, ``len`` and NumPy-style indexing by an integer
        array that returns an ndarray (e.g. a lazy row subset of a memory-mapped array)
        is taken batch by batch too.
    val_data : same as ``train_data``, optional
        Without it (or when empty) the best epoch is chosen on the training loss.
    epochs : int
        Number of passes over the training data (>= 1).
    batch_size : int
        Samples per step (>= 1); the last batch of an epoch may be smaller.
    lr : float, default=1e-3
        Learning rate of AdamW (the peak of the one-cycle schedule).
    weight_decay : float, default=0.0
        Decoupled weight decay of AdamW.
    schedule : {'onecycle', 'constant'}, default='onecycle'
        ``'onecycle'`` is :class:`torch.optim.lr_scheduler.OneCycleLR` over all steps of
        ``epochs`` epochs with its defaults (warm-up over 30 % of the steps from ``lr / 25``,
        cosine annealing to ``lr / 25e4``, momentum cycled between 0.85 and 0.95).
    generator : torch.Generator, optional
        CPU generator that shuffles the training samples; a fresh unseeded one by default
        (non-reproducible).
    patience : int, optional
        Stop when the monitored loss has not improved for this many epochs. Off by default
        (the one-cycle schedule is then cut short).
    val_loss_fn : callable, optional
        Loss on validation batches; ``loss_fn`` by default.
    parameters : sequence of torch.nn.Parameter, optional
        What the optimizer updates; all parameters of ``module`` that require gradients by
        default.
    max_grad_norm : float, optional
        Clip the global gradient norm to this value before each step.
    restore_best : bool, default=True
        Load the state of the best epoch at the end; otherwise the module keeps the state of
        the last epoch.
    device : str or torch.device, optional
        Where batches are sent; the device of the module's first parameter by default.
    verbose : int, default=0
        > 0 shows a tqdm progress bar over epochs with the losses.
    desc : str, default='training'
        Label of the progress bar.
    epoch_callback : callable ``(epoch, module) -> mapping or None``, optional
        Called after each epoch's validation, with the 1-based epoch and the module in eval
        mode (e.g. to compute a validation metric such as the HR error). The numbers it
        returns are added to that epoch's ``history`` entry (they may not replace the
        standard keys) and shown in the progress bar; they do not choose the best epoch.
    distributed : bool, default=False
        Data-parallel training over the initialised :mod:`torch.distributed` process group
        (ignored when there is none or it has one process). Every process must call this
        with the same arguments and the same data; all use the same ``generator`` seed, so
        they draw the same shuffle. Each global mini-batch of ``batch_size`` samples is
        split into contiguous shards, one per process (sizes differing by at most one;
        :func:`current_shard` tells ``loss_fn`` which one); every process scales its mean
        loss by its share of the batch, the gradients are summed across processes (one
        all-reduce per step), and batch-norm layers use the mean and variance of the whole
        global batch (a CPU-capable synchronised batch norm), so the optimizer sees the
        gradient one process would compute on the global batch, up to float rounding. The
        training loss is averaged over all processes; the validation data are evaluated
        whole on every process (no communication, the same result everywhere), so the best
        epoch, early stopping and the final weights are the same on every process. Each
        global mini-batch must hold at least one sample per process.

    Returns
    -------
    TrainingResult

    Raises
    ------
    ValueError
        On invalid arguments.
    FloatingPointError
        When a training loss is NaN or infinite (the message gives the epoch and batch).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> g = torch_generator(0)
    >>> x = torch.randn(64, 3, generator=g)
    >>> y = x @ torch.tensor([1.0, -2.0, 0.5])
    >>> with torch_rng(0):
    ...     model = nn.Linear(3, 1)
    >>> def mse(module, batch):
    ...     xb, yb = batch
    ...     return ((module(xb).squeeze(1) - yb) ** 2).mean()
    >>> result = train_module(model, mse, (x[:48], y[:48]), (x[48:], y[48:]),
    ...                       epochs=20, batch_size=8, lr=0.1, generator=g)
    >>> len(result.history), result.history[-1]["val_loss"] < result.history[0]["val_loss"]
    (20, True)
    """
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    if patience is not None:
        patience = check_int(patience, "patience", 1)
    lr = check_real(lr, "lr", 0.0, open_low=True)
    weight_decay = check_real(weight_decay, "weight_decay", 0.0)
    if max_grad_norm is not None and not (
        isinstance(max_grad_norm, numbers.Real) and max_grad_norm > 0
    ):
        raise ValueError(f"max_grad_norm must be None or a positive number; got {max_grad_norm!r}")
    check_choice(schedule, "schedule", _SCHEDULES)
    train = _as_arrays(train_data, "train_data")
    val = _as_arrays(val_data, "val_data")
    n_train = len(train[0])
    if n_train < 1:
        raise ValueError("train_data holds no samples")
    if val is not None and len(val[0]) == 0:
        val = None
    dev = _module_device(module) if device is None else torch.device(device)
    if generator is None:
        generator = torch.Generator()
        generator.seed()
    val_loss_fn = loss_fn if val_loss_fn is None else val_loss_fn
    params = [p for p in (module.parameters() if parameters is None else parameters)]
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ValueError("the module has no parameters that require gradients")

    rank, world = distributed_world() if distributed else (0, 1)
    if world > 1:
        _check_shards(n_train, batch_size, world)
        broadcast_module_(module)  # identical start, whatever each process built
    steps_per_epoch = math.ceil(n_train / batch_size)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    scheduler = None
    if schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch
        )
    result = TrainingResult(monitor="val_loss" if val is not None else "train_loss")
    best_state: dict[str, torch.Tensor] | None = None
    since_best = 0

    bar = tqdm(range(1, epochs + 1), desc=desc, disable=not verbose, leave=verbose > 1)
    cleanup = contextlib.ExitStack()
    cleanup.enter_context(keep_freed_memory())  # steps reuse their activations' pages
    if world > 1:  # training-mode batch norms see the global batch (eval mode is unchanged)
        cleanup.enter_context(_synced_batch_norms(module))
    try:
        for epoch in bar:
            t0 = time.perf_counter()
            module.train()
            order = torch.randperm(n_train, generator=generator)
            total, seen = 0.0, 0
            for step in range(steps_per_epoch):
                idx = order[step * batch_size : (step + 1) * batch_size]
                optimizer.zero_grad(set_to_none=True)
                if world > 1:
                    start, stop = _shard_bounds(len(idx), rank, world)
                    token = _SHARD.set(BatchShard(start, stop, len(idx)))
                    try:
                        loss = loss_fn(module, _batch(train, idx[start:stop], dev))
                    finally:
                        _SHARD.reset(token)
                    share = (stop - start) / len(idx)
                    # the global batch's mean loss, on every process (also for the NaN check)
                    value = float(_all_reduce_sum(loss.detach().reshape(1) * share))
                    loss = loss * share
                else:
                    loss = loss_fn(module, _batch(train, idx, dev))
                    value = float(loss.detach())
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"{desc}: the training loss is {value} at epoch {epoch}, batch "
                        f"{step + 1}; lower lr or check the data"
                    )
                loss.backward()
                if world > 1:
                    _all_reduce_gradients(params)
                if max_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
                # The rate this step uses (after the last step OneCycleLR computes one past
                # its end, never used: recording the rate afterwards would show that one).
                step_lr = float(optimizer.param_groups[0]["lr"])
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                total += value * len(idx)
                seen += len(idx)
            train_loss = total / seen
            val_loss = (
                math.nan if val is None else _evaluate(module, val_loss_fn, val, batch_size, dev)
            )
            entry = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "lr": step_lr,
                "time_s": time.perf_counter() - t0,
            }
            extra = (
                {} if epoch_callback is None else _callback_entries(epoch_callback, epoch, module)
            )
            entry.update(extra)
            result.history.append(entry)
            score = val_loss if val is not None else train_loss
            if score < result.best_loss or best_state is None:
                result.best_loss, result.best_epoch, since_best = float(score), epoch, 0
                best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            else:
                since_best += 1
            bar.set_postfix(
                train=f"{train_loss:.4f}",
                val=f"{val_loss:.4f}",
                **{k: f"{v:.4g}" for k, v in extra.items()},
                best=result.best_epoch,
            )
            if patience is not None and since_best >= patience:
                result.stopped_early = epoch < epochs
                break
    finally:
        bar.close()
        cleanup.close()
    if restore_best and best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return result


_HISTORY_KEYS = frozenset({"epoch", "train_loss", "val_loss", "lr", "time_s"})


def _callback_entries(
    callback: Callable[[int, nn.Module], Mapping[str, float] | None], epoch: int, module: nn.Module
) -> dict[str, float]:
    """Call ``callback`` and check that it returned extra history entries (or nothing)."""
    module.eval()
    out = callback(epoch, module)
    if out is None:
        return {}
    if not isinstance(out, Mapping):
        raise ValueError(
            f"epoch_callback must return a mapping of names to numbers or None; got "
            f"{type(out).__name__}"
        )
    clash = sorted(_HISTORY_KEYS.intersection(out))
    if clash:
        raise ValueError(f"epoch_callback may not replace the history entries {clash}")
    return {str(k): float(v) for k, v in out.items()}


def _evaluate(
    module: nn.Module,
    loss_fn: Callable[[nn.Module, tuple[torch.Tensor, ...]], torch.Tensor],
    arrays: tuple[Any, ...],
    batch_size: int,
    device: torch.device,
) -> float:
    """Mean loss over ``arrays`` in eval mode, weighted by batch size."""
    module.eval()
    n = len(arrays[0])
    total = 0.0
    with torch.no_grad():
        for start in range(0, n, batch_size):
            idx = torch.arange(start, min(start + batch_size, n))
            total += float(loss_fn(module, _batch(arrays, idx, device))) * len(idx)
    return total / n
