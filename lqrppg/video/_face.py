"""Face cropping of video clips, on faces found by OpenCV's Haar cascade (Viola-Jones)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils import Bunch

from .._validation import check_choice, check_clips, check_int, check_positive, check_size
from ._detect import detect_faces
from ._transforms import _ClipTransformer

__all__ = ["FaceCropper", "FaceNotFoundWarning"]


class FaceNotFoundWarning(UserWarning):
    """No face was found on some frames and a centre crop was used there instead."""


def _square_box(cx: float, cy: float, side: float, height: int, width: int) -> np.ndarray:
    """Integer square box ``(x, y, s, s)`` of side ``side`` centred on ``(cx, cy)``.

    The side is capped at the shorter frame side; a box reaching past an edge is shifted
    back inside the frame, keeping its size.
    """
    s = int(np.clip(np.rint(side), 1, min(height, width)))
    x0 = int(np.clip(np.rint(cx - s / 2), 0, width - s))
    y0 = int(np.clip(np.rint(cy - s / 2), 0, height - s))
    return np.array([x0, y0, s, s], dtype=np.int64)


class FaceCropper(_ClipTransformer):
    """Crop the face out of every frame of every clip (Haar-cascade detection).

    Faces are found by OpenCV's Haar cascade (Viola-Jones, ``cv2.CascadeClassifier`` with
    ``haarcascade_frontalface_default.xml`` shipped with opencv-python-headless 4.x; see
    :func:`detect_faces`) on the grey frame; where several are found, the largest is used.
    The detected box is made square (side = the larger of its width and height), enlarged
    ``scale`` times around its centre (rPPG-Toolbox uses 1.5), and placed inside the frame:

    - a box larger than the frame's shorter side is shrunk to that side;
    - a box reaching past an edge is shifted back inside, keeping its size (no padding),
      so the face is then off-centre in the crop but never cut smaller.

    Parameters
    ----------
    scale : float, default=1.5
        Enlargement of the detected face box around its centre (> 0).
    detect : {"first", "every"}, default="first"
        ``"first"``: detect on the first frame of each clip and use that box for the whole
        clip (rPPG-Toolbox's default). ``"every"``: detect on frames ``0, every_n,
        2 * every_n, ...`` of each clip; the frames in between keep the box of the last
        detection frame before them (rPPG-Toolbox's 'dynamic detection').
    every_n : int, default=1
        Detection interval in frames for ``detect="every"`` (>= 1); unused with "first".
    smooth : {"none", "median"}, default="none"
        ``"median"``: one box per clip, the median centre and side of the boxes found on its
        detection frames (steadier crops; detection frames without a face do not vote, and a
        :class:`FaceNotFoundWarning` says how many there were). ``"none"``: each frame uses
        its own detection frame's box.
    on_missing : {"raise", "center"}, default="raise"
        When a box cannot be had from a detection (no face on a detection frame, or with
        ``smooth="median"`` on none of a clip's): ``"raise"`` raises ``ValueError`` naming
        the clip and frame; ``"center"`` uses the largest centred square of the frame for
        the frames concerned and emits a :class:`FaceNotFoundWarning` with the number of
        clips and frames that fell back.
    output_size : (int, int) or None, default=None
        Resize every crop to ``(height, width)`` with ``cv2.INTER_AREA``. With None the
        crops are returned at their size, which must then be the same for all frames and
        clips of the call (else ``ValueError``; set ``output_size``).
    min_face_size : int, default=30
        Smallest face side in pixels that the detector looks for (>= 1).
    min_neighbors : int, default=3
        Raw detections a face needs (OpenCV's ``minNeighbors``, >= 1); higher means fewer
        false faces.

    See Also
    --------
    detect_faces : the detector on one image.

    Notes
    -----
    :meth:`detect_boxes` returns the detections and boxes behind a call of
    :meth:`transform` (the transformer itself stores nothing). Clips must be uint8 RGB.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.video import FaceCropper
    >>> wall = np.full((1, 2, 40, 60, 3), 120, dtype=np.uint8)  # no face in it
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     FaceCropper(on_missing="center").fit_transform(wall).shape
    (1, 2, 40, 40, 3)
    """

    _preserves_dtype = ("uint8",)

    def __init__(
        self,
        *,
        scale: float = 1.5,
        detect: str = "first",
        every_n: int = 1,
        smooth: str = "none",
        on_missing: str = "raise",
        output_size=None,
        min_face_size: int = 30,
        min_neighbors: int = 3,
    ):
        self.scale = scale
        self.detect = detect
        self.every_n = every_n
        self.smooth = smooth
        self.on_missing = on_missing
        self.output_size = output_size
        self.min_face_size = min_face_size
        self.min_neighbors = min_neighbors

    def _check_params(self) -> None:
        check_positive(self.scale, "scale")
        check_choice(self.detect, "detect", ["first", "every"])
        check_int(self.every_n, "every_n", 1)
        check_choice(self.smooth, "smooth", ["none", "median"])
        check_choice(self.on_missing, "on_missing", ["raise", "center"])
        check_size(self.output_size, "output_size", allow_none=True)
        check_int(self.min_face_size, "min_face_size", 1)
        check_int(self.min_neighbors, "min_neighbors", 1)

    def _check_X(self, X) -> np.ndarray:
        return check_clips(X, uint8=True)

    def detect_boxes(self, X) -> Bunch:
        """Detect faces and compute the crop box of every frame.

        Parameters
        ----------
        X : array-like of shape (n_clips, T, H, W, 3), uint8
            RGB video clips.

        Returns
        -------
        Bunch
            - ``boxes``: ndarray (n_clips, T, 4) int64, the square crop box ``(x, y, s, s)``
              of each frame (column and row of the top-left corner, side), inside the frame.
            - ``faces``: ndarray (n_clips, T, 4) float64, the largest face ``(x, y, w, h)``
              the detector found on each detection frame; NaN on other frames and where
              none was found.
            - ``detection_frames``: ndarray (n_clips, T) bool, frames the detector ran on.
            - ``found``: ndarray (n_clips, T) bool, detection frames with a face.
            - ``fallback``: ndarray (n_clips, T) bool, frames cropped at the centre
              because no face was found (``on_missing="center"``).

        Raises
        ------
        ValueError
            With ``on_missing="raise"``, when no face is found where a box is needed.
        """
        self._check_params()
        X = self._check_X(X)
        n, t_len, height, width = X.shape[:4]
        det = np.zeros((n, t_len), dtype=bool)
        if self.detect == "first":
            det[:, 0] = True
        else:
            det[:, :: self.every_n] = True
        faces = np.full((n, t_len, 4), np.nan)
        for i, t in zip(*np.nonzero(det), strict=True):
            found = detect_faces(
                X[i, t], min_size=self.min_face_size, min_neighbors=self.min_neighbors
            )
            if found.shape[0]:
                faces[i, t] = found[0]
        found = det & ~np.isnan(faces[..., 0])
        # Each frame takes the box of the last detection frame at or before it.
        source = np.maximum.accumulate(np.where(det, np.arange(t_len), 0), axis=1)

        centre = _square_box(width / 2, height / 2, min(height, width), height, width)
        boxes = np.empty((n, t_len, 4), dtype=np.int64)
        fallback = np.zeros((n, t_len), dtype=bool)
        scale = float(self.scale)
        partial = []  # (clip, detection frames without a face) under median smoothing
        for i in range(n):
            f = faces[i]
            side = scale * np.maximum(f[:, 2], f[:, 3])
            cx, cy = f[:, 0] + f[:, 2] / 2, f[:, 1] + f[:, 3] / 2
            if self.smooth == "median":
                if found[i].any():
                    k = found[i]
                    box = _square_box(
                        np.median(cx[k]), np.median(cy[k]), np.median(side[k]), height, width
                    )
                    boxes[i] = box
                    if (det[i] & ~found[i]).any():
                        partial.append((i, int((det[i] & ~found[i]).sum())))
                    continue
                missing_frames = np.ones(t_len, dtype=bool)
                first_missing = int(np.flatnonzero(det[i])[0])
            else:
                src = source[i]
                missing_frames = ~found[i, src]
                first_missing = int(src[np.argmax(missing_frames)])
                for t in np.flatnonzero(~missing_frames):
                    s = src[t]
                    boxes[i, t] = _square_box(cx[s], cy[s], side[s], height, width)
            if missing_frames.any():
                if self.on_missing == "raise":
                    raise ValueError(
                        f"FaceCropper found no face in clip {i} of X (detection frame "
                        f"{first_missing}, frame size {height}x{width}, min_face_size="
                        f"{self.min_face_size}); pass on_missing='center' to crop the centre "
                        "of the frame instead"
                    )
                boxes[i, missing_frames] = centre
                fallback[i] = missing_frames
        if partial:
            shown = ", ".join(f"clip {i}: {k}" for i, k in partial[:10])
            warnings.warn(
                "FaceCropper: some detection frames had no face and were left out of the "
                f"median box ({shown}{', ...' if len(partial) > 10 else ''})",
                FaceNotFoundWarning,
                stacklevel=2,
            )
        if fallback.any():
            clips = np.flatnonzero(fallback.any(axis=1))
            shown = ", ".join(str(c) for c in clips[:10]) + (", ..." if clips.size > 10 else "")
            warnings.warn(
                f"FaceCropper found no face for {int(fallback.sum())} of {n * t_len} frames "
                f"in {clips.size} of {n} clips (clips {shown}); those frames use a centre crop "
                f"of {centre[2]}x{centre[3]} pixels",
                FaceNotFoundWarning,
                stacklevel=2,
            )
        return Bunch(boxes=boxes, faces=faces, detection_frames=det, found=found, fallback=fallback)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        import cv2

        boxes = self.detect_boxes(X).boxes
        size = check_size(self.output_size, "output_size", allow_none=True)
        if size is None:
            sides = np.unique(boxes[..., 2])
            if sides.size > 1:
                raise ValueError(
                    f"the face crops differ in size (sides {sides.min()} to {sides.max()} "
                    "pixels over the frames and clips of X); set output_size=(height, width) "
                    "to resize them to a common size"
                )
            size = (int(sides[0]), int(sides[0]))
        n, t_len = X.shape[:2]
        out = np.empty((n, t_len, size[0], size[1], 3), dtype=np.uint8)
        for i in range(n):
            for t in range(t_len):
                x0, y0, s, _ = boxes[i, t]
                crop = X[i, t, y0 : y0 + s, x0 : x0 + s]
                if crop.shape[:2] == size:
                    out[i, t] = crop
                else:
                    out[i, t] = cv2.resize(crop, (size[1], size[0]), interpolation=cv2.INTER_AREA)
        return out
