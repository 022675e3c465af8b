"""Orchestration: corpus -> features -> iterative alignment -> joint GMM -> convert -> evaluate.

:class:`VoiceConverter` is the estimator most users need::

    vc = VoiceConverter(n_components=32).fit(source_files, target_files)
    vc.convert_file("source.wav", "converted.wav")

Training (Toda, Black and Tokuda 2007; the iterative alignment of the
reference VCC systems):

1. Analyse every file once (WORLD; in parallel over files with joblib).
2. Estimate each speaker's F0 search range and speech/silence power threshold
   from their own training audio, unless given.
3. Append deltas to each utterance's mel-cepstrum (c1 onward) on its own time
   axis; pair source and target speech frames by DTW on the statics.
4. Fit the joint GMM on ``[x, dx, y, dy]``; then, for each further alignment
   pass, convert the source statics with it, re-align the *converted* statics
   to the target, and refit on the original source features with the new
   pairing.

Long steps can show progress bars (tqdm, on stderr) with ``progress=True``;
feature extraction, alignment and evaluation run in parallel over utterances
with joblib (``n_jobs``; results do not depend on it), and analysed features
can be cached on disk (``cache_dir``), keyed by the audio samples and the
analysis settings.

The joblib calls honour :func:`joblib.parallel_config`, so the same code runs
on a Dask cluster through joblib's ``dask`` backend (install
``gmmvc[dask]``)::

    from dask.distributed import Client
    import joblib

    client = Client("scheduler-address:8786")  # or Client() for a local cluster
    with joblib.parallel_config(backend="dask"):
        vc = VoiceConverter(n_jobs=-1).fit(source_files, target_files)

Files are read on the machine that calls ``fit``; a ``cache_dir`` must be a
folder every worker can reach.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pathlib
import secrets
import threading
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
from joblib import Parallel, delayed

from . import __version__
from ._threads import one_blas_thread
from ._validation import as_float_array, check_choice, check_n_jobs, check_positive
from .alignment import Alignment, align_frames, joint_vectors
from .analysis import estimate_f0_range
from .audio import pitch_shift, read_audio, resample, write_audio
from .config import AnalysisConfig
from .conversion import F0Statistics, convert_mlpg, global_variance, modulation_statistics
from .deltas import DEFAULT_WINDOWS, apply_windows
from .exceptions import ConvergenceWarning, GmmvcError, NotFittedError, ParameterError
from .features import (
    Features,
    estimate_power_threshold,
    extract_features,
    log_f0_stats,
    speech_mask,
)
from .gmm import JointGMM
from .metrics import UtteranceScore, score_features
from .model import ConversionModel, ConversionSettings, read_model_file, save_model

__all__ = [
    "VoiceConverter",
    "PairEvaluation",
    "load_waveforms",
    "extract_corpus_features",
    "feature_cache_key",
    "score_waveforms",
    "EVALUATION_CONFIG",
    "evaluation_features",
]

logger = logging.getLogger(__name__)

#: A corpus item: a path to an audio file or a waveform array.
AudioLike = Union[str, os.PathLike, np.ndarray]  # noqa: UP007 (a runtime alias)


def _item_name(item: AudioLike, index: int) -> str:
    return str(item) if isinstance(item, (str, os.PathLike)) else f"waveform[{index}]"


def _load_one(item: AudioLike, index: int, fs: int, input_fs: int | None) -> np.ndarray:
    if isinstance(item, (str, os.PathLike)):
        return read_audio(item, fs=fs)[0]
    x = as_float_array(item, f"waveform[{index}]", ndim=1)
    if input_fs is None or input_fs == fs:
        return x
    return resample(x, input_fs, fs)


def load_waveforms(
    items: Sequence[AudioLike], *, fs: int, input_fs: int | None = None
) -> list[np.ndarray]:
    """Read paths (resampled to ``fs``) and pass waveform arrays through.

    Parameters
    ----------
    items : sequence of path or array_like
        Audio files, or 1-D waveforms at ``input_fs`` (``fs`` when ``None``).
    fs : int
        Sample rate to return.
    input_fs : int, optional
        Sample rate of the waveform arrays among ``items``.

    Returns
    -------
    list of numpy.ndarray
        One mono float64 waveform at ``fs`` per item, in order.

    Raises
    ------
    GmmvcError
        If a file cannot be read.

    Examples
    --------
    A file and an array, both 1 s at 8 kHz, come back as 1 s at 16 kHz; an
    array already at ``fs`` passes through unchanged:

    >>> import tempfile
    >>> from gmmvc.audio import write_audio
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_audio(pathlib.Path(d) / "tone.wav", 0.5 * tone, 8000)
    ...     waves = load_waveforms([path, tone], fs=16000, input_fs=8000)
    >>> [x.shape for x in waves], [round(float(np.abs(x).max()), 3) for x in waves]
    ([(16000,), (16000,)], [0.5, 1.0])
    >>> bool(np.array_equal(load_waveforms([tone], fs=8000)[0], tone))
    True
    """
    return [_load_one(item, i, fs, input_fs) for i, item in enumerate(items)]


# ------------------------------------------------------------------ progress and parallel map


class _NoBar:
    """Stand-in for a tqdm bar when progress is off."""

    def update(self, n: int = 1) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _bar(enabled: bool, *, total: int | None, desc: str, unit: str = "file") -> Any:
    """Make a tqdm progress bar on stderr (a widget under Jupyter), or a no-op one."""
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True)


class _Ticker:
    """A bar without steps whose elapsed time keeps running, for one long call (EM)."""

    def __init__(self, enabled: bool, desc: str, interval: float = 1.0) -> None:
        self._enabled, self._desc, self._interval = enabled, desc, interval

    def __enter__(self) -> _Ticker:
        if self._enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=None, desc=self._desc, bar_format="{desc}: {elapsed}")
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            self._bar.refresh()

    def __exit__(self, *exc: object) -> None:
        if self._enabled:
            self._stop.set()
            self._thread.join()
            self._bar.close()


def _job(func: Callable[..., Any], *args: Any) -> Any:
    """Run one job with one BLAS thread.

    In a worker thread (joblib's threading backend, a Dask worker in this
    process) the limit, which is process-wide, is already set by :func:`_map`
    for the whole run; setting and restoring it per thread would race.
    """
    if threading.current_thread() is not threading.main_thread():
        return func(*args)
    with one_blas_thread():
        return func(*args)


def _map(
    func: Callable[..., Any],
    jobs: Sequence[tuple[Any, ...]],
    *,
    n_jobs: int,
    progress: bool,
    desc: str,
    unit: str = "file",
) -> list[Any]:
    """``[func(*args) for args in jobs]``, over joblib workers when ``n_jobs != 1``.

    Results come back in order and every job runs with one BLAS thread, so
    they do not depend on ``n_jobs``. The bar advances as results arrive
    (joblib >= 1.3 streams them; otherwise it jumps at the end). Under
    ``joblib.parallel_config(backend=...)`` the jobs run on that backend,
    e.g. a Dask cluster.
    """
    with _bar(progress, total=len(jobs), desc=desc, unit=unit) as bar, one_blas_thread():
        if n_jobs == 1 or len(jobs) < 2:
            out = []
            for args in jobs:
                out.append(func(*args))
                bar.update(1)
            return out
        tasks = (delayed(_job)(func, *args) for args in jobs)
        try:
            parallel = Parallel(n_jobs=n_jobs, return_as="generator")
        except (TypeError, ValueError):  # joblib < 1.3, or a backend that cannot stream
            results = list(Parallel(n_jobs=n_jobs)(tasks))
            bar.update(len(jobs))
            return results
        out = []
        for result in parallel(tasks):
            out.append(result)
            bar.update(1)
        return out


# ------------------------------------------------------------------ feature cache

#: Version of the cached feature files; bump it whenever the features an
#: analysis produces change (new fields, another coding, a fixed bug), so old
#: cache entries stop matching. The gmmvc and pyworld versions are part of the
#: key as well.
FEATURE_CACHE_VERSION = 1

_FEATURE_FIELDS = ("f0", "mcep", "bap", "power_db")


def feature_cache_key(x: np.ndarray, config: AnalysisConfig) -> str:
    """Compute the feature-cache key of a waveform analysed with some settings.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        The waveform exactly as analysed (after reading and resampling).
    config : AnalysisConfig
        The analysis settings (resolved here).

    Returns
    -------
    str
        SHA-256 (hex) of the samples, every resolved analysis setting, the
        cache format version and the gmmvc and pyworld versions: changing any
        of them gives another key, so stale features are never served.

    Examples
    --------
    >>> x = np.sin(np.arange(1600) / 10.0)
    >>> cfg = AnalysisConfig(f0_method="dio")
    >>> feature_cache_key(x, cfg) == feature_cache_key(x.copy(), cfg)
    True
    >>> feature_cache_key(x, cfg) == feature_cache_key(x, cfg.replace(frame_period=10.0))
    False
    """
    import pyworld

    samples = np.ascontiguousarray(x, dtype="<f8")
    header = {
        "cache_version": FEATURE_CACHE_VERSION,
        "gmmvc": __version__,
        "pyworld": getattr(pyworld, "__version__", "unknown"),
        "config": config.resolved().to_dict(),
        "shape": list(samples.shape),
    }
    digest = hashlib.sha256(json.dumps(header, sort_keys=True).encode("utf-8"))
    digest.update(b"\0")
    digest.update(samples.tobytes())
    return digest.hexdigest()


def _cache_path(cache_dir: str | os.PathLike, key: str) -> pathlib.Path:
    return pathlib.Path(cache_dir) / key[:2] / f"{key}.npz"


def _read_cached(path: pathlib.Path, config: AnalysisConfig) -> Features | None:
    """Features stored at ``path``, or None when absent or unreadable (then recomputed)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            features = Features(**{name: data[name] for name in _FEATURE_FIELDS})
        order = config.resolved().order
        if order is not None and features.mcep.shape[1] != order + 1:
            raise ValueError(f"mcep has {features.mcep.shape[1]} coefficients")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        logger.warning("feature cache entry %s is unreadable (%s); recomputing it", path, exc)
        return None
    return features


