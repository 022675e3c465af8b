"""The Toda 2007 extensions: GV generation, MS postfilter, differential GMM, MLSA, pitch shift."""

import numpy as np
import pysptk
import pytest
import scipy.linalg
import scipy.signal

from gmmvc.audio import pitch_shift
from gmmvc.config import AnalysisConfig
from gmmvc.conversion import (
    GlobalVariance,
    ModulationSpectrum,
    convert_mlpg,
    convert_mlpg_gv,
    global_variance,
    gv_postfilter,
    modulation_spectrum,
    modulation_statistics,
    ms_postfilter,
)
from gmmvc.deltas import (
    DEFAULT_WINDOWS,
    DELTA_DELTA_WINDOW,
    DELTA_WINDOW,
    STATIC_WINDOW,
    apply_windows,
    apply_windows_transpose,
    window_matrix,
)
from gmmvc.exceptions import ConvergenceWarning, ParameterError
from gmmvc.gmm import JointGMM, differential_gmm
from gmmvc.synthesis import mlsa_filter


def _smooth(rng, n_frames, dim, n_sin=4):
    t = np.linspace(0, 1, n_frames)[:, None]
    return sum(
        rng.normal(size=dim) * np.sin(2 * np.pi * (k + 1) * t + rng.uniform(0, 6))
        for k in range(n_sin)
    )


@pytest.mark.parametrize(
    "windows", [DEFAULT_WINDOWS, (STATIC_WINDOW, DELTA_WINDOW, DELTA_DELTA_WINDOW)]
)
def test_window_transpose_is_the_adjoint(rng, windows):
    T, D, K = 19, 3, len(windows)
    o = rng.normal(size=(T, K * D))
    Wk = window_matrix(T, windows).reshape(K, T, T)
    expected = sum(Wk[k].T @ o[:, k * D : (k + 1) * D] for k in range(K))
    np.testing.assert_allclose(apply_windows_transpose(o, windows), expected, atol=1e-13)


@pytest.fixture(scope="module")
def smoothing_gmm():
    """A joint GMM whose MLPG output is over-smoothed (low variance) relative to the target."""
    rng = np.random.default_rng(0)
    xs, ys = [], []
    for _ in range(30):
        x = _smooth(rng, 150, 2)
        y = 0.8 * x + 0.6 * rng.normal(size=x.shape)  # unpredictable detail -> smoothing
        xs.append(apply_windows(x))
        ys.append(apply_windows(y))
    gmm = JointGMM(2, random_state=0).fit(
        np.hstack([np.vstack(xs), np.vstack(ys)]), n_source_dims=4
    )
    gv = global_variance([y[:, :2] for y in ys])
    return gmm, gv, _smooth(rng, 150, 2)


def test_gv_generation_raises_gv_toward_the_target(smoothing_gmm):
    gmm, gv, x = smoothing_gmm
    plain = convert_mlpg(gmm, x)
    history = []
    out = convert_mlpg_gv(gmm, x, gv, history=history)
    gap_plain = np.abs(np.log(plain.var(axis=0) / gv.mean))
    gap_gv = np.abs(np.log(out.var(axis=0) / gv.mean))
    assert np.all(plain.var(axis=0) < 0.8 * gv.mean)  # MLPG alone is over-smoothed here
    assert np.all(gap_gv < 0.5 * gap_plain)
    assert np.all(np.diff(history) >= 0)  # the objective never decreases
    # it stays a trajectory close to the MLPG one, not noise
    assert np.corrcoef(out[:, 0], plain[:, 0])[0, 1] > 0.9


def test_gv_generation_converges_to_a_stationary_point(smoothing_gmm):
    # the objective's gradient, built densely and independently, vanishes at the result
    gmm, gv, x = smoothing_gmm
    X = apply_windows(x)
    n_frames, n_src = X.shape
    cond = gmm.conditional_
    best = np.argmax(gmm.posteriors(X), axis=1)
    W = np.einsum(
        "kts,de->tkdse", window_matrix(n_frames).reshape(2, n_frames, n_frames), np.eye(2)
    ).reshape(n_frames * 4, n_frames * 2)
    P = scipy.linalg.block_diag(*cond.precisions[best])
    E = np.concatenate([cond.A[m] @ X[t] + cond.b[m] for t, m in enumerate(best)])

    def gradient(c):
        traj = W.T @ P @ (E - W @ c.ravel()) / (2 * n_frames)
        v = c.var(axis=0)
        return traj.reshape(c.shape) - 2 / n_frames * (c - c.mean(axis=0)) * (v - gv.mean) / gv.var

    start = gv_postfilter(convert_mlpg(gmm, x), gv)  # where the generation starts
    out = convert_mlpg_gv(gmm, x, gv, max_iter=500, tol=1e-15)
    assert np.linalg.norm(gradient(out)) < 1e-6 * np.linalg.norm(gradient(start))


