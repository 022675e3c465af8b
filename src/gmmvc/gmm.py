r"""The joint-density GMM: EM on joint vectors ``z = [x; y]``, then conditional parameters.

Notes
-----
The joint density of source features ``x`` (``D_x`` dims) and target features
``y`` (``D_y`` dims) is (Toda, Black and Tokuda 2007, eq. 7)

.. math::

    p(z) = \sum_{m=1}^{M} w_m \, \mathcal{N}\!\left(
        \begin{bmatrix} x \\ y \end{bmatrix};
        \begin{bmatrix} \mu^x_m \\ \mu^y_m \end{bmatrix},
        \begin{bmatrix} \Sigma^{xx}_m & \Sigma^{xy}_m \\
                         \Sigma^{yx}_m & \Sigma^{yy}_m \end{bmatrix}\right).

Given ``x``, component ``m`` predicts ``y`` with the conditional mean and
covariance

.. math::

    E_m(x) = \mu^y_m + \Sigma^{yx}_m (\Sigma^{xx}_m)^{-1} (x - \mu^x_m) = A_m x + b_m,
    \qquad
    D_m = \Sigma^{yy}_m - \Sigma^{yx}_m (\Sigma^{xx}_m)^{-1} \Sigma^{xy}_m,

and the posterior of component ``m`` is
``P(m | x) = w_m N(x; mu^x_m, Sigma^xx_m) / sum_n w_n N(x; mu^x_n, Sigma^xx_n)``.
All of ``A_m``, ``b_m``, ``D_m`` and the Cholesky factors of ``Sigma^xx_m`` and
``D_m`` are computed once after fitting with Cholesky solves; no inverse is
ever formed.

References
----------
T. Toda, A. W. Black and K. Tokuda, "Voice conversion based on maximum-likelihood
estimation of spectral parameter trajectory", IEEE Trans. ASLP 15(8), 2007.
"""

from __future__ import annotations

import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import linalg
from scipy.special import logsumexp

from ._threads import one_blas_thread
from ._validation import as_float_array, check_choice, check_n_jobs, check_positive
from .exceptions import ConvergenceWarning, NotFittedError, ParameterError

__all__ = ["JointGMM", "ConditionalParameters", "conditional_parameters", "differential_gmm"]

logger = logging.getLogger(__name__)

_LOG_2PI = np.log(2.0 * np.pi)


