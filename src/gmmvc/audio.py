"""Reading and writing audio files, mono mixdown and resampling.

Files are read with soundfile (libsndfile) as float64 in ``[-1, 1]``, mixed
down to mono and, on request, resampled with soxr through librosa. Files are
written atomically: a temporary file in the target directory is renamed over
the destination only once it is complete, so an interrupted write never leaves
a truncated file behind.
"""

from __future__ import annotations

import logging
import os
import pathlib
import secrets
from typing import Any

import numpy as np
import soundfile as sf

from ._validation import as_float_array, check_finite_result, check_fs, check_positive
from .exceptions import GmmvcError, ParameterError

__all__ = ["read_audio", "write_audio", "resample", "to_mono", "pitch_shift", "wsola_stretch"]

logger = logging.getLogger(__name__)

#: Peak amplitude a signal that would clip is scaled to before writing.
WRITE_PEAK = 0.99

#: soxr quality used for every sample-rate conversion.
RESAMPLE_TYPE = "soxr_hq"

#: Order of the Butterworth high-pass that takes the band a downward :func:`pitch_shift`
#: empties from the unshifted source (applied forwards and backwards: zero phase).
BAND_REFILL_ORDER = 8

#: Its cut-off as a fraction of the emptied band's edge ``ratio * fs / 2``: a little below
#: it, so the two filters' slopes overlap (at the edge itself white noise came out 5 dB low
#: at ratio 0.55, 1 dB at this setting).
BAND_REFILL_EDGE = 0.95


def to_mono(x: Any) -> np.ndarray:
    """Mix a multichannel signal down to mono by averaging the channels.

    Parameters
    ----------
    x : array_like, shape (n_samples,) or (n_samples, n_channels)
        The signal, frames first as soundfile returns it.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        The channel average (``x`` itself, as float64, when already 1-D).

    Raises
    ------
    ParameterError
        If ``x`` is not 1-D or 2-D, contains NaN or infinity, has no channel
        or more channels than samples (a ``(n_channels, n_samples)`` array).

    Examples
    --------
    >>> to_mono([[1.0, 0.0], [0.5, 0.5]])
    array([0.5, 0.5])
    """
    arr = as_float_array(x, "x", ndim=(1, 2))
    if arr.ndim == 1:
        return arr
    _check_frames_first(arr)
    with np.errstate(over="ignore", invalid="ignore"):
        mono = np.ascontiguousarray(arr.mean(axis=1))
    return check_finite_result(mono, "to_mono", "x")


