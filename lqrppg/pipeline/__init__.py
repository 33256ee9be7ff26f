"""From a video or a recording to a result, as library calls.

:func:`predict_video` goes from a video file to a heart rate (whole video and per window,
each with its SNR and confidence, given only where reliable), the pulse waveform and the
face boxes, streamed with bounded memory; :func:`predict_frames` does the same for frames in
memory. Both return a :class:`VideoResult` (``to_dict``, ``to_json``).
:func:`live_updates` gives the heart rate every second from frames as they come (a camera,
or a file paced at its frame rate), with bounded memory.
:func:`predict_recording` runs a fitted clip model (a fixed number of frames per clip, such
as :class:`lqrppg.LQRPPGRegressor`) over a recording of any length: clips that cover it,
predicted a batch at a time, joined by overlap-add. The command line, the dataset evaluation
and the benchmarks call these rather than cutting and joining clips themselves.
"""

from lqrppg.pipeline._live import LiveUpdate, live_updates
from lqrppg.pipeline._recording import predict_recording
from lqrppg.pipeline._video import (
    METHODS,
    VideoResult,
    check_band_bpm,
    load_model,
    predict_frames,
    predict_video,
)

__all__ = [
    "METHODS",
    "LiveUpdate",
    "VideoResult",
    "check_band_bpm",
    "live_updates",
    "load_model",
    "predict_frames",
    "predict_recording",
    "predict_video",
]
