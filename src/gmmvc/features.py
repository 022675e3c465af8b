"""Features the GMM uses: mel-cepstrum, coded aperiodicity, log F0, frame power.

The envelope <-> mel-cepstrum conversions are the linear maps of
:func:`pysptk.sp2mc` and :func:`pysptk.mc2sp` between the log envelope and the
mel-cepstrum, written as one cached matrix per ``(order, alpha, fft_size)`` so
a whole utterance converts in a single matrix product.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ._validation import as_float_array, check_finite_result, check_fs, check_positive
from .analysis import WorldFeatures, analyze, analyze_envelope
from .config import AnalysisConfig
from .exceptions import GmmvcError, ParameterError

__all__ = [
    "Features",
    "sp_to_mcep",
    "mcep_to_sp",
    "code_ap",
    "decode_ap",
    "frame_power_db",
    "estimate_power_threshold",
    "speech_mask",
    "log_f0_stats",
    "features_from_world",
    "extract_features",
    "extract_spectrum",
]

logger = logging.getLogger(__name__)

#: Floor (dB) of :func:`frame_power_db`; digital silence lands exactly here.
POWER_FLOOR_DB = -150.0

#: The silence threshold is never set closer than this (dB) below the loud
#: speech level (95th percentile of frame power), see :func:`estimate_power_threshold`.
MIN_SPEECH_RANGE_DB = 30.0

#: Percentile of the frame powers taken as the loud speech level.
SPEECH_LEVEL_PERCENTILE = 95.0

_OTSU_BINS = 256


# --------------------------------------------------------------------------
# envelope <-> mel-cepstrum
# --------------------------------------------------------------------------


def sp_to_mcep(sp: Any, *, order: int, alpha: float) -> np.ndarray:
    """Convert a power spectral envelope to a mel-cepstrum.

    Equal to :func:`pysptk.sp2mc` frame by frame, computed as one matrix
    product over all frames.

    Parameters
    ----------
    sp : array_like, shape (n_frames, fft_size // 2 + 1) or (fft_size // 2 + 1,)
        Strictly positive power envelope (CheapTrick output).
    order : int
        Mel-cepstral order, ``>= 1`` (``order + 1`` coefficients, c0 first).
    alpha : float
        All-pass constant, ``-1 < alpha < 1``.

    Returns
    -------
    numpy.ndarray, shape (n_frames, order + 1) or (order + 1,)
        The mel-cepstrum.

    Raises
    ------
    ParameterError
        If ``sp`` is not finite and positive, has fewer than 2 bins, or an
        option is out of range.

    Notes
    -----
    pysptk computes ``c = irfft(log sp)``, halves ``c[0]`` and warps all
    ``fft_size`` coefficients with ``freqt``. Every step is linear in
    ``log sp``, so ``mcep = log(sp) @ W.T`` with ``W`` of shape
    ``(order + 1, fft_size // 2 + 1)``. The ``freqt`` recursion feeds one
    coefficient per step into a state ``g`` updated as ``g <- A g + e0 c[k]``,
    whence column ``k`` of the warping matrix is ``A^k e0``.

    Examples
    --------
    >>> sp = np.ones((2, 513))  # a flat envelope: 0 dB, zero cepstrum
    >>> sp_to_mcep(sp, order=24, alpha=0.41).shape
    (2, 25)
    >>> float(np.abs(sp_to_mcep(sp, order=24, alpha=0.41)).max())
    0.0
    """
    arr = as_float_array(sp, "sp", ndim=(1, 2))
    order = int(check_positive(order, "order", integer=True))
    alpha = _check_alpha(alpha)
    n_bins = arr.shape[-1]
    if n_bins < 2:
        raise ParameterError(
            f"sp: expected at least 2 frequency bins (fft_size // 2 + 1), got shape {arr.shape}"
        )
    if arr.size and not np.all(arr > 0):
        n_bad = int(np.count_nonzero(arr <= 0))
        raise ParameterError(
            f"sp: expected a strictly positive power envelope, got {n_bad} value(s) <= 0; "
            "floor it first, e.g. numpy.maximum(sp, 1e-16)"
        )
    matrix = _sp_to_mcep_matrix(order, alpha, 2 * (n_bins - 1))  # (order + 1, F)
    return np.log(arr) @ matrix.T


def mcep_to_sp(mcep: Any, *, alpha: float, fft_size: int) -> np.ndarray:
    """Convert a mel-cepstrum to a power spectral envelope.

    Equal to :func:`pysptk.mc2sp` frame by frame, computed as one matrix
    product over all frames.

    Parameters
    ----------
    mcep : array_like, shape (n_frames, order + 1) or (order + 1,)
        Mel-cepstrum, c0 first, ``order >= 1``.
    alpha : float
        All-pass constant, ``-1 < alpha < 1``.
    fft_size : int
        Even FFT size of the envelope.

    Returns
    -------
    numpy.ndarray, shape (n_frames, fft_size // 2 + 1) or (fft_size // 2 + 1,)
        The power envelope.

    Raises
    ------
    ParameterError
        If ``mcep`` is not finite, so large that the envelope overflows, or an
        option is out of range.

    Notes
    -----
    pysptk warps the mel-cepstrum back to ``fft_size // 2 + 1`` cepstral
    coefficients with ``freqt(-alpha)``, doubles ``c[0]`` and takes the real
    FFT of the even extension; so ``log sp = mcep @ V.T`` with ``V`` of shape
    ``(fft_size // 2 + 1, order + 1)``.

    Examples
    --------
    >>> mcep = np.zeros((3, 25))
    >>> mcep[:, 0] = np.log(2.0) / 2  # c0 = log(2) / 2 -> power 2 at every bin
    >>> sp = mcep_to_sp(mcep, alpha=0.41, fft_size=1024)
    >>> sp.shape, bool(np.allclose(sp, 2.0))
    ((3, 513), True)
    """
    arr = as_float_array(mcep, "mcep", ndim=(1, 2))
    alpha = _check_alpha(alpha)
    fft_size = int(check_positive(fft_size, "fft_size", integer=True))
    if fft_size % 2:
        raise ParameterError(f"fft_size: expected an even FFT size, got {fft_size}")
    if arr.shape[-1] < 2:
        raise ParameterError(
            f"mcep: expected at least 2 coefficients (order >= 1), got shape {arr.shape}"
        )
    matrix = _mcep_to_sp_matrix(arr.shape[-1] - 1, alpha, fft_size)  # (F, order + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        sp = np.exp(arr @ matrix.T)
    return check_finite_result(sp, "mcep_to_sp", "mcep")


def _freqt_matrix(in_order: int, out_order: int, alpha: float) -> np.ndarray:
    """SPTK ``freqt`` as a matrix, shape (out_order + 1, in_order + 1).

    ``freqt`` feeds ``c[in_order], ..., c[0]`` one per step into a state
    ``g`` of length ``out_order + 1``: ``g <- A g + e0 * c[k]``. Hence
    ``freqt(c) = sum_k A^k e0 c[k]``; column ``k`` is ``A^k e0``.
    """
    m2 = out_order
    beta = 1.0 - alpha * alpha
    # One step of the recursion without input, g_new = A g_old:
    #   g0' = alpha g0;  g1' = beta g0 + alpha g1;  gj' = g_{j-1} + alpha (gj - g_{j-1}').
    step = np.zeros((m2 + 1, m2 + 1))
    step[0, 0] = alpha
    if m2 >= 1:
        step[1, 0] = beta
        step[1, 1] = alpha
    for j in range(2, m2 + 1):
        step[j] = -alpha * step[j - 1]
        step[j, j - 1] += 1.0
        step[j, j] += alpha
    out = np.empty((m2 + 1, in_order + 1))
    column = np.zeros(m2 + 1)
    column[0] = 1.0
    for k in range(in_order + 1):
        out[:, k] = column
        column = step @ column
    return out


@functools.lru_cache(maxsize=32)
def _sp_to_mcep_matrix(order: int, alpha: float, fft_size: int) -> np.ndarray:
    """Read-only W, shape (order + 1, fft_size // 2 + 1), with ``mcep = log(sp) @ W.T``."""
    n_bins = fft_size // 2 + 1
    warp = _freqt_matrix(fft_size - 1, order, alpha)  # (order + 1, fft_size)
    warp[:, 0] *= 0.5  # pysptk halves c[0] before warping
    # c = irfft(log sp) is c[n] = sum_k (w_k / N) cos(2 pi k n / N) log sp[k], with
    # w = 1 at DC and Nyquist, 2 elsewhere; so warp @ C = Re(rfft(warp rows)) * w / N.
    weights = np.full(n_bins, 2.0)
    weights[0] = weights[-1] = 1.0
    matrix = np.fft.rfft(warp, axis=1).real * (weights / fft_size)
    matrix.flags.writeable = False
    return matrix


@functools.lru_cache(maxsize=32)
def _mcep_to_sp_matrix(order: int, alpha: float, fft_size: int) -> np.ndarray:
    """Read-only V, shape (fft_size // 2 + 1, order + 1), with ``log sp = mcep @ V.T``."""
    warp = _freqt_matrix(order, fft_size // 2, -alpha)  # (fft_size // 2 + 1, order + 1)
    warp[0, :] *= 2.0  # pysptk doubles c[0] after warping
    # rfft of the even extension [c0, c1, ..., c_{N/2}, ..., c1] is hfft of c.
    matrix = np.ascontiguousarray(np.fft.hfft(warp, n=fft_size, axis=0)[: fft_size // 2 + 1])
    matrix.flags.writeable = False
    return matrix


def _check_alpha(alpha: Any) -> float:
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise ParameterError(f"alpha: expected a number in (-1, 1), got {alpha!r}") from None
    if not -1.0 < value < 1.0:
        raise ParameterError(f"alpha: expected -1 < alpha < 1, got {alpha!r}")
    return value


# --------------------------------------------------------------------------
# aperiodicity
# --------------------------------------------------------------------------


def code_ap(ap: Any, fs: int) -> np.ndarray:
    """Code a D4C aperiodicity into WORLD's few frequency bands.

    Parameters
    ----------
    ap : array_like, shape (n_frames, fft_size // 2 + 1)
        Aperiodicity in ``(0, 1]``.
    fs : int
        Sample rate in Hz, at least 16000 (WORLD codes no band below that).

    Returns
    -------
    numpy.ndarray, shape (n_frames, n_bands)
        Band aperiodicity in dB; ``n_bands = pyworld.get_num_aperiodicities(fs)``
        (1 at 16 kHz, 5 at 44.1/48 kHz).

    Raises
    ------
    ParameterError
        If ``ap`` is not 2-D with at least one frame, not in ``(0, 1]``, or
        ``fs`` is below 16000.

    Examples
    --------
    >>> code_ap(np.full((4, 513), 0.1), 16000).round(6)
    array([[-20.],
           [-20.],
           [-20.],
           [-20.]])
    """
    import pyworld

    arr = as_float_array(ap, "ap", ndim=2, min_len=1)
    _n_bands(fs)
    if arr.shape[1] < 2:
        raise ParameterError(
            f"ap: expected at least 2 frequency bins (fft_size // 2 + 1), got shape {arr.shape}"
        )
    if arr.size and not (np.all(arr > 0) and np.all(arr <= 1)):
        raise ParameterError(
            f"ap: expected aperiodicity in (0, 1], got values from {arr.min():g} to "
            f"{arr.max():g}; clip it, e.g. numpy.clip(ap, 1e-3, 1)"
        )
    return np.asarray(pyworld.code_aperiodicity(arr, int(fs)), dtype=np.float64)


def decode_ap(bap: Any, fs: int, fft_size: int) -> np.ndarray:
    """Expand band aperiodicity back to the full envelope grid.

    Parameters
    ----------
    bap : array_like, shape (n_frames, n_bands)
        Band aperiodicity in dB from :func:`code_ap`; values above 0 dB
        (e.g. from a conversion) are clipped to 0 dB, aperiodicity 1.
    fs : int
        Sample rate in Hz, at least 16000.
    fft_size : int
        Even FFT size of the envelope.

    Returns
    -------
    numpy.ndarray, shape (n_frames, fft_size // 2 + 1)
        Aperiodicity in ``(0, 1]``.

    Raises
    ------
    ParameterError
        If ``bap`` has no frames, the wrong number of bands for ``fs`` or is
        not finite.

    Examples
    --------
    >>> ap = decode_ap(np.full((2, 1), -20.0), 16000, 1024)
    >>> ap.shape, bool(np.all((ap > 0) & (ap <= 1)))
    ((2, 513), True)
    >>> round(float(ap[0, 192]), 3)  # the band centre, 3 kHz: -20 dB
    0.1
    """
    import pyworld

    n_bands = _n_bands(fs)
    fft_size = int(check_positive(fft_size, "fft_size", integer=True))
    if fft_size % 2:
        raise ParameterError(f"fft_size: expected an even FFT size, got {fft_size}")
    arr = as_float_array(bap, "bap", ndim=2, min_len=1, n_cols=n_bands)
    # above 0 dB the aperiodicity would exceed 1 (and overflow for huge values)
    arr = np.minimum(arr, 0.0)
    return np.asarray(pyworld.decode_aperiodicity(arr, int(fs), fft_size), dtype=np.float64)


def _n_bands(fs: Any) -> int:
    import pyworld

    fs = check_fs(fs)
    n_bands = int(pyworld.get_num_aperiodicities(fs))
    if n_bands < 1:
        raise ParameterError(
            f"fs: WORLD codes aperiodicity in bands only from 16000 Hz up, got {fs}; "
            "resample the audio to 16000 Hz or more"
        )
    return n_bands


# --------------------------------------------------------------------------
# frame power and silence
# --------------------------------------------------------------------------


def frame_power_db(sp: Any) -> np.ndarray:
    """Power of each frame in dB: ``10 log10`` of the mean of its envelope.

    Parameters
    ----------
    sp : array_like, shape (n_frames, n_bins)
        Non-negative power envelope.

    Returns
    -------
    numpy.ndarray, shape (n_frames,)
        Frame power in dB, floored at ``POWER_FLOOR_DB`` (-150 dB), where
        digital silence lands.

    Raises
    ------
    ParameterError
        If ``sp`` is not a finite, non-negative 2-D array.

    Examples
    --------
    >>> frame_power_db(np.array([[1.0, 1.0], [0.01, 0.01], [0.0, 0.0]]))
    array([   0.,  -20., -150.])
    """
    arr = as_float_array(sp, "sp", ndim=2)
    if arr.size and np.any(arr < 0):
        raise ParameterError(
            f"sp: expected a non-negative power envelope, got minimum {arr.min():g}"
        )
    if arr.shape[1] == 0:
        raise ParameterError(f"sp: expected at least 1 frequency bin, got shape {arr.shape}")
    floor = 10.0 ** (POWER_FLOOR_DB / 10.0)
    with np.errstate(over="ignore"):  # a sum of powers near 1e308 overflows: reported below
        power = 10.0 * np.log10(np.maximum(arr.mean(axis=1), floor))
    return check_finite_result(power, "frame_power_db", "sp")


def estimate_power_threshold(power_db: Sequence[np.ndarray] | np.ndarray) -> float:
    """Estimate a speaker's speech/silence threshold from their frame powers.

    Parameters
    ----------
    power_db : array_like or sequence of array_like, each shape (n_frames,)
        Frame powers in dB (:func:`frame_power_db`) of the speaker's
        utterances, pooled.

    Returns
    -------
    float
        Threshold in dB; frames above it are speech (:func:`speech_mask`).

    Raises
    ------
    ParameterError
        If there are no frames, or a value is not finite.
    GmmvcError
        If every frame is digital silence.

    Notes
    -----
    Frames at the floor (digital silence) are set aside. On the rest, Otsu's
    method [1]_ picks the histogram split ``t`` maximising the between-class
    variance ``w0 w1 (mu1 - mu0)^2`` (256 bins; among tied maxima, the middle
    one). Otsu always splits in two, so on audio with little or no silence it
    would cut into the speech itself (voiced against unvoiced frames). The
    threshold is therefore capped ``MIN_SPEECH_RANGE_DB`` (30 dB) below the
    loud speech level ``L`` (95th percentile)::

        threshold = min(t, L - 30 dB)

    With clean silence ``t`` lies in the gap between the two modes and
    applies; with little silence the cap applies and only frames more than
    30 dB below loud speech are dropped. The cap is also the fallback when
    the powers are all equal. A noise floor within 30 dB of the speech is
    treated as speech; set ``AnalysisConfig.power_threshold_db`` by hand for
    such recordings.

    References
    ----------
    .. [1] N. Otsu, "A threshold selection method from gray-level
       histograms", IEEE Trans. Systems, Man, and Cybernetics 9(1), 62-66, 1979.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = np.concatenate([rng.normal(-80, 3, 300), rng.normal(-20, 5, 700)])
    >>> t = estimate_power_threshold(p)
    >>> bool(-70 < t < -40)
    True
    """
    if isinstance(power_db, np.ndarray):
        parts = [as_float_array(power_db, "power_db").ravel()]
    else:
        parts = [as_float_array(p, f"power_db[{i}]").ravel() for i, p in enumerate(power_db)]
    pooled = np.concatenate(parts) if parts else np.zeros(0)
    if pooled.size == 0:
        raise ParameterError("power_db: expected frame powers, got no frames")
    active = pooled[pooled > POWER_FLOOR_DB + 1e-6]
    if active.size == 0:
        raise GmmvcError(
            f"estimate_power_threshold: all {pooled.size} frames are digital silence "
            f"({POWER_FLOOR_DB} dB); expected speech - check the training audio"
        )
    level = float(np.percentile(active, SPEECH_LEVEL_PERCENTILE))
    cap = level - MIN_SPEECH_RANGE_DB
    otsu = _otsu_threshold(active)
    threshold = cap if otsu is None else min(otsu, cap)
    logger.info(
        "power threshold %.1f dB (Otsu %s, speech level %.1f dB, cap %.1f dB) from %d frames",
        threshold,
        "n/a" if otsu is None else f"{otsu:.1f} dB",
        level,
        cap,
        pooled.size,
    )
    return float(threshold)


def _otsu_threshold(values: np.ndarray) -> float | None:
    """Otsu's threshold of 1-D ``values`` (middle of tied maxima); None if constant.

    A spread under 1e-9 dB counts as constant: it has no room for 256 distinct
    bins (say 0 and 5e-324), and no power difference that small means anything.
    """
    lo, hi = float(values.min()), float(values.max())
    if max(-lo, hi) >= 1e100:  # beyond any dB range the sums overflow
        return None
    if not hi - lo > 1e-9 * max(1.0, abs(lo), abs(hi)):
        return None
    counts, edges = np.histogram(values, bins=_OTSU_BINS, range=(lo, hi))
    centres = 0.5 * (edges[:-1] + edges[1:])
    prob = counts / counts.sum()
    w0 = np.cumsum(prob)[:-1]  # class 0 = bins 0..k, for k < n_bins - 1
    w1 = 1.0 - w0
    m0 = np.cumsum(prob * centres)[:-1]
    total_mean = float(np.sum(prob * centres))
    valid = (w0 > 0) & (w1 > 0)
    between = np.zeros_like(w0)
    # w0 w1 (mu1 - mu0)^2 = (mu_T w0 - m0)^2 / (w0 w1)
    between[valid] = (total_mean * w0[valid] - m0[valid]) ** 2 / (w0[valid] * w1[valid])
    best = np.flatnonzero(between >= between.max() * (1.0 - 1e-12))
    k_first, k_last = int(best[0]), int(best[-1])
    # split after bin k: threshold on the upper edge; ties (empty bins) -> mid of the run
    return float(0.5 * (edges[k_first + 1] + edges[k_last + 1]))


def speech_mask(power_db: Any, threshold_db: float) -> np.ndarray:
    """Select the frames louder than a threshold.

    Parameters
    ----------
    power_db : array_like, shape (n_frames,)
        Frame powers in dB.
    threshold_db : float
        Threshold in dB (:func:`estimate_power_threshold`).

    Returns
    -------
    numpy.ndarray of bool, shape (n_frames,)
        True for speech frames (``power_db > threshold_db``).

    Raises
    ------
    ParameterError
        If ``power_db`` is not a finite 1-D array or ``threshold_db`` not finite.

    Examples
    --------
    >>> speech_mask([-90.0, -20.0, -10.0], -40.0)
    array([False,  True,  True])
    """
    arr = as_float_array(power_db, "power_db", ndim=1)
    try:
        threshold = float(threshold_db)
    except (TypeError, ValueError):
        raise ParameterError(
            f"threshold_db: expected a number in dB, got {threshold_db!r}"
        ) from None
    if not np.isfinite(threshold):
        raise ParameterError(f"threshold_db: expected a finite number in dB, got {threshold_db!r}")
    return arr > threshold


# --------------------------------------------------------------------------
# F0 statistics
# --------------------------------------------------------------------------


def log_f0_stats(f0s: Sequence[np.ndarray] | np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of log F0 over the voiced frames.

    Parameters
    ----------
    f0s : array_like or sequence of array_like, each shape (n_frames,)
        F0 contours in Hz (0 = unvoiced) of one speaker's utterances, pooled.

    Returns
    -------
    mean, std : float
        Mean and (population, ``ddof=0``) standard deviation of ``log(f0)``
        over frames with ``f0 > 0``; natural log.

    Raises
    ------
    ParameterError
        If a contour is not finite or has negative values.
    GmmvcError
        If no frame is voiced.

    Examples
    --------
    >>> mean, std = log_f0_stats([np.array([0.0, 100.0, 0.0]), np.array([400.0])])
    >>> bool(np.isclose(mean, np.log(200.0))), bool(np.isclose(std, np.log(2.0)))
    (True, True)
    """
    if isinstance(f0s, np.ndarray):
        parts = [as_float_array(f0s, "f0s").ravel()]
    else:
        parts = [as_float_array(f, f"f0s[{i}]").ravel() for i, f in enumerate(f0s)]
    pooled = np.concatenate(parts) if parts else np.zeros(0)
    if pooled.size and pooled.min() < 0:
        raise ParameterError(
            f"f0s: expected F0 in Hz >= 0 (0 = unvoiced), got minimum {pooled.min():g}"
        )
    voiced = pooled[pooled > 0]
    if voiced.size == 0:
        raise GmmvcError(
            f"log_f0_stats: no voiced frames among {pooled.size} frame(s); expected speech "
            "with F0 > 0 - check the audio and the F0 search range"
        )
    log_f0 = np.log(voiced)
    return float(log_f0.mean()), float(log_f0.std())


# --------------------------------------------------------------------------
# one utterance
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Features:
    """Features of one utterance as the GMM pipeline uses them.

    Parameters
    ----------
    f0 : numpy.ndarray, shape (n_frames,)
        F0 in Hz, 0 in unvoiced frames.
    mcep : numpy.ndarray, shape (n_frames, order + 1)
        Mel-cepstrum, c0 first.
    bap : numpy.ndarray, shape (n_frames, n_bands)
        Coded (band) aperiodicity in dB.
    power_db : numpy.ndarray, shape (n_frames,)
        Frame power in dB (:func:`frame_power_db`).

    Raises
    ------
    ParameterError
        If the arrays disagree in rank or number of frames.

    Examples
    --------
    >>> f = Features(f0=np.zeros(4), mcep=np.zeros((4, 25)), bap=np.zeros((4, 1)),
    ...              power_db=np.full(4, -60.0))
    >>> f.n_frames, f.mcep.shape
    (4, (4, 25))
    """

    f0: np.ndarray
    mcep: np.ndarray
    bap: np.ndarray
    power_db: np.ndarray

    def __post_init__(self) -> None:
        for name in ("f0", "mcep", "bap", "power_db"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        ranks = (self.f0.ndim, self.mcep.ndim, self.bap.ndim, self.power_db.ndim)
        if ranks != (1, 2, 2, 1):
            raise ParameterError(
                "Features: expected f0 (T,), mcep (T, D), bap (T, B), power_db (T,), got "
                f"shapes {self.f0.shape}, {self.mcep.shape}, {self.bap.shape}, "
                f"{self.power_db.shape}"
            )
        lengths = {a.shape[0] for a in (self.f0, self.mcep, self.bap, self.power_db)}
        if len(lengths) != 1:
            raise ParameterError(
                "Features: expected the same number of frames in f0, mcep, bap and "
                f"power_db, got {self.f0.shape[0]}, {self.mcep.shape[0]}, "
                f"{self.bap.shape[0]}, {self.power_db.shape[0]}"
            )

    @property
    def n_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.f0.shape[0])


def features_from_world(world: WorldFeatures, config: AnalysisConfig) -> Features:
    """Turn WORLD parameters into GMM features with the settings of ``config``.

    Parameters
    ----------
    world : WorldFeatures
        Output of :func:`gmmvc.analysis.analyze` with the same settings.
    config : AnalysisConfig
        Analysis settings (resolved here): ``order``, ``alpha``, ``fft_size``,
        ``fs`` and ``frame_period`` are used.

    Returns
    -------
    Features
        ``mcep`` (T, order + 1), ``bap`` (T, n_bands), ``power_db`` (T,) and
        ``f0`` (T,) as analysed.

    Raises
    ------
    ParameterError
        If ``world`` was analysed with another sample rate, frame period or
        FFT size than ``config`` says.

    Examples
    --------
    >>> from gmmvc.analysis import analyze
    >>> fs = 16000
    >>> x = np.sin(2 * np.pi * 150 * np.arange(fs // 4) / fs)
    >>> cfg = AnalysisConfig(fs=fs, f0_method="dio")
    >>> feats = features_from_world(analyze(x, cfg), cfg)
    >>> feats.mcep.shape, feats.bap.shape
    ((51, 25), (51, 1))
    """
    cfg = config.resolved()
    if world.fs != cfg.fs:
        raise ParameterError(
            f"world.fs: expected config.fs = {cfg.fs} Hz, got {world.fs}; analyse with the "
            "same settings"
        )
    if world.frame_period != cfg.frame_period:
        raise ParameterError(
            f"world.frame_period: expected config.frame_period = {cfg.frame_period} ms, got "
            f"{world.frame_period}; analyse with the same settings"
        )
    fft_size = cast(int, cfg.fft_size)  # resolved() fills order, alpha and fft_size
    if world.fft_size != fft_size:
        raise ParameterError(
            f"world.sp: expected fft_size {fft_size} ({fft_size // 2 + 1} bins), got "
            f"{world.sp.shape[1]} bins; analyse with the same settings"
        )
    mcep, power_db = _spectrum_features(world.sp, cfg)
    return Features(
        f0=np.asarray(world.f0, dtype=np.float64),
        mcep=mcep,
        bap=code_ap(world.ap, cfg.fs),
        power_db=power_db,
    )


def _spectrum_features(sp: np.ndarray, cfg: AnalysisConfig) -> tuple[np.ndarray, np.ndarray]:
    """Mel-cepstrum and frame power of a CheapTrick envelope (``cfg`` resolved)."""
    mcep = sp_to_mcep(sp, order=cast(int, cfg.order), alpha=cast(float, cfg.alpha))
    return mcep, frame_power_db(sp)


def extract_features(x: Any, config: AnalysisConfig) -> Features:
    """Analyse a waveform and compute its GMM features.

    Runs :func:`gmmvc.analysis.analyze`, then :func:`features_from_world`.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Mono waveform at ``config.fs``.
    config : AnalysisConfig
        Analysis settings (resolved here).

    Returns
    -------
    Features
        ``f0`` (T,), ``mcep`` (T, order + 1), ``bap`` (T, n_bands),
        ``power_db`` (T,).

    Raises
    ------
    ParameterError
        If ``x`` or ``config`` is invalid (see :func:`gmmvc.analysis.analyze`).

    Examples
    --------
    >>> fs = 16000
    >>> x = np.sin(2 * np.pi * 150 * np.arange(fs // 4) / fs)
    >>> feats = extract_features(x, AnalysisConfig(fs=fs, f0_method="dio"))
    >>> feats.f0.shape, feats.mcep.shape, feats.power_db.shape
    ((51,), (51, 25), (51,))
    """
    cfg = config.resolved()
    return features_from_world(analyze(x, cfg), cfg)


def extract_spectrum(x: Any, config: AnalysisConfig) -> tuple[np.ndarray, np.ndarray]:
    """Analyse a waveform for its mel-cepstrum and frame power only.

    What differential conversion needs: :func:`extract_features` without the
    aperiodicity (WORLD's D4C is not run, see
    :func:`gmmvc.analysis.analyze_envelope`).

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Mono waveform at ``config.fs``.
    config : AnalysisConfig

    Returns
    -------
    mcep : numpy.ndarray, shape (T, order + 1)
    power_db : numpy.ndarray, shape (T,)
        Identical to :func:`extract_features`' ``mcep`` and ``power_db``.

    Raises
    ------
    ParameterError
        As :func:`extract_features`.

    Examples
    --------
    >>> fs = 16000
    >>> x = np.sin(2 * np.pi * 150 * np.arange(fs // 4) / fs)
    >>> cfg = AnalysisConfig(fs=fs, f0_method="dio")
    >>> mcep, power_db = extract_spectrum(x, cfg)
    >>> bool(np.array_equal(mcep, extract_features(x, cfg).mcep)), mcep.shape
    (True, (51, 25))
    """
    cfg = config.resolved()
    return _spectrum_features(analyze_envelope(x, cfg)[1], cfg)