@dataclass(frozen=True)
class ConditionalParameters:
    """Per-component parameters of ``p(y | x)`` and ``p(x)`` derived from a joint GMM.

    Attributes
    ----------
    log_weights : numpy.ndarray, shape (M,)
    source_means : numpy.ndarray, shape (M, Dx)
        ``mu^x_m``.
    source_chol : numpy.ndarray, shape (M, Dx, Dx)
        Lower Cholesky factors of ``Sigma^xx_m``.
    source_log_det : numpy.ndarray, shape (M,)
        ``log |Sigma^xx_m|``.
    A : numpy.ndarray, shape (M, Dy, Dx)
        Regression matrices ``Sigma^yx_m (Sigma^xx_m)^-1``.
    b : numpy.ndarray, shape (M, Dy)
        Offsets ``mu^y_m - A_m mu^x_m``.
    covariances : numpy.ndarray, shape (M, Dy, Dy)
        Conditional covariances ``D_m``.
    precisions : numpy.ndarray, shape (M, Dy, Dy)
        ``D_m^-1``, obtained by Cholesky solves (MLPG needs the matrix itself).
    source_whitener : numpy.ndarray, shape (Dx, M * Dx)
        ``[L_1^-T ... L_M^-T]`` side by side, ``L_m`` the Cholesky factor of
        ``Sigma^xx_m``: one product ``x @ source_whitener`` whitens a frame for
        every component at once.

    Examples
    --------
    One component with ``y = 2 x`` plus unit-variance noise:

    >>> import numpy as np
    >>> cov = np.array([[[1.0, 2.0], [2.0, 5.0]]])  # var x = 1, cov = 2, var y = 5
    >>> p = conditional_parameters(np.ones(1), np.zeros((1, 2)), cov, 1)
    >>> float(p.A[0, 0, 0]), float(p.covariances[0, 0, 0]), p.n_components
    (2.0, 1.0, 1)
    >>> p.conditional_means(np.array([[1.0], [3.0]]))[:, 0, 0]
    array([2., 6.])
    """

    log_weights: np.ndarray
    source_means: np.ndarray
    source_chol: np.ndarray
    source_log_det: np.ndarray
    A: np.ndarray
    b: np.ndarray
    covariances: np.ndarray
    precisions: np.ndarray
    source_whitener: np.ndarray

    @property
    def n_components(self) -> int:
        """Number of mixture components ``M``."""
        return int(self.log_weights.shape[0])

    def source_log_likelihood(self, x: np.ndarray) -> np.ndarray:
        """``log w_m + log N(x_t; mu^x_m, Sigma^xx_m)`` for every frame and component.

        Parameters
        ----------
        x : numpy.ndarray, shape (T, Dx)

        Returns
        -------
        numpy.ndarray, shape (T, M)

        Examples
        --------
        Two components with a 1-D source: column ``m`` is ``log w_m`` plus the
        log-density of the source marginal ``N(x; mu^x_m, Sigma^xx_m)``, here
        checked against scipy:

        >>> import numpy as np
        >>> from scipy.stats import norm
        >>> means = np.array([[-1.0, 0.0], [2.0, 0.0]])  # [mu^x_m, mu^y_m]
        >>> cov = np.array([[[1.0, 0.5], [0.5, 1.0]], [[4.0, 1.0], [1.0, 1.0]]])
        >>> p = conditional_parameters(np.array([0.25, 0.75]), means, cov, 1)
        >>> x = np.array([[0.0], [1.0], [3.0]])
        >>> ll = p.source_log_likelihood(x)
        >>> ll.shape
        (3, 2)
        >>> expected = np.log([0.25, 0.75]) + norm.logpdf(x, loc=[-1.0, 2.0], scale=[1.0, 2.0])
        >>> bool(np.allclose(ll, expected, rtol=1e-12))
        True
        """
        n_frames, dim = x.shape
        n_comp = self.n_components
        shift = np.einsum(
            "md,dme->me", self.source_means, self.source_whitener.reshape(dim, n_comp, dim)
        )
        # whitened residuals L_m^-1 (x_t - mu^x_m) of every component: (T, M, Dx)
        white = (x @ self.source_whitener).reshape(n_frames, n_comp, dim) - shift
        out = -0.5 * (np.einsum("tmd,tmd->tm", white, white) + dim * _LOG_2PI + self.source_log_det)
        return out + self.log_weights

    def posteriors(self, x: np.ndarray) -> np.ndarray:
        """``P(m | x_t)`` for every frame, by log-sum-exp. Shape (T, M); rows sum to one.

        Examples
        --------
        The two components of :meth:`source_log_likelihood`'s example. At
        ``x = 0`` the weighted densities are ``0.25 phi(1)`` and
        ``0.75 phi(1) / 2``, so the posteriors are exactly 0.4 and 0.6:

        >>> import numpy as np
        >>> means = np.array([[-1.0, 0.0], [2.0, 0.0]])
        >>> cov = np.array([[[1.0, 0.5], [0.5, 1.0]], [[4.0, 1.0], [1.0, 1.0]]])
        >>> p = conditional_parameters(np.array([0.25, 0.75]), means, cov, 1)
        >>> p.posteriors(np.array([[0.0], [3.0]])).round(3)
        array([[0.4, 0.6],
               [0. , 1. ]])

        Far from every component both densities underflow to zero, and
        normalising them directly gives ``0 / 0``; the log-sum-exp does not:

        >>> far = np.array([[100.0]])
        >>> with np.errstate(invalid="ignore", under="ignore"):
        ...     dens = np.exp(p.source_log_likelihood(far))
        ...     dens / dens.sum(axis=1, keepdims=True)
        array([[nan, nan]])
        >>> p.posteriors(far)
        array([[0., 1.]])
        """
        ll = self.source_log_likelihood(x)
        return np.exp(ll - logsumexp(ll, axis=1, keepdims=True))

    def conditional_means(self, x: np.ndarray) -> np.ndarray:
        """``E_m(x_t) = A_m x_t + b_m`` for every frame and component. Shape (T, M, Dy).

        Examples
        --------
        The two components of :meth:`source_log_likelihood`'s example regress
        ``y`` on ``x`` with slopes ``Sigma^yx / Sigma^xx`` = 0.5 and 0.25, each
        line through its own mean:

        >>> import numpy as np
        >>> means = np.array([[-1.0, 0.0], [2.0, 0.0]])
        >>> cov = np.array([[[1.0, 0.5], [0.5, 1.0]], [[4.0, 1.0], [1.0, 1.0]]])
        >>> p = conditional_parameters(np.array([0.25, 0.75]), means, cov, 1)
        >>> x = np.array([[0.0], [1.0], [3.0]])
        >>> means_y = p.conditional_means(x)
        >>> means_y.shape
        (3, 2, 1)
        >>> means_y[:, :, 0]  # 0.5 (x + 1) and 0.25 (x - 2)
        array([[ 0.5 , -0.5 ],
               [ 1.  , -0.25],
               [ 2.  ,  0.25]])

        Weighted by the posteriors, they give the MMSE estimate ``E[y | x]``:

        >>> mmse = np.einsum("tm,tmi->ti", p.posteriors(x), means_y)
        >>> gmm = JointGMM.from_parameters([0.25, 0.75], means, cov, n_source_dims=1)
        >>> bool(np.allclose(mmse, gmm.predict_mmse(x), rtol=1e-12))
        True
        """
        n_comp, dy, dx = self.A.shape
        # one (T, Dx) x (Dx, M Dy) product for all components
        return (x @ self.A.reshape(n_comp * dy, dx).T).reshape(-1, n_comp, dy) + self.b


