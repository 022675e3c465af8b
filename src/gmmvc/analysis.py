"""WORLD analysis: F0 (Harvest, or DIO + StoneMask), spectral envelope, aperiodicity.

All speakers share one frequency grid: CheapTrick and D4C always receive the
FFT size of the analysis settings, which depends on the sample rate only,
never on a speaker's F0 range.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ._validation import (
    as_float_array,
    check_choice,
    check_finite_result,
    check_fs,
    check_positive,
)
from .config import F0_METHODS, WIDE_F0_CEIL, WIDE_F0_FLOOR, AnalysisConfig
from .exceptions import GmmvcError, ParameterError

__all__ = ["WorldFeatures", "extract_f0", "analyze", "analyze_envelope", "estimate_f0_range"]

logger = logging.getLogger(__name__)

#: Shortest waveform :func:`analyze` accepts, in frame periods.
MIN_FRAME_PERIODS = 3

#: De Looze & Hirst (2008) factors: floor = 0.75 * Q1, ceiling = 1.5 * Q3.
F0_FLOOR_FACTOR = 0.75
F0_CEIL_FACTOR = 1.5

#: Bounds (Hz) an estimated F0 search range is clipped to.
F0_RANGE_LIMITS = (40.0, 1000.0)


@dataclass(frozen=True, eq=False)
class WorldFeatures:
    """WORLD parameters of one utterance.

    Parameters
    ----------
    f0 : numpy.ndarray, shape (n_frames,)
        Fundamental frequency in Hz, 0 in unvoiced frames.
    sp : numpy.ndarray, shape (n_frames, fft_size // 2 + 1)
        Power spectral envelope (CheapTrick), strictly positive.
    ap : numpy.ndarray, shape (n_frames, fft_size // 2 + 1)
        Aperiodicity (D4C), in ``[0, 1]``.
    fs : int
        Sample rate in Hz of the analysed waveform.
    frame_period : float
        Frame shift in milliseconds.

    Raises
    ------
    ParameterError
        If the array shapes disagree.

    Examples
    --------
    >>> w = WorldFeatures(
    ...     f0=np.zeros(3), sp=np.ones((3, 513)), ap=np.ones((3, 513)), fs=16000, frame_period=5.0
    ... )
    >>> w.n_frames, w.fft_size
    (3, 1024)
    """

    f0: np.ndarray
    sp: np.ndarray
    ap: np.ndarray
    fs: int
    frame_period: float

    def __post_init__(self) -> None:
        for name in ("f0", "sp", "ap"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        if self.f0.ndim != 1 or self.sp.ndim != 2 or self.ap.shape != self.sp.shape:
            raise ParameterError(
                "WorldFeatures: expected f0 (T,), sp and ap (T, F) of equal shape, got "
                f"f0 {self.f0.shape}, sp {self.sp.shape}, ap {self.ap.shape}"
            )
        if self.sp.shape[0] != self.f0.shape[0]:
            raise ParameterError(
                f"WorldFeatures: expected as many f0 values as envelope frames, got "
                f"{self.f0.shape[0]} and {self.sp.shape[0]}"
            )

    @property
    def n_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.f0.shape[0])

    @property
    def fft_size(self) -> int:
        """FFT size of the envelope, ``2 * (F - 1)``."""
        return 2 * (self.sp.shape[1] - 1)


def extract_f0(
    x: Any,
    fs: int,
    *,
    method: str = "harvest",
    f0_floor: float,
    f0_ceil: float,
    frame_period: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimate the F0 contour of a waveform with WORLD.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Finite mono waveform.
    fs : int
        Sample rate in Hz (at least 8000).
    method : {'harvest', 'dio'}, default 'harvest'
        ``'harvest'`` (robust, slower) or ``'dio'`` (DIO refined by StoneMask).
    f0_floor, f0_ceil : float
        Search range in Hz, ``0 < f0_floor < f0_ceil < fs / 2``.
    frame_period : float, default 5.0
        Frame shift in milliseconds.

    Returns
    -------
    f0 : numpy.ndarray, shape (n_frames,)
        F0 in Hz, 0 in unvoiced frames;
        ``n_frames = floor(1000 * n_samples / fs / frame_period) + 1``.
    time_axis : numpy.ndarray, shape (n_frames,)
        Frame centres in seconds.

    Raises
    ------
    ParameterError
        If ``x`` is not a finite 1-D array or an option is out of range.

    Examples
    --------
    >>> fs = 16000
    >>> t = np.arange(fs // 2) / fs
    >>> x = np.sin(2 * np.pi * 150 * t) + 0.5 * np.sin(2 * np.pi * 300 * t)
    >>> f0, time_axis = extract_f0(x, fs, method="dio", f0_floor=60, f0_ceil=400)
    >>> f0.shape, bool(abs(np.median(f0[f0 > 0]) - 150) < 2)
    ((101,), True)
    """
    fs = check_fs(fs)
    method = check_choice(method, "method", F0_METHODS)
    f0_floor, f0_ceil = _check_f0_range(f0_floor, f0_ceil, fs)
    frame_period = float(check_positive(frame_period, "frame_period"))
    x = as_float_array(x, "x", ndim=1, min_len=1)
    return _f0(x, fs, method, f0_floor, f0_ceil, frame_period)


def analyze(x: Any, config: AnalysisConfig) -> WorldFeatures:
    """Run WORLD analysis (F0, CheapTrick envelope, D4C aperiodicity) on a waveform.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Mono waveform sampled at ``config.fs``; finite, not all zeros and at
        least three frame periods long.
    config : AnalysisConfig
        Analysis settings; :meth:`AnalysisConfig.resolved` fills in the FFT
        size. An unset ``f0_floor``/``f0_ceil`` means the wide range
        ``gmmvc.config.WIDE_F0_FLOOR``--``WIDE_F0_CEIL`` (40--800 Hz).

    Returns
    -------
    WorldFeatures
        ``f0`` (T,), ``sp`` and ``ap`` (T, fft_size // 2 + 1).

    Raises
    ------
    ParameterError
        If ``x`` is not 1-D, contains NaN or infinity, is too short or all
        zeros, has samples so large that WORLD overflows, or ``config`` is
        invalid.

    Notes
    -----
    CheapTrick cannot resolve an F0 below ``3 * fs / (fft_size - 3)`` Hz
    (47 Hz at 16 kHz with the default FFT size) and treats such frames as
    unvoiced when estimating the envelope.

    Examples
    --------
    >>> fs = 16000
    >>> t = np.arange(fs // 2) / fs
    >>> x = np.sin(2 * np.pi * 150 * t) + 0.5 * np.sin(2 * np.pi * 300 * t)
    >>> w = analyze(x, AnalysisConfig(fs=fs, f0_method="dio"))
    >>> w.f0.shape, w.sp.shape, w.ap.shape
    ((101,), (101, 513), (101, 513))
    """
    cfg = config.resolved()
    x, f0, time_axis, sp = _f0_and_envelope(x, cfg)
    import pyworld

    ap = pyworld.d4c(x, f0, time_axis, cfg.fs, fft_size=cast(int, cfg.fft_size))
    check_finite_result(ap, "analyze", "x (audio samples are nominally within [-1, 1])")
    return WorldFeatures(f0=f0, sp=sp, ap=ap, fs=cfg.fs, frame_period=cfg.frame_period)


def analyze_envelope(x: Any, config: AnalysisConfig) -> tuple[np.ndarray, np.ndarray]:
    """Run WORLD's F0 estimation and CheapTrick only: :func:`analyze` without D4C.

    Differential conversion filters the source waveform and never uses its
    aperiodicity; skipping D4C saves its share of the analysis time.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Mono waveform at ``config.fs`` (the same checks as :func:`analyze`).
    config : AnalysisConfig

    Returns
    -------
    f0 : numpy.ndarray, shape (T,)
    sp : numpy.ndarray, shape (T, fft_size // 2 + 1)
        Identical to :func:`analyze`'s ``f0`` and ``sp``.

    Raises
    ------
    ParameterError
        As :func:`analyze`.

    Examples
    --------
    >>> fs = 16000
    >>> x = np.sin(2 * np.pi * 150 * np.arange(fs // 2) / fs)
    >>> cfg = AnalysisConfig(fs=fs, f0_method="dio")
    >>> f0, sp = analyze_envelope(x, cfg)
    >>> bool(np.array_equal(sp, analyze(x, cfg).sp)), sp.shape
    (True, (101, 513))
    """
    cfg = config.resolved()
    _, f0, _, sp = _f0_and_envelope(x, cfg)
    return f0, sp


def _f0_and_envelope(
    x: Any, cfg: AnalysisConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check the waveform, then run F0 estimation and CheapTrick (``cfg`` resolved)."""
    x = _check_waveform(x, "x", cfg.fs, cfg.frame_period)
    f0_floor = WIDE_F0_FLOOR if cfg.f0_floor is None else float(cfg.f0_floor)
    f0_ceil = WIDE_F0_CEIL if cfg.f0_ceil is None else float(cfg.f0_ceil)
    f0_floor, f0_ceil = _check_f0_range(f0_floor, f0_ceil, cfg.fs)

    import pyworld

    f0, time_axis = _f0(x, cfg.fs, cfg.f0_method, f0_floor, f0_ceil, cfg.frame_period)
    sp = pyworld.cheaptrick(x, f0, time_axis, cfg.fs, fft_size=cast(int, cfg.fft_size))
    for result in (f0, sp):
        check_finite_result(result, "analyze", "x (audio samples are nominally within [-1, 1])")
    logger.debug(
        "analyzed %d samples: %d frames, %.0f%% voiced",
        x.shape[0],
        f0.shape[0],
        100 * np.mean(f0 > 0),
    )
    return x, f0, time_axis, sp


def estimate_f0_range(
    waveforms: Sequence[np.ndarray] | np.ndarray,
    fs: int,
    *,
    frame_period: float = 5.0,
    max_duration: float | None = 120.0,
) -> tuple[float, float]:
    r"""Estimate a speaker's F0 search range from their training audio.

    A first pass of DIO + StoneMask with the wide range (40--800 Hz) runs over
    the audio; the quartiles ``Q1``, ``Q3`` of the voiced frames' F0 then give

    .. math:: f_{\mathrm{floor}} = 0.75\,Q_1, \qquad f_{\mathrm{ceil}} = 1.5\,Q_3,

    the two-pass rule of De Looze and Hirst [1]_, both clipped to 40--1000 Hz
    and below the Nyquist frequency. Quartiles, unlike the extremes, are
    hardly moved by the first pass's octave errors.

    Parameters
    ----------
    waveforms : sequence of array_like, each shape (n_samples,)
        The speaker's utterances at ``fs`` (a single 1-D array is one utterance).
    fs : int
        Sample rate in Hz.
    frame_period : float, default 5.0
        Frame shift in milliseconds of the first pass.
    max_duration : float or None, default 120.0
        Analyse about this many seconds, taking utterances evenly spread over
        the list; ``None`` analyses everything.

    Returns
    -------
    f0_floor, f0_ceil : float
        Search range in Hz for :class:`AnalysisConfig`.

    Raises
    ------
    ParameterError
        If a waveform is not a finite 1-D array or an option is invalid.
    GmmvcError
        If no frame of the analysed audio is voiced.

    References
    ----------
    .. [1] C. De Looze and D. J. Hirst, "Detecting changes in key and range
       for the automatic modelling and coding of intonation", Proc. Speech
       Prosody 2008, Campinas, pp. 135-138.

    Examples
    --------
    >>> fs = 16000
    >>> t = np.arange(fs // 2) / fs
    >>> x = np.sin(2 * np.pi * 150 * t) + 0.5 * np.sin(2 * np.pi * 300 * t)
    >>> lo, hi = estimate_f0_range([x], fs)
    >>> bool(lo < 150 < hi)
    True
    """
    fs = check_fs(fs)
    frame_period = float(check_positive(frame_period, "frame_period"))
    if max_duration is not None:
        max_duration = float(check_positive(max_duration, "max_duration"))
    if isinstance(waveforms, np.ndarray) and waveforms.ndim == 1:
        waveforms = [waveforms]
    if len(waveforms) == 0:
        raise ParameterError("waveforms: expected at least one waveform, got an empty sequence")
    arrays = [as_float_array(w, f"waveforms[{i}]", ndim=1) for i, w in enumerate(waveforms)]
    chosen = _spread_subset([a.shape[0] / fs for a in arrays], max_duration)
    voiced = []
    for i in chosen:
        if arrays[i].shape[0] == 0:
            continue
        f0, _ = _f0(arrays[i], fs, "dio", WIDE_F0_FLOOR, WIDE_F0_CEIL, frame_period)
        voiced.append(f0[f0 > 0])
    f0_all = np.concatenate(voiced) if voiced else np.zeros(0)
    if f0_all.size == 0:
        raise GmmvcError(
            f"estimate_f0_range: no voiced frames in {len(chosen)} analysed waveform(s); "
            "expected speech - check that the audio is not silent or noise, or set "
            "f0_floor and f0_ceil in AnalysisConfig by hand"
        )
    q1, q3 = np.percentile(f0_all, [25.0, 75.0])
    lo, hi = F0_RANGE_LIMITS
    hi = min(hi, 0.5 * fs * 0.99)
    f0_floor = float(np.clip(F0_FLOOR_FACTOR * q1, lo, hi))
    f0_ceil = float(np.clip(F0_CEIL_FACTOR * q3, lo, hi))
    logger.info(
        "F0 range from %d voiced frames: Q1 %.1f Hz, Q3 %.1f Hz -> %.1f-%.1f Hz",
        f0_all.size,
        q1,
        q3,
        f0_floor,
        f0_ceil,
    )
    return f0_floor, f0_ceil


def _f0(
    x: np.ndarray, fs: int, method: str, f0_floor: float, f0_ceil: float, frame_period: float
) -> tuple[np.ndarray, np.ndarray]:
    """Run the WORLD F0 estimator on checked inputs; (T,), (T,)."""
    import pyworld

    if method == "harvest":
        return pyworld.harvest(x, fs, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=frame_period)
    f0, time_axis = pyworld.dio(
        x, fs, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=frame_period
    )
    return pyworld.stonemask(x, f0, time_axis, fs), time_axis


def _check_f0_range(f0_floor: Any, f0_ceil: Any, fs: int) -> tuple[float, float]:
    """Check ``0 < f0_floor < f0_ceil < fs / 2`` and return them as floats."""
    f0_floor = float(check_positive(f0_floor, "f0_floor"))
    f0_ceil = float(check_positive(f0_ceil, "f0_ceil"))
    if not f0_floor < f0_ceil:
        raise ParameterError(
            f"f0_floor/f0_ceil: expected f0_floor < f0_ceil, got {f0_floor} and {f0_ceil}"
        )
    if f0_ceil >= fs / 2:
        raise ParameterError(
            f"f0_ceil: expected below the Nyquist frequency {fs / 2} Hz, got {f0_ceil}"
        )
    return f0_floor, f0_ceil


def _check_waveform(x: Any, name: str, fs: int, frame_period: float) -> np.ndarray:
    """Check that ``x`` is a finite, non-silent 1-D waveform long enough to analyse."""
    arr = as_float_array(x, name, ndim=1, min_len=1)
    min_samples = int(np.ceil(MIN_FRAME_PERIODS * frame_period * fs / 1000.0))
    if arr.shape[0] < min_samples:
        raise ParameterError(
            f"{name}: expected at least {min_samples} samples ({MIN_FRAME_PERIODS} frame "
            f"periods of {frame_period} ms at {fs} Hz), got {arr.shape[0]}; pass a longer "
            "waveform"
        )
    if not np.any(arr):
        raise ParameterError(
            f"{name}: expected a signal, got all zeros (digital silence); check the file "
            "or drop this utterance"
        )
    return arr


def _spread_subset(durations: Sequence[float], max_duration: float | None) -> list[int]:
    """Pick utterances spread evenly over the list, about ``max_duration`` s in all."""
    n = len(durations)
    total = float(sum(durations))
    if max_duration is None or total <= max_duration:
        return list(range(n))
    step = total / max_duration  # > 1
    return sorted({int(i) for i in np.arange(0.0, n, step)})
