import numpy as np
import pytest
from scipy import linalg
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gmmvc.conversion import (
    F0Statistics,
    GlobalVariance,
    convert_f0,
    convert_mlpg,
    convert_mlpg_em,
    convert_mmse,
    global_variance,
    gv_postfilter,
    mlpg,
    trajectory_log_likelihood,
)
from gmmvc.deltas import (
    DEFAULT_WINDOWS,
    DELTA_DELTA_WINDOW,
    DELTA_WINDOW,
    STATIC_WINDOW,
    apply_windows,
    window_matrix,
)
from gmmvc.exceptions import ConvergenceWarning, ParameterError
from gmmvc.gmm import JointGMM


def _random_spd(rng, n_frames, dim):
    a = rng.normal(size=(n_frames, dim, dim))
    return a @ a.transpose(0, 2, 1) + dim * np.eye(dim)


def _smooth(rng, n_frames, dim):
    t = np.linspace(0, 1, n_frames)[:, None]
    return sum(
        rng.normal(size=dim) * np.sin(2 * np.pi * (k + 1) * t + rng.uniform(0, 6)) for k in range(4)
    )


@pytest.mark.parametrize(
    "windows",
    [
        DEFAULT_WINDOWS,
        (STATIC_WINDOW, DELTA_WINDOW, DELTA_DELTA_WINDOW),
        (STATIC_WINDOW, [0.1, -0.3, 0.0, 0.2, 0.6]),  # asymmetric, wider than short inputs
    ],
)
@pytest.mark.parametrize("n_frames", [1, 2, 3, 4, 5, 23])
def test_banded_mlpg_equals_a_dense_solve(rng, windows, n_frames):
    dim = 3
    k = len(windows)
    means = rng.normal(size=(n_frames, k * dim))
    prec = _random_spd(rng, n_frames, k * dim)  # full, couples dims and windows
    # dense reference: variable order (t, d); observation order (t, k, d)
    Wk = window_matrix(n_frames, windows).reshape(k, n_frames, n_frames)  # (K, T, T)
    W = np.einsum("kts,de->tkdse", Wk, np.eye(dim)).reshape(n_frames * k * dim, n_frames * dim)
    P = linalg.block_diag(*prec)
    dense = np.linalg.solve(W.T @ P @ W, W.T @ P @ means.ravel()).reshape(n_frames, dim)
    np.testing.assert_allclose(mlpg(means, prec, windows), dense, rtol=1e-9, atol=1e-10)


def test_mlpg_of_exact_trajectories_returns_the_statics(rng):
    c = _smooth(rng, 50, 4)
    prec = _random_spd(rng, 50, 8)
    np.testing.assert_allclose(mlpg(apply_windows(c), prec), c, rtol=0, atol=1e-9)
    # nearly zero variance (huge precision) on the deltas changes nothing either
    np.testing.assert_allclose(mlpg(apply_windows(c), np.full((50, 8), 1e8)), c, atol=1e-8)


def test_mlpg_with_static_window_returns_the_means(rng):
    means = rng.normal(size=(30, 5))
    np.testing.assert_allclose(
        mlpg(means, _random_spd(rng, 30, 5), (STATIC_WINDOW,)), means, atol=1e-10
    )


def test_mlpg_smooths_noisy_statics_with_zero_delta_means(rng):
    c = _smooth(rng, 200, 1)
    noisy = np.hstack([c + 0.3 * rng.normal(size=c.shape), np.zeros_like(c)])
    out = mlpg(noisy, np.tile([1.0, 50.0], (200, 1)))
    assert np.abs(out - c).mean() < np.abs(noisy[:, :1] - c).mean() * 0.7


def test_mlpg_shape_errors(rng):
    with pytest.raises(ParameterError, match="means: expected a positive multiple of 2 columns"):
        mlpg(np.zeros((4, 3)), np.ones((4, 3)))
    # no feature columns at all: a clear error, not numpy's reshape failure (found by CI's fuzz)
    with pytest.raises(ParameterError, match="positive multiple of 2 columns.*got 0"):
        mlpg(np.zeros((1, 0)), np.zeros((1, 0)))
    with pytest.raises(ParameterError, match=r"precisions: expected shape \(4, 4, 4\)"):
        mlpg(np.zeros((4, 4)), np.ones((4, 3, 3)))


