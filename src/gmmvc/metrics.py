"""Objective measures: MCD, log-F0 RMSE, V/UV error, and the utterance score built on them.

The measures compare two arrays that are already aligned frame by frame;
:func:`score_features` pairs the frames of a converted utterance and the
target's by DTW (:func:`gmmvc.alignment.align_frames`) and applies them all,
one recipe for every backend (WORLD in :mod:`gmmvc.pipeline`, STFT in
:mod:`gmmvc.stft`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import as_float_array, check_choice, check_finite_result
from .alignment import align_frames
from .exceptions import ParameterError

if TYPE_CHECKING:
    from .features import Features

__all__ = [
    "F0_UNITS",
    "log_f0_rmse",
    "mel_cepstral_distortion",
    "vuv_error",
    "UtteranceScore",
    "score_features",
]

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


@dataclass(frozen=True)
class UtteranceScore:
    """Distances between a converted (or source) utterance and the target.

    Attributes
    ----------
    mcd_db : float
        Mel-cepstral distortion (dB, c1 onward) over DTW-aligned speech frames.
    f0_rmse_cents : float
        Log-F0 RMSE in cents over aligned frames voiced in both.
    vuv_error : float
        Fraction of aligned frames whose voicing decisions differ.
    n_frames : int
        Number of aligned frame pairs.
    gv_ratio : float
        Global-variance ratio: geometric mean over c1 onward of the
        utterance variance of the scored mel-cepstrum over the target's
        (aligned speech frames); below 1 means over-smoothed.

    Examples
    --------
    :func:`score_features` and :func:`gmmvc.pipeline.score_waveforms` return one. An
    utterance scored against itself is at distance zero on every measure,
    with every frame paired to itself and a GV ratio of one:

    >>> from gmmvc.features import Features
    >>> rng = np.random.default_rng(0)
    >>> f0 = np.where(np.arange(40) % 10 < 7, 120.0, 0.0)  # voiced and unvoiced frames
    >>> utt = Features(f0=f0, mcep=rng.normal(size=(40, 5)), bap=np.zeros((40, 1)),
    ...                power_db=np.zeros(40))
    >>> score_features(utt, utt)
    UtteranceScore(mcd_db=0.0, f0_rmse_cents=0.0, vuv_error=0.0, n_frames=40, gv_ratio=1.0)
    """

    mcd_db: float
    f0_rmse_cents: float
    vuv_error: float
    n_frames: int
    gv_ratio: float = float("nan")


def score_features(
    features: Features,
    target: Features,
    *,
    speech: np.ndarray | None = None,
    target_speech: np.ndarray | None = None,
) -> UtteranceScore:
    """Score one utterance against the target's reading of the same sentence.

    Frames are paired by DTW on the mel-cepstra (c1 onward) over speech frames.

    Parameters
    ----------
    features, target : Features
        The utterance to score and the reference.
    speech, target_speech : array_like of bool, optional
        Speech frames of each (all frames when ``None``).

    Returns
    -------
    UtteranceScore

    Examples
    --------
    An utterance whose c1 is 0.1 off the target's in every frame and whose F0
    is one octave below it: the MCD is ``10 / ln 10 * sqrt(2 * 0.1**2)`` dB,
    the F0 RMSE 1200 cents, and the spectral variance (GV) is unchanged:

    >>> from gmmvc.features import Features
    >>> rng = np.random.default_rng(0)
    >>> f0 = np.where(np.arange(50) % 10 < 7, 240.0, 0.0)  # voiced and unvoiced frames
    >>> target = Features(f0=f0, mcep=rng.normal(size=(50, 5)), bap=np.zeros((50, 1)),
    ...                   power_db=np.zeros(50))
    >>> utt = Features(f0=f0 / 2, mcep=target.mcep + [0, 0.1, 0, 0, 0], bap=target.bap,
    ...                power_db=target.power_db)
    >>> s = score_features(utt, target)
    >>> expected_db = 10 / np.log(10) * np.sqrt(2 * 0.1**2)
    >>> round(s.mcd_db, 4), bool(np.isclose(s.mcd_db, expected_db, rtol=1e-12))
    (0.6142, True)
    >>> round(s.f0_rmse_cents, 6), s.vuv_error, s.n_frames, round(s.gv_ratio, 6)
    (1200.0, 0.0, 50, 1.0)
    """
    path = align_frames(
        features.mcep[:, 1:], target.mcep[:, 1:], x_mask=speech, y_mask=target_speech
    )
    a, b = path.source_index, path.target_index
    f0_a, f0_b = features.f0[a], target.f0[b]
    voiced_both = np.any((f0_a > 0) & (f0_b > 0))
    var_a = features.mcep[a, 1:].var(axis=0)
    var_b = target.mcep[b, 1:].var(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gv_ratio = float(np.exp(np.mean(np.log(var_a / var_b))))
    return UtteranceScore(
        mcd_db=float(mel_cepstral_distortion(features.mcep[a], target.mcep[b])),
        f0_rmse_cents=float(log_f0_rmse(f0_a, f0_b)) if voiced_both else float("nan"),
        vuv_error=float(vuv_error(f0_a, f0_b)),
        n_frames=int(a.size),
        gv_ratio=gv_ratio,
    )