def test_gv_generation_reaches_the_optimum_at_default_settings():
    # a target speaker whose GV hardly varies between utterances makes the GV term stiff:
    # the steps must still end at the maximum, not stop early where progress is slow
    rng = np.random.default_rng(0)
    xs, ys = [], []
    for _ in range(30):
        x = _smooth(rng, 150, 6)
        xs.append(apply_windows(x))
        ys.append(apply_windows(0.8 * x + 0.6 * rng.normal(size=x.shape)))
    gmm = JointGMM(3, random_state=0).fit(
        np.hstack([np.vstack(xs), np.vstack(ys)]), n_source_dims=12
    )
    spread = global_variance([y[:, :6] for y in ys])
    gv = GlobalVariance(spread.mean, 0.001 * spread.var)
    x = _smooth(rng, 150, 6)
    optimum = convert_mlpg_gv(gmm, x, gv, max_iter=20000, tol=1e-15)
    out = convert_mlpg_gv(gmm, x, gv)
    assert np.sqrt(np.mean((out - optimum) ** 2)) < 0.01 * optimum.std()


def test_gv_generation_warns_when_it_runs_out_of_steps(smoothing_gmm):
    gmm, gv, x = smoothing_gmm
    with pytest.warns(ConvergenceWarning, match="MLPG-GV did not converge in max_iter=1"):
        convert_mlpg_gv(gmm, x, gv, max_iter=1)


def test_ms_postfilter_leaves_target_statistics_unchanged(rng):
    utts = [_smooth(rng, n, 3) for n in (120, 200, 180)]
    stats = modulation_statistics(utts, n_fft=256)
    c = _smooth(rng, 150, 3)
    np.testing.assert_allclose(ms_postfilter(c, stats, stats), c, atol=1e-10)
    np.testing.assert_array_equal(ms_postfilter(c, stats, stats, weight=0.0), c)


def test_ms_postfilter_moves_the_modulation_spectrum_toward_the_target(rng):
    smooth = [_smooth(rng, 200, 2, n_sin=2) for _ in range(10)]
    rough = [s + 0.3 * rng.normal(size=s.shape) for s in smooth]
    conv_stats = modulation_statistics(smooth, n_fft=256)
    tgt_stats = modulation_statistics(rough, n_fft=256)
    c = _smooth(rng, 200, 2, n_sin=2)
    out = ms_postfilter(c, conv_stats, tgt_stats)
    before = np.abs(modulation_spectrum(c, n_fft=256) - tgt_stats.mean).mean()
    after = np.abs(modulation_spectrum(out, n_fft=256) - tgt_stats.mean).mean()
    assert after < 0.5 * before
    np.testing.assert_allclose(out.mean(axis=0), c.mean(axis=0), atol=0.05)


def test_ms_postfilter_works_per_dimension_along_time(rng):
    utts = [_smooth(rng, 100, 2) + 0.2 * rng.normal(size=(100, 2)) for _ in range(5)]
    conv = modulation_statistics([u * 0.5 for u in utts], n_fft=128)
    tgt = modulation_statistics(utts, n_fft=128)
    c = _smooth(rng, 100, 2)
    changed = c.copy()
    changed[:, 1] += rng.normal(size=100)
    a, b = ms_postfilter(c, conv, tgt), ms_postfilter(changed, conv, tgt)
    np.testing.assert_allclose(a[:, 0], b[:, 0], atol=1e-12)  # dim 0 ignores dim 1
    assert not np.allclose(a[:, 1], b[:, 1])


