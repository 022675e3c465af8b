"""Plots and audio players for notebooks.

Every plotting function draws one view of a stage of the method on a
matplotlib axes and returns what it drew:

* :func:`plot_envelope`, :func:`plot_envelopes`: spectral envelopes (source,
  converted, target side by side on one colour scale);
* :func:`plot_trajectories`: one mel-cepstral coefficient over time, the view
  in which frame-wise MMSE and MLPG over-smooth and global variance restores
  the spread;
* :func:`plot_f0`: F0 contours with gaps where unvoiced;
* :func:`plot_alignment`: the DTW path over the local distance matrix;
* :func:`plot_responsibilities`: GMM component posteriors over time;
* :func:`plot_global_variance`: the variance of each coefficient.

:func:`listen` returns an :class:`IPython.display.Audio` player.

matplotlib (the ``plot`` extra) and IPython are imported inside the functions
that need them, never by ``import gmmvc`` or ``import gmmvc.display``. Each
plotting function takes ``ax=None`` (meaning pyplot's current axes) and never
calls ``plt.show()``: in Jupyter the figure appears on its own, in a script
call ``plt.show()`` or ``fig.savefig(...)`` yourself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import as_float_array, check_fs, check_positive
from .alignment import Alignment
from .conversion import GlobalVariance
from .exceptions import GmmvcError, ParameterError

if TYPE_CHECKING:
    from IPython.display import Audio
    from matplotlib.axes import Axes
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D

__all__ = [
    "plot_envelope",
    "plot_envelopes",
    "plot_trajectories",
    "plot_f0",
    "plot_alignment",
    "plot_responsibilities",
    "plot_global_variance",
    "listen",
]

#: Default colour range (dB) of envelope plots, below the loudest value shown.
DB_RANGE = 80.0

#: Power floor before taking dB, so zeros and tiny values stay finite.
_POWER_FLOOR = 1e-20


# --------------------------------------------------------------------------- helpers


def _pyplot() -> Any:
    """Import and return ``matplotlib.pyplot``, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise GmmvcError(
            "gmmvc.display needs matplotlib, which is not installed; "
            "install it with: pip install 'gmmvc[plot]'"
        ) from None
    return plt


def _axes(ax: Axes | None) -> Axes:
    """``ax``, or pyplot's current axes when ``ax`` is None."""
    return _pyplot().gca() if ax is None else ax


def _check_frame_period(frame_period: Any) -> float:
    return float(check_positive(frame_period, "frame_period"))


def _labelled(items: Any, name: str) -> list[tuple[str | None, Any]]:
    """``[(label, value), ...]`` from a mapping (labels) or a sequence (no labels)."""
    if isinstance(items, Mapping):
        pairs: list[tuple[str | None, Any]] = [(str(k), v) for k, v in items.items()]
    elif isinstance(items, (Sequence, np.ndarray)) and not isinstance(items, str):
        pairs = [(None, v) for v in items]
    else:
        raise ParameterError(
            f"{name}: expected a mapping of label -> array or a sequence of arrays, got "
            f"{type(items).__name__}"
        )
    if not pairs:
        raise ParameterError(f"{name}: expected at least one array, got none")
    return pairs


def _column(first_coefficient: Any, coefficient: Any, n_cols: int, name: str) -> int:
    """Column of coefficient ``c_k`` in arrays whose first column is ``c_first``."""
    first = _non_negative_int(first_coefficient, "first_coefficient")
    k = _non_negative_int(coefficient, "coefficient")
    col = k - first
    if not 0 <= col < n_cols:
        raise ParameterError(
            f"coefficient: expected c{first}..c{first + n_cols - 1} (the {n_cols} columns of "
            f"{name}, first column c{first}), got c{k}; pass first_coefficient=1 for "
            "mel-cepstra without c0"
        )
    return col


def _non_negative_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ParameterError(f"{name}: expected a non-negative integer, got {value!r}")
    return int(value)


def _frame_extent(n_frames: int, frame_period: float) -> tuple[float, float]:
    """Time (s) of the outer edges of ``n_frames`` frames centred at ``t * frame_period``."""
    half = 0.5 * frame_period / 1000.0
    return -half, (n_frames - 1) * frame_period / 1000.0 + half


