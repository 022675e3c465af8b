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
"""

from __future__ import annotations

import logging
import os
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
from joblib import Parallel, delayed

from ._validation import as_float_array, check_choice, check_positive
from .alignment import Alignment, align_frames, joint_vectors
from .analysis import estimate_f0_range
from .audio import read_audio, resample, write_audio
from .config import AnalysisConfig
from .conversion import F0Statistics, convert_mlpg, global_variance
from .deltas import DEFAULT_WINDOWS, apply_windows
from .exceptions import GmmvcError, NotFittedError, ParameterError
from .features import (
    Features,
    estimate_power_threshold,
    extract_features,
    log_f0_stats,
    speech_mask,
)
from .gmm import JointGMM
from .metrics import log_f0_rmse, mel_cepstral_distortion, vuv_error
from .model import CONVERSION_MODES, ConversionModel

__all__ = [
    "VoiceConverter",
    "UtteranceScore",
    "PairEvaluation",
    "load_waveforms",
    "extract_corpus_features",
    "score_features",
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

    Raises
    ------
    GmmvcError
        If a file cannot be read.
    """
    return [_load_one(item, i, fs, input_fs) for i, item in enumerate(items)]


def extract_corpus_features(
    waveforms: Sequence[np.ndarray], config: AnalysisConfig, *, n_jobs: int = 1
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

    Returns
    -------
    list of Features
    """
    if n_jobs == 1 or len(waveforms) < 2:
        return [extract_features(x, config) for x in waveforms]
    return list(Parallel(n_jobs=n_jobs)(delayed(extract_features)(x, config) for x in waveforms))


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
    """

    mcd_db: float
    f0_rmse_cents: float
    vuv_error: float
    n_frames: int


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
    """

    name: str
    before: UtteranceScore
    after: UtteranceScore
    converted: np.ndarray


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
    """
    path = align_frames(
        features.mcep[:, 1:], target.mcep[:, 1:], x_mask=speech, y_mask=target_speech
    )
    a, b = path.source_index, path.target_index
    f0_a, f0_b = features.f0[a], target.f0[b]
    voiced_both = np.any((f0_a > 0) & (f0_b > 0))
    return UtteranceScore(
        mcd_db=float(mel_cepstral_distortion(features.mcep[a], target.mcep[b])),
        f0_rmse_cents=float(log_f0_rmse(f0_a, f0_b)) if voiced_both else float("nan"),
        vuv_error=float(vuv_error(f0_a, f0_b)),
        n_frames=int(a.size),
    )


class VoiceConverter:
    """Joint-density GMM voice converter, trained on parallel utterances.

    Parameters
    ----------
    n_components : int, default 32
        Mixture components of the joint GMM.
    mode : {'mmse', 'mlpg', 'mlpg_em'}, default 'mlpg'
        Spectral conversion: frame-wise MMSE, MLPG with the most likely
        component per frame, or MLPG over all components by EM.
    gv_weight : float, default 0.0
        Global-variance postfilter weight in ``[0, 1]`` (0: off, 1: match the
        target's global variance).
    n_alignment_passes : int, default 3
        DTW alignments, each followed by a GMM fit; passes after the first
        align the converted source to the target.
    analysis : AnalysisConfig, optional
        Shared analysis settings (sample rate, frame period, F0 method,
        order, ...). Defaults to ``AnalysisConfig()`` (16 kHz, harvest).
    source_f0_range, target_f0_range : tuple of float, optional
        ``(f0_floor, f0_ceil)`` in Hz; estimated from each speaker's audio
        when ``None``.
    source_power_threshold_db, target_power_threshold_db : float, optional
        Speech/silence thresholds; estimated per speaker when ``None``.
    reg_covar, max_iter : float, int
        Passed to :class:`~gmmvc.gmm.JointGMM`.
    random_state : None, int or numpy.random.Generator, default 0
        Seed of EM initialisation.
    n_jobs : int, default 1
        Parallel workers for feature extraction (-1: all cores).

    Attributes
    ----------
    model_ : ConversionModel
        The trained converter.
    alignment_distances_ : list of float
        Mean DTW frame distance of each alignment pass (should decrease).

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
        n_alignment_passes: int = 3,
        analysis: AnalysisConfig | None = None,
        source_f0_range: tuple[float, float] | None = None,
        target_f0_range: tuple[float, float] | None = None,
        source_power_threshold_db: float | None = None,
        target_power_threshold_db: float | None = None,
        reg_covar: float = 1e-4,
        max_iter: int = 100,
        random_state: Any = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_components = n_components
        self.mode = mode
        self.gv_weight = gv_weight
        self.n_alignment_passes = n_alignment_passes
        self.analysis = analysis
        self.source_f0_range = source_f0_range
        self.target_f0_range = target_f0_range
        self.source_power_threshold_db = source_power_threshold_db
        self.target_power_threshold_db = target_power_threshold_db
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.random_state = random_state
        self.n_jobs = n_jobs

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

    def _check_params(self) -> AnalysisConfig:
        check_positive(self.n_components, "n_components", integer=True)
        check_choice(self.mode, "mode", CONVERSION_MODES)
        if not 0.0 <= float(self.gv_weight) <= 1.0:
            raise ParameterError(f"gv_weight: expected a value in [0, 1], got {self.gv_weight}")
        check_positive(self.n_alignment_passes, "n_alignment_passes", integer=True)
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
        """
        base = self._check_params()
        if len(source) == 0 or len(source) != len(target):
            raise ParameterError(
                "source/target: expected two non-empty lists of parallel utterances of equal "
                f"length, got {len(source)} and {len(target)}"
            )
        src_wavs = load_waveforms(source, fs=base.fs, input_fs=fs)
        tgt_wavs = load_waveforms(target, fs=base.fs, input_fs=fs)
        src_cfg = self._speaker_config(base, src_wavs, self.source_f0_range, "source")
        tgt_cfg = self._speaker_config(base, tgt_wavs, self.target_f0_range, "target")
        src_feats = extract_corpus_features(src_wavs, src_cfg, n_jobs=self.n_jobs)
        tgt_feats = extract_corpus_features(tgt_wavs, tgt_cfg, n_jobs=self.n_jobs)
        self.model_ = self._fit_features(src_feats, tgt_feats, src_cfg, tgt_cfg)
        return self

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
        # deltas on each utterance's own time axis, before any frame selection or pairing
        X = [apply_windows(f.mcep[:, 1:], windows) for f in src_feats]
        Y = [apply_windows(f.mcep[:, 1:], windows) for f in tgt_feats]
        dim = src_feats[0].mcep.shape[1] - 1

        gmm: JointGMM | None = None
        self.alignment_distances_: list[float] = []
        for p in range(int(self.n_alignment_passes)):
            aligned = [
                x[:, :dim] if gmm is None else convert_mlpg(gmm, x, windows=windows) for x in X
            ]
            paths: list[Alignment] = [
                align_frames(a, y[:, :dim], x_mask=ms, y_mask=mt)
                for a, y, ms, mt in zip(aligned, Y, src_speech, tgt_speech)
            ]
            dist = float(np.mean([path.distance for path in paths]))
            self.alignment_distances_.append(dist)
            joint = np.vstack([joint_vectors(x, y, path) for x, y, path in zip(X, Y, paths)])
            logger.info(
                "alignment pass %d: %d joint frames, mean DTW distance %.4f",
                p + 1,
                joint.shape[0],
                dist,
            )
            gmm = JointGMM(
                self.n_components,
                reg_covar=self.reg_covar,
                max_iter=self.max_iter,
                random_state=self.random_state,
            ).fit(joint, n_source_dims=X[0].shape[1])
        assert gmm is not None

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
            info={
                "n_utterances": len(src_feats),
                "n_joint_frames": int(joint.shape[0]),
                "n_alignment_passes": int(self.n_alignment_passes),
                "alignment_distances": list(self.alignment_distances_),
                "em_converged": gmm.converged_,
                "em_iterations": gmm.n_iter_,
            },
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
        """
        return self._check_fitted().convert(x, fs, mode=self.mode, gv_weight=self.gv_weight)

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
        """
        model = self._check_fitted()
        src, out = pathlib.Path(source), pathlib.Path(output)
        if out.exists() and src.exists() and out.resolve() == src.resolve():
            raise GmmvcError(f"output {out} is the input file; choose another output path")
        if out.exists() and not overwrite:
            raise GmmvcError(f"output {out} already exists; pass overwrite=True to replace it")
        x, fs = read_audio(src)
        return write_audio(out, self.convert(x, fs), model.fs, overwrite=overwrite)

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
        """
        model = self._check_fitted()
        if len(source) == 0 or len(source) != len(target):
            raise ParameterError(
                "source/target: expected equal non-empty lists, "
                f"got {len(source)} and {len(target)}"
            )
        results = []
        for i, (s, t) in enumerate(zip(source, target)):
            xs = load_waveforms([s], fs=model.fs, input_fs=fs)[0]
            xt = load_waveforms([t], fs=model.fs, input_fs=fs)[0]
            fs_feats = extract_features(xs, model.source_config)
            ft_feats = extract_features(xt, model.target_config)
            converted = model.convert(xs, model.fs, mode=self.mode, gv_weight=self.gv_weight)
            # the converted voice is analysed with the target's settings (its F0 range)
            fc_feats = extract_features(converted, model.target_config)
            s_mask = model.speech_frames(fs_feats.power_db, speaker="source")
            t_mask = model.speech_frames(ft_feats.power_db, speaker="target")
            c_mask = model.speech_frames(fc_feats.power_db, speaker="source")
            before = score_features(fs_feats, ft_feats, speech=s_mask, target_speech=t_mask)
            after = score_features(fc_feats, ft_feats, speech=c_mask, target_speech=t_mask)
            name = _item_name(s, i)
            logger.info("%s: MCD %.2f -> %.2f dB", name, before.mcd_db, after.mcd_db)
            results.append(PairEvaluation(name, before, after, converted))
        return results
