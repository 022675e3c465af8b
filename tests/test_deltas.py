import numpy as np
import pytest

from gmmvc.deltas import (
    DEFAULT_WINDOWS,
    DELTA_DELTA_WINDOW,
    DELTA_WINDOW,
    STATIC_WINDOW,
    apply_windows,
    apply_windows_transpose,
    window_matrix,
)
from gmmvc.exceptions import ParameterError


def test_apply_windows_matches_the_dense_window_matrix(rng):
    windows = (STATIC_WINDOW, DELTA_WINDOW, DELTA_DELTA_WINDOW)
    c = rng.normal(size=(17, 4))
    W = window_matrix(17, windows)  # (3T, T), window-major
    stacked = apply_windows(c, windows)  # (T, 3D), frame-major
    for d in range(4):
        expected = (W @ c[:, d]).reshape(3, 17).T  # (T, K)
        np.testing.assert_allclose(stacked[:, d::4], expected, rtol=0, atol=1e-14)


def test_delta_is_the_central_difference_inside_and_one_sided_at_the_edges(rng):
    c = rng.normal(size=(10, 2))
    delta = apply_windows(c)[:, 2:]
    np.testing.assert_allclose(delta[1:-1], 0.5 * (c[2:] - c[:-2]), atol=1e-15)
    np.testing.assert_allclose(delta[0], 0.5 * (c[1] - c[0]), atol=1e-15)
    np.testing.assert_allclose(delta[-1], 0.5 * (c[-1] - c[-2]), atol=1e-15)


def test_static_window_is_the_identity(rng):
    c = rng.normal(size=(5, 3))
    np.testing.assert_array_equal(apply_windows(c, (STATIC_WINDOW,)), c)
    assert apply_windows(c).shape == (5, 3 * len(DEFAULT_WINDOWS))


def test_single_frame_has_zero_delta():
    np.testing.assert_array_equal(apply_windows(np.array([[2.0, 3.0]])), [[2.0, 3.0, 0.0, 0.0]])


@pytest.mark.parametrize("bad", [(), ((1.0, 2.0),), (("a",),), ((np.nan,),)])
def test_malformed_windows_are_refused(bad):
    with pytest.raises(ParameterError, match="window"):
        apply_windows(np.zeros((3, 1)), bad)


def test_nonfinite_features_are_refused():
    with pytest.raises(ParameterError, match="x: contains 1 NaN"):
        apply_windows(np.array([[0.0], [np.nan]]))


@pytest.mark.parametrize("n_frames", [1, 2, 3, 4, 7])
def test_transpose_equals_the_dense_w_transpose_also_on_very_short_sequences(n_frames):
    rng = np.random.default_rng(n_frames)
    windows = [[1.0], [-0.5, 0.0, 0.5], [0.1, -0.3, 0.4, 0.2, 0.6]]  # one wider than T
    o = rng.normal(size=(n_frames, 3 * 2))  # K = 3 windows, D = 2
    W = window_matrix(n_frames, windows)  # (K T, T): an independent construction
    got = apply_windows_transpose(o, windows)
    for d in range(2):
        window_major = o[:, d::2].T.ravel()  # (K T,)
        np.testing.assert_allclose(got[:, d], W.T @ window_major, rtol=0, atol=1e-14)