def _power_db(sp: Any, name: str) -> np.ndarray:
    arr = as_float_array(sp, name, ndim=2, min_len=1)
    if arr.shape[1] < 2:
        raise ParameterError(
            f"{name}: expected a power envelope (n_frames, fft_size // 2 + 1) with at least "
            f"2 bins, got shape {arr.shape}"
        )
    if np.any(arr < 0):
        raise ParameterError(
            f"{name}: expected a non-negative power envelope, got minimum {arr.min():g}; "
            "pass the power envelope, not its log (gmmvc.mcep_to_sp turns a mel-cepstrum "
            "into one)"
        )
    return 10.0 * np.log10(np.maximum(arr, _POWER_FLOOR))


# --------------------------------------------------------------------------- envelopes


def plot_envelope(
    sp: Any,
    *,
    fs: int,
    frame_period: float = 5.0,
    ax: Axes | None = None,
    vmax_db: float | None = None,
    db_range: float = DB_RANGE,
    cmap: str = "magma",
) -> AxesImage:
    """Draw a spectral envelope as a spectrogram: time across, frequency up, dB in colour.

    Parameters
    ----------
    sp : array_like, shape (n_frames, fft_size // 2 + 1)
        Non-negative power envelope (CheapTrick's ``sp``, or
        :func:`gmmvc.mcep_to_sp` of a mel-cepstrum).
    fs : int
        Sample rate in Hz; the frequency axis runs from 0 to ``fs / 2``.
    frame_period : float, default 5.0
        Frame shift in milliseconds; frame ``t`` is drawn at ``t * frame_period``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; pyplot's current axes when None.
    vmax_db : float, optional
        Top of the colour scale in dB; the envelope's maximum when None.
    db_range : float, default 80.0
        The colour scale spans ``vmax_db - db_range`` to ``vmax_db``.
    cmap : str, default 'magma'
        matplotlib colour map.

    Returns
    -------
    matplotlib.image.AxesImage
        The image; its array is ``10 log10(sp).T``, shape (fft_size // 2 + 1, n_frames).
        Pass it to ``fig.colorbar`` for a dB scale.

    Raises
    ------
    ParameterError
        If ``sp`` is not a finite, non-negative 2-D array with at least 2 bins,
        or an option is out of range.
    GmmvcError
        If matplotlib is not installed.

    See Also
    --------
    plot_envelopes : Several envelopes side by side on one colour scale.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> sp = np.tile(np.logspace(0, -4, 513), (100, 1))  # 100 frames, falling 40 dB
    >>> ax = Figure().add_subplot()
    >>> im = plot_envelope(sp, fs=16000, ax=ax)
    >>> im.get_array().shape, im.get_clim()
    ((513, 100), (-80.0, 0.0))
    """
    fs = check_fs(fs)
    frame_period = _check_frame_period(frame_period)
    db_range = float(check_positive(db_range, "db_range"))
    db = _power_db(sp, "sp")  # (T, F)
    top = float(db.max()) if vmax_db is None else float(vmax_db)
    if not np.isfinite(top):
        raise ParameterError(f"vmax_db: expected a finite number in dB, got {vmax_db!r}")
    ax = _axes(ax)
    t0, t1 = _frame_extent(db.shape[0], frame_period)
    image = ax.imshow(
        db.T,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        extent=(t0, t1, 0.0, fs / 2.0),
        vmin=top - db_range,
        vmax=top,
        cmap=cmap,
    )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    return image