@pytest.fixture
def fitted(rng):
    """A joint GMM on a nonlinear, smooth mapping of 2-D trajectories."""
    xs, ys = [], []
    for _ in range(20):
        x = _smooth(rng, 120, 2)
        y = np.tanh(x) * 2.0 + 0.3 * x[:, ::-1] + 3.0 + 0.05 * rng.normal(size=x.shape)
        xs.append(apply_windows(x))
        ys.append(apply_windows(y))
    joint = np.hstack([np.vstack(xs), np.vstack(ys)])
    gmm = JointGMM(4, random_state=0).fit(joint, n_source_dims=4)
    x = _smooth(rng, 120, 2)
    y = np.tanh(x) * 2.0 + 0.3 * x[:, ::-1] + 3.0
    return gmm, x, y


def test_one_component_static_only_mlpg_equals_mmse(rng):
    x = rng.normal(size=(400, 2))
    y = x @ [[1.0, 2.0], [0.5, -1.0]] + 0.1 * rng.normal(size=(400, 2))
    gmm = JointGMM(1, random_state=0).fit(np.hstack([x, y]), n_source_dims=2)
    static = (STATIC_WINDOW,)
    np.testing.assert_allclose(
        convert_mlpg(gmm, x, windows=static), convert_mmse(gmm, x, windows=static), atol=1e-10
    )


def test_mmse_and_mlpg_move_toward_the_target(fitted):
    gmm, x, y = fitted
    before = np.sqrt(np.mean((x - y) ** 2))
    for out in (convert_mmse(gmm, x), convert_mlpg(gmm, x), convert_mlpg_em(gmm, x)):
        assert out.shape == y.shape
        assert np.sqrt(np.mean((out - y) ** 2)) < 0.1 * before


@pytest.mark.parametrize("n_frames", [1, 2, 3, 120])
def test_mlpg_uses_each_frames_most_likely_component(fitted, n_frames):
    # independent: per-frame argmax of scipy densities, then the dense-checked mlpg()
    gmm, x, _ = fitted
    x = x[:n_frames]
    X = apply_windows(x)
    n_src = X.shape[1]
    dens = np.column_stack(
        [
            np.log(w) + multivariate_normal(mu[:n_src], cov[:n_src, :n_src]).logpdf(X)
            for w, mu, cov in zip(gmm.weights_, gmm.means_, gmm.covariances_)
        ]
    ).reshape(n_frames, -1)
    best = np.argmax(dens, axis=1)
    assert len(set(best)) > 1 or n_frames < 4  # several components really take part
    means, precs = [], []
    for t, m in enumerate(best):
        mu, cov = gmm.means_[m], gmm.covariances_[m]
        sxx, syx = cov[:n_src, :n_src], cov[n_src:, :n_src]
        means.append(mu[n_src:] + syx @ np.linalg.solve(sxx, X[t] - mu[:n_src]))
        precs.append(np.linalg.inv(cov[n_src:, n_src:] - syx @ np.linalg.solve(sxx, syx.T)))
    expected = mlpg(np.array(means), np.array(precs))
    np.testing.assert_allclose(convert_mlpg(gmm, x), expected, rtol=1e-8, atol=1e-9)


def test_mlpg_em_step_is_the_posterior_weighted_mlpg(fitted):
    # one EM step by hand: posteriors P(m | X_t, Y_t) at the MLPG trajectory from scipy
    # densities, then mlpg() with the posterior-weighted precisions and means
    gmm, x, _ = fitted
    X = apply_windows(x)
    start = convert_mlpg(gmm, x)
    Y = apply_windows(start)
    n_src = X.shape[1]
    log_joint, cond_means, cond_precs = [], [], []
    for w, mu, cov in zip(gmm.weights_, gmm.means_, gmm.covariances_):
        log_joint.append(np.log(w) + multivariate_normal(mu, cov).logpdf(np.hstack([X, Y])))
        sxx, syx = cov[:n_src, :n_src], cov[n_src:, :n_src]
        cond_means.append(mu[n_src:] + (X - mu[:n_src]) @ np.linalg.solve(sxx, syx.T))
        cond_precs.append(np.linalg.inv(cov[n_src:, n_src:] - syx @ np.linalg.solve(sxx, syx.T)))
    log_joint = np.column_stack(log_joint)
    gamma = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
    prec = np.einsum("tm,mij->tij", gamma, np.array(cond_precs))
    prec_means = np.einsum("tm,mij,mtj->ti", gamma, np.array(cond_precs), np.array(cond_means))
    expected = mlpg(np.linalg.solve(prec, prec_means[..., None])[..., 0], prec)
    with pytest.warns(ConvergenceWarning):
        got = convert_mlpg_em(gmm, x, max_iter=1, tol=1e-12)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-8)


