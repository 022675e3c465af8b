"""Tests of gmmvc.analysis: F0 of synthetic pulse trains, shapes per rate, F0 range, errors."""

from __future__ import annotations

import numpy as np
import pytest

from gmmvc.analysis import WorldFeatures, analyze, estimate_f0_range, extract_f0
from gmmvc.config import AnalysisConfig, default_fft_size
from gmmvc.exceptions import GmmvcError, ParameterError


def pulse_train(f0: float, fs: int, duration: float, rng: np.random.Generator) -> np.ndarray:
    """Band-limited pulse train (all harmonics below Nyquist, equal amplitude) + -60 dB noise."""
    t = np.arange(int(duration * fs)) / fs
    n_harmonics = int((fs / 2 - 1) // f0)
    k = np.arange(1, n_harmonics + 1)[:, None]
    x = np.cos(2 * np.pi * f0 * k * t).sum(axis=0) / n_harmonics
    return 0.5 * x + 1e-3 * rng.standard_normal(t.size)


def cents(f: np.ndarray, ref: float) -> np.ndarray:
    return 1200.0 * np.log2(f / ref)


def n_frames(n_samples: int, fs: int, frame_period: float) -> int:
    # WORLD's frame count: frames at 0, frame_period, ... up to the last sample.
    return int(1000.0 * n_samples / fs / frame_period) + 1


# ---------------------------------------------------------------- F0


@pytest.mark.parametrize("method", ["harvest", "dio"])
@pytest.mark.parametrize("true_f0", [120.0, 220.0])
def test_f0_of_pulse_train_within_20_cents(rng, method, true_f0):
    fs = 16000
    x = pulse_train(true_f0, fs, 0.5, rng)
    f0, time_axis = extract_f0(x, fs, method=method, f0_floor=40.0, f0_ceil=800.0)
    assert f0.shape == time_axis.shape == (n_frames(x.size, fs, 5.0),)
    np.testing.assert_allclose(np.diff(time_axis), 0.005, rtol=0, atol=1e-12)
    voiced = f0 > 0
    assert voiced.mean() >= 0.95
    # Frames whose analysis window reaches past the ends see a truncated signal.
    interior = (time_axis >= 0.04) & (time_axis <= time_axis[-1] - 0.04)
    err = np.abs(cents(f0[voiced & interior], true_f0))
    assert err.size >= 0.9 * interior.sum()
    assert err.max() < 20.0


def test_extract_f0_respects_frame_period(rng):
    fs = 16000
    x = pulse_train(150.0, fs, 0.3, rng)
    f0, time_axis = extract_f0(x, fs, method="dio", f0_floor=60, f0_ceil=400, frame_period=10.0)
    assert f0.shape == (n_frames(x.size, fs, 10.0),)
    np.testing.assert_allclose(np.diff(time_axis), 0.010, rtol=0, atol=1e-12)


def test_extract_f0_rejects_bad_options(rng):
    x = pulse_train(150.0, 16000, 0.1, rng)
    with pytest.raises(ParameterError, match="method: expected one of 'harvest', 'dio'"):
        extract_f0(x, 16000, method="yin", f0_floor=60, f0_ceil=400)
    with pytest.raises(ParameterError, match="f0_floor/f0_ceil: expected f0_floor < f0_ceil"):
        extract_f0(x, 16000, f0_floor=400, f0_ceil=60)
    with pytest.raises(ParameterError, match="f0_ceil: expected below the Nyquist"):
        extract_f0(x, 16000, f0_floor=60, f0_ceil=8000)
    with pytest.raises(ParameterError, match="f0_floor: expected a positive number"):
        extract_f0(x, 16000, f0_floor=-1, f0_ceil=400)
    with pytest.raises(ParameterError, match="fs: expected an integer sample rate"):
        extract_f0(x, 1000, f0_floor=60, f0_ceil=400)
    with pytest.raises(ParameterError, match="frame_period: expected a positive number"):
        extract_f0(x, 16000, f0_floor=60, f0_ceil=400, frame_period=0)


# ---------------------------------------------------------------- analyze


@pytest.mark.parametrize("fs", [16000, 22050, 24000, 44100, 48000])
def test_analyze_shapes_at_each_rate(rng, fs):
    x = pulse_train(150.0, fs, 0.25, rng)
    config = AnalysisConfig(fs=fs, f0_floor=80.0, f0_ceil=300.0)
    world = analyze(x, config)
    n_bins = default_fft_size(fs) // 2 + 1
    t = n_frames(x.size, fs, 5.0)
    assert world.f0.shape == (t,)
    assert world.sp.shape == world.ap.shape == (t, n_bins)
    assert world.fs == fs and world.frame_period == 5.0
    assert world.fft_size == default_fft_size(fs)
    assert np.all(world.sp > 0) and np.all(np.isfinite(world.sp))
    assert np.all((world.ap >= 0) & (world.ap <= 1))
    voiced = world.f0 > 0
    assert voiced.mean() >= 0.9
    assert abs(np.median(cents(world.f0[voiced], 150.0))) < 20.0


def test_analyze_uses_the_config_fft_size_and_wide_range_by_default(rng):
    fs = 16000
    x = pulse_train(60.0, fs, 0.4, rng)  # low voice: inside the wide 40-800 Hz range
    world = analyze(x, AnalysisConfig(fs=fs, f0_method="dio", fft_size=2048))
    assert world.sp.shape[1] == 1025
    voiced = world.f0 > 0
    assert voiced.mean() >= 0.8
    assert abs(np.median(cents(world.f0[voiced], 60.0))) < 20.0


def test_analyze_is_deterministic(rng):
    x = pulse_train(200.0, 16000, 0.2, rng)
    a = analyze(x, AnalysisConfig(f0_method="dio"))
    b = analyze(x.tolist(), AnalysisConfig(f0_method="dio"))
    np.testing.assert_array_equal(a.f0, b.f0)
    np.testing.assert_array_equal(a.sp, b.sp)


def test_analyze_rejects_bad_waveforms():
    cfg = AnalysisConfig(fs=16000)
    good = np.sin(np.arange(1600) * 0.1)
    with pytest.raises(ParameterError, match="x: contains 1 NaN or infinite"):
        analyze(np.where(np.arange(1600) == 5, np.nan, good), cfg)
    with pytest.raises(ParameterError, match="x: expected at least 1 frames/samples"):
        analyze(np.zeros(0), cfg)
    with pytest.raises(ParameterError, match=r"x: expected at least 240 samples \(3 frame"):
        analyze(good[:100], cfg)
    with pytest.raises(ParameterError, match="x: expected a signal, got all zeros"):
        analyze(np.zeros(1600), cfg)
    with pytest.raises(ParameterError, match=r"x: expected a 1-D array, got shape \(2, 800\)"):
        analyze(good.reshape(2, 800), cfg)
    with pytest.raises(ParameterError, match="x: expected an array of numbers"):
        analyze(["a", "b"], cfg)


def test_analyze_rejects_bad_config():
    x = np.sin(np.arange(1600) * 0.1)
    with pytest.raises(ParameterError, match="fs: expected an integer sample rate"):
        analyze(x, AnalysisConfig(fs=4000))
    with pytest.raises(ParameterError, match="f0_method: expected one of"):
        analyze(x, AnalysisConfig(f0_method="crepe"))
    with pytest.raises(ParameterError, match="f0_floor/f0_ceil: expected f0_floor < f0_ceil"):
        analyze(x, AnalysisConfig(f0_floor=300.0, f0_ceil=100.0))
    with pytest.raises(ParameterError, match="f0_floor/f0_ceil: expected f0_floor < f0_ceil"):
        analyze(x, AnalysisConfig(f0_floor=900.0))  # above the wide ceiling


def test_world_features_checks_shapes():
    with pytest.raises(ParameterError, match="WorldFeatures: expected f0 .T,., sp and ap"):
        WorldFeatures(np.zeros(3), np.ones((3, 5)), np.ones((3, 4)), 16000, 5.0)
    with pytest.raises(ParameterError, match="as many f0 values as envelope frames"):
        WorldFeatures(np.zeros(2), np.ones((3, 5)), np.ones((3, 5)), 16000, 5.0)


# ---------------------------------------------------------------- F0 range


@pytest.mark.parametrize("true_f0", [120.0, 220.0])
def test_estimate_f0_range_brackets_a_pulse_train(rng, true_f0):
    fs = 16000
    waves = [pulse_train(true_f0, fs, 0.4, rng) for _ in range(2)]
    floor, ceil = estimate_f0_range(waves, fs)
    assert floor < true_f0 < ceil
    assert ceil / floor < 2.5  # not absurdly wide: a steady voice gives 1.5 / 0.75 = 2
    # The De Looze & Hirst rule on a steady F0 (quartiles = F0); 2 % for DIO's jitter.
    np.testing.assert_allclose([floor, ceil], [0.75 * true_f0, 1.5 * true_f0], rtol=0.02)


def test_estimate_f0_range_follows_the_quartiles(rng):
    fs = 16000
    low, high = 100.0, 200.0  # half the frames at each: Q1 = 100, Q3 = 200
    waves = [pulse_train(low, fs, 0.5, rng), pulse_train(high, fs, 0.5, rng)]
    floor, ceil = estimate_f0_range(waves, fs)
    np.testing.assert_allclose([floor, ceil], [0.75 * low, 1.5 * high], rtol=0.02)
    # A single 1-D array is one utterance.
    floor1, ceil1 = estimate_f0_range(waves[0], fs)
    np.testing.assert_allclose([floor1, ceil1], [0.75 * low, 1.5 * low], rtol=0.02)


def test_estimate_f0_range_subset_and_clipping(rng):
    fs = 16000
    waves = [pulse_train(150.0, fs, 0.2, rng) for _ in range(10)]
    # 2 s of audio, 0.5 s budget: still brackets, from a subset.
    floor, ceil = estimate_f0_range(waves, fs, max_duration=0.5)
    assert floor < 150.0 < ceil
    floor, ceil = estimate_f0_range([pulse_train(700.0, fs, 0.3, rng)], fs)
    assert ceil == 1000.0  # 1.5 * 700 clipped to the upper limit


def test_estimate_f0_range_errors(rng):
    with pytest.raises(GmmvcError, match="no voiced frames in 2 analysed waveform"):
        estimate_f0_range([np.zeros(4000), np.zeros(3000)], 16000)
    with pytest.raises(ParameterError, match="waveforms: expected at least one waveform"):
        estimate_f0_range([], 16000)
    with pytest.raises(ParameterError, match=r"waveforms\[1\]: contains 1 NaN"):
        estimate_f0_range([np.ones(1000), np.array([1.0, np.nan])], 16000)
    with pytest.raises(ParameterError, match="fs: expected an integer sample rate"):
        estimate_f0_range([np.ones(1000)], 1.5)