def plot_envelopes(
    envelopes: Mapping[str, Any] | Sequence[Any],
    *,
    fs: int,
    frame_period: float = 5.0,
    ax: Sequence[Axes] | None = None,
    db_range: float = DB_RANGE,
    cmap: str = "magma",
) -> list[AxesImage]:
    """Draw several spectral envelopes side by side on one shared dB colour scale.

    Typically the source, the converted and the target reading of the same
    sentence. The scale's top is the loudest value over all envelopes, so
    colours compare across panels.

    Parameters
    ----------
    envelopes : mapping of str to array_like, or sequence of array_like
        Power envelopes, each of shape (n_frames_i, fft_size // 2 + 1); the
        mapping's keys become the panel titles. Frame counts may differ.
    fs : int
        Sample rate in Hz.
    frame_period : float, default 5.0
        Frame shift in milliseconds.
    ax : sequence of matplotlib.axes.Axes, optional
        One axes per envelope; when None a new pyplot figure with a row of
        panels (shared frequency axis) is made.
    db_range : float, default 80.0
        Span of the colour scale in dB.
    cmap : str, default 'magma'
        matplotlib colour map.

    Returns
    -------
    list of matplotlib.image.AxesImage
        One image per envelope, in order, all with the same colour limits.

    Raises
    ------
    ParameterError
        If an envelope is invalid, there are none, or ``ax`` does not hold
        one axes per envelope.
    GmmvcError
        If matplotlib is not installed.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> axes = Figure().subplots(1, 2)
    >>> loud, quiet = np.full((50, 513), 1.0), np.full((60, 513), 1e-2)
    >>> images = plot_envelopes({"source": loud, "target": quiet}, fs=16000, ax=axes)
    >>> [im.get_clim() for im in images]
    [(-80.0, 0.0), (-80.0, 0.0)]
    >>> axes[1].get_title()
    'target'
    """
    pairs = _labelled(envelopes, "envelopes")
    fs = check_fs(fs)
    db_range = float(check_positive(db_range, "db_range"))
    dbs = [_power_db(sp, f"envelopes[{label or i}]") for i, (label, sp) in enumerate(pairs)]
    top = max(float(db.max()) for db in dbs)
    if ax is None:
        _, grid = _pyplot().subplots(
            1,
            len(pairs),
            sharey=True,
            squeeze=False,
            figsize=(3.5 * len(pairs), 3.0),
            layout="constrained",
        )
        axes = list(grid[0])
    else:
        axes = list(ax)
        if len(axes) != len(pairs):
            raise ParameterError(
                f"ax: expected one axes per envelope ({len(pairs)}), got {len(axes)}; "
                "pass ax=None to make a new figure"
            )
    images = []
    for a, (label, _), db in zip(axes, pairs, dbs):
        images.append(
            plot_envelope(
                10.0 ** (db / 10.0),
                fs=fs,
                frame_period=frame_period,
                ax=a,
                vmax_db=top,
                db_range=db_range,
                cmap=cmap,
            )
        )
        if label is not None:
            a.set_title(label)
    return images


# --------------------------------------------------------------------------- trajectories


def plot_trajectories(
    trajectories: Mapping[str, Any] | Sequence[Any],
    *,
    coefficient: int = 1,
    first_coefficient: int = 0,
    frame_period: float = 5.0,
    ax: Axes | None = None,
) -> list[Line2D]:
    """Draw one mel-cepstral coefficient over time for several trajectories.

    Frame-wise MMSE conversion averages over mixture components and so
    flattens the trajectory; MLPG smooths it; the global-variance postfilter
    (or GV-aware generation) restores its spread. Drawing the same
    coefficient of the target, the MMSE and the MLPG output on one axes
    shows this, and the legend gives each line's variance over time.

    Parameters
    ----------
    trajectories : mapping of str to array_like, or sequence of array_like
        Each of shape (n_frames_i, n_coefficients); the mapping's keys are the
        legend labels. To compare frame by frame, put them on one time axis
        first (e.g. index the target with an :class:`gmmvc.Alignment`).
    coefficient : int, default 1
        Which coefficient ``c_k`` to draw.
    first_coefficient : int, default 0
        The coefficient in the first column: 0 for full mel-cepstra (c0 first),
        1 for the features the GMM uses (c0 dropped).
    frame_period : float, default 5.0
        Frame shift in milliseconds.
    ax : matplotlib.axes.Axes, optional
        Where to draw; pyplot's current axes when None.

    Returns
    -------
    list of matplotlib.lines.Line2D
        One line per trajectory, in order.

    Raises
    ------
    ParameterError
        If a trajectory is not a finite 2-D array or lacks the coefficient.
    GmmvcError
        If matplotlib is not installed.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> target = np.zeros((100, 25))
    >>> target[:, 1] = np.tile([1.0, -1.0], 50)  # c1 alternates: variance 1
    >>> ax = Figure().add_subplot()
    >>> lines = plot_trajectories({"target": target, "MMSE": 0.5 * target}, coefficient=1, ax=ax)
    >>> [line.get_label() for line in lines]
    ['target (var 1)', 'MMSE (var 0.25)']
    """
    pairs = _labelled(trajectories, "trajectories")
    frame_period = _check_frame_period(frame_period)
    arrays = [
        as_float_array(c, f"trajectories[{label or i}]", ndim=2, min_len=1)
        for i, (label, c) in enumerate(pairs)
    ]
    cols = [
        _column(first_coefficient, coefficient, c.shape[1], f"trajectories[{label or i}]")
        for i, ((label, _), c) in enumerate(zip(pairs, arrays))
    ]
    ax = _axes(ax)
    lines = []
    for (label, _), c, col in zip(pairs, arrays, cols):
        values = c[:, col]
        times = np.arange(values.shape[0]) * frame_period / 1000.0
        text = None if label is None else f"{label} (var {values.var():.3g})"
        (line,) = ax.plot(times, values, label=text)
        lines.append(line)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"c{int(coefficient)}")
    if any(label is not None for label, _ in pairs):
        ax.legend()
    return lines