def resample(x: Any, orig_fs: int, fs: int) -> np.ndarray:
    """Resample a signal from ``orig_fs`` to ``fs`` Hz with soxr (high quality).

    Parameters
    ----------
    x : array_like, shape (n_samples,) or (n_samples, n_channels)
        The signal, frames first.
    orig_fs : int
        Sample rate of ``x`` in Hz, a positive integer.
    fs : int
        Target sample rate in Hz, an integer of at least 8000.

    Returns
    -------
    numpy.ndarray, shape (ceil(n_samples * fs / orig_fs),) or (..., n_channels)
        The resampled signal (a copy of ``x`` when the rates are equal).

    Raises
    ------
    ParameterError
        If a rate is invalid or ``x`` is not a finite 1-D or 2-D array.

    Examples
    --------
    >>> resample(np.zeros(441), 44100, 16000).shape
    (160,)
    """
    orig_fs = int(check_positive(orig_fs, "orig_fs", integer=True))
    fs = check_fs(fs, "fs")
    arr = as_float_array(x, "x", ndim=(1, 2))
    if arr.ndim == 2:
        _check_frames_first(arr)
    if orig_fs == fs:
        return arr.copy()
    if arr.shape[0] == 0:
        return np.zeros((0,) + arr.shape[1:])

    import librosa

    out = librosa.resample(
        arr, orig_sr=orig_fs, target_sr=fs, res_type=RESAMPLE_TYPE, fix=False, axis=0
    )
    # Exact integer length; librosa's own fix uses a float ratio (22050 -> 48000 of
    # 11025 samples would give 24001).
    n_out = -(-arr.shape[0] * fs // orig_fs)
    out = librosa.util.fix_length(out, size=n_out, axis=0)
    # soxr may compute in single precision: samples beyond ~3e38 come back infinite or NaN
    return check_finite_result(
        np.ascontiguousarray(out, dtype=np.float64), "resample", "x (audio samples)"
    )


#: WSOLA frame length and the search range around each frame's nominal position, in
#: seconds: two periods and one period of an 80 Hz voice, so every frame holds whole
#: periods and the search can always find the waveform's phase.
WSOLA_FRAME = 0.025
WSOLA_TOLERANCE = 0.0125


def wsola_stretch(x: Any, fs: int, factor: float) -> np.ndarray:
    """Change a waveform's duration by ``factor`` keeping its pitch (WSOLA).

    Waveform-similarity overlap-add (Verhelst and Roelands 1993): Hann frames
    of :data:`WSOLA_FRAME` seconds are laid down at half-frame steps; each
    frame is read from near its nominal place in ``x`` (``1 / factor`` of the
    output position), within :data:`WSOLA_TOLERANCE`, at the offset whose
    waveform best continues the previous frame (normalised cross-correlation).
    Periods are copied whole, so voiced speech stays periodic, with no phase
    vocoder's smearing.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
    fs : int
    factor : float
        Output duration over input duration; positive.

    Returns
    -------
    numpy.ndarray, shape (round(n_samples * factor),)

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16000) / 16000
    >>> y = wsola_stretch(np.sin(2 * np.pi * 200 * t), 16000, 1.5)
    >>> y.size, int(np.argmax(np.abs(np.fft.rfft(y)))) / 1.5  # still 200 Hz, 1.5 s
    (24000, 200.0)
    """
    x = as_float_array(x, "x", ndim=1, min_len=1)
    fs = check_fs(fs)
    factor = float(check_positive(factor, "factor"))
    n = max(2, int(round(WSOLA_FRAME * fs)) // 2 * 2)
    hop = n // 2
    tol = int(round(WSOLA_TOLERANCE * fs))
    window = np.hanning(n + 1)[:n]  # periodic Hann: overlap-adds to 1 at half-frame steps
    out_len = int(round(x.size * factor))
    n_frames = out_len // hop + 1
    pad = tol + n
    padded = np.concatenate([np.zeros(pad), x, np.zeros(pad + n + int(np.ceil(hop / factor)))])
    out = np.zeros(n_frames * hop + n)
    ones = np.ones(n)
    start = pad
    for k in range(n_frames):
        out[k * hop : k * hop + n] += window * padded[start : start + n]
        natural = padded[start + hop : start + hop + n]  # what would follow this frame
        nominal = pad + int(round((k + 1) * hop / factor))
        region = padded[nominal - tol : nominal + tol + n]
        similarity = np.correlate(region, natural, mode="valid")
        energy = np.convolve(region * region, ones, mode="valid")
        score = similarity / np.sqrt(np.maximum(energy, 1e-300))
        start = nominal - tol + (int(np.argmax(score)) if score.max() > 0.0 else tol)
    return out[:out_len]


def pitch_shift(x: Any, fs: int, ratio: float) -> np.ndarray:
    """Shift the pitch of a waveform by a frequency ratio, keeping its duration.

    Used by F0-shifted differential conversion: the source is moved toward
    the target's pitch before MLSA filtering (and before training): a WSOLA
    time-stretch (:func:`wsola_stretch`) by ``ratio`` followed by soxr
    resampling back to the original duration. Formants move with the pitch,
    which the differential GMM then corrects.

    Lowering the pitch by a ratio ``r < 1`` this way moves everything below
    ``r * fs / 2`` and leaves the band above it empty, which no filter can
    refill; that band is therefore taken from ``x`` itself (high-passed just
    below ``r * fs / 2``, unshifted). Up there speech is mostly aperiodic, so its
    pitch hardly matters, and the spectrum keeps its full width.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
    fs : int
    ratio : float
        Frequency ratio (2.0 = one octave up); positive.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16000) / 16000
    >>> y = pitch_shift(np.sin(2 * np.pi * 200 * t), 16000, 1.5)
    >>> int(np.argmax(np.abs(np.fft.rfft(y))))  # 300 Hz at 1 Hz per bin
    300

    Lowered, white noise keeps energy above the new band edge (5 kHz here):

    >>> noise = np.random.default_rng(0).normal(size=16000)
    >>> spec = np.abs(np.fft.rfft(pitch_shift(noise, 16000, 0.625))) ** 2
    >>> bool(spec[6000:7900].mean() > 0.3 * spec[1000:4000].mean())
    True
    """
    x = as_float_array(x, "x", ndim=1, min_len=1)
    fs = check_fs(fs)
    ratio = float(check_positive(ratio, "ratio"))
    if ratio == 1.0:
        return x.copy()
    import librosa

    # ratio x the duration at the same pitch, then played ratio x faster
    stretched = wsola_stretch(x, fs, ratio)
    shifted = librosa.resample(
        stretched, orig_sr=fs * ratio, target_sr=fs, res_type=RESAMPLE_TYPE
    )
    shifted = librosa.util.fix_length(np.asarray(shifted, dtype=np.float64), size=x.size)
    if ratio < 1.0:  # refill the band that resampling emptied with the source's own
        from scipy.signal import butter, sosfiltfilt

        edge = BAND_REFILL_EDGE * ratio * fs / 2
        high = butter(BAND_REFILL_ORDER, edge, btype="highpass", fs=fs, output="sos")
        padlen = min(3 * (2 * high.shape[0] + 1), x.size - 1)  # scipy's, or what x allows
        shifted += sosfiltfilt(high, x, padlen=padlen)[: shifted.size]
    return shifted


def read_audio(path: str | os.PathLike[str], *, fs: int | None = None) -> tuple[np.ndarray, int]:
    """Read an audio file as mono float64, optionally resampled.

    Parameters
    ----------
    path : str or path-like
        Any file libsndfile decodes (WAV, FLAC, OGG, AIFF, ...).
    fs : int, optional
        Sample rate in Hz to resample to (soxr, high quality). ``None`` keeps
        the file's rate.

    Returns
    -------
    x : numpy.ndarray, shape (n_samples,)
        The samples in ``[-1, 1]`` for integer files; channels are averaged
        (logged at INFO level).
    fs : int
        The sample rate of ``x`` in Hz.

    Raises
    ------
    GmmvcError
        If the file does not exist, is not audio libsndfile can read, has no
        samples, or holds NaN or infinite samples.
    ParameterError
        If ``fs`` is not a valid sample rate.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_audio(pathlib.Path(d) / "a.wav", np.zeros(1600), 16000)
    ...     x, rate = read_audio(p, fs=8000)
    >>> x.shape, rate
    ((800,), 8000)
    """
    if fs is not None:
        fs = check_fs(fs, "fs")
    p = pathlib.Path(path)
    if not p.exists():
        raise GmmvcError(
            f"{p}: audio file does not exist; check the path and the working directory"
        )
    if p.is_dir():
        raise GmmvcError(f"{p}: expected an audio file, got a directory")
    try:
        data, file_fs = sf.read(p, dtype="float64", always_2d=True)
    except (sf.SoundFileError, OSError) as exc:
        raise GmmvcError(
            f"{p}: cannot be read as audio ({exc}); expected a file libsndfile can decode "
            "(WAV, FLAC, OGG, AIFF, ...); convert it, e.g. with ffmpeg or sox"
        ) from exc
    n_samples, n_channels = data.shape
    if n_samples == 0:
        raise GmmvcError(f"{p}: expected audio samples, got an empty file (0 samples)")
    if not np.all(np.isfinite(data)):
        raise GmmvcError(
            f"{p}: contains NaN or infinite samples; re-export the file as integer PCM"
        )
    if n_channels > 1:
        logger.info("%s: mixing %d channels down to mono", p, n_channels)
        x = np.ascontiguousarray(data.mean(axis=1))
    else:
        x = np.ascontiguousarray(data[:, 0])
    file_fs = int(file_fs)
    if fs is not None and fs != file_fs:
        logger.debug("%s: resampling from %d Hz to %d Hz", p, file_fs, fs)
        x = resample(x, file_fs, fs)
        file_fs = fs
    return x, file_fs


def write_audio(
    path: str | os.PathLike[str],
    x: Any,
    fs: int,
    *,
    overwrite: bool = True,
    subtype: str = "PCM_16",
) -> pathlib.Path:
    """Write a signal to an audio file atomically, without clipping.

    The samples go to a temporary file in the destination directory, which is
    flushed to disk and then renamed over ``path``; on any failure the
    temporary file is removed and an existing file at ``path`` is left as it
    was.

    Parameters
    ----------
    path : str or path-like
        Destination; the extension (``.wav``, ``.flac``, ...) selects the format.
    x : array_like, shape (n_samples,) or (n_samples, n_channels)
        Finite samples, nominally in ``[-1, 1]``. A signal whose peak exceeds
        1 is scaled to a peak of 0.99 (and a warning is logged) rather than
        clipped.
    fs : int
        Sample rate in Hz, an integer of at least 8000.
    overwrite : bool, default True
        Replace an existing file. When False, an existing file is an error.
    subtype : str, default 'PCM_16'
        soundfile subtype, e.g. ``'PCM_24'``, ``'FLOAT'``; must suit the format.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ParameterError
        If ``x`` is empty, not finite or badly shaped, or ``fs``, the
        extension or ``subtype`` is invalid.
    GmmvcError
        If ``path`` exists and ``overwrite`` is False, its directory does not
        exist, or writing fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_audio(pathlib.Path(d) / "tone.flac", np.zeros(160), 16000)
    ...     print(p.name, sorted(q.name for q in p.parent.iterdir()))
    tone.flac ['tone.flac']
    """
    p = pathlib.Path(path)
    arr = as_float_array(x, "x", ndim=(1, 2), min_len=1)
    if arr.ndim == 2:
        _check_frames_first(arr)
    fs = check_fs(fs, "fs")
    fmt = p.suffix[1:].upper()
    if fmt not in sf.available_formats():
        raise ParameterError(
            f"path: expected an audio extension soundfile knows "
            f"(.wav, .flac, .ogg, .aiff, ...), got {p.name!r}; change the file extension"
        )
    if not sf.check_format(fmt, subtype):
        raise ParameterError(
            f"subtype: expected one of {sorted(sf.available_subtypes(fmt))} for "
            f"{fmt} files, got {subtype!r}"
        )
    if not p.parent.is_dir():
        raise GmmvcError(f"{p}: directory {p.parent} does not exist; create it first")
    if p.is_dir():
        raise GmmvcError(f"{p}: expected a file name, got an existing directory")
    if not overwrite and p.exists():
        raise GmmvcError(
            f"{p}: file already exists and overwrite=False; remove it, choose another "
            "name or pass overwrite=True"
        )

    peak = float(np.max(np.abs(arr)))
    if peak > 1.0:
        logger.warning(
            "%s: peak amplitude %.3f exceeds 1; scaling the signal to peak %.2f instead "
            "of clipping",
            p,
            peak,
            WRITE_PEAK,
        )
        arr = arr * (WRITE_PEAK / peak)

    # Same directory (so the rename is atomic) and same suffix (so soundfile
    # picks the same format); created exclusively so no other file is reused.
    tmp = p.with_name(f".{p.stem}.{secrets.token_hex(6)}.tmp{p.suffix}")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        sf.write(tmp, arr, fs, subtype=subtype, format=fmt)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, p)
        else:
            _move_no_clobber(tmp, p)
    except (sf.SoundFileError, OSError) as exc:
        raise GmmvcError(
            f"{p}: writing the audio file failed ({exc}); check that the folder is writable "
            "and the disk has space, or choose another output folder"
        ) from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    logger.debug("wrote %s (%d samples at %d Hz, %s)", p, arr.shape[0], fs, subtype)
    return p


def _move_no_clobber(src: pathlib.Path, dst: pathlib.Path) -> None:
    """Rename ``src`` to ``dst``, failing if ``dst`` appeared in the meantime."""
    try:
        os.link(src, dst)  # atomic, fails if dst exists
    except FileExistsError:
        raise GmmvcError(
            f"{dst}: file already exists and overwrite=False; remove it, choose another "
            "name or pass overwrite=True"
        ) from None
    except OSError:
        # File systems without hard links: check, then rename (a small race remains).
        if dst.exists():
            raise GmmvcError(
                f"{dst}: file already exists and overwrite=False; remove it, choose "
                "another name or pass overwrite=True"
            ) from None
        os.replace(src, dst)
    else:
        src.unlink()


def _check_frames_first(arr: np.ndarray) -> None:
    """Reject a 2-D signal that looks channels-first, ``(n_channels, n_samples)``."""
    if arr.shape[1] == 0:
        raise ParameterError(
            f"x: expected shape (n_samples, n_channels) with at least 1 channel, got {arr.shape}"
        )
    if arr.shape[1] > arr.shape[0]:
        raise ParameterError(
            f"x: expected shape (n_samples, n_channels), got {arr.shape} (more channels "
            "than samples); pass x.T if the array is channels-first"
        )
