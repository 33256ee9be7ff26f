"""FaceCropper on a real face (the scikit-image astronaut) moving over a wall, and on no face."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lqrppg.video import FaceCropper, FaceNotFoundWarning, detect_faces

cv2 = pytest.importorskip("cv2")

# The face is about 95 px; not searching below 60 px keeps the detector quick.
FAST = {"min_face_size": 60}


def _inside(box, points) -> bool:
    x, y, w, h = box
    return bool(
        np.all(
            (points[:, 0] >= y)
            & (points[:, 0] < y + h)
            & (points[:, 1] >= x)
            & (points[:, 1] < x + w)
        )
    )


@pytest.fixture(scope="module")
def every3(astronaut_video):
    frames, _ = astronaut_video
    cropper = FaceCropper(detect="every", every_n=3, output_size=(72, 72), **FAST)
    return cropper, cropper.detect_boxes(frames[None]), cropper.transform(frames[None])


def test_every_crop_holds_the_face_and_follows_it(astronaut_video, every3):
    frames, landmarks = astronaut_video
    _, info, crops = every3
    boxes = info.boxes[0]
    np.testing.assert_array_equal(info.detection_frames[0], np.arange(30) % 3 == 0)
    assert info.found[0, ::3].all() and not info.fallback.any()
    for t in range(30):
        assert _inside(boxes[t], landmarks[t]), f"frame {t}: box {boxes[t]} misses the face"
    # Square boxes 1.5 times the ~95 px face, inside the frame.
    assert np.all(boxes[:, 2] == boxes[:, 3])
    assert np.all((boxes[:, 2] > 125) & (boxes[:, 2] < 160))
    assert np.all(boxes[:, :2] >= 0) and np.all(boxes[:, 0] + boxes[:, 2] <= frames.shape[2])
    # The box moves with the face: its centre tracks the landmarks' centre within a few
    # pixels on detection frames, and it holds still between them.
    centre = boxes[:, :2] + boxes[:, 2:] / 2
    face = landmarks.mean(axis=1)[:, ::-1]  # (x, y)
    np.testing.assert_allclose(centre[::3], face[::3], atol=8)
    assert centre[-1, 0] - centre[0, 0] > 60  # the face moved 80 px right
    np.testing.assert_array_equal(boxes[1], boxes[0])
    np.testing.assert_array_equal(boxes[2], boxes[0])
    # The crops are the boxes' contents, resized with INTER_AREA.
    assert crops.shape == (1, 30, 72, 72, 3) and crops.dtype == np.uint8
    x, y, s, _ = boxes[7]
    expected = cv2.resize(frames[7, y : y + s, x : x + s], (72, 72), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(crops[0, 7], expected)


def test_box_is_the_enlarged_detection(astronaut_video, every3):
    frames, _ = astronaut_video
    _, info, _ = every3
    face = detect_faces(frames[6], min_size=60)[0]
    np.testing.assert_array_equal(info.faces[0, 6], face)
    assert np.isnan(info.faces[0, 7]).all()
    side = round(1.5 * face[2])
    cx, cy = face[0] + face[2] / 2, face[1] + face[3] / 2
    np.testing.assert_array_equal(
        info.boxes[0, 6], [round(cx - side / 2), round(cy - side / 2), side, side]
    )


def test_first_frame_box_held_for_the_clip(astronaut_video):
    frames, landmarks = astronaut_video
    clip = frames[:8]
    cropper = FaceCropper(detect="first", **FAST)
    info = cropper.detect_boxes(clip[None])
    assert info.detection_frames[0].tolist() == [True] + [False] * 7
    boxes = info.boxes[0]
    assert (boxes == boxes[0]).all()
    assert _inside(boxes[0], landmarks[0])
    crops = cropper.fit_transform(clip[None])
    x, y, s, _ = boxes[0]
    np.testing.assert_array_equal(crops[0], clip[:, y : y + s, x : x + s])


def test_median_smoothing_gives_one_box_per_clip(astronaut_video, every3):
    frames, landmarks = astronaut_video
    clip = frames[:9]
    info = FaceCropper(detect="every", every_n=3, smooth="median", **FAST).detect_boxes(clip[None])
    assert (info.boxes[0] == info.boxes[0, 0]).all()
    faces = info.faces[0, ::3]
    side = np.median(1.5 * faces[:, 2])
    cx = np.median(faces[:, 0] + faces[:, 2] / 2)
    assert info.boxes[0, 0, 2] == round(side)
    assert info.boxes[0, 0, 0] == round(cx - round(side) / 2)
    assert _inside(info.boxes[0, 0], landmarks[4])


def test_box_past_the_edge_is_shifted_inside_and_capped(astronaut):
    # The photograph's face near the left edge: the 1.5x box reaches past it.
    frame = np.ascontiguousarray(astronaut[:256, 165:421])  # face at x ~ 12
    clip = np.repeat(frame[None, None], 2, axis=1)
    info = FaceCropper(**FAST).detect_boxes(clip)
    x, _, s, _ = info.boxes[0, 0]
    face = info.faces[0, 0]
    assert face[0] - (1.5 - 1) / 2 * face[2] < 0  # the centred box would start left of 0
    assert x == 0 and s == round(1.5 * face[2])  # shifted, not shrunk
    # A box larger than the frame is capped at the shorter frame side.
    big = FaceCropper(scale=5.0, **FAST).detect_boxes(clip)
    assert big.boxes[0, 0].tolist() == [0, 0, 256, 256]


@pytest.fixture(scope="module")
def no_face():
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 256, (4, 90, 120, 3), dtype=np.uint8)
    wall = np.full((4, 90, 120, 3), 140, dtype=np.uint8)
    return np.stack([wall, noise])


def test_no_face_raises_naming_the_clip(astronaut_video, no_face):
    frames, _ = astronaut_video
    with pytest.raises(ValueError, match=r"no face in clip 0 .*on_missing='center'"):
        FaceCropper().fit_transform(no_face)
    # A clip with the face, then one of noise: the error names clip 1.
    noise = np.random.default_rng(2).integers(0, 256, frames[:4].shape, dtype=np.uint8)
    with pytest.raises(ValueError, match="no face in clip 1 "):
        FaceCropper(**FAST).transform(np.stack([frames[:4], noise]))


def test_no_face_center_fallback_warns_and_crops_the_centre(no_face):
    cropper = FaceCropper(on_missing="center", output_size=(30, 40))
    with pytest.warns(FaceNotFoundWarning, match=r"8 of 8 frames in 2 of 2 clips.*centre crop"):
        out = cropper.fit_transform(no_face)
    assert out.shape == (2, 4, 30, 40, 3)
    centre = no_face[1, 2, :, 15:105]  # the largest centred square, 90 x 90
    expected = cv2.resize(centre, (40, 30), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(out[1, 2], expected)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FaceNotFoundWarning)
        info = cropper.detect_boxes(no_face)
    assert info.fallback.all() and not info.found.any()
    assert info.boxes[0, 0].tolist() == [15, 0, 90, 90]


def test_partial_misses_under_median_are_reported(astronaut_video):
    frames, _ = astronaut_video
    clip = frames[:6].copy()
    clip[3] = 128  # a blank detection frame
    cropper = FaceCropper(detect="every", every_n=3, smooth="median", **FAST)
    with pytest.warns(FaceNotFoundWarning, match="clip 0: 1"):
        info = cropper.detect_boxes(clip[None])
    assert info.found[0].tolist() == [True, False, False, False, False, False]
    assert not info.fallback.any()
    # Without smoothing the blank frame's box cannot be had: on_missing decides.
    with pytest.raises(ValueError, match="detection frame 3"):
        FaceCropper(detect="every", every_n=3, **FAST).detect_boxes(clip[None])
    with pytest.warns(FaceNotFoundWarning, match="3 of 6 frames in 1 of 1 clips"):
        info = FaceCropper(detect="every", every_n=3, on_missing="center", **FAST).detect_boxes(
            clip[None]
        )
    assert info.fallback[0].tolist() == [False] * 3 + [True] * 3


def test_crops_of_different_sizes_need_output_size(astronaut_video, no_face):
    frames, _ = astronaut_video
    clips = np.stack([frames[:4], frames[:4]])
    clips[1, :, :, :] = 128  # no face: centre crop of 250 px, unlike the face crop
    cropper = FaceCropper(on_missing="center", **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FaceNotFoundWarning)
        with pytest.raises(ValueError, match=r"differ in size.*output_size"):
            cropper.transform(clips)
        out = cropper.set_params(output_size=(50, 50)).transform(clips)
    assert out.shape == (2, 4, 50, 50, 3)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"scale": 0}, "scale"),
        ({"detect": "dynamic"}, "detect"),
        ({"every_n": 0}, "every_n"),
        ({"smooth": "mean"}, "smooth"),
        ({"on_missing": "skip"}, "on_missing"),
        ({"output_size": 64}, "output_size"),
        ({"output_size": (64, 0)}, "output_size"),
        ({"min_face_size": 0}, "min_face_size"),
        ({"min_neighbors": 0}, "min_neighbors"),
    ],
)
def test_parameter_errors(no_face, params, match):
    with pytest.raises(ValueError, match=match):
        FaceCropper(**params).fit(no_face)


def test_needs_uint8_clips(no_face):
    with pytest.raises(ValueError, match="uint8"):
        FaceCropper().fit(no_face.astype(np.float32))
    with pytest.raises(ValueError, match=r"X\[None\]"):
        FaceCropper().fit(no_face[0])
