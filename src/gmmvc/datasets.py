"""Corpora: the generated demo corpus, and readers for parallel corpora on disk.

**Readers.** :func:`paired_files` pairs a source and a target speaker's files,
given as two folders (matched by file stem across audio extensions) or two
text lists of paths (matched by position); :func:`audio_files` expands files,
folders and lists into one list of audio files; :func:`read_file_list` reads
one list. These are what ``gmmvc train``, ``convert`` and ``evaluate`` take.

**The demo corpus.** ``gmmvc demo`` trains and converts on a generated corpus
of two synthetic voices reading the same sentences, so the package works out
of the box with no download. :func:`make_demo_corpus` builds it with a small
source-filter synthesiser written for the purpose:

* a phone inventory of five vowels, two nasals, two approximants, three
  voiceless fricatives, two stops (closure and burst) and a pause;
* sentences that are random syllable strings of 8 to 20 phones, with silence
  (and a faint noise floor) before and after and sometimes one internal pause;
* a glottal pulse train (Rosenberg-style flow, differentiated for lip
  radiation) with a smooth F0 contour and a little aspiration noise for voiced
  sounds, band-filtered white noise for fricatives and bursts;
* a cascade of second-order formant resonators whose frequencies and
  bandwidths glide between phone targets, updated every 5 ms without clicks.

The SOURCE voice is male-like (F0 near 115 Hz); the TARGET voice is
female-like (F0 near 210 Hz, formants 10-20 % higher with vowel-specific
differences, wider bandwidths, a steeper spectral tilt, a fixed spectral zero at
another frequency) and speaks about 15 % slower with its own per-phone timing,
so the pairs must be time-aligned (DTW) before training. The mapping between
the voices' envelopes is therefore phone-dependent, which is what a
joint-density GMM learns.

:func:`write_demo_corpus` writes the corpus as two folders of 16-bit WAV files.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import logging
import operator
import os
import pathlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.ndimage
import scipy.signal

from ._validation import SUPPORTED_FS, check_fs, check_positive
from .exceptions import GmmvcError, ParameterError

__all__ = [
    "AUDIO_EXTENSIONS",
    "audio_files",
    "paired_files",
    "read_file_list",
    "DemoCorpus",
    "make_demo_corpus",
    "write_demo_corpus",
]

logger = logging.getLogger(__name__)

#: Block (hop) in seconds at which every synthesis parameter is updated.
_BLOCK_SECONDS = 0.005

#: Level of the noise floor relative to the utterance peak, in dB.
_NOISE_FLOOR_DB = -60.0

#: Number of spoken phones (pauses not counted) in a sentence, inclusive bounds.
_MIN_PHONES, _MAX_PHONES = 8, 20

#: Formants of a neutral vowel (Hz, source voice). A voice keeps only the
#: resonators whose neutral frequency stays below ``_MAX_FORMANT_RATIO * fs``.
_NEUTRAL_FORMANTS = (500.0, 1500.0, 2500.0, 3500.0, 4500.0)
_MAX_FORMANT_RATIO = 0.42
#: Hard ceiling of any resonator frequency as a fraction of ``fs``.
_FORMANT_CEIL_RATIO = 0.46


@dataclass(frozen=True)
class _Phone:
    """One entry of the phone inventory (source-voice values).

    ``formants`` and ``bandwidths`` are F1..F5 in Hz (None for obstruents and
    pauses, whose formant tracks are interpolated from their neighbours);
    ``voicing`` is the amplitude of the glottal source (0 to 1); ``band`` is the
    pass band in Hz of the frication or burst noise and ``noise_db`` its level
    relative to the voiced speech.
    """

    kind: str
    duration: float
    formants: tuple[float, ...] | None = None
    bandwidths: tuple[float, ...] | None = None
    voicing: float = 0.0
    band: tuple[float, float] | None = None
    noise_db: float = -np.inf


_VOWEL_BW = (60.0, 90.0, 120.0, 170.0, 250.0)
_NASAL_BW = (90.0, 220.0, 300.0, 380.0, 450.0)
_APPROX_BW = (70.0, 110.0, 150.0, 200.0, 280.0)

#: Burst length of the stops, seconds (the rest of the stop is closure).
_BURST_SECONDS = 0.015

_PHONES: dict[str, _Phone] = {
    "a": _Phone("vowel", 0.115, (750.0, 1200.0, 2500.0, 3450.0, 4500.0), _VOWEL_BW, 1.0),
    "e": _Phone("vowel", 0.105, (500.0, 1800.0, 2500.0, 3500.0, 4500.0), _VOWEL_BW, 1.0),
    "i": _Phone("vowel", 0.095, (290.0, 2250.0, 2950.0, 3600.0, 4600.0), _VOWEL_BW, 0.95),
    "o": _Phone("vowel", 0.110, (520.0, 900.0, 2450.0, 3400.0, 4450.0), _VOWEL_BW, 1.0),
    "u": _Phone("vowel", 0.095, (320.0, 850.0, 2250.0, 3300.0, 4400.0), _VOWEL_BW, 0.9),
    "m": _Phone("nasal", 0.070, (270.0, 1000.0, 2200.0, 3300.0, 4400.0), _NASAL_BW, 0.45),
    "n": _Phone("nasal", 0.065, (270.0, 1450.0, 2500.0, 3400.0, 4500.0), _NASAL_BW, 0.45),
    "l": _Phone("approximant", 0.065, (360.0, 1250.0, 2700.0, 3500.0, 4500.0), _APPROX_BW, 0.65),
    "w": _Phone("approximant", 0.060, (320.0, 700.0, 2300.0, 3300.0, 4400.0), _APPROX_BW, 0.7),
    "s": _Phone("fricative", 0.100, band=(4200.0, 7200.0), noise_db=-6.0),
    "sh": _Phone("fricative", 0.100, band=(2200.0, 4200.0), noise_db=-4.0),
    "f": _Phone("fricative", 0.090, band=(1200.0, 7000.0), noise_db=-16.0),
    "t": _Phone("stop", 0.070, band=(2500.0, 7000.0), noise_db=-2.0),
    "k": _Phone("stop", 0.075, band=(1200.0, 3200.0), noise_db=-2.0),
    "pau": _Phone("pause", 0.200),
}

_VOWELS = tuple(p for p, v in _PHONES.items() if v.kind == "vowel")
_ONSETS = ("m", "n", "l", "w", "s", "sh", "f", "t", "k")
_ONSET_WEIGHTS = np.array([1.0, 1.2, 1.0, 0.6, 1.2, 0.6, 0.7, 1.2, 1.0])
_CODAS = ("m", "n", "s")


@dataclass(frozen=True)
class _Voice:
    """Speaker parameters of the synthesiser."""

    f0_mean: float  # Hz
    f0_range: float  # scale of all F0 excursions (semitones)
    formant_scale: tuple[float, ...]  # per formant, F1..F5
    bandwidth_scale: float
    open_quotient: float  # open phase / period
    speed_quotient: float  # opening / closing phase
    tilt: float  # pole of the one-pole spectral-tilt low-pass, 0 <= tilt < 1
    aspiration: float  # aspiration noise relative to the pulse peak
    rate: float  # duration multiplier (> 1 is slower)
    noise_scale: float  # frequency scale of frication bands
    antiresonance: tuple[
        float, float
    ]  # fixed spectral zero (Hz, bandwidth Hz), e.g. piriform fossa
    phone_shift: tuple[tuple[str, tuple[float, ...]], ...] = ()  # per-phone F1..F5 factors


_SOURCE_VOICE = _Voice(
    f0_mean=115.0,
    f0_range=1.0,
    formant_scale=(1.0, 1.0, 1.0, 1.0, 1.0),
    bandwidth_scale=1.0,
    open_quotient=0.55,
    speed_quotient=2.5,
    tilt=0.15,
    aspiration=0.03,
    rate=1.0,
    noise_scale=1.0,
    antiresonance=(4700.0, 400.0),
)

_TARGET_VOICE = _Voice(
    f0_mean=210.0,
    f0_range=1.25,
    formant_scale=(1.2, 1.18, 1.16, 1.13, 1.1),
    bandwidth_scale=1.2,
    open_quotient=0.7,
    speed_quotient=1.8,
    tilt=0.45,
    aspiration=0.06,
    rate=1.15,
    noise_scale=1.1,
    antiresonance=(3500.0, 250.0),
    phone_shift=(
        ("a", (1.08, 1.05, 1.0, 1.0, 1.0)),
        ("e", (0.95, 1.06, 1.04, 1.0, 1.0)),
        ("i", (1.0, 1.08, 1.06, 1.0, 1.0)),
        ("o", (1.0, 1.12, 1.0, 1.0, 1.0)),
        ("u", (1.0, 1.3, 1.05, 1.0, 1.0)),
        ("l", (1.0, 0.95, 0.92, 1.0, 1.0)),
        ("w", (1.0, 1.1, 1.0, 1.0, 1.0)),
    ),
)


@dataclass(frozen=True, eq=False)
class DemoCorpus:
    """A parallel corpus: two voices reading the same phone sequences.

    Utterance ``i`` of :attr:`source` and of :attr:`target` read
    :attr:`phones` ``[i]``, with different timing, so they differ in length.
    Instances compare by identity (they hold arrays); compare the fields with
    :func:`numpy.array_equal` instead.

    Parameters
    ----------
    fs : int
        Sample rate in Hz of every waveform.
    names : tuple of str
        Utterance ids (``"utt000"``, ``"utt001"``, ...), used as file stems.
    source : tuple of numpy.ndarray
        Source-voice waveforms, float64, shape ``(n_samples,)``, peak <= 0.9.
    target : tuple of numpy.ndarray
        Target-voice waveforms of the same sentences, same constraints.
    phones : tuple of tuple of str
        The phone sequence each utterance reads. Leading and trailing silence
        are not listed; an internal pause is listed as ``"pau"``.

    Raises
    ------
    ParameterError
        If the fields disagree in length, a name is not a plain file stem or is
        repeated, or a waveform is not a 1-D array.

    Examples
    --------
    >>> c = make_demo_corpus(2)
    >>> c.names
    ('utt000', 'utt001')
    >>> c.fs, c.source[0].dtype, c.source[0].ndim
    (16000, dtype('float64'), 1)
    """

    fs: int
    names: tuple[str, ...]
    source: tuple[np.ndarray, ...]
    target: tuple[np.ndarray, ...]
    phones: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        n = len(self.names)
        for field in ("source", "target", "phones"):
            if len(getattr(self, field)) != n:
                raise ParameterError(
                    f"{field}: expected one entry per name ({n}), got "
                    f"{len(getattr(self, field))}; build the corpus with make_demo_corpus"
                )
        for name in self.names:
            if (
                not isinstance(name, str)
                or not name
                or name in (".", "..")
                or os.sep in name
                or "/" in name
                or (os.altsep is not None and os.altsep in name)
            ):
                raise ParameterError(
                    f"names: expected plain file stems, got {name!r}; use names such as 'utt000'"
                )
        if len(set(self.names)) != n:
            raise ParameterError(
                "names: expected unique utterance ids, got repeated ones; "
                "give every utterance its own name"
            )
        for field in ("source", "target"):
            for name, wav in zip(self.names, getattr(self, field), strict=True):
                if not isinstance(wav, np.ndarray) or wav.ndim != 1:
                    raise ParameterError(
                        f"{field}: expected 1-D numpy arrays, got "
                        f"{type(wav).__name__} with shape {np.shape(wav)} for {name!r}; "
                        "pass mono waveforms"
                    )


def make_demo_corpus(n_utterances: int = 24, *, fs: int = 16000, seed: int = 0) -> DemoCorpus:
    r"""Generate the parallel demo corpus of two synthetic voices.

    Parameters
    ----------
    n_utterances : int, default 24
        Number of sentences, a positive integer. Each lasts about 1 to 3 s.
    fs : int, default 16000
        Sample rate in Hz, one of 8000, 16000, 22050, 24000, 44100, 48000.
    seed : int, default 0
        Non-negative seed of :func:`numpy.random.default_rng`. The same seed
        gives bit-identical waveforms, and the first ``k`` utterances do not
        depend on ``n_utterances``.

    Returns
    -------
    DemoCorpus
        ``n_utterances`` sentence pairs named ``utt000``, ``utt001``, ...

    Raises
    ------
    ParameterError
        If ``n_utterances`` is not a positive integer, ``fs`` is not a supported
        sample rate or ``seed`` is not a non-negative integer.

    Notes
    -----
    Both voices are rendered by the same source-filter synthesiser in the style
    of Klatt's cascade formant synthesiser (Klatt 1980). The voiced excitation
    is a Rosenberg-style glottal flow pulse (Rosenberg 1971) driven by the
    phase :math:`\phi(t) = \int_0^t F_0(\tau)\,d\tau`, differentiated
    (lip radiation), plus pulse-synchronous aspiration noise. Each formant is a
    resonator

    .. math:: y[n] = A x[n] + B y[n-1] + C y[n-2],\quad
              C = -e^{-2\pi b/f_s},\ B = 2 e^{-\pi b/f_s}\cos(2\pi f/f_s),\
              A = 1 - B - C

    with unit gain at 0 Hz. Formant frequencies ``f`` and bandwidths ``b``
    move between phone targets along smoothed tracks updated every 5 ms; the
    filter states are carried across updates (re-expressed for the new
    coefficients, so the resonators behave as direct-form filters whose past
    outputs persist). A one-pole low-pass sets the spectral tilt. Fricatives
    and stop bursts are band-pass filtered white noise added after the vocal
    tract. Each voice also has one fixed antiresonance (a spectral zero, as
    the piriform fossa makes in real voices). The log-F0 contour is a
    declination line, one accent on a random vowel, a slow random wander and
    small per-block jitter.

    The two voices share the sentence, its accent position and a per-phone
    duration pattern, but each draws its own duration jitter, formant jitter,
    silences, gain and noise.

    References
    ----------
    D. H. Klatt, "Software for a cascade/parallel formant synthesizer," J.
    Acoust. Soc. Am. 67(3), 971-995, 1980.

    A. E. Rosenberg, "Effect of glottal pulse shape on the quality of natural
    vowels," J. Acoust. Soc. Am. 49(2B), 583-590, 1971.

    Examples
    --------
    >>> c = make_demo_corpus(2)
    >>> len(c.source), len(c.target)
    (2, 2)
    >>> len(c.source[0]) != len(c.target[0])
    True
    >>> bool(max(abs(c.source[0]).max(), abs(c.target[0]).max()) <= 0.9)
    True
    """
    try:
        n_utterances = int(check_positive(n_utterances, "n_utterances", integer=True))
    except ParameterError as exc:
        raise ParameterError(f"{exc}; pass the number of sentences, e.g. 24") from None
    fs = check_fs(fs)
    if fs not in SUPPORTED_FS:
        raise ParameterError(
            f"fs: expected one of {', '.join(map(str, SUPPORTED_FS))} Hz, got {fs}; "
            "pick one of these rates (16000 is the usual choice)"
        )
    seed = _check_seed(seed)

    children = np.random.SeedSequence(seed).spawn(n_utterances)
    names, sources, targets, phones = [], [], [], []
    for i, child in enumerate(children):
        rng = np.random.default_rng(child)
        sentence = _make_sentence(rng)
        sources.append(_render(sentence, _SOURCE_VOICE, rng, fs))
        targets.append(_render(sentence, _TARGET_VOICE, rng, fs))
        if targets[-1].size == sources[-1].size:
            # Guarantee a timing difference even in the unlikely tie.
            targets[-1] = np.concatenate([targets[-1], targets[-1][-1:] * 0.5])
        names.append(f"utt{i:03d}")
        phones.append(sentence.phones)
    logger.debug("generated %d demo utterance pairs at %d Hz (seed %d)", n_utterances, fs, seed)
    return DemoCorpus(
        fs=fs,
        names=tuple(names),
        source=tuple(sources),
        target=tuple(targets),
        phones=tuple(phones),
    )


def write_demo_corpus(
    corpus: DemoCorpus, folder: str | os.PathLike, *, overwrite: bool = False
) -> tuple[pathlib.Path, pathlib.Path]:
    """Write a corpus as ``folder/source/<name>.wav`` and ``folder/target/<name>.wav``.

    Files are 16-bit PCM WAV at ``corpus.fs``. Each file is written to a
    temporary file in its destination folder and then moved into place with
    :func:`os.replace`, so a reader never sees a half-written file.

    Parameters
    ----------
    corpus : DemoCorpus
        The corpus, e.g. from :func:`make_demo_corpus`.
    folder : str or os.PathLike
        Destination folder; it and its ``source`` and ``target`` sub-folders are
        created when missing.
    overwrite : bool, default False
        Replace existing WAV files of the same names. When False, nothing is
        written if any of them exists.

    Returns
    -------
    source_dir, target_dir : pathlib.Path
        The two folders written.

    Raises
    ------
    ParameterError
        If ``corpus`` is not a :class:`DemoCorpus`, ``folder`` or one of its
        sub-folders is an existing file, or a WAV file exists and ``overwrite``
        is False.

    Examples
    --------
    >>> import tempfile, soundfile
    >>> c = make_demo_corpus(1)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     src_dir, tgt_dir = write_demo_corpus(c, d)
    ...     info = soundfile.info(str(src_dir / "utt000.wav"))
    ...     print(src_dir.name, tgt_dir.name, info.samplerate, info.subtype)
    source target 16000 PCM_16
    """
    if not isinstance(corpus, DemoCorpus):
        raise ParameterError(
            f"corpus: expected a DemoCorpus, got {type(corpus).__name__}; "
            "build one with make_demo_corpus"
        )
    try:
        root = pathlib.Path(folder)
    except TypeError:
        raise ParameterError(
            f"folder: expected a path (str or os.PathLike), got {type(folder).__name__}; "
            "pass the destination folder"
        ) from None
    dirs = (root / "source", root / "target")
    for d in (root, *dirs):
        if d.exists() and not d.is_dir():
            raise ParameterError(
                f"folder: expected a directory, got existing file {str(d)!r}; "
                "choose another destination folder"
            )
    jobs = [
        (d / f"{name}.wav", wav)
        for d, waves in zip(dirs, (corpus.source, corpus.target), strict=True)
        for name, wav in zip(corpus.names, waves, strict=True)
    ]
    if not overwrite:
        existing = [str(path) for path, _ in jobs if path.exists()]
        if existing:
            raise ParameterError(
                f"overwrite: expected no existing WAV files when overwrite=False, got "
                f"{len(existing)} (e.g. {existing[0]!r}); pass overwrite=True or choose "
                "an empty folder"
            )
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    for path, wav in jobs:
        _write_wav_atomic(path, wav, corpus.fs)
    logger.debug("wrote %d WAV files under %s", len(jobs), root)
    return dirs


# --------------------------------------------------------------------------------------
# Corpus readers: folders and lists of audio files
# --------------------------------------------------------------------------------------

#: File extensions (lower case) read as audio; all are formats libsndfile decodes.
AUDIO_EXTENSIONS = (
    ".wav",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
    ".mp3",
    ".aif",
    ".aiff",
    ".aifc",
    ".au",
    ".snd",
    ".caf",
    ".w64",
    ".rf64",
)

#: How many names a warning or error message lists before "and N more".
_MAX_LISTED = 10


def read_file_list(path: str | os.PathLike[str]) -> list[pathlib.Path]:
    r"""Read a text list of audio files, one path per line.

    Blank lines and lines starting with ``#`` are skipped; surrounding
    whitespace is stripped. Relative paths are relative to the folder of the
    list file, not to the working directory, so a list can travel with its
    corpus.

    Parameters
    ----------
    path : str or os.PathLike
        The list file (UTF-8 text).

    Returns
    -------
    list of pathlib.Path
        The listed files, in the order of the list.

    Raises
    ------
    GmmvcError
        If the list does not exist, is not UTF-8 text, lists no file, or lists
        files that do not exist (the first few are named, with line numbers).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     root = pathlib.Path(d)
    ...     for name in ("a.wav", "b.wav"):
    ...         _ = (root / name).write_bytes(b"")
    ...     _ = (root / "train.txt").write_text("# training files\na.wav\n\nb.wav\n")
    ...     print([p.name for p in read_file_list(root / "train.txt")])
    ['a.wav', 'b.wav']
    """
    p = pathlib.Path(path)
    if not p.is_file():
        what = "is a folder, not a list file" if p.is_dir() else "does not exist"
        raise GmmvcError(f"{p}: {what}; expected a text file with one audio path per line")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise GmmvcError(
            f"{p}: is neither an audio file (extensions {', '.join(AUDIO_EXTENSIONS[:4])}, "
            "...) nor a UTF-8 text list of paths"
        ) from None
    except OSError as exc:
        raise GmmvcError(f"{p}: cannot be read ({exc})") from exc
    entries: list[tuple[int, pathlib.Path]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            entry = pathlib.Path(line).expanduser()
            entries.append((number, entry if entry.is_absolute() else p.parent / entry))
    if not entries:
        raise GmmvcError(f"{p}: lists no files; expected one audio path per line")
    missing = [f"{e} (line {n})" for n, e in entries if not e.is_file()]
    if missing:
        raise GmmvcError(
            f"{p}: {len(missing)} listed file(s) do not exist: {_some(missing)}; relative "
            f"paths are read relative to {p.parent}"
        )
    return [e for _, e in entries]


def audio_files(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    pattern: str | None = None,
) -> list[pathlib.Path]:
    """Expand audio files, folders and text lists into one list of audio files.

    Parameters
    ----------
    inputs : path or sequence of paths
        Each is an audio file (one of :data:`AUDIO_EXTENSIONS`), a folder
        (its audio files, not recursively, sorted by name, hidden files
        skipped) or any other file, read as a text list
        (:func:`read_file_list`).
    pattern : str, optional
        Shell-style pattern (``fnmatch``, case-sensitive) that the names of
        files found in *folders* must match, e.g. ``'2000*'``. Files named
        explicitly or in lists are always taken.

    Returns
    -------
    list of pathlib.Path
        In the order given, folders expanded in place; a file named twice is
        kept once.

    Raises
    ------
    GmmvcError
        If an input does not exist, a list is invalid, or no audio file is found.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     root = pathlib.Path(d)
    ...     for name in ("200001.wav", "100001.flac", "notes.txt"):
    ...         _ = (root / name).write_bytes(b"")
    ...     every, some = audio_files(root), audio_files(root, pattern="2*")
    >>> [p.name for p in every], [p.name for p in some]
    (['100001.flac', '200001.wav'], ['200001.wav'])
    """
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    if not items:
        raise ParameterError("inputs: expected at least one file, folder or list, got none")
    found: list[pathlib.Path] = []
    for item in items:
        p = pathlib.Path(item)
        if p.is_dir():
            found.extend(_folder_audio(p, pattern))
        elif _is_audio(p):
            if not p.is_file():
                raise GmmvcError(f"{p}: audio file does not exist; check the path")
            found.append(p)
        else:
            found.extend(read_file_list(p))
    unique = list(dict.fromkeys(found))
    if not unique:
        where = ", ".join(str(i) for i in items)
        raise GmmvcError(
            f"no audio files found in {where}"
            + (f" matching {pattern!r}" if pattern else "")
            + f"; expected files ending in {', '.join(AUDIO_EXTENSIONS[:4])}, ..."
        )
    return unique


def paired_files(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    pattern: str | None = None,
) -> list[tuple[pathlib.Path, pathlib.Path]]:
    """Pair two speakers' recordings of the same sentences.

    Two folders are paired by file stem (``100001.flac`` with ``100001.wav``),
    in sorted order; files of one folder without a partner in the other are
    skipped with a logged warning that names them. Two text lists
    (:func:`read_file_list`) are paired by position.

    Parameters
    ----------
    source, target : str or os.PathLike
        Two folders, or two text lists of paths.
    pattern : str, optional
        Shell-style pattern (``fnmatch``, case-sensitive) the file names in
        both folders must match, e.g. ``'100*'`` for the VCC 2016 training
        sentences. Folders only.

    Returns
    -------
    list of (pathlib.Path, pathlib.Path)
        ``(source_file, target_file)`` pairs.

    Raises
    ------
    ParameterError
        If one is a folder and the other a list, or ``pattern`` is given with lists.
    GmmvcError
        If a path does not exist, a folder holds two audio files of the same
        stem, no name is common to the two folders, or the lists differ in length.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     root = pathlib.Path(d)
    ...     for name in ("src/a.wav", "src/b.wav", "tgt/b.flac", "tgt/a.flac"):
    ...         (root / name).parent.mkdir(exist_ok=True)
    ...         _ = (root / name).write_bytes(b"")
    ...     print([(s.name, t.name) for s, t in paired_files(root / "src", root / "tgt")])
    [('a.wav', 'a.flac'), ('b.wav', 'b.flac')]
    """
    src, tgt = pathlib.Path(source), pathlib.Path(target)
    for p in (src, tgt):
        if not p.exists():
            raise GmmvcError(f"{p}: does not exist; expected a folder of audio files or a list")
    if src.is_dir() != tgt.is_dir():
        raise ParameterError(
            f"source/target: expected two folders or two text lists, got "
            f"{'a folder' if src.is_dir() else 'a list'} ({src}) and "
            f"{'a folder' if tgt.is_dir() else 'a list'} ({tgt})"
        )
    if not src.is_dir():
        if pattern is not None:
            raise ParameterError(
                f"pattern: selects files in folders, got {pattern!r} with text lists; "
                "edit the lists instead"
            )
        src_list, tgt_list = read_file_list(src), read_file_list(tgt)
        if len(src_list) != len(tgt_list):
            raise GmmvcError(
                f"{src} lists {len(src_list)} files and {tgt} lists {len(tgt_list)}; "
                "expected lists of equal length, paired line by line"
            )
        return list(zip(src_list, tgt_list))

    src_files = _by_stem(_folder_audio(src, pattern), src)
    tgt_files = _by_stem(_folder_audio(tgt, pattern), tgt)
    common = sorted(src_files.keys() & tgt_files.keys())
    matching = f" matching {pattern!r}" if pattern else ""
    if not common:
        raise GmmvcError(
            f"no file name is common to {src} ({len(src_files)} audio files{matching}) and "
            f"{tgt} ({len(tgt_files)}); expected recordings of the same sentences under "
            "the same names (e.g. 100001.wav in both)"
        )
    for folder, files, other in ((src, src_files, tgt), (tgt, tgt_files, src)):
        unpaired = sorted(files.keys() - set(common))
        if unpaired:
            logger.warning(
                "%s: skipping %d file(s) with no partner in %s: %s",
                folder,
                len(unpaired),
                other,
                _some(unpaired),
            )
    logger.info("paired %d files%s of %s and %s", len(common), matching, src, tgt)
    return [(src_files[stem], tgt_files[stem]) for stem in common]


def _is_audio(path: pathlib.Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS


def _folder_audio(folder: pathlib.Path, pattern: str | None) -> list[pathlib.Path]:
    """Audio files directly in ``folder`` (sorted by name, hidden files skipped)."""
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise GmmvcError(f"{folder}: cannot list the folder ({exc})") from exc
    return [
        p
        for p in entries
        if _is_audio(p)
        and not p.name.startswith(".")
        and p.is_file()
        and (pattern is None or fnmatch.fnmatchcase(p.name, pattern))
    ]


def _by_stem(files: list[pathlib.Path], folder: pathlib.Path) -> dict[str, pathlib.Path]:
    """Map stem -> file, refusing two audio files of one stem (``a.wav``, ``a.flac``)."""
    out: dict[str, pathlib.Path] = {}
    for p in files:
        if p.stem in out:
            raise GmmvcError(
                f"{folder}: {out[p.stem].name} and {p.name} have the same name; expected one "
                "recording per sentence - move one of them away"
            )
        out[p.stem] = p
    return out


def _some(names: Sequence[str]) -> str:
    """Join names as ``'a, b, c'``, or the first few and ``'and N more'``."""
    shown = ", ".join(names[:_MAX_LISTED])
    rest = len(names) - _MAX_LISTED
    return f"{shown} and {rest} more" if rest > 0 else shown


# --------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------


def _check_seed(seed: object) -> int:
    """Return ``seed`` as a non-negative int or raise ParameterError."""
    if isinstance(seed, bool):
        value = None
    else:
        try:
            value = operator.index(seed)  # type: ignore[arg-type]
        except TypeError:
            value = None
    if value is None or value < 0:
        raise ParameterError(
            f"seed: expected a non-negative integer, got {seed!r}; pass e.g. seed=0"
        )
    return int(value)


def _write_wav_atomic(path: pathlib.Path, wav: np.ndarray, fs: int) -> None:
    """Write ``wav`` as 16-bit PCM to ``path`` via a temporary file and ``os.replace``."""
    import soundfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".wav.tmp", dir=path.parent)
    os.close(fd)
    try:
        soundfile.write(tmp, np.asarray(wav, dtype=np.float64), fs, subtype="PCM_16", format="WAV")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True, eq=False)
class _Sentence:
    """What both voices share: the words and the sentence prosody."""

    phones: tuple[str, ...]
    duration_factors: np.ndarray  # (n_phones,) shared per-phone duration multipliers
    accent: int  # index into ``phones`` of the accented vowel
    accent_st: float  # accent height in semitones (source voice)
    declination_st: tuple[float, float]  # log-F0 offsets at speech start and end


def _make_sentence(rng: np.random.Generator) -> _Sentence:
    """Draw a random syllable string of 8-20 phones and its shared prosody."""
    n_target = int(rng.integers(_MIN_PHONES, _MAX_PHONES + 1))
    phones: list[str] = []
    boundaries: list[int] = []
    while len(phones) < n_target:
        if rng.random() < 0.85:
            phones.append(str(rng.choice(_ONSETS, p=_ONSET_WEIGHTS / _ONSET_WEIGHTS.sum())))
        phones.append(str(rng.choice(_VOWELS)))
        if rng.random() < 0.2:
            phones.append(str(rng.choice(_CODAS)))
        boundaries.append(len(phones))
    phones = phones[:n_target]
    inner = [b for b in boundaries if 3 <= b <= n_target - 3]
    if inner and n_target >= 10 and rng.random() < 0.5:
        phones.insert(int(rng.choice(inner)), "pau")
    factors = np.exp(rng.normal(0.0, 0.15, len(phones)))
    vowel_idx = [i for i, p in enumerate(phones) if _PHONES[p].kind == "vowel"]
    factors[vowel_idx[-1]] *= 1.4  # phrase-final lengthening
    return _Sentence(
        phones=tuple(phones),
        duration_factors=factors,
        accent=int(rng.choice(vowel_idx)),
        accent_st=float(rng.uniform(2.0, 4.0)),
        declination_st=(float(rng.uniform(1.0, 2.0)), float(rng.uniform(-3.0, -1.5))),
    )


def _render(sentence: _Sentence, voice: _Voice, rng: np.random.Generator, fs: int) -> np.ndarray:
    """Synthesise one sentence in one voice; returns float64 samples, peak <= 0.85."""
    hop = round(_BLOCK_SECONDS * fs)
    specs = [_PHONES[p] for p in sentence.phones]
    n_ph = len(specs)

    # --- timing, in blocks -------------------------------------------------------------
    seconds = (
        np.array([s.duration for s in specs])
        * sentence.duration_factors
        * voice.rate
        * np.exp(rng.normal(0.0, 0.1, n_ph))
    )
    min_blocks = np.array([6 if s.kind == "vowel" else 3 for s in specs])
    n_blocks_ph = np.maximum(min_blocks, np.round(seconds / _BLOCK_SECONDS).astype(int))
    lead, trail = (int(round(rng.uniform(0.2, 0.3) / _BLOCK_SECONDS)) for _ in range(2))
    starts = lead + np.concatenate([[0], np.cumsum(n_blocks_ph)[:-1]])  # (n_ph,)
    n_blocks = lead + int(n_blocks_ph.sum()) + trail
    label = np.full(n_blocks, -1)  # phone index per block, -1 = edge silence
    label[lead : n_blocks - trail] = np.repeat(np.arange(n_ph), n_blocks_ph)
    t_block = (np.arange(n_blocks) + 0.5) * _BLOCK_SECONDS  # block centres, s

    # --- formant, bandwidth and voicing tracks (n_blocks, n_formants) -------------------
    scale = np.asarray(voice.formant_scale)
    n_formants = int(np.sum(np.asarray(_NEUTRAL_FORMANTS) * scale < _MAX_FORMANT_RATIO * fs))
    targets = np.full((n_ph, 5), np.nan)
    widths = np.tile(_VOWEL_BW, (n_ph, 1))
    voicing = np.zeros(n_ph + 1)  # last entry is the edge silence (label -1)
    for i, s in enumerate(specs):
        if s.formants is not None and s.bandwidths is not None:
            targets[i] = s.formants
            widths[i] = s.bandwidths
        voicing[i] = s.voicing
    shifts = dict(voice.phone_shift)
    for i, p in enumerate(sentence.phones):
        if p in shifts:
            targets[i] *= shifts[p]
    targets *= np.exp(rng.normal(0.0, 0.02, targets.shape))  # token-to-token variation
    formants = targets[label.clip(0)]
    formants[label < 0] = np.nan
    known = ~np.isnan(formants[:, 0])
    for k in range(5):  # obstruents and silences take their neighbours' formants
        formants[:, k] = np.interp(t_block, t_block[known], formants[known, k])
    bandwidths = widths[label.clip(0)]
    formants = _smooth(formants, 9) * scale
    bandwidths = _smooth(bandwidths, 9) * voice.bandwidth_scale
    formants = np.minimum(formants, _FORMANT_CEIL_RATIO * fs)[:, :n_formants]
    bandwidths = bandwidths[:, :n_formants]
    amp_voiced = _smooth(voicing[label], 5)

    # --- F0 contour (Hz per block) ------------------------------------------------------
    speech0, speech1 = t_block[lead], t_block[n_blocks - trail - 1]
    ramp = np.clip((t_block - speech0) / (speech1 - speech0), 0.0, 1.0)
    d0, d1 = sentence.declination_st
    accent_t = (starts[sentence.accent] + 0.6 * n_blocks_ph[sentence.accent]) * _BLOCK_SECONDS
    semitones = (
        (
            d0
            + (d1 - d0) * ramp
            + sentence.accent_st * np.exp(-0.5 * ((t_block - accent_t) / 0.09) ** 2)
            + 0.6 * _smooth(rng.normal(0.0, 1.0, n_blocks), 21)
        )
        * voice.f0_range
        + rng.normal(0.0, 0.08, n_blocks)
        + rng.normal(0.0, 0.7)
    )
    f0 = voice.f0_mean * 2.0 ** (semitones / 12.0)

    # --- excitation ---------------------------------------------------------------------
    n = n_blocks * hop
    t = (np.arange(n) + 0.5) / fs
    f0_s = np.interp(t, t_block, f0)
    amp_s = np.interp(t, t_block, amp_voiced)
    frac = np.cumsum(f0_s / fs) % 1.0
    flow = _rosenberg(frac, voice.open_quotient, voice.speed_quotient)
    pulse = np.diff(flow, prepend=0.0)  # flow derivative: glottal source + lip radiation
    pulse /= np.max(np.abs(pulse))
    breath = rng.normal(0.0, 1.0, n) * np.where(frac < voice.open_quotient, 1.0, 0.3)
    excitation = amp_s * (pulse + voice.aspiration * breath)

    # --- vocal tract and tilt -----------------------------------------------------------
    voiced = _formant_cascade(excitation, formants, bandwidths, fs=fs, hop=hop)
    voiced = scipy.signal.lfilter([1.0 - voice.tilt], [1.0, -voice.tilt], voiced)
    zero_f, zero_bw = voice.antiresonance
    if zero_f < _FORMANT_CEIL_RATIO * fs:
        rz = np.exp(-np.pi * zero_bw / fs)
        b_zero = np.array([1.0, -2.0 * rz * np.cos(2.0 * np.pi * zero_f / fs), rz * rz])
        voiced = scipy.signal.lfilter(b_zero / b_zero.sum(), [1.0], voiced)
    loud = amp_s > 0.5
    ref_rms = float(np.sqrt(np.mean(voiced[loud] ** 2))) if loud.any() else 1.0

    # --- frication and bursts -----------------------------------------------------------
    noise = np.zeros(n)
    for i, s in enumerate(specs):
        if s.band is None:
            continue
        b0, b1 = starts[i] * hop, (starts[i] + n_blocks_ph[i]) * hop
        if s.kind == "stop":
            b0 = max(b0, b1 - round(_BURST_SECONDS * fs))
            m = b1 - b0
            attack = np.minimum(1.0, np.arange(1, m + 1) / (0.001 * fs))
            env = attack * np.exp(-np.arange(m) / (0.005 * fs))
        else:
            m = b1 - b0
            env = _ramp_envelope(m, round(min(0.015 * fs, m / 3)))
        sos = _band_sos(s.band, voice.noise_scale, fs)
        seg = scipy.signal.sosfilt(sos, rng.normal(0.0, 1.0, m))
        seg *= ref_rms * 10.0 ** (s.noise_db / 20.0) / max(float(np.sqrt(np.mean(seg**2))), 1e-12)
        noise[b0:b1] += seg * env

    # --- mix, noise floor, level --------------------------------------------------------
    y = voiced + noise
    peak = float(np.max(np.abs(y)))
    y += rng.normal(0.0, peak * 10.0 ** (_NOISE_FLOOR_DB / 20.0), n)
    y *= rng.uniform(0.6, 0.85) / float(np.max(np.abs(y)))
    return y


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Smooth along axis 0 with a normalised Hann window of ``width`` blocks."""
    w = np.hanning(width + 2)[1:-1]
    x = np.asarray(x, dtype=np.float64)
    return scipy.ndimage.convolve1d(x, w / w.sum(), axis=0, mode="nearest")


