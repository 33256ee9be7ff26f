"""Model files: integrity digest, one error type for anything that is not a model, atomic saves."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from lqrppg._persistence import payload_digest
from lqrppg.exceptions import ModelFileError
from lqrppg.models import LQRPPGRegressor, PhysNetRegressor, pretrained_path


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "model.pt"
    LQRPPGRegressor.pretrained().save(path)
    return path


def _tensor_offset(path) -> tuple[int, int]:
    """Start and size of the largest stored tensor's bytes inside the (uncompressed) zip."""
    with zipfile.ZipFile(path) as z:
        info = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
        assert info.compress_type == zipfile.ZIP_STORED
    with open(path, "rb") as f:
        f.seek(info.header_offset + 26)
        name_len, extra_len = (int.from_bytes(f.read(2), "little") for _ in range(2))
    return info.header_offset + 30 + name_len + extra_len, info.file_size


def _no_safety_advice(exc) -> None:
    assert "weights_only=False" not in str(exc) and "weights_only" not in str(exc)


def test_flipped_bytes_are_detected(model_file, tmp_path):
    start, size = _tensor_offset(model_file)
    data = bytearray(model_file.read_bytes())
    for k in range(200):  # 200 flipped bytes inside the weights, where torch checks nothing
        data[start + (k * 97) % size] ^= 0xFF
    bad = tmp_path / "flipped.pt"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"flipped\.pt.*damaged"):
        LQRPPGRegressor.load(bad)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda src, p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda src, p: p.write_text("model weights, honest"), id="text"),
        pytest.param(lambda src, p: p.write_bytes(src.read_bytes()[:500_000]), id="truncated"),
        pytest.param(
            lambda src, p: zipfile.ZipFile(p, "w").writestr("notes.txt", "hello"), id="other-zip"
        ),
        pytest.param(
            lambda src, p: torch.save(torch.nn.Linear(3, 2).state_dict(), p), id="other-library"
        ),
        pytest.param(lambda src, p: torch.save({"format": "x"}, p), id="other-dict"),
    ],
)
def test_files_that_are_not_models_give_one_error(make, model_file, tmp_path):
    path = tmp_path / "f.pt"
    make(model_file, path)
    with pytest.raises(ModelFileError, match=r"f\.pt") as info:
        LQRPPGRegressor.load(path)
    _no_safety_advice(info.value)


class _Hostile:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_hostile_pickle_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    _Hostile.marker = marker
    path = tmp_path / "hostile.pt"
    torch.save({"format": "lqrppg.models", "x": _Hostile()}, path)
    with pytest.raises(ModelFileError, match="could run code") as info:
        LQRPPGRegressor.load(path)
    _no_safety_advice(info.value)
    assert not marker.exists()
    with open(tmp_path / "plain.pkl", "wb") as f:
        pickle.dump(_Hostile(), f)
    with pytest.raises(ModelFileError):
        LQRPPGRegressor.load(tmp_path / "plain.pkl")
    assert not marker.exists()


def test_oversized_hyper_parameters_are_refused_before_allocation(model_file, tmp_path):
    payload = torch.load(model_file, weights_only=True)
    params = json.loads(payload["params"])
    params["dim"] = 32768  # the network would take about 80 GB
    payload["params"] = json.dumps(params)
    payload["sha256"] = payload_digest(payload)  # consistent digest: only the sizes disagree
    torch.save(payload, tmp_path / "huge.pt")
    with pytest.raises(ModelFileError, match="do not match its network weights"):
        LQRPPGRegressor.load(tmp_path / "huge.pt")
    params["dim"] = 12  # not a multiple of 8: refused by the parameter check
    payload["params"] = json.dumps(params)
    payload["sha256"] = payload_digest(payload)
    torch.save(payload, tmp_path / "odd.pt")
    with pytest.raises(ModelFileError, match=r"invalid hyper-parameters.*dim"):
        LQRPPGRegressor.load(tmp_path / "odd.pt")


def test_loading_leaves_torch_dynamo_unimported_and_predicts_as_saved(model_file):
    """The meta skeleton skips the arithmetic of initialisation, whose Python meta kernels
    would import torch._dynamo, torch.fx and sympy (seconds of start-up for ``lqrppg
    predict``); the loaded network is the saved one, to the last bit."""
    code = (
        "import sys, numpy as np\n"
        "from lqrppg.models import LQRPPGRegressor\n"
        f"m = LQRPPGRegressor.load({str(model_file)!r})\n"
        "assert 'torch._dynamo' not in sys.modules, 'torch._dynamo imported'\n"
        "assert 'sympy' not in sys.modules, 'sympy imported'\n"
        "assert not any(t.is_meta for t in m.module_.state_dict().values())\n"
        "x = np.random.default_rng(0).integers(0, 256, (1, 160, 32, 32, 3), dtype=np.uint8)\n"
        "np.save(sys.argv[1], m.predict(x))\n"
    )
    out = model_file.parent / "pred.npy"
    subprocess.run([sys.executable, "-c", code, str(out)], check=True)
    x = np.random.default_rng(0).integers(0, 256, (1, 160, 32, 32, 3), dtype=np.uint8)
    np.testing.assert_array_equal(np.load(out), LQRPPGRegressor.pretrained().predict(x))


def test_wrong_class_and_missing_file(model_file, tmp_path):
    with pytest.raises(ModelFileError, match="holds a LQRPPGRegressor, not a PhysNetRegressor"):
        PhysNetRegressor.load(model_file)
    with pytest.raises(FileNotFoundError, match="model file not found"):
        LQRPPGRegressor.load(tmp_path / "nothing.pt")
    with pytest.raises(ModelFileError, match="is a folder"):
        LQRPPGRegressor.load(tmp_path)


def test_save_checks_the_target_and_is_atomic(model_file, tmp_path, monkeypatch):
    model = LQRPPGRegressor.load(model_file)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.save(tmp_path / "missing" / "m.pt")
    target = tmp_path / "m.pt"
    target.write_bytes(b"the old model")

    def failing_save(obj, f, *args, **kwargs):
        with open(f, "wb") as fh:
            fh.write(b"half a mo")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        model.save(target)
    assert target.read_bytes() == b"the old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]  # no temporary file left
    monkeypatch.undo()
    model.save(target)
    assert LQRPPGRegressor.load(target).n_frames_ == 160
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_shipped_weights_carry_a_digest():
    payload = torch.load(pretrained_path(), weights_only=True)
    assert payload["format_version"] == 2
    assert payload["sha256"] == payload_digest(payload)


def test_format_1_files_load_with_a_warning(model_file, tmp_path):
    payload = torch.load(model_file, weights_only=True)
    del payload["sha256"]
    payload["format_version"] = 1
    torch.save(payload, tmp_path / "old.pt")
    with pytest.warns(UserWarning, match="without an integrity check"):
        LQRPPGRegressor.load(tmp_path / "old.pt")


def test_fs_cannot_change_after_fit(model_file):
    import numpy as np

    model = LQRPPGRegressor.load(model_file)
    assert model.fs_ == 30.0
    clips = np.random.default_rng(0).integers(0, 256, (1, 160, 32, 32, 3), dtype=np.uint8)
    model.set_params(fs=25.0)
    with pytest.raises(ValueError, match=r"fs=25.0 differs .* \(fs_=30 Hz\)"):
        model.predict_hr(clips)
    model.set_params(fs=30.0)
    assert np.isfinite(model.predict(clips)).all()
