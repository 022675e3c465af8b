"""Time alignment of parallel utterances: DTW paths and joint vectors.

This module knows nothing about models. It pairs the frames of a source and a
target utterance by dynamic time warping (DTW) and stacks the paired frames
into the joint vectors ``[x_t; y_t]`` that the joint-density GMM is trained on.
Iterative re-alignment with a converted source lives in :mod:`gmmvc.pipeline`.

All arrays are frames-first, ``(n_frames, n_dims)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from fastdtw import fastdtw

from ._validation import as_float_array, check_positive
from .exceptions import ParameterError

__all__ = ["Alignment", "align_frames", "dtw_path", "joint_vectors"]

logger = logging.getLogger(__name__)


def _check_radius(radius: Any) -> int:
    """Return ``radius`` as an int after checking it is a positive integer."""
    try:
        return int(check_positive(radius, "radius", integer=True))
    except ParameterError as exc:
        raise ParameterError(
            f"{exc}; FastDTW needs a search radius of at least 1 frame "
            "(1 is the usual choice; larger values are slower but closer to exact DTW)"
        ) from None


def _check_same_dims(x: np.ndarray, y: np.ndarray) -> None:
    """Check that two (T, D) feature arrays have the same number of columns."""
    if x.shape[1] != y.shape[1]:
        raise ParameterError(
            f"x and y: expected the same feature dimension, got {x.shape[1]} and "
            f"{y.shape[1]} columns; align on the same features for both speakers "
            "(e.g. mel-cepstra of the same order, both without c0)"
        )


#: Largest feature magnitude DTW accepts: beyond it the summed Euclidean costs
#: can overflow to infinity, and FastDTW then fails inside its own code.
MAX_DTW_MAGNITUDE = 1e100


def _dtw_indices(x: np.ndarray, y: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """FastDTW path between validated float arrays ``x`` (Tx, D) and ``y`` (Ty, D)."""
    for name, arr in (("x", x), ("y", y)):
        peak = float(np.max(np.abs(arr))) if arr.size else 0.0
        if peak > MAX_DTW_MAGNITUDE:
            raise ParameterError(
                f"{name}: expected feature values of ordinary size (at most "
                f"{MAX_DTW_MAGNITUDE:g} in magnitude) to align, got {peak:g}; check the "
                "units and scaling of the features"
            )
    # dist=2 selects fastdtw's own Euclidean (p=2) norm: valid for both the
    # pure-Python and the Cython build, and much faster than a Python callable
    # in the Cython build. (dist=None would mean the L1 norm for 2-D input.)
    _, path = fastdtw(x, y, radius=radius, dist=2)
    pairs = np.asarray(path, dtype=np.intp).reshape(-1, 2)  # (L, 2)
    return np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])


def dtw_path(x: Any, y: Any, *, radius: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r"""Align two frame sequences with FastDTW and return the warping path.

    Parameters
    ----------
    x : array_like of float, shape (Tx, D)
        First sequence, one frame per row. Must be finite, ``Tx >= 1``.
    y : array_like of float, shape (Ty, D)
        Second sequence with the same number of columns ``D``, ``Ty >= 1``.
    radius : int, default 1
        FastDTW search radius in frames, ``>= 1``. Larger values approach
        exact DTW at a proportional cost in time.

    Returns
    -------
    ix : numpy.ndarray of int, shape (L,)
        Indices into ``x`` along the path.
    iy : numpy.ndarray of int, shape (L,)
        Indices into ``y`` along the path. ``max(Tx, Ty) <= L <= Tx + Ty - 1``.

    Raises
    ------
    ParameterError
        If an input is not a finite 2-D array with at least one frame, has a
        value beyond ``MAX_DTW_MAGNITUDE`` (1e100), the column counts differ,
        or ``radius`` is not a positive integer.

    See Also
    --------
    align_frames : DTW over selected (speech) frames with indices on the original time axes.

    Notes
    -----
    The local distance is the Euclidean distance between frames,
    :math:`d(i, j) = \lVert x_i - y_j \rVert_2`, and the path minimizes the
    sum of :math:`d` along it with the symmetric steps (1, 0), (0, 1), (1, 1).
    The path therefore starts at ``(0, 0)``, ends at ``(Tx - 1, Ty - 1)``,
    and both index arrays are non-decreasing with steps of 0 or 1.

    FastDTW (Salvador and Chan, 2007) solves the problem on successively
    halved sequences and refines the path only within ``radius`` frames of the
    coarser one, so it runs in :math:`O((T_x + T_y) \cdot radius)` time but
    may miss the exact optimum when the optimal warp changes abruptly.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([[0.0], [0.0], [1.0], [2.0], [3.0]])
    >>> ix, iy = dtw_path(x, y)
    >>> ix.tolist(), iy.tolist()
    ([0, 0, 1, 2, 3], [0, 1, 2, 3, 4])
    """
    radius = _check_radius(radius)
    x = as_float_array(x, "x", ndim=2, min_len=1)
    y = as_float_array(y, "y", ndim=2, min_len=1)
    _check_same_dims(x, y)
    return _dtw_indices(x, y, radius)


@dataclass(frozen=True, eq=False)
class Alignment:
    """Frame pairing between a source and a target utterance.

    Indices are on each utterance's original time axis, so they can index any
    features computed on that axis (static, deltas, F0, ...).

    Attributes
    ----------
    source_index : numpy.ndarray of int, shape (L,)
        Frame indices into the source utterance, non-decreasing.
    target_index : numpy.ndarray of int, shape (L,)
        Frame indices into the target utterance, non-decreasing.
    distance : float
        Mean Euclidean distance between the paired frames of the features
        that were aligned (in the units of those features).

    Notes
    -----
    The index arrays are stored as read-only ``intp`` copies. Instances
    compare by identity (``eq=False``), because element-wise array
    comparison has no single truth value.

    Examples
    --------
    >>> a = Alignment([0, 1, 1], [0, 0, 1], 0.5)
    >>> len(a), a.source_index.tolist(), a.distance
    (3, [0, 1, 1], 0.5)
    """

    source_index: np.ndarray
    target_index: np.ndarray
    distance: float

    def __post_init__(self) -> None:
        for name in ("source_index", "target_index"):
            value = getattr(self, name)
            arr = np.array(value, copy=True)
            if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
                raise ParameterError(
                    f"{name}: expected a 1-D array of integer frame indices, got "
                    f"dtype {arr.dtype} with shape {arr.shape}; build alignments "
                    "with align_frames"
                )
            if arr.size and arr.min() < 0:
                raise ParameterError(
                    f"{name}: expected non-negative frame indices, got minimum "
                    f"{int(arr.min())}; build alignments with align_frames"
                )
            arr = arr.astype(np.intp, copy=False)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if self.source_index.shape != self.target_index.shape:
            raise ParameterError(
                "source_index and target_index: expected the same length, got "
                f"{self.source_index.shape[0]} and {self.target_index.shape[0]}; "
                "build alignments with align_frames"
            )
        object.__setattr__(self, "distance", float(self.distance))

    def __len__(self) -> int:
        """Return the path length ``L``."""
        return int(self.source_index.shape[0])


def _as_mask(mask: Any, name: str, n_frames: int) -> np.ndarray:
    """Return a boolean frame mask of length ``n_frames`` (all True for None)."""
    if mask is None:
        return np.ones(n_frames, dtype=bool)
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        raise ParameterError(
            f"{name}: expected a boolean array, got dtype {arr.dtype}; pass a "
            "boolean frame mask such as `f0 > 0`, not frame indices"
        )
    if arr.shape != (n_frames,):
        raise ParameterError(
            f"{name}: expected shape ({n_frames},) to match the {n_frames} frames of "
            f"the features, got shape {arr.shape}; compute the mask on the same "
            "frames as the features"
        )
    return arr


def align_frames(
    x: Any,
    y: Any,
    *,
    x_mask: Any = None,
    y_mask: Any = None,
    radius: int = 1,
) -> Alignment:
    r"""Align the selected frames of two utterances and index the original time axes.

    DTW runs on ``x[x_mask]`` against ``y[y_mask]`` only (typically the speech
    frames), and the path is then mapped back to frame numbers of the full
    ``x`` and ``y``. Features computed on each utterance's own time axis
    before selection (deltas in particular) can then be paired with
    :func:`joint_vectors`.

    Parameters
    ----------
    x : array_like of float, shape (Tx, D)
        Source features to align on, e.g. mel-cepstra without c0.
    y : array_like of float, shape (Ty, D)
        Target features to align on, same ``D``.
    x_mask : array_like of bool, shape (Tx,), optional
        Frames of ``x`` to align; None selects all. At least 2 must be True.
    y_mask : array_like of bool, shape (Ty,), optional
        Frames of ``y`` to align; None selects all. At least 2 must be True.
    radius : int, default 1
        FastDTW search radius in frames, ``>= 1``; see :func:`dtw_path`.

    Returns
    -------
    Alignment
        ``source_index`` and ``target_index`` of shape (L,) on the original
        time axes (each points only at selected frames, both non-decreasing,
        first pair = first selected frames, last pair = last selected frames),
        and the mean Euclidean frame distance along the path.

    Raises
    ------
    ParameterError
        If ``x`` or ``y`` is not a finite 2-D array (or has a value beyond
        1e100), their column counts differ, a mask is not boolean or has the
        wrong length, fewer than 2 frames are selected on either side, or
        ``radius`` is invalid.

    See Also
    --------
    dtw_path : The path on the arrays as given.
    joint_vectors : Stack the aligned frames into joint vectors.

    Notes
    -----
    With :math:`s_x` and :math:`s_y` the increasing lists of selected frame
    numbers and :math:`(i_l, j_l)` the DTW path between the selected frames,
    the returned indices are :math:`s_x[i_l]` and :math:`s_y[j_l]`, and

    .. math:: \text{distance} = \frac{1}{L} \sum_{l=1}^{L}
              \lVert x_{s_x[i_l]} - y_{s_y[j_l]} \rVert_2 .

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[9.0], [0.0], [1.0], [2.0], [9.0]])
    >>> y = np.array([[0.0], [1.0], [1.0], [2.0]])
    >>> a = align_frames(x, y, x_mask=np.array([False, True, True, True, False]))
    >>> a.source_index.tolist(), a.target_index.tolist(), a.distance
    ([1, 2, 2, 3], [0, 1, 2, 3], 0.0)
    """
    radius = _check_radius(radius)
    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=2)
    _check_same_dims(x, y)
    x_sel = np.flatnonzero(_as_mask(x_mask, "x_mask", x.shape[0]))
    y_sel = np.flatnonzero(_as_mask(y_mask, "y_mask", y.shape[0]))
    for name, sel, total in (("x", x_sel, x.shape[0]), ("y", y_sel, y.shape[0])):
        if sel.size < 2:
            raise ParameterError(
                f"{name}: expected at least 2 selected frames to align, got {sel.size} "
                f"of {total}; check the frame mask (e.g. loosen the silence threshold) "
                "or drop this utterance pair"
            )
    xs = x[x_sel]  # (Tx', D)
    ys = y[y_sel]  # (Ty', D)
    ix, iy = _dtw_indices(xs, ys, radius)  # (L,), (L,) into the selections
    distance = float(np.mean(np.linalg.norm(xs[ix] - ys[iy], axis=1)))
    logger.debug(
        "aligned %d/%d source and %d/%d target frames: path length %d, mean distance %.4g",
        x_sel.size,
        x.shape[0],
        y_sel.size,
        y.shape[0],
        ix.size,
        distance,
    )
    return Alignment(source_index=x_sel[ix], target_index=y_sel[iy], distance=distance)


def joint_vectors(x: Any, y: Any, alignment: Alignment) -> np.ndarray:
    r"""Stack aligned source and target frames into joint vectors.

    Parameters
    ----------
    x : array_like of float, shape (Tx, Dx)
        Source features on the source's original time axis, typically
        ``[static, delta]``.
    y : array_like of float, shape (Ty, Dy)
        Target features on the target's original time axis. ``Dy`` may
        differ from ``Dx``.
    alignment : Alignment
        Frame pairing from :func:`align_frames` whose indices are valid
        frame numbers of ``x`` and ``y``.

    Returns
    -------
    numpy.ndarray of float64, shape (L, Dx + Dy)
        Row ``l`` is ``[x[source_index[l]], y[target_index[l]]]``.

    Raises
    ------
    ParameterError
        If ``x`` or ``y`` is not a finite 2-D array, ``alignment`` is not an
        :class:`Alignment`, or its indices run past the frames of ``x`` or ``y``.

    Notes
    -----
    These are the joint vectors :math:`Z_t = [X_t^\top, Y_t^\top]^\top` on
    which the joint-density GMM is trained (Toda, Black and Tokuda, 2007).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 10.0], [1.0, 11.0]])
    >>> y = np.array([[5.0], [6.0], [7.0]])
    >>> joint_vectors(x, y, Alignment([0, 1, 1], [0, 1, 2], 0.0))
    array([[ 0., 10.,  5.],
           [ 1., 11.,  6.],
           [ 1., 11.,  7.]])
    """
    if not isinstance(alignment, Alignment):
        raise ParameterError(
            f"alignment: expected an Alignment, got {type(alignment).__name__}; "
            "build one with align_frames"
        )
    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=2)
    for name, index, arr, field in (
        ("x", alignment.source_index, x, "source_index"),
        ("y", alignment.target_index, y, "target_index"),
    ):
        if index.size and index.max() >= arr.shape[0]:
            raise ParameterError(
                f"{name}: expected at least {int(index.max()) + 1} frames to match "
                f"alignment.{field}, got {arr.shape[0]}; pass features computed on the "
                "same utterance (and frame period) as the aligned ones"
            )
    return np.hstack([x[alignment.source_index], y[alignment.target_index]])
