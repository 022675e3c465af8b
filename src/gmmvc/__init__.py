"""gmmvc: joint-density GMM voice conversion (Toda, Black and Tokuda 2007).

The high-level estimator is :class:`VoiceConverter`; every stage below it is
importable from here for notebook use. Submodules are imported on first use,
so ``import gmmvc`` stays cheap.

Examples
--------
>>> import gmmvc
>>> gmmvc.apply_windows([[0.0], [1.0], [4.0]]).shape
(3, 2)
"""

from __future__ import annotations

import importlib
from typing import Any

from .exceptions import ConvergenceWarning, GmmvcError, NotFittedError, ParameterError

__version__ = "0.1.0"

#: Public name -> submodule that defines it, in data-flow order.
_EXPORTS = {
    "AnalysisConfig": "config",
    "read_audio": "audio",
    "write_audio": "audio",
    "resample": "audio",
    "pitch_shift": "audio",
    "WorldFeatures": "analysis",
    "analyze": "analysis",
    "analyze_envelope": "analysis",
    "extract_f0": "analysis",
    "estimate_f0_range": "analysis",
    "Features": "features",
    "extract_features": "features",
    "extract_spectrum": "features",
    "sp_to_mcep": "features",
    "mcep_to_sp": "features",
    "code_ap": "features",
    "decode_ap": "features",
    "frame_power_db": "features",
    "estimate_power_threshold": "features",
    "speech_mask": "features",
    "log_f0_stats": "features",
    "DEFAULT_WINDOWS": "deltas",
    "apply_windows": "deltas",
    "window_matrix": "deltas",
    "Alignment": "alignment",
    "dtw_path": "alignment",
    "align_frames": "alignment",
    "joint_vectors": "alignment",
    "JointGMM": "gmm",
    "differential_gmm": "gmm",
    "mlpg": "conversion",
    "convert_mmse": "conversion",
    "convert_mlpg": "conversion",
    "convert_mlpg_em": "conversion",
    "convert_mlpg_gv": "conversion",
    "ModulationSpectrum": "conversion",
    "modulation_statistics": "conversion",
    "ms_postfilter": "conversion",
    "trajectory_log_likelihood": "conversion",
    "GlobalVariance": "conversion",
    "global_variance": "conversion",
    "gv_postfilter": "conversion",
    "F0Statistics": "conversion",
    "convert_f0": "conversion",
    "synthesize": "synthesis",
    "mlsa_filter": "synthesis",
    "mel_cepstral_distortion": "metrics",
    "log_f0_rmse": "metrics",
    "vuv_error": "metrics",
    "CONVERSION_MODES": "model",
    "ConversionModel": "model",
    "ConversionSettings": "model",
    "save_model": "model",
    "load_model": "model",
    "DemoCorpus": "datasets",
    "make_demo_corpus": "datasets",
    "write_demo_corpus": "datasets",
    "VoiceConverter": "pipeline",
    "UtteranceScore": "metrics",
    "score_features": "metrics",
    "score_waveforms": "pipeline",
    "evaluation_features": "pipeline",
    "plot_envelope": "display",
    "plot_envelopes": "display",
    "plot_trajectories": "display",
    "plot_f0": "display",
    "plot_alignment": "display",
    "plot_responsibilities": "display",
    "plot_global_variance": "display",
    "listen": "display",
}

__all__ = [
    "__version__",
    "GmmvcError",
    "ParameterError",
    "NotFittedError",
    "ConvergenceWarning",
    *_EXPORTS,
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gmmvc' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
