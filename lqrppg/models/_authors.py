"""Import of the LQ-rPPG authors' released checkpoints into :class:`LQRPPGRegressor`.

The authors of LQ-rPPG released models trained on real datasets (nine protocols: five
intra-dataset, four cross-dataset) as PyTorch checkpoints of their own code: per protocol one
file of the coarse-to-fine network (``{'C2F_model': state_dict}``) and five files of the label
quantizers (state dicts), all with the ``module.`` prefix of ``nn.DataParallel``, named by a
YAML config per protocol. This module maps every tensor of those files onto its one place in
our modules built with ``architecture='authors'`` (:class:`~lqrppg.nn.C2FNet`,
:class:`~lqrppg.nn.LabelQuantizerNet`), strictly: a tensor with no place, a place with no
tensor, or a shape that differs is an error naming it. Nothing is downloaded: the user
obtains the files from the authors' repository.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lqrppg.exceptions import ModelFileError
from lqrppg.models._authors_release import RELEASE_COMMIT, RELEASE_REPOSITORY, RELEASE_SHA256

__all__ = [
    "AUTHORS_PROTOCOLS",
    "authors_model_card",
    "authors_protocols",
    "load_authors_checkpoint",
]

#: The protocols of the authors' release, ``<TRAIN>_<TEST>``.
AUTHORS_PROTOCOLS = (
    "UBFC_UBFC",
    "PURE_PURE",
    "MMPD_MMPD",
    "V4V_V4V",
    "COHFACE_COHFACE",
    "PURE_UBFC",
    "UBFC_PURE",
    "PURE_MMPD",
    "UBFC_MMPD",
)

_CONFIG_SUFFIX = "_LQC2F.yaml"
_N_QUANTIZERS = 5

#: What is known of each training set's terms (stated in the model card; check the owners').
_DATASETS = {
    "UBFC-rPPG": "UBFC-rPPG (Bobbia et al., Pattern Recognition Letters 2019; Univ. Bourgogne "
    "Franche-Comte), 42 subjects, 640x480 webcam video with fingertip PPG",
    "PURE": "PURE (Stricker et al., RO-MAN 2014; TU Ilmenau), 10 subjects in 6 head-motion "
    "tasks, 640x480 video with fingertip pulse oximetry",
    "MMPD": "MMPD (Tang et al., EMBC 2023), 33 subjects filmed with a phone under varied skin "
    "tones, lighting and motion, with fingertip PPG",
    "V4V": "V4V (Revanur et al., ICCV Workshops 2021; from BP4D+), 179 subjects, with "
    "continuous blood pressure as the pulse reference",
    "COHFACE": "COHFACE (Heusch et al., 2017; Idiap), 40 subjects, 640x480 video at 20 fps "
    "with a contact PPG, heavily compressed",
}
_DATA_TERMS = (
    "Each of these datasets is distributed by its owners under an agreement for "
    "non-commercial research use only; a model trained on it may be bound by those terms. "
    "Check the dataset owners' terms before any use other than research."
)
_CODE_TERMS = "MIT licence (the authors' repository, LICENSE)"


# ----------------------------------------------------------------------------- files


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _git_commit(directory: Path) -> str | None:
    """The commit checked out in ``directory`` when it is a git clone (read, not run)."""
    git = directory / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head if re.fullmatch(r"[0-9a-f]{40}", head) else None
        ref = head.split(None, 1)[1]
        if (git / ref).is_file():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        return None
    return None


def _load_torch_file(path: Path, what: str) -> Any:
    if not path.is_file():
        raise ModelFileError(f"{what}: no such file: {str(path)!r}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a file torch cannot read safely is not a released checkpoint
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(
            f"{what}: {str(path)!r} is not a PyTorch checkpoint of tensors that can be read "
            f"safely ({type(exc).__name__}: {reason})"
        ) from None


def _state_dict(obj: Any, path: Path, key: str | None, what: str) -> dict[str, torch.Tensor]:
    """The state dict inside a loaded checkpoint, ``module.`` prefixes removed."""
    if key is not None and isinstance(obj, dict) and key in obj:
        obj = obj[key]
    if (
        not isinstance(obj, dict)
        or not obj
        or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
    ):
        expected = f"a dict {{{key!r}: state_dict}}" if key else "a state dict"
        raise ModelFileError(
            f"{what}: {str(path)!r} does not hold {expected} of named tensors; is it that "
            "checkpoint of the LQ-rPPG release?"
        )
    return {k[len("module.") :] if k.startswith("module.") else k: v for k, v in obj.items()}


# ----------------------------------------------------------------------------- key maps

# One bidirectional Mamba block of the authors (VideoMamba's ``Mamba(bimamba=True)``) in ours.
_MAMBA_KEYS = (
    (r"x_norm\.(weight|bias)", r"norm.\1"),
    (r"mamba\.in_proj\.weight", "in_proj.weight"),
    (r"mamba\.out_proj\.weight", "out_proj.weight"),
    (r"mamba\.A_log", "ssm_fwd.A_log"),
    (r"mamba\.D", "ssm_fwd.D"),
    (r"mamba\.(conv1d|x_proj|dt_proj)\.(weight|bias)", r"ssm_fwd.\1.\2"),
    (r"mamba\.A_b_log", "ssm_bwd.A_log"),
    (r"mamba\.D_b", "ssm_bwd.D"),
    (r"mamba\.(conv1d|x_proj|dt_proj)_b\.(weight|bias)", r"ssm_bwd.\1.\2"),
)
_BN = r"(weight|bias|running_mean|running_var|num_batches_tracked)"

_C2F_KEYS = (
    (r"position_embedding", "pos_embedding"),
    (rf"Fusion_Stem\.stem11\.(0\.weight|0\.bias|1\.{_BN})", r"branch_frame.\1"),
    (rf"Fusion_Stem\.stem12\.(0\.weight|0\.bias|1\.{_BN})", r"branch_diff.\1"),
    (rf"Fusion_Stem\.stem21\.(0\.weight|0\.bias|1\.{_BN})", r"path_fused.\1"),
    (rf"Fusion_Stem\.stem22\.(0\.weight|0\.bias|1\.{_BN})", r"path_diff.\1"),
    (r"stem3\.0\.(weight|bias)", r"conv3d.\1"),
    (rf"stem3\.1\.{_BN}", r"bn3d.\1"),
    (r"mamba(\d)_token_head\.(weight|bias)", lambda m: f"heads.{int(m[1]) - 1}.{m[2]}"),
    (
        r"mamba(\d)_scalar_projection\.(weight|bias)",
        lambda m: f"projections.{int(m[1]) - 1}.{m[2]}",
    ),
    (r"rppg_predictor\.time_feature_extractor\.(0|2|4)\.(weight|bias)", r"predictor.\1.\2"),
    (r"rppg_predictor\.last_conv\.(weight|bias)", r"predictor.5.\1"),
)


def _translate(key: str, rules: Sequence[tuple[str, Any]]) -> str | None:
    for pattern, target in rules:
        m = re.fullmatch(pattern, key)
        if m is not None:
            return target(m) if callable(target) else m.expand(target)
    return None


def _c2f_target(key: str) -> str | None:
    """Our name of a tensor of the authors' C2F network, or None when it has none."""
    m = re.fullmatch(r"mamba_(\d)\.0\.(.+)", key)
    if m is not None:
        inner = _translate(m[2], _MAMBA_KEYS)
        return None if inner is None else f"blocks.{int(m[1]) - 1}.{inner}"
    return _translate(key, _C2F_KEYS)


