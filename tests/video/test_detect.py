"""detect_faces: OpenCV's frontal-face Haar cascade on a real photograph, and its errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from lqrppg.video import _detect, detect_faces
from lqrppg.video._detect import _face_cascade

cv2 = pytest.importorskip("cv2")

REQUIREMENT = r"opencv-python-headless>=4\.8,<5 \(OpenCV 5 moved the Haar cascades"


def _contains(box, points) -> bool:
    x, y, w, h = box
    rows, cols = points[:, 0], points[:, 1]
    return bool(np.all((rows >= y) & (rows < y + h) & (cols >= x) & (cols < x + w)))


@pytest.fixture
def fresh_cascade():
    """Drop the cached classifier before and after the test (for monkeypatched OpenCV)."""
    _face_cascade.cache_clear()
    yield
    _face_cascade.cache_clear()


def test_uses_opencvs_bundled_frontal_face_cascade_once():
    classifier = _face_cascade()
    assert isinstance(classifier, cv2.CascadeClassifier) and not classifier.empty()
    assert classifier.getOriginalWindowSize() == (24, 24)  # Lienhart's 24 x 24 cascade
    assert _face_cascade() is classifier  # loaded once, then cached


def test_finds_the_astronauts_face_on_the_still_photograph(astronaut, face_truth):
    boxes = detect_faces(astronaut)
    # OpenCV 4.14's CascadeClassifier.detectMultiScale gives this box on the photograph.
    np.testing.assert_array_equal(boxes, [[177, 66, 95, 95]])
    assert boxes.dtype == np.int64
    # The box holds both eyes, the nose and the mouth, and lies in the face region.
    assert _contains(boxes[0], face_truth["landmarks"])
    x, y, w, h = boxes[0]
    (r0, r1), (c0, c1) = face_truth["region"]
    assert r0 <= y and y + h <= r1 and c0 <= x and x + w <= c1


def test_two_faces_largest_first(astronaut, face_truth):
    # The head-and-shoulders crop at full size and at 0.6 times, side by side on a wall.
    crop = astronaut[0:224, 128:352]
    small = cv2.resize(crop, (134, 134), interpolation=cv2.INTER_AREA)
    canvas = np.full((240, 420, 3), 120, np.uint8)
    canvas[8:232, 8:232] = crop
    canvas[50:184, 270:404] = small
    boxes = detect_faces(canvas)
    assert boxes.shape == (2, 4)
    assert boxes[0, 2] > boxes[1, 2] > 50
    in_crop = face_truth["landmarks"] - np.array([0, 128])  # (row, column) in the crop
    big = in_crop + np.array([8, 8])
    little = np.rint(in_crop * 134 / 224).astype(int) + np.array([50, 270])
    assert _contains(boxes[0], big) and _contains(boxes[1], little)


def test_parameters_reach_opencv_and_boxes_are_sorted(monkeypatch):
    calls = []

    class Stub:
        def detectMultiScale(self, gray, **kwargs):
            calls.append((gray, kwargs))
            return np.array([[5, 5, 10, 10], [1, 2, 30, 30], [0, 9, 20, 20], [0, 4, 20, 20]])

    monkeypatch.setattr(_detect, "_face_cascade", Stub)
    rgb = np.zeros((40, 50, 3), np.uint8)
    rgb[..., 0] = 255  # pure red: grey level 76 under COLOR_RGB2GRAY (29 were it BGR)
    boxes = detect_faces(rgb, scale_factor=1.25, min_neighbors=0, min_size=12)
    np.testing.assert_array_equal(
        boxes, [[1, 2, 30, 30], [0, 4, 20, 20], [0, 9, 20, 20], [5, 5, 10, 10]]
    )
    assert boxes.dtype == np.int64
    gray, kwargs = calls[0]
    assert gray.shape == (40, 50) and gray.dtype == np.uint8 and np.all(gray == 76)
    assert kwargs == {"scaleFactor": 1.25, "minNeighbors": 0, "minSize": (12, 12)}


def test_min_neighbors_zero_gives_the_raw_detections(astronaut):
    raw = detect_faces(astronaut, min_neighbors=0)
    assert raw.shape[0] > 10  # many overlapping windows around the face (45 with OpenCV 4.14)
    assert np.all(raw[:-1, 2] * raw[:-1, 3] >= raw[1:, 2] * raw[1:, 3])  # largest first


def test_no_face_in_noise_or_a_flat_wall():
    rng = np.random.default_rng(0)
    assert detect_faces(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)).shape == (0, 4)
    empty = detect_faces(np.full((120, 160), 77, np.uint8))
    assert empty.shape == (0, 4) and empty.dtype == np.int64


def test_grey_input_and_min_size(astronaut):
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    np.testing.assert_array_equal(detect_faces(grey), detect_faces(astronaut))
    assert detect_faces(astronaut, min_size=120).shape == (0, 4)  # the face is 95 px


def _portraits(astronaut):
    """Two real faces: the astronaut's head and shoulders and matplotlib's Grace Hopper."""
    import matplotlib.cbook

    hopper = cv2.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return {"astronaut": astronaut[0:224, 128:352], "hopper": hopper[..., ::-1]}


def _frame_with_face(portrait, face, height, width, face_fraction):
    """A grey (height, width) frame with ``portrait`` scaled so its face spans ``face_fraction``
    of the frame height, centred at 45 % of the width; returns (frame, expected face box)."""
    gray = cv2.cvtColor(np.ascontiguousarray(portrait), cv2.COLOR_RGB2GRAY)
    k = face_fraction * height / face[2]
    small = k < 1
    scaled = cv2.resize(
        gray, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if small else cv2.INTER_CUBIC
    )
    frame = np.full((height, width), 100, np.uint8)
    cx, cy = (face[0] + face[2] / 2) * k, (face[1] + face[3] / 2) * k
    ox, oy = round(0.45 * width - cx), round(0.5 * height - cy)
    y0, x0 = max(0, oy), max(0, ox)
    y1, x1 = min(height, oy + scaled.shape[0]), min(width, ox + scaled.shape[1])
    frame[y0:y1, x0:x1] = scaled[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    return frame


def _agreement(full, small):
    """Centre distance relative to the full-resolution side, and the ratio of the sides."""
    (xa, ya, wa, ha), (xb, yb, wb, hb) = full.astype(float), small.astype(float)
    centre = np.hypot(xa + wa / 2 - xb - wb / 2, ya + ha / 2 - yb - hb / 2) / wa
    return centre, wb / wa


@pytest.mark.parametrize(
    ("height", "width"),
    [(480, 640), (1080, 1920), pytest.param(2160, 3840, marks=pytest.mark.slow)],
)
def test_downscaled_detection_agrees_with_full_resolution(astronaut, height, width):
    """Real faces at the sizes they have in rPPG videos (15-45 % of the frame height): the
    cascade on a 160-px copy finds the face that the full-resolution cascade finds, its centre
    within 5 % of the face side and its side within 15 % (the cascade's pyramid steps are
    10 %; 0.95-1.12 measured), in the frame's pixels."""
    for name, portrait in _portraits(astronaut).items():
        face = detect_faces(portrait)[0]
        for fraction in (0.15, 0.2, 0.3, 0.45):
            frame = _frame_with_face(portrait, face, height, width, fraction)
            full = detect_faces(frame)
            small = detect_faces(frame, downscale_to=160)
            assert full.shape[0] >= 1 and small.shape[0] >= 1, (name, fraction)
            assert abs(full[0, 2] / (fraction * height) - 1) < 0.15  # the face placed
            centre, side = _agreement(full[0], small[0])
            assert centre < 0.05 and 0.85 < side < 1.15, (name, fraction, centre, side)


