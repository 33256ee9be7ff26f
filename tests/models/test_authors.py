"""The LQ-rPPG authors' released checkpoints, loaded into our modules, against their forward.

The references (``../shared/lq_rppg_authors/*.npz``) are the outputs of the authors' own model
code (``LQC2F.py``, unchanged, loaded ``strict=True``) run on CPU in float64; see the README
there. Every test here skips, saying why, when that folder is absent.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from lqrppg.exceptions import ModelFileError
from lqrppg.models import (
    AUTHORS_PROTOCOLS,
    LQRPPGRegressor,
    authors_model_card,
    authors_protocols,
    load_authors_checkpoint,
)
from lqrppg.models._authors import _build_quantizer

pytestmark = pytest.mark.realdata

TOL = 1e-4  # float32 port against a float64 reference (the authors' own float32 run: 3.6e-5)


@pytest.fixture(scope="module")
def c2f_reference(authors_release):
    return dict(np.load(authors_release / "c2f_reference.npz"))


@pytest.fixture(scope="module")
def lq_reference(authors_release):
    return dict(np.load(authors_release / "lq_reference_UBFC_UBFC.npz"))


@pytest.fixture(scope="module")
def models(authors_release):
    return {p: load_authors_checkpoint(authors_release, p) for p in ("UBFC_UBFC", "PURE_PURE")}


def _real_15fps_input(authors_release, reference):
    """The README's real input rebuilt: 81 decoded frames, 128 x 128, doubled to 30 fps."""
    cv2 = pytest.importorskip("cv2")
    video = authors_release.parent / "data" / "bias_eval_rppg_dev" / "Data" / "India"
    cap = cv2.VideoCapture(str(video / "video12_forehead.avi"))
    frames = []
    while len(frames) < 81:
        ok, frame = cap.read()
        assert ok, "the reference video ended early"
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        frames.append(cv2.resize(rgb, (128, 128), interpolation=cv2.INTER_AREA))
    cap.release()
    raw = np.stack(frames)
    np.testing.assert_array_equal(raw, reference["raw_real_15fps"])
    raw = raw.astype(np.float64)
    up = np.empty((2 * len(raw) - 1, *raw.shape[1:]))
    up[0::2] = raw
    up[1::2] = 0.5 * (raw[:-1] + raw[1:])
    return up[:160]


def _inputs(authors_release, reference):
    return {
        "random": reference["raw_random"],
        "real": _real_15fps_input(authors_release, reference),
    }


def _forward_with_features(model, clip):
    """rppg (predict), raw heads and the two feature maps of one clip."""
    net = model.module_
    seen = {}
    hook = net.predictor.register_forward_pre_hook(
        lambda m, args: seen.__setitem__("mamba4_out", args[0].transpose(1, 2).clone())
    )
    try:
        from lqrppg.models import clips_to_tensor

        x = clips_to_tensor(torch.from_numpy(np.asarray(clip[None], dtype=np.float32)))
        with torch.no_grad():
            tokens = net.embed(x)
            out = net(x)
    finally:
        hook.remove()
    return {
        "rppg": model.predict(clip[None]),
        "feat_mamba1_in": tokens.numpy(),
        "feat_mamba4_out": seen["mamba4_out"].numpy(),
        "final_token_head": out.raw_heads[-1].numpy(),
        **{f"y{i + 1}": out.raw_heads[i].numpy() for i in range(4)},
    }


@pytest.mark.parametrize("protocol", ["UBFC_UBFC", "PURE_PURE"])
def test_c2f_matches_the_authors_forward(protocol, models, authors_release, c2f_reference):
    model = models[protocol]
    for name, clip in _inputs(authors_release, c2f_reference).items():
        ours = _forward_with_features(model, clip)
        for key, value in ours.items():
            ref = c2f_reference[f"{protocol}_{name}_{key}"]
            assert value.shape == ref.shape, key
            err = np.abs(value - ref).max()
            assert err < TOL, f"{protocol} {name} {key}: max |ours - reference| = {err:.2e}"


@pytest.mark.parametrize("protocol", ["UBFC_UBFC", "PURE_PURE"])
def test_codebooks_are_the_released_ones(protocol, models, c2f_reference):
    model = models[protocol]
    for level in range(5):
        ref = c2f_reference[f"{protocol}_codebook_{level + 1}"][:, 0]
        ours = model.codebooks_[level]
        # ours are sorted (a larger index is a larger value); the set of values is the same
        np.testing.assert_allclose(ours, np.sort(ref), rtol=0, atol=1e-7)
        np.testing.assert_allclose(model.module_.codebooks[level].numpy(), ours, atol=1e-7)
        assert np.all(np.diff(ours) > 0)