def _write_cached(path: pathlib.Path, features: Features) -> None:
    """Store features atomically (temporary file, then rename); failures only warn."""
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "xb") as fh:
            np.savez(fh, **{name: getattr(features, name) for name in _FEATURE_FIELDS})
        os.replace(tmp, path)
    except OSError as exc:
        logger.warning("could not write feature cache entry %s (%s)", path, exc)
    finally:
        if tmp.exists():
            tmp.unlink()


def _features_job(
    x: np.ndarray,
    config: AnalysisConfig,
    cache_dir: str | os.PathLike | None,
    name: str | None = None,
) -> Features:
    """Analyse one waveform, through the cache when there is one.

    An error names the file (``name``) when one is given.
    """
    if name is None:
        return _features_cached(x, config, cache_dir)
    try:
        return _features_cached(x, config, cache_dir)
    except GmmvcError as exc:
        raise type(exc)(f"{name}: {exc}") from exc


def _features_cached(
    x: np.ndarray, config: AnalysisConfig, cache_dir: str | os.PathLike | None
) -> Features:
    if cache_dir is None:
        return extract_features(x, config)
    path = _cache_path(cache_dir, feature_cache_key(x, config))
    features = _read_cached(path, config)
    if features is None:
        features = extract_features(x, config)
        _write_cached(path, features)
    else:
        logger.debug("feature cache hit: %s", path)
    return features


def extract_corpus_features(
    waveforms: Sequence[np.ndarray],
    config: AnalysisConfig,
    *,
    n_jobs: int = 1,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
    desc: str = "analysing",
    names: Sequence[str] | None = None,
) -> list[Features]:
    """Analyse every waveform once, in parallel over utterances.

    Parameters
    ----------
    waveforms : sequence of numpy.ndarray
        Speech at ``config.fs``.
    config : AnalysisConfig
        Resolved settings (F0 range included).
    n_jobs : int, default 1
        joblib workers (-1: all cores). The result does not depend on it.
    cache_dir : str or os.PathLike, optional
        Folder of the on-disk feature cache (created when missing). Entries
        are keyed by :func:`feature_cache_key`: the samples, every analysis
        setting and the software versions, so a changed file or setting is
        analysed afresh. Unreadable entries are recomputed.
    progress : bool, default False
        Show a progress bar (tqdm, on stderr).
    desc : str, default 'analysing'
        Label of the progress bar.
    names : sequence of str, optional
        One name per waveform (e.g. its file), put in front of an error's
        message so it says which file could not be analysed.

    Returns
    -------
    list of Features
        In the order of ``waveforms``.

    Raises
    ------
    ParameterError
        If ``n_jobs`` is 0 or not an integer, or a waveform cannot be analysed.

    Examples
    --------
    Two tones, 0.25 s at 150 Hz and 0.5 s at 200 Hz; 5 ms frames give
    51 and 101 frames, and the F0 found is the tones' own:

    >>> import tempfile
    >>> fs = 16000
    >>> t = np.arange(fs // 2) / fs
    >>> waves = [np.sin(2 * np.pi * 150 * t[: fs // 4]), np.sin(2 * np.pi * 200 * t)]
    >>> cfg = AnalysisConfig(fs=fs, f0_method="dio")
    >>> feats = extract_corpus_features(waves, cfg)
    >>> [f.n_frames for f in feats], [round(float(np.median(f.f0[f.f0 > 0]))) for f in feats]
    ([51, 101], [150, 200])

    With a cache, the second call reads the two stored entries instead of
    analysing again, and returns the same features:

    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = extract_corpus_features(waves, cfg, cache_dir=d)
    ...     cached = extract_corpus_features(waves, cfg, cache_dir=d)
    ...     n_entries = len(list(pathlib.Path(d).rglob("*.npz")))
    >>> n_entries, bool(np.array_equal(cached[1].mcep, feats[1].mcep))
    (2, True)
    """
    n_jobs = check_n_jobs(n_jobs)
    if names is None:
        jobs: list[tuple[Any, ...]] = [(x, config, cache_dir) for x in waveforms]
    else:
        jobs = [(x, config, cache_dir, name) for x, name in zip(waveforms, names)]
    return _map(_features_job, jobs, n_jobs=n_jobs, progress=progress, desc=desc)