def test_mlpg_em_likelihood_never_decreases(fitted):
    gmm, x, _ = fitted
    history = []
    with pytest.warns(ConvergenceWarning, match="MLPG-EM did not converge in max_iter=3") as rec:
        c = convert_mlpg_em(gmm, x, history=history, tol=1e-12, max_iter=3)
    assert rec[0].filename == __file__  # the warning points at the caller's line
    assert len(history) == 4
    history = []
    c = convert_mlpg_em(gmm, x, history=history, tol=1e-9, max_iter=200)
    assert len(history) >= 2
    assert np.all(np.diff(history) >= -1e-8 * np.abs(history[0]))
    assert history[-1] == pytest.approx(trajectory_log_likelihood(gmm, x, c), rel=1e-12)
    start = trajectory_log_likelihood(gmm, x, convert_mlpg(gmm, x))
    assert history[0] == pytest.approx(start, rel=1e-12)


def test_conversion_accepts_statics_or_statics_plus_deltas(fitted):
    gmm, x, _ = fitted
    np.testing.assert_array_equal(convert_mlpg(gmm, x), convert_mlpg(gmm, apply_windows(x)))
    with pytest.raises(ParameterError, match="x: expected 2 static \\(or 4 static\\+dynamic\\)"):
        convert_mmse(gmm, np.zeros((10, 3)))


def test_global_variance_and_postfilter(rng):
    utts = [rng.normal(scale=s, size=(200, 3)) for s in (1.0, 2.0, 1.5)]
    gv = global_variance(utts)
    np.testing.assert_allclose(gv.mean, np.mean([u.var(axis=0) for u in utts], axis=0))
    smooth = 0.3 * rng.normal(size=(100, 3)) + 5.0
    out = gv_postfilter(smooth, gv)
    np.testing.assert_allclose(out.var(axis=0), gv.mean, rtol=1e-10)
    np.testing.assert_allclose(out.mean(axis=0), smooth.mean(axis=0), atol=1e-12)
    np.testing.assert_array_equal(gv_postfilter(smooth, gv, weight=0.0), smooth)
    half = gv_postfilter(smooth, gv, weight=0.5)
    assert np.all(smooth.var(axis=0) < half.var(axis=0)) and np.all(half.var(axis=0) < gv.mean)
    with pytest.raises(ParameterError, match=r"weight: expected a value in \[0, 1\], got 2"):
        gv_postfilter(smooth, gv, weight=2)
    with pytest.raises(ParameterError, match="same number of dimensions"):
        global_variance([np.zeros((3, 2)), np.zeros((3, 3))])
    assert isinstance(gv, GlobalVariance)


def test_f0_conversion_matches_log_statistics(rng):
    f0 = np.exp(rng.normal(np.log(120.0), 0.2, size=2000))
    f0[::5] = 0.0
    voiced = f0 > 0
    src = F0Statistics(np.log(f0[voiced]).mean(), np.log(f0[voiced]).std())
    tgt = F0Statistics(np.log(230.0), 0.15)
    out = convert_f0(f0, src, tgt)
    np.testing.assert_array_equal(out[~voiced], 0.0)
    assert np.log(out[voiced]).mean() == pytest.approx(tgt.mean, abs=1e-12)
    assert np.log(out[voiced]).std() == pytest.approx(tgt.std, abs=1e-12)
    with pytest.raises(ParameterError, match="f0: expected non-negative"):
        convert_f0(np.array([-1.0]), src, tgt)


def test_trajectory_log_likelihood_matches_scipy_densities(fitted):
    """log p(Wc | X) against scipy's joint densities: p(y|x) = p(x, y) / p(x) per frame."""
    from scipy.stats import multivariate_normal

    gmm, x, y = fitted
    X, Y = apply_windows(x), apply_windows(y)
    joint = np.hstack([X, Y])
    dx = X.shape[1]
    p_xy = sum(
        gmm.weights_[m] * multivariate_normal(gmm.means_[m], gmm.covariances_[m]).pdf(joint)
        for m in range(gmm.n_components)
    )
    p_x = sum(
        gmm.weights_[m]
        * multivariate_normal(gmm.means_[m, :dx], gmm.covariances_[m, :dx, :dx]).pdf(X)
        for m in range(gmm.n_components)
    )
    expected = float(np.sum(np.log(p_xy) - np.log(p_x)))
    assert trajectory_log_likelihood(gmm, x, y) == pytest.approx(expected, rel=1e-9)