def test_downscaled_detection_maps_boxes_back_and_scales_min_size(monkeypatch):
    calls = []

    class Stub:
        def detectMultiScale(self, gray, **kwargs):
            calls.append((gray.shape, kwargs))
            return np.array([[10, 20, 30, 30]])

    monkeypatch.setattr(_detect, "_face_cascade", Stub)
    image = np.zeros((480, 640), np.uint8)
    boxes = detect_faces(image, min_size=60, downscale_to=120)  # a quarter of the size
    assert calls[0] == ((120, 160), {"scaleFactor": 1.1, "minNeighbors": 3, "minSize": (15, 15)})
    np.testing.assert_array_equal(boxes, [[40, 80, 120, 120]])
    assert boxes.dtype == np.int64
    # Small images are searched as they are.
    detect_faces(np.zeros((100, 90), np.uint8), downscale_to=160)
    assert calls[1][0] == (100, 90) and calls[1][1]["minSize"] == (30, 30)
    with pytest.raises(ValueError, match="downscale_to"):
        detect_faces(image, downscale_to=10)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        detect_faces(np.zeros((40, 40, 3)))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        detect_faces(np.zeros((40, 40, 4), np.uint8))
    with pytest.raises(ValueError, match="scale_factor"):
        detect_faces(np.zeros((40, 40), np.uint8), scale_factor=1.0)
    with pytest.raises(ValueError, match="scale_factor"):
        detect_faces(np.zeros((40, 40), np.uint8), scale_factor=float("nan"))
    with pytest.raises(ValueError, match="min_neighbors"):
        detect_faces(np.zeros((40, 40), np.uint8), min_neighbors=-1)
    with pytest.raises(ValueError, match="min_size"):
        detect_faces(np.zeros((40, 40), np.uint8), min_size=2.5)
    with pytest.raises(TypeError):
        detect_faces(np.zeros((40, 40), np.uint8), backend="numpy")  # no backend choice


def test_opencv_without_cascade_classifier_is_refused(monkeypatch, fresh_cascade):
    # opencv-python-headless 5 has no cv2.CascadeClassifier.
    monkeypatch.delattr(cv2, "CascadeClassifier")
    with pytest.raises(ImportError, match=REQUIREMENT):
        detect_faces(np.zeros((40, 40), np.uint8))


def test_opencv_without_the_cascade_file_is_refused(monkeypatch, tmp_path, fresh_cascade):
    # OpenCV 5 wheels leave cv2.data.haarcascades empty.
    monkeypatch.setattr(cv2.data, "haarcascades", str(tmp_path))
    with pytest.raises(RuntimeError, match=REQUIREMENT):
        detect_faces(np.zeros((40, 40), np.uint8))
    monkeypatch.delattr(cv2, "data")
    with pytest.raises(RuntimeError, match=REQUIREMENT):
        detect_faces(np.zeros((40, 40), np.uint8))


def test_missing_opencv_is_refused(monkeypatch, fresh_cascade):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(ImportError, match=REQUIREMENT):
        detect_faces(np.zeros((40, 40), np.uint8))


def test_failed_load_is_not_cached(monkeypatch, fresh_cascade):
    monkeypatch.delattr(cv2, "CascadeClassifier")
    with pytest.raises(ImportError):
        _face_cascade()
    monkeypatch.undo()
    assert not _face_cascade().empty()


def test_importing_lqrppg_video_does_not_import_opencv():
    code = "import sys, lqrppg, lqrppg.video; assert 'cv2' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