def _quantizer_target(key: str) -> str | None:
    """Our name of a tensor of one of the authors' label quantizers, or None."""
    m = re.fullmatch(r"encoder\.dilated_conv_block\.(\d+)\.(weight|bias)", key)
    if m is not None:
        layer = int(m[1])
        return None if layer % 2 else f"encoder.convs.{layer // 2}.{m[2]}"
    if key == "encoder.position_embedding":
        return "encoder.pos_embedding"
    m = re.fullmatch(r"encoder\.mamba_encoder\.0\.(.+)", key)
    if m is not None:
        inner = _translate(m[1], _MAMBA_KEYS)
        return None if inner is None else f"encoder.mixer.{inner}"
    return {
        "quantizer.embeddings.weight": "quantizer.codebook",
        "quantizer.ema_w": "quantizer.embed_sum",
        "quantizer.ema_cluster_size": "quantizer.cluster_size",
    }.get(key)


def _map_state(
    source: dict[str, torch.Tensor],
    module: torch.nn.Module,
    target_of,
    path: Path,
    not_in_file: set[str],
) -> dict[str, torch.Tensor]:
    """``source`` renamed and reshaped onto ``module``'s state dict, strictly.

    Every tensor of ``source`` must have exactly one place, of the same number of values
    (a 1x1 convolution weight becomes a linear layer's, a ``(K, 1)`` codebook a ``(K,)`` one:
    only singleton axes may differ); every entry of the module's state dict must be filled,
    except those named in ``not_in_file`` (set by the caller).
    """
    ours = module.state_dict()
    mapped: dict[str, torch.Tensor] = {}
    origin: dict[str, str] = {}
    unknown = []
    for key, value in source.items():
        target = target_of(key)
        if target is None or target not in ours:
            unknown.append(key)
            continue
        if target in mapped:
            raise ModelFileError(
                f"{str(path)!r}: tensors {origin[target]!r} and {key!r} both map to {target!r}"
            )
        want = ours[target]
        squeezed = [d for d in value.shape if d != 1] == [d for d in want.shape if d != 1]
        if tuple(value.shape) != tuple(want.shape) and not (
            squeezed and value.numel() == want.numel()
        ):
            raise ModelFileError(
                f"{str(path)!r}: tensor {key!r} has shape {tuple(value.shape)}, but its place "
                f"{target!r} in the LQ-rPPG network has shape {tuple(want.shape)}; the "
                "checkpoint is of another configuration"
            )
        both_float = value.is_floating_point() and want.is_floating_point()
        if value.dtype != want.dtype and not both_float:
            raise ModelFileError(
                f"{str(path)!r}: tensor {key!r} is {value.dtype}, its place {target!r} {want.dtype}"
            )
        mapped[target] = value.reshape(want.shape).to(want.dtype)
        origin[target] = key
    if unknown:
        shown = ", ".join(repr(k) for k in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        raise ModelFileError(
            f"{str(path)!r} holds {len(unknown)} tensor(s) with no place in the LQ-rPPG "
            f"network ({shown}): it is not a checkpoint of the authors' LQ-rPPG model (or of "
            "this part of it)"
        )
    missing = sorted(set(ours) - set(mapped) - not_in_file)
    if missing:
        shown = ", ".join(repr(k) for k in missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise ModelFileError(
            f"{str(path)!r} lacks {len(missing)} tensor(s) of the LQ-rPPG network ({shown})"
        )
    for key in not_in_file:
        mapped[key] = ours[key]
    return mapped


# ----------------------------------------------------------------------------- shapes


def _c2f_geometry(state: dict[str, torch.Tensor], path: Path) -> dict[str, Any]:
    """seq_len, dim, n_blocks, d_state, d_conv, expand of a C2F state dict (from shapes)."""
    try:
        _, seq_len, dim = state["position_embedding"].shape
        blocks = sorted({int(m[1]) for k in state if (m := re.match(r"mamba_(\d)\.0\.", k))})
        a_log = state["mamba_1.0.mamba.A_log"]
        conv = state["mamba_1.0.mamba.conv1d.weight"]
    except (KeyError, ValueError):
        raise ModelFileError(
            f"{str(path)!r} is not a checkpoint of the authors' LQ-rPPG network: it lacks "
            "the position embedding or the first Mamba block ('position_embedding', "
            "'mamba_1.0.mamba.A_log')"
        ) from None
    d_inner, d_state = a_log.shape
    return {
        "seq_len": int(seq_len),
        "dim": int(dim),
        "n_blocks": len(blocks),
        "d_state": int(d_state),
        "d_conv": int(conv.shape[-1]),
        "expand": d_inner / dim,
    }


def _quantizer_geometry(state: dict[str, torch.Tensor], path: Path) -> dict[str, Any]:
    try:
        n_codes = state["quantizer.embeddings.weight"].shape[0]
        _, length, width = state["encoder.position_embedding"].shape
        a_log = state["encoder.mamba_encoder.0.mamba.A_log"]
        conv = state["encoder.mamba_encoder.0.mamba.conv1d.weight"]
        conv_key = re.compile(r"encoder\.dilated_conv_block\.\d+\.weight")
        n_convs = len([k for k in state if conv_key.fullmatch(k)])
    except (KeyError, ValueError):
        raise ModelFileError(
            f"{str(path)!r} is not a checkpoint of the authors' label quantizer: it lacks "
            "'quantizer.embeddings.weight', the encoder's position embedding or its Mamba block"
        ) from None
    d_inner, d_state = a_log.shape
    return {
        "n_codes": int(n_codes),
        "length": int(length),
        "width": int(width),
        "d_state": int(d_state),
        "d_conv": int(conv.shape[-1]),
        "expand": d_inner / width,
        "n_convs": n_convs,
    }


# ----------------------------------------------------------------------------- configs


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ModelFileError(f"cannot read the config {str(path)!r}: {exc}") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{str(path)!r} is not a config of the LQ-rPPG release")
    return data


def _config_path(directory: Path, protocol: str) -> Path:
    for candidate in (directory / "configs", directory):
        path = candidate / f"{protocol}{_CONFIG_SUFFIX}"
        if path.is_file():
            return path
    return directory / "configs" / f"{protocol}{_CONFIG_SUFFIX}"


def authors_protocols(directory) -> list[str]:
    """The protocols whose config is in a copy of the authors' release.

    Parameters
    ----------
    directory : str or path-like
        The authors' repository (or a folder holding its ``configs/`` and
        ``PreTrainedModels/``, or the configs themselves).

    Returns
    -------
    list of str
        E.g. ``['COHFACE_COHFACE', 'MMPD_MMPD', ...]``, sorted; empty when there is none.
    """
    directory = Path(directory)
    found = set()
    for folder in (directory / "configs", directory):
        if folder.is_dir():
            found.update(p.name[: -len(_CONFIG_SUFFIX)] for p in folder.glob(f"*{_CONFIG_SUFFIX}"))
    return sorted(found)


def _get(config: dict[str, Any], path: str, cfg_path: Path) -> Any:
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ModelFileError(f"the config {str(cfg_path)!r} has no {path}")
        node = node[part]
    return node


def _resolve_file(directory: Path, name: str, cfg_path: Path, substituted: list) -> Path:
    """The file the config names, or the one file of its protocol and role when it is absent.

    The release at ``a9e78ae`` has such a case: ``V4V_V4V_LQC2F.yaml`` names six epochs of
    which none was released, while exactly one file per role was (e.g. ``..._rPPG_Epoch46``
    for ``..._rPPG_Epoch48``). That file is used, with a warning, and the substitution is
    recorded in the model's metadata; with none or several candidates it is an error.
    """
    rel = Path(name)
    candidates = [directory / rel, directory / "PreTrainedModels" / rel.name, directory / rel.name]
    for path in candidates:
        if path.is_file():
            return path
    m = re.fullmatch(r"(.+)_Epoch\d+\.pth", rel.name)
    if m is not None:
        others = sorted(
            {p.resolve() for c in candidates[1:] for p in c.parent.glob(f"{m[1]}_Epoch*.pth")}
        )
        if len(others) == 1:
            substituted.append({"config_names": rel.name, "used": others[0].name})
            return others[0]
    raise ModelFileError(
        f"the file {name!r} named by {str(cfg_path)!r} is missing (looked for "
        f"{', '.join(repr(str(p)) for p in candidates)}); obtain it from the authors' "
        f"repository ({RELEASE_REPOSITORY}, folder PreTrainedModels)"
    )


def _files_from_config(directory: Path, protocol: str) -> tuple[Path, list[Path], Path, dict]:
    if not directory.is_dir():
        raise ModelFileError(
            f"{str(directory)!r} is not a folder; pass the folder of the authors' LQ-rPPG "
            "repository (with configs/ and PreTrainedModels/)"
        )
    available = authors_protocols(directory)
    if not available:
        raise ModelFileError(
            f"{str(directory)!r} holds no LQ-rPPG config (configs/<PROTOCOL>{_CONFIG_SUFFIX}): "
            "is it the authors' repository? Pass its root folder, or the files themselves "
            "(c2f=..., quantizers=[...])"
        )
    if protocol not in available:
        raise ModelFileError(
            f"no config for protocol {protocol!r} in {str(directory)!r}; protocols there: "
            f"{', '.join(available)}"
        )
    cfg_path = _config_path(directory, protocol)
    config = _read_yaml(cfg_path)
    names = _get(config, "TRAIN.LQ_PRETRAINED_PATH", cfg_path)
    if not isinstance(names, list) or len(names) != _N_QUANTIZERS:
        raise ModelFileError(
            f"TRAIN.LQ_PRETRAINED_PATH of {str(cfg_path)!r} must list {_N_QUANTIZERS} files"
        )
    c2f_name = str(_get(config, "TRAIN.C2F_PRETRAINED_PATH", cfg_path))
    substituted: list[dict[str, str]] = []
    c2f = _resolve_file(directory, c2f_name, cfg_path, substituted)
    quantizers = [_resolve_file(directory, str(n), cfg_path, substituted) for n in names]
    if substituted:
        pairs = "; ".join(f"{d['used']} for {d['config_names']}" for d in substituted)
        warnings.warn(
            f"{cfg_path.name} names {len(substituted)} file(s) that are not in "
            f"{str(directory)!r}; using the only file of the same protocol and part for each "
            f"({pairs}). The authors' release itself ships other epochs than its V4V config "
            "names; the model card records the substitution.",
            UserWarning,
            stacklevel=3,
        )
    config["_substituted"] = substituted
    return c2f, quantizers, cfg_path, config


# ----------------------------------------------------------------------------- loading


def _epoch_of(path: Path) -> int | None:
    m = re.search(r"_Epoch(\d+)\.pth$", path.name)
    return int(m[1]) if m else None


def _file_record(path: Path, role: str) -> dict[str, Any]:
    digest = _sha256(path)
    release = next(
        (n for n, d in RELEASE_SHA256.items() if d == digest and Path(n).name == path.name), None
    )
    return {
        "role": role,
        "file": path.name,
        "sha256": digest,
        "release_path": release,
        "matches_release": release is not None,
    }


def _build_quantizer(path: Path, level: int) -> tuple[Any, dict[str, Any], np.ndarray]:
    from lqrppg._training import torch_rng
    from lqrppg.nn import LabelQuantizerNet

    what = f"label quantizer {level}"
    state = _state_dict(_load_torch_file(path, what), path, None, what)
    g = _quantizer_geometry(state, path)
    if g["n_convs"] != 5:
        raise ModelFileError(
            f"{str(path)!r}: the label encoder has {g['n_convs']} dilated convolutions, the "
            "LQ-rPPG encoder 5"
        )
    with torch_rng(0):  # every value is overwritten; the caller's random state is kept
        net = LabelQuantizerNet(
            g["length"],
            g["n_codes"],
            width=g["width"],
            d_state=g["d_state"],
            d_conv=g["d_conv"],
            expand=g["expand"],
            architecture="authors",
        )
    mapped = _map_state(state, net, _quantizer_target, path, {"quantizer.initialized"})
    mapped["quantizer.initialized"] = torch.ones((), dtype=torch.bool)
    net.load_state_dict(mapped, strict=True)
    return net.eval(), g, state["quantizer.ema_cluster_size"].double().numpy()


def load_authors_checkpoint(
    directory=None,
    protocol: str | None = None,
    *,
    c2f=None,
    quantizers: Sequence[Any] | None = None,
    fs: float | None = None,
    device=None,
):
    """A fitted :class:`LQRPPGRegressor` from the LQ-rPPG authors' released checkpoints.

    The authors released, per protocol (``AUTHORS_PROTOCOLS``: ``"UBFC_UBFC"``,
    ``"PURE_PURE"``, ``"MMPD_MMPD"``, ``"V4V_V4V"``, ``"COHFACE_COHFACE"``, ``"PURE_UBFC"``,
    ``"UBFC_PURE"``, ``"PURE_MMPD"``, ``"UBFC_MMPD"``; train set, then test set), one
    checkpoint of the coarse-to-fine network and five of the label quantizers (2 to 32
    codewords), named by ``configs/<PROTOCOL>_LQC2F.yaml`` of their repository (several epochs
    exist per protocol; the config's are taken). Every tensor is placed into a model built
    with ``architecture='authors'`` (strict: a tensor without a place, a place without a
    tensor or a differing shape raises :class:`~lqrppg.exceptions.ModelFileError` naming it);
    the codebooks of the quantizers become those of the network's heads, as the authors'
    test code injects them. The configuration (clip length, width, blocks, state size,
    codebook sizes) is read off the tensors' shapes, the frame rate from the config.

    The returned model predicts what the authors' own code does at test time (checked
    against their forward to 1e-4 in the test suite): ``predict`` takes clips of shape
    ``(n, T, 128, 128, 3)``, RGB, ``T = 160`` frames at the config's frame rate (30 fps, but
    25 for V4V and 20 for COHFACE), face-cropped as the authors do (Haar cascade on the first
    frame, box enlarged 1.5 times, no re-detection; ``metadata_["preprocessing"]``).

    Parameters
    ----------
    directory : str or path-like, optional
        The authors' repository, or a folder with its ``configs/`` and ``PreTrainedModels/``
        (or all files in one folder). Required with ``protocol``.
    protocol : str, optional
        Which model; see :func:`authors_protocols` for those in ``directory``.
    c2f : str or path-like, optional
        Instead of ``directory`` and ``protocol``: the network's checkpoint file.
    quantizers : sequence of 5 str or path-like, optional
        With ``c2f``: the quantizer checkpoints, coarse to fine (2, 4, 8, 16, 32 codewords).
    fs : float, optional
        Frame rate of the model's clips, in Hz. Default: the config's ``TRAIN.DATA.FS``
        (with ``directory``), else 30. Given with ``directory``, it must equal the config's.
    device : str or torch.device, optional
        Where the networks go (default: the CPU).

    Returns
    -------
    LQRPPGRegressor
        Fitted, ``architecture='authors'``; ``metadata_`` holds the protocol, training data,
        preprocessing, terms, and each file with its SHA-256 and whether it is byte for byte
        the file of the authors' release at commit ``a9e78ae``.

    Raises
    ------
    ModelFileError
        A missing folder, config or file; a file torch cannot read as weights; a checkpoint
        of another architecture or configuration (naming the tensor).

    Notes
    -----
    The authors standardise the frames of each *video* ('Standardized' in rPPG-Toolbox:
    z-score over all its frames, pixels and channels) before cutting it into clips; ``predict``
    standardises each *clip* (160 frames) on its own. For a clip the two are the same; over a
    recording they differ by each clip's own mean and scale (measured in the docs page "The
    published LQ-rPPG models").

    Examples
    --------
    >>> from lqrppg.models import load_authors_checkpoint
    >>> model = load_authors_checkpoint("LQ-rPPG", "UBFC_UBFC")  # doctest: +SKIP
    >>> model.n_frames_, model.frame_shape_, model.fs  # doctest: +SKIP
    (160, (128, 128), 30.0)
    """
    from lqrppg._training import resolve_device, torch_rng
    from lqrppg.models._lqrppg import LQRPPGRegressor
    from lqrppg.nn import C2FNet
    from lqrppg.quantization import LabelQuantizer

    config: dict[str, Any] = {}
    cfg_path = None
    source_dir = None
    if directory is not None or protocol is not None:
        if c2f is not None or quantizers is not None:
            raise ValueError("give either directory and protocol, or c2f and quantizers")
        if directory is None or protocol is None:
            raise ValueError(
                "directory and protocol go together: load_authors_checkpoint(directory, "
                f"protocol) with protocol one of {', '.join(AUTHORS_PROTOCOLS)}"
            )
        if not isinstance(protocol, str):
            raise ValueError(f"protocol must be a string such as 'UBFC_UBFC'; got {protocol!r}")
        source_dir = Path(directory)
        c2f_path, q_paths, cfg_path, config = _files_from_config(source_dir, protocol)
    else:
        if c2f is None or quantizers is None:
            raise ValueError(
                "give directory and protocol, or the files: c2f=PATH and quantizers=[5 PATHS]"
            )
        if isinstance(quantizers, (str, Path)) or len(quantizers) != _N_QUANTIZERS:
            raise ValueError(
                f"quantizers must be a sequence of {_N_QUANTIZERS} checkpoint paths (2 to 32 "
                f"codewords, coarse to fine); got {quantizers!r}"
            )
        c2f_path, q_paths = Path(c2f), [Path(q) for q in quantizers]
        m = re.match(r"(.+?_.+?)_LQC2F_rPPG", c2f_path.name)
        protocol = m[1] if m else None

    config_fs = None
    if config:
        config_fs = float(_get(config, "TRAIN.DATA.FS", cfg_path))
        if fs is not None and not math.isclose(float(fs), config_fs):
            raise ValueError(
                f"fs={fs} differs from the config's TRAIN.DATA.FS={config_fs:g} (the frame "
                f"rate protocol {protocol} was trained at)"
            )
    from lqrppg.signal._validation import check_fs

    rate = check_fs(config_fs if config_fs is not None else (30.0 if fs is None else fs))
    dev = torch.device("cpu") if device is None else resolve_device(device)

    # ---- label quantizers
    nets, geoms, sizes = [], [], []
    for level, path in enumerate(q_paths, start=1):
        net, g, cluster = _build_quantizer(path, level)
        nets.append(net)
        geoms.append(g)
        sizes.append(cluster)
    levels = tuple(g["n_codes"] for g in geoms)
    if any(b <= a for a, b in itertools.pairwise(levels)):
        raise ModelFileError(
            f"the quantizer files must go coarse to fine (growing codebooks); their codebook "
            f"sizes are {levels}: {[p.name for p in q_paths]}"
        )
    lengths = {g["length"] for g in geoms}
    if len(lengths) != 1:
        raise ModelFileError(f"the quantizers were built for different clip lengths {lengths}")
    (T,) = lengths

    # ---- the network
    state = _state_dict(
        _load_torch_file(c2f_path, "C2F network"), c2f_path, "C2F_model", "C2F network"
    )
    g = _c2f_geometry(state, c2f_path)
    if g["seq_len"] != T:
        raise ModelFileError(
            f"{str(c2f_path)!r} was built for clips of {g['seq_len']} frames, the quantizers "
            f"for {T}: the files are of different models"
        )
    if g["n_blocks"] + 1 != len(levels):
        raise ModelFileError(
            f"{str(c2f_path)!r} has {g['n_blocks']} Mamba blocks (so {g['n_blocks'] + 1} "
            f"heads), but {len(levels)} quantizers were given"
        )
    with torch_rng(0):
        module = C2FNet(
            g["seq_len"],
            g["dim"],
            g["n_blocks"],
            d_state=g["d_state"],
            d_conv=g["d_conv"],
            expand=g["expand"],
            codebook_sizes=levels,
            architecture="authors",
        )
    codebook_keys = {f"codebook_{i + 1}" for i in range(len(levels))} | {"codebooks_set"}
    mapped = _map_state(state, module, _c2f_target, c2f_path, codebook_keys)
    module.load_state_dict(mapped, strict=True)

    # Our codebooks are sorted (a larger index is a larger value); the nearest codeword and
    # the soft reconstruction do not depend on the order, so the outputs are unchanged.
    usage = []
    for net, cluster in zip(nets, sizes, strict=True):
        order = net.quantizer.sort_codebook_().numpy()
        total = cluster.sum()
        usage.append(cluster[order] / total if total > 0 else np.full(len(order), np.nan))
    codebooks = [n.quantizer.codebook.detach().to(torch.float64).numpy().copy() for n in nets]
    module.set_codebooks([torch.from_numpy(c) for c in codebooks])

    train = config.get("TRAIN", {}) if config else {}
    lq_lr = train.get("LR_LQ", [1e-3])
    lq = LabelQuantizer(
        levels=levels,
        width=geoms[0]["width"],
        d_state=geoms[0]["d_state"],
        d_conv=geoms[0]["d_conv"],
        expand=geoms[0]["expand"],
        epochs=int(train.get("LQ_EPOCHS", 30)),
        batch_size=int(train.get("BATCH_SIZE", 16)),
        lr=float(lq_lr[0] if isinstance(lq_lr, list) else lq_lr),
        fs=rate,
        architecture="authors",
        verbose=0,
    )
    lq.n_features_in_ = T
    lq.levels_ = levels
    lq.codebooks_ = codebooks
    lq.codebook_usage_ = usage
    lq.history_ = [[] for _ in levels]
    lq.best_epoch_ = [_epoch_of(p) for p in q_paths]
    lq.n_validation_clips_ = None
    lq.device_ = dev
    lq.modules_ = [n.to(dev).eval() for n in nets]

    model = LQRPPGRegressor(
        chunk_length=T,
        fs=rate,
        dim=g["dim"],
        n_blocks=g["n_blocks"],
        d_state=g["d_state"],
        d_conv=g["d_conv"],
        expand=g["expand"],
        levels=levels,
        quantizer_epochs=int(train.get("LQ_EPOCHS", 30)),
        epochs=int(train.get("C2F_EPOCHS", 50)),
        batch_size=int(train.get("BATCH_SIZE", 16)),
        lr=float(train.get("LR_C2F", 3e-4)),
        augment=bool(train.get("AUG", 0)),
        architecture="authors",
        verbose=0,
    )
    model.label_quantizer_ = lq
    model.codebooks_ = [c.copy() for c in codebooks]
    model.module_ = module.to(dev).eval()
    model.device_ = dev
    model.n_frames_ = T
    model.fs_ = rate
    model.frame_shape_ = _frame_shape(config, cfg_path)
    model.history_ = []
    model.best_epoch_ = _epoch_of(c2f_path)
    model.stopped_early_ = None
    model.n_validation_clips_ = None
    model.metadata_ = _metadata(
        protocol, config, cfg_path, source_dir, c2f_path, q_paths, rate, model.frame_shape_, T
    )
    return model


def _frame_shape(config: dict[str, Any], cfg_path: Path | None) -> tuple[int, int]:
    if not config:
        return (128, 128)
    size = _get(config, "TRAIN.DATA.PREPROCESS.RESIZE", cfg_path)
    return (int(size["H"]), int(size["W"]))


def _metadata(protocol, config, cfg_path, source_dir, c2f_path, q_paths, fs, frame_shape, T):
    files = [_file_record(c2f_path, "C2F network")]
    files += [_file_record(p, f"label quantizer {i + 1}") for i, p in enumerate(q_paths)]
    if cfg_path is not None:
        files.append(_file_record(cfg_path, "config"))
    meta: dict[str, Any] = {
        "kind": "lq-rppg-authors-release",
        "protocol": protocol,
        "source": {
            "repository": RELEASE_REPOSITORY,
            "release_commit": RELEASE_COMMIT,
            "matches_release": all(f["matches_release"] for f in files),
            "directory": None if source_dir is None else str(source_dir.resolve()),
            "directory_git_commit": None if source_dir is None else _git_commit(source_dir),
            "files": files,
            "substituted": list(config.get("_substituted", [])) if config else [],
        },
        "terms": {"code": _CODE_TERMS, "data": _DATA_TERMS},
        "preprocessing": {
            "face_detection": "first",
            "box_scale": 1.5,
            "frame_size": list(frame_shape),
            "fs": fs,
            "chunk_length": T,
            "standardization": "clip",
        },
    }
    if config:
        train, test = config["TRAIN"]["DATA"], config.get("TEST", {}).get("DATA", {})
        crop = train.get("PREPROCESS", {}).get("CROP_FACE", {})
        meta["preprocessing"]["box_scale"] = float(crop.get("LARGE_BOX_COEF", 1.5))
        if crop.get("DETECTION", {}).get("DO_DYNAMIC_DETECTION", False):
            meta["preprocessing"]["face_detection"] = "dynamic"
        meta["train_dataset"] = train.get("DATASET")
        meta["train_split"] = [train.get("BEGIN"), train.get("END")]
        meta["test_dataset"] = test.get("DATASET")
        meta["test_split"] = [test.get("BEGIN"), test.get("END")]
    return meta


def authors_model_card(model) -> str:
    """A Markdown model card of a model made by :func:`load_authors_checkpoint`.

    Parameters
    ----------
    model : LQRPPGRegressor
        Imported (its ``metadata_["kind"]`` is ``"lq-rppg-authors-release"``).

    Returns
    -------
    str
    """
    meta = getattr(model, "metadata_", {})
    if meta.get("kind") != "lq-rppg-authors-release":
        raise ValueError("the model was not imported from the authors' release")
    src = meta["source"]
    pre = meta["preprocessing"]
    train = meta.get("train_dataset")
    lines = [
        f"# Model card: LQ-rPPG `{meta.get('protocol')}` (the authors' released model)",
        "",
        "Imported with `lqrppg import-model` (`lqrppg.models.load_authors_checkpoint`) from the "
        "checkpoints the LQ-rPPG authors released; the weights are theirs, unchanged.",
        "",
        "## Source",
        "",
        f"- Repository: {src['repository']}",
        f"- Release commit known to lqrppg: `{src['release_commit']}`",
        "- Every file matches that release byte for byte (SHA-256): "
        + ("**yes**" if src["matches_release"] else "**no** (see the table)"),
    ]
    if src.get("directory"):
        lines.append(f"- Read from: `{src['directory']}`")
    if src.get("directory_git_commit"):
        lines.append(f"- That folder is a git checkout at commit `{src['directory_git_commit']}`")
    for sub in src.get("substituted", []):
        lines.append(
            f"- The config names `{sub['config_names']}`, which the folder does not hold; "
            f"`{sub['used']}`, the only file of that protocol and part, was used instead"
        )
    lines += ["", "| role | file | SHA-256 | same as the release |", "|---|---|---|---|"]
    for f in src["files"]:
        lines.append(
            f"| {f['role']} | `{f['file']}` | `{f['sha256']}` | "
            f"{'yes' if f['matches_release'] else 'no'} |"
        )
    lines += ["", "## Training data", ""]
    if train:
        split = meta.get("train_split") or [None, None]
        lines.append(
            f"- Trained on {_DATASETS.get(train, train)}; the recordings from "
            f"{split[0]:.0%} to {split[1]:.0%} of the dataset's ordered subject list "
            "(rPPG-Toolbox's split)."
            if None not in split
            else f"- Trained on {_DATASETS.get(train, train)}."
        )
        test = meta.get("test_dataset")
        if test:
            lines.append(f"- The authors tested it on {_DATASETS.get(test, test)}.")
    else:
        lines.append("- Not stated (imported from files without their config).")
    lines += [
        "",
        "## Terms",
        "",
        f"- Code and weights: {meta['terms']['code']}.",
        f"- Data: {meta['terms']['data']}",
        "",
        "## Input and preprocessing",
        "",
        f"- Clips of {pre['chunk_length']} frames at {pre['fs']:g} fps, RGB, "
        f"{pre['frame_size'][0]} x {pre['frame_size'][1]} pixels.",
        f"- Face: Haar cascade on the first frame, box enlarged {pre['box_scale']:g}x, kept for "
        "the whole video (no re-detection), resized with area interpolation.",
        "- Frames standardised (z-score over frames, pixels and channels): by the authors per "
        "video, by lqrppg per clip.",
        "- Output: a standardised pulse waveform per clip; heart rate by lqrppg's HR routine.",
        "",
        "## What it is known and not known to do",
        "",
        "- Known: its outputs equal the authors' own test-time forward on reference inputs "
        "(to 1e-4, float32; lqrppg's test suite).",
        "- Not known here: its accuracy on the authors' test sets (none of those datasets is "
        "available to lqrppg's tests; see the authors' paper for their numbers). On real "
        "skin-patch videos without a whole face (bias_eval_rppg_dev) the UBFC and PURE models "
        "were no better than POS (see the docs page 'The published LQ-rPPG models').",
    ]
    return "\n".join(lines) + "\n"