def _cholesky(mat: np.ndarray, what: str) -> np.ndarray:
    try:
        return linalg.cholesky(mat, lower=True, check_finite=False)
    except linalg.LinAlgError:
        raise ParameterError(
            f"{what} is not positive definite; increase reg_covar (e.g. x10) or "
            "use fewer mixture components for this amount of data"
        ) from None


def conditional_parameters(
    weights: np.ndarray, means: np.ndarray, covariances: np.ndarray, n_source_dims: int
) -> ConditionalParameters:
    """Derive the parameters of ``p(x)`` and ``p(y | x)`` from joint GMM parameters.

    Parameters
    ----------
    weights : numpy.ndarray, shape (M,)
    means : numpy.ndarray, shape (M, Dx + Dy)
    covariances : numpy.ndarray, shape (M, Dx + Dy, Dx + Dy)
    n_source_dims : int
        ``Dx``: the first ``Dx`` dimensions are the source.

    Returns
    -------
    ConditionalParameters

    Raises
    ------
    ParameterError
        If a covariance block is not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> cov = np.array([[[2.0, 1.0], [1.0, 1.0]]])
    >>> p = conditional_parameters(np.ones(1), np.zeros((1, 2)), cov, 1)
    >>> round(float(p.A[0, 0, 0]), 12), round(float(p.covariances[0, 0, 0]), 12)
    (0.5, 0.5)
    """
    dx = int(n_source_dims)
    n_comp = weights.shape[0]
    dy = means.shape[1] - dx
    src_chol = np.empty((n_comp, dx, dx))
    A = np.empty((n_comp, dy, dx))
    cond_cov = np.empty((n_comp, dy, dy))
    cond_prec = np.empty((n_comp, dy, dy))
    eye = np.eye(dy)
    for m in range(n_comp):
        sxx = covariances[m, :dx, :dx]
        sxy = covariances[m, :dx, dx:]
        syy = covariances[m, dx:, dx:]
        src_chol[m] = _cholesky(sxx, f"source covariance of component {m}")
        # A_m^T = Sigma_xx^-1 Sigma_xy, by two triangular solves
        A[m] = linalg.cho_solve((src_chol[m], True), sxy, check_finite=False).T
        cov = syy - A[m] @ sxy
        cond_cov[m] = 0.5 * (cov + cov.T)
        chol = _cholesky(cond_cov[m], f"conditional covariance of component {m}")
        cond_prec[m] = linalg.cho_solve((chol, True), eye, check_finite=False)
    log_det = 2.0 * np.log(np.diagonal(src_chol, axis1=1, axis2=2)).sum(axis=1)
    eye_x = np.eye(dx)
    whitener = np.stack(
        [linalg.solve_triangular(c, eye_x, lower=True, check_finite=False).T for c in src_chol],
        axis=1,
    ).reshape(dx, n_comp * dx)  # column block m is L_m^-T
    b = means[:, dx:] - np.einsum("mij,mj->mi", A, means[:, :dx])
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights)
    return ConditionalParameters(
        log_weights=log_weights,
        source_means=np.ascontiguousarray(means[:, :dx]),
        source_chol=src_chol,
        source_log_det=log_det,
        A=A,
        b=b,
        covariances=cond_cov,
        precisions=cond_prec,
        source_whitener=whitener,
    )


#: Rows per block of the E-step: the (rows, M * D) product of a block with all
#: components' whitening matrices then fits in cache (measured on D = 96, M = 32 in
#: float32: 512-row blocks take 0.24 s per 50,000 frames, one whole product 0.37 s)
_BLOCK_ROWS = 512


