"""scikit-learn transformers over video clips (n_clips, T, H, W, 3): resizing and normalisation."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._validation import check_choice, check_clips, check_positive, check_size

__all__ = ["DiffNormalizer", "Resizer", "VideoStandardizer"]

_INTERPOLATIONS = ["area", "linear", "cubic", "nearest", "lanczos"]
_RESIZE_DTYPES = ("uint8", "uint16", "int16", "float32", "float64")


class _ClipTransformer(TransformerMixin, BaseEstimator):
    """Stateless transformer over video clips of shape (n_clips, T, H, W, 3).

    ``fit`` validates the parameters and ``X`` and returns ``self``; nothing is learned and
    no attribute is set, so ``transform`` may be called without ``fit``. These transformers
    take 5-D input and so are not run through scikit-learn's ``parametrize_with_checks``
    (which feeds 2-D tables); their contract has its own tests.
    """

    _preserves_dtype: tuple[str, ...] = ("float32",)

    def _check_params(self) -> None:  # overridden where there are parameters
        pass

    def _check_X(self, X) -> np.ndarray:
        return check_clips(X)

    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_clips, T, H, W, 3)
            Video clips.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The transformer, unchanged.
        """
        self._check_params()
        self._check_X(X)
        return self

    def transform(self, X) -> np.ndarray:
        """Transform every clip; ``X`` is not modified.

        Parameters
        ----------
        X : array-like of shape (n_clips, T, H, W, 3)
            Video clips.

        Returns
        -------
        ndarray of shape (n_clips, T, h, w, 3)
            See the class description for the output size and dtype.
        """
        self._check_params()
        return self._transform(self._check_X(X))

    def _transform(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        # No tag names 5-D video input; three_d_array is the closest "not a table" flag.
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = list(self._preserves_dtype)
        return tags


class Resizer(_ClipTransformer):
    """Resize every frame of every clip with ``cv2.resize``.

    Parameters
    ----------
    size : (int, int), default=(128, 128)
        Output ``(height, width)`` in pixels (note: ``cv2.resize`` itself takes
        ``(width, height)``).
    interpolation : {"area", "linear", "cubic", "nearest", "lanczos"}, default="area"
        OpenCV interpolation (``INTER_AREA``, the usual choice for shrinking, is what
        rPPG-Toolbox uses). With "cubic" and "lanczos" on integer frames, OpenCV saturates
        overshoot at the dtype's limits (e.g. 0 and 255); resize float frames to avoid it.

    Notes
    -----
    The output has the dtype of the input; uint8, uint16, int16, float32 and float64 clips
    are accepted (the types ``cv2.resize`` handles for every interpolation).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.video import Resizer
    >>> X = np.zeros((2, 4, 64, 48, 3), dtype=np.uint8)
    >>> Resizer(size=(32, 32)).fit_transform(X).shape
    (2, 4, 32, 32, 3)
    """

    _preserves_dtype = _RESIZE_DTYPES

    def __init__(self, *, size=(128, 128), interpolation: str = "area"):
        self.size = size
        self.interpolation = interpolation

    def _check_params(self) -> None:
        check_size(self.size, "size")
        check_choice(self.interpolation, "interpolation", _INTERPOLATIONS)

    def _check_X(self, X) -> np.ndarray:
        arr = check_clips(X)
        if arr.dtype.name not in _RESIZE_DTYPES:
            raise ValueError(
                f"X must have one of the dtypes {list(_RESIZE_DTYPES)} for cv2.resize; got "
                f"{arr.dtype} (convert it, e.g. X.astype(np.float32))"
            )
        return arr

    def _transform(self, X: np.ndarray) -> np.ndarray:
        import cv2

        flags = {
            "area": cv2.INTER_AREA,
            "linear": cv2.INTER_LINEAR,
            "cubic": cv2.INTER_CUBIC,
            "nearest": cv2.INTER_NEAREST,
            "lanczos": cv2.INTER_LANCZOS4,
        }
        height, width = check_size(self.size, "size")
        n, t = X.shape[:2]
        out = np.empty((n, t, height, width, 3), dtype=X.dtype)
        flag = flags[self.interpolation]
        for i in range(n):
            for j in range(t):
                out[i, j] = cv2.resize(X[i, j], (width, height), interpolation=flag)
        return out


class VideoStandardizer(_ClipTransformer):
    """Z-score each clip over all its frames, pixels and channels.

    ``(x - mean) / std`` with one mean and one (population) standard deviation per clip,
    rPPG-Toolbox's 'Standardized' input. Output float32 (computed in float64).
    A constant clip (standard deviation 0) raises ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.video import VideoStandardizer
    >>> X = np.arange(24, dtype=np.uint8).reshape(1, 2, 2, 2, 3)
    >>> Z = VideoStandardizer().fit_transform(X)
    >>> Z.dtype, round(float(Z.mean()), 6), round(float(Z.std()), 4)
    (dtype('float32'), 0.0, 1.0)
    """

    def __init__(self):
        pass

    def _transform(self, X: np.ndarray) -> np.ndarray:
        out = np.empty(X.shape, dtype=np.float32)
        for i, clip in enumerate(X):
            mean = np.mean(clip, dtype=np.float64)
            std = np.std(clip, dtype=np.float64)
            if not std > 0:
                raise ValueError(
                    f"clip {i} of X is constant (standard deviation 0) and cannot be "
                    "standardised; expected clips with varying intensities"
                )
            out[i] = (clip.astype(np.float64) - mean) / std
        return out


class DiffNormalizer(_ClipTransformer):
    """Normalised frame differences of each clip (rPPG-Toolbox 'DiffNormalized').

    ``d[t] = (x[t+1] - x[t]) / (x[t+1] + x[t] + eps)`` for ``t < T - 1``, divided by the
    standard deviation of all ``d`` of the clip (over frames, pixels and channels), and a
    last frame of zeros appended so that the clip keeps its ``T`` frames, as rPPG-Toolbox
    does. The difference at ``t`` thus sits at frame ``t`` (it looks one frame ahead).
    Output float32 (computed in float64).

    Parameters
    ----------
    eps : float, default=1e-7
        Added to the denominator (> 0); a pixel that is 0 in both frames gives 0.

    Notes
    -----
    Intensities must be non-negative (the ratio is a relative change of brightness), clips
    need at least 2 frames, and a clip whose differences are all zero (a still clip) raises
    ``ValueError`` rather than being divided by zero.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.video import DiffNormalizer
    >>> X = np.stack([np.full((2, 2, 3), v, np.uint8) for v in (100, 110, 100)])[None]
    >>> D = DiffNormalizer().fit_transform(X)
    >>> D.shape, D[0, :, 0, 0, 0].round(3).tolist()
    ((1, 3, 2, 2, 3), [1.0, -1.0, 0.0])
    """

    def __init__(self, *, eps: float = 1e-7):
        self.eps = eps

    def _check_params(self) -> None:
        check_positive(self.eps, "eps")

    def _check_X(self, X) -> np.ndarray:
        arr = check_clips(X)
        if arr.shape[1] < 2:
            raise ValueError(
                f"X needs at least 2 frames per clip (axis 1) for frame differences; got "
                f"shape {arr.shape}"
            )
        if arr.dtype.kind != "u" and np.any(arr < 0):
            raise ValueError(
                "X must hold non-negative intensities for normalised differences; got "
                "negative values"
            )
        return arr

    def _transform(self, X: np.ndarray) -> np.ndarray:
        eps = float(self.eps)
        out = np.zeros(X.shape, dtype=np.float32)
        for i, clip in enumerate(X):
            x = clip.astype(np.float64)
            d = (x[1:] - x[:-1]) / (x[1:] + x[:-1] + eps)
            std = np.std(d)
            if not std > 0:
                raise ValueError(
                    f"clip {i} of X has no frame-to-frame change (differences all zero), so "
                    "they cannot be normalised; expected a clip with varying frames"
                )
            out[i, :-1] = d / std
        return out
