r"""Conversion with a fitted joint GMM: MMSE, MLPG, global variance and log-F0.

Notes
-----
With source features ``X_t = [x_t, dx_t]`` and target features
``Y_t = [y_t, dy_t] = W_t c`` (``c`` the static target trajectory, ``W`` the
stacked windows of :mod:`gmmvc.deltas`), the conditional density of component
``m`` is ``N(Y_t; E_{m,t}, D_m)`` with ``E_{m,t} = A_m X_t + b_m`` (see
:mod:`gmmvc.gmm`).

*MMSE* (frame by frame, Toda et al. 2007, eq. 11):
``y_t = sum_m P(m | X_t) E_{m,t}``.

*MLPG* (Toda et al. 2007, eq. 18-19): choose per frame the component
``m_t = argmax_m P(m | X_t)`` and maximise ``sum_t log N(W_t c; E_{m_t,t}, D_{m_t})``
over ``c``. Setting the gradient to zero gives the normal equations

.. math:: W^\top \bar D^{-1} W \, c = W^\top \bar D^{-1} \bar E,

where ``bar D^-1`` is block diagonal with the per-frame precisions. ``W^T
bar D^-1 W`` is symmetric positive definite and banded (frames couple only
through the window taps), so it is solved by a banded Cholesky
(:func:`scipy.linalg.solveh_banded`) in ``O(T D^3 L^2)`` rather than as a dense
``(T D)^2`` system.

*MLPG over all mixtures* (Toda et al. 2007, sec. III-C) replaces the single
component by EM: the E-step computes ``gamma_{t,m} = P(m | X_t, Y_t)`` at the
current trajectory, the M-step solves the normal equations with
``bar D^-1_t = sum_m gamma_{t,m} D_m^-1`` and
``bar D^-1_t bar E_t = sum_m gamma_{t,m} D_m^-1 E_{m,t}``.
The likelihood ``log p(W c | X)`` never decreases.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.special import logsumexp

from ._threads import single_blas_thread
from ._validation import as_float_array, check_finite_result, check_positive
from .deltas import (
    DEFAULT_WINDOWS,
    Windows,
    _check_windows,
    _windows_transpose,
    apply_windows,
)
from .exceptions import ConvergenceWarning, ParameterError
from .gmm import JointGMM

__all__ = [
    "mlpg",
    "convert_mmse",
    "convert_mlpg",
    "convert_mlpg_em",
    "trajectory_log_likelihood",
    "GlobalVariance",
    "global_variance",
    "gv_postfilter",
    "convert_mlpg_gv",
    "ModulationSpectrum",
    "modulation_spectrum",
    "modulation_statistics",
    "ms_postfilter",
    "F0Statistics",
    "convert_f0",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- MLPG kernel


def _tap_matrix(
    windows: list[np.ndarray], half: int, frame: int = -1, n_frames: int = 0
) -> np.ndarray:
    """Window weights by frame offset: ``taps[k, h + o]`` weighs frame ``t + o`` in window k.

    With ``frame`` given, the edge rule of :func:`gmmvc.deltas.apply_windows` is
    applied for that frame of an ``n_frames`` sequence: a tap that reads past an
    end reads the end frame instead, so its weight moves there.
    """
    taps = np.zeros((len(windows), 2 * half + 1))
    for k, coef in enumerate(windows):
        for j, w in enumerate(coef):
            offset = j - coef.size // 2
            if frame >= 0:
                offset = min(max(frame + offset, 0), n_frames - 1) - frame
            taps[k, half + offset] += w
    return taps


@functools.lru_cache(maxsize=16)
def _stripe_index(n_pos: int, dim: int) -> np.ndarray:
    """Flat indices into a local ``(n, n)`` matrix (``n = n_pos * dim``) of its upper band.

    Entry ``[a, rho, b]`` is the local entry in row ``a * dim + b + rho - u`` and
    column ``a * dim + b`` (``u = n - 1``): column ``(a, b)`` as upper banded
    storage lays it out; ``n * n`` (a zero) where the row would be negative.
    """
    n = n_pos * dim
    u = n - 1
    col = np.arange(n_pos)[:, None, None] * dim + np.arange(dim)[None, None, :]
    row = col + np.arange(u + 1)[None, :, None] - u
    return np.where(row >= 0, row * n + col, n * n)


class _NormalMatrix:
    """``W^T P W`` in upper banded storage, each frame's precision drawn from a fixed set.

    A frame ``t`` with precision ``P`` adds ``L = T^T P T`` to the frames
    ``t - h .. t + h`` it reads (``T`` its taps, ``h`` the widest window's half
    width). ``L`` is precomputed for each of the ``N`` given precisions and cut
    into the column stripes of banded storage, so assembling the matrix is one
    gather (a component index per frame) or one product (weights over the
    ``N`` precisions per frame, MLPG-EM) per local position: no per-frame
    matrix products and no Python loop over frames. The few frames near the
    ends whose taps the edge rule clips get their own local matrices.
    """

    def __init__(self, precisions: np.ndarray, windows: list[np.ndarray]) -> None:
        self.windows = windows
        self.precisions = precisions  # (N, K*D, K*D)
        self.n_win = len(windows)
        self.dim = precisions.shape[1] // self.n_win
        self.half = max(w.size // 2 for w in windows)
        self.n_pos = 2 * self.half + 1
        self.u = self.n_pos * self.dim - 1  # super-diagonals
        self.stripes = self._stripes(precisions, _tap_matrix(windows, self.half))

    def _stripes(self, precisions: np.ndarray, taps: np.ndarray) -> np.ndarray:
        """(n_pos, N, u + 1, D) stripes of ``taps^T P taps`` for each precision."""
        n_prec = precisions.shape[0]
        blocks = precisions.reshape(n_prec, self.n_win, self.dim, self.n_win, self.dim)
        path = "nka,nkilj,nlb->naibj" if taps.ndim == 3 else "ka,nkilj,lb->naibj"
        local = np.einsum(path, taps, blocks, taps, optimize=True)
        flat = np.zeros((n_prec, local[0].size + 1))  # a trailing zero for the masked entries
        flat[:, :-1] = local.reshape(n_prec, -1)
        return np.ascontiguousarray(flat[:, _stripe_index(self.n_pos, self.dim)].swapaxes(0, 1))

    def banded(self, select: np.ndarray) -> np.ndarray:
        """Assemble ``ab`` (u + 1, T * D) for :func:`scipy.linalg.solveh_banded`.

        ``select`` is a precision index per frame (T,) or weights over the
        precisions per frame (T, N).
        """
        n_frames, h, dim = select.shape[0], self.half, self.dim
        acc = np.zeros((n_frames, self.u + 1, dim))
        lo, hi = h, max(h, n_frames - h)  # frames whose taps all fall inside
        if hi > lo:
            inner = select[lo:hi]
            for a in range(self.n_pos):  # position a of frame t is frame t + a - h
                stripe = self.stripes[a]  # (N, u + 1, D)
                if select.ndim == 1:
                    add = stripe[inner]
                else:
                    add = (inner @ stripe.reshape(stripe.shape[0], -1)).reshape(
                        -1, *stripe.shape[1:]
                    )
                acc[lo + a - h : hi + a - h] += add
        edges = [t for t in range(n_frames) if t < lo or t >= hi]
        if edges:
            if select.ndim == 1:
                prec = self.precisions[select[edges]]
            else:
                flat = self.precisions.reshape(self.precisions.shape[0], -1)
                prec = (select[edges] @ flat).reshape(len(edges), *self.precisions.shape[1:])
            taps = np.stack([_tap_matrix(self.windows, h, t, n_frames) for t in edges])
            stripes = self._stripes(prec, taps)
            for e, t in enumerate(edges):
                for a in range(self.n_pos):
                    if 0 <= t + a - h < n_frames:  # clipped taps leave outside positions at 0
                        acc[t + a - h] += stripes[a, e]
        return acc.transpose(1, 0, 2).reshape(self.u + 1, n_frames * dim)


def _factor_banded(ab: np.ndarray, rhs: np.ndarray, who: str) -> np.ndarray:
    """Check the MLPG normal equations ``ab c = rhs`` and Cholesky-factor ``ab`` (upper)."""
    check_finite_result(ab, who, "the precisions")
    check_finite_result(rhs, who, "the means and precisions")
    try:
        return linalg.cholesky_banded(ab, lower=False, check_finite=False)
    except linalg.LinAlgError:
        raise ParameterError(
            f"{who}: W^T P W is not positive definite; the model's conditional covariances are "
            "degenerate. Refit with a larger reg_covar"
        ) from None


def _solve_banded(ab: np.ndarray, rhs: np.ndarray, dim: int, who: str) -> np.ndarray:
    """Solve the MLPG normal equations ``ab c = rhs`` (rhs (T, D)); returns ``c`` (T, D)."""
    factor = _factor_banded(ab, rhs, who)
    c = linalg.cho_solve_banded((factor, False), rhs.ravel(), check_finite=False)
    check_finite_result(c, who, "the means and precisions")
    return c.reshape(-1, dim)


@single_blas_thread
def mlpg(
    means: np.ndarray,
    precisions: np.ndarray,
    windows: Windows = DEFAULT_WINDOWS,
) -> np.ndarray:
    """Maximum-likelihood static trajectory from per-frame static+dynamic Gaussians.

    Parameters
    ----------
    means : array_like, shape (T, K * D)
        Per-frame means of ``[c_t, dc_t, ...]``, window-major within a frame.
    precisions : array_like, shape (T, K * D, K * D) or (T, K * D)
        Per-frame precision matrices (full), or their diagonals.
    windows : sequence of sequences of float, default DEFAULT_WINDOWS
        The ``K`` windows the means were built with.

    Returns
    -------
    numpy.ndarray, shape (T, D)
        ``c`` solving ``W^T P W c = W^T P mu``.

    Raises
    ------
    ParameterError
        On shape mismatch, non-finite input or a singular system.

    Notes
    -----
    The system is assembled in banded form and solved by banded Cholesky
    (:func:`scipy.linalg.solveh_banded`); see the module notes for the
    equations (Toda, Black and Tokuda 2007, eq. 19).

    Examples
    --------
    >>> import numpy as np
    >>> from gmmvc.deltas import apply_windows
    >>> c = np.array([[0.0], [1.0], [3.0], [2.0]])
    >>> np.round(mlpg(apply_windows(c), np.ones((4, 2))), 10) + 0.0
    array([[0.],
           [1.],
           [3.],
           [2.]])
    """
    wins = _check_windows(windows)
    means = as_float_array(means, "means", ndim=2, min_len=1)
    n_frames, kd = means.shape
    if kd == 0 or kd % len(wins):
        raise ParameterError(
            f"means: expected a positive multiple of {len(wins)} columns (one block per "
            f"window), got {kd}"
        )
    precisions = as_float_array(precisions, "precisions", ndim=(2, 3))
    if precisions.ndim == 2:
        if precisions.shape != means.shape:
            raise ParameterError(
                f"precisions: expected shape {means.shape} (diagonal), got {precisions.shape}"
            )
        full = np.zeros((n_frames, kd, kd))
        full[:, np.arange(kd), np.arange(kd)] = precisions
        precisions = full
    elif precisions.shape != (n_frames, kd, kd):
        raise ParameterError(
            f"precisions: expected shape {(n_frames, kd, kd)}, got {precisions.shape}"
        )
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite results are reported
        ab = _NormalMatrix(precisions, wins).banded(np.arange(n_frames))
        rhs = _windows_transpose(np.einsum("tij,tj->ti", precisions, means), wins)
    return _solve_banded(ab, rhs, kd // len(wins), "MLPG")


# --------------------------------------------------------------------------- GMM conversion


def _check_gmm_input(gmm: JointGMM, x: np.ndarray, windows: Windows) -> np.ndarray:
    cond = gmm._check_fitted()
    x = as_float_array(x, "x", ndim=2, min_len=1)
    n_src = cond.source_means.shape[1]
    if x.shape[1] * len(windows) == n_src:  # statics given: append the dynamic features
        x = apply_windows(x, windows)
    if x.shape[1] != n_src:
        raise ParameterError(
            f"x: expected {n_src // len(windows)} static (or {n_src} static+dynamic) "
            f"source dimensions, got {x.shape[1]}"
        )
    return x


@single_blas_thread
def convert_mmse(gmm: JointGMM, x: np.ndarray, *, windows: Windows = DEFAULT_WINDOWS) -> np.ndarray:
    """Frame-wise minimum mean-square-error conversion of a source trajectory.

    Parameters
    ----------
    gmm : JointGMM
        Fitted on ``[X, Y]`` with ``X = apply_windows(x, windows)``.
    x : array_like, shape (T, D) or (T, K * D)
        Source statics (dynamic features are appended) or statics+dynamics.
    windows : sequence of sequences of float, default DEFAULT_WINDOWS

    Returns
    -------
    numpy.ndarray, shape (T, D)
        The static part of ``E[Y_t | X_t]``.

    Raises
    ------
    NotFittedError
        If ``gmm`` is not fitted.
    ParameterError
        On a dimension mismatch.

    Notes
    -----
    ``y_t = sum_m P(m | X_t) (A_m X_t + b_m)`` (Toda et al. 2007, eq. 11).

    Examples
    --------
    >>> import numpy as np
    >>> from gmmvc.deltas import apply_windows
    >>> from gmmvc.gmm import JointGMM
    >>> rng = np.random.default_rng(0)
    >>> x = np.cumsum(rng.normal(size=(400, 1)), axis=0)  # a random-walk trajectory
    >>> joint = np.hstack([apply_windows(x), apply_windows(2 * x + 1)])
    >>> gmm = JointGMM(1, random_state=0).fit(joint, n_source_dims=2)
    >>> y = convert_mmse(gmm, x)
    >>> y.shape, bool(np.allclose(y, 2 * x + 1, atol=0.01))
    ((400, 1), True)
    """
    wins = _check_windows(windows)
    X = _check_gmm_input(gmm, x, wins)
    dim = X.shape[1] // len(wins)
    cond = gmm.conditional_
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.einsum("tm,tmi->ti", cond.posteriors(X), cond.conditional_means(X)[:, :, :dim])
    return check_finite_result(y, "convert_mmse", "x")


@single_blas_thread
def convert_mlpg(gmm: JointGMM, x: np.ndarray, *, windows: Windows = DEFAULT_WINDOWS) -> np.ndarray:
    """MLPG conversion with the most likely component per frame.

    Parameters
    ----------
    gmm : JointGMM
        Fitted on ``[X, Y]`` with ``X = apply_windows(x, windows)``.
    x : array_like, shape (T, D) or (T, K * D)
        Source statics (dynamic features are appended) or statics+dynamics.
    windows : sequence of sequences of float, default DEFAULT_WINDOWS

    Returns
    -------
    numpy.ndarray, shape (T, D)
        The static trajectory maximising ``sum_t log N(W_t c; E_{m_t,t}, D_{m_t})``.

    Raises
    ------
    NotFittedError
        If ``gmm`` is not fitted.
    ParameterError
        On a dimension mismatch.

    Notes
    -----
    Solves ``W^T D^-1 W c = W^T D^-1 E`` with ``m_t = argmax_m P(m | X_t)``
    (Toda, Black and Tokuda 2007, eq. 18-19) by :func:`mlpg`.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmvc.deltas import apply_windows
    >>> from gmmvc.gmm import JointGMM
    >>> rng = np.random.default_rng(0)
    >>> x = np.cumsum(rng.normal(size=(400, 1)), axis=0)  # a random-walk trajectory
    >>> joint = np.hstack([apply_windows(x), apply_windows(2 * x + 1)])
    >>> gmm = JointGMM(1, random_state=0).fit(joint, n_source_dims=2)
    >>> y = convert_mlpg(gmm, x)
    >>> y.shape, bool(np.allclose(y, 2 * x + 1, atol=0.01))
    ((400, 1), True)
    """
    wins = _check_windows(windows)
    X = _check_gmm_input(gmm, x, wins)
    ab, rhs, _ = _best_component_system(gmm, X, wins)
    return _solve_banded(ab, rhs, X.shape[1] // len(wins), "MLPG")


def _frames_by_component(best: np.ndarray, n_components: int) -> list[tuple[int, np.ndarray]]:
    """``(m, frames)`` for each component that is the most likely one somewhere."""
    order = np.argsort(best, kind="stable")
    bounds = np.searchsorted(best[order], np.arange(n_components + 1))
    return [(int(m), order[bounds[m] : bounds[m + 1]]) for m in np.flatnonzero(np.diff(bounds))]


def _best_component_system(
    gmm: JointGMM, X: np.ndarray, windows: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, np.ndarray]]]:
    """MLPG normal equations (banded ``W^T P W``, ``W^T P E``) with the most likely components.

    ``P_m E_{m,t} = (P_m A_m) X_t + P_m b_m`` is computed only for each frame's own
    component, one product per component over the frames it wins (the returned
    grouping, from :func:`_frames_by_component`).
    """
    cond = gmm.conditional_
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite results are reported
        best = np.argmax(cond.source_log_likelihood(X), axis=1)  # (T,)
        groups = _frames_by_component(best, cond.precisions.shape[0])
        precision_means = np.empty((X.shape[0], cond.precisions.shape[1]))
        for m, frames in groups:
            natural = cond.precisions[m] @ cond.A[m]  # (Dy, Dx)
            precision_means[frames] = X[frames] @ natural.T + cond.precisions[m] @ cond.b[m]
        ab = _NormalMatrix(cond.precisions, windows).banded(best)
        rhs = _windows_transpose(precision_means, windows)
    return ab, rhs, groups


class _ConditionalLogTerms:
    """``log P(m | X_t) + log N(Y_t; E_{m,t}, D_m)`` (T, M) for one source and any ``Y``.

    Everything that depends on the source only (posteriors, conditional means) is
    computed once, so MLPG-EM's iterations pay only for the residuals.
    """

    def __init__(self, gmm: JointGMM, X: np.ndarray) -> None:
        cond = gmm.conditional_
        ll_x = cond.source_log_likelihood(X)
        self.log_prior = ll_x - logsumexp(ll_x, axis=1, keepdims=True)
        self.means = np.ascontiguousarray(cond.conditional_means(X).transpose(1, 0, 2))  # M,T,Dy
        self.precisions = cond.precisions
        dy = cond.precisions.shape[1]
        self.log_norm = -0.5 * (np.linalg.slogdet(cond.covariances)[1] + dy * np.log(2 * np.pi))

    def __call__(self, Y: np.ndarray) -> np.ndarray:
        resid = Y[None] - self.means  # (M, T, Dy)
        # r^T D_m^-1 r for all frames: one (T, Dy) x (Dy, Dy) product per component
        maha = np.einsum("mti,mti->tm", resid @ self.precisions, resid)
        return self.log_prior - 0.5 * maha + self.log_norm


@single_blas_thread
def trajectory_log_likelihood(
    gmm: JointGMM,
    x: np.ndarray,
    c: np.ndarray,
    *,
    windows: Windows = DEFAULT_WINDOWS,
) -> float:
    """``log p(W c | X)`` under the conditional mixture, summed over frames.

    Parameters
    ----------
    gmm : JointGMM
    x : array_like, shape (T, D) or (T, K * D)
        Source features.
    c : array_like, shape (T, D)
        Static target trajectory.
    windows : sequence of sequences of float, default DEFAULT_WINDOWS

    Returns
    -------
    float
        ``sum_t log sum_m P(m | X_t) N(W_t c; E_{m,t}, D_m)``.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmvc.deltas import apply_windows
    >>> from gmmvc.gmm import JointGMM
    >>> rng = np.random.default_rng(0)
    >>> x = np.cumsum(rng.normal(size=(400, 1)), axis=0)  # a random-walk trajectory
    >>> joint = np.hstack([apply_windows(x), apply_windows(2 * x + 1)])
    >>> gmm = JointGMM(1, random_state=0).fit(joint, n_source_dims=2)
    >>> right = trajectory_log_likelihood(gmm, x, 2 * x + 1)
    >>> right > trajectory_log_likelihood(gmm, x, 2 * x + 1.1)
    True
    """
    wins = _check_windows(windows)
    X = _check_gmm_input(gmm, x, wins)
    Y = apply_windows(as_float_array(c, "c", ndim=2, min_len=1), wins)
    return float(logsumexp(_ConditionalLogTerms(gmm, X)(Y), axis=1).sum())


@single_blas_thread
def convert_mlpg_em(
    gmm: JointGMM,
    x: np.ndarray,
    *,
    windows: Windows = DEFAULT_WINDOWS,
    max_iter: int = 30,
    tol: float = 1e-3,
    history: list[float] | None = None,
) -> np.ndarray:
    """MLPG over all mixture components by EM (Toda et al. 2007, sec. III-C).

    Starts from the single-component solution of :func:`convert_mlpg` and
    alternates posteriors ``P(m | X_t, W_t c)`` and the trajectory until the
    per-frame log-likelihood gain falls below ``tol``.

    Parameters
    ----------
    gmm : JointGMM
    x : array_like, shape (T, D) or (T, K * D)
    windows : sequence of sequences of float, default DEFAULT_WINDOWS
    max_iter : int, default 30
        Maximum EM iterations.
    tol : float, default 1e-3
        Stop when the log-likelihood per frame improves by less than this
        (EM converges linearly here: on speech most of the gain comes in the
        first few steps, then it creeps).
    history : list, optional
        If given, ``log p(W c | X)`` is appended to it after each step (the
        first entry is the single-component starting point).

    Returns
    -------
    numpy.ndarray, shape (T, D)

    Warns
    -----
    ConvergenceWarning
        If ``max_iter`` is reached first.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmvc.deltas import apply_windows
    >>> from gmmvc.gmm import JointGMM
    >>> rng = np.random.default_rng(0)
    >>> x = np.cumsum(rng.normal(size=(400, 1)), axis=0)  # a random-walk trajectory
    >>> joint = np.hstack([apply_windows(x), apply_windows(2 * x + 1)])
    >>> gmm = JointGMM(1, random_state=0).fit(joint, n_source_dims=2)
    >>> history = []
    >>> y = convert_mlpg_em(gmm, x, history=history)
    >>> bool(np.allclose(y, 2 * x + 1, atol=0.01)), history[-1] >= history[0]
    (True, True)
    """
    check_positive(max_iter, "max_iter", integer=True)
    check_positive(tol, "tol")
    wins = _check_windows(windows)
    X = _check_gmm_input(gmm, x, wins)
    cond = gmm.conditional_
    n_frames = X.shape[0]
    log_terms = _ConditionalLogTerms(gmm, X)
    PE = (log_terms.means @ cond.precisions).transpose(1, 0, 2)  # (T, M, Dy); D_m^-1 sym.
    normal = _NormalMatrix(cond.precisions, wins)
    dim = X.shape[1] // len(wins)
    c = convert_mlpg(gmm, X, windows=wins)
    terms = log_terms(apply_windows(c, wins))
    trace = [float(logsumexp(terms, axis=1).sum())]
    converged = False
    for _ in range(max_iter):
        gamma = np.exp(terms - logsumexp(terms, axis=1, keepdims=True))  # (T, M)
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite results are reported
            ab = normal.banded(gamma)
            rhs = _windows_transpose(np.einsum("tm,tmi->ti", gamma, PE), wins)
        c = _solve_banded(ab, rhs, dim, "MLPG-EM")
        terms = log_terms(apply_windows(c, wins))
        trace.append(float(logsumexp(terms, axis=1).sum()))
        if trace[-1] - trace[-2] < tol * n_frames:
            converged = True
            break
    if not converged:
        warnings.warn(
            f"MLPG-EM did not converge in max_iter={max_iter} iterations; increase max_iter",
            ConvergenceWarning,
            stacklevel=3,  # the caller, past the single_blas_thread wrapper
        )
    if history is not None:
        history.extend(trace)
    return c


# --------------------------------------------------------------------------- global variance


@dataclass(frozen=True)
class GlobalVariance:
    """Global-variance statistics of a speaker's static features.

    Attributes
    ----------
    mean : numpy.ndarray, shape (D,)
        Mean over utterances of each dimension's within-utterance variance.
    var : numpy.ndarray, shape (D,)
        Variance over utterances of that within-utterance variance.

    Examples
    --------
    >>> import numpy as np
    >>> gv = GlobalVariance(mean=np.array([4.0, 1.0]), var=np.array([0.5, 0.1]))
    >>> gv_postfilter(np.array([[0.0, 0.0], [1.0, 1.0]]), gv).var(axis=0)
    array([4., 1.])
    """

    mean: np.ndarray
    var: np.ndarray


def global_variance(utterances: Windows) -> GlobalVariance:
    """Global-variance statistics over utterances (Toda et al. 2007, sec. IV).

    Parameters
    ----------
    utterances : sequence of array_like, each (T_i, D)
        Static features of one speaker, one array per utterance (speech frames).

    Returns
    -------
    GlobalVariance

    Raises
    ------
    ParameterError
        If there are no utterances or their dimensions differ.

    Examples
    --------
    >>> import numpy as np
    >>> gv = global_variance([np.array([[0.0], [2.0]]), np.array([[1.0], [5.0]])])
    >>> gv.mean, gv.var
    (array([2.5]), array([2.25]))
    """
    if len(utterances) == 0:
        raise ParameterError("utterances: expected at least one utterance, got none")
    arrays = [
        as_float_array(u, f"utterances[{i}]", ndim=2, min_len=1) for i, u in enumerate(utterances)
    ]
    if len({a.shape[1] for a in arrays}) != 1:
        raise ParameterError(
            "utterances: expected the same number of dimensions in every utterance, got "
            f"{sorted({a.shape[1] for a in arrays})}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        per_utt = np.stack([a.var(axis=0) for a in arrays])  # (n_utterances, D)
        gv = GlobalVariance(mean=per_utt.mean(axis=0), var=per_utt.var(axis=0))
    check_finite_result(gv.var, "global_variance", "the utterances")
    return gv


@single_blas_thread
def gv_postfilter(
    c: np.ndarray,
    target: GlobalVariance,
    *,
    weight: float = 1.0,
    frames: np.ndarray | None = None,
) -> np.ndarray:
    """Scale each dimension's utterance variance toward the target's global variance.

    Parameters
    ----------
    c : array_like, shape (T, D)
        Converted static trajectory (typically the speech frames of an utterance).
    target : GlobalVariance
        The target speaker's statistics.
    weight : float, default 1.0
        Morphing weight in ``[0, 1]``: 0 leaves ``c`` unchanged, 1 matches the
        target's mean global variance.
    frames : array_like of bool, shape (T,), optional
        Frames on which the utterance mean and variance are measured (e.g.
        speech only, as the target's statistics were); all frames when
        ``None``. The scaling is applied to every frame.

    Returns
    -------
    numpy.ndarray, shape (T, D)

    Notes
    -----
    ``c'_t = mu + (1 - w + w sqrt(v_target / v(c))) (c_t - mu)`` where ``mu``
    and ``v(c)`` are the utterance mean and variance of each dimension.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> out = gv_postfilter(c, GlobalVariance(np.array([5.0]), np.array([1.0])))
    >>> round(float(out.var()), 6)
    5.0
    """
    c = as_float_array(c, "c", ndim=2, min_len=1, n_cols=np.asarray(target.mean).shape[0])
    if not 0.0 <= weight <= 1.0:
        raise ParameterError(f"weight: expected a value in [0, 1], got {weight}")
    sel = c
    if frames is not None:
        mask = np.asarray(frames, dtype=bool)
        if mask.shape != (c.shape[0],):
            raise ParameterError(
                f"frames: expected a boolean mask of shape ({c.shape[0]},), got {mask.shape}"
            )
        if mask.sum() >= 2:
            sel = c[mask]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        mu = sel.mean(axis=0)
        var = sel.var(axis=0)
        ratio = np.sqrt(np.divide(target.mean, var, out=np.ones_like(var), where=var > 0))
        out = mu + (1.0 - weight + weight * ratio) * (c - mu)
    return check_finite_result(out, "gv_postfilter", "c and the target statistics")


# --------------------------------------------------------------------------- F0


@dataclass(frozen=True)
class F0Statistics:
    """Mean and standard deviation of a speaker's log-F0 over voiced frames.

    Attributes
    ----------
    mean : float
        Mean of the natural log of F0 (Hz) over voiced frames.
    std : float
        Its standard deviation, ``> 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmvc.features import log_f0_stats
    >>> stats = F0Statistics(*log_f0_stats(np.array([0.0, 100.0, 400.0])))
    >>> round(float(np.exp(stats.mean)), 6), round(float(stats.std / np.log(2)), 6)
    (200.0, 1.0)
    """

    mean: float
    std: float


def convert_f0(f0: np.ndarray, source: F0Statistics, target: F0Statistics) -> np.ndarray:
    """Convert F0 by matching log-F0 mean and variance; unvoiced frames stay 0.

    Parameters
    ----------
    f0 : array_like, shape (T,)
        Source F0 in Hz, 0 where unvoiced.
    source, target : F0Statistics
        The speakers' log-F0 statistics.

    Returns
    -------
    numpy.ndarray, shape (T,)

    Notes
    -----
    ``log f0' = mu_y + (sigma_y / sigma_x) (log f0 - mu_x)`` on voiced frames.

    Examples
    --------
    >>> import numpy as np
    >>> src = F0Statistics(np.log(100.0), 0.1)
    >>> tgt = F0Statistics(np.log(200.0), 0.1)
    >>> convert_f0(np.array([0.0, 100.0, 110.0]), src, tgt)
    array([  0., 200., 220.])
    """
    f0 = as_float_array(f0, "f0", ndim=1)
    if np.any(f0 < 0):
        raise ParameterError("f0: expected non-negative values (0 = unvoiced), got negatives")
    for name, st in (("source", source), ("target", target)):
        if not (np.isfinite(st.mean) and np.isfinite(st.std) and st.std > 0):
            raise ParameterError(f"{name}: expected finite log-F0 mean and positive std, got {st}")
    out = np.zeros_like(f0)
    voiced = f0 > 0
    with np.errstate(over="ignore", invalid="ignore"):
        out[voiced] = np.exp(
            target.mean + (target.std / source.std) * (np.log(f0[voiced]) - source.mean)
        )
    return check_finite_result(out, "convert_f0", "f0 and the log-F0 statistics")


#: Steps of GV generation between refreshes of its preconditioner's low-rank part (each
#: refresh costs one banded solve per dimension). Of 3, 5 and 8 on ten VCC 2016 sentences,
#: 5 ended closest to the maximum, in about the time of 8 and less than that of 3.
GV_REFRESH = 5


@single_blas_thread
def convert_mlpg_gv(
    gmm: JointGMM,
    x: np.ndarray,
    gv: GlobalVariance,
    *,
    windows: Windows = DEFAULT_WINDOWS,
    max_iter: int = 100,
    tol: float = 1e-5,
    history: list[float] | None = None,
) -> np.ndarray:
    r"""Parameter generation considering global variance (Toda et al. 2007, sec. IV).

    Maximises

    .. math:: L(c) = \omega \log N(W c; \bar E, \bar D)
                     + \log N(v(c); \mu_v, \mathrm{diag}\,\sigma^2_v),
              \qquad \omega = 1 / (2T),

    where ``v(c)`` is the utterance variance of each dimension of ``c`` and
    the mixture sequence is the most likely one (as in :func:`convert_mlpg`).
    It starts from the MLPG solution scaled to the target global variance
    (Toda's suggested initialisation) and climbs by nonlinear conjugate
    gradients (Polak-Ribiere). The preconditioner is the Gauss-Newton
    curvature: the trajectory term's banded Hessian ``omega W^T P W``
    (factored once) plus, per dimension, the GV term's rank-one curvature
    along that dimension's centred trajectory, applied by the Woodbury
    identity and refreshed every :data:`GV_REFRESH` steps. Without the
    rank-one part the stiff GV directions take hundreds of steps. Along
    each direction ``L`` is a quartic polynomial whose coefficients cost one
    banded matrix-vector product, so every line search is exact and ``L``
    never decreases.

    Parameters
    ----------
    gmm : JointGMM
    x : array_like, shape (T, D) or (T, K * D)
        Source features.
    gv : GlobalVariance
        The target speaker's global-variance statistics (``D`` dims).
    windows : sequence of sequences of float, default DEFAULT_WINDOWS
    max_iter : int, default 100
    tol : float, default 1e-5
        Stop when ``L`` improves by less than ``tol * |L|``.
    history : list, optional
        ``L`` is appended after each step (first: the starting point).

    Returns
    -------
    numpy.ndarray, shape (T, D)

    Warns
    -----
    ConvergenceWarning
        If ``max_iter`` is reached first.

    Examples
    --------
    MLPG output varies less than the target; generation with GV restores it:

    >>> import numpy as np
    >>> from gmmvc.deltas import apply_windows
    >>> from gmmvc.gmm import JointGMM
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 1))
    >>> y = x + rng.normal(size=(500, 1))  # detail the source cannot predict
    >>> joint = np.hstack([apply_windows(x), apply_windows(y)])
    >>> gmm = JointGMM(1, random_state=0).fit(joint, n_source_dims=2)
    >>> gv = global_variance([y])
    >>> bool(convert_mlpg(gmm, x).var() < 0.6 * gv.mean[0])
    True
    >>> c = convert_mlpg_gv(gmm, x, gv)
    >>> bool(abs(c.var() / gv.mean[0] - 1) < 0.05)
    True
    """
    check_positive(max_iter, "max_iter", integer=True)
    check_positive(tol, "tol")
    wins = _check_windows(windows)
    X = _check_gmm_input(gmm, x, wins)
    n_frames = X.shape[0]
    dim = X.shape[1] // len(wins)
    gv_mean = as_float_array(gv.mean, "gv.mean", ndim=1, n_cols=dim)
    gv_prec = 1.0 / np.maximum(as_float_array(gv.var, "gv.var", ndim=1, n_cols=dim), 1e-12)
    omega = 1.0 / (2.0 * n_frames)
    ab, rhs, groups = _best_component_system(gmm, X, wins)
    factor = _factor_banded(ab, rhs, "MLPG-GV")
    rhs = rhs.ravel()
    precisions = gmm.conditional_.precisions

    def times_a(v: np.ndarray) -> np.ndarray:  # W^T P W v: one product per component
        o = apply_windows(v, wins)
        for m, frames in groups:
            o[frames] = o[frames] @ precisions[m]  # symmetric
        return _windows_transpose(o, wins)

    # log N(W c; E, D) = c . rhs - c^T A c / 2 + const with A = W^T P W
    c_mlpg = linalg.cho_solve_banded((factor, False), rhs, check_finite=False)
    c = gv_postfilter(c_mlpg.reshape(n_frames, dim), gv)
    rhs = rhs.reshape(n_frames, dim)
    ac = times_a(c)
    v = c.var(axis=0)
    value = float(omega * np.sum(c * (rhs - 0.5 * ac)) - 0.5 * np.sum((v - gv_mean) ** 2 * gv_prec))
    trace = [value]
    # Gauss-Newton curvature of the GV term: (4 / T^2) gv_prec_k z_k z_k^T for each dim k,
    # z_k the centred trajectory of dim k; Woodbury with the trajectory term's factor
    dims = np.arange(dim)
    curvature_inv = np.diag(n_frames**2 / (4.0 * gv_prec))
    for step_no in range(max_iter):
        centred = c - c.mean(axis=0)
        if step_no % GV_REFRESH == 0:  # refresh the low-rank part; restart the directions
            columns = np.zeros((n_frames, dim, dim))
            columns[:, dims, dims] = basis = centred
            solved = linalg.cho_solve_banded(
                (factor, False), columns.reshape(-1, dim), check_finite=False
            ) / omega  # (omega W^T P W)^-1 Z, (T * D, D)
            inner = np.einsum("tj,tjk->jk", basis, solved.reshape(n_frames, dim, dim))
            core = linalg.cho_factor(curvature_inv + inner)
            direction = grad_prev = z_prev = np.zeros_like(c)
        grad = omega * (rhs - ac) - (2.0 / n_frames) * centred * ((v - gv_mean) * gv_prec)
        z = linalg.cho_solve_banded((factor, False), grad.ravel(), check_finite=False)
        z = z.reshape(n_frames, dim) / omega
        z -= (solved @ linalg.cho_solve(core, np.sum(basis * z, axis=0))).reshape(n_frames, dim)
        # Polak-Ribiere (0 after each refresh), restarted when it stops ascending
        previous = float(np.sum(z_prev * grad_prev))
        beta = max(0.0, float(np.sum(z * (grad - grad_prev))) / previous) if previous else 0.0
        direction = z + beta * direction
        if np.sum(direction * grad) <= 0.0:
            direction = z
        ad = times_a(direction)
        # L(c + s d) = omega (t0 + t1 s - t2 s^2 / 2) - sum_k (e_k + f_k s + g_k s^2)^2 / (2 var_k)
        t1 = float(np.sum(direction * (rhs - ac)))
        t2 = float(np.sum(direction * ad))
        e = v - gv_mean
        f = 2.0 * np.mean(centred * direction, axis=0)
        g = direction.var(axis=0)
        slope = [  # dL/ds, a cubic in s
            -2.0 * np.sum(gv_prec * g * g),
            -3.0 * np.sum(gv_prec * f * g),
            -np.sum(gv_prec * (2.0 * e * g + f * f)) - omega * t2,
            omega * t1 - np.sum(gv_prec * e * f),
        ]
        roots = np.roots(slope)
        steps = roots[np.abs(roots.imag) <= 1e-9 * (1.0 + np.abs(roots.real))].real
        if steps.size == 0:
            break
        gains = [
            omega * (t1 * s - 0.5 * t2 * s * s)
            - 0.5 * np.sum(((e + f * s + g * s * s) ** 2 - e * e) * gv_prec)
            for s in steps
        ]
        best = int(np.argmax(gains))
        gain, step = float(gains[best]), float(steps[best])
        if not gain > 0.0:
            break  # no ascent along the direction: at a stationary point
        c = c + step * direction
        ac = ac + step * ad
        v = c.var(axis=0)
        value += gain
        trace.append(value)
        grad_prev, z_prev = grad, z
        if gain < tol * abs(value):
            break
    else:
        warnings.warn(
            f"MLPG-GV did not converge in max_iter={max_iter} iterations; increase max_iter",
            ConvergenceWarning,
            stacklevel=3,  # the caller, past the single_blas_thread wrapper
        )
    if history is not None:
        history.extend(trace)
    return c


# --------------------------------------------------------------------------- modulation spectrum


#: Smallest standard deviation (in nats of log power) the MS postfilter divides by.
MS_STD_FLOOR = 0.05

#: Largest factor (and its inverse the smallest) by which the MS postfilter scales a
#: log-spectral deviation. A log periodogram's standard deviation is ~1.28 nats (pi / sqrt 6)
#: for any speaker, so well-estimated ratios stay near 1; far from it they are estimation
#: noise (few training segments), and scaling log power by them made trajectories explode
#: (a 3-utterance model: mel-cepstrum peak 3 -> 8e15).
MS_RATIO_LIMIT = 2.0


@dataclass(frozen=True)
class ModulationSpectrum:
    """Per-dimension log modulation-spectrum statistics of a set of trajectories.

    Attributes
    ----------
    mean, std : numpy.ndarray, shape (n_fft // 2 + 1, D)
        Mean and standard deviation over utterances of the log power
        modulation spectrum of each dimension.
    n_fft : int
        FFT length (in frames) the spectra were computed with.

    Examples
    --------
    >>> import numpy as np
    >>> ms = modulation_statistics([np.random.default_rng(0).normal(size=(100, 3))], n_fft=128)
    >>> ms.mean.shape, ms.n_fft
    ((65, 3), 128)
    """

    mean: np.ndarray
    std: np.ndarray
    n_fft: int


def _segments(n_frames: int, n_fft: int) -> list[slice]:
    """Consecutive segments of at most ``n_fft`` frames covering ``n_frames``."""
    return [slice(s, min(s + n_fft, n_frames)) for s in range(0, n_frames, n_fft)]


def modulation_spectrum(c: np.ndarray, *, n_fft: int) -> np.ndarray:
    """Log power modulation spectrum of each dimension of a trajectory.

    Each dimension is treated on its own: the mean-removed trajectory of
    dimension ``d`` along time is transformed by a 1-D FFT of ``n_fft``
    points (zero-padded), never a 2-D transform over time and coefficients.

    Parameters
    ----------
    c : array_like, shape (T, D)
        Static trajectory, ``T <= n_fft``.
    n_fft : int
        FFT length in frames.

    Returns
    -------
    numpy.ndarray, shape (n_fft // 2 + 1, D)
        ``log(|FFT_d|^2 / T + eps)``.

    Examples
    --------
    A sinusoid of period 8 frames peaks at bin ``n_fft / 8``:

    >>> import numpy as np
    >>> c = np.sin(2 * np.pi * np.arange(64) / 8)[:, None]
    >>> spec = modulation_spectrum(c, n_fft=64)
    >>> spec.shape, int(np.argmax(spec[:, 0]))
    ((33, 1), 8)
    """
    c = as_float_array(c, "c", ndim=2, min_len=2)
    check_positive(n_fft, "n_fft", integer=True)
    if c.shape[0] > n_fft:
        raise ParameterError(f"c: expected at most n_fft={n_fft} frames, got {c.shape[0]}")
    with np.errstate(over="ignore", invalid="ignore"):
        spec = np.fft.rfft(c - c.mean(axis=0), n=n_fft, axis=0)
        out = np.log(np.abs(spec) ** 2 / c.shape[0] + 1e-12)
    return check_finite_result(out, "modulation_spectrum", "c")


def modulation_statistics(
    utterances: Sequence[np.ndarray], *, n_fft: int = 2048
) -> ModulationSpectrum:
    """Modulation-spectrum statistics over a speaker's utterances (Takamichi et al.).

    Utterances longer than ``n_fft`` frames contribute one spectrum per
    ``n_fft``-frame segment.

    Parameters
    ----------
    utterances : sequence of array_like, each (T_i, D)
    n_fft : int, default 2048
        FFT length in frames (2048 frames = 10.24 s at 5 ms).

    Returns
    -------
    ModulationSpectrum

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ms = modulation_statistics([rng.normal(size=(300, 2)) for _ in range(3)], n_fft=256)
    >>> ms.mean.shape, ms.std.shape
    ((129, 2), (129, 2))
    """
    if len(utterances) == 0:
        raise ParameterError("utterances: expected at least one utterance, got none")
    spectra = []
    for i, u in enumerate(utterances):
        u = as_float_array(u, f"utterances[{i}]", ndim=2)
        spectra += [
            modulation_spectrum(u[seg], n_fft=n_fft)
            for seg in _segments(u.shape[0], n_fft)
            if seg.stop - seg.start >= 2
        ]
    if not spectra:
        raise ParameterError("utterances: expected utterances of at least 2 frames")
    stack = np.stack(spectra)  # (n, F, D)
    return ModulationSpectrum(mean=stack.mean(axis=0), std=stack.std(axis=0), n_fft=int(n_fft))


@single_blas_thread
def ms_postfilter(
    c: np.ndarray,
    converted: ModulationSpectrum,
    target: ModulationSpectrum,
    *,
    weight: float = 1.0,
) -> np.ndarray:
    r"""Modulation-spectrum postfilter (Takamichi et al. 2014).

    For each dimension separately, the log modulation spectrum of the
    utterance is standardised with the statistics of *converted* training
    utterances and mapped to the target's,

    .. math:: \log S'_d(f) = \mu^{y}_d(f) + \frac{\sigma^{y}_d(f)}{\sigma^{\hat y}_d(f)}
                             \left(\log S_d(f) - \mu^{\hat y}_d(f)\right),

    interpolated with the original by ``weight``; the phase and the utterance
    mean are kept and the trajectory is rebuilt by inverse FFT. When
    ``converted`` and ``target`` are the same statistics the trajectory is
    returned unchanged (up to rounding).

    Parameters
    ----------
    c : array_like, shape (T, D)
        Converted static trajectory.
    converted, target : ModulationSpectrum
        Statistics of converted training trajectories and of the target's.
    weight : float, default 1.0
        In ``[0, 1]``; 0 leaves ``c`` unchanged.

    Returns
    -------
    numpy.ndarray, shape (T, D)

    Examples
    --------
    Mapping onto statistics twice as spread out (in log power) widens the
    trajectory; mapping onto the same statistics leaves it as it was:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> c = np.cumsum(rng.normal(size=(200, 1)), axis=0)
    >>> stats = modulation_statistics([c], n_fft=256)
    >>> bool(np.allclose(ms_postfilter(c, stats, stats), c))
    True
    >>> louder = ModulationSpectrum(stats.mean + np.log(4.0), stats.std, stats.n_fft)
    >>> round(float(ms_postfilter(c, stats, louder).std() / c.std()), 3)
    2.0
    """
    c = as_float_array(c, "c", ndim=2, min_len=1)
    if not 0.0 <= weight <= 1.0:
        raise ParameterError(f"weight: expected a value in [0, 1], got {weight}")
    if converted.n_fft != target.n_fft or converted.mean.shape != target.mean.shape:
        raise ParameterError(
            "converted/target: expected modulation statistics of the same n_fft and dimensions"
        )
    if target.mean.shape[1] != c.shape[1]:
        raise ParameterError(
            f"c: expected {target.mean.shape[1]} dimensions to match the statistics, "
            f"got {c.shape[1]}"
        )
    if weight == 0.0:
        return c.copy()
    n_fft = target.n_fft
    # a log-spectral std below MS_STD_FLOOR (nats) carries no information but would blow up
    # the ratio; the DC bin (the utterance mean, removed before the FFT) is left alone
    ratio = np.maximum(target.std, MS_STD_FLOOR) / np.maximum(converted.std, MS_STD_FLOOR)
    ratio = np.clip(ratio, 1.0 / MS_RATIO_LIMIT, MS_RATIO_LIMIT)
    out = c.copy()
    for seg in _segments(c.shape[0], n_fft):
        part = c[seg]
        if part.shape[0] < 2:
            continue
        mu = part.mean(axis=0)
        spec = np.fft.rfft(part - mu, n=n_fft, axis=0)  # (F, D), per dimension along time
        log_ms = np.log(np.abs(spec) ** 2 / part.shape[0] + 1e-12)
        mapped = target.mean + ratio * (log_ms - converted.mean)
        new_log = (1.0 - weight) * log_ms + weight * mapped
        gain = np.exp(0.5 * (new_log - log_ms))  # magnitude gain; the phase is kept
        gain[0] = 1.0
        out[seg] = mu + np.fft.irfft(spec * gain, n=n_fft, axis=0)[: part.shape[0]]
    return out
