"""Fixtures of the video tests: small synthetic videos and a real face photograph."""

from __future__ import annotations

import numpy as np
import pytest

from lqrppg.datasets import make_synthetic_rppg
from lqrppg.video import write_video

cv2 = pytest.importorskip("cv2")

#: Head-and-shoulders crop of the astronaut photograph (rows, columns of the 512 x 512
#: picture), pasted at full resolution. (At half resolution, the whole picture gives the
#: cascade a second, larger false "face" beside the neck on some frames.)
ASTRONAUT_CROP = (slice(0, 224), slice(128, 352))
#: Background frame size (height, width) of the astronaut video.
BACKGROUND = (250, 330)
#: Hand-checked landmarks of the astronaut's face in the 512 x 512 photograph
#: (row, column): left eye, right eye, tip of the nose, mouth.
FACE_LANDMARKS = np.array([[100, 205], [100, 245], [120, 225], [143, 225]])
#: Hand-checked region that holds the whole face (rows, columns) in the 512 x 512 photograph.
FACE_REGION = ((20, 220), (140, 330))


@pytest.fixture(scope="session")
def synthetic():
    """Two 2-s, 64 x 64 synthetic rPPG videos at 30 fps."""
    return make_synthetic_rppg(
        n_subjects=2, duration=2.0, fs=30.0, frame_size=(64, 64), random_state=0
    )


@pytest.fixture(scope="session")
def synthetic_files(synthetic, tmp_path_factory):
    """The first synthetic video written as MJPG .avi, mp4v .mp4 and lossless FFV1 .mkv."""
    folder = tmp_path_factory.mktemp("synthetic")
    return {
        ext: write_video(folder / f"video{ext}", synthetic.videos[0], synthetic.fs)
        for ext in (".avi", ".mp4", ".mkv")
    }


@pytest.fixture(scope="session")
def face_truth():
    """Hand-checked ``landmarks`` (row, col) and ``region`` of the photograph's face."""
    return {"landmarks": FACE_LANDMARKS, "region": FACE_REGION}


@pytest.fixture(scope="session")
def astronaut():
    """The scikit-image astronaut photograph, (512, 512, 3) uint8 RGB."""
    data = pytest.importorskip("skimage.data")
    return data.astronaut()


def paste_offsets(n_frames: int) -> np.ndarray:
    """(row, column) of the crop's top-left corner in each frame: a slow pan right, 80 px."""
    cols = np.rint(np.linspace(10, 90, n_frames)).astype(int)
    rows = np.rint(np.linspace(12, 20, n_frames)).astype(int)
    return np.stack([rows, cols], axis=1)


@pytest.fixture(scope="session")
def astronaut_video(astronaut):
    """30 frames (250 x 330): the head and shoulders of the astronaut panning over a wall.

    Returns ``(frames (30, 250, 330, 3) uint8, landmarks (30, 4, 2))``: the hand-checked
    face landmarks (row, column) in each frame.
    """
    crop = astronaut[ASTRONAUT_CROP]
    rng = np.random.default_rng(1)
    wall = np.empty((*BACKGROUND, 3), dtype=np.uint8)
    wall[:] = (96, 112, 128)
    wall = np.clip(wall + rng.normal(0, 2, wall.shape), 0, 255).astype(np.uint8)
    offsets = paste_offsets(30)
    frames = np.repeat(wall[None], 30, axis=0)
    h, w = crop.shape[:2]
    for f, (r, c) in zip(frames, offsets, strict=True):
        f[r : r + h, c : c + w] = crop
    corner = np.array([ASTRONAUT_CROP[0].start, ASTRONAUT_CROP[1].start])
    landmarks = FACE_LANDMARKS[None] - corner + offsets[:, None, :]
    return frames, landmarks