def _precision_factors(covariances: np.ndarray, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """``U_m`` with ``Sigma_m^-1 = U_m U_m^T`` (upper triangular) and ``log |U_m|``."""
    n_comp, dim, _ = covariances.shape
    factors = np.empty((n_comp, dim, dim))
    log_det = np.empty(n_comp)
    eye = np.eye(dim)
    for m in range(n_comp):
        chol = _cholesky(covariances[m], f"covariance of EM component {m}")
        factors[m] = linalg.solve_triangular(chol, eye, lower=True, check_finite=False).T
        log_det[m] = -np.log(np.diagonal(chol)).sum()
    return factors.astype(dtype), log_det


def _log_joint(
    X: np.ndarray,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    n_threads: int = 1,
) -> np.ndarray:
    """``log w_m + log N(x_n; mu_m, Sigma_m)``, shape (N, M), in ``X``'s precision.

    All components are whitened at once: one product of a block of frames with the
    side-by-side factors ``[U_1 ... U_M]`` (``D x MD``), so the work is GEMM. With
    ``n_threads > 1``, each thread takes a contiguous run of blocks (numpy releases the GIL in
    the products); every row is computed the same way whatever the split.
    """
    n_frames, dim = X.shape
    n_comp = weights.shape[0]
    factors, log_det = _precision_factors(covariances, X.dtype.name)
    side_by_side = np.ascontiguousarray(factors.transpose(1, 0, 2).reshape(dim, n_comp * dim))
    shift = np.einsum("md,mde->me", means, factors).reshape(n_comp * dim).astype(X.dtype)
    out = np.empty((n_frames, n_comp), dtype=X.dtype)

    def rows(first: int, last: int) -> None:
        for start in range(first, last, _BLOCK_ROWS):
            stop = min(start + _BLOCK_ROWS, last)
            white = X[start:stop] @ side_by_side
            white -= shift
            white = white.reshape(-1, n_comp, dim)
            out[start:stop] = np.einsum("nmd,nmd->nm", white, white)

    n_blocks = -(-n_frames // _BLOCK_ROWS)
    n_parts = min(n_threads, n_blocks)
    edges = [min(n_frames, (i * n_blocks // n_parts) * _BLOCK_ROWS) for i in range(n_parts + 1)]
    edges[-1] = n_frames
    _run(rows, list(zip(edges[:-1], edges[1:])))
    out *= -0.5
    with np.errstate(divide="ignore"):
        out += (np.log(weights) + log_det - 0.5 * dim * _LOG_2PI).astype(X.dtype)
    return out


def _m_step(
    X: np.ndarray, resp: np.ndarray, reg_covar: float, n_threads: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights, means and covariances (float64) from responsibilities ``resp`` (N, M).

    With ``n_threads > 1``, the threads share out the components.
    """
    n_comp = resp.shape[1]
    dim = X.shape[1]
    counts = resp.sum(axis=0, dtype=np.float64) + 10.0 * np.finfo(X.dtype).eps
    means = (resp.T @ X).astype(np.float64) / counts[:, None]
    root = np.sqrt(resp.T)  # (M, N): row m is contiguous
    covariances = np.empty((n_comp, dim, dim))

    def components(first: int, step: int) -> None:
        weighted = np.empty_like(X)  # one buffer per thread: no page faults per component
        for m in range(first, n_comp, step):
            # centred on the component's own mean, as in the textbook two-pass form: the
            # one-pass E[x x^T] - mu mu^T loses digits in float32 for far-off components
            np.subtract(X, means[m].astype(X.dtype), out=weighted)
            weighted *= root[m][:, None]
            cov = (weighted.T @ weighted).astype(np.float64)  # numpy computes A^T A by SYRK
            cov /= counts[m]
            cov.flat[:: dim + 1] += reg_covar
            covariances[m] = cov

    n_parts = min(n_threads, n_comp)
    _run(components, [(i, n_parts) for i in range(n_parts)])
    return counts / counts.sum(), means, covariances


def _run(func: Any, args: list[tuple[int, int]]) -> None:
    """``func(*a)`` for every ``a``, one thread each when there is more than one."""
    if len(args) == 1:
        func(*args[0])
        return
    with ThreadPoolExecutor(len(args)) as pool:
        for future in [pool.submit(func, *a) for a in args]:
            future.result()  # re-raises a worker's exception here


def _initial_responsibilities(
    X: np.ndarray, n_comp: int, init_params: str, seed: int | None
) -> np.ndarray:
    """Hard (or, for ``'random'``, soft) responsibilities to start EM from (N, M)."""
    from sklearn.cluster import KMeans, kmeans_plusplus
    from sklearn.metrics import pairwise_distances_argmin

    n_frames = X.shape[0]
    rng = np.random.RandomState(seed)
    if init_params == "random":
        resp = rng.uniform(size=(n_frames, n_comp)).astype(X.dtype)
        return resp / resp.sum(axis=1, keepdims=True)
    if init_params == "kmeans":
        labels = KMeans(n_clusters=n_comp, n_init=1, random_state=rng).fit(X).labels_
    else:
        if init_params == "k-means++":
            centres, _ = kmeans_plusplus(X, n_comp, random_state=rng)
        else:  # random_from_data
            centres = X[rng.choice(n_frames, size=n_comp, replace=False)]
        labels = pairwise_distances_argmin(X, centres)
    resp = np.zeros((n_frames, n_comp), dtype=X.dtype)
    resp[np.arange(n_frames), labels] = 1.0
    return resp


def _n_threads(n_jobs: Any) -> int:
    """Threads for ``n_jobs`` (``-1``: all cores, ``-2``: all but one, as in joblib)."""
    n_jobs = check_n_jobs(n_jobs)
    if n_jobs > 0:
        return int(n_jobs)
    return max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))


def _seed_from(random_state: Any) -> int | None:
    """scikit-learn takes None, an int or a RandomState; turn a Generator into an int seed."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return None if random_state is None else int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    raise ParameterError(
        f"random_state: expected None, an int or a numpy.random.Generator, got {random_state!r}"
    )


class JointGMM:
    """Full-covariance GMM on joint source-target vectors, fitted by EM.

    EM starts from scikit-learn's k-means (or the given model) and runs its own
    loop, the textbook EM of :class:`sklearn.mixture.GaussianMixture` (same
    updates, same ``reg_covar``; a test checks the two agree) arranged as
    matrix products: the E-step whitens a block of frames for all components in
    one product, the M-step is one SYRK per component. scikit-learn's loop took
    4x the matrix-multiply floor per iteration in float32 on this problem's
    shape (see ``benchmarks/speed.py``). After fitting, the parameters of
    ``p(x)`` and ``p(y | x)`` are precomputed once (see
    :class:`ConditionalParameters`).

    Parameters
    ----------
    n_components : int, default 32
        Number of mixture components ``M``.
    reg_covar : float, default 1e-4
        Added to the diagonal of every covariance (keeps EM stable on
        correlated cepstral dimensions).
    max_iter : int, default 100
        Maximum EM iterations.
    tol : float, default 1e-3
        EM stops when the per-frame log-likelihood gain is below this.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, default 'kmeans'
    random_state : None, int or numpy.random.Generator, default None
        Seed; the same int gives the same model.
    dtype : {'float64', 'float32'}, default 'float64'
        Precision of the EM arithmetic. ``'float32'`` halves the time per
        iteration; the fitted parameters are stored (and conversion runs) in
        float64 either way.
    n_jobs : int, default 1
        Threads for EM (``-1``: all cores). The E-step's blocks of frames and the
        M-step's components are shared out; the fitted model does not depend on
        it.

    Attributes
    ----------
    weights_ : numpy.ndarray, shape (M,)
    means_ : numpy.ndarray, shape (M, Dx + Dy)
    covariances_ : numpy.ndarray, shape (M, Dx + Dy, Dx + Dy)
    n_source_dims_ : int
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood per frame of the training data at the end of EM.
    lower_bounds_ : numpy.ndarray, shape ``(n_iter_ + 1,)``
        The mean log-likelihood per frame before each M-step and at the end;
        EM never lets it decrease (up to rounding).
    conditional_ : ConditionalParameters

    Notes
    -----
    The model is the joint density of Toda, Black and Tokuda (2007), eq. (7):
    ``p([x; y]) = sum_m w_m N([x; y]; mu_m, Sigma_m)`` with full ``Sigma_m``.
    Conversion uses ``p(y | x)``, a mixture of Gaussians with means
    ``A_m x + b_m`` and covariances ``D_m`` weighted by ``P(m | x)``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 2))
    >>> y = 2 * x + 0.1 * rng.normal(size=(500, 2))
    >>> gmm = JointGMM(1, random_state=0).fit(np.hstack([x, y]), n_source_dims=2)
    >>> np.round(gmm.conditional_.A[0], 1) + 0.0
    array([[2., 0.],
           [0., 2.]])
    """

    weights_: np.ndarray
    means_: np.ndarray
    covariances_: np.ndarray
    n_source_dims_: int
    converged_: bool
    n_iter_: int
    lower_bound_: float
    lower_bounds_: np.ndarray
    conditional_: ConditionalParameters

    def __init__(
        self,
        n_components: int = 32,
        *,
        reg_covar: float = 1e-4,
        max_iter: int = 100,
        tol: float = 1e-3,
        init_params: str = "kmeans",
        random_state: Any = None,
        dtype: str = "float64",
        n_jobs: int = 1,
    ) -> None:
        self.n_components = n_components
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.tol = tol
        self.init_params = init_params
        self.random_state = random_state
        self.dtype = dtype
        self.n_jobs = n_jobs

    def fit(
        self, joint: np.ndarray, *, n_source_dims: int, init: JointGMM | None = None
    ) -> JointGMM:
        """Fit the joint density by EM.

        Parameters
        ----------
        joint : array_like, shape (N, Dx + Dy)
            Joint vectors, source dimensions first.
        n_source_dims : int
            ``Dx``.
        init : JointGMM, optional
            A fitted model with the same number of components and dimensions
            to start EM from (warm start, e.g. from the previous alignment
            pass) instead of ``init_params``.

        Returns
        -------
        JointGMM
            ``self``, fitted.

        Raises
        ------
        ParameterError
            If the data are not finite, too few for the requested components,
            or a covariance is singular even after regularisation.

        Warns
        -----
        ConvergenceWarning
            If EM reached ``max_iter`` before converging.

        Examples
        --------
        With one component EM has a closed form: weight one, the sample mean,
        and the biased sample covariance plus ``reg_covar`` on the diagonal:

        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 1))
        >>> joint = np.hstack([x, 2 * x + 0.5 * rng.normal(size=(300, 1))])
        >>> gmm = JointGMM(1, reg_covar=1e-4).fit(joint, n_source_dims=1)
        >>> gmm.weights_, gmm.converged_
        (array([1.]), True)
        >>> bool(np.allclose(gmm.means_[0], joint.mean(axis=0), rtol=1e-12))
        True
        >>> expected = np.cov(joint.T, bias=True) + 1e-4 * np.eye(2)
        >>> bool(np.allclose(gmm.covariances_[0], expected, rtol=1e-12))
        True

        Two well-separated clusters holding a quarter and three quarters of the
        frames; the mean log-likelihood never decreases from one iteration to
        the next:

        >>> a = rng.normal(-5.0, 1.0, size=(100, 2))
        >>> b = rng.normal(5.0, 1.0, size=(300, 2))
        >>> gmm = JointGMM(2, random_state=0).fit(np.vstack([a, b]), n_source_dims=1)
        >>> np.sort(gmm.weights_)
        array([0.25, 0.75])
        >>> bool(np.all(np.diff(gmm.lower_bounds_) >= -1e-12))
        True
        """
        n_comp = check_positive(self.n_components, "n_components", integer=True)
        reg_covar = check_positive(self.reg_covar, "reg_covar")
        max_iter = check_positive(self.max_iter, "max_iter", integer=True)
        tol = check_positive(self.tol, "tol")
        init_params = check_choice(
            self.init_params, "init_params", ("kmeans", "k-means++", "random", "random_from_data")
        )
        seed = _seed_from(self.random_state)
        joint = as_float_array(joint, "joint", ndim=2)
        dx = check_positive(n_source_dims, "n_source_dims", integer=True)
        if not dx < joint.shape[1]:
            raise ParameterError(
                f"n_source_dims: expected fewer than the {joint.shape[1]} joint dimensions, "
                f"got {dx}"
            )
        dtype = check_choice(self.dtype, "dtype", ("float64", "float32"))
        threads = _n_threads(self.n_jobs)
        if init is not None:
            init._check_fitted()
            if init.means_.shape != (n_comp, joint.shape[1]) or init.n_source_dims_ != dx:
                raise ParameterError(
                    f"init: expected a model with {n_comp} components on {joint.shape[1]} "
                    f"dims ({dx} source), got {init.means_.shape} ({init.n_source_dims_} source)"
                )
        needed = 2 * n_comp
        if joint.shape[0] < needed:
            raise ParameterError(
                f"joint: {joint.shape[0]} joint frames are too few to fit {n_comp} components "
                f"(need at least {needed}); use more data or fewer n_components"
            )
        X = np.ascontiguousarray(joint, dtype=dtype)
        # EM works on (N, D) x (D, M D) products with D ~ 100: threaded OpenBLAS/OpenMP
        # gain little on them and, measured on 2 busy cores, made scikit-learn's M-step 20x
        # slower (0.85 s vs 0.044 s per component at N = 12000, D = 96); one thread is the
        # fast path, and the result no longer depends on the thread count
        with one_blas_thread():
            if init is None:
                resp = _initial_responsibilities(X, n_comp, init_params, seed)
                weights, means, covariances = _m_step(X, resp, reg_covar, threads)
            else:
                weights, means, covariances = init.weights_, init.means_, init.covariances_
            bounds: list[float] = []
            converged = False
            for n_iter in range(max_iter + 1):
                # E-step: responsibilities and the mean log-likelihood of the current model
                log_resp = _log_joint(X, weights, means, covariances, threads)
                log_norm = logsumexp(log_resp, axis=1)
                bound = float(np.mean(log_norm, dtype=np.float64))
                if not np.isfinite(bound):
                    raise ParameterError(
                        f"EM failed on {X.shape[0]} frames x {X.shape[1]} dims with {n_comp} "
                        f"components (log-likelihood {bound}); increase reg_covar or reduce "
                        "n_components"
                    )
                converged = bool(bounds) and abs(bound - bounds[-1]) < tol
                bounds.append(bound)
                if converged or n_iter == max_iter:
                    break
                log_resp -= log_norm[:, None]
                weights, means, covariances = _m_step(X, np.exp(log_resp), reg_covar, threads)
                logger.debug("EM iteration %d: log-likelihood %.4f/frame", n_iter + 1, bound)
        if not converged:
            warnings.warn(
                f"EM did not converge in max_iter={max_iter} iterations; increase max_iter or tol",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.weights_ = weights / weights.sum()
        self.means_ = means
        self.covariances_ = covariances
        self.n_source_dims_ = dx
        self.converged_ = converged
        self.n_iter_ = len(bounds) - 1
        self.lower_bound_ = bounds[-1]
        self.lower_bounds_ = np.asarray(bounds)
        with one_blas_thread():  # small products: threads only add overhead
            self.conditional_ = conditional_parameters(
                self.weights_, self.means_, self.covariances_, dx
            )
        logger.info(
            "EM: %d components on %d frames x %d dims, %d iterations, log-likelihood %.3f/frame",
            n_comp,
            joint.shape[0],
            joint.shape[1],
            self.n_iter_,
            self.lower_bound_,
        )
        # a direction with (almost) no variance in the data is kept invertible only by the
        # regulariser: say so, since it usually means duplicated or constant features
        smallest = np.linalg.eigvalsh(self.covariances_)[:, 0]  # (K,)
        n_reg = int(np.count_nonzero(smallest < 2.0 * float(self.reg_covar)))
        if n_reg:
            logger.info(
                "EM: %d of %d components have a covariance held positive definite by "
                "reg_covar=%g alone (smallest eigenvalue %.3g): some feature direction has no "
                "variance in their data (duplicated or constant features?)",
                n_reg,
                n_comp,
                self.reg_covar,
                float(smallest.min()),
            )
        return self

    @classmethod
    def from_parameters(
        cls, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray, *, n_source_dims: int
    ) -> JointGMM:
        """Build a fitted model from known parameters (for loading and testing).

        Parameters
        ----------
        weights : array_like, shape (M,)
        means : array_like, shape (M, Dx + Dy)
        covariances : array_like, shape (M, Dx + Dy, Dx + Dy)
        n_source_dims : int

        Returns
        -------
        JointGMM

        Raises
        ------
        ParameterError
            If shapes disagree, weights are not a distribution or a covariance
            is not positive definite.

        Examples
        --------
        >>> import numpy as np
        >>> cov = np.array([[[1.0, 2.0], [2.0, 5.0]]])
        >>> gmm = JointGMM.from_parameters(np.ones(1), np.zeros((1, 2)), cov, n_source_dims=1)
        >>> gmm.predict_mmse(np.array([[1.5]]))
        array([[3.]])
        """
        weights = as_float_array(weights, "weights", ndim=1, min_len=1)
        n_comp = weights.shape[0]
        means = as_float_array(means, "means", ndim=2)
        dim = means.shape[1]
        covariances = as_float_array(covariances, "covariances", ndim=3)
        if means.shape[0] != n_comp or covariances.shape != (n_comp, dim, dim):
            raise ParameterError(
                f"means/covariances: expected shapes ({n_comp}, D) and ({n_comp}, D, D), "
                f"got {means.shape} and {covariances.shape}"
            )
        if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0, atol=1e-6):
            raise ParameterError("weights: expected non-negative weights that sum to one")
        dx = check_positive(n_source_dims, "n_source_dims", integer=True)
        if not dx < dim:
            raise ParameterError(f"n_source_dims: expected fewer than {dim}, got {dx}")
        gmm = cls(n_comp)
        gmm.weights_, gmm.means_, gmm.covariances_ = weights, means, covariances
        gmm.n_source_dims_ = dx
        gmm.converged_, gmm.n_iter_, gmm.lower_bound_ = True, 0, float("nan")
        gmm.lower_bounds_ = np.empty(0)
        gmm.conditional_ = conditional_parameters(weights, means, covariances, dx)
        return gmm

    def _check_fitted(self) -> ConditionalParameters:
        if not hasattr(self, "conditional_"):
            raise NotFittedError(
                "This JointGMM is not fitted yet; call fit(joint, n_source_dims=...) first"
            )
        return self.conditional_

    def _check_source(self, x: Any) -> np.ndarray:
        cond = self._check_fitted()
        return as_float_array(x, "x", ndim=2, n_cols=cond.source_means.shape[1])

    def posteriors(self, x: np.ndarray) -> np.ndarray:
        """Component posteriors ``P(m | x_t)`` under the source marginal.

        Parameters
        ----------
        x : array_like, shape (T, Dx)

        Returns
        -------
        numpy.ndarray, shape (T, M)
            Each row sums to one.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.

        Examples
        --------
        Two components with equal weights, centred at -2 and +2:

        >>> import numpy as np
        >>> means = np.array([[-2.0, 0.0], [2.0, 0.0]])
        >>> gmm = JointGMM.from_parameters(
        ...     np.full(2, 0.5), means, np.tile(np.eye(2), (2, 1, 1)), n_source_dims=1
        ... )
        >>> gmm.posteriors(np.array([[0.0], [-4.0]])).round(3)
        array([[0.5, 0.5],
               [1. , 0. ]])
        """
        return self._check_fitted().posteriors(self._check_source(x))

    def predict_mmse(self, x: np.ndarray) -> np.ndarray:
        """Minimum mean-square-error estimate ``E[y | x_t]`` frame by frame.

        Parameters
        ----------
        x : array_like, shape (T, Dx)

        Returns
        -------
        numpy.ndarray, shape (T, Dy)

        Notes
        -----
        ``E[y | x] = sum_m P(m | x) (A_m x + b_m)`` (Toda et al. 2007, eq. 11).

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(500, 1))
        >>> gmm = JointGMM(1, random_state=0).fit(np.hstack([x, 3 * x - 1]), n_source_dims=1)
        >>> gmm.predict_mmse(np.array([[0.0], [1.0]])).round(2) + 0.0
        array([[-1.],
               [ 2.]])
        """
        cond = self._check_fitted()
        x = self._check_source(x)
        return np.einsum("tm,tmi->ti", cond.posteriors(x), cond.conditional_means(x))


def differential_gmm(gmm: JointGMM) -> JointGMM:
    r"""Derive the GMM of ``[X; Y - X]`` from a joint GMM of ``[X; Y]`` (Kobayashi et al.).

    ``[X; Y - X] = T [X; Y]`` with ``T = [[I, 0], [-I, I]]`` is linear, so
    each component maps exactly: ``mu' = T mu``, ``Sigma' = T Sigma T^T``.
    Converting with the result predicts the *difference* between target and
    source features, which can filter the source waveform directly.

    Parameters
    ----------
    gmm : JointGMM
        Fitted joint GMM whose source and target parts have the same size.

    Returns
    -------
    JointGMM
        Fitted, with the same weights.

    Raises
    ------
    NotFittedError
        If ``gmm`` is not fitted.
    ParameterError
        If the source and target dimensions differ.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 1)); y = 3 * x + 1
    >>> g = JointGMM(1, random_state=0).fit(np.hstack([x, y]), n_source_dims=1)
    >>> d = differential_gmm(g)
    >>> bool(np.allclose(d.predict_mmse(x), 2 * x + 1, atol=1e-2))
    True
    """
    gmm._check_fitted()
    dx = gmm.n_source_dims_
    dim = gmm.means_.shape[1]
    if dim != 2 * dx:
        raise ParameterError(
            f"gmm: a differential GMM needs equal source and target dimensions, got {dx} "
            f"and {dim - dx}"
        )
    eye = np.eye(dx)
    T = np.block([[eye, np.zeros((dx, dx))], [-eye, eye]])
    covariances = T @ gmm.covariances_ @ T.T  # T Sigma_m T^T; a 3-operand einsum is O(M D^4)
    return JointGMM.from_parameters(
        gmm.weights_,
        gmm.means_ @ T.T,
        0.5 * (covariances + covariances.transpose(0, 2, 1)),
        n_source_dims=dx,
    )