def test_quantizer_networks_match_the_authors(authors_release, lq_reference):
    """Each released quantizer, unsorted, on the reference pulses: indices equal exactly."""
    cfg_names = [
        "UBFC_UBFC_LQC2F_1th_LQ_Epoch9.pth",
        "UBFC_UBFC_LQC2F_2th_LQ_Epoch8.pth",
        "UBFC_UBFC_LQC2F_3th_LQ_Epoch11.pth",
        "UBFC_UBFC_LQC2F_4th_LQ_Epoch19.pth",
        "UBFC_UBFC_LQC2F_5th_LQ_Epoch26.pth",
    ]
    x = torch.from_numpy(lq_reference["lq_input"])
    for level, name in enumerate(cfg_names, start=1):
        net, geometry, _ = _build_quantizer(authors_release / "PreTrainedModels" / name, level)
        assert geometry["n_codes"] == 2**level
        with torch.no_grad():
            out = net(x)
        np.testing.assert_array_equal(out.indices.numpy(), lq_reference[f"lq{level}_indices"])
        for key, ours in (("quantized", out.quantized), ("encoder_out", out.latent)):
            err = np.abs(ours.numpy() - lq_reference[f"lq{level}_{key}"]).max()
            assert err < 1e-5, f"level {level} {key}: {err:.2e}"
        assert abs(float(out.commitment_loss) - lq_reference[f"lq{level}_c_loss"][0]) < 1e-5


def test_label_quantizer_estimator_on_raw_pulses(models, lq_reference):
    """The imported LabelQuantizer standardises as the authors do and returns their codes."""
    lq = models["UBFC_UBFC"].label_quantizer_
    pseudo = lq.pseudo_labels(lq_reference["lq_input_raw"])
    codes = lq.encode(lq_reference["lq_input_raw"])
    for level in range(5):
        ref = lq_reference[f"lq{level + 1}_quantized"]
        np.testing.assert_allclose(pseudo[:, level], ref, rtol=0, atol=1e-5)
        # same codeword: our sorted index points at the value the authors' index points at
        book = lq_reference[f"lq{level + 1}_codebook"][:, 0]
        np.testing.assert_allclose(
            lq.codebooks_[level][codes[:, level]],
            book[lq_reference[f"lq{level + 1}_indices"]],
            atol=1e-7,
        )


def test_every_protocol_loads_and_predicts(authors_release):
    protocols = authors_protocols(authors_release)
    assert protocols == sorted(AUTHORS_PROTOCOLS)
    clip = np.random.default_rng(0).integers(0, 256, (1, 160, 128, 128, 3), dtype=np.uint8)
    fs = {}
    for protocol in protocols:
        if protocol == "V4V_V4V":
            # the release ships other epochs than its V4V config names: used with a warning
            with pytest.warns(UserWarning, match="V4V_V4V_LQC2F_rPPG_Epoch48.pth"):
                model = load_authors_checkpoint(authors_release, protocol)
            assert len(model.metadata_["source"]["substituted"]) == 6
        else:
            model = load_authors_checkpoint(authors_release, protocol)
            assert model.metadata_["source"]["substituted"] == []
        assert model.architecture == "authors"
        assert sum(p.numel() for p in model.module_.parameters()) == 405_453
        assert model.metadata_["source"]["matches_release"], protocol
        wave = model.predict(clip)
        assert wave.shape == (1, 160) and np.isfinite(wave).all(), protocol
        fs[protocol] = model.fs
    assert fs["V4V_V4V"] == 25.0 and fs["COHFACE_COHFACE"] == 20.0 and fs["UBFC_UBFC"] == 30.0


def test_explicit_files_give_the_same_model(authors_release, models, c2f_reference):
    folder = authors_release / "PreTrainedModels"
    model = load_authors_checkpoint(
        c2f=folder / "UBFC_UBFC_LQC2F_rPPG_Epoch49.pth",
        quantizers=[
            folder / f"UBFC_UBFC_LQC2F_{k}th_LQ_Epoch{e}.pth"
            for k, e in zip(range(1, 6), (9, 8, 11, 19, 26), strict=True)
        ],
    )
    x = c2f_reference["raw_random"][None]
    np.testing.assert_array_equal(model.predict(x), models["UBFC_UBFC"].predict(x))
    assert model.metadata_["protocol"] == "UBFC_UBFC"