@dataclass(frozen=True, eq=False)
class PairEvaluation:
    """One held-out pair scored before and after conversion.

    Attributes
    ----------
    name : str
        The source file name, or ``waveform[i]``.
    before : UtteranceScore
        Source against target.
    after : UtteranceScore
        Converted (re-analysed waveform) against target.
    converted : numpy.ndarray
        The converted waveform, at the model's sample rate.

    Examples
    --------
    :meth:`VoiceConverter.evaluate` returns one per held-out pair. Built by
    hand here from two scores with known answers: the source is one octave
    below the target with c1 off by 0.4, the conversion leaves c1 off by 0.1
    and the F0 right (MCD is ``10 / ln 10 * sqrt(2) * 0.4`` and ``... * 0.1`` dB):

    >>> from gmmvc.features import Features
    >>> rng = np.random.default_rng(0)
    >>> target = Features(f0=np.full(40, 200.0), mcep=rng.normal(size=(40, 5)),
    ...                   bap=np.zeros((40, 1)), power_db=np.zeros(40))
    >>> def off(c1, f0):  # the target's features with c1 off by c1 and F0 at f0 Hz
    ...     return Features(f0=np.full(40, f0), mcep=target.mcep + [0, c1, 0, 0, 0],
    ...                     bap=target.bap, power_db=target.power_db)
    >>> ev = PairEvaluation(name="utt000", before=score_features(off(0.4, 100.0), target),
    ...                     after=score_features(off(0.1, 200.0), target),
    ...                     converted=np.zeros(16000))
    >>> round(ev.before.mcd_db, 3), round(ev.after.mcd_db, 3)
    (2.457, 0.614)
    >>> round(ev.before.f0_rmse_cents), round(ev.after.f0_rmse_cents)
    (1200, 0)
    >>> ev.after.mcd_db < ev.before.mcd_db  # the conversion moved toward the target
    True
    """

    name: str
    before: UtteranceScore
    after: UtteranceScore
    converted: np.ndarray


#: The neutral evaluator's analysis: the same for every system and speaker
#: (harvest over 40-700 Hz, 5 ms frames, 24th-order mel-cepstrum, alpha 0.41).
EVALUATION_CONFIG = AnalysisConfig(fs=16000, f0_floor=40.0, f0_ceil=700.0)


def score_waveforms(
    x: np.ndarray, target: np.ndarray, fs: int, *, config: AnalysisConfig = EVALUATION_CONFIG
) -> UtteranceScore:
    """Score a waveform against the target's reading of the same sentence.

    A neutral evaluator: both waveforms are analysed with the same settings
    whatever system produced them, speech frames are chosen by each file's own
    energy threshold, and frames are paired by DTW on c1 onward (see
    :func:`score_features`).

    Parameters
    ----------
    x, target : array_like, shape (n_samples,)
        The waveform to score (e.g. converted speech read back from disk) and
        the reference.
    fs : int
        Their sample rate (resampled to ``config.fs`` when different).
    config : AnalysisConfig, default EVALUATION_CONFIG
        Analysis settings (F0 range given, so nothing is estimated per system).

    Returns
    -------
    UtteranceScore

    Examples
    --------
    >>> from gmmvc.datasets import make_demo_corpus
    >>> c = make_demo_corpus(1)
    >>> s = score_waveforms(c.source[0], c.target[0], c.fs)
    >>> bool(s.mcd_db > 3), bool(s.f0_rmse_cents > 600)  # different voices, ~an octave apart
    (True, True)
    """
    feats, speech = evaluation_features(x, fs, config=config, name="x")
    target_feats, target_speech = evaluation_features(target, fs, config=config, name="target")
    return score_features(feats, target_feats, speech=speech, target_speech=target_speech)


def evaluation_features(
    x: np.ndarray, fs: int, *, config: AnalysisConfig = EVALUATION_CONFIG, name: str = "x"
) -> tuple[Features, np.ndarray]:
    """Analyse one waveform as the neutral evaluator does: features and speech frames.

    :func:`score_waveforms` is this for both waveforms followed by
    :func:`score_features`; analyse a reference once with it when scoring many
    systems against the same target.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
    fs : int
        Its sample rate (resampled to ``config.fs`` when different).
    config : AnalysisConfig, default EVALUATION_CONFIG
    name : str, default 'x'
        How error messages call ``x``.

    Returns
    -------
    features : Features
    speech : numpy.ndarray of bool, shape (n_frames,)
        Frames above the file's own energy threshold.

    Examples
    --------
    >>> from gmmvc.datasets import make_demo_corpus
    >>> c = make_demo_corpus(1)
    >>> feats, speech = evaluation_features(c.target[0], c.fs)
    >>> feats.mcep.shape[1], speech.dtype.name
    (25, 'bool')
    >>> score_features(feats, feats, speech=speech, target_speech=speech).mcd_db  # vs itself
    0.0
    """
    cfg = config.resolved()
    wav = as_float_array(x, name, ndim=1)
    if fs != cfg.fs:
        wav = resample(wav, fs, cfg.fs)
    feats = extract_features(wav, cfg)
    return feats, speech_mask(feats.power_db, estimate_power_threshold(feats.power_db))