def plot_f0(
    contours: Mapping[str, Any] | Sequence[Any],
    *,
    frame_period: float = 5.0,
    ax: Axes | None = None,
) -> list[Line2D]:
    """Draw F0 contours, leaving gaps in unvoiced frames.

    Parameters
    ----------
    contours : mapping of str to array_like, or sequence of array_like
        F0 in Hz, each of shape (n_frames_i,), 0 where unvoiced; the mapping's
        keys are the legend labels.
    frame_period : float, default 5.0
        Frame shift in milliseconds.
    ax : matplotlib.axes.Axes, optional
        Where to draw; pyplot's current axes when None.

    Returns
    -------
    list of matplotlib.lines.Line2D
        One line per contour; unvoiced frames are NaN in the line's data.

    Raises
    ------
    ParameterError
        If a contour is not a finite 1-D array or has negative values.
    GmmvcError
        If matplotlib is not installed.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> (line,) = plot_f0({"source": [0.0, 100.0, 110.0, 0.0]}, ax=ax)
    >>> line.get_ydata()
    array([ nan, 100., 110.,  nan])
    """
    pairs = _labelled(contours, "contours")
    frame_period = _check_frame_period(frame_period)
    arrays = []
    for i, (label, f0) in enumerate(pairs):
        name = f"contours[{label or i}]"
        arr = as_float_array(f0, name, ndim=1, min_len=1)
        if np.any(arr < 0):
            raise ParameterError(
                f"{name}: expected F0 in Hz, >= 0 with 0 marking unvoiced frames, got "
                f"minimum {arr.min():g}; pass linear F0, not log-F0"
            )
        arrays.append(np.where(arr > 0, arr, np.nan))
    ax = _axes(ax)
    lines = []
    for (label, _), f0 in zip(pairs, arrays):
        times = np.arange(f0.shape[0]) * frame_period / 1000.0
        (line,) = ax.plot(times, f0, label=label)
        lines.append(line)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("F0 (Hz)")
    if any(label is not None for label, _ in pairs):
        ax.legend()
    return lines


# --------------------------------------------------------------------------- alignment and model


