"""Objective measures on time-aligned features: MCD, log-F0 RMSE, V/UV error.

Every function here compares two arrays that are already aligned frame by
frame (for example converted and target features paired by
:func:`gmmvc.alignment.align_frames`); none of them aligns anything itself.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from ._validation import as_float_array, check_choice, check_finite_result
from .exceptions import ParameterError

__all__ = ["F0_UNITS", "log_f0_rmse", "mel_cepstral_distortion", "vuv_error"]

logger = logging.getLogger(__name__)

#: Units accepted by :func:`log_f0_rmse`.
F0_UNITS = ("cents", "log")

#: Factor that turns a Euclidean cepstral distance into MCD in decibels.
_MCD_DB = 10.0 / math.log(10.0) * math.sqrt(2.0)

#: Cents per natural-log unit of frequency ratio (1200 cents per octave).
_CENTS_PER_NEPER = 1200.0 / math.log(2.0)


def mel_cepstral_distortion(
    x: Any,
    y: Any,
    *,
    exclude_c0: bool = True,
    per_frame: bool = False,
) -> float | np.ndarray:
    r"""Mel-cepstral distortion (MCD) in decibels between aligned mel-cepstra.

    Parameters
    ----------
    x : array_like of float, shape (T, order + 1)
        Mel-cepstra, one frame per row, c0 first (SPTK convention).
    y : array_like of float, shape (T, order + 1)
        Mel-cepstra time-aligned with ``x``: same number of frames and
        coefficients.
    exclude_c0 : bool, default True
        Leave out the 0th (energy) coefficient, so the sum runs over
        ``d = 1 .. order``. Then ``order >= 1`` is required.
    per_frame : bool, default False
        Return the distortion of every frame instead of the mean.

    Returns
    -------
    float or numpy.ndarray of float64, shape (T,)
        The mean MCD over frames in dB as a Python float, or the per-frame
        MCD when ``per_frame`` is True.

    Raises
    ------
    ParameterError
        If an input is not a finite 2-D array with at least one frame, the
        shapes differ, ``exclude_c0`` is set with a single coefficient, or
        the values are so large that the distance overflows.

    Notes
    -----
    For frame :math:`t`,

    .. math:: \mathrm{MCD}_t = \frac{10}{\ln 10}
              \sqrt{2 \sum_{d=d_0}^{\mathrm{order}} (x_{t,d} - y_{t,d})^2}

    with :math:`d_0 = 1` when ``exclude_c0`` (the usual choice in voice
    conversion, e.g. Toda, Black and Tokuda 2007, because c0 carries the
    frame energy) and :math:`d_0 = 0` otherwise; the result is the mean of
    :math:`\mathrm{MCD}_t` over the :math:`T` frames. The measure goes back
    to Kubichek (1993). Frames are weighted equally: select speech frames
    (and align) before calling.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((3, 25))
    >>> y = x + 0.1
    >>> round(mel_cepstral_distortion(x, y), 4)  # 10/ln10 * sqrt(2 * 24 * 0.01)
    3.0089
    >>> mel_cepstral_distortion(x, x)
    0.0
    """
    x = as_float_array(x, "x", ndim=2, min_len=1)
    y = as_float_array(y, "y", ndim=2, min_len=1)
    if x.shape != y.shape:
        raise ParameterError(
            f"x and y: expected mel-cepstra of the same shape (T, order + 1), got "
            f"{x.shape} and {y.shape}; align the frames first (align_frames) and use "
            "the same cepstral order for both"
        )
    if exclude_c0:
        if x.shape[1] < 2:
            raise ParameterError(
                f"x: expected at least 2 coefficients (c0 and c1..) with exclude_c0=True, "
                f"got shape {x.shape}; pass exclude_c0=False or the full mel-cepstra"
            )
        diff = x[:, 1:] - y[:, 1:]  # (T, order)
    else:
        diff = x - y  # (T, order + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        mcd: np.ndarray = _MCD_DB * np.sqrt(np.sum(diff * diff, axis=1))  # (T,)
    check_finite_result(mcd, "mel_cepstral_distortion", "x and y")
    if per_frame:
        return mcd
    return float(np.mean(mcd))


def _check_f0(f0: Any, name: str) -> np.ndarray:
    """Return a validated F0 contour (T,) in Hz, 0 marking unvoiced frames."""
    arr = as_float_array(f0, name, ndim=1, min_len=1)
    if np.any(arr < 0):
        raise ParameterError(
            f"{name}: expected F0 in Hz, >= 0 with 0 marking unvoiced frames, got "
            f"minimum {float(arr.min()):g}; pass linear F0 (not log-F0) and set unvoiced "
            "frames to 0"
        )
    return arr


def _check_same_frames(f0_x: np.ndarray, f0_y: np.ndarray) -> None:
    """Check that two F0 contours have the same number of frames."""
    if f0_x.shape[0] != f0_y.shape[0]:
        raise ParameterError(
            f"f0_x and f0_y: expected the same number of frames, got {f0_x.shape[0]} "
            f"and {f0_y.shape[0]}; align the contours first (e.g. index both with an "
            "Alignment from align_frames) and use the same frame period"
        )


def log_f0_rmse(f0_x: Any, f0_y: Any, *, unit: str = "cents") -> float:
    r"""Root-mean-square log-F0 difference over frames voiced in both contours.

    Parameters
    ----------
    f0_x : array_like of float, shape (T,)
        F0 in Hz, ``0`` for unvoiced frames (as pyworld returns it).
    f0_y : array_like of float, shape (T,)
        F0 in Hz time-aligned with ``f0_x``.
    unit : {'cents', 'log'}, default 'cents'
        ``'cents'`` for 1200 times the base-2 log ratio, ``'log'`` for the
        natural-log ratio.

    Returns
    -------
    float
        The RMSE in the chosen unit.

    Raises
    ------
    ParameterError
        If an input is not a finite 1-D array with at least one frame or has
        negative values, the lengths differ, ``unit`` is unknown, or no frame
        is voiced in both contours.

    Notes
    -----
    With :math:`V = \{t : f_{x,t} > 0 \wedge f_{y,t} > 0\}`,

    .. math:: \mathrm{RMSE} = c \sqrt{\frac{1}{|V|} \sum_{t \in V}
              (\ln f_{x,t} - \ln f_{y,t})^2}

    with :math:`c = 1200 / \ln 2` for cents and :math:`c = 1` for ``'log'``.
    Frames where only one contour is voiced count towards :func:`vuv_error`,
    not here.

    Examples
    --------
    >>> f0_x = [100.0, 200.0, 0.0, 150.0]
    >>> f0_y = [200.0, 400.0, 300.0, 0.0]
    >>> round(log_f0_rmse(f0_x, f0_y), 6)  # one octave on both jointly voiced frames
    1200.0
    """
    unit = check_choice(unit, "unit", F0_UNITS)
    f0_x = _check_f0(f0_x, "f0_x")
    f0_y = _check_f0(f0_y, "f0_y")
    _check_same_frames(f0_x, f0_y)
    voiced = (f0_x > 0) & (f0_y > 0)  # (T,)
    n_voiced = int(np.count_nonzero(voiced))
    if n_voiced == 0:
        raise ParameterError(
            f"f0_x and f0_y: expected at least one frame voiced (F0 > 0) in both, got none "
            f"of {f0_x.shape[0]} ({int(np.count_nonzero(f0_x > 0))} voiced in f0_x, "
            f"{int(np.count_nonzero(f0_y > 0))} in f0_y); check the alignment and the F0 "
            "range, or leave this utterance out of the F0 evaluation"
        )
    diff = np.log(f0_x[voiced]) - np.log(f0_y[voiced])  # (|V|,)
    rmse = math.sqrt(float(np.mean(diff * diff)))
    if unit == "cents":
        rmse *= _CENTS_PER_NEPER
    return rmse


def vuv_error(f0_x: Any, f0_y: Any) -> float:
    """Fraction of frames whose voicing decisions differ.

    Parameters
    ----------
    f0_x : array_like of float, shape (T,)
        F0 in Hz, ``0`` for unvoiced frames; a frame is voiced when F0 > 0.
    f0_y : array_like of float, shape (T,)
        F0 in Hz time-aligned with ``f0_x``.

    Returns
    -------
    float
        Number of frames voiced in exactly one contour divided by ``T``, in
        ``[0, 1]``.

    Raises
    ------
    ParameterError
        If an input is not a finite 1-D array with at least one frame or has
        negative values, or the lengths differ.

    Examples
    --------
    >>> vuv_error([0.0, 100.0, 120.0, 0.0], [0.0, 0.0, 110.0, 90.0])
    0.5
    """
    f0_x = _check_f0(f0_x, "f0_x")
    f0_y = _check_f0(f0_y, "f0_y")
    _check_same_frames(f0_x, f0_y)
    return float(np.mean((f0_x > 0) != (f0_y > 0)))
