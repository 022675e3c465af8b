"""From features back to a waveform: WORLD resynthesis.

The analysis settings used for training (frame period, FFT size, all-pass
constant) are the ones used here, read from the same :class:`AnalysisConfig`.
"""

from __future__ import annotations

import logging

import numpy as np

from ._validation import as_float_array, check_same_length
from .config import AnalysisConfig
from .exceptions import ParameterError
from .features import decode_ap, mcep_to_sp

__all__ = ["synthesize", "mlsa_filter", "PEAK_LIMIT"]

logger = logging.getLogger(__name__)

#: Largest absolute sample value :func:`synthesize` returns.
PEAK_LIMIT = 0.99


def _limit_peak(wav: np.ndarray) -> np.ndarray:
    wav = np.nan_to_num(np.asarray(wav, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.max(np.abs(wav), initial=0.0))
    if peak > PEAK_LIMIT:
        logger.warning("output peak %.3f exceeds %.2f: scaled down, not clipped", peak, PEAK_LIMIT)
        wav *= PEAK_LIMIT / peak
    return wav


def synthesize(
    f0: np.ndarray, mcep: np.ndarray, bap: np.ndarray, config: AnalysisConfig
) -> np.ndarray:
    """WORLD resynthesis from F0, mel-cepstrum and coded aperiodicity.

    Parameters
    ----------
    f0 : array_like, shape (T,)
        F0 in Hz, 0 where unvoiced.
    mcep : array_like, shape (T, order + 1)
        Mel-cepstrum, c0 first, with the all-pass constant ``config.alpha``.
    bap : array_like, shape (T, n_bands)
        Coded (band) aperiodicity as from :func:`gmmvc.features.code_ap`.
    config : AnalysisConfig
        The analysis settings the features were made with.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        Waveform at ``config.fs``. Never clipped: if the peak would exceed
        ``PEAK_LIMIT`` the whole signal is scaled down (and a warning logged).

    Raises
    ------
    ParameterError
        On non-finite input, negative F0 or mismatched frame counts.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmvc.config import AnalysisConfig
    >>> cfg = AnalysisConfig(fs=16000).resolved()
    >>> mcep = np.zeros((200, 25)); mcep[:, 0] = -3.0
    >>> bap = np.zeros((200, 1))
    >>> wav = synthesize(np.full(200, 120.0), mcep, bap, cfg)
    >>> wav.shape, bool(np.abs(wav).max() <= PEAK_LIMIT)
    ((16000,), True)
    """
    cfg = config.resolved()
    f0 = as_float_array(f0, "f0", ndim=1, min_len=1)
    mcep = as_float_array(mcep, "mcep", ndim=2)
    bap = as_float_array(bap, "bap", ndim=2)
    check_same_length(f0, mcep, "f0", "mcep")
    check_same_length(f0, bap, "f0", "bap")
    if np.any(f0 < 0):
        raise ParameterError("f0: expected non-negative values (0 = unvoiced), got negatives")
    import pyworld

    assert cfg.alpha is not None and cfg.fft_size is not None  # set by resolved()
    sp = mcep_to_sp(mcep, alpha=cfg.alpha, fft_size=cfg.fft_size)
    ap = decode_ap(bap, cfg.fs, cfg.fft_size)
    wav = pyworld.synthesize(f0, sp, ap, cfg.fs, cfg.frame_period)
    wav = np.nan_to_num(np.asarray(wav, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.max(np.abs(wav), initial=0.0))
    if peak > PEAK_LIMIT:
        logger.warning(
            "synthesized peak %.3f exceeds %.2f: scaled down, not clipped", peak, PEAK_LIMIT
        )
        wav *= PEAK_LIMIT / peak
    return wav


def mlsa_filter(x: np.ndarray, mcep_diff: np.ndarray, config: AnalysisConfig) -> np.ndarray:
    r"""Filter a waveform with a time-varying MLSA filter (differential conversion).

    The filter's log response is the mel-cepstrum ``mcep_diff`` (e.g. the
    converted target-minus-source difference), so the source waveform is
    reshaped directly: no F0 or aperiodicity is re-estimated and no vocoder
    resynthesis happens (Kobayashi et al.). Uses pysptk's MLSA filter.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Waveform at ``config.fs``, analysed with ``config.frame_period``.
    mcep_diff : array_like, shape (T, order + 1)
        Mel-cepstral filter per frame (all-pass constant ``config.alpha``);
        ``T`` frames as WORLD gives for ``x`` (``n_samples / hop + 1``).
    config : AnalysisConfig

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        Never clipped (scaled down if the peak would exceed ``PEAK_LIMIT``).

    Examples
    --------
    >>> import numpy as np
    >>> from gmmvc.config import AnalysisConfig
    >>> x = np.random.default_rng(0).normal(scale=0.1, size=1600)
    >>> y = mlsa_filter(x, np.zeros((21, 25)), AnalysisConfig())
    >>> bool(np.allclose(y, x, atol=1e-6))
    True
    """
    cfg = config.resolved()
    x = as_float_array(x, "x", ndim=1, min_len=1)
    mcep_diff = as_float_array(mcep_diff, "mcep_diff", ndim=2, min_len=1)
    from pysptk.conversion import mc2b
    from pysptk.synthesis import MLSADF, Synthesizer

    assert cfg.alpha is not None  # set by resolved()
    hop = int(round(cfg.fs * cfg.frame_period / 1000.0))
    n_frames = mcep_diff.shape[0]
    needed = n_frames * hop
    padded = np.zeros(max(needed, x.size))
    padded[: x.size] = x
    if needed < x.size:  # more samples than frames cover: hold the last filter
        extra = -(-(x.size - needed) // hop)
        mcep_diff = np.vstack([mcep_diff, np.repeat(mcep_diff[-1:], extra, axis=0)])
        padded = np.concatenate([padded, np.zeros(extra * hop - (padded.size - needed))])
    b = mc2b(np.ascontiguousarray(mcep_diff), cfg.alpha)
    order = mcep_diff.shape[1] - 1
    synthesizer = Synthesizer(MLSADF(order=order, alpha=cfg.alpha), hop)
    y = synthesizer.synthesis(np.ascontiguousarray(padded), b)[: x.size]
    return _limit_peak(y)
