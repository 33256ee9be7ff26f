"""From a video or a recording to a result, as library calls.

:func:`predict_recording` runs a fitted clip model (a fixed number of frames per clip, such
as :class:`lqrppg.LQRPPGRegressor`) over a recording of any length: clips that cover it,
predicted a batch at a time, joined by overlap-add. The command line, the dataset evaluation
and the benchmarks call it rather than cutting and joining clips themselves.
"""

from lqrppg.pipeline._recording import predict_recording

__all__ = ["predict_recording"]
