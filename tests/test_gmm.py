import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from gmmvc.exceptions import ConvergenceWarning, NotFittedError, ParameterError
from gmmvc.gmm import JointGMM


def _two_cluster_data(rng, n=400):
    x1 = rng.normal(loc=-3.0, size=(n, 2))
    x2 = rng.normal(loc=3.0, size=(n, 2))
    x = np.vstack([x1, x2])
    y = np.vstack([x1 @ [[1.0, 0.5], [0.0, 1.0]] + 1.0, -x2 + 2.0]) + 0.1 * rng.normal(
        size=(2 * n, 2)
    )
    return x, y


def test_one_component_conditional_mean_is_linear_regression(rng):
    x = rng.normal(size=(300, 3))
    y = x @ rng.normal(size=(3, 2)) + 0.5 + 0.3 * rng.normal(size=(300, 2))
    gmm = JointGMM(1, reg_covar=1e-12, random_state=0).fit(np.hstack([x, y]), n_source_dims=3)
    design = np.hstack([x, np.ones((300, 1))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)  # independent least-squares fit
    np.testing.assert_allclose(gmm.predict_mmse(x), design @ coef, rtol=0, atol=1e-8)


def test_conditional_parameters_match_dense_formulas(rng):
    x, y = _two_cluster_data(rng)
    gmm = JointGMM(2, random_state=0).fit(np.hstack([x, y]), n_source_dims=2)
    cond = gmm.conditional_
    for m in range(2):
        S = gmm.covariances_[m]
        sxx, sxy, syy = S[:2, :2], S[:2, 2:], S[2:, 2:]
        A = sxy.T @ np.linalg.inv(sxx)  # the explicit inverse, only as a reference here
        np.testing.assert_allclose(cond.A[m], A, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(cond.covariances[m], syy - A @ sxy, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(
            cond.precisions[m], np.linalg.inv(syy - A @ sxy), rtol=1e-9, atol=1e-10
        )


def test_posteriors_match_scipy_and_sum_to_one(rng):
    x, y = _two_cluster_data(rng)
    gmm = JointGMM(3, random_state=1).fit(np.hstack([x, y]), n_source_dims=2)
    post = gmm.posteriors(x[:50])
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-12)
    dens = np.column_stack(
        [
            gmm.weights_[m]
            * multivariate_normal(gmm.means_[m, :2], gmm.covariances_[m, :2, :2]).pdf(x[:50])
            for m in range(3)
        ]
    )
    np.testing.assert_allclose(post, dens / dens.sum(axis=1, keepdims=True), rtol=1e-8, atol=1e-12)


def test_mmse_learns_a_piecewise_linear_map(rng):
    x, y = _two_cluster_data(rng)
    gmm = JointGMM(2, random_state=0).fit(np.hstack([x, y]), n_source_dims=2)
    err = np.sqrt(np.mean((gmm.predict_mmse(x) - y) ** 2))
    assert err < 0.15  # noise std is 0.1


def test_same_seed_same_model_and_generator_accepted(rng):
    x, y = _two_cluster_data(rng)
    joint = np.hstack([x, y])
    a = JointGMM(4, random_state=7, init_params="random").fit(joint, n_source_dims=2)
    b = JointGMM(4, random_state=7, init_params="random").fit(joint, n_source_dims=2)
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(a.covariances_, b.covariances_)
    c = JointGMM(4, random_state=np.random.default_rng(3)).fit(joint, n_source_dims=2)
    assert c.converged_


def test_unfitted_model_raises_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        JointGMM(2).posteriors(np.zeros((3, 2)))


def test_too_few_frames_for_the_components_is_explained(rng):
    with pytest.raises(
        ParameterError,
        match=r"10 joint frames are too few to fit 8 components \(need at least 16\)",
    ):
        JointGMM(8).fit(rng.normal(size=(10, 4)), n_source_dims=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_components": 0}, "n_components: expected a positive integer"),
        ({"reg_covar": -1.0}, "reg_covar: expected a positive number"),
        ({"random_state": "seed"}, "random_state: expected None, an int"),
    ],
)
def test_bad_settings_are_named(rng, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        JointGMM(**kwargs).fit(rng.normal(size=(100, 4)), n_source_dims=2)


def test_source_dims_must_leave_target_dims(rng):
    with pytest.raises(ParameterError, match="n_source_dims: expected fewer than the 4"):
        JointGMM(1).fit(rng.normal(size=(100, 4)), n_source_dims=4)


def test_unconverged_em_warns_with_our_warning(rng):
    x, y = _two_cluster_data(rng)
    with pytest.warns(ConvergenceWarning, match="EM did not converge in max_iter=1"):
        JointGMM(4, max_iter=1, tol=1e-12, random_state=0).fit(np.hstack([x, y]), n_source_dims=2)


def test_from_parameters_roundtrip(rng):
    x, y = _two_cluster_data(rng)
    fitted = JointGMM(2, random_state=0).fit(np.hstack([x, y]), n_source_dims=2)
    rebuilt = JointGMM.from_parameters(
        fitted.weights_, fitted.means_, fitted.covariances_, n_source_dims=2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(rebuilt.predict_mmse(x), fitted.predict_mmse(x))
    with pytest.raises(ParameterError, match="not positive definite; increase reg_covar"):
        JointGMM.from_parameters([1.0], np.zeros((1, 2)), np.zeros((1, 2, 2)), n_source_dims=1)


def test_warm_start_from_a_fitted_model_converges_quickly_to_the_same_fit(rng):
    x, y = _two_cluster_data(rng)
    joint = np.hstack([x, y])
    cold = JointGMM(2, random_state=0).fit(joint, n_source_dims=2)
    warm = JointGMM(2, random_state=1).fit(joint, n_source_dims=2, init=cold)
    assert warm.n_iter_ <= 2
    np.testing.assert_allclose(warm.means_, cold.means_, atol=1e-3)
    with pytest.raises(ParameterError, match="init: expected a model with 3 components"):
        JointGMM(3).fit(joint, n_source_dims=2, init=cold)


def test_float32_em_gives_the_same_model_on_held_out_likelihood(rng):
    x, y = _two_cluster_data(rng, n=2000)
    joint = np.hstack([x, y])
    held_x, held_y = _two_cluster_data(rng, n=500)
    m64 = JointGMM(4, random_state=0).fit(joint, n_source_dims=2)
    m32 = JointGMM(4, random_state=0, dtype="float32").fit(joint, n_source_dims=2)
    assert m32.means_.dtype == np.float64  # parameters are stored in float64 either way

    def held_out(m):
        return float(
            np.mean(
                np.log(
                    np.sum(
                        [
                            m.weights_[k]
                            * multivariate_normal(m.means_[k], m.covariances_[k]).pdf(
                                np.hstack([held_x, held_y])
                            )
                            for k in range(4)
                        ],
                        axis=0,
                    )
                )
            )
        )

    assert held_out(m32) == pytest.approx(held_out(m64), abs=1e-3)
    with pytest.raises(ParameterError, match="dtype: expected one of 'float64', 'float32'"):
        JointGMM(2, dtype="float16").fit(joint, n_source_dims=2)


def test_em_steps_equal_scikit_learns_from_the_same_start(rng):
    """Our EM loop against scikit-learn's GaussianMixture, an independent implementation."""
    from sklearn.mixture import GaussianMixture

    x, y = _two_cluster_data(rng, n=600)
    joint = np.hstack([x, y])
    start = JointGMM(3, max_iter=1, tol=1e-12, random_state=0)
    with pytest.warns(ConvergenceWarning):
        start.fit(joint, n_source_dims=2)
    ours = JointGMM(3, max_iter=5, tol=1e-12, reg_covar=1e-4)
    with pytest.warns(ConvergenceWarning):
        ours.fit(joint, n_source_dims=2, init=start)
    theirs = GaussianMixture(
        3,
        covariance_type="full",
        reg_covar=1e-4,
        max_iter=5,
        tol=1e-12,
        weights_init=start.weights_,
        means_init=start.means_,
        precisions_init=np.linalg.inv(start.covariances_),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(joint)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=1e-9)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-8, atol=1e-10)
    assert ours.n_iter_ == theirs.n_iter_ == 5


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_em_likelihood_never_decreases(rng, init_params, dtype):
    x, y = _two_cluster_data(rng)
    gmm = JointGMM(4, random_state=0, init_params=init_params, dtype=dtype, max_iter=300)
    gmm.fit(np.hstack([x, y]), n_source_dims=2)
    steps = np.diff(gmm.lower_bounds_)
    assert gmm.converged_ and gmm.n_iter_ == steps.size
    assert steps.min() > -(1e-9 if dtype == "float64" else 1e-4)
    assert gmm.lower_bound_ == gmm.lower_bounds_[-1]
    # the reported bound is the mean log-likelihood of the final model (scipy's density)
    dens = sum(
        gmm.weights_[m]
        * multivariate_normal(gmm.means_[m], gmm.covariances_[m]).pdf(np.hstack([x, y]))
        for m in range(4)
    )
    assert gmm.lower_bound_ == pytest.approx(
        np.mean(np.log(dens)), abs=1e-9 if dtype == "float64" else 1e-4
    )


def test_threads_give_the_identical_model(rng):
    x, y = _two_cluster_data(rng, n=1500)  # 3000 frames: several E-step blocks per thread
    joint = np.hstack([x, y])
    one = JointGMM(5, random_state=0, dtype="float32").fit(joint, n_source_dims=2)
    two = JointGMM(5, random_state=0, dtype="float32", n_jobs=3).fit(joint, n_source_dims=2)
    np.testing.assert_array_equal(one.lower_bounds_, two.lower_bounds_)
    np.testing.assert_array_equal(one.covariances_, two.covariances_)
    with pytest.raises(ParameterError, match="n_jobs: expected a non-zero integer"):
        JointGMM(2, n_jobs=0).fit(joint, n_source_dims=2)
