r"""The dynamic-feature windows: the one definition shared by feature stacking and MLPG.

A window is a short FIR filter along time. The static window is ``(1,)``; the
delta window is ``(-1/2, 0, 1/2)``, centred. Applying window ``k`` to a static
trajectory ``c`` of ``T`` frames gives

.. math:: o^{(k)}_t = \sum_{\tau=-L_k}^{L_k} w^{(k)}_\tau \, c_{\mathrm{clip}(t+\tau)},

where ``clip`` keeps the index inside ``[0, T-1]`` (the edge frame is
repeated). Stacking the windows frame by frame gives ``o = W c``; the same
``W`` (built from the same taps and the same edge rule) is what MLPG inverts,
so features fed to the GMM and trajectories it generates agree exactly, edges
included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy as np

from ._validation import as_float_array
from .exceptions import ParameterError

__all__ = [
    "Window",
    "Windows",
    "STATIC_WINDOW",
    "DELTA_WINDOW",
    "DELTA_DELTA_WINDOW",
    "DEFAULT_WINDOWS",
    "window_taps",
    "apply_windows",
    "apply_windows_transpose",
    "window_matrix",
]

#: One window: odd-length FIR coefficients centred on the current frame.
Window = Union[Sequence[float], np.ndarray]  # noqa: UP007 (a runtime alias)
#: The windows stacked per frame, static first.
Windows = Sequence[Window]

#: The identity window: the static feature itself.
STATIC_WINDOW: tuple[float, ...] = (1.0,)
#: First-order regression over one frame each side, ``(c[t+1] - c[t-1]) / 2``.
DELTA_WINDOW: tuple[float, ...] = (-0.5, 0.0, 0.5)
#: Second-order difference, ``c[t-1] - 2 c[t] + c[t+1]``.
DELTA_DELTA_WINDOW: tuple[float, ...] = (1.0, -2.0, 1.0)
#: Static and delta: the joint vectors are ``[x, dx, y, dy]``.
DEFAULT_WINDOWS: tuple[tuple[float, ...], ...] = (STATIC_WINDOW, DELTA_WINDOW)


def _check_windows(windows: Windows) -> list[np.ndarray]:
    out = []
    if len(windows) == 0:
        raise ParameterError("windows: expected at least one window, got none")
    for k, w in enumerate(windows):
        try:
            arr = np.asarray(w, dtype=np.float64)
        except (TypeError, ValueError):
            arr = np.empty(0)
        if arr.ndim != 1 or arr.size % 2 != 1 or not np.all(np.isfinite(arr)):
            raise ParameterError(
                f"windows[{k}]: expected an odd-length 1-D sequence of finite "
                f"coefficients centred on the current frame, got {w!r}"
            )
        out.append(arr)
    return out


def window_taps(n_frames: int, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """Frame indices and coefficients of one window over ``n_frames`` frames.

    Parameters
    ----------
    n_frames : int
        Number of frames ``T``.
    window : sequence of float
        Odd-length coefficients, centred on the current frame.

    Returns
    -------
    index : numpy.ndarray of int, shape (n_taps, T)
        ``index[j, t]`` is the frame that tap ``j`` reads at time ``t``
        (``t + j - L`` clipped to ``[0, T-1]``).
    coef : numpy.ndarray, shape (n_taps,)
        The window coefficients.

    Examples
    --------
    >>> idx, coef = window_taps(4, DELTA_WINDOW)
    >>> idx
    array([[0, 0, 1, 2],
           [0, 1, 2, 3],
           [1, 2, 3, 3]])
    """
    (coef,) = _check_windows([window])
    half = coef.size // 2
    offsets = np.arange(-half, half + 1)[:, None]
    index = np.clip(np.arange(n_frames)[None, :] + offsets, 0, max(n_frames - 1, 0))
    return index, coef


def apply_windows(x: np.ndarray, windows: Windows = DEFAULT_WINDOWS) -> np.ndarray:
    """Stack a static trajectory with its dynamic features.

    Parameters
    ----------
    x : array_like, shape (T, D)
        Static features, frames first.
    windows : sequence of sequences of float, default DEFAULT_WINDOWS
        The windows, static first by convention.

    Returns
    -------
    numpy.ndarray, shape (T, K * D)
        ``[o^(1), ..., o^(K)]`` frame by frame, where ``K = len(windows)``.

    Raises
    ------
    ParameterError
        If ``x`` is not a finite 2-D array or a window is malformed.

    Examples
    --------
    >>> import numpy as np
    >>> apply_windows(np.array([[0.0], [1.0], [4.0]]))
    array([[0. , 0.5],
           [1. , 2. ],
           [4. , 1.5]])
    """
    x = as_float_array(x, "x", ndim=2, min_len=1)
    parts = []
    for w in _check_windows(windows):
        index, coef = window_taps(x.shape[0], w)
        parts.append(np.einsum("j,jtd->td", coef, x[index]))
    return np.hstack(parts)


def apply_windows_transpose(o: np.ndarray, windows: Windows = DEFAULT_WINDOWS) -> np.ndarray:
    """Apply ``W^T``: map per-frame stacked window outputs back onto the static frames.

    The adjoint of :func:`apply_windows` (same taps, same edge rule): for any
    ``c`` and ``o``, ``sum(apply_windows(c) * o) == sum(c * apply_windows_transpose(o))``.

    Parameters
    ----------
    o : array_like, shape (T, K * D)
        One block of ``D`` columns per window, as :func:`apply_windows` returns.
    windows : sequence of sequences of float, default DEFAULT_WINDOWS

    Returns
    -------
    numpy.ndarray, shape (T, D)

    Raises
    ------
    ParameterError
        If ``o`` is not 2-D with a multiple of ``K`` columns.

    Examples
    --------
    >>> import numpy as np
    >>> apply_windows_transpose(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    array([[0.5],
           [0. ],
           [0.5]])
    """
    o = as_float_array(o, "o", ndim=2, min_len=1)
    wins = _check_windows(windows)
    if o.shape[1] % len(wins):
        raise ParameterError(
            f"o: expected a multiple of {len(wins)} columns (one block per window), "
            f"got {o.shape[1]}"
        )
    return _windows_transpose(o, wins)


def _windows_transpose(o: np.ndarray, wins: list[np.ndarray]) -> np.ndarray:
    """:func:`apply_windows_transpose` without the checks (for values already checked)."""
    n_frames, dim = o.shape[0], o.shape[1] // len(wins)
    out = np.zeros((n_frames, dim))
    for k, coef in enumerate(wins):
        block = o[:, k * dim : (k + 1) * dim]
        half = coef.size // 2
        for j in range(coef.size):
            if coef[j] != 0.0:
                _add_shifted(out, j - half, coef[j] * block)
    return out


def _add_shifted(out: np.ndarray, offset: int, values: np.ndarray) -> None:
    """``out[clip(t + offset, 0, T - 1)] += values[t]`` for every ``t``, without a scatter.

    Inside the sequence this is one slice addition; the frames that the edge rule
    of :func:`window_taps` clips onto the first or last frame are summed there.
    """
    n_frames = out.shape[0]
    lo = min(max(0, -offset), n_frames)  # first t with t + offset >= 0
    hi = max(min(n_frames, n_frames - offset), lo)  # first t with t + offset >= T
    if hi > lo:
        out[lo + offset : hi + offset] += values[lo:hi]
    if lo > 0:
        out[0] += values[:lo].sum(axis=0)
    if hi < n_frames:
        out[n_frames - 1] += values[hi:].sum(axis=0)


def window_matrix(n_frames: int, windows: Windows = DEFAULT_WINDOWS) -> np.ndarray:
    """Dense matrix ``W`` mapping a 1-D static trajectory to its stacked windows.

    Meant for teaching and testing (it is ``(K T, T)``); MLPG never forms it.
    Row ``k * T + t`` holds window ``k`` at frame ``t``, so for one feature
    dimension ``window_matrix(T) @ c`` equals ``apply_windows(c[:, None])``
    reordered window-major.

    Parameters
    ----------
    n_frames : int
        Number of frames ``T``.
    windows : sequence of sequences of float, default DEFAULT_WINDOWS

    Returns
    -------
    numpy.ndarray, shape (K * T, T)

    Examples
    --------
    >>> window_matrix(3)[3:]
    array([[-0.5,  0.5,  0. ],
           [-0.5,  0. ,  0.5],
           [ 0. , -0.5,  0.5]])
    """
    wins = _check_windows(windows)
    mats = []
    rows = np.arange(n_frames)
    for w in wins:
        index, coef = window_taps(n_frames, w)
        mat = np.zeros((n_frames, n_frames))
        for j in range(coef.size):
            np.add.at(mat, (rows, index[j]), coef[j])
        mats.append(mat)
    return np.vstack(mats)