def test_save_load_round_trip(models, c2f_reference, tmp_path):
    model = models["PURE_PURE"]
    model.save(tmp_path / "pure.pt")
    back = LQRPPGRegressor.load(tmp_path / "pure.pt")
    x = c2f_reference["raw_random"][None]
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert back.metadata_ == model.metadata_
    assert back.architecture == "authors" and back.label_quantizer_.architecture == "authors"
    card = authors_model_card(back)
    assert "PURE" in card and "a9e78aeeae3c39fc90a927d20df94442c3433b46" in card


def test_clear_errors(authors_release, tmp_path):
    with pytest.raises(ModelFileError, match="not a folder"):
        load_authors_checkpoint(tmp_path / "nowhere", "UBFC_UBFC")
    with pytest.raises(ModelFileError, match="no LQ-rPPG config"):
        load_authors_checkpoint(tmp_path, "UBFC_UBFC")
    with pytest.raises(ModelFileError, match="no config for protocol 'UBFC_V4V'"):
        load_authors_checkpoint(authors_release, "UBFC_V4V")
    # a copy with one file missing
    (tmp_path / "configs").mkdir()
    (tmp_path / "PreTrainedModels").mkdir()
    shutil.copy(authors_release / "configs" / "UBFC_UBFC_LQC2F.yaml", tmp_path / "configs")
    for f in (authors_release / "PreTrainedModels").glob("UBFC_UBFC_*"):
        if "_4th_" not in f.name:
            shutil.copy(f, tmp_path / "PreTrainedModels")
    with pytest.raises(ModelFileError, match=r"UBFC_UBFC_LQC2F_4th_LQ_Epoch19\.pth.*missing"):
        load_authors_checkpoint(tmp_path, "UBFC_UBFC")


def test_checkpoint_of_another_architecture(authors_release, tmp_path):
    folder = authors_release / "PreTrainedModels"
    quantizers = [
        folder / f"UBFC_UBFC_LQC2F_{k}th_LQ_Epoch{e}.pth"
        for k, e in zip(range(1, 6), (9, 8, 11, 19, 26), strict=True)
    ]
    # our own C2F (no stem biases) saved as if it were the authors'
    from lqrppg.nn import C2FNet

    ours = {f"module.{k}": v for k, v in C2FNet().state_dict().items()}
    torch.save({"C2F_model": ours}, tmp_path / "ours.pth")
    with pytest.raises(ModelFileError, match="not a checkpoint of the authors' LQ-rPPG network"):
        load_authors_checkpoint(c2f=tmp_path / "ours.pth", quantizers=quantizers)
    # the authors' network with one tensor renamed and one extra
    state = torch.load(
        folder / "UBFC_UBFC_LQC2F_rPPG_Epoch49.pth", weights_only=True, map_location="cpu"
    )
    sd = dict(state["C2F_model"])
    sd["module.extra_head.weight"] = torch.zeros(3)
    torch.save({"C2F_model": sd}, tmp_path / "extra.pth")
    with pytest.raises(ModelFileError, match=r"'extra_head\.weight'"):
        load_authors_checkpoint(c2f=tmp_path / "extra.pth", quantizers=quantizers)
    sd = dict(state["C2F_model"])
    del sd["module.stem3.0.bias"]
    torch.save({"C2F_model": sd}, tmp_path / "lacking.pth")
    with pytest.raises(ModelFileError, match=r"lacks 1 tensor.*'conv3d\.bias'"):
        load_authors_checkpoint(c2f=tmp_path / "lacking.pth", quantizers=quantizers)
    # a C2F file given as a quantizer, a text file as the network
    with pytest.raises(ModelFileError, match="label quantizer"):
        load_authors_checkpoint(
            c2f=folder / "UBFC_UBFC_LQC2F_rPPG_Epoch49.pth",
            quantizers=[folder / "UBFC_UBFC_LQC2F_rPPG_Epoch49.pth", *quantizers[1:]],
        )
    (tmp_path / "text.pth").write_text("not a checkpoint")
    with pytest.raises(ModelFileError, match="not a PyTorch checkpoint"):
        load_authors_checkpoint(c2f=tmp_path / "text.pth", quantizers=quantizers)
    # the shipped synthetic weights are an lqrppg file, not an authors' checkpoint
    from lqrppg.models import pretrained_path

    with pytest.raises(ModelFileError):
        load_authors_checkpoint(c2f=pretrained_path(), quantizers=quantizers)


def test_bad_arguments(authors_release):
    with pytest.raises(ValueError, match="directory and protocol go together"):
        load_authors_checkpoint(authors_release)
    with pytest.raises(ValueError, match="quantizers must be a sequence of 5"):
        load_authors_checkpoint(c2f="x.pth", quantizers=["a.pth"])
    with pytest.raises(ValueError, match="differs from the config"):
        load_authors_checkpoint(authors_release, "UBFC_UBFC", fs=25)