class VoiceConverter:
    """Joint-density GMM voice converter, trained on parallel utterances.

    Parameters
    ----------
    n_components : int, default 32
        Mixture components of the joint GMM.
    mode : {'mmse', 'mlpg', 'mlpg_em', 'mlpg_gv'}, default 'mlpg'
        Spectral conversion: frame-wise MMSE, MLPG with the most likely
        component per frame, MLPG over all components by EM, or MLPG
        considering the global variance.
    gv_weight : float, default 0.0
        Global-variance postfilter weight in ``[0, 1]`` (0: off, 1: match the
        target's global variance).
    ms_weight : float, default 0.0
        Modulation-spectrum postfilter weight in ``[0, 1]`` (0: off).
    synthesis : {'world', 'differential'}, default 'world'
        WORLD resynthesis, or MLSA filtering of the source waveform with the
        converted spectral difference (source F0 and aperiodicity kept).
    convert_aperiodicity : bool, default False
        Train a second joint GMM on coded aperiodicity and convert it
        (instead of copying the source's).
    source_f0_shift : None, 'auto' or float, default None
        Pitch-shift the source waveform by this frequency ratio before
        analysis, in training and conversion ('auto': the ratio of the
        speakers' typical F0). Meant for differential conversion across
        genders.
    n_alignment_passes : int, default 3
        DTW alignments, each followed by a GMM fit; passes after the first
        align the converted source to the target.
    dtw_radius : int, default 1
        FastDTW search radius in frames for every alignment pass (see
        :func:`gmmvc.alignment.dtw_path`); larger values approach exact DTW at
        more alignment time (VCC 2016 SM1 -> TF1, all 162 training sentences:
        radius 8 gave the same MCD as radius 1 and trained in 309 s against
        241 s; see ``docs/benchmarks.md``).
    analysis : AnalysisConfig, optional
        Shared analysis settings (sample rate, frame period, F0 method,
        order, ...). Defaults to ``AnalysisConfig()`` (16 kHz, harvest).
    source_f0_range, target_f0_range : tuple of float, optional
        ``(f0_floor, f0_ceil)`` in Hz; estimated from each speaker's audio
        when ``None``.
    source_power_threshold_db, target_power_threshold_db : float, optional
        Speech/silence thresholds; estimated per speaker when ``None``.
    reg_covar : float, default 1e-3
        Added to the diagonal of every covariance (squared mel-cepstral
        units); passed to :class:`~gmmvc.gmm.JointGMM`. It is ten times
        :class:`~gmmvc.gmm.JointGMM`'s own default because MLPG converts
        better with it on VCC 2016: 5.911 dB MCD against 5.932 with 1e-4 on
        SM1 -> TF1 (32 mixtures), 5.872 against 5.905 (64 mixtures), 5.80
        against 5.84 on SF1 -> TM1 (32; there MLPG with converted aperiodicity
        went from 5.79 to 5.82). It mostly shrinks the high-order delta
        coefficients, whose variances within a component are of the order
        of 1e-3 (``docs/benchmarks.md``).
    max_iter : int, default 100
        Passed to :class:`~gmmvc.gmm.JointGMM`. Only the final pass's EM warns
        (``ConvergenceWarning``) when it reaches ``max_iter``; an earlier pass's
        model only refines the next alignment, so it is logged instead.
    dtype : {'float32', 'float64'}, default 'float32'
        EM arithmetic (parameters are kept in float64); float32 halves the
        time per iteration with the same held-out likelihood.
    warm_start : bool, default True
        Start each alignment pass's EM from the previous pass's model.
    random_state : None, int or numpy.random.Generator, default 0
        Seed of EM initialisation.
    n_jobs : int, default 1
        joblib workers for feature extraction, alignment and evaluation
        (-1: all cores); results do not depend on it.
    progress : bool, default False
        Show progress bars (tqdm, on stderr) for the long steps.
    cache_dir : str or os.PathLike, optional
        Folder of an on-disk feature cache (see :func:`extract_corpus_features`).

    Attributes
    ----------
    model_ : ConversionModel
        The trained converter.
    alignment_distances_ : list of float
        Mean DTW frame distance of each alignment pass (should decrease).
    timings_ : dict
        Wall-clock seconds of each training stage (analysis, each alignment
        pass, each EM fit and its iterations, statistics).

    Examples
    --------
    >>> from gmmvc.datasets import make_demo_corpus
    >>> corpus = make_demo_corpus(6)
    >>> vc = VoiceConverter(n_components=2, n_alignment_passes=1, max_iter=300)
    >>> vc = vc.fit(corpus.source[:5], corpus.target[:5])
    >>> vc.convert(corpus.source[5], corpus.fs).ndim
    1
    """

    def __init__(
        self,
        n_components: int = 32,
        *,
        mode: str = "mlpg",
        gv_weight: float = 0.0,
        ms_weight: float = 0.0,
        synthesis: str = "world",
        convert_aperiodicity: bool = False,
        source_f0_shift: str | float | None = None,
        n_alignment_passes: int = 3,
        dtw_radius: int = 1,
        analysis: AnalysisConfig | None = None,
        source_f0_range: tuple[float, float] | None = None,
        target_f0_range: tuple[float, float] | None = None,
        source_power_threshold_db: float | None = None,
        target_power_threshold_db: float | None = None,
        reg_covar: float = 1e-3,
        max_iter: int = 100,
        dtype: str = "float32",
        warm_start: bool = True,
        random_state: Any = 0,
        n_jobs: int = 1,
        progress: bool = False,
        cache_dir: str | os.PathLike | None = None,
    ) -> None:
        self.n_components = n_components
        self.mode = mode
        self.gv_weight = gv_weight
        self.ms_weight = ms_weight
        self.synthesis = synthesis
        self.convert_aperiodicity = convert_aperiodicity
        self.source_f0_shift = source_f0_shift
        self.n_alignment_passes = n_alignment_passes
        self.dtw_radius = dtw_radius
        self.analysis = analysis
        self.source_f0_range = source_f0_range
        self.target_f0_range = target_f0_range
        self.source_power_threshold_db = source_power_threshold_db
        self.target_power_threshold_db = target_power_threshold_db
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.dtype = dtype
        self.warm_start = warm_start
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress
        self.cache_dir = cache_dir

    # ------------------------------------------------------------------ fitting

    def _speaker_config(
        self,
        base: AnalysisConfig,
        waveforms: Sequence[np.ndarray],
        f0_range: tuple[float, float] | None,
        who: str,
    ) -> AnalysisConfig:
        if f0_range is None:
            floor, ceil = estimate_f0_range(waveforms, base.fs, frame_period=base.frame_period)
            logger.info(
                "%s F0 range estimated from %d utterances: %.0f-%.0f Hz",
                who,
                len(waveforms),
                floor,
                ceil,
            )
        else:
            if len(f0_range) != 2:
                raise ParameterError(
                    f"{who}_f0_range: expected (f0_floor, f0_ceil), got {f0_range!r}"
                )
            floor, ceil = f0_range
        return base.replace(f0_floor=float(floor), f0_ceil=float(ceil))

    @property
    def settings(self) -> ConversionSettings:
        """The conversion settings this converter applies (validated)."""
        return ConversionSettings(
            mode=self.mode,
            gv_weight=self.gv_weight,
            ms_weight=self.ms_weight,
            synthesis=self.synthesis,
            convert_aperiodicity=self.convert_aperiodicity,
        ).validate()

    def _check_params(self) -> AnalysisConfig:
        check_positive(self.n_components, "n_components", integer=True)
        self.settings  # noqa: B018 (validates the conversion settings)
        check_choice(self.dtype, "dtype", ("float32", "float64"))
        shift = self.source_f0_shift
        if shift is not None and shift != "auto":
            check_positive(shift, "source_f0_shift")
        check_positive(self.n_alignment_passes, "n_alignment_passes", integer=True)
        check_positive(self.dtw_radius, "dtw_radius", integer=True)
        check_n_jobs(self.n_jobs)
        base = AnalysisConfig() if self.analysis is None else self.analysis
        if not isinstance(base, AnalysisConfig):
            raise ParameterError(
                f"analysis: expected an AnalysisConfig or None, got {type(base).__name__}"
            )
        return base.resolved()

    def fit(
        self,
        source: Sequence[AudioLike],
        target: Sequence[AudioLike],
        *,
        fs: int | None = None,
    ) -> VoiceConverter:
        """Train on parallel utterances: ``source[i]`` and ``target[i]`` say the same sentence.

        Parameters
        ----------
        source, target : sequence of path or array_like
            Audio files, or 1-D waveforms at ``fs``.
        fs : int, optional
            Sample rate of waveform arrays (the analysis rate when ``None``).
            Files are resampled on reading.

        Returns
        -------
        VoiceConverter
            ``self``, fitted.

        Raises
        ------
        ParameterError
            If the lists are empty or of different lengths, or a setting is invalid.
        GmmvcError
            If a file cannot be read or there is too little speech.

        Examples
        --------
        Two sentences of the generated demo corpus; one mixture, one alignment
        pass, DIO and given F0 ranges for speed (``None`` would estimate them
        from the audio):

        >>> from gmmvc.datasets import make_demo_corpus
        >>> corpus = make_demo_corpus(2)
        >>> vc = VoiceConverter(1, n_alignment_passes=1, analysis=AnalysisConfig(f0_method="dio"),
        ...                     source_f0_range=(70.0, 250.0), target_f0_range=(120.0, 400.0))
        >>> vc.fit(corpus.source, corpus.target) is vc
        True
        >>> model = vc.model_
        >>> model.info["n_utterances"], model.gmm.n_source_dims_  # c1-c24 and their deltas
        (2, 48)
        >>> model.source_config.f0_ceil, model.target_config.f0_ceil  # each speaker's settings
        (250.0, 400.0)
        >>> source_hz, target_hz = np.exp(model.source_f0.mean), np.exp(model.target_f0.mean)
        >>> bool(1.5 < target_hz / source_hz < 2.2)  # the target voice is much higher
        True
        >>> [key for key in vc.timings_ if key.endswith("_s")]  # wall-clock seconds per stage
        ['analysis_s', 'alignment_s', 'em_s', 'statistics_s', 'total_s']
        """
        base = self._check_params()
        if len(source) == 0 or len(source) != len(target):
            raise ParameterError(
                "source/target: expected two non-empty lists of parallel utterances of equal "
                f"length, got {len(source)} and {len(target)}"
            )
        t_start = time.perf_counter()
        src_wavs = load_waveforms(source, fs=base.fs, input_fs=fs)
        tgt_wavs = load_waveforms(target, fs=base.fs, input_fs=fs)
        src_cfg = self._speaker_config(base, src_wavs, self.source_f0_range, "source")
        tgt_cfg = self._speaker_config(base, tgt_wavs, self.target_f0_range, "target")
        shift = self._f0_shift(src_cfg, tgt_cfg)
        if shift != 1.0:
            logger.info("pitch-shifting the source by a factor of %.3f before analysis", shift)
            src_wavs = _map(
                pitch_shift,
                [(x, base.fs, shift) for x in src_wavs],
                n_jobs=self.n_jobs,
                progress=self.progress,
                desc="source pitch shift",
            )
            assert src_cfg.f0_floor is not None and src_cfg.f0_ceil is not None
            src_cfg = src_cfg.replace(
                f0_floor=src_cfg.f0_floor * shift,
                f0_ceil=min(src_cfg.f0_ceil * shift, 0.45 * base.fs),
            )
        src_names = [_item_name(item, i) for i, item in enumerate(source)]
        tgt_names = [_item_name(item, i) for i, item in enumerate(target)]
        src_feats, tgt_feats = (
            extract_corpus_features(
                wavs,
                cfg,
                n_jobs=self.n_jobs,
                cache_dir=self.cache_dir,
                progress=self.progress,
                desc=f"{who} features",
                names=names,
            )
            for wavs, cfg, who, names in (
                (src_wavs, src_cfg, "source", src_names),
                (tgt_wavs, tgt_cfg, "target", tgt_names),
            )
        )
        self.timings_: dict[str, Any] = {"analysis_s": time.perf_counter() - t_start}
        model = self._fit_features(
            src_feats, tgt_feats, src_cfg, tgt_cfg, names=list(zip(src_names, tgt_names))
        )
        model = dataclasses.replace(model, source_f0_shift=shift)
        self.timings_["total_s"] = time.perf_counter() - t_start
        seconds = {
            "source_seconds": round(sum(x.shape[0] for x in src_wavs) / base.fs, 3),
            "target_seconds": round(sum(x.shape[0] for x in tgt_wavs) / base.fs, 3),
        }
        timings = {k: _rounded(v) for k, v in self.timings_.items()}
        self.model_ = dataclasses.replace(model, info={**model.info, **seconds, "timings": timings})
        return self

    def _f0_shift(self, src_cfg: AnalysisConfig, tgt_cfg: AnalysisConfig) -> float:
        """Return the source pitch-shift ratio: 1, the given value, or the typical-F0 ratio."""
        if self.source_f0_shift is None:
            return 1.0
        if self.source_f0_shift != "auto":
            return float(self.source_f0_shift)
        # the geometric centre of an estimated search range tracks the speaker's median F0
        centres = [
            np.sqrt(float(c.f0_floor or 0.0) * float(c.f0_ceil or 0.0)) for c in (src_cfg, tgt_cfg)
        ]
        return float(centres[1] / centres[0])

    def _threshold(self, feats: list[Features], given: float | None, who: str) -> float:
        if given is not None:
            return float(given)
        thr = estimate_power_threshold([f.power_db for f in feats])
        logger.info("%s speech threshold estimated: %.1f dB", who, thr)
        return thr

    def _fit_features(
        self,
        src_feats: list[Features],
        tgt_feats: list[Features],
        src_cfg: AnalysisConfig,
        tgt_cfg: AnalysisConfig,
        *,
        names: Sequence[tuple[str, str]] | None = None,
    ) -> ConversionModel:
        windows = DEFAULT_WINDOWS
        src_cfg = src_cfg.replace(
            power_threshold_db=self._threshold(src_feats, self.source_power_threshold_db, "source")
        )
        tgt_cfg = tgt_cfg.replace(
            power_threshold_db=self._threshold(tgt_feats, self.target_power_threshold_db, "target")
        )
        assert src_cfg.power_threshold_db is not None and tgt_cfg.power_threshold_db is not None
        src_speech = [speech_mask(f.power_db, src_cfg.power_threshold_db) for f in src_feats]
        tgt_speech = [speech_mask(f.power_db, tgt_cfg.power_threshold_db) for f in tgt_feats]
        if names is None:
            names = [(f"waveform[{i}]",) * 2 for i in range(len(src_feats))]
        keep = _plausible_pairs(src_speech, tgt_speech, names)
        n_skipped = len(src_feats) - len(keep)
        src_feats, tgt_feats = [src_feats[i] for i in keep], [tgt_feats[i] for i in keep]
        src_speech, tgt_speech = [src_speech[i] for i in keep], [tgt_speech[i] for i in keep]
        # deltas on each utterance's own time axis, before any frame selection or pairing
        X = [apply_windows(f.mcep[:, 1:], windows) for f in src_feats]
        Y = [apply_windows(f.mcep[:, 1:], windows) for f in tgt_feats]
        dim = src_feats[0].mcep.shape[1] - 1

        gmm: JointGMM | None = None
        self.alignment_distances_: list[float] = []
        n_passes = int(self.n_alignment_passes)
        for p in range(n_passes):
            t_pass = time.perf_counter()
            paths: list[Alignment] = _map(
                _align_one,
                [
                    (x, y, ms, mt, gmm, windows, int(self.dtw_radius))
                    for x, y, ms, mt in zip(X, Y, src_speech, tgt_speech)
                ],
                n_jobs=self.n_jobs,
                progress=self.progress,
                desc=f"pass {p + 1}/{n_passes} alignment",
                unit="utt",
            )
            dist = float(np.mean([path.distance for path in paths]))
            self.alignment_distances_.append(dist)
            joint = np.vstack([joint_vectors(x, y, path) for x, y, path in zip(X, Y, paths)])
            logger.info(
                "alignment pass %d: %d joint frames, mean DTW distance %.4f",
                p + 1,
                joint.shape[0],
                dist,
            )
            self.timings_.setdefault("alignment_s", []).append(time.perf_counter() - t_pass)
            desc = (
                f"pass {p + 1}/{n_passes} EM ({self.n_components} mixtures, "
                f"{joint.shape[0]} frames)"
            )
            t_em = time.perf_counter()
            final = p == n_passes - 1
            with _Ticker(self.progress, desc), warnings.catch_warnings():
                if not final:  # this model only aligns the next pass, whose EM goes on from it
                    warnings.simplefilter("ignore", ConvergenceWarning)
                gmm = self._new_gmm(self.n_components).fit(
                    joint,
                    n_source_dims=X[0].shape[1],
                    init=gmm if self.warm_start else None,
                )
            if not final and not gmm.converged_:
                logger.info(
                    "pass %d EM stopped at max_iter=%d before converging; its model only "
                    "refines the next alignment",
                    p + 1,
                    gmm.n_iter_,
                )
            self.timings_.setdefault("em_s", []).append(time.perf_counter() - t_em)
            self.timings_.setdefault("em_iterations", []).append(gmm.n_iter_)
            self.timings_.setdefault("em_frames", []).append(int(joint.shape[0]))
        assert gmm is not None

        t_stats = time.perf_counter()
        # modulation-spectrum statistics of converted and target training trajectories
        converted = _map(
            _convert_static,
            [(gmm, x, windows) for x in X],
            n_jobs=self.n_jobs,
            progress=self.progress,
            desc="MS statistics",
        )
        n_fft = int(2 ** np.ceil(np.log2(max(2, max(y.shape[0] for y in Y)))))
        converted_ms = modulation_statistics(converted, n_fft=n_fft)
        target_ms = modulation_statistics([y[:, :dim] for y in Y], n_fft=n_fft)
        ap_gmm = None
        if self.convert_aperiodicity:
            # same pairing as the spectrum; few components for a few bands
            bx = [apply_windows(f.bap, windows) for f in src_feats]
            by = [apply_windows(f.bap, windows) for f in tgt_feats]
            ap_joint = np.vstack([joint_vectors(a, b, path) for a, b, path in zip(bx, by, paths)])
            ap_gmm = self._new_gmm(min(8, self.n_components)).fit(
                ap_joint, n_source_dims=bx[0].shape[1]
            )
        self.timings_["statistics_s"] = time.perf_counter() - t_stats

        target_gv = global_variance([y[m, :dim] for y, m in zip(Y, tgt_speech) if m.sum() >= 2])
        mu_s, sd_s = log_f0_stats([f.f0 for f in src_feats])
        mu_t, sd_t = log_f0_stats([f.f0 for f in tgt_feats])
        return ConversionModel(
            source_config=src_cfg,
            target_config=tgt_cfg,
            gmm=gmm,
            source_f0=F0Statistics(mu_s, sd_s),
            target_f0=F0Statistics(mu_t, sd_t),
            target_gv=target_gv,
            windows=windows,
            ap_gmm=ap_gmm,
            converted_ms=converted_ms,
            target_ms=target_ms,
            info={
                "n_utterances": len(src_feats),
                "n_pairs_skipped": n_skipped,
                "n_joint_frames": int(joint.shape[0]),
                "n_alignment_passes": int(self.n_alignment_passes),
                "dtw_radius": int(self.dtw_radius),
                "alignment_distances": list(self.alignment_distances_),
                "em_converged": gmm.converged_,
                "em_iterations": gmm.n_iter_,
            },
        )

    def _new_gmm(self, n_components: int) -> JointGMM:
        return JointGMM(
            n_components,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            random_state=self.random_state,
            dtype=self.dtype,
            n_jobs=self.n_jobs,
        )

    # ------------------------------------------------------------------ using

    def _check_fitted(self) -> ConversionModel:
        if not hasattr(self, "model_"):
            raise NotFittedError(
                "This VoiceConverter is not fitted yet; call fit(source, target) first"
            )
        return self.model_

    def convert(self, x: np.ndarray, fs: int) -> np.ndarray:
        """Convert a source waveform with the configured mode.

        Parameters
        ----------
        x : array_like, shape (n_samples,)
        fs : int
            Its sample rate (resampled to the model's when different).

        Returns
        -------
        numpy.ndarray
            Converted speech at the model's sample rate, never clipped.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.

        Examples
        --------
        A converter trained on two sentences of the generated demo corpus (one
        mixture, one alignment pass, DIO and given F0 ranges for speed); the
        third sentence is held out:

        >>> from gmmvc.analysis import extract_f0
        >>> from gmmvc.datasets import make_demo_corpus
        >>> corpus = make_demo_corpus(3)
        >>> vc = VoiceConverter(1, n_alignment_passes=1, analysis=AnalysisConfig(f0_method="dio"),
        ...                     source_f0_range=(70.0, 250.0), target_f0_range=(120.0, 400.0))
        >>> vc = vc.fit(corpus.source[:2], corpus.target[:2])
        >>> y = vc.convert(corpus.source[2], corpus.fs)
        >>> y.ndim, round(len(y) / corpus.fs, 1), round(len(corpus.source[2]) / corpus.fs, 1)
        (1, 2.0, 2.0)

        The converted F0 is within a quarter octave of the target speaker's;
        the source's was about an octave below:

        >>> def median_f0(x):
        ...     f0, _ = extract_f0(x, corpus.fs, method="dio", f0_floor=60.0, f0_ceil=400.0)
        ...     return float(np.median(f0[f0 > 0]))
        >>> src, out, tgt = (median_f0(x) for x in (corpus.source[2], y, corpus.target[2]))
        >>> bool(abs(np.log2(out / tgt)) < 0.25), bool(abs(np.log2(src / tgt)) > 0.75)
        (True, True)
        """
        model = self._check_fitted()
        return model.convert(x, fs, **dataclasses.asdict(self.settings))

    def convert_file(
        self, source: str | os.PathLike, output: str | os.PathLike, *, overwrite: bool = False
    ) -> pathlib.Path:
        """Convert an audio file and write the result atomically.

        Parameters
        ----------
        source : path
            Source speech (any rate; resampled).
        output : path
            Where to write; refused if it exists unless ``overwrite``, and
            always refused if it is the source file itself.
        overwrite : bool, default False

        Returns
        -------
        pathlib.Path
            The written file.

        Raises
        ------
        GmmvcError
            If the output would replace the input, exists without
            ``overwrite``, or a file cannot be read or written.

        Examples
        --------
        A converter trained on two sentences of the generated demo corpus (one
        mixture, one alignment pass, DIO and given F0 ranges for speed); the
        third sentence is held out:

        >>> import tempfile
        >>> from gmmvc.datasets import make_demo_corpus
        >>> corpus = make_demo_corpus(3)
        >>> vc = VoiceConverter(1, n_alignment_passes=1, analysis=AnalysisConfig(f0_method="dio"),
        ...                     source_f0_range=(70.0, 250.0), target_f0_range=(120.0, 400.0))
        >>> vc = vc.fit(corpus.source[:2], corpus.target[:2])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     source = write_audio(pathlib.Path(d) / "source.wav", corpus.source[2], corpus.fs)
        ...     out = vc.convert_file(source, pathlib.Path(d) / "converted.wav")
        ...     y, fs = read_audio(out)
        ...     vc.convert_file(source, out)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.GmmvcError: output .../converted.wav already exists; pass overwrite=True...
        >>> out.name, fs, round(len(y) / fs, 1)  # at the model's rate, as long as the source
        ('converted.wav', 16000, 2.0)
        """
        model = self._check_fitted()
        src, out = pathlib.Path(source), pathlib.Path(output)
        if out.exists() and src.exists() and out.resolve() == src.resolve():
            raise GmmvcError(f"output {out} is the input file; choose another output path")
        if out.exists() and not overwrite:
            raise GmmvcError(f"output {out} already exists; pass overwrite=True to replace it")
        x, fs = read_audio(src)
        try:
            converted = self.convert(x, fs)
        except GmmvcError as exc:  # e.g. a silent file: say which one
            raise type(exc)(f"{src}: {exc}") from exc
        return write_audio(out, converted, model.fs, overwrite=overwrite)

    def evaluate(
        self,
        source: Sequence[AudioLike],
        target: Sequence[AudioLike],
        *,
        fs: int | None = None,
    ) -> list[PairEvaluation]:
        """Score held-out pairs before and after conversion.

        The converted waveform is re-analysed, so the figures are those of
        the audio a listener gets, not of internal features.

        Parameters
        ----------
        source, target : sequence of path or array_like
            Held-out parallel utterances (never the training ones).
        fs : int, optional
            Sample rate of waveform arrays.

        Returns
        -------
        list of PairEvaluation
            Per pair: source vs target, converted vs target, and the converted
            waveform.

        Examples
        --------
        A converter trained on two sentences of the generated demo corpus (one
        mixture, one alignment pass, DIO and given F0 ranges for speed); the
        third sentence is held out:

        >>> from gmmvc.datasets import make_demo_corpus
        >>> corpus = make_demo_corpus(3)
        >>> vc = VoiceConverter(1, n_alignment_passes=1, analysis=AnalysisConfig(f0_method="dio"),
        ...                     source_f0_range=(70.0, 250.0), target_f0_range=(120.0, 400.0))
        >>> vc = vc.fit(corpus.source[:2], corpus.target[:2])
        >>> [ev] = vc.evaluate(corpus.source[2:], corpus.target[2:])
        >>> ev.name, round(ev.before.mcd_db), round(ev.after.mcd_db)  # MCD in dB
        ('waveform[0]', 6, 4)
        >>> bool(ev.before.f0_rmse_cents > 1000), bool(ev.after.f0_rmse_cents < 300)
        (True, True)
        >>> round(len(ev.converted) / corpus.fs, 1)  # the converted audio, for listening
        2.0
        """
        model = self._check_fitted()
        if len(source) == 0 or len(source) != len(target):
            raise ParameterError(
                "source/target: expected equal non-empty lists, "
                f"got {len(source)} and {len(target)}"
            )
        check_n_jobs(self.n_jobs)
        jobs = [
            (model, s, t, _item_name(s, i), fs, self.settings)
            for i, (s, t) in enumerate(zip(source, target))
        ]
        results: list[PairEvaluation] = _map(
            _evaluate_one, jobs, n_jobs=self.n_jobs, progress=self.progress, desc="evaluating"
        )
        for ev in results:
            logger.debug("%s: MCD %.2f -> %.2f dB", ev.name, ev.before.mcd_db, ev.after.mcd_db)
        return results

    # ------------------------------------------------------------------ model files

    def save(self, path: str | os.PathLike, *, overwrite: bool = True) -> pathlib.Path:
        """Write the trained model, with this converter's mode and GV weight, to one file.

        Parameters
        ----------
        path : str or os.PathLike
            Destination (``.npz`` is the usual extension).
        overwrite : bool, default True
            Replace an existing file.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        GmmvcError
            If the file cannot be written (see :func:`gmmvc.model.save_model`).

        Examples
        --------
        A converter trained on two sentences of the generated demo corpus (one
        mixture, one alignment pass, DIO and given F0 ranges for speed); the
        third sentence is held out:

        >>> import tempfile
        >>> from gmmvc.datasets import make_demo_corpus
        >>> corpus = make_demo_corpus(3)
        >>> vc = VoiceConverter(1, n_alignment_passes=1, analysis=AnalysisConfig(f0_method="dio"),
        ...                     source_f0_range=(70.0, 250.0), target_f0_range=(120.0, 400.0),
        ...                     gv_weight=0.5)
        >>> vc = vc.fit(corpus.source[:2], corpus.target[:2])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = vc.save(pathlib.Path(d) / "model.npz")
        ...     stored = read_model_file(path)
        >>> path.name, stored.settings.mode, stored.settings.gv_weight  # the converter's settings
        ('model.npz', 'mlpg', 0.5)
        >>> stored.model.info["n_utterances"]
        2
        >>> VoiceConverter().save("unused.npz")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.NotFittedError: This VoiceConverter is not fitted yet; call fit(...) first
        """
        return save_model(self._check_fitted(), path, settings=self.settings, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike, **params: Any) -> VoiceConverter:
        """Make a fitted converter from a model file written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            The model file.
        **params
            Constructor parameters; the conversion settings (``mode``,
            ``gv_weight``, ...) default to the values stored in the file,
            ``n_components`` to the model's.

        Returns
        -------
        VoiceConverter
            Ready to convert and evaluate (``model_`` set).

        Raises
        ------
        GmmvcError
            If the file is not a valid model file (see :func:`gmmvc.model.load_model`).
        ParameterError
            If a parameter is invalid.

        Examples
        --------
        A converter trained on two sentences of the generated demo corpus (one
        mixture, one alignment pass, DIO and given F0 ranges for speed); the
        third sentence is held out:

        >>> import tempfile
        >>> from gmmvc.datasets import make_demo_corpus
        >>> corpus = make_demo_corpus(3)
        >>> vc = VoiceConverter(1, n_alignment_passes=1, analysis=AnalysisConfig(f0_method="dio"),
        ...                     source_f0_range=(70.0, 250.0), target_f0_range=(120.0, 400.0),
        ...                     gv_weight=0.5)
        >>> vc = vc.fit(corpus.source[:2], corpus.target[:2])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = vc.save(pathlib.Path(d) / "model.npz")
        ...     again = VoiceConverter.load(path)
        ...     full_gv = VoiceConverter.load(path, gv_weight=1.0)
        >>> again.n_components, again.gv_weight, full_gv.gv_weight  # stored unless overridden
        (1, 0.5, 1.0)
        >>> x = corpus.source[2][: corpus.fs // 2]
        >>> bool(np.array_equal(again.convert(x, corpus.fs), vc.convert(x, corpus.fs)))
        True
        """
        saved = read_model_file(path)
        settings = {
            "n_components": saved.model.gmm.n_components,
            **dataclasses.asdict(saved.settings),
            **params,
        }
        vc = cls(**settings)
        vc._check_params()
        vc.model_ = saved.model
        return vc


