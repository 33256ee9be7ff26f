"""Viola-Jones face detection with OpenCV's frontal-face Haar cascade.

Detection runs ``cv2.CascadeClassifier.detectMultiScale`` with
``haarcascade_frontalface_default.xml`` (Rainer Lienhart's 24 x 24 frontal-face cascade), the
file that opencv-python-headless 4.x ships in ``cv2.data.haarcascades``. The classifier is
loaded on first use and kept; OpenCV is imported only then, so importing :mod:`lqrppg` stays
light.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from .._validation import check_int, check_real

__all__ = ["detect_faces"]

_CASCADE_FILE = "haarcascade_frontalface_default.xml"
_REQUIREMENT = (
    "lqrppg needs opencv-python-headless>=4.8,<5 (OpenCV 5 moved the Haar cascades to the "
    "contrib build)"
)


@functools.lru_cache(maxsize=1)
def _face_cascade():
    """OpenCV's frontal-face classifier, loaded once (a failed load is retried next call).

    Raises
    ------
    ImportError
        Where OpenCV is not installed or has no ``cv2.CascadeClassifier``.
    RuntimeError
        Where OpenCV does not ship the cascade file or cannot load it.
    """
    try:
        import cv2
    except ImportError as exc:
        raise ImportError(f"face detection needs OpenCV: {_REQUIREMENT}") from exc
    version = getattr(cv2, "__version__", "?")
    if not hasattr(cv2, "CascadeClassifier"):
        raise ImportError(f"OpenCV {version} here has no cv2.CascadeClassifier: {_REQUIREMENT}")
    folder = getattr(getattr(cv2, "data", None), "haarcascades", "") or ""
    path = os.path.join(folder, _CASCADE_FILE)
    if not folder or not os.path.isfile(path):
        raise RuntimeError(
            f"OpenCV {version} here does not ship {_CASCADE_FILE} (cv2.data.haarcascades is "
            f"{folder!r}): {_REQUIREMENT}"
        )
    classifier = cv2.CascadeClassifier(path)
    if classifier.empty():
        raise RuntimeError(f"OpenCV {version} could not load the Haar cascade {path}")
    return classifier


def detect_faces(
    image,
    *,
    scale_factor: float = 1.1,
    min_neighbors: int = 3,
    min_size: int = 30,
    max_size: int | None = None,
    downscale_to: int | None = None,
) -> np.ndarray:
    """Faces in one image by OpenCV's frontal-face Haar cascade (Viola-Jones).

    Runs ``cv2.CascadeClassifier.detectMultiScale`` with
    ``haarcascade_frontalface_default.xml``, shipped with opencv-python-headless 4.x.

    The cascade's work grows with the number of pixels (a 640 x 480 frame costs about ten
    times a 213 x 160 copy of it), while the faces that rPPG needs are large: with
    ``downscale_to`` the cascade runs on a grey copy of the image shrunk (``INTER_AREA``) so
    that its shorter side is ``downscale_to`` pixels, and the boxes are scaled back to the
    image's pixels. The cascade's window is 24 x 24 pixels, so faces smaller than
    ``24 / downscale_to`` of the image's shorter side are not found then (15 % at 160).

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) or (H, W), uint8
        An RGB frame (converted to grey with ``cv2.COLOR_RGB2GRAY``) or a grey image.
    scale_factor : float, default=1.1
        Step of the detection pyramid (> 1), OpenCV's ``scaleFactor``.
    min_neighbors : int, default=3
        Overlapping raw detections a face needs (OpenCV's ``minNeighbors``); 0 returns the
        ungrouped raw detections.
    min_size : int, default=30
        Smallest face side in pixels (of ``image``) that is searched for (>= 0).
    max_size : int, optional
        Largest face side in pixels (of ``image``) that is searched for (OpenCV's
        ``maxSize``; >= ``min_size``); None: up to the whole image. Most of the cascade's
        work is at the small sizes, so a ``min_size`` near the expected face saves most.
    downscale_to : int, optional
        Shorter side in pixels (>= 24) of the copy the cascade runs on; an image whose
        shorter side is no longer than this is searched as it is. None (the default)
        searches the image at its own size.

    Returns
    -------
    ndarray of shape (n_faces, 4), int64
        Boxes ``(x, y, w, h)`` in pixels of ``image`` (column, row of the top-left corner,
        width, height; rounded to whole pixels when found on a downscaled copy), largest
        first; empty when no face is found.

    Raises
    ------
    ValueError
        For an image or parameter out of range.
    ImportError
        Where OpenCV is missing or has no ``cv2.CascadeClassifier`` (OpenCV 5 without
        contrib).
    RuntimeError
        Where OpenCV does not ship ``haarcascade_frontalface_default.xml``.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.video import detect_faces
    >>> detect_faces(np.full((48, 48), 128, dtype=np.uint8)).shape
    (0, 4)
    >>> detect_faces(np.full((480, 640), 128, dtype=np.uint8), downscale_to=160).shape
    (0, 4)
    """
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(
            "image must be a uint8 RGB image of shape (H, W, 3) or a grey image (H, W); "
            f"got dtype {arr.dtype} and shape {arr.shape}"
        )
    scale_factor = check_real(scale_factor, "scale_factor", 1, open_low=True)
    min_neighbors = check_int(min_neighbors, "min_neighbors", 0)
    min_size = check_int(min_size, "min_size", 0)
    if max_size is not None:
        max_size = check_int(max_size, "max_size", max(1, min_size))
    if downscale_to is not None:
        downscale_to = check_int(downscale_to, "downscale_to", 24)
    classifier = _face_cascade()

    import cv2

    gray = cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY) if arr.ndim == 3 else np.ascontiguousarray(arr)
    height, width = gray.shape
    factor = 1.0 if downscale_to is None else downscale_to / min(height, width)
    if factor < 1.0:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        min_size = round(min_size * factor)
        max_size = None if max_size is None else max(1, round(max_size * factor))
    limits = {"minSize": (int(min_size), int(min_size))}
    if max_size is not None:
        limits["maxSize"] = (int(max_size), int(max_size))
    found = classifier.detectMultiScale(
        gray, scaleFactor=float(scale_factor), minNeighbors=int(min_neighbors), **limits
    )
    if factor < 1.0:
        back = np.array([width / gray.shape[1], height / gray.shape[0]] * 2)
        found = np.rint(np.asarray(found, dtype=np.float64).reshape(-1, 4) * back)
    boxes = np.asarray(found, dtype=np.int64).reshape(-1, 4)
    order = np.lexsort((boxes[:, 0], boxes[:, 1], -boxes[:, 2] * boxes[:, 3]))
    return boxes[order]
