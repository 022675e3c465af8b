"""The trained converter as one object: everything needed to convert, nothing else.

A :class:`ConversionModel` holds the two speakers' analysis settings, their
log-F0 statistics, the target's global variance and the joint GMM. It turns
source features into converted features, and a source waveform into a
converted waveform, with any of the conversion modes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import as_float_array, check_choice, check_fs
from .audio import resample
from .config import AnalysisConfig
from .conversion import (
    F0Statistics,
    GlobalVariance,
    convert_f0,
    convert_mlpg,
    convert_mlpg_em,
    convert_mmse,
    gv_postfilter,
)
from .deltas import DEFAULT_WINDOWS, apply_windows
from .exceptions import ParameterError
from .features import Features, extract_features, speech_mask
from .gmm import JointGMM
from .synthesis import synthesize

__all__ = ["CONVERSION_MODES", "ConversionModel"]

logger = logging.getLogger(__name__)

#: Spectral conversion modes: frame-wise MMSE, MLPG with the most likely
#: component per frame, and MLPG over all components by EM.
CONVERSION_MODES = ("mmse", "mlpg", "mlpg_em")


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
    """

    source_config: AnalysisConfig
    target_config: AnalysisConfig
    gmm: JointGMM
    source_f0: F0Statistics
    target_f0: F0Statistics
    target_gv: GlobalVariance
    windows: tuple[tuple[float, ...], ...] = DEFAULT_WINDOWS
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def fs(self) -> int:
        """Sample rate (Hz) the model analyses and synthesises at."""
        return self.source_config.fs

    def convert_spectrum(
        self,
        mcep: np.ndarray,
        *,
        mode: str = "mlpg",
        gv_weight: float = 0.0,
        speech: np.ndarray | None = None,
    ) -> np.ndarray:
        """Convert a source mel-cepstrum; c0 (power) is kept from the source.

        Parameters
        ----------
        mcep : array_like, shape (T, order + 1)
            Source mel-cepstrum, c0 first.
        mode : {'mmse', 'mlpg', 'mlpg_em'}, default 'mlpg'
        gv_weight : float, default 0.0
            Weight of the global-variance postfilter in ``[0, 1]`` (0: off).
        speech : array_like of bool, shape (T,), optional
            Speech frames; the postfilter measures the utterance variance on
            these only (all frames when ``None``).

        Returns
        -------
        numpy.ndarray, shape (T, order + 1)

        Raises
        ------
        ParameterError
            If ``mode`` is unknown or the order does not match the model.
        """
        check_choice(mode, "mode", CONVERSION_MODES)
        order = self.source_config.resolved().order
        assert order is not None  # resolved() sets it
        mcep = as_float_array(mcep, "mcep", ndim=2, min_len=1)
        if mcep.shape[1] != order + 1:
            raise ParameterError(
                f"mcep: expected {order + 1} coefficients (order {order}), got {mcep.shape[1]}"
            )
        X = apply_windows(mcep[:, 1:], self.windows)
        if mode == "mmse":
            static = convert_mmse(self.gmm, X, windows=self.windows)
        elif mode == "mlpg":
            static = convert_mlpg(self.gmm, X, windows=self.windows)
        else:
            static = convert_mlpg_em(self.gmm, X, windows=self.windows)
        if gv_weight:
            static = gv_postfilter(static, self.target_gv, weight=gv_weight, frames=speech)
        return np.hstack([mcep[:, :1], static])

    def convert_features(
        self, features: Features, *, mode: str = "mlpg", gv_weight: float = 0.0
    ) -> Features:
        """Convert one utterance's features: spectrum by the GMM, F0 by log statistics.

        Aperiodicity is taken from the source.

        Parameters
        ----------
        features : Features
            Source features made with ``source_config``.
        mode : {'mmse', 'mlpg', 'mlpg_em'}, default 'mlpg'
        gv_weight : float, default 0.0

        Returns
        -------
        Features
        """
        speech = self.speech_frames(features.power_db, speaker="source")
        mcep = self.convert_spectrum(features.mcep, mode=mode, gv_weight=gv_weight, speech=speech)
        f0 = convert_f0(features.f0, self.source_f0, self.target_f0)
        return Features(f0=f0, mcep=mcep, bap=features.bap, power_db=features.power_db)

    def speech_frames(self, power_db: np.ndarray, *, speaker: str) -> np.ndarray:
        """Boolean speech mask using the speaker's threshold ('source' or 'target')."""
        cfg = self.source_config if speaker == "source" else self.target_config
        assert cfg.power_threshold_db is not None  # set when the model was trained
        return speech_mask(power_db, cfg.power_threshold_db)

    def convert(
        self, x: np.ndarray, fs: int, *, mode: str = "mlpg", gv_weight: float = 0.0
    ) -> np.ndarray:
        """Convert a source waveform.

        Parameters
        ----------
        x : array_like, shape (n_samples,)
            Source speech.
        fs : int
            Its sample rate; resampled to the model's rate when different.
        mode : {'mmse', 'mlpg', 'mlpg_em'}, default 'mlpg'
        gv_weight : float, default 0.0

        Returns
        -------
        numpy.ndarray
            Converted speech at :attr:`fs`, never clipped.
        """
        fs = check_fs(fs)
        x = as_float_array(x, "x", ndim=1)
        if fs != self.fs:
            logger.info("resampling input from %d Hz to the model's %d Hz", fs, self.fs)
            x = resample(x, fs, self.fs)
        converted = self.convert_features(
            extract_features(x, self.source_config), mode=mode, gv_weight=gv_weight
        )
        return synthesize(converted.f0, converted.mcep, converted.bap, self.source_config)
