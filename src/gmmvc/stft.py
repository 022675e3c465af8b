r"""The STFT backend: magnitude, mel, log-mel and mel-cepstral features; NNLS and Griffin-Lim.

A second analysis/synthesis route next to WORLD, for the same joint GMM:

``waveform -> |STFT| -> mel filterbank -> log -> (normalise) -> features``

and back

``features -> log-mel -> exp -> NNLS mel inversion -> |STFT| -> Griffin-Lim -> waveform``.

F0 is neither analysed nor converted here: the pitch of the output is whatever
the magnitude spectrogram carries (the source's, in conversion).

The module has three parts:

* the signal stages (:class:`StftConfig`, :func:`stft`, :func:`mel_spectrogram`,
  :func:`log_mel`, :func:`normalize_log_mel`, :func:`mel_cepstrum`,
  :func:`mel_to_linear`, :func:`griffin_lim`);
* round-trip measures that re-analyse a resynthesised waveform against the
  original (:func:`log_spectral_distance`, :func:`spectral_convergence`,
  :func:`score_resynthesis`, :func:`roundtrip_table`);
* a joint-GMM conversion on these features built from the same blocks as the
  WORLD route (:func:`fit_stft_converter`, :class:`StftConverter`,
  :func:`evaluate_stft_converter`), saved to and loaded from model files with
  the same layout and checks as the WORLD route's
  (:func:`save_stft_converter`, :func:`read_stft_model_file`).

Frames are first everywhere, ``(n_frames, n_bins)``; librosa's
``(n_bins, n_frames)`` layout stays inside this module. With ``center=True``
framing and ``hop_length = fs * frame_period / 1000`` the STFT has exactly as
many frames as WORLD analysis of the same waveform (``n_samples // hop + 1``),
frame ``t`` centred on sample ``t * hop`` in both, so the two can be compared
frame by frame.

Notes
-----
The joint density, MLPG and the alignment follow Toda, Black and Tokuda
(2007), exactly as in the WORLD route. Griffin-Lim is the "fast" variant with
momentum of Perraudin, Balazs and Soendergaard (2013), as librosa implements
it; the mel inversion is librosa's non-negative least squares.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import as_float_array, check_choice, check_fs, check_n_jobs, check_positive
from .alignment import Alignment, align_frames, joint_vectors
from .analysis import estimate_f0_range
from .config import AnalysisConfig
from .conversion import convert_mlpg, convert_mlpg_em, convert_mmse
from .deltas import DEFAULT_WINDOWS, apply_windows
from .exceptions import GmmvcError, ParameterError
from .features import Features, estimate_power_threshold, extract_features, frame_power_db
from .features import speech_mask as _speech_mask
from .gmm import JointGMM
from .metrics import UtteranceScore, log_f0_rmse, mel_cepstral_distortion, score_features, vuv_error
from .model import (
    _CONFIG_CODEC,
    _STFT_FORMAT_NAME,
    _checked_metadata,
    _Codec,
    _dataclass_codec,
    _decode_fields,
    _decode_float,
    _decode_gmm,
    _decode_info,
    _decode_windows,
    _encode_float,
    _encode_gmm,
    _encode_info,
    _encode_windows,
    _open_archive,
    _optional,
    _write_archive,
)
from .synthesis import PEAK_LIMIT, synthesize

__all__ = [
    "NORMALIZATIONS",
    "STFT_FEATURES",
    "PHASE_INITS",
    "STFT_MODES",
    "ROUNDTRIP_ROUTES",
    "StftConfig",
    "stft",
    "stft_magnitude",
    "mel_filterbank",
    "mel_spectrogram",
    "log_mel",
    "MelStats",
    "mel_stats",
    "normalize_log_mel",
    "denormalize_log_mel",
    "mel_cepstrum",
    "inverse_mel_cepstrum",
    "mel_to_linear",
    "griffin_lim",
    "log_spectral_distance",
    "spectral_convergence",
    "ResynthesisScore",
    "score_resynthesis",
    "resynthesize",
    "RoundTripRow",
    "roundtrip_table",
    "StftConverter",
    "estimate_speaker_analysis",
    "fit_stft_converter",
    "StftPairEvaluation",
    "evaluate_stft_converter",
    "STFT_MODEL_FORMAT_VERSION",
    "StftModelFile",
    "save_stft_converter",
    "read_stft_model_file",
    "load_stft_converter",
]

logger = logging.getLogger(__name__)

#: Log-mel normalisations: none, a fixed range from the floor to full scale, or
#: per-channel mean and standard deviation measured on training data.
NORMALIZATIONS = ("none", "range", "meanstd")

#: Static features the GMM can be trained on.
STFT_FEATURES = ("logmel", "mfcc")

#: Griffin-Lim phase initialisations: random (librosa's) or a given phase.
PHASE_INITS = ("random", "source")

#: Round trips measured by :func:`roundtrip_table`.
ROUNDTRIP_ROUTES = ("linear", "mel", "world")

#: Smallest per-channel standard deviation (natural-log units) used by ``meanstd``.
MIN_MEL_STD = 1e-3

#: Conversion modes this backend supports (those of the WORLD route without GV).
STFT_MODES = ("mmse", "mlpg", "mlpg_em")
_MODES = STFT_MODES


# --------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class StftConfig:
    """Settings of STFT analysis, mel features and Griffin-Lim resynthesis.

    Parameters
    ----------
    fs : int, default 16000
        Sample rate in Hz.
    n_fft : int, default 1024
        FFT size; the magnitude has ``n_fft // 2 + 1`` bins (513, the WORLD
        envelope grid at 16 kHz). Even.
    hop_length : int, default 80
        Frame shift in samples: 80 is 5 ms at 16 kHz, WORLD's frame period.
    win_length : int, default 400
        Window length in samples (25 ms at 16 kHz), zero-padded to ``n_fft``;
        ``hop_length <= win_length <= n_fft``.
    window : str, default 'hann'
        Window name :func:`scipy.signal.get_window` knows.
    preemphasis : float, default 0.0
        Coefficient ``a`` of the pre-emphasis ``x[n] - a x[n-1]`` applied before
        the STFT and undone (``1 / (1 - a z^-1)``) after Griffin-Lim;
        ``0 <= a < 1``, 0 is off.
    power : float, default 1.0
        Exponent of the magnitude summed by the mel filterbank: 1 (magnitude)
        or 2 (power), or any positive value.
    n_mels : int, default 80
        Number of mel bands (Slaney mel scale and area-normalised triangles,
        librosa's defaults).
    fmin : float, default 0.0
        Lowest band edge in Hz, ``>= 0``.
    fmax : float, optional
        Highest band edge in Hz, at most ``fs / 2`` (``None``: ``fs / 2``).
    amin : float, default 1e-5
        Floor of the mel spectrogram before the logarithm, ``0 < amin < 1``
        (-100 dB for magnitudes).
    normalization : {'none', 'range', 'meanstd'}, default 'none'
        Normalisation of the log-mel spectrogram: none; ``'range'`` maps the
        fixed range ``[log(amin), 0]`` to ``[0, 1]`` (affine, not clipped);
        ``'meanstd'`` standardises each mel channel with statistics measured
        on training data (:class:`MelStats`).
    order : int, default 24
        Order of the mel-cepstrum (``order + 1`` coefficients, c0 first) used
        as GMM features by ``features='mfcc'``; ``order < n_mels``.
    n_iter : int, default 100
        Griffin-Lim iterations.
    momentum : float, default 0.99
        Griffin-Lim momentum, ``0 <= momentum <= 1`` (0: the original
        algorithm; 0.99: the "fast" variant, librosa's default).

    Examples
    --------
    >>> cfg = StftConfig()
    >>> cfg.n_bins, cfg.frame_period
    (513, 5.0)
    >>> StftConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    fs: int = 16000
    n_fft: int = 1024
    hop_length: int = 80
    win_length: int = 400
    window: str = "hann"
    preemphasis: float = 0.0
    power: float = 1.0
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float | None = None
    amin: float = 1e-5
    normalization: str = "none"
    order: int = 24
    n_iter: int = 100
    momentum: float = 0.99

    @property
    def n_bins(self) -> int:
        """Number of frequency bins, ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    @property
    def frame_period(self) -> float:
        """Frame shift in milliseconds, ``1000 * hop_length / fs``."""
        return 1000.0 * self.hop_length / self.fs

    def validate(self) -> StftConfig:
        """Check every field and return ``self``.

        Returns
        -------
        StftConfig
            ``self``.

        Raises
        ------
        ParameterError
            If a field is out of range; the message names the field.

        Examples
        --------
        >>> StftConfig(hop_length=160).validate().frame_period  # 10 ms at 16 kHz
        10.0
        >>> StftConfig(n_fft=1023).validate()
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.ParameterError: n_fft: expected an even FFT size, got 1023
        >>> StftConfig(n_mels=20).validate()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.ParameterError: order: expected order < n_mels = 20 (...), got 24
        """
        fs = check_fs(self.fs, "fs")
        check_positive(self.n_fft, "n_fft", integer=True)
        if self.n_fft % 2:
            raise ParameterError(f"n_fft: expected an even FFT size, got {self.n_fft}")
        check_positive(self.hop_length, "hop_length", integer=True)
        check_positive(self.win_length, "win_length", integer=True)
        if not self.hop_length <= self.win_length <= self.n_fft:
            raise ParameterError(
                f"win_length: expected hop_length <= win_length <= n_fft, got hop_length "
                f"{self.hop_length}, win_length {self.win_length}, n_fft {self.n_fft}"
            )
        _check_window(self.window, self.win_length)
        if isinstance(self.preemphasis, bool) or not 0.0 <= float(self.preemphasis) < 1.0:
            raise ParameterError(
                f"preemphasis: expected a coefficient 0 <= a < 1 (0 is off), got "
                f"{self.preemphasis!r}"
            )
        check_positive(self.power, "power")
        check_positive(self.n_mels, "n_mels", integer=True)
        if isinstance(self.fmin, bool) or not 0.0 <= float(self.fmin) < fs / 2:
            raise ParameterError(
                f"fmin: expected 0 <= fmin < {fs / 2} Hz (the Nyquist frequency), got {self.fmin!r}"
            )
        if self.fmax is not None:
            fmax = float(check_positive(self.fmax, "fmax"))
            if not float(self.fmin) < fmax <= fs / 2:
                raise ParameterError(
                    f"fmax: expected fmin < fmax <= {fs / 2} Hz (the Nyquist frequency), "
                    f"got fmin {self.fmin} and fmax {self.fmax}"
                )
        amin = float(check_positive(self.amin, "amin"))
        if not amin < 1.0:
            raise ParameterError(
                f"amin: expected a log floor 0 < amin < 1, got {self.amin!r} (e.g. 1e-5)"
            )
        check_choice(self.normalization, "normalization", NORMALIZATIONS)
        check_positive(self.order, "order", integer=True)
        if not self.order < self.n_mels:
            raise ParameterError(
                f"order: expected order < n_mels = {self.n_mels} (order + 1 coefficients of "
                f"the n_mels-point DCT), got {self.order}"
            )
        check_positive(self.n_iter, "n_iter", integer=True)
        if isinstance(self.momentum, bool) or not 0.0 <= float(self.momentum) <= 1.0:
            raise ParameterError(
                f"momentum: expected 0 <= momentum <= 1 (0.99 is the fast Griffin-Lim), "
                f"got {self.momentum!r}"
            )
        return self

    def replace(self, **changes: Any) -> StftConfig:
        """Return a copy with ``changes`` applied and validated.

        Examples
        --------
        >>> cfg = StftConfig()
        >>> wide = cfg.replace(hop_length=160, win_length=800)
        >>> wide.frame_period, cfg.frame_period  # the original is unchanged
        (10.0, 5.0)
        >>> cfg.replace(win_length=2048)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.ParameterError: win_length: expected hop_length <= win_length <= n_fft, ...
        """
        return dataclasses.replace(self, **changes).validate()

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-serialisable dict.

        Examples
        --------
        >>> import json
        >>> d = StftConfig(n_mels=40, order=12).to_dict()
        >>> d["n_mels"], d["order"], d["fmax"]
        (40, 12, None)
        >>> json.loads(json.dumps(d)) == d
        True
        """
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StftConfig:
        """Build settings from :meth:`to_dict` output.

        Raises
        ------
        ParameterError
            If ``data`` has unknown keys or invalid values.

        Examples
        --------
        >>> cfg = StftConfig(n_mels=40, order=12, normalization="meanstd")
        >>> StftConfig.from_dict(cfg.to_dict()) == cfg
        True
        >>> StftConfig.from_dict({"n_mel": 40})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.ParameterError: STFT settings: unknown key(s) ['n_mel']; expected ...
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ParameterError(
                f"STFT settings: unknown key(s) {unknown}; expected a subset of {sorted(names)}"
            )
        return cls(**data).validate()


def _check_window(window: Any, win_length: int) -> None:
    from scipy.signal import get_window

    if not isinstance(window, str):
        raise ParameterError(f"window: expected a window name such as 'hann', got {window!r}")
    try:
        get_window(window, int(win_length))
    except (ValueError, TypeError) as exc:
        raise ParameterError(
            f"window: expected a window name scipy.signal.get_window knows ('hann', "
            f"'hamming', 'blackman', ...), got {window!r} ({exc})"
        ) from None


def _check_config(config: Any) -> StftConfig:
    if not isinstance(config, StftConfig):
        raise ParameterError(
            f"config: expected a StftConfig, got {type(config).__name__}; build one with "
            "gmmvc.stft.StftConfig(...)"
        )
    return config.validate()


def _stft_kwargs(cfg: StftConfig) -> dict[str, Any]:
    """Return the framing shared by every STFT, inverse STFT and Griffin-Lim call."""
    return {
        "n_fft": cfg.n_fft,
        "hop_length": cfg.hop_length,
        "win_length": cfg.win_length,
        "window": cfg.window,
        "center": True,
    }


# --------------------------------------------------------------------------
# analysis
# --------------------------------------------------------------------------


def stft(x: Any, config: StftConfig) -> np.ndarray:
    """Complex short-time Fourier transform, frames first, after optional pre-emphasis.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Finite mono waveform at ``config.fs``.
    config : StftConfig
        Framing (``n_fft``, ``hop_length``, ``win_length``, ``window``) and
        ``preemphasis``.

    Returns
    -------
    numpy.ndarray of complex128, shape (n_samples // hop_length + 1, n_fft // 2 + 1)
        Centred frames: frame ``t`` is centred on sample ``t * hop_length``
        (zero padding at the edges), as WORLD's frame ``t``.

    Raises
    ------
    ParameterError
        If ``x`` is not a finite 1-D array with at least one sample, or
        ``config`` is invalid.

    Examples
    --------
    >>> stft(np.zeros(16000), StftConfig()).shape
    (201, 513)
    """
    cfg = _check_config(config)
    x = as_float_array(x, "x", ndim=1, min_len=1)
    import librosa

    spec = librosa.stft(_preemphasize(x, cfg.preemphasis), **_stft_kwargs(cfg), pad_mode="constant")
    return np.ascontiguousarray(spec.T)


def stft_magnitude(x: Any, config: StftConfig) -> np.ndarray:
    """Magnitude ``|STFT|`` of a waveform, frames first.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Finite mono waveform at ``config.fs``.
    config : StftConfig

    Returns
    -------
    numpy.ndarray, shape (n_samples // hop_length + 1, n_fft // 2 + 1)
        Non-negative magnitudes.

    Raises
    ------
    ParameterError
        As :func:`stft`.

    Examples
    --------
    >>> fs = 16000
    >>> x = np.sin(2 * np.pi * 1000 * np.arange(fs) / fs)
    >>> int(np.argmax(stft_magnitude(x, StftConfig())[100]))  # 1000 Hz at 15.625 Hz per bin
    64
    """
    return np.abs(stft(x, config))


def _preemphasize(x: np.ndarray, coef: float) -> np.ndarray:
    if not coef:
        return x
    from scipy.signal import lfilter

    return np.asarray(lfilter([1.0, -coef], [1.0], x), dtype=np.float64)


def _deemphasize(x: np.ndarray, coef: float) -> np.ndarray:
    if not coef:
        return x
    from scipy.signal import lfilter

    return np.asarray(lfilter([1.0], [1.0, -coef], x), dtype=np.float64)


@functools.lru_cache(maxsize=16)
def _mel_basis(fs: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    import librosa

    basis = np.asarray(
        librosa.filters.mel(
            sr=fs, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float64
        ),
        dtype=np.float64,
    )
    basis.flags.writeable = False
    return basis


def mel_filterbank(config: StftConfig) -> np.ndarray:
    """Return the mel filterbank of ``config`` (librosa's Slaney scale, area-normalised).

    Parameters
    ----------
    config : StftConfig
        ``fs``, ``n_fft``, ``n_mels``, ``fmin`` and ``fmax`` are used.

    Returns
    -------
    numpy.ndarray, shape (n_mels, n_fft // 2 + 1)
        Non-negative, read-only (cached per setting).

    Raises
    ------
    ParameterError
        If ``config`` is invalid.

    Examples
    --------
    >>> fb = mel_filterbank(StftConfig())
    >>> fb.shape, bool(fb.min() >= 0)
    ((80, 513), True)
    """
    cfg = _check_config(config)
    fmax = None if cfg.fmax is None else float(cfg.fmax)
    return _mel_basis(cfg.fs, cfg.n_fft, cfg.n_mels, float(cfg.fmin), fmax)


def _check_magnitude(magnitude: Any, name: str, n_bins: int) -> np.ndarray:
    arr = as_float_array(magnitude, name, ndim=2, min_len=1)
    if arr.shape[1] != n_bins:
        raise ParameterError(
            f"{name}: expected {n_bins} frequency bins (n_fft // 2 + 1) per frame, got shape "
            f"{arr.shape}; pass frames first, (n_frames, n_bins), with the config's n_fft"
        )
    if np.any(arr < 0):
        raise ParameterError(
            f"{name}: expected non-negative magnitudes, got minimum {float(arr.min()):g}; "
            "pass numpy.abs of the STFT"
        )
    return arr


def mel_spectrogram(magnitude: Any, config: StftConfig) -> np.ndarray:
    """Mel spectrogram ``|S|^power @ fb.T`` of a magnitude spectrogram.

    Parameters
    ----------
    magnitude : array_like, shape (n_frames, n_fft // 2 + 1)
        Non-negative STFT magnitudes, frames first.
    config : StftConfig
        ``power`` and the filterbank settings.

    Returns
    -------
    numpy.ndarray, shape (n_frames, n_mels)
        Non-negative band energies (in units of magnitude to the ``power``).

    Raises
    ------
    ParameterError
        If ``magnitude`` is negative, not finite or has the wrong number of bins.

    Examples
    --------
    >>> mel_spectrogram(np.ones((3, 513)), StftConfig()).shape
    (3, 80)
    """
    cfg = _check_config(config)
    mag = _check_magnitude(magnitude, "magnitude", cfg.n_bins)
    return np.power(mag, cfg.power) @ mel_filterbank(cfg).T


def log_mel(mel: Any, config: StftConfig) -> np.ndarray:
    """Log compression ``log(max(mel, amin))`` (natural log).

    Parameters
    ----------
    mel : array_like, shape (n_frames, n_mels)
        Non-negative mel spectrogram.
    config : StftConfig
        ``amin`` is the floor.

    Returns
    -------
    numpy.ndarray, shape (n_frames, n_mels)
        At least ``log(amin)``.

    Raises
    ------
    ParameterError
        If ``mel`` is negative or not finite.

    Examples
    --------
    >>> log_mel(np.array([[0.0, 1.0]]), StftConfig(n_mels=2, order=1)).round(4) + 0.0
    array([[-11.5129,   0.    ]])
    """
    cfg = _check_config(config)
    arr = as_float_array(mel, "mel", ndim=2)
    if arr.size and np.any(arr < 0):
        raise ParameterError(
            f"mel: expected a non-negative mel spectrogram, got minimum {float(arr.min()):g}"
        )
    return np.log(np.maximum(arr, cfg.amin))


@dataclass(frozen=True, eq=False)
class MelStats:
    """Per-channel mean and standard deviation of a log-mel spectrogram.

    Parameters
    ----------
    mean : numpy.ndarray, shape (n_mels,)
    std : numpy.ndarray, shape (n_mels,)
        Strictly positive.

    Raises
    ------
    ParameterError
        If the arrays are not finite, differ in length or a deviation is not
        positive.

    Examples
    --------
    Usually measured by :func:`mel_stats`; given, they normalise each channel:

    >>> stats = MelStats(mean=np.array([-2.0, -4.0]), std=np.array([1.0, 2.0]))
    >>> cfg = StftConfig(n_mels=2, order=1, normalization="meanstd")
    >>> normalize_log_mel(np.array([[-1.0, -2.0]]), cfg, stats=stats)
    array([[1., 1.]])
    >>> stats.to_dict()
    {'mean': [-2.0, -4.0], 'std': [1.0, 2.0]}
    >>> MelStats(mean=np.zeros(2), std=np.zeros(2))
    Traceback (most recent call last):
    ...
    gmmvc.exceptions.ParameterError: std: expected strictly positive standard deviations
    """

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self) -> None:
        mean = as_float_array(self.mean, "mean", ndim=1, min_len=1)
        std = as_float_array(self.std, "std", ndim=1, n_cols=mean.shape[0])
        if np.any(std <= 0):
            raise ParameterError("std: expected strictly positive standard deviations")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    def to_dict(self) -> dict[str, list[float]]:
        """Return the statistics as lists (JSON-serialisable).

        Examples
        --------
        >>> import json
        >>> stats = MelStats(mean=np.array([-2.0, -4.0]), std=np.array([1.0, 2.0]))
        >>> d = stats.to_dict()
        >>> d
        {'mean': [-2.0, -4.0], 'std': [1.0, 2.0]}
        >>> again = MelStats(**json.loads(json.dumps(d)))  # arrays again
        >>> bool(np.array_equal(again.mean, stats.mean) and np.array_equal(again.std, stats.std))
        True
        """
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}


def mel_stats(log_mels: Sequence[np.ndarray] | np.ndarray) -> MelStats:
    """Per-channel statistics of log-mel frames, pooled over utterances.

    Parameters
    ----------
    log_mels : array_like or sequence of array_like, each shape (n_frames, n_mels)
        Log-mel spectrograms (typically one speaker's training speech frames).

    Returns
    -------
    MelStats
        Mean and population standard deviation per channel, the deviation
        floored at ``MIN_MEL_STD``.

    Raises
    ------
    ParameterError
        If there are no frames or the channel counts differ.

    Examples
    --------
    >>> st = mel_stats([np.array([[0.0, 1.0], [2.0, 1.0]])])
    >>> st.mean, st.std
    (array([1., 1.]), array([1.   , 0.001]))
    """
    if isinstance(log_mels, np.ndarray):
        parts = [as_float_array(log_mels, "log_mels", ndim=2)]
    else:
        parts = [as_float_array(m, f"log_mels[{i}]", ndim=2) for i, m in enumerate(log_mels)]
    if not parts or sum(p.shape[0] for p in parts) == 0:
        raise ParameterError("log_mels: expected at least one frame, got none")
    if len({p.shape[1] for p in parts}) != 1:
        raise ParameterError(
            "log_mels: expected the same number of mel channels in every utterance, got "
            f"{sorted({p.shape[1] for p in parts})}"
        )
    pooled = np.vstack(parts)
    return MelStats(mean=pooled.mean(axis=0), std=np.maximum(pooled.std(axis=0), MIN_MEL_STD))


def _norm_affine(
    cfg: StftConfig, stats: MelStats | None, n_mels: int
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Offset and scale with ``normalised = (log_mel - offset) / scale``."""
    if cfg.normalization == "none":
        return 0.0, 1.0
    if cfg.normalization == "range":
        floor = math.log(cfg.amin)
        return floor, -floor
    if stats is None:
        raise ParameterError(
            "stats: normalization='meanstd' needs per-channel statistics; compute them on "
            "training data with mel_stats(...) and pass stats=..."
        )
    if stats.mean.shape[0] != n_mels:
        raise ParameterError(
            f"stats: expected statistics of {n_mels} mel channels, got {stats.mean.shape[0]}"
        )
    return stats.mean, stats.std


def normalize_log_mel(
    log_mel_spec: Any, config: StftConfig, *, stats: MelStats | None = None
) -> np.ndarray:
    """Normalise a log-mel spectrogram as ``config.normalization`` says.

    Parameters
    ----------
    log_mel_spec : array_like, shape (n_frames, n_mels)
        Output of :func:`log_mel`.
    config : StftConfig
    stats : MelStats, optional
        Required for ``normalization='meanstd'``; ignored otherwise.

    Returns
    -------
    numpy.ndarray, shape (n_frames, n_mels)
        ``'none'``: unchanged; ``'range'``: ``(v - log amin) / (-log amin)``,
        the floor at 0 and full scale (``v = 0``) at 1; ``'meanstd'``:
        ``(v - mean) / std`` per channel. Always affine, hence exactly undone
        by :func:`denormalize_log_mel`.

    Raises
    ------
    ParameterError
        If ``stats`` is missing or of the wrong size for ``'meanstd'``.

    Examples
    --------
    >>> cfg = StftConfig(normalization="range", n_mels=2, order=1)
    >>> normalize_log_mel(np.log([[1e-5, 1.0]]), cfg).round(12) + 0.0
    array([[0., 1.]])
    """
    cfg = _check_config(config)
    arr = as_float_array(log_mel_spec, "log_mel_spec", ndim=2, n_cols=cfg.n_mels)
    offset, scale = _norm_affine(cfg, stats, cfg.n_mels)
    return (arr - offset) / scale


def denormalize_log_mel(
    normalized: Any, config: StftConfig, *, stats: MelStats | None = None
) -> np.ndarray:
    """Undo :func:`normalize_log_mel`.

    Parameters
    ----------
    normalized : array_like, shape (n_frames, n_mels)
    config : StftConfig
    stats : MelStats, optional
        The statistics used to normalise (``'meanstd'`` only).

    Returns
    -------
    numpy.ndarray, shape (n_frames, n_mels)
        The log-mel spectrogram.

    Raises
    ------
    ParameterError
        As :func:`normalize_log_mel`.

    Examples
    --------
    >>> cfg = StftConfig(normalization="range", n_mels=2, order=1)
    >>> v = np.array([[-3.0, 0.5]])
    >>> bool(np.allclose(denormalize_log_mel(normalize_log_mel(v, cfg), cfg), v))
    True
    """
    cfg = _check_config(config)
    arr = as_float_array(normalized, "normalized", ndim=2, n_cols=cfg.n_mels)
    offset, scale = _norm_affine(cfg, stats, cfg.n_mels)
    return arr * scale + offset


def mel_cepstrum(log_mel_spec: Any) -> np.ndarray:
    """Mel-cepstrum of a log-mel spectrogram: its orthonormal DCT-II along the bands.

    This is the cepstrum of the mel-frequency envelope in the MFCC sense, not
    SPTK's all-pass mel-cepstrum (:func:`gmmvc.features.sp_to_mcep`). All
    ``n_mels`` coefficients are returned, so :func:`inverse_mel_cepstrum`
    undoes it exactly; the first ``order + 1`` (c0 first) are the smooth
    envelope, the rest the fine structure (harmonics resolved by the low bands).

    Parameters
    ----------
    log_mel_spec : array_like, shape (n_frames, n_mels)

    Returns
    -------
    numpy.ndarray, shape (n_frames, n_mels)

    Raises
    ------
    ParameterError
        If the input is not a finite 2-D array.

    Examples
    --------
    >>> c = mel_cepstrum(np.full((1, 4), 2.0))  # a flat spectrum: c0 only
    >>> c.round(12) + 0.0
    array([[4., 0., 0., 0.]])
    """
    from scipy.fft import dct

    arr = as_float_array(log_mel_spec, "log_mel_spec", ndim=2)
    return np.asarray(dct(arr, type=2, norm="ortho", axis=1), dtype=np.float64)


def inverse_mel_cepstrum(mcep: Any, n_mels: int) -> np.ndarray:
    """Log-mel spectrogram from (possibly truncated) mel-cepstra.

    Parameters
    ----------
    mcep : array_like, shape (n_frames, n_coefs)
        Coefficients from :func:`mel_cepstrum`, c0 first, ``n_coefs <= n_mels``;
        missing high coefficients are taken as zero (cepstral smoothing).
    n_mels : int
        Number of mel bands to return.

    Returns
    -------
    numpy.ndarray, shape (n_frames, n_mels)

    Raises
    ------
    ParameterError
        If there are more coefficients than bands.

    Examples
    --------
    >>> inverse_mel_cepstrum(np.array([[4.0]]), 4)
    array([[2., 2., 2., 2.]])
    """
    from scipy.fft import idct

    n_mels = int(check_positive(n_mels, "n_mels", integer=True))
    arr = as_float_array(mcep, "mcep", ndim=2)
    if arr.shape[1] > n_mels:
        raise ParameterError(
            f"mcep: expected at most n_mels = {n_mels} coefficients, got {arr.shape[1]}"
        )
    full = np.zeros((arr.shape[0], n_mels))
    full[:, : arr.shape[1]] = arr
    return np.asarray(idct(full, type=2, norm="ortho", axis=1), dtype=np.float64)


# --------------------------------------------------------------------------
# synthesis
# --------------------------------------------------------------------------


def mel_to_linear(mel: Any, config: StftConfig) -> np.ndarray:
    """Linear magnitude from a mel spectrogram by non-negative least squares.

    Solves ``min_{S >= 0} || fb @ S - mel ||^2`` frame by frame with
    :func:`librosa.util.nnls` (the solver of
    :func:`librosa.feature.inverse.mel_to_stft`) on the filterbank of
    :func:`mel_filterbank`, then undoes the exponent ``power``.

    Parameters
    ----------
    mel : array_like, shape (n_frames, n_mels)
        Non-negative mel spectrogram (magnitude to the ``power``), e.g.
        ``exp`` of a log-mel spectrogram.
    config : StftConfig

    Returns
    -------
    numpy.ndarray, shape (n_frames, n_fft // 2 + 1)
        Non-negative magnitudes. Bins no band covers (below ``fmin``, above
        ``fmax``) come out 0 (to rounding: about 1e-15).

    Raises
    ------
    ParameterError
        If ``mel`` is negative, not finite or has the wrong number of bands.

    Notes
    -----
    The filterbank has far fewer rows than columns, so the inverse is not
    unique: NNLS returns a non-negative spectrum that reproduces the band
    energies, spread within each band. The harmonics the bands do not resolve
    (above about 1 kHz with 80 bands at 16 kHz) are lost; this is the blur
    the mel route adds.

    Examples
    --------
    >>> cfg = StftConfig()
    >>> mag = mel_to_linear(np.ones((2, 80)), cfg)
    >>> mag.shape, bool(mag.min() >= 0)
    ((2, 513), True)
    """
    cfg = _check_config(config)
    arr = as_float_array(mel, "mel", ndim=2, min_len=1, n_cols=cfg.n_mels)
    if np.any(arr < 0):
        raise ParameterError(
            f"mel: expected a non-negative mel spectrogram, got minimum {float(arr.min()):g}; "
            "exponentiate a log-mel spectrogram first"
        )
    import librosa

    linear = librosa.util.nnls(mel_filterbank(cfg), np.ascontiguousarray(arr.T))
    linear = np.maximum(np.asarray(linear, dtype=np.float64), 0.0)
    return np.ascontiguousarray(np.power(linear, 1.0 / cfg.power).T)


def griffin_lim(
    magnitude: Any,
    config: StftConfig,
    *,
    n_iter: int | None = None,
    phase: Any = None,
    length: int | None = None,
    random_state: Any = 0,
) -> np.ndarray:
    """Waveform with a given STFT magnitude by (fast) Griffin-Lim, then de-emphasis.

    Parameters
    ----------
    magnitude : array_like, shape (n_frames, n_fft // 2 + 1)
        Non-negative target magnitudes, frames first.
    config : StftConfig
        Framing, ``momentum``, ``preemphasis`` (undone on the output) and the
        default ``n_iter``.
    n_iter : int, optional
        Iterations (``config.n_iter`` when ``None``).
    phase : array_like of complex, shape (n_frames, n_fft // 2 + 1), optional
        Initial phase estimate, e.g. the source's STFT (only its angle is
        used). ``None`` starts from random phases (librosa's default).
    length : int, optional
        Number of output samples; ``(n_frames - 1) * hop_length`` when ``None``.
    random_state : None, int or numpy.random.Generator, default 0
        Seed of the random initial phase (ignored when ``phase`` is given).

    Returns
    -------
    numpy.ndarray, shape (length,)
        The waveform at ``config.fs``.

    Raises
    ------
    ParameterError
        If the magnitude or phase is malformed, or an option is out of range.

    Notes
    -----
    Each iteration projects onto consistent spectrograms (inverse STFT, then
    STFT) and back onto the target magnitude. With momentum ``m`` the update
    extrapolates, ``c_n = P(c_{n-1}) - m / (1 + m) P(c_{n-2})`` before the
    magnitude projection (Perraudin, Balazs and Soendergaard 2013).
    With ``phase=None`` this is :func:`librosa.griffinlim` (``init='random'``).
    librosa cannot start from a given phase, so with ``phase`` the same
    iteration runs here on :func:`librosa.stft`/:func:`librosa.istft`; started
    from zero phase it reproduces ``librosa.griffinlim(init=None)`` exactly
    (tested).

    Examples
    --------
    >>> cfg = StftConfig()
    >>> fs = 16000
    >>> x = np.sin(2 * np.pi * 440 * np.arange(fs // 4) / fs)
    >>> y = griffin_lim(stft_magnitude(x, cfg), cfg, n_iter=8, length=x.size)
    >>> y.shape
    (4000,)
    """
    cfg = _check_config(config)
    mag = _check_magnitude(magnitude, "magnitude", cfg.n_bins)
    iters = cfg.n_iter if n_iter is None else int(check_positive(n_iter, "n_iter", integer=True))
    if length is not None:
        length = int(check_positive(length, "length", integer=True))
        expected = length // cfg.hop_length + 1
        if expected != mag.shape[0]:
            raise ParameterError(
                f"length: {length} samples make {expected} frames at hop_length "
                f"{cfg.hop_length}, but the magnitude has {mag.shape[0]}; pass the length "
                "of the analysed waveform"
            )
    import librosa

    kwargs = _stft_kwargs(cfg)
    if phase is None:
        y = librosa.griffinlim(
            np.ascontiguousarray(mag.T),
            n_iter=iters,
            momentum=float(cfg.momentum),
            init="random",
            random_state=_librosa_random_state(random_state),
            length=length,
            pad_mode="constant",
            **kwargs,
        )
    else:
        ph = np.asarray(phase)
        if ph.shape != mag.shape or not np.all(np.isfinite(ph)):
            raise ParameterError(
                f"phase: expected a finite array of shape {mag.shape} like the magnitude, "
                f"got shape {ph.shape}"
            )
        y = _griffin_lim_from(mag.T, ph.T, iters, float(cfg.momentum), length, kwargs)
    return _deemphasize(np.asarray(y, dtype=np.float64), float(cfg.preemphasis))


def _librosa_random_state(random_state: Any) -> Any:
    if random_state is None or isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    raise ParameterError(
        f"random_state: expected None, an int or a numpy.random.Generator, got {random_state!r}"
    )


def _griffin_lim_from(
    mag: np.ndarray,
    phase: np.ndarray,
    n_iter: int,
    momentum: float,
    length: int | None,
    kwargs: dict[str, Any],
) -> np.ndarray:
    """Fast Griffin-Lim from an initial phase; ``mag``, ``phase`` are (F, T) (librosa layout)."""
    import librosa

    eps = np.finfo(np.float64).tiny
    angles = np.exp(1j * np.angle(phase))  # (F, T), unit modulus; angle(0) = 0
    coef = mag * angles
    previous: np.ndarray | None = None
    for _ in range(n_iter):
        y = librosa.istft(coef, length=length, **kwargs)
        rebuilt = librosa.stft(y, pad_mode="constant", **kwargs)
        coef = rebuilt if previous is None else rebuilt - (momentum / (1.0 + momentum)) * previous
        coef = mag * (coef / (np.abs(coef) + eps))
        previous = rebuilt
    return np.asarray(librosa.istft(coef, length=length, **kwargs), dtype=np.float64)


def _limit_peak(y: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(y), initial=0.0))
    if peak > PEAK_LIMIT:
        logger.warning("resynthesized peak %.3f exceeds %.2f: scaled down", peak, PEAK_LIMIT)
        y = y * (PEAK_LIMIT / peak)
    return y


# --------------------------------------------------------------------------
# measures
# --------------------------------------------------------------------------


def _paired(reference: Any, estimate: Any, n_bins: int | None = None) -> tuple[np.ndarray, ...]:
    ref = as_float_array(reference, "reference", ndim=2, min_len=1)
    est = as_float_array(estimate, "estimate", ndim=2, min_len=1)
    if ref.shape != est.shape:
        raise ParameterError(
            f"reference and estimate: expected magnitude spectrograms of the same shape, got "
            f"{ref.shape} and {est.shape}; trim both to the shorter one"
        )
    if np.any(ref < 0) or np.any(est < 0):
        raise ParameterError("reference and estimate: expected non-negative magnitudes")
    return ref, est


def log_spectral_distance(
    reference: Any, estimate: Any, *, amin: float = 1e-5, frames: Any = None
) -> float:
    r"""Log-spectral distance in dB between two magnitude spectrograms.

    Parameters
    ----------
    reference, estimate : array_like, shape (n_frames, n_bins)
        Non-negative magnitudes (not powers), frames first, aligned 1:1.
    amin : float, default 1e-5
        Magnitude floor before the logarithm (-100 dB).
    frames : array_like of bool, shape (n_frames,), optional
        Frames to average over (e.g. speech); all when ``None``.

    Returns
    -------
    float
        :math:`\frac{1}{|T|}\sum_{t \in T} \sqrt{\frac{1}{K}\sum_k
        \left(20 \log_{10}\frac{\max(S_{tk}, a)}{\max(\hat S_{tk}, a)}\right)^2}`:
        the RMS over bins of the dB difference, averaged over frames.

    Raises
    ------
    ParameterError
        If the shapes differ, a value is negative, or no frame is selected.

    Examples
    --------
    >>> s = np.ones((4, 3))
    >>> round(log_spectral_distance(s, 10 * s), 6)  # 20 dB everywhere
    20.0
    """
    ref, est = _paired(reference, estimate)
    amin = float(check_positive(amin, "amin"))
    mask = _frame_mask(frames, ref.shape[0])
    diff = 20.0 * np.log10(np.maximum(ref[mask], amin) / np.maximum(est[mask], amin))
    return float(np.mean(np.sqrt(np.mean(diff * diff, axis=1))))


def spectral_convergence(reference: Any, estimate: Any) -> float:
    r"""Spectral convergence ``||S - S_hat||_F / ||S||_F`` of two magnitude spectrograms.

    Parameters
    ----------
    reference, estimate : array_like, shape (n_frames, n_bins)
        Non-negative magnitudes, aligned 1:1.

    Returns
    -------
    float
        0 for identical magnitudes; Griffin-Lim's inconsistency when
        ``estimate`` is the STFT magnitude of its output.

    Raises
    ------
    ParameterError
        If the shapes differ, a value is negative or the reference is all zero.

    Examples
    --------
    >>> s = np.ones((2, 2))
    >>> spectral_convergence(s, 0.5 * s)
    0.5
    """
    ref, est = _paired(reference, estimate)
    norm = float(np.linalg.norm(ref))
    if norm == 0.0:
        raise ParameterError("reference: expected a non-zero magnitude spectrogram, got zeros")
    return float(np.linalg.norm(ref - est)) / norm


def _frame_mask(frames: Any, n_frames: int, name: str = "frames") -> np.ndarray:
    if frames is None:
        return np.ones(n_frames, dtype=bool)
    mask = np.asarray(frames)
    if mask.dtype != np.bool_ or mask.shape != (n_frames,):
        raise ParameterError(
            f"{name}: expected a boolean mask of shape ({n_frames},), got dtype {mask.dtype} "
            f"and shape {mask.shape}"
        )
    if not mask.any():
        raise ParameterError(f"{name}: expected at least one selected frame, got none")
    return mask


@dataclass(frozen=True)
class ResynthesisScore:
    """How far a resynthesised waveform is from the original it was made from.

    Attributes
    ----------
    mcd_db : float
        Mel-cepstral distortion (dB, c1 onward) between WORLD analyses of the
        two, frames paired 1:1, over the original's speech frames.
    lsd_db : float
        Log-spectral distance (dB) of the STFT magnitudes, speech frames.
    f0_rmse_cents : float
        Log-F0 RMSE (cents) of the WORLD F0 over speech frames voiced in both
        (NaN when there are none).
    f0_median_cents : float
        Median absolute log-F0 difference (cents) over the same frames: the
        typical error, where the RMSE is dominated by the few frames F0
        estimation gets grossly wrong (octave errors, voicing edges).
    vuv_error : float
        Fraction of speech frames whose voicing decisions differ.
    spectral_convergence : float
        ``||S - S_hat||_F / ||S||_F`` of the STFT magnitudes, all frames.

    Examples
    --------
    :func:`score_resynthesis` returns one; a waveform scored against itself
    is at distance zero on every measure:

    >>> fs = 16000
    >>> x = np.sin(2 * np.pi * 150 * np.arange(fs // 2) / fs) * np.hanning(fs // 2)
    >>> ana = AnalysisConfig(f0_method="dio", f0_floor=80.0, f0_ceil=300.0)
    >>> score = score_resynthesis(x, x, config=StftConfig(), analysis=ana)
    >>> score.mcd_db, score.f0_median_cents, score.vuv_error
    (0.0, 0.0, 0.0)
    """

    mcd_db: float
    lsd_db: float
    f0_rmse_cents: float
    f0_median_cents: float
    vuv_error: float
    spectral_convergence: float


def score_resynthesis(
    reference: Any,
    resynthesized: Any,
    *,
    config: StftConfig,
    analysis: AnalysisConfig,
    reference_features: Features | None = None,
) -> ResynthesisScore:
    """Re-analyse a resynthesised waveform and compare it with the original, frame by frame.

    Both waveforms are trimmed to the shorter one; their WORLD analyses and
    STFTs then have the same frames, paired 1:1 (no DTW: a resynthesis keeps
    the timing).

    Parameters
    ----------
    reference : array_like, shape (n_samples,)
        The original waveform at ``config.fs``.
    resynthesized : array_like, shape (m_samples,)
        The waveform rebuilt from it.
    config : StftConfig
        Framing of the measuring STFT (pre-emphasis is not applied to it).
    analysis : AnalysisConfig
        WORLD settings for both (F0 range, ``power_threshold_db`` for the
        speech frames; when that is ``None`` it is estimated from the
        reference alone). ``fs`` and ``frame_period`` must match ``config``.
    reference_features : Features, optional
        WORLD features of ``reference`` with ``analysis``, to save recomputing
        them for every route.

    Returns
    -------
    ResynthesisScore

    Raises
    ------
    ParameterError
        If the sample rates or frame periods of the two configs differ, or a
        waveform is invalid.

    Examples
    --------
    >>> fs = 16000
    >>> x = np.sin(2 * np.pi * 150 * np.arange(fs // 2) / fs) * np.hanning(fs // 2)
    >>> cfg, ana = StftConfig(), AnalysisConfig(f0_method="dio", f0_floor=80.0, f0_ceil=300.0)
    >>> s = score_resynthesis(x, x, config=cfg, analysis=ana)
    >>> s.mcd_db, s.lsd_db, s.spectral_convergence
    (0.0, 0.0, 0.0)
    """
    cfg = _check_config(config)
    _check_same_framing(cfg, analysis)
    ref = as_float_array(reference, "reference", ndim=1, min_len=1)
    est = as_float_array(resynthesized, "resynthesized", ndim=1, min_len=1)
    n = min(ref.shape[0], est.shape[0])
    ref, est = ref[:n], est[:n]
    if reference_features is None or reference_features.n_frames != n // cfg.hop_length + 1:
        reference_features = extract_features(ref, analysis)
    est_features = extract_features(est, analysis)
    threshold = analysis.power_threshold_db
    if threshold is None:
        threshold = estimate_power_threshold(reference_features.power_db)
    speech = _speech_mask(reference_features.power_db, threshold)
    if not speech.any():
        speech = np.ones_like(speech)
    measuring = cfg.replace(preemphasis=0.0)
    s_ref, s_est = stft_magnitude(ref, measuring), stft_magnitude(est, measuring)
    f0_a, f0_b = reference_features.f0[speech], est_features.f0[speech]
    both = (f0_a > 0) & (f0_b > 0)
    voiced = bool(np.any(both))
    cents = 1200.0 * np.abs(np.log2(f0_b[both] / f0_a[both])) if voiced else np.zeros(0)
    return ResynthesisScore(
        mcd_db=float(
            mel_cepstral_distortion(reference_features.mcep[speech], est_features.mcep[speech])
        ),
        lsd_db=log_spectral_distance(s_ref, s_est, amin=cfg.amin, frames=speech),
        f0_rmse_cents=float(log_f0_rmse(f0_a, f0_b)) if voiced else float("nan"),
        f0_median_cents=float(np.median(cents)) if voiced else float("nan"),
        vuv_error=float(vuv_error(f0_a, f0_b)),
        spectral_convergence=spectral_convergence(s_ref, s_est),
    )


def _check_same_framing(cfg: StftConfig, analysis: AnalysisConfig, name: str = "analysis") -> None:
    if not isinstance(analysis, AnalysisConfig):
        raise ParameterError(f"{name}: expected an AnalysisConfig, got {type(analysis).__name__}")
    analysis.validate()
    if analysis.fs != cfg.fs or not math.isclose(analysis.frame_period, cfg.frame_period):
        raise ParameterError(
            f"{name}: expected the STFT's sample rate {cfg.fs} Hz and frame period "
            f"{cfg.frame_period} ms (hop_length {cfg.hop_length}), got {analysis.fs} Hz and "
            f"{analysis.frame_period} ms; set hop_length = fs * frame_period / 1000"
        )


# --------------------------------------------------------------------------
# round trips
# --------------------------------------------------------------------------


def resynthesize(
    x: Any,
    *,
    route: str,
    config: StftConfig,
    analysis: AnalysisConfig | None = None,
    n_iter: int | None = None,
    random_state: Any = 0,
) -> np.ndarray:
    """Take a waveform through one analysis/synthesis round trip.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Waveform at ``config.fs``.
    route : {'linear', 'mel', 'world'}
        ``'linear'``: ``|STFT|`` then Griffin-Lim (random initial phase).
        ``'mel'``: ``|STFT|`` -> mel -> log (floor ``amin``) -> normalise and
        back (``'range'`` or ``'none'``; ``'meanstd'`` uses this utterance's
        own statistics) -> exp -> NNLS -> Griffin-Lim.
        ``'world'``: WORLD analysis to the GMM's features (mel-cepstrum,
        coded aperiodicity, F0) and WORLD synthesis.
    config : StftConfig
    analysis : AnalysisConfig, optional
        WORLD settings for ``route='world'`` (``AnalysisConfig(fs=config.fs)``
        when ``None``).
    n_iter : int, optional
        Griffin-Lim iterations (``config.n_iter`` when ``None``).
    random_state : None, int or numpy.random.Generator, default 0
        Seed of Griffin-Lim's initial phase.

    Returns
    -------
    numpy.ndarray, shape (n_samples,) (about, for ``'world'``)
        The resynthesised waveform, scaled down if its peak would exceed
        ``PEAK_LIMIT`` (never clipped).

    Raises
    ------
    ParameterError
        If ``route`` is unknown or an input is invalid.

    Examples
    --------
    >>> fs = 16000
    >>> x = np.sin(2 * np.pi * 200 * np.arange(fs // 4) / fs)
    >>> resynthesize(x, route="mel", config=StftConfig(), n_iter=4).shape
    (4000,)
    """
    route = check_choice(route, "route", ROUNDTRIP_ROUTES)
    cfg = _check_config(config)
    x = as_float_array(x, "x", ndim=1, min_len=1)
    if route == "world":
        ana = (
            AnalysisConfig(fs=cfg.fs, frame_period=cfg.frame_period)
            if analysis is None
            else analysis
        )
        feats = extract_features(x, ana)
        return synthesize(feats.f0, feats.mcep, feats.bap, ana)
    mag = stft_magnitude(x, cfg)
    if route == "mel":
        mag = _mel_roundtrip(mag, cfg)
    y = griffin_lim(mag, cfg, n_iter=n_iter, length=x.shape[0], random_state=random_state)
    return _limit_peak(y)


def _mel_roundtrip(mag: np.ndarray, cfg: StftConfig) -> np.ndarray:
    """|S| -> log-mel -> normalised -> back -> NNLS |S|, shape (T, n_bins)."""
    lm = log_mel(mel_spectrogram(mag, cfg), cfg)
    stats = mel_stats(lm) if cfg.normalization == "meanstd" else None
    lm = denormalize_log_mel(normalize_log_mel(lm, cfg, stats=stats), cfg, stats=stats)
    return mel_to_linear(np.exp(lm), cfg)


@dataclass(frozen=True, eq=False)
class RoundTripRow:
    """One route at one Griffin-Lim setting, scored on every utterance.

    Attributes
    ----------
    route : str
        ``'linear'``, ``'mel'`` or ``'world'``.
    n_iter : int or None
        Griffin-Lim iterations (``None`` for WORLD).
    momentum : float or None
        Griffin-Lim momentum (``None`` for WORLD).
    scores : tuple of ResynthesisScore
        One per utterance, in input order.

    Examples
    --------
    :func:`roundtrip_table` returns them. :meth:`mean` averages each measure
    over utterances, leaving out an F0 figure that is undefined (NaN: no frame
    voiced in both):

    >>> a = ResynthesisScore(1.0, 2.0, 100.0, 10.0, 0.05, 0.1)
    >>> b = ResynthesisScore(2.0, 4.0, float("nan"), float("nan"), 0.15, 0.3)
    >>> m = RoundTripRow("mel", 32, 0.99, (a, b)).mean()
    >>> m.mcd_db, m.lsd_db, m.f0_rmse_cents, round(m.vuv_error, 12)
    (1.5, 3.0, 100.0, 0.1)
    """

    route: str
    n_iter: int | None
    momentum: float | None
    scores: tuple[ResynthesisScore, ...]

    def mean(self) -> ResynthesisScore:
        """Mean of each measure over utterances (NaN F0 values left out).

        Examples
        --------
        An F0 figure undefined on every utterance (no frame voiced in both)
        stays undefined; the other measures are plain means:

        >>> a = ResynthesisScore(1.0, 2.0, float("nan"), float("nan"), 0.0, 0.25)
        >>> b = ResynthesisScore(3.0, 4.0, float("nan"), float("nan"), 0.5, 0.75)
        >>> m = RoundTripRow("linear", 16, 0.99, (a, b)).mean()
        >>> m.mcd_db, m.lsd_db, m.f0_rmse_cents, m.vuv_error, m.spectral_convergence
        (2.0, 3.0, nan, 0.25, 0.5)
        """
        arr = np.array([dataclasses.astuple(s) for s in self.scores], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            means = [
                float(np.nanmean(col)) if np.any(np.isfinite(col)) else float("nan")
                for col in arr.T
            ]
        return ResynthesisScore(*means)


def _roundtrip_one(
    x: np.ndarray,
    cfg: StftConfig,
    analysis: AnalysisConfig,
    n_iters: tuple[int, ...],
    momenta: tuple[float, ...],
    random_state: int,
) -> list[ResynthesisScore]:
    """Scores of every (route, n_iter, momentum) on one utterance, in table order."""
    ref_feats = extract_features(x, analysis)
    mag = stft_magnitude(x, cfg)
    magnitudes = {"linear": mag, "mel": _mel_roundtrip(mag, cfg)}
    out = []
    for route in ("linear", "mel"):
        for momentum in momenta:
            run_cfg = cfg.replace(momentum=momentum)
            for n_iter in n_iters:
                y = griffin_lim(
                    magnitudes[route],
                    run_cfg,
                    n_iter=n_iter,
                    length=x.shape[0],
                    random_state=random_state,
                )
                out.append(
                    score_resynthesis(
                        x,
                        _limit_peak(y),
                        config=cfg,
                        analysis=analysis,
                        reference_features=ref_feats,
                    )
                )
    y = resynthesize(x, route="world", config=cfg, analysis=analysis)
    out.append(score_resynthesis(x, y, config=cfg, analysis=analysis, reference_features=ref_feats))
    return out


def roundtrip_table(
    waveforms: Sequence[np.ndarray],
    *,
    config: StftConfig | None = None,
    analysis: AnalysisConfig | None = None,
    n_iters: Sequence[int] = (16, 32, 64, 100),
    momenta: Sequence[float] | None = None,
    random_state: int = 0,
    n_jobs: int = 1,
) -> list[RoundTripRow]:
    """Score the linear, mel and WORLD round trips of real speech against the originals.

    Routes (see :func:`resynthesize`): audio -> ``|STFT|`` -> Griffin-Lim;
    audio -> ``|STFT|`` -> log-mel -> NNLS -> Griffin-Lim; audio -> WORLD
    features -> WORLD synthesis. Each output is re-analysed and compared with
    its original by :func:`score_resynthesis`.

    Parameters
    ----------
    waveforms : sequence of array_like, each shape (n_samples,)
        One speaker's utterances at ``config.fs``.
    config : StftConfig, optional
        ``StftConfig()`` when ``None``.
    analysis : AnalysisConfig, optional
        WORLD settings for analysis and scoring. When ``None``, the F0 range
        is estimated from ``waveforms`` (:func:`gmmvc.analysis.estimate_f0_range`)
        and the speech threshold from their WORLD frame powers.
    n_iters : sequence of int, default (16, 32, 64, 100)
        Griffin-Lim iteration counts to measure.
    momenta : sequence of float, optional
        Griffin-Lim momenta to measure (``(config.momentum,)`` when ``None``).
    random_state : int, default 0
        Seed of Griffin-Lim's random initial phase (the same for every utterance).
    n_jobs : int, default 1
        joblib workers over utterances (-1: all cores); results do not depend on it.

    Returns
    -------
    list of RoundTripRow
        For ``route`` in ('linear', 'mel'), each momentum and each ``n_iter``,
        then one 'world' row.

    Raises
    ------
    ParameterError
        If there are no waveforms or a setting is invalid.

    Examples
    --------
    Half a second of a 150 Hz tone between silences, with DIO for speed
    (``gmmvc roundtrip AUDIO...`` prints this table for real speech):

    >>> fs = 16000
    >>> tone = np.sin(2 * np.pi * 150 * np.arange(fs // 2) / fs)
    >>> x = np.concatenate([np.zeros(800), tone, np.zeros(800)])
    >>> ana = AnalysisConfig(f0_method="dio", f0_floor=80.0, f0_ceil=300.0)
    >>> rows = roundtrip_table([x], analysis=ana.replace(power_threshold_db=-60.0),
    ...                        n_iters=(4, 32))
    >>> [(row.route, row.n_iter) for row in rows]
    [('linear', 4), ('linear', 32), ('mel', 4), ('mel', 32), ('world', None)]
    >>> few, more = rows[0].mean(), rows[1].mean()
    >>> bool(more.spectral_convergence < few.spectral_convergence)  # more iterations help
    True
    """
    cfg = StftConfig() if config is None else _check_config(config)
    if len(waveforms) == 0:
        raise ParameterError("waveforms: expected at least one waveform, got none")
    wavs = [
        as_float_array(w, f"waveforms[{i}]", ndim=1, min_len=1) for i, w in enumerate(waveforms)
    ]
    iters = tuple(int(check_positive(n, "n_iters", integer=True)) for n in n_iters)
    moms = (float(cfg.momentum),) if momenta is None else tuple(float(m) for m in momenta)
    for m in moms:
        cfg.replace(momentum=m)  # validates
    if analysis is None:
        analysis = _estimate_analysis(wavs, cfg)
    _check_same_framing(cfg, analysis)
    if n_jobs == 1 or len(wavs) < 2:
        per_utt = [_roundtrip_one(w, cfg, analysis, iters, moms, random_state) for w in wavs]
    else:
        from joblib import Parallel, delayed

        per_utt = list(
            Parallel(n_jobs=n_jobs)(
                delayed(_roundtrip_one)(w, cfg, analysis, iters, moms, random_state) for w in wavs
            )
        )
    keys: list[tuple[str, int | None, float | None]] = [
        (route, n, m) for route in ("linear", "mel") for m in moms for n in iters
    ]
    keys.append(("world", None, None))
    return [
        RoundTripRow(route, n, m, tuple(scores[k] for scores in per_utt))
        for k, (route, n, m) in enumerate(keys)
    ]


def _estimate_analysis(wavs: list[np.ndarray], cfg: StftConfig) -> AnalysisConfig:
    floor, ceil = estimate_f0_range(wavs, cfg.fs, frame_period=cfg.frame_period)
    base = AnalysisConfig(fs=cfg.fs, frame_period=cfg.frame_period, f0_floor=floor, f0_ceil=ceil)
    powers = [extract_features(w, base.replace(f0_method="dio")).power_db for w in wavs]
    return base.replace(power_threshold_db=estimate_power_threshold(powers))


# --------------------------------------------------------------------------
# conversion
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Utterance:
    """STFT analysis of one utterance as the converter uses it."""

    spectrum: np.ndarray  # (T, F) complex
    log_mel: np.ndarray  # (T, n_mels), not normalised
    power_db: np.ndarray  # (T,)


def _analyse_utterance(x: np.ndarray, cfg: StftConfig) -> _Utterance:
    spec = stft(x, cfg)
    mag = np.abs(spec)
    return _Utterance(
        spectrum=spec,
        log_mel=log_mel(mel_spectrogram(mag, cfg), cfg),
        power_db=frame_power_db(mag * mag),
    )


def _static_features(
    lm: np.ndarray, cfg: StftConfig, kind: str, stats: MelStats | None
) -> np.ndarray:
    """Return the GMM's static features of a log-mel spectrogram; (T, D)."""
    normalized = normalize_log_mel(lm, cfg, stats=stats)
    if kind == "logmel":
        return normalized
    return mel_cepstrum(normalized)[:, 1 : cfg.order + 1]  # c1..c_order


@dataclass(frozen=True, eq=False)
class StftConverter:
    """A joint-GMM converter on STFT features, with Griffin-Lim resynthesis.

    Built by :func:`fit_stft_converter`.

    Attributes
    ----------
    config : StftConfig
        Analysis and resynthesis settings (shared by both speakers).
    features : {'logmel', 'mfcc'}
        ``'logmel'``: the GMM converts the whole (normalised) log-mel
        spectrogram. ``'mfcc'``: it converts mel-cepstral coefficients
        c1..c_order of the (normalised) log-mel spectrogram; c0 (level) and
        the coefficients above ``order`` (fine structure: the source's
        harmonics) are kept from the source. With ``normalization='meanstd'``
        they are kept in the normalised domain, so they take on the target's
        per-channel mean and spread when denormalised.
    gmm : JointGMM
        Joint GMM on ``[x, dx, y, dy]``.
    source_threshold_db, target_threshold_db : float
        Speech/silence thresholds on the STFT frame power (dB).
    source_stats, target_stats : MelStats or None
        Log-mel statistics for ``normalization='meanstd'``.
    windows : tuple of tuple of float
        The dynamic-feature windows.
    info : dict
        Training facts.
    source_analysis, target_analysis : AnalysisConfig or None
        Each speaker's WORLD settings (F0 range, speech threshold) that
        :func:`evaluate_stft_converter` scores with by default, as the WORLD
        route's model keeps its own; ``None`` when not given to
        :func:`fit_stft_converter`.

    See Also
    --------
    save_stft_converter, load_stft_converter : Model files.

    Examples
    --------
    :func:`fit_stft_converter` trains one; here one is built by hand with a
    known answer: one component whose target mel-cepstrum is the source's
    plus 0.5 in c1 (``order=2``: the GMM sees c1, c2 and their deltas).

    >>> from gmmvc.gmm import JointGMM
    >>> cfg = StftConfig(n_mels=8, order=2)
    >>> mean = np.array([0, 0, 0, 0, 0.5, 0, 0, 0])  # [x, dx, y, dy]
    >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
    >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
    >>> conv = StftConverter(cfg, "mfcc", gmm, source_threshold_db=-60.0,
    ...                      target_threshold_db=-60.0)
    >>> lm = np.log(np.linspace(0.1, 1.0, 16)).reshape(2, 8)  # a log-mel spectrogram
    >>> (mel_cepstrum(conv.convert_log_mel(lm)) - mel_cepstrum(lm)).round(6) + 0.0
    array([[0. , 0.5, 0. , 0. , 0. , 0. , 0. , 0. ],
           [0. , 0.5, 0. , 0. , 0. , 0. , 0. , 0. ]])
    """

    config: StftConfig
    features: str
    gmm: JointGMM
    source_threshold_db: float
    target_threshold_db: float
    source_stats: MelStats | None = None
    target_stats: MelStats | None = None
    windows: tuple[tuple[float, ...], ...] = DEFAULT_WINDOWS
    info: dict[str, Any] = field(default_factory=dict)
    source_analysis: AnalysisConfig | None = None
    target_analysis: AnalysisConfig | None = None

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        mode: str = "mlpg",
        phase_init: str = "source",
        overwrite: bool = True,
    ) -> pathlib.Path:
        """Write the converter to one file; see :func:`save_stft_converter`.

        Examples
        --------
        The hand-built converter of :class:`StftConverter`, saved with MMSE
        as its default mode:

        >>> import tempfile
        >>> from gmmvc.gmm import JointGMM
        >>> mean = np.array([0, 0, 0, 0, 0.5, 0, 0, 0])  # [x, dx, y, dy]: c1 + 0.5
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> conv = StftConverter(StftConfig(n_mels=8, order=2), "mfcc", gmm, -60.0, -60.0)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = conv.save(pathlib.Path(d) / "stft.npz", mode="mmse")
        ...     content = read_stft_model_file(path)
        >>> path.name, content.mode, content.phase_init
        ('stft.npz', 'mmse', 'source')
        >>> content.converter.config == conv.config
        True
        """
        return save_stft_converter(
            self, path, mode=mode, phase_init=phase_init, overwrite=overwrite
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> StftConverter:
        """Read a converter written by :meth:`save`; see :func:`load_stft_converter`.

        Examples
        --------
        The hand-built converter of :class:`StftConverter` comes back
        converting bit for bit as before:

        >>> import tempfile
        >>> from gmmvc.gmm import JointGMM
        >>> mean = np.array([0, 0, 0, 0, 0.5, 0, 0, 0])  # [x, dx, y, dy]: c1 + 0.5
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> conv = StftConverter(StftConfig(n_mels=8, order=2), "mfcc", gmm, -60.0, -60.0)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     again = StftConverter.load(conv.save(pathlib.Path(d) / "stft.npz"))
        >>> lm = np.log(np.linspace(0.1, 1.0, 16)).reshape(2, 8)
        >>> bool(np.array_equal(again.convert_log_mel(lm), conv.convert_log_mel(lm)))
        True
        >>> again.features, again.gmm.n_source_dims_
        ('mfcc', 4)
        """
        return load_stft_converter(path)

    def convert_log_mel(
        self, log_mel_spec: Any, *, mode: str = "mlpg", speech: Any = None
    ) -> np.ndarray:
        """Convert a source log-mel spectrogram (not normalised) to the target's.

        Parameters
        ----------
        log_mel_spec : array_like, shape (T, n_mels)
            From :func:`log_mel`.
        mode : {'mmse', 'mlpg', 'mlpg_em'}, default 'mlpg'
        speech : array_like of bool, shape (T,), optional
            Speech frames; the others keep the source's log-mel (the GMM was
            trained on speech only). All frames when ``None``.

        Returns
        -------
        numpy.ndarray, shape (T, n_mels)

        Raises
        ------
        ParameterError
            If ``mode`` is unknown or the shapes do not fit.

        Examples
        --------
        The hand-built converter of :class:`StftConverter` adds 0.5 to c1 of
        the mel-cepstrum, which changes the log-mel spectrogram by 0.5 times
        the first cosine of its DCT (up at low bands, down at high ones).
        Frames marked as non-speech keep the source's log-mel:

        >>> from gmmvc.gmm import JointGMM
        >>> mean = np.array([0, 0, 0, 0, 0.5, 0, 0, 0])  # [x, dx, y, dy]: c1 + 0.5
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> conv = StftConverter(StftConfig(n_mels=8, order=2), "mfcc", gmm, -60.0, -60.0)
        >>> lm = np.log(np.linspace(0.1, 1.0, 16)).reshape(2, 8)  # a log-mel spectrogram
        >>> change = conv.convert_log_mel(lm, speech=[True, False]) - lm
        >>> change.round(3) + 0.0
        array([[ 0.245,  0.208,  0.139,  0.049, -0.049, -0.139, -0.208, -0.245],
               [ 0.   ,  0.   ,  0.   ,  0.   ,  0.   ,  0.   ,  0.   ,  0.   ]])
        >>> k = np.arange(8)  # the orthonormal DCT-II's first basis vector, times 0.5
        >>> bool(np.allclose(change[0], 0.5 * np.sqrt(2 / 8) * np.cos(np.pi * (k + 0.5) / 8)))
        True
        """
        check_choice(mode, "mode", _MODES)
        cfg = self.config
        lm = as_float_array(log_mel_spec, "log_mel_spec", ndim=2, min_len=1, n_cols=cfg.n_mels)
        mask = _frame_mask(speech, lm.shape[0], "speech") if speech is not None else None
        static = _static_features(lm, cfg, self.features, self.source_stats)
        X = apply_windows(static, self.windows)
        if mode == "mmse":
            converted = convert_mmse(self.gmm, X, windows=self.windows)
        elif mode == "mlpg":
            converted = convert_mlpg(self.gmm, X, windows=self.windows)
        else:
            converted = convert_mlpg_em(self.gmm, X, windows=self.windows)
        if self.features == "logmel":
            out = denormalize_log_mel(converted, cfg, stats=self.target_stats)
        else:
            cep = mel_cepstrum(normalize_log_mel(lm, cfg, stats=self.source_stats))
            cep[:, 1 : cfg.order + 1] = converted
            out = denormalize_log_mel(
                inverse_mel_cepstrum(cep, cfg.n_mels), cfg, stats=self.target_stats
            )
        if mask is not None:
            out[~mask] = lm[~mask]
        return out

    def convert(
        self,
        x: Any,
        *,
        mode: str = "mlpg",
        phase_init: str = "source",
        n_iter: int | None = None,
        random_state: Any = 0,
    ) -> np.ndarray:
        """Convert a source waveform; F0 is not converted.

        Parameters
        ----------
        x : array_like, shape (n_samples,)
            Source speech at ``config.fs``.
        mode : {'mmse', 'mlpg', 'mlpg_em'}, default 'mlpg'
        phase_init : {'source', 'random'}, default 'source'
            Griffin-Lim's initial phase: the source STFT's (frames line up
            with the converted magnitude) or random.
        n_iter : int, optional
            Griffin-Lim iterations (``config.n_iter`` when ``None``).
        random_state : None, int or numpy.random.Generator, default 0
            Seed for ``phase_init='random'``.

        Returns
        -------
        numpy.ndarray, shape (n_samples,)
            Converted speech, scaled down if its peak would exceed ``PEAK_LIMIT``.

        Raises
        ------
        ParameterError
            If an option or the waveform is invalid.

        Examples
        --------
        The hand-built converter of :class:`StftConverter` (with 40 mel bands)
        on half a second of a 120 Hz harmonic tone, with 8 Griffin-Lim
        iterations for speed: the output is as long as the input and keeps its
        F0.

        >>> from gmmvc.analysis import extract_f0
        >>> from gmmvc.gmm import JointGMM
        >>> mean = np.array([0, 0, 0, 0, 0.5, 0, 0, 0])  # [x, dx, y, dy]: c1 + 0.5
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> conv = StftConverter(StftConfig(n_mels=40, order=2), "mfcc", gmm, -60.0, -60.0)
        >>> fs = 16000
        >>> t = np.arange(fs // 2) / fs
        >>> x = 0.3 * sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 20))
        >>> y = conv.convert(x, n_iter=8)
        >>> y.shape == x.shape
        True
        >>> def median_f0(z):
        ...     f0, _ = extract_f0(z, fs, method="dio", f0_floor=60.0, f0_ceil=400.0)
        ...     return float(np.median(f0[f0 > 0]))
        >>> round(median_f0(x)), bool(abs(median_f0(y) / median_f0(x) - 1) < 0.05)
        (120, True)
        """
        check_choice(phase_init, "phase_init", PHASE_INITS)
        cfg = self.config
        x = as_float_array(x, "x", ndim=1, min_len=1)
        utt = _analyse_utterance(x, cfg)
        speech = _speech_mask(utt.power_db, self.source_threshold_db)
        lm = self.convert_log_mel(utt.log_mel, mode=mode, speech=speech)
        mag = mel_to_linear(np.exp(lm), cfg)
        y = griffin_lim(
            mag,
            cfg,
            n_iter=n_iter,
            phase=utt.spectrum if phase_init == "source" else None,
            length=x.shape[0],
            random_state=random_state,
        )
        return _limit_peak(y)


def fit_stft_converter(
    source: Sequence[np.ndarray],
    target: Sequence[np.ndarray],
    *,
    config: StftConfig | None = None,
    features: str = "mfcc",
    n_components: int = 32,
    n_alignment_passes: int = 3,
    reg_covar: float = 1e-4,
    max_iter: int = 100,
    dtype: str = "float32",
    warm_start: bool = True,
    random_state: Any = 0,
    source_threshold_db: float | None = None,
    target_threshold_db: float | None = None,
    source_analysis: AnalysisConfig | None = None,
    target_analysis: AnalysisConfig | None = None,
    n_jobs: int = 1,
) -> StftConverter:
    """Train a joint-GMM converter on STFT features of parallel utterances.

    Steps, as in the WORLD route (Toda, Black and Tokuda 2007):

    1. STFT, mel, log (and normalisation) of every utterance; static features
       by ``features``; deltas on each utterance's own time axis
       (:func:`gmmvc.deltas.apply_windows`).
    2. Speech frames: STFT frame power (:func:`gmmvc.features.frame_power_db`
       of ``|S|^2``) above each speaker's threshold
       (:func:`gmmvc.features.estimate_power_threshold` on their training audio).
    3. DTW on the statics over speech frames (:func:`gmmvc.alignment.align_frames`),
       joint vectors ``[x, dx, y, dy]`` (:func:`gmmvc.alignment.joint_vectors`),
       EM (:class:`gmmvc.gmm.JointGMM`); each further pass aligns the MLPG-converted
       source statics to the target and refits on the new pairing.

    Parameters
    ----------
    source, target : sequence of array_like, each shape (n_samples,)
        Parallel utterances at ``config.fs``; ``source[i]`` and ``target[i]``
        say the same sentence. Training sentences only.
    config : StftConfig, optional
        ``StftConfig()`` when ``None``.
    features : {'mfcc', 'logmel'}, default 'mfcc'
        GMM features, see :class:`StftConverter`.
    n_components : int, default 32
    n_alignment_passes : int, default 3
    reg_covar, max_iter : float, int
        Passed to :class:`gmmvc.gmm.JointGMM`.
    dtype : {'float32', 'float64'}, default 'float32'
        EM arithmetic, as in :class:`gmmvc.pipeline.VoiceConverter`.
    warm_start : bool, default True
        Start each alignment pass's EM from the previous pass's model.
    random_state : None, int or numpy.random.Generator, default 0
    source_threshold_db, target_threshold_db : float, optional
        Speech thresholds (dB); estimated per speaker when ``None``.
    source_analysis, target_analysis : AnalysisConfig, optional
        Each speaker's WORLD settings for scoring (F0 range and
        ``power_threshold_db`` set, framing as ``config``), e.g. from
        :func:`estimate_speaker_analysis`; stored in the converter as the
        defaults of :func:`evaluate_stft_converter`. Not used in training.
    n_jobs : int, default 1
        Threads of EM (:class:`gmmvc.gmm.JointGMM`); the model does not depend
        on it.

    Returns
    -------
    StftConverter

    Raises
    ------
    ParameterError
        If the lists are empty or differ in length, or a setting is invalid.

    Examples
    --------
    Three sentences of the generated demo corpus, two mixtures, one
    alignment pass (``gmmvc train --backend stft`` does this for real
    speech):

    >>> from gmmvc.datasets import make_demo_corpus
    >>> corpus = make_demo_corpus(3)
    >>> cfg = StftConfig(n_mels=40, order=12)
    >>> conv = fit_stft_converter(corpus.source, corpus.target, config=cfg,
    ...                           n_components=2, n_alignment_passes=1)
    >>> conv.features, conv.gmm.n_components, conv.gmm.n_source_dims_  # c1-c12 and deltas
    ('mfcc', 2, 24)
    >>> conv.info["n_utterances"], conv.info["n_alignment_passes"]
    (3, 1)
    """
    cfg = StftConfig() if config is None else _check_config(config)
    kind = check_choice(features, "features", STFT_FEATURES)
    analyses = {
        name: None if ana is None else _check_scoring_analysis(ana, name, cfg)
        for name, ana in (
            ("source_analysis", source_analysis),
            ("target_analysis", target_analysis),
        )
    }
    check_positive(n_components, "n_components", integer=True)
    passes = int(check_positive(n_alignment_passes, "n_alignment_passes", integer=True))
    if len(source) == 0 or len(source) != len(target):
        raise ParameterError(
            "source/target: expected two non-empty lists of parallel utterances of equal "
            f"length, got {len(source)} and {len(target)}"
        )
    src = [
        _analyse_utterance(as_float_array(w, f"source[{i}]", ndim=1, min_len=1), cfg)
        for i, w in enumerate(source)
    ]
    tgt = [
        _analyse_utterance(as_float_array(w, f"target[{i}]", ndim=1, min_len=1), cfg)
        for i, w in enumerate(target)
    ]
    thr_s = (
        estimate_power_threshold([u.power_db for u in src])
        if source_threshold_db is None
        else float(source_threshold_db)
    )
    thr_t = (
        estimate_power_threshold([u.power_db for u in tgt])
        if target_threshold_db is None
        else float(target_threshold_db)
    )
    src_speech = [_speech_mask(u.power_db, thr_s) for u in src]
    tgt_speech = [_speech_mask(u.power_db, thr_t) for u in tgt]
    stats_s = stats_t = None
    if cfg.normalization == "meanstd":
        stats_s = mel_stats([u.log_mel[m] for u, m in zip(src, src_speech)])
        stats_t = mel_stats([u.log_mel[m] for u, m in zip(tgt, tgt_speech)])
    windows = DEFAULT_WINDOWS
    X = [apply_windows(_static_features(u.log_mel, cfg, kind, stats_s), windows) for u in src]
    Y = [apply_windows(_static_features(u.log_mel, cfg, kind, stats_t), windows) for u in tgt]
    dim = X[0].shape[1] // len(windows)

    gmm: JointGMM | None = None
    distances: list[float] = []
    joint = np.zeros((0, 0))
    for p in range(passes):
        aligned = [x[:, :dim] if gmm is None else convert_mlpg(gmm, x, windows=windows) for x in X]
        paths: list[Alignment] = [
            align_frames(a, y[:, :dim], x_mask=ms, y_mask=mt)
            for a, y, ms, mt in zip(aligned, Y, src_speech, tgt_speech)
        ]
        distances.append(float(np.mean([path.distance for path in paths])))
        joint = np.vstack([joint_vectors(x, y, path) for x, y, path in zip(X, Y, paths)])
        logger.info(
            "STFT %s alignment pass %d: %d joint frames, mean DTW distance %.4f",
            kind,
            p + 1,
            joint.shape[0],
            distances[-1],
        )
        gmm = JointGMM(
            n_components,
            reg_covar=reg_covar,
            max_iter=max_iter,
            random_state=random_state,
            dtype=dtype,
            n_jobs=n_jobs,
        ).fit(joint, n_source_dims=X[0].shape[1], init=gmm if warm_start else None)
    assert gmm is not None  # passes >= 1
    return StftConverter(
        config=cfg,
        features=kind,
        gmm=gmm,
        source_threshold_db=float(thr_s),
        target_threshold_db=float(thr_t),
        source_stats=stats_s,
        target_stats=stats_t,
        windows=windows,
        info={
            "n_utterances": len(src),
            "n_joint_frames": int(joint.shape[0]),
            "n_alignment_passes": passes,
            "alignment_distances": distances,
            "em_converged": gmm.converged_,
            "em_iterations": gmm.n_iter_,
        },
        source_analysis=analyses["source_analysis"],
        target_analysis=analyses["target_analysis"],
    )


def _check_scoring_analysis(analysis: Any, name: str, cfg: StftConfig) -> AnalysisConfig:
    """Return resolved scoring settings: an AnalysisConfig with a threshold, framed as ``cfg``."""
    if not isinstance(analysis, AnalysisConfig) or analysis.power_threshold_db is None:
        raise ParameterError(
            f"{name}: expected an AnalysisConfig with power_threshold_db set (the speaker's "
            "speech threshold), e.g. from estimate_speaker_analysis or a trained "
            "VoiceConverter's model_ configs"
        )
    _check_same_framing(cfg, analysis, name)
    return analysis.resolved()


def estimate_speaker_analysis(
    waveforms: Sequence[np.ndarray],
    *,
    config: StftConfig | None = None,
    f0_method: str = "harvest",
    n_jobs: int = 1,
) -> AnalysisConfig:
    """Estimate a speaker's WORLD settings for scoring, as the WORLD route does in training.

    The recipe of :class:`gmmvc.pipeline.VoiceConverter`: the F0 search range
    from :func:`gmmvc.analysis.estimate_f0_range`, then WORLD analysis of
    every utterance with that range and the speech threshold from the frame
    powers (:func:`gmmvc.features.estimate_power_threshold`). Both backends
    are then scored with the same kind of settings.

    Parameters
    ----------
    waveforms : sequence of array_like, each shape (n_samples,)
        One speaker's training utterances at ``config.fs``.
    config : StftConfig, optional
        Gives the sample rate and frame period (``StftConfig()`` when ``None``).
    f0_method : {'harvest', 'dio'}, default 'harvest'
        WORLD F0 estimator of the returned settings and of the power analysis.
    n_jobs : int, default 1
        joblib workers over utterances (-1: all cores); the result does not
        depend on it.

    Returns
    -------
    AnalysisConfig
        Resolved settings at ``config.fs`` and ``config.frame_period`` with
        ``f0_floor``, ``f0_ceil`` and ``power_threshold_db`` set.

    Raises
    ------
    ParameterError
        If there are no waveforms or a setting is invalid.
    GmmvcError
        If no frame of the audio is voiced.

    Examples
    --------
    A 150 Hz tone between silences:

    >>> fs = 16000
    >>> tone = np.sin(2 * np.pi * 150 * np.arange(fs // 2) / fs)
    >>> x = np.concatenate([np.zeros(1600), tone, np.zeros(1600)])
    >>> ana = estimate_speaker_analysis([x], f0_method="dio")
    >>> bool(ana.f0_floor < 150.0 < ana.f0_ceil), ana.frame_period, ana.order
    (True, 5.0, 24)
    >>> power = extract_features(x, ana).power_db
    >>> bool(power.min() < ana.power_threshold_db < power.max())  # silence below, tone above
    True
    """
    cfg = StftConfig() if config is None else _check_config(config)
    check_n_jobs(n_jobs)
    if len(waveforms) == 0:
        raise ParameterError("waveforms: expected at least one waveform, got none")
    wavs = [
        as_float_array(w, f"waveforms[{i}]", ndim=1, min_len=1) for i, w in enumerate(waveforms)
    ]
    floor, ceil = estimate_f0_range(wavs, cfg.fs, frame_period=cfg.frame_period)
    ana = AnalysisConfig(
        fs=cfg.fs, frame_period=cfg.frame_period, f0_method=f0_method, f0_floor=floor, f0_ceil=ceil
    ).resolved()
    if n_jobs == 1 or len(wavs) < 2:
        powers = [extract_features(w, ana).power_db for w in wavs]
    else:
        from joblib import Parallel, delayed

        feats = Parallel(n_jobs=int(n_jobs))(delayed(extract_features)(w, ana) for w in wavs)
        powers = [f.power_db for f in feats]
    threshold = estimate_power_threshold(powers)
    logger.info(
        "speaker settings from %d utterances: F0 %.0f-%.0f Hz, speech above %.1f dB",
        len(wavs),
        floor,
        ceil,
        threshold,
    )
    return ana.replace(power_threshold_db=threshold)


@dataclass(frozen=True, eq=False)
class StftPairEvaluation:
    """One held-out pair scored before and after STFT-backend conversion.

    Attributes
    ----------
    index : int
        Position in the evaluation lists.
    before : UtteranceScore
        Source against target.
    after : UtteranceScore
        Converted (re-analysed waveform) against target.
    converted : numpy.ndarray
        The converted waveform.

    Examples
    --------
    :func:`evaluate_stft_converter` returns one per held-out pair; the mean
    over pairs is what the benchmarks report:

    >>> pairs = [
    ...     StftPairEvaluation(0, UtteranceScore(8.0, 500.0, 0.1, 400, 1.0),
    ...                        UtteranceScore(6.0, 480.0, 0.1, 400, 0.6), np.zeros(16000)),
    ...     StftPairEvaluation(1, UtteranceScore(9.0, 520.0, 0.2, 300, 1.1),
    ...                        UtteranceScore(6.5, 470.0, 0.1, 300, 0.7), np.zeros(12000)),
    ... ]
    >>> [float(np.mean([getattr(p, when).mcd_db for p in pairs])) for when in ("before", "after")]
    [8.5, 6.25]
    """

    index: int
    before: UtteranceScore
    after: UtteranceScore
    converted: np.ndarray


def evaluate_stft_converter(
    converter: StftConverter,
    source: Sequence[np.ndarray],
    target: Sequence[np.ndarray],
    *,
    source_analysis: AnalysisConfig | None = None,
    target_analysis: AnalysisConfig | None = None,
    mode: str = "mlpg",
    phase_init: str = "source",
    n_iter: int | None = None,
    random_state: Any = 0,
) -> list[StftPairEvaluation]:
    """Score held-out pairs before and after conversion, as the WORLD route is scored.

    The converted waveform is re-analysed with WORLD using the *source's*
    settings (its F0 is the source's: this route does not convert F0), and
    each of source and converted is DTW-aligned to the target over speech
    frames on the mel-cepstrum (c1 onward); MCD, log-F0 RMSE and V/UV error
    are taken on the aligned frames.

    Parameters
    ----------
    converter : StftConverter
    source, target : sequence of array_like, each shape (n_samples,)
        Held-out parallel utterances at ``converter.config.fs`` (never the
        training ones).
    source_analysis, target_analysis : AnalysisConfig, optional
        Each speaker's WORLD settings with the F0 range and
        ``power_threshold_db`` set (e.g. ``VoiceConverter().fit(...).model_``'s
        ``source_config`` and ``target_config``, so both backends share them,
        or :func:`estimate_speaker_analysis`'s). When ``None``, the
        converter's own (``converter.source_analysis``, ...).
    mode : {'mmse', 'mlpg', 'mlpg_em'}, default 'mlpg'
    phase_init : {'source', 'random'}, default 'source'
    n_iter : int, optional
        Griffin-Lim iterations (``config.n_iter`` when ``None``).
    random_state : None, int or numpy.random.Generator, default 0

    Returns
    -------
    list of StftPairEvaluation

    Raises
    ------
    ParameterError
        If the lists are empty or differ in length, or an analysis config
        is missing or lacks its speech threshold.

    Examples
    --------
    A converter that changes nothing (one component, target = source; see
    :class:`StftConverter`) on a 150 Hz tone scored against itself: zero
    before conversion; after it, what the mel route and Griffin-Lim lose.

    >>> from gmmvc.gmm import JointGMM
    >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
    >>> gmm = JointGMM.from_parameters([1.0], np.zeros((1, 8)), cov[None], n_source_dims=4)
    >>> conv = StftConverter(StftConfig(order=2, n_iter=16), "mfcc", gmm,
    ...                      source_threshold_db=-60.0, target_threshold_db=-60.0)
    >>> fs = 16000
    >>> tone = 0.5 * np.sin(2 * np.pi * 150 * np.arange(fs // 2) / fs)
    >>> x = np.concatenate([np.zeros(800), tone, np.zeros(800)])
    >>> ana = AnalysisConfig(f0_method="dio", f0_floor=80.0, f0_ceil=300.0,
    ...                      power_threshold_db=-60.0)
    >>> (res,) = evaluate_stft_converter(conv, [x], [x], source_analysis=ana,
    ...                                  target_analysis=ana)
    >>> res.before.mcd_db, res.before.f0_rmse_cents, res.before.vuv_error
    (0.0, 0.0, 0.0)
    >>> res.converted.shape, bool(res.after.mcd_db > 0.0)
    ((9600,), True)
    """
    if len(source) == 0 or len(source) != len(target):
        raise ParameterError(
            f"source/target: expected equal non-empty lists, got {len(source)} and {len(target)}"
        )
    source_analysis = _check_scoring_analysis(
        converter.source_analysis if source_analysis is None else source_analysis,
        "source_analysis",
        converter.config,
    )
    target_analysis = _check_scoring_analysis(
        converter.target_analysis if target_analysis is None else target_analysis,
        "target_analysis",
        converter.config,
    )
    assert source_analysis.power_threshold_db is not None
    assert target_analysis.power_threshold_db is not None
    results = []
    for i, (xs, xt) in enumerate(zip(source, target)):
        xs = as_float_array(xs, f"source[{i}]", ndim=1, min_len=1)
        xt = as_float_array(xt, f"target[{i}]", ndim=1, min_len=1)
        converted = converter.convert(
            xs, mode=mode, phase_init=phase_init, n_iter=n_iter, random_state=random_state
        )
        fs_feats = extract_features(xs, source_analysis)
        ft_feats = extract_features(xt, target_analysis)
        fc_feats = extract_features(converted, source_analysis)
        s_mask = _speech_mask(fs_feats.power_db, source_analysis.power_threshold_db)
        t_mask = _speech_mask(ft_feats.power_db, target_analysis.power_threshold_db)
        c_mask = _speech_mask(fc_feats.power_db, source_analysis.power_threshold_db)
        before = score_features(fs_feats, ft_feats, speech=s_mask, target_speech=t_mask)
        after = score_features(fc_feats, ft_feats, speech=c_mask, target_speech=t_mask)
        logger.debug("pair %d: MCD %.2f -> %.2f dB", i, before.mcd_db, after.mcd_db)
        results.append(StftPairEvaluation(i, before, after, converted))
    return results


# --------------------------------------------------------------------------
# model files
# --------------------------------------------------------------------------

#: Layout version of the STFT model files this gmmvc writes; it reads this
#: version and older ones (the rules of :data:`gmmvc.model.MODEL_FORMAT_VERSION`).
STFT_MODEL_FORMAT_VERSION = 1


def _encode_stft_config(config: StftConfig) -> tuple[Any, dict[str, np.ndarray]]:
    return config.to_dict(), {}


def _decode_stft_config(meta: Any, arrays: dict[str, np.ndarray]) -> StftConfig:
    if not isinstance(meta, dict):
        raise TypeError(f"expected a dict of STFT settings, got {type(meta).__name__}")
    return StftConfig.from_dict(meta)


def _encode_str(value: Any) -> tuple[Any, dict[str, np.ndarray]]:
    return str(value), {}


def _decode_features(meta: Any, arrays: dict[str, np.ndarray]) -> str:
    if meta not in STFT_FEATURES:
        raise ValueError(f"expected one of {STFT_FEATURES}, got {meta!r}")
    return str(meta)


_GMM_CODEC = _Codec(_encode_gmm, _decode_gmm)
_FLOAT_CODEC = _Codec(_encode_float, _decode_float)
_STATS_CODEC = _optional(_dataclass_codec(MelStats))

#: Every :class:`StftConverter` field and how it is stored (the WORLD model's
#: codecs where the field is the same kind of thing).
_STFT_FIELDS: dict[str, _Codec] = {
    "config": _Codec(_encode_stft_config, _decode_stft_config),
    "features": _Codec(_encode_str, _decode_features),
    "gmm": _GMM_CODEC,
    "source_threshold_db": _FLOAT_CODEC,
    "target_threshold_db": _FLOAT_CODEC,
    "source_stats": _STATS_CODEC,
    "target_stats": _STATS_CODEC,
    "windows": _Codec(_encode_windows, _decode_windows),
    "info": _Codec(_encode_info, _decode_info),
    "source_analysis": _optional(_CONFIG_CODEC),
    "target_analysis": _optional(_CONFIG_CODEC),
}


@dataclass(frozen=True)
class StftModelFile:
    """An STFT model file's content: the converter, its default settings, provenance.

    Attributes
    ----------
    converter : StftConverter
    mode : {'mmse', 'mlpg', 'mlpg_em'}
        Default conversion mode stored with the converter.
    phase_init : {'source', 'random'}
        Default initial phase of Griffin-Lim.
    format_version : int
        Layout version of the file (at most :data:`STFT_MODEL_FORMAT_VERSION`).
    gmmvc_version : str
        The gmmvc version that wrote the file.
    created : str
        When the file was written, ISO 8601 in UTC.

    Examples
    --------
    :func:`read_stft_model_file` returns one. A hand-built converter (see
    :class:`StftConverter`) saved with MMSE as its default mode:

    >>> import tempfile
    >>> from gmmvc.gmm import JointGMM
    >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
    >>> gmm = JointGMM.from_parameters([1.0], np.zeros((1, 8)), cov[None], n_source_dims=4)
    >>> conv = StftConverter(StftConfig(order=2), "mfcc", gmm, -60.0, -60.0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     content = read_stft_model_file(conv.save(pathlib.Path(d) / "m.npz", mode="mmse"))
    >>> content.mode, content.phase_init, content.format_version
    ('mmse', 'source', 1)
    >>> content.created.endswith("+00:00")  # UTC
    True
    """

    converter: StftConverter
    mode: str
    phase_init: str
    format_version: int
    gmmvc_version: str
    created: str


def save_stft_converter(
    converter: StftConverter,
    path: str | os.PathLike[str],
    *,
    mode: str = "mlpg",
    phase_init: str = "source",
    overwrite: bool = True,
) -> pathlib.Path:
    """Write an STFT-backend converter to one self-contained file, atomically, without pickle.

    The file has the layout of the WORLD route's model files
    (:func:`gmmvc.model.save_model`): a numpy ``.npz`` archive whose UTF-8
    JSON metadata holds the format (``'gmmvc-stft-model'``) and its version,
    the gmmvc version, the creation time, the default conversion settings,
    every scalar field and a SHA-256 of every array. ``gmmvc convert``,
    ``evaluate`` and ``info`` tell the two kinds apart.

    Parameters
    ----------
    converter : StftConverter
    path : str or os.PathLike
        Destination, used as given; ``.npz`` is the usual extension.
    mode : {'mmse', 'mlpg', 'mlpg_em'}, default 'mlpg'
        Default conversion mode stored with the converter.
    phase_init : {'source', 'random'}, default 'source'
        Default initial phase of Griffin-Lim.
    overwrite : bool, default True
        Replace an existing file. When False, an existing file is an error.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ParameterError
        If ``converter`` is not an :class:`StftConverter` or a setting is invalid.
    GmmvcError
        If the file exists and ``overwrite`` is False, its folder does not
        exist, or writing fails; an existing file is then left as it was.

    Examples
    --------
    A hand-built converter (see :class:`StftConverter`) comes back converting
    bit for bit as before:

    >>> import tempfile
    >>> from gmmvc.gmm import JointGMM
    >>> mean = np.array([0, 0, 0, 0, 0.5, 0, 0, 0])
    >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
    >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
    >>> conv = StftConverter(StftConfig(n_mels=8, order=2), "mfcc", gmm, -60.0, -60.0)
    >>> lm = np.log(np.linspace(0.1, 1.0, 16)).reshape(2, 8)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_stft_converter(conv, pathlib.Path(d) / "stft.npz")
    ...     again = load_stft_converter(path)
    >>> bool(np.array_equal(again.convert_log_mel(lm), conv.convert_log_mel(lm)))
    True
    """
    if not isinstance(converter, StftConverter):
        raise ParameterError(
            f"converter: expected an StftConverter, got {type(converter).__name__}; train one "
            "with fit_stft_converter"
        )
    check_choice(mode, "mode", STFT_MODES)
    check_choice(phase_init, "phase_init", PHASE_INITS)
    _check_config(converter.config)
    return _write_archive(
        pathlib.Path(path),
        format_name=_STFT_FORMAT_NAME,
        format_version=STFT_MODEL_FORMAT_VERSION,
        conversion={"mode": mode, "phase_init": phase_init},
        obj=converter,
        codecs=_STFT_FIELDS,
        overwrite=overwrite,
    )


def read_stft_model_file(path: str | os.PathLike[str]) -> StftModelFile:
    """Read and check an STFT model file: the converter, its default settings and provenance.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_stft_converter` (``gmmvc train --backend stft``).

    Returns
    -------
    StftModelFile

    Raises
    ------
    GmmvcError
        If the file does not exist, is not a gmmvc model file (or is a
        WORLD-backend one), is truncated or corrupt, holds pickled objects,
        was written in a newer format (upgrade gmmvc), or holds invalid or
        inconsistent content. The message names the file and the problem.

    Examples
    --------
    A WORLD-backend model, or any other file, is refused with a message that
    says what it is:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     other = pathlib.Path(d) / "spectra.npz"
    ...     np.savez(other, sp=np.ones(3))
    ...     read_stft_model_file(other)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gmmvc.exceptions.GmmvcError: .../spectra.npz: not a gmmvc model file (a .npz archive without \
gmmvc metadata, holding sp)...
    """
    return _open_archive(path, _read_stft_archive)


def load_stft_converter(path: str | os.PathLike[str]) -> StftConverter:
    """Read a converter written by :func:`save_stft_converter`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    StftConverter
        It converts bit for bit as the one saved; the stored default settings
        and provenance are in :func:`read_stft_model_file`.

    Raises
    ------
    GmmvcError
        As :func:`read_stft_model_file`.

    Examples
    --------
    >>> import tempfile
    >>> from gmmvc.gmm import JointGMM
    >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
    >>> gmm = JointGMM.from_parameters([1.0], np.zeros((1, 8)), cov[None], n_source_dims=4)
    >>> conv = StftConverter(StftConfig(order=2), "mfcc", gmm, -60.0, -55.0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     again = load_stft_converter(save_stft_converter(conv, pathlib.Path(d) / "m.npz"))
    >>> again.config == conv.config, again.target_threshold_db
    (True, -55.0)
    """
    return read_stft_model_file(path).converter


def _read_stft_archive(p: pathlib.Path, data: Any) -> StftModelFile:
    """Decode and check an open ``NpzFile``; every problem is a GmmvcError naming ``p``."""
    metadata, arrays = _checked_metadata(p, data, _STFT_FORMAT_NAME, STFT_MODEL_FORMAT_VERSION)
    converter = StftConverter(**_decode_fields(p, metadata, arrays, _STFT_FIELDS, StftConverter))
    _check_stft_consistency(p, converter)
    conversion = metadata["conversion"]
    if (
        not isinstance(conversion, dict)
        or set(conversion) != {"mode", "phase_init"}
        or conversion["mode"] not in STFT_MODES
        or conversion["phase_init"] not in PHASE_INITS
    ):
        raise GmmvcError(
            f"{p}: model file metadata is corrupt (conversion settings {conversion!r}; expected "
            f"a mode in {STFT_MODES} and a phase_init in {PHASE_INITS})"
        )
    return StftModelFile(
        converter=converter,
        mode=str(conversion["mode"]),
        phase_init=str(conversion["phase_init"]),
        format_version=int(metadata["format_version"]),
        gmmvc_version=str(metadata["gmmvc_version"]),
        created=str(metadata["created"]),
    )


def _check_stft_consistency(p: pathlib.Path, conv: StftConverter) -> None:
    """Check that the decoded fields fit together as one trained STFT converter."""
    cfg = conv.config
    problems = []
    dim = cfg.order if conv.features == "mfcc" else cfg.n_mels
    n_src = dim * len(conv.windows)
    if conv.gmm.n_source_dims_ != n_src or conv.gmm.means_.shape[1] != 2 * n_src:
        problems.append(
            f"the GMM has {conv.gmm.n_source_dims_} source and {conv.gmm.means_.shape[1]} joint "
            f"dimensions; {conv.features} features of {dim} dimensions with "
            f"{len(conv.windows)} windows need {n_src} and {2 * n_src}"
        )
    for who in ("source", "target"):
        stats = getattr(conv, f"{who}_stats")
        if (stats is not None) != (cfg.normalization == "meanstd"):
            problems.append(
                f"{who}_stats is {'set' if stats is not None else 'missing'} with "
                f"normalization {cfg.normalization!r}; 'meanstd' and only 'meanstd' needs them"
            )
        elif stats is not None and stats.mean.shape != (cfg.n_mels,):
            problems.append(
                f"{who}_stats has {stats.mean.shape[0]} channels, expected n_mels = {cfg.n_mels}"
            )
        analysis = getattr(conv, f"{who}_analysis")
        if analysis is not None:
            try:
                _check_scoring_analysis(analysis, f"{who}_analysis", cfg)
            except ParameterError as exc:
                problems.append(str(exc))
    if problems:
        raise GmmvcError(f"{p}: inconsistent model file: {'; '.join(problems)}")