def test_ms_shapes_and_errors(rng):
    assert modulation_spectrum(rng.normal(size=(50, 4)), n_fft=64).shape == (33, 4)
    with pytest.raises(ParameterError, match="at most n_fft=32 frames, got 50"):
        modulation_spectrum(rng.normal(size=(50, 4)), n_fft=32)
    stats = ModulationSpectrum(np.zeros((33, 4)), np.ones((33, 4)), 64)
    with pytest.raises(ParameterError, match="expected 4 dimensions"):
        ms_postfilter(rng.normal(size=(10, 3)), stats, stats)


def test_differential_gmm_is_the_exact_linear_transform(rng):
    x = rng.normal(size=(600, 2))
    y = np.tanh(x) + 0.5 + 0.05 * rng.normal(size=x.shape)
    joint = JointGMM(3, random_state=0).fit(np.hstack([x, y]), n_source_dims=2)
    diff = differential_gmm(joint)
    np.testing.assert_allclose(diff.means_[:, 2:], joint.means_[:, 2:] - joint.means_[:, :2])
    # conditional means are related exactly: E[y - x | x] = E[y | x] - x
    np.testing.assert_allclose(diff.predict_mmse(x), joint.predict_mmse(x) - x, atol=1e-9)
    with pytest.raises(ParameterError, match="equal source and target dimensions, got 2 and 1"):
        differential_gmm(JointGMM(1, random_state=0).fit(np.hstack([x, y[:, :1]]), n_source_dims=2))


def test_mlsa_with_zero_difference_returns_the_input(rng):
    x = rng.normal(scale=0.1, size=8000)
    cfg = AnalysisConfig()
    n_frames = 8000 // 80 + 1
    np.testing.assert_allclose(mlsa_filter(x, np.zeros((n_frames, 25)), cfg), x, atol=1e-9)


def test_mlsa_response_matches_the_mel_cepstral_envelope(rng):
    x = rng.normal(scale=0.05, size=32000)
    mc = np.zeros(25)
    mc[1], mc[2] = 0.5, -0.2
    y = mlsa_filter(x, np.tile(mc, (401, 1)), AnalysisConfig())
    _, px = scipy.signal.welch(x, 16000, nperseg=512)
    _, py = scipy.signal.welch(y, 16000, nperseg=512)
    expected = pysptk.mc2sp(mc, 0.41, 512)  # power response of exp(mc) with alpha 0.41
    measured_db, expected_db = 10 * np.log10(py / px), 10 * np.log10(expected)
    np.testing.assert_allclose(measured_db[5:-5], expected_db[5:-5], atol=0.6)  # Welch noise


def test_pitch_shift_moves_f0_and_keeps_duration():
    fs = 16000
    t = np.arange(fs) / fs
    x = scipy.signal.sawtooth(2 * np.pi * 120 * t) * 0.3
    y = pitch_shift(x, fs, 1.75)
    assert y.size == x.size
    spec = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    assert abs(np.argmax(spec[:400]) - 210) <= 2  # 120 Hz * 1.75
    with pytest.raises(ParameterError, match="ratio: expected a positive number"):
        pitch_shift(x, fs, -1.0)


def test_lowering_the_pitch_keeps_the_whole_band(rng):
    # a 200 Hz buzz with its harmonics up to 8 kHz, lowered to 120 Hz: the fundamental moves,
    # and the band above 0.6 x 8 kHz, which resampling empties, still carries the source's energy
    fs = 16000
    t = np.arange(2 * fs) / fs
    x = 0.3 * scipy.signal.sawtooth(2 * np.pi * 200 * t) + 0.01 * rng.normal(size=t.size)
    y = pitch_shift(x, fs, 0.6)
    freqs, px = scipy.signal.welch(x, fs, nperseg=1024)
    _, py = scipy.signal.welch(y, fs, nperseg=1024)
    spec = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    assert abs(np.argmax(spec[: 2 * 400]) / 2 - 120) <= 2  # 2 s: 0.5 Hz per bin
    top = (freqs > 5200) & (freqs < 7800)
    ratio_db = 10 * np.log10(py[top].sum() / px[top].sum())
    assert -3.0 < ratio_db < 3.0, ratio_db  # resampling alone leaves it over 100 dB down


def test_global_variance_dataclass_is_used_by_gv_generation_shape_checks(smoothing_gmm):
    gmm, _, x = smoothing_gmm
    with pytest.raises(ParameterError, match="gv.mean: expected last dimension 2"):
        convert_mlpg_gv(gmm, x, GlobalVariance(np.ones(3), np.ones(3)))
