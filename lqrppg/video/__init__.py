"""Video front end: reading and writing videos, face cropping, resizing, normalisation,
clip cutting with overlap-add, and streaming prediction over long videos.

OpenCV (``opencv-python-headless>=4.8,<5``, the ``video`` extra) is imported inside the
functions that need it, so importing this package stays light. Faces are found by OpenCV's
Haar cascade (Viola-Jones, ``haarcascade_frontalface_default.xml`` shipped with
opencv-python-headless 4.x).
"""

import os as _os

# FFmpeg's own log lines (e.g. "[mjpeg @ 0x...] overread 8" for a damaged file) stay off the
# terminal: OpenCV reads this once, when it first uses FFmpeg (to read or write), so it is set
# here, before any of our code imports OpenCV; a value the user set is kept. What such lines
# say that matters is reported in lqrppg's own warnings and errors (TruncatedVideoWarning).
_os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

from ._clips import clip_window, cut_clips, overlap_add, resample_frames
from ._detect import detect_faces
from ._face import FaceCropper, FaceNotFoundWarning
from ._io import VideoChunk, iter_video_chunks, read_video, video_info, write_video
from ._stream import StreamCrop, stream_predict, tiling_chunk_frames
from ._transforms import DiffNormalizer, Resizer, VideoStandardizer

__all__ = [
    "DiffNormalizer",
    "FaceCropper",
    "FaceNotFoundWarning",
    "Resizer",
    "StreamCrop",
    "VideoChunk",
    "VideoStandardizer",
    "clip_window",
    "cut_clips",
    "detect_faces",
    "iter_video_chunks",
    "overlap_add",
    "read_video",
    "resample_frames",
    "stream_predict",
    "tiling_chunk_frames",
    "video_info",
    "write_video",
]
