"""The trained converter as one object: everything needed to convert, nothing else.

A :class:`ConversionModel` holds the two speakers' analysis settings, their
log-F0 statistics, the target's global variance and the joint GMM. It turns
source features into converted features, and a source waveform into a
converted waveform, with any of the conversion modes.

:func:`save_model` writes it to one self-contained file and
:func:`load_model` reads it back, converting bit for bit as before. The file
is a numpy ``.npz`` archive read with ``allow_pickle=False`` (loading a file
from someone else cannot run code): one member holds UTF-8 JSON metadata
(format name and version, gmmvc version, creation time, default conversion
settings, the model's scalar fields and a SHA-256 of every array), the others
the arrays.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import json
import logging
import os
import pathlib
import secrets
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from . import __version__
from ._validation import as_float_array, check_choice, check_fs
from .audio import pitch_shift, resample
from .config import AnalysisConfig
from .conversion import (
    F0Statistics,
    GlobalVariance,
    ModulationSpectrum,
    convert_f0,
    convert_mlpg,
    convert_mlpg_em,
    convert_mlpg_gv,
    convert_mmse,
    gv_postfilter,
    ms_postfilter,
)
from .deltas import DEFAULT_WINDOWS, _check_windows, apply_windows
from .exceptions import GmmvcError, ParameterError
from .features import Features, extract_features, extract_spectrum, speech_mask
from .gmm import JointGMM, differential_gmm
from .synthesis import mlsa_filter, synthesize

__all__ = [
    "CONVERSION_MODES",
    "SYNTHESIS_METHODS",
    "ConversionSettings",
    "ConversionModel",
    "MODEL_FORMAT_VERSION",
    "ModelFile",
    "save_model",
    "load_model",
    "read_model_file",
]

logger = logging.getLogger(__name__)

#: The modulation-spectrum postfilter may scale a trajectory's peak by at most
#: this factor; more means its statistics are unreliable and it diverged.
MS_MAX_GROWTH = 10.0

#: Spectral conversion modes: frame-wise MMSE, MLPG with the most likely
#: component per frame, MLPG over all components by EM, and MLPG considering
#: the global variance (Toda et al. 2007, sec. IV).
CONVERSION_MODES = ("mmse", "mlpg", "mlpg_em", "mlpg_gv")

#: How the converted spectrum becomes audio: WORLD resynthesis of the
#: converted features, or MLSA filtering of the source waveform with the
#: converted spectral difference (Kobayashi et al.; source F0 and aperiodicity kept).
SYNTHESIS_METHODS = ("world", "differential")


def _check_weight(value: Any, name: str) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = float("nan")
    if isinstance(value, bool) or not 0.0 <= weight <= 1.0:
        raise ParameterError(f"{name}: expected a number in [0, 1], got {value!r}")
    return weight


@dataclass(frozen=True)
class ConversionSettings:
    """How to convert: spectral mode, postfilters and synthesis.

    Parameters
    ----------
    mode : {'mmse', 'mlpg', 'mlpg_em', 'mlpg_gv'}, default 'mlpg'
        Spectral conversion (see :data:`CONVERSION_MODES`).
    gv_weight : float, default 0.0
        Global-variance postfilter weight in ``[0, 1]`` (0: off).
    ms_weight : float, default 0.0
        Modulation-spectrum postfilter weight in ``[0, 1]`` (0: off).
    synthesis : {'world', 'differential'}, default 'world'
        WORLD resynthesis, or MLSA filtering of the source waveform.
    convert_aperiodicity : bool, default False
        Convert band aperiodicity with the model's own GMM (needs a model
        trained with ``convert_aperiodicity=True``) instead of copying the
        source's. WORLD synthesis only.

    Examples
    --------
    >>> ConversionSettings(mode="mlpg_gv").validate().mode
    'mlpg_gv'
    """

    mode: str = "mlpg"
    gv_weight: float = 0.0
    ms_weight: float = 0.0
    synthesis: str = "world"
    convert_aperiodicity: bool = False

    def validate(self) -> ConversionSettings:
        """Check every field and return the settings with weights as floats.

        Raises
        ------
        ParameterError
            If a field is out of range.

        Examples
        --------
        Construction checks nothing; :meth:`validate` checks every field and
        returns a copy with the weights as floats:

        >>> ConversionSettings(mode="mlpg_gv", gv_weight=1).validate().gv_weight
        1.0
        >>> ConversionSettings(gv_weight=1.5).validate()
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.ParameterError: gv_weight: expected a number in [0, 1], got 1.5
        >>> ConversionSettings(mode="gmm").validate()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.ParameterError: mode: expected one of 'mmse', 'mlpg', ..., got 'gmm'

        Settings that contradict each other are refused too:

        >>> ConversionSettings(synthesis="differential", convert_aperiodicity=True).validate()
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.ParameterError: convert_aperiodicity: differential synthesis ...
        """
        check_choice(self.mode, "mode", CONVERSION_MODES)
        check_choice(self.synthesis, "synthesis", SYNTHESIS_METHODS)
        if not isinstance(self.convert_aperiodicity, bool):
            raise ParameterError(
                f"convert_aperiodicity: expected True or False, got {self.convert_aperiodicity!r}"
            )
        if self.convert_aperiodicity and self.synthesis == "differential":
            raise ParameterError(
                "convert_aperiodicity: differential synthesis filters the source waveform and "
                "keeps its aperiodicity; use synthesis='world' to convert aperiodicity"
            )
        return dataclasses.replace(
            self,
            gv_weight=_check_weight(self.gv_weight, "gv_weight"),
            ms_weight=_check_weight(self.ms_weight, "ms_weight"),
        )


@dataclass(frozen=True)
class ConversionModel:
    """A trained source-to-target converter.

    Attributes
    ----------
    source_config, target_config : AnalysisConfig
        Resolved analysis settings of each speaker (F0 range and speech
        threshold included). Conversion analyses and resynthesises with
        ``source_config``.
    gmm : JointGMM
        Joint GMM on ``[x, dx, y, dy]`` with ``x``, ``y`` the mel-cepstra
        without c0.
    source_f0, target_f0 : F0Statistics
        Log-F0 mean and standard deviation of each speaker.
    target_gv : GlobalVariance
        Global variance of the target's mel-cepstra (c1 onward, speech frames).
    windows : tuple of tuple of float
        The dynamic-feature windows the GMM was trained with.
    info : dict
        Training facts (numbers of utterances and frames, passes, ...).
    ap_gmm : JointGMM, optional
        Joint GMM on coded aperiodicity ``[a, da, b, db]``, when trained
        with ``convert_aperiodicity=True``.
    converted_ms, target_ms : ModulationSpectrum, optional
        Modulation-spectrum statistics of converted training trajectories
        and of the target's, for the MS postfilter.
    source_f0_shift : float, default 1.0
        Frequency ratio the source waveform is pitch-shifted by before
        analysis (F0-shifted differential conversion); 1 means none.

    Examples
    --------
    :class:`~gmmvc.pipeline.VoiceConverter` trains one; here one is built by
    hand with a known answer: one component whose target mel-cepstrum is the
    source's plus 0.5 in c1 and minus 0.25 in c2, and a target voice one
    octave higher.

    >>> from gmmvc.config import AnalysisConfig
    >>> from gmmvc.conversion import F0Statistics, GlobalVariance
    >>> from gmmvc.features import Features
    >>> from gmmvc.gmm import JointGMM
    >>> cfg = AnalysisConfig(order=2, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
    >>> cfg = cfg.resolved()
    >>> mean = np.array([0, 0, 0, 0, 0.5, -0.25, 0, 0])  # [x, dx, y, dy], y = x + shift
    >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
    >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
    >>> model = ConversionModel(
    ...     source_config=cfg,
    ...     target_config=cfg,
    ...     gmm=gmm,
    ...     source_f0=F0Statistics(mean=np.log(100.0), std=0.2),
    ...     target_f0=F0Statistics(mean=np.log(200.0), std=0.2),
    ...     target_gv=GlobalVariance(mean=np.ones(2), var=np.ones(2)),
    ... )
    >>> model.fs, model.gmm.n_source_dims_  # order 2: c1, c2 and their deltas
    (16000, 4)
    >>> mcep = np.array([[1.0, 0.1, 0.2], [1.0, 0.3, 0.4], [1.0, 0.5, 0.6]])
    >>> model.convert_spectrum(mcep)  # c0 kept, c1 + 0.5, c2 - 0.25
    array([[ 1.  ,  0.6 , -0.05],
           [ 1.  ,  0.8 ,  0.15],
           [ 1.  ,  1.  ,  0.35]])
    >>> f0 = np.array([0.0, 100.0, 110.0])
    >>> feats = Features(f0=f0, mcep=mcep, bap=np.zeros((3, 1)), power_db=np.zeros(3))
    >>> model.convert_features(feats).f0  # an octave up; unvoiced frames stay 0
    array([  0., 200., 220.])
    """

    source_config: AnalysisConfig
    target_config: AnalysisConfig
    gmm: JointGMM
    source_f0: F0Statistics
    target_f0: F0Statistics
    target_gv: GlobalVariance
    windows: tuple[tuple[float, ...], ...] = DEFAULT_WINDOWS
    info: dict[str, Any] = field(default_factory=dict)
    ap_gmm: JointGMM | None = None
    converted_ms: ModulationSpectrum | None = None
    target_ms: ModulationSpectrum | None = None
    source_f0_shift: float = 1.0

    @property
    def fs(self) -> int:
        """Sample rate (Hz) the model analyses and synthesises at."""
        return self.source_config.fs

    @functools.cached_property
    def difference_gmm(self) -> JointGMM:
        """The GMM of ``[X; Y - X]`` derived from :attr:`gmm` (computed once)."""
        return differential_gmm(self.gmm)

    def _order(self) -> int:
        order = self.source_config.resolved().order
        assert order is not None  # resolved() sets it
        return order

    def _postfilter(
        self, static: np.ndarray, settings: ConversionSettings, speech: np.ndarray | None
    ) -> np.ndarray:
        """Apply the MS and GV postfilters (in that order) to a converted static trajectory."""
        if settings.ms_weight:
            if self.converted_ms is None or self.target_ms is None:
                raise ParameterError(
                    "ms_weight: this model has no modulation-spectrum statistics; retrain it "
                    "with this gmmvc version or set ms_weight=0"
                )
            filtered = ms_postfilter(
                static, self.converted_ms, self.target_ms, weight=settings.ms_weight
            )
            peak, new_peak = float(np.max(np.abs(static))), float(np.max(np.abs(filtered)))
            if not np.isfinite(new_peak) or new_peak > MS_MAX_GROWTH * max(peak, 1.0):
                raise ParameterError(
                    f"ms_weight: the modulation-spectrum postfilter diverged on this utterance "
                    f"(mel-cepstrum peak {peak:.3g} -> {new_peak:.3g}); this model's "
                    f"modulation statistics are unreliable (trained on "
                    f"{self.info.get('n_utterances', '?')} utterances) - set ms_weight=0 or "
                    "a smaller weight, or retrain on more data"
                )
            static = filtered
        if settings.gv_weight:
            static = gv_postfilter(static, self.target_gv, weight=settings.gv_weight, frames=speech)
        return static

    def _trajectory(self, gmm: JointGMM, X: np.ndarray, mode: str) -> np.ndarray:
        if mode == "mmse":
            return convert_mmse(gmm, X, windows=self.windows)
        if mode == "mlpg":
            return convert_mlpg(gmm, X, windows=self.windows)
        if mode == "mlpg_em":
            return convert_mlpg_em(gmm, X, windows=self.windows)
        if gmm is not self.gmm:  # GV of a difference is not the target's GV
            raise ParameterError(
                "mode: 'mlpg_gv' generates target trajectories and cannot drive differential "
                "synthesis; use 'mlpg' with gv_weight for a GV-corrected difference"
            )
        return convert_mlpg_gv(gmm, X, self.target_gv, windows=self.windows)

    def convert_spectrum(
        self,
        mcep: np.ndarray,
        *,
        speech: np.ndarray | None = None,
        differential: bool = False,
        **settings: Any,
    ) -> np.ndarray:
        """Convert a source mel-cepstrum; c0 (power) is kept from the source.

        Parameters
        ----------
        mcep : array_like, shape (T, order + 1)
            Source mel-cepstrum, c0 first.
        speech : array_like of bool, shape (T,), optional
            Speech frames; the GV postfilter measures the utterance variance
            on these only (all frames when ``None``).
        differential : bool, default False
            Return the converted *difference* (target minus source, c0 = 0)
            for MLSA filtering instead of the converted mel-cepstrum.
        **settings
            :class:`ConversionSettings` fields (``mode``, ``gv_weight``,
            ``ms_weight``).

        Returns
        -------
        numpy.ndarray, shape (T, order + 1)

        Raises
        ------
        ParameterError
            If a setting is invalid or the order does not match the model.

        Examples
        --------
        The hand-built model of :class:`ConversionModel`: target c1 and c2 are
        the source's plus 0.5 and minus 0.25, target F0 one octave higher.

        >>> from gmmvc.config import AnalysisConfig
        >>> from gmmvc.conversion import F0Statistics, GlobalVariance
        >>> from gmmvc.gmm import JointGMM
        >>> cfg = AnalysisConfig(order=2, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
        >>> cfg = cfg.resolved()
        >>> mean = np.array([0, 0, 0, 0, 0.5, -0.25, 0, 0])  # [x, dx, y, dy], y = x + shift
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> f0_s, f0_t = F0Statistics(np.log(100.0), 0.2), F0Statistics(np.log(200.0), 0.2)
        >>> gv = GlobalVariance(mean=np.ones(2), var=np.ones(2))
        >>> model = ConversionModel(cfg, cfg, gmm, f0_s, f0_t, gv)
        >>> mcep = np.array([[1.0, 0.1, 0.2], [1.0, 0.3, 0.4], [1.0, 0.5, 0.6]])
        >>> model.convert_spectrum(mcep, mode="mmse")  # c0 kept, c1 + 0.5, c2 - 0.25
        array([[ 1.  ,  0.6 , -0.05],
               [ 1.  ,  0.8 ,  0.15],
               [ 1.  ,  1.  ,  0.35]])

        For differential synthesis, the difference the MLSA filter applies to
        the source (c0 = 0: the source's power is kept):

        >>> model.convert_spectrum(mcep, differential=True)
        array([[ 0.  ,  0.5 , -0.25],
               [ 0.  ,  0.5 , -0.25],
               [ 0.  ,  0.5 , -0.25]])

        With ``gv_weight=1`` the utterance variance of each coefficient
        becomes the target's global variance (1 here), about the same mean:

        >>> out = model.convert_spectrum(mcep, gv_weight=1.0)
        >>> out[:, 1:].var(axis=0).round(12), out[:, 1:].mean(axis=0).round(12)
        (array([1., 1.]), array([0.8 , 0.15]))
        """
        cfg = ConversionSettings(**settings).validate()
        order = self._order()
        mcep = as_float_array(mcep, "mcep", ndim=2, min_len=1)
        if mcep.shape[1] != order + 1:
            raise ParameterError(
                f"mcep: expected {order + 1} coefficients (order {order}), got {mcep.shape[1]}"
            )
        X = apply_windows(mcep[:, 1:], self.windows)
        if not differential:
            static = self._postfilter(self._trajectory(self.gmm, X, cfg.mode), cfg, speech)
            return np.hstack([mcep[:, :1], static])
        diff = self._trajectory(self.difference_gmm, X, cfg.mode)
        if cfg.gv_weight or cfg.ms_weight:  # postfilter the implied target, keep the difference
            diff = self._postfilter(mcep[:, 1:] + diff, cfg, speech) - mcep[:, 1:]
        return np.hstack([np.zeros((mcep.shape[0], 1)), diff])

    def convert_aperiodicity(self, bap: np.ndarray) -> np.ndarray:
        """Convert coded aperiodicity with the aperiodicity GMM (MLPG).

        Parameters
        ----------
        bap : array_like, shape (T, n_bands)

        Returns
        -------
        numpy.ndarray, shape (T, n_bands)
            In dB, at most 0 (an aperiodicity ratio of at most one).

        Raises
        ------
        ParameterError
            If the model was trained without an aperiodicity GMM.

        Examples
        --------
        The hand-built model of :class:`ConversionModel` with an aperiodicity
        GMM for one band whose target is the source's plus 2 dB:

        >>> from gmmvc.config import AnalysisConfig
        >>> from gmmvc.conversion import F0Statistics, GlobalVariance
        >>> from gmmvc.gmm import JointGMM
        >>> cfg = AnalysisConfig(order=2, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
        >>> cfg = cfg.resolved()
        >>> mean = np.array([0, 0, 0, 0, 0.5, -0.25, 0, 0])  # [x, dx, y, dy], y = x + shift
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> f0_s, f0_t = F0Statistics(np.log(100.0), 0.2), F0Statistics(np.log(200.0), 0.2)
        >>> gv = GlobalVariance(mean=np.ones(2), var=np.ones(2))
        >>> model = ConversionModel(cfg, cfg, gmm, f0_s, f0_t, gv)
        >>> model.convert_aperiodicity(np.full((2, 1), -10.0))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.ParameterError: convert_aperiodicity: this model has no aperiodicity ...
        >>> ap_mean = np.array([0.0, 0.0, 2.0, 0.0])  # [a, da, b, db], b = a + 2 dB
        >>> ap_cov = np.block([[np.eye(2), np.eye(2)], [np.eye(2), 1.01 * np.eye(2)]])
        >>> ap_gmm = JointGMM.from_parameters([1.0], ap_mean[None], ap_cov[None], n_source_dims=2)
        >>> model = ConversionModel(cfg, cfg, gmm, f0_s, f0_t, gv, ap_gmm=ap_gmm)
        >>> model.convert_aperiodicity(np.array([[-10.0], [-5.0], [-1.0]]))  # -1 + 2 capped at 0
        array([[-8.],
               [-3.],
               [ 0.]])
        """
        if self.ap_gmm is None:
            raise ParameterError(
                "convert_aperiodicity: this model has no aperiodicity GMM; train with "
                "convert_aperiodicity=True"
            )
        bap = as_float_array(bap, "bap", ndim=2, min_len=1)
        return np.minimum(convert_mlpg(self.ap_gmm, bap, windows=self.windows), 0.0)

    def convert_features(self, features: Features, **settings: Any) -> Features:
        """Convert one utterance's features: spectrum by the GMM, F0 by log statistics.

        Aperiodicity is taken from the source unless ``convert_aperiodicity``.

        Parameters
        ----------
        features : Features
            Source features made with ``source_config``.
        **settings
            :class:`ConversionSettings` fields.

        Returns
        -------
        Features

        Examples
        --------
        The hand-built model of :class:`ConversionModel`, here with a target
        log-F0 deviation half the source's (0.1 against 0.2): F0 two octaves
        above the source's mean (100 Hz) becomes one octave above the target's
        (200 Hz).

        >>> import dataclasses
        >>> from gmmvc.features import Features
        >>> from gmmvc.config import AnalysisConfig
        >>> from gmmvc.conversion import F0Statistics, GlobalVariance
        >>> from gmmvc.gmm import JointGMM
        >>> cfg = AnalysisConfig(order=2, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
        >>> cfg = cfg.resolved()
        >>> mean = np.array([0, 0, 0, 0, 0.5, -0.25, 0, 0])  # [x, dx, y, dy], y = x + shift
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> f0_s, f0_t = F0Statistics(np.log(100.0), 0.2), F0Statistics(np.log(200.0), 0.2)
        >>> gv = GlobalVariance(mean=np.ones(2), var=np.ones(2))
        >>> model = ConversionModel(cfg, cfg, gmm, f0_s, f0_t, gv)
        >>> model = dataclasses.replace(model, target_f0=F0Statistics(np.log(200.0), 0.1))
        >>> feats = Features(
        ...     f0=np.array([0.0, 100.0, 400.0]),  # 0: unvoiced
        ...     mcep=np.array([[1.0, 0.1, 0.2], [1.0, 0.3, 0.4], [1.0, 0.5, 0.6]]),
        ...     bap=np.full((3, 1), -20.0),
        ...     power_db=np.array([-20.0, -25.0, -30.0]),
        ... )
        >>> out = model.convert_features(feats, mode="mmse")
        >>> out.f0
        array([  0., 200., 400.])
        >>> out.mcep  # c0 kept, c1 + 0.5, c2 - 0.25
        array([[ 1.  ,  0.6 , -0.05],
               [ 1.  ,  0.8 ,  0.15],
               [ 1.  ,  1.  ,  0.35]])
        >>> out.bap[:, 0], out.power_db  # the source's
        (array([-20., -20., -20.]), array([-20., -25., -30.]))
        """
        cfg = ConversionSettings(**settings).validate()
        speech = self.speech_frames(features.power_db, speaker="source")
        mcep = self.convert_spectrum(
            features.mcep,
            speech=speech,
            mode=cfg.mode,
            gv_weight=cfg.gv_weight,
            ms_weight=cfg.ms_weight,
        )
        f0 = convert_f0(features.f0, self.source_f0, self.target_f0)
        bap = self.convert_aperiodicity(features.bap) if cfg.convert_aperiodicity else features.bap
        return Features(f0=f0, mcep=mcep, bap=bap, power_db=features.power_db)

    def speech_frames(self, power_db: np.ndarray, *, speaker: str) -> np.ndarray:
        """Boolean speech mask using the speaker's threshold ('source' or 'target').

        Examples
        --------
        The hand-built model of :class:`ConversionModel`, with a target
        threshold of -40 dB: each speaker's frames are judged by their own
        threshold (``source_config`` and ``target_config``):

        >>> from gmmvc.config import AnalysisConfig
        >>> from gmmvc.conversion import F0Statistics, GlobalVariance
        >>> from gmmvc.gmm import JointGMM
        >>> cfg = AnalysisConfig(order=2, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
        >>> cfg = cfg.resolved()
        >>> mean = np.array([0, 0, 0, 0, 0.5, -0.25, 0, 0])  # [x, dx, y, dy], y = x + shift
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> f0_s, f0_t = F0Statistics(np.log(100.0), 0.2), F0Statistics(np.log(200.0), 0.2)
        >>> gv = GlobalVariance(mean=np.ones(2), var=np.ones(2))
        >>> model = ConversionModel(cfg, cfg.replace(power_threshold_db=-40.0), gmm, f0_s, f0_t, gv)
        >>> power_db = np.array([-80.0, -50.0, -30.0])
        >>> model.speech_frames(power_db, speaker="source")
        array([False,  True,  True])
        >>> model.speech_frames(power_db, speaker="target")
        array([False, False,  True])
        """
        check_choice(speaker, "speaker", ("source", "target"))
        cfg = self.source_config if speaker == "source" else self.target_config
        if cfg.power_threshold_db is None:
            raise ParameterError(
                f"speaker: the {speaker} analysis settings have no power_threshold_db; a trained "
                "model always has one - set it in the AnalysisConfig of a hand-built model"
            )
        return speech_mask(power_db, cfg.power_threshold_db)

    def prepare_source(self, x: np.ndarray, fs: int) -> np.ndarray:
        """Resample a source waveform to the model's rate and apply its F0 shift.

        Parameters
        ----------
        x : array_like, shape (n_samples,)
        fs : int
            Its sample rate.

        Returns
        -------
        numpy.ndarray
            The waveform the model analyses (and, for differential synthesis, filters).

        Examples
        --------
        The 16 kHz hand-built model of :class:`ConversionModel`, given one
        second of a 200 Hz tone at 8 kHz, gets the same tone at twice the
        samples; at its own rate, the waveform is used as it is. (A model
        trained with ``source_f0_shift`` would also pitch-shift it.)

        >>> from gmmvc.config import AnalysisConfig
        >>> from gmmvc.conversion import F0Statistics, GlobalVariance
        >>> from gmmvc.gmm import JointGMM
        >>> cfg = AnalysisConfig(order=2, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
        >>> cfg = cfg.resolved()
        >>> mean = np.array([0, 0, 0, 0, 0.5, -0.25, 0, 0])  # [x, dx, y, dy], y = x + shift
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> f0_s, f0_t = F0Statistics(np.log(100.0), 0.2), F0Statistics(np.log(200.0), 0.2)
        >>> gv = GlobalVariance(mean=np.ones(2), var=np.ones(2))
        >>> model = ConversionModel(cfg, cfg, gmm, f0_s, f0_t, gv)
        >>> tone = np.sin(2 * np.pi * 200 * np.arange(8000) / 8000)
        >>> x = model.prepare_source(tone, 8000)
        >>> x.shape, int(np.argmax(np.abs(np.fft.rfft(x))))  # 200 Hz at 1 Hz per bin
        ((16000,), 200)
        >>> bool(np.array_equal(model.prepare_source(x, 16000), x))
        True
        """
        fs = check_fs(fs)
        x = as_float_array(x, "x", ndim=1)
        if fs != self.fs:
            logger.info("resampling input from %d Hz to the model's %d Hz", fs, self.fs)
            x = resample(x, fs, self.fs)
        if self.source_f0_shift != 1.0:
            x = pitch_shift(x, self.fs, self.source_f0_shift)
        return x

    def convert(self, x: np.ndarray, fs: int, **settings: Any) -> np.ndarray:
        """Convert a source waveform.

        Parameters
        ----------
        x : array_like, shape (n_samples,)
            Source speech.
        fs : int
            Its sample rate; resampled to the model's rate when different.
        **settings
            :class:`ConversionSettings` fields: ``mode``, ``gv_weight``,
            ``ms_weight``, ``synthesis``, ``convert_aperiodicity``.

        Returns
        -------
        numpy.ndarray
            Converted speech at :attr:`fs`, never clipped.

        Raises
        ------
        ParameterError
            If a setting is invalid or needs statistics the model lacks.

        Examples
        --------
        The hand-built model of :class:`ConversionModel` (with DIO for speed)
        on half a second of a 120 Hz harmonic tone: WORLD resynthesis puts F0
        an octave up, differential synthesis filters the source and keeps its
        F0:

        >>> from gmmvc.analysis import extract_f0
        >>> from gmmvc.config import AnalysisConfig
        >>> from gmmvc.conversion import F0Statistics, GlobalVariance
        >>> from gmmvc.gmm import JointGMM
        >>> cfg = AnalysisConfig(order=2, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
        >>> cfg = cfg.resolved().replace(f0_method="dio")
        >>> mean = np.array([0, 0, 0, 0, 0.5, -0.25, 0, 0])  # [x, dx, y, dy], y = x + shift
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> f0_s, f0_t = F0Statistics(np.log(100.0), 0.2), F0Statistics(np.log(200.0), 0.2)
        >>> gv = GlobalVariance(mean=np.ones(2), var=np.ones(2))
        >>> model = ConversionModel(cfg, cfg, gmm, f0_s, f0_t, gv)
        >>> fs = 16000
        >>> t = np.arange(fs // 2) / fs
        >>> x = 0.3 * sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 20))
        >>> def median_f0(y):
        ...     f0, _ = extract_f0(y, fs, method="dio", f0_floor=60.0, f0_ceil=500.0)
        ...     return round(float(np.median(f0[f0 > 0])))
        >>> median_f0(x), median_f0(model.convert(x, fs))
        (120, 240)
        >>> median_f0(model.convert(x, fs, synthesis="differential"))
        120
        """
        cfg = ConversionSettings(**settings).validate()
        x = self.prepare_source(x, fs)
        if cfg.synthesis == "differential":  # the source's own F0 and aperiodicity stay
            mcep, power_db = extract_spectrum(x, self.source_config)
            speech = self.speech_frames(power_db, speaker="source")
            diff = self.convert_spectrum(
                mcep,
                speech=speech,
                differential=True,
                mode=cfg.mode,
                gv_weight=cfg.gv_weight,
                ms_weight=cfg.ms_weight,
            )
            return mlsa_filter(x, diff, self.source_config)
        features = extract_features(x, self.source_config)
        converted = self.convert_features(features, **dataclasses.asdict(cfg))
        return synthesize(converted.f0, converted.mcep, converted.bap, self.source_config)

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        settings: ConversionSettings | None = None,
        overwrite: bool = True,
    ) -> pathlib.Path:
        """Write the model to one file; see :func:`save_model`.

        Examples
        --------
        The hand-built model of :class:`ConversionModel`, saved with a GV
        postfilter weight as its default setting:

        >>> import tempfile
        >>> from gmmvc.config import AnalysisConfig
        >>> from gmmvc.conversion import F0Statistics, GlobalVariance
        >>> from gmmvc.gmm import JointGMM
        >>> cfg = AnalysisConfig(order=2, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
        >>> cfg = cfg.resolved()
        >>> mean = np.array([0, 0, 0, 0, 0.5, -0.25, 0, 0])  # [x, dx, y, dy], y = x + shift
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> f0_s, f0_t = F0Statistics(np.log(100.0), 0.2), F0Statistics(np.log(200.0), 0.2)
        >>> gv = GlobalVariance(mean=np.ones(2), var=np.ones(2))
        >>> model = ConversionModel(cfg, cfg, gmm, f0_s, f0_t, gv)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = model.save(pathlib.Path(d) / "model.npz",
        ...                       settings=ConversionSettings(gv_weight=0.5))
        ...     stored = read_model_file(path)
        >>> path.name, stored.settings.gv_weight
        ('model.npz', 0.5)
        >>> stored.model.target_f0 == model.target_f0
        True
        """
        return save_model(self, path, settings=settings, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ConversionModel:
        """Read a model written by :meth:`save`; see :func:`load_model`.

        Examples
        --------
        The hand-built model of :class:`ConversionModel` comes back converting
        bit for bit as before:

        >>> import tempfile
        >>> from gmmvc.config import AnalysisConfig
        >>> from gmmvc.conversion import F0Statistics, GlobalVariance
        >>> from gmmvc.gmm import JointGMM
        >>> cfg = AnalysisConfig(order=2, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
        >>> cfg = cfg.resolved()
        >>> mean = np.array([0, 0, 0, 0, 0.5, -0.25, 0, 0])  # [x, dx, y, dy], y = x + shift
        >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
        >>> gmm = JointGMM.from_parameters([1.0], mean[None], cov[None], n_source_dims=4)
        >>> f0_s, f0_t = F0Statistics(np.log(100.0), 0.2), F0Statistics(np.log(200.0), 0.2)
        >>> gv = GlobalVariance(mean=np.ones(2), var=np.ones(2))
        >>> model = ConversionModel(cfg, cfg, gmm, f0_s, f0_t, gv)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     again = ConversionModel.load(model.save(pathlib.Path(d) / "model.npz"))
        >>> mcep = np.array([[1.0, 0.1, 0.2], [1.0, 0.3, 0.4], [1.0, 0.5, 0.6]])
        >>> bool(np.array_equal(again.convert_spectrum(mcep), model.convert_spectrum(mcep)))
        True
        >>> again.source_config == model.source_config, again.target_f0 == model.target_f0
        (True, True)
        """
        return load_model(path)


# --------------------------------------------------------------------------
# model files: save and load without pickle
# --------------------------------------------------------------------------

#: Layout version of the model files this gmmvc writes; it reads this version
#: and older ones. Adding a :class:`ConversionModel` field *with a default* needs
#: no new version (older files load with the default); bump it when older
#: gmmvc releases could not read new files correctly (a new required field, a
#: changed meaning), so they refuse them with "upgrade gmmvc" instead.
MODEL_FORMAT_VERSION = 1

#: Value of the metadata's ``format`` entry: what marks a gmmvc model file.
_FORMAT_NAME = "gmmvc-model"

#: ``format`` of the STFT backend's model files (:func:`gmmvc.stft.save_stft_converter`),
#: which share this layout and its checks.
_STFT_FORMAT_NAME = "gmmvc-stft-model"

#: Every kind of gmmvc model file: ``format`` -> (what it holds, what reads it).
_FORMATS = {
    _FORMAT_NAME: ("a WORLD-backend model", "gmmvc.model.read_model_file or VoiceConverter.load"),
    _STFT_FORMAT_NAME: ("an STFT-backend model", "gmmvc.stft.read_stft_model_file"),
}

#: Archive member holding the UTF-8 JSON metadata, as a uint8 array.
_METADATA_KEY = "gmmvc_metadata"

_Arrays = dict[str, np.ndarray]
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Codec:
    """How one :class:`ConversionModel` field is stored.

    ``encode(value) -> (json_value, arrays)`` and
    ``decode(json_value, arrays) -> value``, where ``arrays`` maps short
    names (no dots) to numeric arrays; the file stores them as
    ``<field>.<name>``. ``decode`` raises ``ParameterError``, ``KeyError``,
    ``TypeError`` or ``ValueError`` on bad content.
    """

    encode: Callable[[Any], tuple[Any, _Arrays]]
    decode: Callable[[Any, _Arrays], Any]


def _json_value(value: Any) -> Any:
    """``value`` with numpy scalars/arrays and tuples turned into JSON types."""
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_value(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a model file: {value!r}")


def _encode_config(config: AnalysisConfig) -> tuple[Any, _Arrays]:
    return config.to_dict(), {}


def _decode_config(meta: Any, arrays: _Arrays) -> AnalysisConfig:
    if not isinstance(meta, dict):
        raise TypeError(f"expected a dict of analysis settings, got {type(meta).__name__}")
    return AnalysisConfig.from_dict(meta)


def _encode_gmm(gmm: JointGMM) -> tuple[Any, _Arrays]:
    meta = {
        "n_source_dims": gmm.n_source_dims_,
        "converged": gmm.converged_,
        "n_iter": gmm.n_iter_,
        "lower_bound": gmm.lower_bound_,
    }
    arrays = {"weights": gmm.weights_, "means": gmm.means_, "covariances": gmm.covariances_}
    return _json_value(meta), arrays


def _decode_gmm(meta: Any, arrays: _Arrays) -> JointGMM:
    _check_keys(meta, {"n_source_dims", "converged", "n_iter", "lower_bound"})
    gmm = JointGMM.from_parameters(
        _float64(arrays, "weights"),
        _float64(arrays, "means"),
        _float64(arrays, "covariances"),
        n_source_dims=meta["n_source_dims"],
    )
    if not isinstance(meta["converged"], bool) or not isinstance(meta["n_iter"], int):
        raise TypeError("expected a boolean 'converged' and an integer 'n_iter'")
    gmm.converged_, gmm.n_iter_ = meta["converged"], meta["n_iter"]
    gmm.lower_bound_ = float(meta["lower_bound"])
    return gmm


def _dataclass_codec(cls: type) -> _Codec:
    """Store a dataclass field by field: arrays as arrays, anything else as JSON.

    Fields missing from a file take their default (so adding a field with a
    default keeps older files readable); fields the class does not know are
    an error.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}

    def encode(value: Any) -> tuple[Any, _Arrays]:
        meta: dict[str, Any] = {}
        arrays: _Arrays = {}
        for name in fields:
            item = getattr(value, name)
            if isinstance(item, np.ndarray):
                arrays[name] = item
            else:
                meta[name] = _json_value(item)
        return meta, arrays

    def decode(meta: Any, arrays: _Arrays) -> Any:
        if not isinstance(meta, dict):
            raise TypeError(f"expected a dict of {cls.__name__} fields, got {meta!r}")
        unknown = sorted((set(meta) | set(arrays)) - set(fields))
        if unknown:
            raise KeyError(f"unknown {cls.__name__} field(s) {unknown}")
        kwargs: dict[str, Any] = {}
        for name, f in fields.items():
            if name in arrays:
                kwargs[name] = as_float_array(_float64(arrays, name), f"{cls.__name__}.{name}")
            elif name in meta:
                kwargs[name] = meta[name]
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise KeyError(f"missing {cls.__name__} field {name!r}")
        return cls(**kwargs)

    return _Codec(encode, decode)


def _float64(arrays: _Arrays, name: str) -> np.ndarray:
    """``arrays[name]``, required to be float64 (what gmmvc writes), so values are exact."""
    arr = arrays[name]
    if arr.dtype != np.float64:
        raise TypeError(f"array {name!r}: expected float64, got {arr.dtype}")
    return arr


def _encode_windows(windows: Any) -> tuple[Any, _Arrays]:
    return [[float(c) for c in w] for w in windows], {}


def _decode_windows(meta: Any, arrays: _Arrays) -> tuple[tuple[float, ...], ...]:
    if not isinstance(meta, list) or not all(isinstance(w, list) for w in meta):
        raise TypeError(f"expected a list of lists of coefficients, got {meta!r}")
    return tuple(tuple(float(c) for c in w) for w in _check_windows(meta))


def _encode_info(info: Any) -> tuple[Any, _Arrays]:
    return _json_value(dict(info)), {}


def _decode_info(meta: Any, arrays: _Arrays) -> dict[str, Any]:
    if not isinstance(meta, dict):
        raise TypeError(f"expected a dict, got {type(meta).__name__}")
    return meta


def _optional(codec: _Codec) -> _Codec:
    """Store ``None`` as JSON null; anything else with ``codec``."""

    def encode(value: Any) -> tuple[Any, _Arrays]:
        if value is None:
            return None, {}
        meta, arrays = codec.encode(value)
        return {"value": meta}, arrays

    def decode(meta: Any, arrays: _Arrays) -> Any:
        if meta is None:
            if arrays:
                raise ValueError("arrays stored for a field marked empty")
            return None
        if not isinstance(meta, dict) or set(meta) != {"value"}:
            raise TypeError(f"expected null or an object with 'value', got {meta!r}")
        return codec.decode(meta["value"], arrays)

    return _Codec(encode, decode)


def _encode_float(value: Any) -> tuple[Any, _Arrays]:
    return float(value), {}


def _decode_float(meta: Any, arrays: _Arrays) -> float:
    if isinstance(meta, bool) or not isinstance(meta, (int, float)) or not np.isfinite(meta):
        raise TypeError(f"expected a finite number, got {meta!r}")
    return float(meta)


_CONFIG_CODEC = _Codec(_encode_config, _decode_config)
_F0_CODEC = _dataclass_codec(F0Statistics)

#: Every :class:`ConversionModel` field and how it is stored. A new field
#: needs an entry here (``tests/test_model_io.py`` checks that none is missing).
_MODEL_FIELDS: dict[str, _Codec] = {
    "source_config": _CONFIG_CODEC,
    "target_config": _CONFIG_CODEC,
    "gmm": _Codec(_encode_gmm, _decode_gmm),
    "source_f0": _F0_CODEC,
    "target_f0": _F0_CODEC,
    "target_gv": _dataclass_codec(GlobalVariance),
    "windows": _Codec(_encode_windows, _decode_windows),
    "info": _Codec(_encode_info, _decode_info),
    "ap_gmm": _optional(_Codec(_encode_gmm, _decode_gmm)),
    "converted_ms": _optional(_dataclass_codec(ModulationSpectrum)),
    "target_ms": _optional(_dataclass_codec(ModulationSpectrum)),
    "source_f0_shift": _Codec(_encode_float, _decode_float),
}


@dataclass(frozen=True)
class ModelFile:
    """A model file's content: the model, its default conversion settings, provenance.

    Attributes
    ----------
    model : ConversionModel
    settings : ConversionSettings
        Default conversion settings stored with the model.
    format_version : int
        Layout version of the file (at most :data:`MODEL_FORMAT_VERSION`).
    gmmvc_version : str
        The gmmvc version that wrote the file.
    created : str
        When the file was written, ISO 8601 in UTC.

    Examples
    --------
    :func:`read_model_file` returns one. A tiny hand-built model (see
    :class:`ConversionModel`), saved with a GV postfilter weight of 0.5 as its
    default:

    >>> import tempfile
    >>> from gmmvc.config import AnalysisConfig
    >>> from gmmvc.conversion import F0Statistics, GlobalVariance
    >>> from gmmvc.gmm import JointGMM
    >>> cfg = AnalysisConfig(order=1, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
    >>> gmm = JointGMM.from_parameters([1.0], np.zeros((1, 4)), np.eye(4)[None], n_source_dims=2)
    >>> f0 = F0Statistics(mean=np.log(120.0), std=0.2)
    >>> gv = GlobalVariance(mean=np.ones(1), var=np.ones(1))
    >>> model = ConversionModel(cfg.resolved(), cfg.resolved(), gmm, f0, f0, gv)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_model(model, pathlib.Path(d) / "model.npz",
    ...                       settings=ConversionSettings(gv_weight=0.5))
    ...     content = read_model_file(path)
    >>> content.settings.mode, content.settings.gv_weight
    ('mlpg', 0.5)
    >>> content.format_version == MODEL_FORMAT_VERSION, content.gmmvc_version == __version__
    (True, True)
    >>> content.created.endswith("+00:00")  # UTC
    True
    >>> bool(np.array_equal(content.model.gmm.means_, model.gmm.means_))
    True
    """

    model: ConversionModel
    settings: ConversionSettings
    format_version: int
    gmmvc_version: str
    created: str


def save_model(
    model: ConversionModel,
    path: str | os.PathLike[str],
    *,
    settings: ConversionSettings | None = None,
    overwrite: bool = True,
) -> pathlib.Path:
    """Write a model to one self-contained file, atomically, without pickle.

    Parameters
    ----------
    model : ConversionModel
        The trained converter.
    path : str or os.PathLike
        Destination, used as given (numpy adds no ``.npz``). ``.npz`` is the
        usual extension.
    settings : ConversionSettings, optional
        Conversion settings stored as the model's defaults
        (``ConversionSettings()`` when ``None``).
    overwrite : bool, default True
        Replace an existing file. When False, an existing file is an error.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ParameterError
        If ``model`` is not a :class:`ConversionModel` or ``mode`` or
        ``gv_weight`` is invalid.
    GmmvcError
        If the file exists and ``overwrite`` is False, its folder does not
        exist, or writing fails; an existing file is then left as it was.

    Notes
    -----
    The archive is written to a temporary file in the destination folder,
    flushed to disk and renamed over ``path``, so a reader never sees a
    partial file. Arrays keep their dtype and shape exactly; floats in the
    JSON metadata round-trip exactly (shortest repr), so a reloaded model
    converts bit for bit as the saved one.

    Examples
    --------
    >>> import tempfile
    >>> from gmmvc.datasets import make_demo_corpus
    >>> from gmmvc.pipeline import VoiceConverter
    >>> corpus = make_demo_corpus(3)
    >>> vc = VoiceConverter(2, n_alignment_passes=1, analysis=AnalysisConfig(f0_method="dio"))
    >>> model = vc.fit(corpus.source, corpus.target).model_
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_model(model, pathlib.Path(d) / "model.npz")
    ...     again = load_model(path)
    >>> bool(np.array_equal(again.gmm.covariances_, model.gmm.covariances_))
    True
    """
    if not isinstance(model, ConversionModel):
        raise ParameterError(
            f"model: expected a ConversionModel, got {type(model).__name__}; pass "
            "VoiceConverter.model_ or use VoiceConverter.save"
        )
    if settings is None:
        settings = ConversionSettings()
    if not isinstance(settings, ConversionSettings):
        raise ParameterError(
            f"settings: expected ConversionSettings or None, got {type(settings).__name__}"
        )
    settings = settings.validate()
    missing = sorted({f.name for f in dataclasses.fields(ConversionModel)} - set(_MODEL_FIELDS))
    if missing:  # a field added to ConversionModel without telling the file format
        raise GmmvcError(f"ConversionModel field(s) {missing} have no entry in _MODEL_FIELDS")

    return _write_archive(
        pathlib.Path(path),
        format_name=_FORMAT_NAME,
        format_version=MODEL_FORMAT_VERSION,
        conversion=dataclasses.asdict(settings),
        obj=model,
        codecs=_MODEL_FIELDS,
        overwrite=overwrite,
    )


def _write_archive(
    path: pathlib.Path,
    *,
    format_name: str,
    format_version: int,
    conversion: dict[str, Any],
    obj: Any,
    codecs: Mapping[str, _Codec],
    overwrite: bool,
) -> pathlib.Path:
    """Write ``obj``'s fields, by ``codecs``, as a gmmvc model file (any backend's).

    The metadata holds the format name and version, the gmmvc version, the
    creation time, the default ``conversion`` settings, each field's JSON and
    the dtype, shape and SHA-256 of every array.
    """
    fields_meta: dict[str, Any] = {}
    arrays: _Arrays = {}
    for name, codec in codecs.items():
        meta, field_arrays = codec.encode(getattr(obj, name))
        fields_meta[name] = meta
        for sub, arr in field_arrays.items():
            arr = np.ascontiguousarray(arr)
            if arr.dtype.hasobject:
                raise GmmvcError(f"{name}.{sub}: object arrays cannot be stored without pickle")
            arrays[f"{name}.{sub}"] = arr
    metadata = {
        "format": format_name,
        "format_version": format_version,
        "gmmvc_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "conversion": _json_value(conversion),
        "fields": fields_meta,
        "arrays": {
            key: {"dtype": arr.dtype.str, "shape": list(arr.shape), "sha256": _sha256(arr)}
            for key, arr in arrays.items()
        },
    }
    blob = np.frombuffer(json.dumps(metadata, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    return _write_atomic(path, {_METADATA_KEY: blob, **arrays}, overwrite)


def load_model(path: str | os.PathLike[str]) -> ConversionModel:
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    path : str or os.PathLike
        A gmmvc model file.

    Returns
    -------
    ConversionModel
        The model; it converts bit for bit as the one saved. The stored
        default conversion settings and provenance are in
        :func:`read_model_file`.

    Raises
    ------
    GmmvcError
        If the file does not exist, is not a gmmvc model file, is truncated or
        corrupt, holds pickled objects, was written in a newer format (upgrade
        gmmvc), or holds invalid or inconsistent content. The message names
        the file and the problem.

    Examples
    --------
    A tiny hand-built model (see :class:`ConversionModel`) comes back with
    the same settings and statistics and converts identically; a file that is
    not a model is refused with a message naming it:

    >>> import tempfile
    >>> from gmmvc.config import AnalysisConfig
    >>> from gmmvc.conversion import F0Statistics, GlobalVariance
    >>> from gmmvc.gmm import JointGMM
    >>> cfg = AnalysisConfig(order=1, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
    >>> gmm = JointGMM.from_parameters([1.0], np.zeros((1, 4)), np.eye(4)[None], n_source_dims=2)
    >>> f0 = F0Statistics(mean=np.log(120.0), std=0.2)
    >>> gv = GlobalVariance(mean=np.ones(1), var=np.ones(1))
    >>> model = ConversionModel(cfg.resolved(), cfg.resolved(), gmm, f0, f0, gv)
    >>> mcep = np.array([[0.0, 0.3], [0.0, -0.1], [0.0, 0.2]])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     again = load_model(save_model(model, pathlib.Path(d) / "model.npz"))
    ...     notes = pathlib.Path(d) / "notes.txt"
    ...     _ = notes.write_text("not a model")
    ...     load_model(notes)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gmmvc.exceptions.GmmvcError: .../notes.txt: not a gmmvc model file (not a numpy .npz archive)...
    >>> again.source_config == model.source_config, again.source_f0 == model.source_f0
    (True, True)
    >>> bool(np.array_equal(again.convert_spectrum(mcep), model.convert_spectrum(mcep)))
    True
    """
    return read_model_file(path).model


def read_model_file(path: str | os.PathLike[str]) -> ModelFile:
    """Read and check a model file: the model, its default settings and provenance.

    Parameters
    ----------
    path : str or os.PathLike
        A gmmvc model file.

    Returns
    -------
    ModelFile
        The model with the default conversion settings stored beside it and
        the file's provenance (format version, gmmvc version, creation time).

    Raises
    ------
    GmmvcError
        As :func:`load_model`.

    Examples
    --------
    The settings saved with a model come back with it, so a converter can
    run as it was trained to. A tiny hand-built model (see
    :class:`ConversionModel`):

    >>> import tempfile
    >>> from gmmvc.config import AnalysisConfig
    >>> from gmmvc.conversion import F0Statistics, GlobalVariance
    >>> from gmmvc.gmm import JointGMM
    >>> cfg = AnalysisConfig(order=1, f0_floor=80.0, f0_ceil=400.0, power_threshold_db=-60.0)
    >>> gmm = JointGMM.from_parameters([1.0], np.zeros((1, 4)), np.eye(4)[None], n_source_dims=2)
    >>> f0 = F0Statistics(mean=np.log(120.0), std=0.2)
    >>> gv = GlobalVariance(mean=np.ones(1), var=np.ones(1))
    >>> model = ConversionModel(cfg.resolved(), cfg.resolved(), gmm, f0, f0, gv)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_model(model, pathlib.Path(d) / "model.npz",
    ...                       settings=ConversionSettings(mode="mmse"))
    ...     content = read_model_file(path)
    >>> content.settings == ConversionSettings(mode="mmse")
    True
    >>> content.model.source_f0 == model.source_f0, content.format_version
    (True, 1)
    """
    return _open_archive(path, _read_archive)


def _open_archive(path: str | os.PathLike[str], read: Callable[[pathlib.Path, Any], _T]) -> _T:
    """Open a model file without pickle and return ``read(path, npz_file)``.

    A missing, unreadable, foreign, truncated or corrupt file, or one holding
    pickles, is a GmmvcError naming the file.
    """
    p = pathlib.Path(path)
    if not p.exists():
        raise GmmvcError(f"{p}: model file does not exist; check the path")
    if p.is_dir():
        raise GmmvcError(f"{p}: expected a model file, got a directory")
    try:
        with open(p, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise GmmvcError(f"{p}: cannot be read ({exc})") from exc
    if magic != b"PK\x03\x04":  # every zip archive, hence every .npz, starts so
        raise GmmvcError(
            f"{p}: not a gmmvc model file (not a numpy .npz archive); expected a file "
            "written by 'gmmvc train' or save_model"
        )
    try:
        with np.load(p, allow_pickle=False) as data:
            return read(p, data)
    except GmmvcError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError) as exc:
        if "pickle" in str(exc):
            raise GmmvcError(
                f"{p}: holds pickled Python objects, which gmmvc model files never do; "
                "refusing to load it (it may be corrupt or not from gmmvc)"
            ) from None
        raise GmmvcError(
            f"{p}: model file is truncated or corrupt ({type(exc).__name__}: {exc}); "
            "copy or train it again"
        ) from None


def _read_archive(p: pathlib.Path, data: Any) -> ModelFile:
    """Decode and check an open ``NpzFile``; every problem is a GmmvcError naming ``p``."""
    metadata, arrays = _checked_metadata(p, data, _FORMAT_NAME, MODEL_FORMAT_VERSION)
    version, writer = metadata["format_version"], metadata["gmmvc_version"]
    kwargs = _decode_fields(p, metadata, arrays, _MODEL_FIELDS, ConversionModel)
    model = ConversionModel(**kwargs)
    _check_consistency(p, model)

    conversion = metadata["conversion"]
    try:
        if not isinstance(conversion, dict):
            raise TypeError("not an object")
        settings = ConversionSettings(**conversion).validate()
    except (TypeError, ParameterError) as exc:
        raise GmmvcError(
            f"{p}: model file metadata is corrupt (conversion settings {conversion!r}: {exc})"
        ) from None
    return ModelFile(
        model=model,
        settings=settings,
        format_version=version,
        gmmvc_version=str(writer),
        created=str(metadata["created"]),
    )


def _file_format(path: str | os.PathLike[str]) -> str:
    """Return the ``format`` of a gmmvc model file (a key of ``_FORMATS``), reading only that."""

    def read(p: pathlib.Path, data: Any) -> str:
        found = _metadata(p, data).get("format")
        if not (isinstance(found, str) and found in _FORMATS):
            raise GmmvcError(
                f"{p}: not a gmmvc model file (metadata format {found!r}, expected one of "
                f"{sorted(_FORMATS)})"
            )
        return found

    return _open_archive(path, read)


def _metadata(p: pathlib.Path, data: Any) -> dict[str, Any]:
    """Return the JSON metadata of an open ``NpzFile``; its format is not checked yet."""
    if _METADATA_KEY not in data.files:
        raise GmmvcError(
            f"{p}: not a gmmvc model file (a .npz archive without gmmvc metadata, holding "
            f"{', '.join(sorted(data.files)[:5]) or 'nothing'}); expected a file written by "
            "'gmmvc train' or save_model"
        )
    raw = data[_METADATA_KEY]
    try:
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"metadata is a {raw.dtype} array of shape {raw.shape}")
        metadata = json.loads(raw.tobytes().decode("utf-8"))
        if not isinstance(metadata, dict):
            raise ValueError("metadata is not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise GmmvcError(f"{p}: model file metadata is corrupt ({exc})") from None
    return metadata


def _checked_metadata(
    p: pathlib.Path, data: Any, format_name: str, max_version: int
) -> tuple[dict[str, Any], _Arrays]:
    """Return the metadata and checked arrays of a ``format_name`` file, version <= max_version."""
    metadata = _metadata(p, data)
    found = metadata.get("format")
    if found != format_name:
        if isinstance(found, str) and found in _FORMATS:
            raise GmmvcError(
                f"{p}: {_FORMATS[found][0]} file, not {_FORMATS[format_name][0]} file; read it "
                f"with {_FORMATS[found][1]} ('gmmvc convert', 'evaluate' and 'info' take either)"
            )
        raise GmmvcError(
            f"{p}: not a gmmvc model file (metadata format {found!r}, expected {format_name!r})"
        )
    version = metadata.get("format_version")
    writer = metadata.get("gmmvc_version", "an unknown version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise GmmvcError(f"{p}: model file metadata is corrupt (format_version {version!r})")
    if version > max_version:
        raise GmmvcError(
            f"{p}: written by gmmvc {writer} in model format version {version}, but this "
            f"gmmvc ({__version__}) reads versions up to {max_version}; upgrade "
            "gmmvc (python -m pip install -U gmmvc)"
        )
    _check_keys(
        metadata,
        {"format", "format_version", "gmmvc_version", "created", "conversion", "fields", "arrays"},
        where=f"{p}: model file metadata",
    )
    metadata["gmmvc_version"] = str(writer)
    return metadata, _read_arrays(p, data, metadata["arrays"])


def _decode_fields(
    p: pathlib.Path,
    metadata: dict[str, Any],
    arrays: _Arrays,
    codecs: Mapping[str, _Codec],
    cls: type,
) -> dict[str, Any]:
    """Decode the stored fields by ``codecs`` into keyword arguments of ``cls``.

    Fields missing from the file take their default; unknown fields ask for an
    upgrade; a field that does not decode is named.
    """
    stored = metadata["fields"]
    if not isinstance(stored, dict):
        raise GmmvcError(f"{p}: model file metadata is corrupt ('fields' is not an object)")
    unknown = sorted(set(stored) - set(codecs))
    if unknown:
        raise GmmvcError(
            f"{p}: holds model field(s) {unknown} that this gmmvc ({__version__}) does not "
            f"know (written by gmmvc {metadata['gmmvc_version']}); upgrade gmmvc"
        )
    defaults = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    }
    kwargs: dict[str, Any] = {}
    for name, codec in codecs.items():
        prefix = f"{name}."
        field_arrays = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        if name not in stored:
            if name in defaults:
                continue
            raise GmmvcError(f"{p}: model file lacks the {name!r} field; it is incomplete")
        try:
            kwargs[name] = codec.decode(stored[name], field_arrays)
        except (GmmvcError, KeyError, TypeError, ValueError) as exc:
            raise GmmvcError(f"{p}: invalid {name!r} in the model file ({exc})") from None
    return kwargs


def _read_arrays(p: pathlib.Path, data: Any, specs: Any) -> _Arrays:
    """Read every declared array, checking dtype, shape and SHA-256; no undeclared ones."""
    if not isinstance(specs, dict):
        raise GmmvcError(f"{p}: model file metadata is corrupt ('arrays' is not an object)")
    members = set(data.files) - {_METADATA_KEY}
    missing = sorted(set(specs) - members)
    if missing:
        raise GmmvcError(f"{p}: model file lacks array(s) {missing}; it is incomplete or corrupt")
    extra = sorted(members - set(specs))
    if extra:
        raise GmmvcError(f"{p}: model file holds undeclared array(s) {extra}; it is corrupt")
    arrays: _Arrays = {}
    for key, spec in specs.items():
        arr = data[key]
        if not isinstance(spec, dict):
            raise GmmvcError(f"{p}: model file metadata is corrupt (array {key!r}: {spec!r})")
        if arr.dtype.str != spec.get("dtype"):
            raise GmmvcError(
                f"{p}: array {key!r} has dtype {arr.dtype.str}, the metadata says "
                f"{spec.get('dtype')}; the file is corrupt"
            )
        if list(arr.shape) != spec.get("shape"):
            raise GmmvcError(
                f"{p}: array {key!r} has shape {list(arr.shape)}, the metadata says "
                f"{spec.get('shape')}; the file is corrupt"
            )
        if _sha256(arr) != spec.get("sha256"):
            raise GmmvcError(f"{p}: array {key!r} fails its checksum; the file is corrupt")
        arrays[key] = arr
    return arrays


def _check_consistency(p: pathlib.Path, model: ConversionModel) -> None:
    """Check that the decoded fields fit together as one trained model."""
    src, tgt = model.source_config, model.target_config
    problems = []
    for who, cfg in (("source", src), ("target", tgt)):
        unset = [
            name
            for name in ("order", "alpha", "fft_size", "f0_floor", "f0_ceil", "power_threshold_db")
            if getattr(cfg, name) is None
        ]
        if unset:
            problems.append(f"{who} analysis settings lack {', '.join(unset)}")
    if src.fs != tgt.fs or src.order != tgt.order:
        problems.append(
            f"source and target analyse at {src.fs} and {tgt.fs} Hz with orders "
            f"{src.order} and {tgt.order}; expected the same"
        )
    if not problems:
        dim = int(src.order or 0)  # mel-cepstrum c1..c_order
        n_src = dim * len(model.windows)
        if model.gmm.n_source_dims_ != n_src or model.gmm.means_.shape[1] != 2 * n_src:
            problems.append(
                f"the GMM has {model.gmm.n_source_dims_} source and "
                f"{model.gmm.means_.shape[1]} joint dimensions; order {dim} with "
                f"{len(model.windows)} windows needs {n_src} and {2 * n_src}"
            )
        for name in ("mean", "var"):
            shape = np.shape(getattr(model.target_gv, name))
            if shape != (dim,):
                problems.append(f"target_gv.{name} has shape {shape}, expected ({dim},)")
    for who, stats in (("source_f0", model.source_f0), ("target_f0", model.target_f0)):
        ok = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
            for v in (stats.mean, stats.std)
        )
        if not ok or not stats.std > 0:
            problems.append(f"{who} is {stats}, expected a finite mean and a positive std")
    if problems:
        raise GmmvcError(f"{p}: inconsistent model file: {'; '.join(problems)}")


def _check_keys(meta: Any, keys: set[str], *, where: str = "") -> None:
    """Require a dict with exactly ``keys``."""
    if not isinstance(meta, dict):
        raise TypeError(f"{where}: expected an object, got {type(meta).__name__}")
    missing, unknown = sorted(keys - set(meta)), sorted(set(meta) - keys)
    if missing or unknown:
        detail = f"missing {missing}" if missing else ""
        detail += ("; " if missing and unknown else "") + (f"unknown {unknown}" if unknown else "")
        message = f"expected the keys {sorted(keys)} ({detail})"
        if where:
            raise GmmvcError(f"{where} is corrupt: {message}")
        raise KeyError(message)


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def _write_atomic(
    path: pathlib.Path, members: Mapping[str, np.ndarray], overwrite: bool
) -> pathlib.Path:
    """Write ``members`` as an .npz to ``path`` via a temporary file and a rename."""
    if path.is_dir():
        raise GmmvcError(f"{path}: expected a file name, got an existing directory")
    if not path.parent.is_dir():
        raise GmmvcError(f"{path}: folder {path.parent} does not exist; create it first")
    if not overwrite and path.exists():
        raise GmmvcError(
            f"{path}: file already exists and overwrite=False; remove it, choose another "
            "name or pass overwrite=True"
        )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            # A file object, so numpy appends no ".npz". No allow_pickle=False here:
            # numpy < 2.1 would store it as an array; object arrays are refused above.
            np.savez(fh, **members)  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # atomic, and fails if path appeared meanwhile
            except FileExistsError:
                raise GmmvcError(
                    f"{path}: file already exists and overwrite=False; remove it, choose "
                    "another name or pass overwrite=True"
                ) from None
    except OSError as exc:
        raise GmmvcError(
            f"{path}: writing the model file failed ({exc}); check that the folder is "
            "writable and the disk has space, or choose another path"
        ) from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    logger.info("wrote model file %s", path)
    return path