def plot_alignment(
    x: Any,
    y: Any,
    path: Alignment | tuple[Any, Any],
    *,
    ax: Axes | None = None,
    cmap: str = "viridis",
) -> AxesImage:
    r"""Draw a DTW path over the local distance matrix of two utterances.

    Parameters
    ----------
    x : array_like, shape (Tx, D)
        Source features, on the source's time axis (e.g. mel-cepstra without c0).
    y : array_like, shape (Ty, D)
        Target features, same ``D``.
    path : Alignment or (array_like of int, array_like of int)
        The frame pairing: an :class:`gmmvc.Alignment` or the ``(ix, iy)``
        index arrays of :func:`gmmvc.dtw_path`, indices into ``x`` and ``y``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; pyplot's current axes when None.
    cmap : str, default 'viridis'
        matplotlib colour map of the distances.

    Returns
    -------
    matplotlib.image.AxesImage
        The distance matrix, source frames across and target frames up (its
        array has shape (Ty, Tx)). The path is drawn on top as a line labelled
        ``'DTW path'`` (the last entry of ``ax.lines``).

    Raises
    ------
    ParameterError
        If ``x`` or ``y`` is not a finite 2-D array, their widths differ, or
        the path's indices are not valid frames of both.
    GmmvcError
        If matplotlib is not installed.

    Notes
    -----
    The image shows the local distance
    :math:`d(i, j) = \lVert x_i - y_j \rVert_2` that :func:`gmmvc.dtw_path`
    minimises the sum of along the path.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> import gmmvc
    >>> x = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([[0.0], [0.0], [1.0], [2.0], [3.0]])
    >>> ax = Figure().add_subplot()
    >>> im = plot_alignment(x, y, gmmvc.dtw_path(x, y), ax=ax)
    >>> im.get_array().shape, ax.lines[-1].get_xdata().tolist()
    ((5, 4), [0, 0, 1, 2, 3])
    """
    from scipy.spatial.distance import cdist

    x = as_float_array(x, "x", ndim=2, min_len=1)
    y = as_float_array(y, "y", ndim=2, min_len=1)
    if x.shape[1] != y.shape[1]:
        raise ParameterError(
            f"x and y: expected the same feature dimension, got {x.shape[1]} and {y.shape[1]} "
            "columns; pass the features the path was computed on"
        )
    if isinstance(path, Alignment):
        ix, iy = path.source_index, path.target_index
    else:
        try:
            ix, iy = (np.asarray(p) for p in path)
        except (TypeError, ValueError):
            raise ParameterError(
                f"path: expected an Alignment or a pair (ix, iy) of index arrays, got "
                f"{type(path).__name__}"
            ) from None
    for name, idx, n in (("path source", ix, x.shape[0]), ("path target", iy, y.shape[0])):
        if (
            idx.ndim != 1
            or not np.issubdtype(idx.dtype, np.integer)
            or (idx.size and (idx.min() < 0 or idx.max() >= n))
        ):
            raise ParameterError(
                f"{name} indices: expected 1-D integer frame indices in [0, {n}), got "
                f"dtype {idx.dtype}, shape {idx.shape}; pass the features the path was "
                "computed on"
            )
    if ix.shape != iy.shape:
        raise ParameterError(
            f"path: expected index arrays of equal length, got {ix.shape[0]} and {iy.shape[0]}"
        )
    distance = cdist(y, x)  # (Ty, Tx): rows are target frames (drawn upwards)
    ax = _axes(ax)
    image = ax.imshow(
        distance,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        extent=(-0.5, x.shape[0] - 0.5, -0.5, y.shape[0] - 0.5),
        cmap=cmap,
    )
    ax.plot(ix, iy, color="white", linewidth=1.5, label="DTW path")
    ax.set_xlabel("source frame")
    ax.set_ylabel("target frame")
    return image


def plot_responsibilities(
    posteriors: Any,
    *,
    frame_period: float = 5.0,
    ax: Axes | None = None,
    cmap: str = "Greys",
) -> AxesImage:
    """Draw GMM component posteriors (responsibilities) over time.

    Parameters
    ----------
    posteriors : array_like, shape (n_frames, n_components)
        ``P(m | x_t)``, e.g. from :meth:`gmmvc.JointGMM.posteriors`; values in
        ``[0, 1]``.
    frame_period : float, default 5.0
        Frame shift in milliseconds.
    ax : matplotlib.axes.Axes, optional
        Where to draw; pyplot's current axes when None.
    cmap : str, default 'Greys'
        matplotlib colour map (dark = responsible).

    Returns
    -------
    matplotlib.image.AxesImage
        Time across, component up; its array has shape (n_components, n_frames)
        and colour limits 0 to 1.

    Raises
    ------
    ParameterError
        If ``posteriors`` is not a finite 2-D array of values in ``[0, 1]``.
    GmmvcError
        If matplotlib is not installed.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> post = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> ax = Figure().add_subplot()
    >>> im = plot_responsibilities(post, ax=ax)
    >>> im.get_array().shape, im.get_clim()
    ((2, 3), (0.0, 1.0))
    """
    post = as_float_array(posteriors, "posteriors", ndim=2, min_len=1)
    frame_period = _check_frame_period(frame_period)
    if post.size and (post.min() < -1e-9 or post.max() > 1.0 + 1e-9):
        raise ParameterError(
            f"posteriors: expected probabilities in [0, 1], got values from {post.min():g} "
            f"to {post.max():g}; pass P(m | x), e.g. JointGMM.posteriors(X)"
        )
    ax = _axes(ax)
    t0, t1 = _frame_extent(post.shape[0], frame_period)
    image = ax.imshow(
        post.T,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        extent=(t0, t1, -0.5, post.shape[1] - 0.5),
        vmin=0.0,
        vmax=1.0,
        cmap=cmap,
    )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mixture component")
    return image