#: A training pair whose speech durations differ by more than this factor is
#: skipped: it is almost certainly not the same sentence (a pairing mistake).
MAX_PAIR_DURATION_RATIO = 3.0


def _plausible_pairs(
    src_speech: Sequence[np.ndarray],
    tgt_speech: Sequence[np.ndarray],
    names: Sequence[tuple[str, str]],
) -> list[int]:
    """Return the indices of the pairs fit to align; log and skip the others.

    A pair is skipped when one side has fewer than 2 speech frames (nothing to
    align) or the speech durations differ by more than
    ``MAX_PAIR_DURATION_RATIO``; if no pair is left, that is an error.
    """
    keep = []
    for i, (ms, mt, (ns, nt)) in enumerate(zip(src_speech, tgt_speech, names)):
        a, b = int(ms.sum()), int(mt.sum())
        if min(a, b) < 2:
            logger.warning(
                "skipping pair %s / %s: %d and %d speech frames; expected at least 2 on "
                "each side - check that neither file is silent",
                ns,
                nt,
                a,
                b,
            )
        elif max(a, b) > MAX_PAIR_DURATION_RATIO * min(a, b):
            logger.warning(
                "skipping pair %s / %s: %d and %d speech frames differ by more than %gx; "
                "expected two readings of the same sentence - check the pairing",
                ns,
                nt,
                a,
                b,
                MAX_PAIR_DURATION_RATIO,
            )
        else:
            keep.append(i)
    if not keep:
        raise GmmvcError(
            f"no usable training pair among {len(names)}: every pair was skipped (see the "
            "warnings above); expected parallel recordings of the same sentences with speech "
            f"durations within {MAX_PAIR_DURATION_RATIO:g}x of each other"
        )
    return keep


