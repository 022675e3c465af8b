"""Coercion and checks at the public boundary.

Public functions call these once on their inputs; the numerical kernels behind
them then assume float64, C-contiguous, finite arrays of the right rank.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .exceptions import ParameterError

__all__ = [
    "as_float_array",
    "check_finite_result",
    "check_fs",
    "check_positive",
    "check_choice",
    "check_same_length",
]

#: Sample rates (Hz) that have per-rate analysis defaults.
SUPPORTED_FS = (8000, 16000, 22050, 24000, 44100, 48000)


def as_float_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    min_len: int = 0,
    finite: bool = True,
    n_cols: int | None = None,
) -> np.ndarray:
    """Return ``x`` as a float64 C-contiguous array after checking it.

    Parameters
    ----------
    x : array_like
        The input.
    name : str
        The parameter name used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    min_len : int, default 0
        Minimum length of the first axis.
    finite : bool, default True
        Reject NaN and infinite values.
    n_cols : int, optional
        Required size of the last axis.

    Returns
    -------
    numpy.ndarray
        A float64, C-contiguous array (a copy only when needed).

    Raises
    ------
    ParameterError
        If the array cannot be converted, has the wrong rank or length, or
        contains non-finite values.
    """
    try:
        # asarray first: ascontiguousarray alone would turn a 0-d input into shape (1,)
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim:
            arr = np.ascontiguousarray(arr)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{name}: expected an array of numbers, got {type(x).__name__} ({exc})"
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ParameterError(f"{name}: expected a {want} array, got shape {arr.shape}")
    if arr.ndim >= 1 and arr.shape[0] < min_len:
        raise ParameterError(
            f"{name}: expected at least {min_len} frames/samples along axis 0, got {arr.shape[0]}"
        )
    if n_cols is not None and (arr.ndim == 0 or arr.shape[-1] != n_cols):
        raise ParameterError(f"{name}: expected last dimension {n_cols}, got shape {arr.shape}")
    if finite and arr.size and not np.all(np.isfinite(arr)):
        n_bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ParameterError(
            f"{name}: contains {n_bad} NaN or infinite value(s); clean the input "
            "(e.g. numpy.nan_to_num) before passing it"
        )
    return arr


def check_finite_result(out: Any, name: str, inputs: str) -> Any:
    """Return ``out`` after checking that a computation on finite inputs stayed finite.

    Inputs that are finite but of extreme magnitude (say 1e200) can overflow
    the arithmetic; the caller gets a ``ParameterError`` instead of a silent
    infinity or NaN.

    Raises
    ------
    ParameterError
        If ``out`` holds an infinity or a NaN.
    """
    if not np.all(np.isfinite(out)):
        raise ParameterError(
            f"{name}: the computation overflowed (infinite or NaN result) on {inputs} of "
            f"extreme magnitude; expected values of ordinary size - check the units and "
            f"scaling of {inputs}"
        )
    return out


def check_fs(fs: Any, name: str = "fs") -> int:
    """Check a sample rate and return it as an int.

    Raises
    ------
    ParameterError
        If ``fs`` is not a positive integer number of hertz or is below 8000 Hz.
    """
    try:
        fs_int = int(fs)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a sample rate in Hz, got {fs!r}") from None
    if fs_int != fs or fs_int < 8000:
        raise ParameterError(
            f"{name}: expected an integer sample rate of at least 8000 Hz, got {fs!r}"
        )
    return fs_int


def check_positive(value: Any, name: str, *, integer: bool = False) -> Any:
    """Check that ``value`` is a positive (integer) number and return it."""
    kind = "a positive integer" if integer else "a positive number"
    if isinstance(value, bool):
        raise ParameterError(f"{name}: expected {kind}, got {value!r}")
    try:
        num = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected {kind}, got {value!r}") from None
    if (integer and num != value) or not np.isfinite(num) or num <= 0:
        raise ParameterError(f"{name}: expected {kind}, got {value!r}")
    return num


def check_n_jobs(n_jobs: Any) -> int:
    """Check a joblib-style ``n_jobs`` (a non-zero integer; ``-1``: all cores) and return it."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ParameterError(
            f"n_jobs: expected a non-zero integer (1: no parallelism, -1: all cores), "
            f"got {n_jobs!r}"
        )
    return int(n_jobs)


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        raise ParameterError(
            f"{name}: expected one of {', '.join(repr(c) for c in choices)}, got {value!r}"
        )
    return str(value)


def check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Check that two frame sequences have the same number of frames."""
    if a.shape[0] != b.shape[0]:
        raise ParameterError(
            f"{name_a} and {name_b}: expected the same number of frames, "
            f"got {a.shape[0]} and {b.shape[0]}"
        )