def plot_global_variance(
    variances: Mapping[str, Any] | Sequence[Any],
    *,
    first_coefficient: int = 0,
    ax: Axes | None = None,
    log: bool = True,
) -> list[Line2D]:
    """Draw the variance of each mel-cepstral coefficient, one line per set.

    Parameters
    ----------
    variances : mapping of str to GlobalVariance or array_like, or a sequence of them
        Each item is a :class:`gmmvc.GlobalVariance` (its ``mean`` is drawn),
        a 1-D array of variances, shape (D,), or a 2-D trajectory, shape
        (n_frames, D), whose variance over time is drawn. The mapping's keys
        are the legend labels.
    first_coefficient : int, default 0
        The coefficient in the first column: 0 for full mel-cepstra, 1 for the
        features the GMM uses (c0 dropped), as in ``ConversionModel.target_gv``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; pyplot's current axes when None.
    log : bool, default True
        Logarithmic variance axis (the variance falls by orders of magnitude
        from low to high coefficients).

    Returns
    -------
    list of matplotlib.lines.Line2D
        One line per item; the x data are the coefficient numbers.

    Raises
    ------
    ParameterError
        If an item is not a GlobalVariance or a finite 1-D or 2-D array, or a
        variance is negative.
    GmmvcError
        If matplotlib is not installed.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> import gmmvc
    >>> gv = gmmvc.GlobalVariance(mean=np.array([1.0, 0.1]), var=np.zeros(2))
    >>> smooth = np.array([[0.1, 0.0], [-0.1, 0.0]])  # a 2-frame trajectory
    >>> ax = Figure().add_subplot()
    >>> lines = plot_global_variance({"target": gv, "MMSE": smooth}, first_coefficient=1, ax=ax)
    >>> lines[0].get_xdata().tolist(), lines[1].get_ydata().tolist()
    ([1, 2], [0.010000000000000002, 0.0])
    """
    pairs = _labelled(variances, "variances")
    first = _non_negative_int(first_coefficient, "first_coefficient")
    values = []
    for i, (label, item) in enumerate(pairs):
        name = f"variances[{label or i}]"
        if isinstance(item, GlobalVariance):
            v = as_float_array(item.mean, f"{name}.mean", ndim=1, min_len=1)
        else:
            arr = as_float_array(item, name, ndim=(1, 2), min_len=1)
            v = arr if arr.ndim == 1 else arr.var(axis=0)
        if np.any(v < 0):
            raise ParameterError(f"{name}: expected non-negative variances, got {v.min():g}")
        values.append(v)
    ax = _axes(ax)
    lines = []
    for (label, _), v in zip(pairs, values):
        k = np.arange(first, first + v.shape[0])
        (line,) = ax.plot(k, v, marker="o", markersize=3, label=label)
        lines.append(line)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("mel-cepstral coefficient")
    ax.set_ylabel("variance")
    if any(label is not None for label, _ in pairs):
        ax.legend()
    return lines


# --------------------------------------------------------------------------- audio


def listen(x: Any, fs: int, *, normalize: bool = True) -> Audio:
    """Make an audio player for a waveform, for display in Jupyter.

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Finite mono waveform.
    fs : int
        Sample rate in Hz.
    normalize : bool, default True
        Scale the loudest sample to full scale. With False, the waveform is
        played as is and must lie within ``[-1, 1]``, so loudness compares
        across players.

    Returns
    -------
    IPython.display.Audio
        Shown as a player when it is the last expression of a cell, or pass it
        to :func:`IPython.display.display`.

    Raises
    ------
    ParameterError
        If ``x`` is not a finite 1-D array, ``fs`` is not a valid sample rate,
        or ``normalize`` is False and a sample lies outside ``[-1, 1]``.
    GmmvcError
        If IPython is not installed.

    Examples
    --------
    >>> fs = 16000
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(fs // 10) / fs)
    >>> player = listen(tone, fs)
    >>> type(player).__name__, player.data[:4]  # a WAV file in memory
    ('Audio', b'RIFF')
    """
    fs = check_fs(fs)
    wav = as_float_array(x, "x", ndim=1, min_len=1)
    peak = float(np.max(np.abs(wav)))
    if not normalize and peak > 1.0:
        raise ParameterError(
            f"x: expected samples within [-1, 1] with normalize=False, got peak {peak:g}; "
            "pass normalize=True or scale the waveform"
        )
    try:
        from IPython.display import Audio
    except ImportError:
        raise GmmvcError(
            "listen needs IPython, which is not installed; run it in Jupyter or install "
            "it with: pip install ipython"
        ) from None
    if peak == 0.0:
        normalize = False  # IPython cannot normalise digital silence
    return Audio(data=wav, rate=fs, normalize=normalize)
