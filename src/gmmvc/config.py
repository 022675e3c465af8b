"""Analysis settings: one frozen dataclass, with per-sample-rate defaults.

The settings used to analyse the training audio are stored in the model and
reused, unchanged, to analyse and resynthesise at conversion time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ._validation import check_choice, check_fs, check_positive
from .exceptions import ParameterError

__all__ = [
    "AnalysisConfig",
    "F0_METHODS",
    "default_order",
    "default_alpha",
    "default_fft_size",
]

#: F0 estimators available from WORLD.
F0_METHODS = ("harvest", "dio")

#: Widest F0 search range (Hz) used before a speaker's own range is estimated.
WIDE_F0_FLOOR = 40.0
WIDE_F0_CEIL = 800.0


def default_order(fs: int) -> int:
    """Mel-cepstral order (SPTK convention: ``order + 1`` coefficients) for ``fs``.

    24 up to 16 kHz (the order used for VCC-style systems), 34 at 22.05/24 kHz
    and 39 at 44.1/48 kHz, so the cepstrum keeps up with the wider band.

    Examples
    --------
    >>> default_order(16000), default_order(24000), default_order(48000)
    (24, 34, 39)
    """
    fs = check_fs(fs)
    if fs <= 16000:
        return 24
    if fs <= 24000:
        return 34
    return 39


def default_alpha(fs: int) -> float:
    """All-pass constant that makes the mel scale fit ``fs`` (pysptk's table).

    Examples
    --------
    >>> default_alpha(16000)
    0.41
    """
    import pysptk

    return round(float(pysptk.util.mcepalpha(check_fs(fs))), 3)


def default_fft_size(fs: int) -> int:
    """CheapTrick FFT size for ``fs``, the one WORLD uses with its default 71 Hz floor.

    It depends on the sample rate only, never on a speaker's F0 range, so the
    source and target envelopes share one frequency grid.

    Examples
    --------
    >>> default_fft_size(16000), default_fft_size(48000)
    (1024, 2048)
    """
    import pyworld

    return int(pyworld.get_cheaptrick_fft_size(check_fs(fs), 71.0))


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings of WORLD analysis and feature extraction for one speaker.

    ``None`` means "use the default for the sample rate" (``order``, ``alpha``,
    ``fft_size``) or "estimate from this speaker's training audio"
    (``f0_floor``, ``f0_ceil``, ``power_threshold_db``); :meth:`resolved`
    fills in the sample-rate defaults.

    Parameters
    ----------
    fs : int, default 16000
        Sample rate in Hz that audio is resampled to before analysis.
    frame_period : float, default 5.0
        Frame shift in milliseconds.
    f0_method : {'harvest', 'dio'}, default 'harvest'
        WORLD F0 estimator; ``'dio'`` is DIO refined by StoneMask (faster, less robust).
    f0_floor, f0_ceil : float, optional
        F0 search range in Hz. Estimated per speaker when ``None``.
    power_threshold_db : float, optional
        Frames whose envelope power (dB) is below this are silence. Estimated
        per speaker when ``None``.
    order : int, optional
        Mel-cepstral order (``order + 1`` coefficients, c0 first).
    alpha : float, optional
        All-pass constant of the mel-cepstrum, ``0 <= alpha < 1``.
    fft_size : int, optional
        FFT size of the spectral envelope (``fft_size // 2 + 1`` bins).

    Examples
    --------
    >>> cfg = AnalysisConfig(f0_method="dio", f0_floor=70.0, f0_ceil=300.0)
    >>> cfg.fs, cfg.frame_period, cfg.order
    (16000, 5.0, None)
    >>> cfg.resolved().order
    24
    """

    fs: int = 16000
    frame_period: float = 5.0
    f0_method: str = "harvest"
    f0_floor: float | None = None
    f0_ceil: float | None = None
    power_threshold_db: float | None = None
    order: int | None = None
    alpha: float | None = None
    fft_size: int | None = None

    def validate(self) -> AnalysisConfig:
        """Check every field and return ``self``.

        Raises
        ------
        ParameterError
            If a field is out of range.

        Examples
        --------
        >>> AnalysisConfig(f0_method="dio").validate().f0_method
        'dio'
        >>> AnalysisConfig(f0_floor=300.0, f0_ceil=100.0).validate()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gmmvc.exceptions.ParameterError: f0_floor/f0_ceil: expected f0_floor < f0_ceil, ...
        """
        check_fs(self.fs, "fs")
        check_positive(self.frame_period, "frame_period")
        check_choice(self.f0_method, "f0_method", F0_METHODS)
        if self.f0_floor is not None:
            check_positive(self.f0_floor, "f0_floor")
        if self.f0_ceil is not None:
            check_positive(self.f0_ceil, "f0_ceil")
            if self.f0_ceil >= self.fs / 2:
                raise ParameterError(
                    f"f0_ceil: expected below the Nyquist frequency {self.fs / 2} Hz, "
                    f"got {self.f0_ceil}"
                )
        if (
            self.f0_floor is not None
            and self.f0_ceil is not None
            and not self.f0_floor < self.f0_ceil
        ):
            raise ParameterError(
                f"f0_floor/f0_ceil: expected f0_floor < f0_ceil, got {self.f0_floor} "
                f"and {self.f0_ceil}"
            )
        if self.order is not None:
            check_positive(self.order, "order", integer=True)
        if self.alpha is not None and not 0.0 <= self.alpha < 1.0:
            raise ParameterError(f"alpha: expected 0 <= alpha < 1, got {self.alpha}")
        if self.fft_size is not None:
            check_positive(self.fft_size, "fft_size", integer=True)
            if self.fft_size & (self.fft_size - 1):
                raise ParameterError(f"fft_size: expected a power of two, got {self.fft_size}")
        return self

    def resolved(self) -> AnalysisConfig:
        """Return a copy with ``order``, ``alpha`` and ``fft_size`` filled in for ``fs``.

        Examples
        --------
        >>> c = AnalysisConfig(fs=16000).resolved()
        >>> c.order, c.alpha, c.fft_size
        (24, 0.41, 1024)
        """
        self.validate()
        return dataclasses.replace(
            self,
            order=default_order(self.fs) if self.order is None else int(self.order),
            alpha=default_alpha(self.fs) if self.alpha is None else float(self.alpha),
            fft_size=default_fft_size(self.fs) if self.fft_size is None else int(self.fft_size),
        )

    def replace(self, **changes: Any) -> AnalysisConfig:
        """Return a copy with ``changes`` applied and validated.

        Examples
        --------
        >>> AnalysisConfig().replace(frame_period=10.0).frame_period
        10.0
        """
        return dataclasses.replace(self, **changes).validate()

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-serialisable dict.

        Examples
        --------
        >>> d = AnalysisConfig(f0_method="dio").to_dict()
        >>> d["fs"], d["f0_method"], d["order"]
        (16000, 'dio', None)
        """
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnalysisConfig:
        """Build settings from :meth:`to_dict` output.

        Raises
        ------
        ParameterError
            If ``data`` has unknown keys or invalid values.

        Examples
        --------
        >>> cfg = AnalysisConfig(f0_floor=70.0, f0_ceil=300.0)
        >>> AnalysisConfig.from_dict(cfg.to_dict()) == cfg
        True
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ParameterError(
                f"analysis settings: unknown key(s) {unknown}; expected a subset of {sorted(names)}"
            )
        return cls(**data).validate()
