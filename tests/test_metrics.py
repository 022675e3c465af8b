"""Tests for gmmvc.metrics: MCD, log-F0 RMSE and V/UV error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gmmvc.exceptions import ParameterError
from gmmvc.metrics import log_f0_rmse, mel_cepstral_distortion, vuv_error


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


# ---------------------------------------------------------------- MCD


def test_mcd_known_answer_constant_offset(rng: np.random.Generator) -> None:
    x = rng.standard_normal((40, 25))  # order 24: c0 + 24 coefficients
    y = x + 0.1
    expected = 10.0 / math.log(10.0) * math.sqrt(2.0 * 24 * 0.01)  # ~3.0089 dB
    np.testing.assert_allclose(mel_cepstral_distortion(x, y), expected, rtol=1e-12)
    expected_all = 10.0 / math.log(10.0) * math.sqrt(2.0 * 25 * 0.01)
    np.testing.assert_allclose(
        mel_cepstral_distortion(x, y, exclude_c0=False), expected_all, rtol=1e-12
    )


def test_mcd_exclude_c0_ignores_c0(rng: np.random.Generator) -> None:
    x = rng.standard_normal((30, 25))
    y = rng.standard_normal((30, 25))
    y_c0 = y.copy()
    y_c0[:, 0] += rng.uniform(-10.0, 10.0, 30)
    assert mel_cepstral_distortion(x, y_c0) == mel_cepstral_distortion(x, y)
    assert mel_cepstral_distortion(x, y_c0, exclude_c0=False) != pytest.approx(
        mel_cepstral_distortion(x, y, exclude_c0=False), rel=1e-3
    )


def test_mcd_matches_slow_per_frame_loop(rng: np.random.Generator) -> None:
    x = rng.standard_normal((17, 13))
    y = rng.standard_normal((17, 13))
    for exclude_c0, start in ((True, 1), (False, 0)):
        frames = [
            10.0
            / math.log(10.0)
            * math.sqrt(
                2.0 * sum((a - b) ** 2 for a, b in zip(xr[start:], yr[start:], strict=True))
            )
            for xr, yr in zip(x.tolist(), y.tolist(), strict=True)
        ]
        per_frame = mel_cepstral_distortion(x, y, exclude_c0=exclude_c0, per_frame=True)
        assert isinstance(per_frame, np.ndarray) and per_frame.shape == (17,)
        np.testing.assert_allclose(per_frame, frames, rtol=1e-12)
        np.testing.assert_allclose(
            mel_cepstral_distortion(x, y, exclude_c0=exclude_c0), np.mean(frames), rtol=1e-12
        )


def test_mcd_of_identical_inputs_is_zero_and_symmetric(rng: np.random.Generator) -> None:
    x = rng.standard_normal((10, 25))
    y = rng.standard_normal((10, 25))
    assert mel_cepstral_distortion(x, x) == 0.0
    assert mel_cepstral_distortion(x, y) == mel_cepstral_distortion(y, x)


def test_mcd_accepts_lists_and_returns_python_float() -> None:
    value = mel_cepstral_distortion([[0.0, 0.0, 0.0]], [[5.0, 0.3, 0.4]])
    assert type(value) is float
    np.testing.assert_allclose(value, 10.0 / math.log(10.0) * math.sqrt(2.0 * 0.25), rtol=1e-12)


def test_mcd_rejects_shape_mismatch() -> None:
    with pytest.raises(
        ParameterError,
        match=r"x and y: expected mel-cepstra of the same shape \(T, order \+ 1\), got "
        r"\(5, 25\) and \(6, 25\); align the frames first",
    ):
        mel_cepstral_distortion(np.zeros((5, 25)), np.zeros((6, 25)))
    with pytest.raises(ParameterError, match=r"got \(5, 25\) and \(5, 24\)"):
        mel_cepstral_distortion(np.zeros((5, 25)), np.zeros((5, 24)))


def test_mcd_rejects_c0_only_with_exclude_c0() -> None:
    with pytest.raises(
        ParameterError,
        match=r"x: expected at least 2 coefficients.*exclude_c0=True, got shape \(4, 1\); "
        r"pass exclude_c0=False",
    ):
        mel_cepstral_distortion(np.zeros((4, 1)), np.zeros((4, 1)))
    assert mel_cepstral_distortion(np.zeros((4, 1)), np.zeros((4, 1)), exclude_c0=False) == 0.0


def test_mcd_rejects_bad_arrays() -> None:
    with pytest.raises(ParameterError, match=r"x: expected a 2-D array, got shape \(25,\)"):
        mel_cepstral_distortion(np.zeros(25), np.zeros((1, 25)))
    with pytest.raises(ParameterError, match=r"y: expected at least 1 frames.*got 0"):
        mel_cepstral_distortion(np.zeros((1, 25)), np.zeros((0, 25)))
    with pytest.raises(ParameterError, match=r"y: contains 1 NaN or infinite"):
        mel_cepstral_distortion([[0.0, 1.0]], [[0.0, np.inf]])


# ---------------------------------------------------------------- log-F0 RMSE


def test_log_f0_rmse_octave_is_1200_cents_on_jointly_voiced_frames(
    rng: np.random.Generator,
) -> None:
    f0_y = rng.uniform(80.0, 300.0, 50)
    f0_x = 2.0 * f0_y
    # frames voiced in only one contour carry absurd values that must not count
    f0_x[:5] = 0.0
    f0_y[5:10] = 0.0
    f0_x[5:10] = 1000.0
    np.testing.assert_allclose(log_f0_rmse(f0_x, f0_y), 1200.0, rtol=1e-12)
    np.testing.assert_allclose(log_f0_rmse(f0_y, f0_x, unit="log"), math.log(2.0), rtol=1e-12)


def test_log_f0_rmse_known_answer_mixed_ratios() -> None:
    # ratios: one octave up, unison, a fifth-ish down (3/4 -> 1200 log2(0.75) cents)
    f0_x = [200.0, 150.0, 75.0, 0.0]
    f0_y = [100.0, 150.0, 100.0, 0.0]
    cents = [1200.0, 0.0, 1200.0 * math.log2(0.75)]
    expected = math.sqrt(sum(c * c for c in cents) / 3)
    value = log_f0_rmse(f0_x, f0_y)
    assert type(value) is float
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    np.testing.assert_allclose(log_f0_rmse(f0_y, f0_x), expected, rtol=1e-12)


def test_log_f0_rmse_of_identical_contours_is_zero() -> None:
    f0 = np.array([0.0, 110.0, 120.0, 0.0, 130.0])
    assert log_f0_rmse(f0, f0) == 0.0


def test_log_f0_rmse_rejects_no_commonly_voiced_frames() -> None:
    with pytest.raises(
        ParameterError,
        match=r"f0_x and f0_y: expected at least one frame voiced \(F0 > 0\) in both, got "
        r"none of 4 \(2 voiced in f0_x, 2 in f0_y\); check the alignment",
    ):
        log_f0_rmse([100.0, 100.0, 0.0, 0.0], [0.0, 0.0, 120.0, 120.0])


def test_log_f0_rmse_rejects_bad_unit() -> None:
    with pytest.raises(ParameterError, match=r"unit: expected one of 'cents', 'log', got 'hz'"):
        log_f0_rmse([100.0], [100.0], unit="hz")


def test_log_f0_rmse_rejects_negative_and_mismatched_f0() -> None:
    with pytest.raises(
        ParameterError,
        match=r"f0_y: expected F0 in Hz, >= 0 with 0 marking unvoiced frames, got minimum "
        r"-1e\+10; pass linear F0 \(not log-F0\)",
    ):
        log_f0_rmse([100.0, 0.0], [4.6, -1e10])
    with pytest.raises(
        ParameterError,
        match=r"f0_x and f0_y: expected the same number of frames, got 3 and 2; align",
    ):
        log_f0_rmse([100.0, 0.0, 100.0], [100.0, 0.0])
    with pytest.raises(ParameterError, match=r"f0_x: expected a 1-D array, got shape \(2, 1\)"):
        log_f0_rmse([[100.0], [0.0]], [100.0, 0.0])


# ---------------------------------------------------------------- V/UV error


def test_vuv_error_known_answers() -> None:
    f0_x = [0.0, 100.0, 120.0, 0.0, 90.0]
    f0_y = [0.0, 0.0, 110.0, 90.0, 95.0]
    value = vuv_error(f0_x, f0_y)
    assert type(value) is float
    np.testing.assert_allclose(value, 2.0 / 5.0, rtol=1e-15)
    assert vuv_error(f0_y, f0_x) == value
    assert vuv_error(f0_x, f0_x) == 0.0
    assert vuv_error([0.0, 100.0], [100.0, 0.0]) == 1.0


def test_vuv_error_rejects_bad_input() -> None:
    with pytest.raises(ParameterError, match=r"f0_x and f0_y: expected the same number of frames"):
        vuv_error([0.0, 1.0], [0.0])
    with pytest.raises(ParameterError, match=r"f0_x: expected at least 1 frames.*got 0"):
        vuv_error([], [])
    with pytest.raises(ParameterError, match=r"f0_y: contains 1 NaN.*numpy.nan_to_num"):
        vuv_error([0.0, 100.0], [np.nan, 100.0])
    with pytest.raises(ParameterError, match=r"f0_x: expected F0 in Hz, >= 0"):
        vuv_error([-1.0], [0.0])
