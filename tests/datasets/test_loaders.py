"""Loaders of UBFC-rPPG, PURE, COHFACE and MMPD on tiny copies of their on-disk layouts."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from lqrppg.datasets import (
    Recording,
    _loaders,
    load_cohface,
    load_mmpd,
    load_pure,
    load_ubfc_rppg,
)

PURE_T0 = 1392643993642815000


# --------------------------------------------------------------------------------------------
# UBFC-rPPG
# --------------------------------------------------------------------------------------------
def test_ubfc_finds_subjects_lazily_and_aligns_labels(ubfc_dir, videos, monkeypatch):
    root, written = ubfc_dir
    calls = []
    real = _loaders.read_video
    monkeypatch.setattr(_loaders, "read_video", lambda p: calls.append(p) or real(p))
    data = load_ubfc_rppg(root)
    assert calls == []  # finding the recordings decodes nothing
    assert data.name == "UBFC-rPPG" and data.fs == 30.0
    assert data.recording_ids == ["subject1", "subject2"] == data.subjects
    assert data.groups.tolist() == ["subject1", "subject2"]
    assert data.index.recording.tolist() == ["subject1", "subject2"]
    assert all(isinstance(r, Recording) for r in data.recordings)

    rec = data.recordings[1].load()
    assert len(calls) == 1
    np.testing.assert_array_equal(rec.frames, videos[1])  # FFV1: lossless
    assert rec.fs == 30.0 and rec.subject == "subject2" and rec.session is None
    np.testing.assert_allclose(rec.timestamps, np.arange(180) / 30.0, atol=1e-6)
    src = written["subject2"]
    np.testing.assert_allclose(rec.label_times, src.t, atol=1e-9)
    np.testing.assert_allclose(rec.ppg, np.interp(rec.timestamps, src.t, src.ppg), rtol=1e-9)
    # A frame time between two 50 Hz label samples: the linear mix of its neighbours.
    k = 7  # 0.2333 s lies between the samples at 0.22 and 0.24 s
    t = rec.timestamps[k]
    w = (t - 0.22) / 0.02
    expected = (1 - w) * src.ppg[11] + w * src.ppg[12]
    assert rec.ppg[k] == pytest.approx(expected, rel=1e-9)
    assert rec.hr.shape == (180,) and np.all(rec.hr == 72.0)
    assert rec.n_extrapolated == 0


def test_ubfc_label_times_are_used_not_sample_order(tmp_path, videos, writers):
    # A linear label makes the interpolation exact: ppg at a frame is 3 t + 1.
    writers.ubfc(tmp_path, "subject1", videos[0][:60], label_fs=64.0, fn=lambda t: 3 * t + 1)
    rec = load_ubfc_rppg(tmp_path).recordings[0].load()
    np.testing.assert_allclose(rec.ppg, 3 * rec.timestamps + 1, atol=1e-6)


def test_ubfc_natural_order_and_subject_selection(tmp_path, videos, writers):
    for name in ("subject10", "subject2", "subject1"):
        writers.ubfc(tmp_path, name, videos[0][:10])
    data = load_ubfc_rppg(tmp_path)
    assert data.recording_ids == ["subject1", "subject2", "subject10"]
    assert load_ubfc_rppg(tmp_path, subjects=["subject10"]).recording_ids == ["subject10"]
    with pytest.raises(ValueError, match=r"subjects \['subject3'\] not found.*subject10"):
        load_ubfc_rppg(tmp_path, subjects=["subject3"])


def test_ubfc_folder_errors(tmp_path, videos, writers):
    with pytest.raises(FileNotFoundError, match=r"UBFC-rPPG: folder .*nope.* not found"):
        load_ubfc_rppg(tmp_path / "nope")
    with pytest.raises(ValueError, match=r"no recordings found.*searched for 'subject\*/vid.avi'"):
        load_ubfc_rppg(tmp_path)
    writers.ubfc(tmp_path, "subject1", videos[0][:10])
    (tmp_path / "subject2").mkdir()
    (tmp_path / "subject2" / "gtdump.xmp").write_text("0,70,0,0\n")
    with pytest.raises(FileNotFoundError, match=r"ground_truth.txt.*DATASET_1"):
        load_ubfc_rppg(tmp_path)
    (tmp_path / "subject2" / "ground_truth.txt").write_text("1 2\n70 70\n0 0.03\n")
    with pytest.raises(FileNotFoundError, match=r"video .*subject2.*vid.avi.* is missing"):
        load_ubfc_rppg(tmp_path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1 2 3\n70 70 70\n", "three lines.*found 2 non-empty lines"),
        ("1 2 3\n70 70\n0 0.1 0.2\n", r"the lines hold \[3, 2, 3\] numbers"),
        ("1 x 3\n70 70 70\n0 0.1 0.2\n", "line 1: could not convert"),
        ("1 2 3\n70 70 70\n0 0.2 0.1\n", "strictly increasing timestamps"),
        ("1 nan 3\n70 70 70\n0 0.1 0.2\n", "finite PPG"),
    ],
)
def test_ubfc_malformed_ground_truth_names_the_file(tmp_path, videos, writers, text, match):
    folder = writers.ubfc(tmp_path, "subject1", videos[0][:10]).folder
    (folder / "ground_truth.txt").write_text(text)
    rec = load_ubfc_rppg(tmp_path).recordings[0]
    with pytest.raises(ValueError, match=r"malformed label file .*ground_truth\.txt") as info:
        rec.load()
    info.match(match)


def test_ubfc_video_longer_than_labels_says_by_how_much(tmp_path, videos, writers):
    # 180 frames (6 s) but labels for the first 4 s only: 2 s, 60 frames uncovered.
    writers.ubfc(tmp_path, "subject1", videos[0], span=4.0)
    rec = load_ubfc_rppg(tmp_path).recordings[0]
    with pytest.raises(ValueError, match=r"runs 1\.98\d s \(60 frames\) past the last label"):
        rec.load()
    # Within the tolerance, the edge frames take the last label value and are counted.
    loaded = load_ubfc_rppg(tmp_path, tolerance=2.5).recordings[0].load()
    assert loaded.n_extrapolated == 60
    assert np.all(loaded.ppg[-60:] == loaded.label_values[-1])
    with pytest.raises(ValueError, match="tolerance must be"):
        load_ubfc_rppg(tmp_path, tolerance=-1)


def test_ubfc_unreadable_video(tmp_path, videos, writers):
    folder = writers.ubfc(tmp_path, "subject1", videos[0][:10]).folder
    (folder / "vid.avi").write_bytes(b"not a video at all")
    rec = load_ubfc_rppg(tmp_path).recordings[0]
    with pytest.raises(ValueError, match=r"UBFC-rPPG subject1: cannot open .*vid.avi"):
        rec.load()


def test_recording_pickles_and_lists_its_files(ubfc_dir):
    root, _ = ubfc_dir
    rec = load_ubfc_rppg(root).recordings[0]
    again = pickle.loads(pickle.dumps(rec))
    assert again == rec
    assert again.files() == sorted([rec.video, rec.label])
    assert again.load().frames.shape == (180, 32, 32, 3)
    with pytest.raises(ValueError, match="has no reader"):
        Recording("x", "r", "s", None, rec.video, rec.label, 30.0, 30.0).load()


# --------------------------------------------------------------------------------------------
# PURE
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pure(tmp_path_factory, videos, writers):
    root = tmp_path_factory.mktemp("pure")
    written = {
        "01-01": writers.pure(root, "01-01", videos[0], nested=False, jitter_seed=1),
        "01-02": writers.pure(root, "01-02", videos[1], nested=True, jitter_seed=2),
        "02-01": writers.pure(root, "02-01", videos[1][:30], nested=False, jitter_seed=3),
    }
    return root, written


def test_pure_both_layouts_and_timestamp_alignment(pure, videos):
    root, written = pure
    data = load_pure(root)
    assert data.recording_ids == ["01-01", "01-02", "02-01"]
    assert data.groups.tolist() == ["01", "01", "02"] and data.subjects == ["01", "02"]
    assert data.index.session.tolist() == ["01", "02", "01"]
    assert data.fs == 30.0 and data.label_fs == 60.0
    for i, rid in enumerate(["01-01", "01-02"]):
        rec = data.recordings[i].load()
        src = written[rid]
        np.testing.assert_array_equal(rec.frames, videos[i])  # PNG: lossless, RGB order
        np.testing.assert_allclose(rec.timestamps, (src.stamps - PURE_T0) / 1e9, atol=1e-9)
        np.testing.assert_allclose(rec.label_times, src.t, atol=1e-9)
        np.testing.assert_allclose(rec.ppg, np.interp(rec.timestamps, src.t, src.wave))
        assert rec.fs == pytest.approx(30.0, abs=0.05)
        assert np.all(rec.hr == 72.0)
    # One frame by hand: the 60 Hz packages around it, mixed linearly.
    rec = data.recordings[0].load()
    src = written["01-01"]
    k = 100
    j = np.searchsorted(src.t, rec.timestamps[k]) - 1
    w = (rec.timestamps[k] - src.t[j]) / (src.t[j + 1] - src.t[j])
    assert rec.ppg[k] == pytest.approx((1 - w) * src.wave[j] + w * src.wave[j + 1])


def test_pure_errors(tmp_path, videos, writers):
    with pytest.raises(ValueError, match=r"PURE: no recordings found.*'NN-MM/'"):
        load_pure(tmp_path)
    src = writers.pure(tmp_path, "03-01", videos[0][:20], nested=False)
    src.json.rename(tmp_path / "elsewhere.json")
    with pytest.raises(FileNotFoundError, match="label file of 03-01 is missing"):
        load_pure(tmp_path)
    (tmp_path / "elsewhere.json").rename(src.json)
    src.json.write_text('{"/Image": []}')
    with pytest.raises(ValueError, match=r"malformed label file .*03-01.json.*/FullPackage"):
        load_pure(tmp_path).recordings[0].load()
    src.json.write_text('{"/FullPackage": [{"Timestamp": 1, "Value": {}}]}')
    with pytest.raises(ValueError, match=r"03-01.json.*entry 0 of /FullPackage"):
        load_pure(tmp_path).recordings[0].load()
    src.json.write_text("{not json")
    with pytest.raises(ValueError, match=r"03-01.json.*not valid JSON"):
        load_pure(tmp_path).recordings[0].load()


def test_pure_frames_without_timestamps_in_their_names_use_the_image_list(
    tmp_path, videos, writers
):
    src = writers.pure(tmp_path, "05-01", videos[0][:12], nested=False)
    for k, stamp in enumerate(src.stamps):
        (src.images / f"Image{stamp}.png").rename(src.images / f"frame{k}.png")
    rec = load_pure(tmp_path).recordings[0].load()
    np.testing.assert_array_equal(rec.frames, videos[0][:12])
    np.testing.assert_allclose(rec.timestamps, (src.stamps - PURE_T0) / 1e9, atol=1e-9)
    (src.images / "frame11.png").unlink()
    with pytest.raises(ValueError, match=r"no timestamps .*\(11 frames, 12 /Image entries\)"):
        load_pure(tmp_path).recordings[0].load()


def test_pure_labels_that_stop_early(tmp_path, videos, writers):
    import json

    src = writers.pure(tmp_path, "04-01", videos[0], nested=False)
    data = json.loads(src.json.read_text())
    data["/FullPackage"] = data["/FullPackage"][:180]  # 3 s of oximeter for 6 s of video
    src.json.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"04-01: cannot align .* runs 2\.9\d\d s \(9\d frames\)"):
        load_pure(tmp_path).recordings[0].load()


# --------------------------------------------------------------------------------------------
# COHFACE
# --------------------------------------------------------------------------------------------
def test_cohface_sessions_and_256_hz_labels(tmp_path, videos, writers):
    pytest.importorskip("h5py")
    written = {
        (s, k): writers.cohface(tmp_path, s, k, videos[i % 2][:60])
        for i, (s, k) in enumerate([("1", "0"), ("1", "1"), ("12", "0"), ("2", "0")])
    }
    data = load_cohface(tmp_path)
    assert data.recording_ids == ["1/0", "1/1", "2/0", "12/0"]
    assert data.groups.tolist() == ["1", "1", "2", "12"]
    assert data.fs == 20.0 and data.label_fs == 256.0
    rec = data.recordings[3].load()
    src = written[("12", "0")]
    np.testing.assert_array_equal(rec.frames, videos[0][:60])
    assert rec.fs == 20.0
    np.testing.assert_allclose(rec.timestamps, np.arange(60) / 20.0, atol=1e-6)
    np.testing.assert_allclose(rec.ppg, np.interp(rec.timestamps, src.t, src.pulse), rtol=1e-12)
    np.testing.assert_allclose(rec.extra["respiration"], np.interp(rec.timestamps, src.t, src.resp))
    assert rec.hr is None and rec.session == "0"
    assert load_cohface(tmp_path, subjects=["2"]).recording_ids == ["2/0"]


def test_cohface_errors(tmp_path, videos, writers):
    h5py = pytest.importorskip("h5py")

    with pytest.raises(ValueError, match=r"COHFACE: no recordings.*<subject>/<session>/data.avi"):
        load_cohface(tmp_path)
    src = writers.cohface(tmp_path, "1", "0", videos[0][:40])
    (src.folder / "data.avi").unlink()
    with pytest.raises(FileNotFoundError, match=r"video .*1/0/data.avi.* is missing"):
        load_cohface(tmp_path)
    src = writers.cohface(tmp_path, "1", "0", videos[0][:40])
    with h5py.File(src.folder / "data.hdf5", "w") as fh:
        fh["pulse"] = np.zeros(10)
    with pytest.raises(
        ValueError, match=r"data.hdf5.*'pulse' and 'time'.*found datasets \['pulse'\]"
    ):
        load_cohface(tmp_path).recordings[0].load()
    (src.folder / "data.hdf5").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"data.hdf5.*cannot be opened as HDF5"):
        load_cohface(tmp_path).recordings[0].load()
    # Labels for 1 of the 2 s of video.
    writers.cohface(tmp_path, "1", "0", videos[0][:40], span=1.0)
    with pytest.raises(ValueError, match=r"runs 0\.95\d s \(20 frames\) past the last label"):
        load_cohface(tmp_path).recordings[0].load()


# --------------------------------------------------------------------------------------------
# MMPD
# --------------------------------------------------------------------------------------------
def test_mmpd_mat_files(tmp_path, videos, writers):
    a = writers.mmpd(tmp_path, 1, 0, videos[0][:50])
    writers.mmpd(tmp_path, 1, 1, videos[1][:50])
    writers.mmpd(tmp_path, 2, 0, videos[1][:40])
    (tmp_path / "subject2" / "notes.txt").write_text("not a recording")
    data = load_mmpd(tmp_path)
    assert data.recording_ids == ["subject1/p1_0", "subject1/p1_1", "subject2/p2_0"]
    assert data.groups.tolist() == ["subject1", "subject1", "subject2"]
    rec = data.recordings[0].load()
    np.testing.assert_array_equal(rec.frames, videos[0][:50])  # round(255 * v) recovers uint8
    np.testing.assert_allclose(rec.ppg, a.ppg)
    np.testing.assert_allclose(rec.timestamps, np.arange(50) / 30.0)
    assert rec.extra["light"] == "LED-low" and rec.extra["skin_color"] == 3
    assert rec.extra["motion"] == "Stationary"


def test_mmpd_matlab_v73_files(tmp_path, videos):
    h5py = pytest.importorskip("h5py")

    folder = tmp_path / "subject3"
    folder.mkdir()
    path = folder / "p3_0.mat"
    frames = videos[0][:20]
    ppg = np.linspace(0, 1, 20)
    with h5py.File(path, "w", userblock_size=512) as fh:
        # MATLAB writes column-major: h5py sees every array with its axes reversed.
        fh["video"] = (frames / 255.0).transpose()
        fh["GT_ppg"] = ppg[None, :].transpose()
        light = np.array([[ord(c)] for c in "Nature"], dtype=np.uint16)
        fh["light"] = light
        fh["light"].attrs["MATLAB_class"] = np.bytes_(b"char")
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file".ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02IM")
    rec = load_mmpd(tmp_path).recordings[0].load()
    np.testing.assert_array_equal(rec.frames, frames)
    np.testing.assert_allclose(rec.ppg, ppg)
    assert rec.extra["light"] == "Nature"


def test_mmpd_errors(tmp_path, videos, writers):
    from scipy.io import savemat

    with pytest.raises(ValueError, match=r"MMPD: no recordings.*'subject\*/p\*_\*.mat'"):
        load_mmpd(tmp_path)
    src = writers.mmpd(tmp_path, 1, 0, videos[0][:40], n_labels=20)
    with pytest.raises(ValueError, match=r"runs 0\.6\d\d s \(20 frames\) past the last label"):
        load_mmpd(tmp_path).recordings[0].load()
    writers.mmpd(tmp_path, 1, 0, videos[0][:20], n_labels=60)
    with pytest.raises(ValueError, match=r"label runs 1\.333 s \(40 samples\) past the video"):
        load_mmpd(tmp_path).recordings[0].load()
    savemat(src.path, {"video": np.zeros((5, 4, 4))})
    with pytest.raises(ValueError, match=r"malformed label file .*p1_0.mat.*missing \['GT_ppg'\]"):
        load_mmpd(tmp_path).recordings[0].load()
    savemat(src.path, {"video": np.zeros((5, 4, 4)), "GT_ppg": np.zeros(5)})
    with pytest.raises(ValueError, match=r"p1_0.mat.*'video' has shape \(5, 4, 4\)"):
        load_mmpd(tmp_path).recordings[0].load()
    src.path.write_bytes(b"\x00" * 10)
    with pytest.raises(ValueError, match=r"p1_0.mat.*cannot be read as a .mat file"):
        load_mmpd(tmp_path).recordings[0].load()