def _rounded(value: Any) -> Any:
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 3) if isinstance(value, float) else value


def _convert_static(gmm: JointGMM, x: np.ndarray, windows: Sequence[Sequence[float]]) -> np.ndarray:
    """MLPG-converted statics of one training utterance (for modulation statistics)."""
    return convert_mlpg(gmm, x, windows=windows)


def _align_one(
    x: np.ndarray,
    y: np.ndarray,
    x_mask: np.ndarray,
    y_mask: np.ndarray,
    gmm: JointGMM | None,
    windows: Sequence[Sequence[float]],
    radius: int = 1,
) -> Alignment:
    """DTW of one utterance pair: source statics (converted when there is a model) to target."""
    dim = y.shape[1] // len(windows)
    a = x[:, :dim] if gmm is None else convert_mlpg(gmm, x, windows=windows)
    return align_frames(a, y[:, :dim], x_mask=x_mask, y_mask=y_mask, radius=radius)


def _evaluate_one(
    model: ConversionModel,
    s: AudioLike,
    t: AudioLike,
    name: str,
    fs: int | None,
    settings: ConversionSettings,
) -> PairEvaluation:
    """Score one held-out pair before and after conversion (see :meth:`VoiceConverter.evaluate`)."""
    xs = load_waveforms([s], fs=model.fs, input_fs=fs)[0]
    xt = load_waveforms([t], fs=model.fs, input_fs=fs)[0]
    try:
        return _score_pair(model, xs, xt, name, settings)
    except GmmvcError as exc:  # e.g. a silent file or no speech frame: say which pair
        target = str(t) if isinstance(t, (str, os.PathLike)) else "its target"
        raise type(exc)(f"{name} / {target}: {exc}") from exc


def _score_pair(
    model: ConversionModel,
    xs: np.ndarray,
    xt: np.ndarray,
    name: str,
    settings: ConversionSettings,
) -> PairEvaluation:
    """Convert ``xs`` and score it and the converted waveform against ``xt``."""
    fs_feats = extract_features(xs, model.source_config)
    ft_feats = extract_features(xt, model.target_config)
    converted = model.convert(xs, model.fs, **dataclasses.asdict(settings))
    # the converted voice is analysed with the target's settings (its F0 range)
    fc_feats = extract_features(converted, model.target_config)
    s_mask = model.speech_frames(fs_feats.power_db, speaker="source")
    t_mask = model.speech_frames(ft_feats.power_db, speaker="target")
    c_mask = model.speech_frames(fc_feats.power_db, speaker="source")
    before = score_features(fs_feats, ft_feats, speech=s_mask, target_speech=t_mask)
    after = score_features(fc_feats, ft_feats, speech=c_mask, target_speech=t_mask)
    return PairEvaluation(name, before, after, converted)