def _rosenberg(frac: np.ndarray, open_quotient: float, speed_quotient: float) -> np.ndarray:
    """Rosenberg-style glottal flow at phase ``frac`` in [0, 1) of each period.

    A raised-cosine opening of length ``tp``, a quarter-cosine closing of length
    ``tn`` (``tp + tn = open_quotient``, ``tp / tn = speed_quotient``), then closed.
    """
    tn = open_quotient / (1.0 + speed_quotient)
    tp = open_quotient - tn
    opening = 0.5 * (1.0 - np.cos(np.pi * frac / tp))
    closing = np.cos(0.5 * np.pi * (frac - tp) / tn)
    return np.where(frac < tp, opening, np.where(frac < tp + tn, closing, 0.0))


def _formant_cascade(
    x: np.ndarray, formants: np.ndarray, bandwidths: np.ndarray, *, fs: int, hop: int
) -> np.ndarray:
    """Filter ``x`` through time-varying resonators, one coefficient set per block.

    ``formants`` and ``bandwidths`` are ``(n_blocks, n_formants)`` in Hz and
    ``len(x) == n_blocks * hop``. Each resonator is an all-pole biquad in
    second-order-section form; its transposed-direct-form state is carried from
    block to block and re-expressed for the new coefficients so that its past
    two outputs persist.
    """
    r = np.exp(-np.pi * bandwidths / fs)  # (n_blocks, K) pole radius
    a1 = -2.0 * r * np.cos(2.0 * np.pi * formants / fs)
    a2 = r * r
    sos = np.zeros(formants.shape + (6,))  # (n_blocks, K, 6)
    sos[..., 0] = 1.0 + a1 + a2  # unit gain at 0 Hz
    sos[..., 3] = 1.0
    sos[..., 4] = a1
    sos[..., 5] = a2
    y = np.empty_like(x)
    zi = np.zeros((formants.shape[1], 2))
    for b in range(formants.shape[0]):
        if b:
            # State of an all-pole biquad: z0 = -a1*y[n] - a2*y[n-1], z1 = -a2*y[n].
            # Recover the past outputs with the old coefficients, rebuild with the new.
            y_n = -zi[:, 1] / a2[b - 1]
            y_n1 = (-zi[:, 0] - a1[b - 1] * y_n) / a2[b - 1]
            zi = np.stack([-a1[b] * y_n - a2[b] * y_n1, -a2[b] * y_n], axis=1)
        sl = slice(b * hop, (b + 1) * hop)
        y[sl], zi = scipy.signal.sosfilt(sos[b], x[sl], zi=zi)
    return y


def _ramp_envelope(m: int, ramp: int) -> np.ndarray:
    """Length-``m`` envelope with raised-cosine on- and off-ramps of ``ramp`` samples."""
    env = np.ones(m)
    if ramp > 0:
        rise = 0.5 * (1.0 - np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp))
        env[:ramp] = rise
        env[m - ramp :] = rise[::-1]
    return env


@functools.lru_cache(maxsize=64)
def _band_sos(band: tuple[float, float], scale: float, fs: int) -> np.ndarray:
    """Second-order-section band-pass for a noise band scaled by ``scale``, kept below Nyquist."""
    hi = min(band[1] * scale, 0.45 * fs)
    lo = min(band[0] * scale, 0.6 * hi)
    return scipy.signal.butter(2, [lo, hi], btype="bandpass", fs=fs, output="sos")
