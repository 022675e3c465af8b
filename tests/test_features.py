"""Tests of gmmvc.features: mel-cepstrum matrices against pysptk, aperiodicity coding,
frame power and silence threshold, log-F0 statistics, per-utterance features."""

from __future__ import annotations

import numpy as np
import pysptk
import pytest

from gmmvc import features
from gmmvc.analysis import analyze
from gmmvc.config import AnalysisConfig, default_fft_size, default_order
from gmmvc.exceptions import GmmvcError, ParameterError
from gmmvc.features import (
    POWER_FLOOR_DB,
    Features,
    code_ap,
    decode_ap,
    estimate_power_threshold,
    extract_features,
    extract_spectrum,
    features_from_world,
    frame_power_db,
    log_f0_stats,
    mcep_to_sp,
    sp_to_mcep,
    speech_mask,
)

MCEP_CASES = [  # (order, alpha, fft_size)
    (24, 0.41, 1024),  # 16 kHz defaults
    (34, 0.466, 1024),  # 22.05/24 kHz
    (39, 0.544, 2048),  # 44.1/48 kHz
    (12, 0.0, 256),  # no warping
    (5, -0.3, 64),  # negative alpha, tiny FFT
]


def random_envelope(rng: np.random.Generator, n_frames: int, fft_size: int) -> np.ndarray:
    """Speech-like power envelopes: a tilt, smooth bumps and fine detail; (T, F)."""
    n_bins = fft_size // 2 + 1
    freq = np.linspace(0.0, 1.0, n_bins)
    log_sp = -8.0 * freq[None, :] + rng.normal(0.0, 0.5, (n_frames, n_bins))
    for _ in range(4):
        centre = rng.uniform(0.05, 0.9, (n_frames, 1))
        log_sp += rng.uniform(1.0, 4.0, (n_frames, 1)) * np.exp(
            -0.5 * ((freq[None, :] - centre) / 0.04) ** 2
        )
    return np.exp(log_sp + rng.normal(-3.0, 2.0, (n_frames, 1)))


def random_mcep(rng: np.random.Generator, n_frames: int, order: int) -> np.ndarray:
    """Mel-cepstra with decaying coefficients, as speech has; (T, order + 1)."""
    scale = 1.0 / (1.0 + np.arange(order + 1))
    return rng.normal(0.0, 1.0, (n_frames, order + 1)) * scale


# ---------------------------------------------------------------- mel-cepstrum


@pytest.mark.parametrize(("order", "alpha", "fft_size"), MCEP_CASES)
def test_sp_to_mcep_equals_pysptk_per_frame(rng, order, alpha, fft_size):
    sp = random_envelope(rng, 12, fft_size)
    expected = np.stack([pysptk.sp2mc(frame, order, alpha) for frame in sp])
    got = sp_to_mcep(sp, order=order, alpha=alpha)
    assert got.shape == (12, order + 1)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)  # float64 round-off


@pytest.mark.parametrize(("order", "alpha", "fft_size"), MCEP_CASES)
def test_mcep_to_sp_equals_pysptk_per_frame(rng, order, alpha, fft_size):
    mcep = random_mcep(rng, 12, order)
    expected = np.stack([pysptk.mc2sp(frame, alpha, fft_size) for frame in mcep])
    got = mcep_to_sp(mcep, alpha=alpha, fft_size=fft_size)
    assert got.shape == (12, fft_size // 2 + 1)
    np.testing.assert_allclose(np.log(got), np.log(expected), rtol=0, atol=1e-10)


def test_pysptk_conversions_are_linear_in_the_log_envelope(rng):
    # The claim behind the matrix versions, checked on pysptk alone:
    # sp2mc(sp1^a * sp2^b) = a sp2mc(sp1) + b sp2mc(sp2), and likewise for log mc2sp.
    order, alpha, fft_size = 24, 0.41, 1024
    sp1, sp2 = random_envelope(rng, 2, fft_size)
    a, b = 0.7, -1.9
    mixed = pysptk.sp2mc(sp1**a * sp2**b, order, alpha)
    combo = a * pysptk.sp2mc(sp1, order, alpha) + b * pysptk.sp2mc(sp2, order, alpha)
    np.testing.assert_allclose(mixed, combo, rtol=0, atol=1e-10)
    mc1, mc2 = random_mcep(rng, 2, order)
    log_mixed = np.log(pysptk.mc2sp(a * mc1 + b * mc2, alpha, fft_size))
    log_combo = a * np.log(pysptk.mc2sp(mc1, alpha, fft_size)) + b * np.log(
        pysptk.mc2sp(mc2, alpha, fft_size)
    )
    np.testing.assert_allclose(log_mixed, log_combo, rtol=0, atol=1e-10)


def test_mcep_known_answers():
    # A flat envelope P has log P at c0 of the halved real cepstrum and nothing else.
    sp = np.full((3, 513), 4.0)
    mcep = sp_to_mcep(sp, order=24, alpha=0.41)
    expected = np.zeros((3, 25))
    expected[:, 0] = np.log(4.0) / 2
    np.testing.assert_allclose(mcep, expected, rtol=0, atol=1e-12)
    # alpha = 0: the real cepstrum of log sp (irfft), c0 halved, truncated.
    rng = np.random.default_rng(0)
    sp = random_envelope(rng, 4, 256)
    cep = np.fft.irfft(np.log(sp), axis=1)[:, :11]
    cep[:, 0] /= 2
    np.testing.assert_allclose(sp_to_mcep(sp, order=10, alpha=0.0), cep, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("order", "alpha", "fft_size"), MCEP_CASES[:3])
def test_mcep_sp_mcep_round_trip(rng, order, alpha, fft_size):
    # Exact up to the tail of the warped cepstrum beyond fft_size / 2, ~alpha^(fft_size/2).
    mcep = random_mcep(rng, 20, order)
    back = sp_to_mcep(mcep_to_sp(mcep, alpha=alpha, fft_size=fft_size), order=order, alpha=alpha)
    np.testing.assert_allclose(back, mcep, rtol=0, atol=1e-10)


def test_mcep_single_frame_and_cached_read_only_matrix(rng):
    sp = random_envelope(rng, 3, 1024)
    both = sp_to_mcep(sp, order=24, alpha=0.41)
    np.testing.assert_allclose(sp_to_mcep(sp[1], order=24, alpha=0.41), both[1], atol=1e-14)
    m1 = features._sp_to_mcep_matrix(24, 0.41, 1024)
    m2 = features._sp_to_mcep_matrix(24, 0.41, 1024)
    assert m1 is m2  # one matrix per (order, alpha, fft_size)
    with pytest.raises(ValueError, match="read-only"):
        m1[0, 0] = 1.0
    v = features._mcep_to_sp_matrix(24, 0.41, 1024)
    assert v.shape == (513, 25) and not v.flags.writeable


def test_mcep_bad_input():
    sp = np.ones((2, 513))
    with pytest.raises(ParameterError, match="sp: expected a strictly positive power envelope"):
        sp_to_mcep(np.zeros((2, 513)), order=24, alpha=0.41)
    with pytest.raises(ParameterError, match="sp: contains 1 NaN"):
        sp_to_mcep(np.where(np.eye(2, 513) > 0, np.nan, 1.0)[:1], order=24, alpha=0.41)
    with pytest.raises(ParameterError, match="order: expected a positive integer"):
        sp_to_mcep(sp, order=0, alpha=0.41)
    with pytest.raises(ParameterError, match="alpha: expected -1 < alpha < 1"):
        sp_to_mcep(sp, order=24, alpha=1.0)
    with pytest.raises(ParameterError, match="sp: expected a 1-D or 2-D array"):
        sp_to_mcep(np.ones((2, 2, 513)), order=24, alpha=0.41)
    with pytest.raises(ParameterError, match="fft_size: expected an even FFT size"):
        mcep_to_sp(np.zeros((2, 25)), alpha=0.41, fft_size=1023)
    with pytest.raises(ParameterError, match="mcep: expected at least 2 coefficients"):
        mcep_to_sp(np.zeros((2, 1)), alpha=0.41, fft_size=1024)


# ---------------------------------------------------------------- aperiodicity


@pytest.mark.parametrize(("fs", "n_bands"), [(16000, 1), (22050, 2), (24000, 3), (48000, 5)])
def test_code_decode_ap(fs, n_bands):
    fft_size = default_fft_size(fs)
    ap = np.full((6, fft_size // 2 + 1), 0.1)
    bap = code_ap(ap, fs)
    assert bap.shape == (6, n_bands)
    np.testing.assert_allclose(bap, -20.0, rtol=0, atol=1e-9)  # 20 log10(0.1)
    back = decode_ap(bap, fs, fft_size)
    assert back.shape == ap.shape
    assert np.all((back > 0) & (back <= 1))
    # At the band centres (3, 6, 9 ... kHz) the decoded value is the coded one.
    centres = (np.arange(1, n_bands + 1) * 3000 * fft_size / fs).round().astype(int)
    np.testing.assert_allclose(back[:, centres], 0.1, rtol=0.02)


def test_ap_bad_input():
    with pytest.raises(ParameterError, match=r"ap: expected aperiodicity in \(0, 1\]"):
        code_ap(np.zeros((2, 513)), 16000)
    with pytest.raises(ParameterError, match=r"ap: expected aperiodicity in \(0, 1\]"):
        code_ap(np.full((2, 513), 1.5), 16000)
    with pytest.raises(ParameterError, match="fs: WORLD codes aperiodicity in bands only from"):
        code_ap(np.full((2, 257), 0.5), 8000)
    with pytest.raises(ParameterError, match="bap: expected last dimension 5"):
        decode_ap(np.zeros((2, 1)), 48000, 2048)
    with pytest.raises(ParameterError, match="ap: expected a 2-D array"):
        code_ap(np.full(513, 0.5), 16000)


# ---------------------------------------------------------------- power and silence


def test_frame_power_db_known_answers():
    sp = np.array([[1.0, 1.0, 1.0], [0.0, 0.02, 0.01], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(frame_power_db(sp), [0.0, -20.0, POWER_FLOOR_DB], atol=1e-12)
    with pytest.raises(ParameterError, match="sp: expected a non-negative power envelope"):
        frame_power_db(-sp - 1.0)
    with pytest.raises(ParameterError, match="sp: expected a 2-D array"):
        frame_power_db(np.ones(3))


def _silence_speech_signal(rng, fs):
    """Silence (-80 dB noise) and speech-like segments; returns x and speech spans (s)."""
    layout = [("sil", 0.3), ("sp", 0.5), ("sil", 0.25), ("sp", 0.4), ("sil", 0.2)]
    parts, spans, start = [], [], 0.0
    for kind, dur in layout:
        n = int(round(dur * fs))
        t = np.arange(n) / fs
        if kind == "sil":
            parts.append(1e-4 * rng.standard_normal(n))
        else:
            f0 = 130.0 + 20.0 * np.sin(2 * np.pi * 2.0 * t)  # gliding voice
            phase = 2 * np.pi * np.cumsum(f0) / fs
            envelope = 0.3 * (0.55 + 0.45 * np.sin(2 * np.pi * 3.0 * t))  # ~20 dB swing
            voiced = sum(np.cos(k * phase) / k for k in range(1, 30))
            parts.append(envelope * voiced + 0.01 * rng.standard_normal(n))
            spans.append((start, start + n / fs))
        start += n / fs
    return np.concatenate(parts), spans


def test_power_threshold_separates_silence_and_speech(rng):
    fs = 16000
    config = AnalysisConfig(fs=fs, f0_method="dio", f0_floor=60.0, f0_ceil=400.0)
    signals = [_silence_speech_signal(rng, fs) for _ in range(2)]
    feats = [extract_features(x, config) for x, _ in signals]
    threshold = estimate_power_threshold([f.power_db for f in feats])
    assert -80.0 < threshold < -30.0
    for f, (_, spans) in zip(feats, signals, strict=True):
        times = np.arange(f.n_frames) * 0.005
        truth = np.zeros(f.n_frames, dtype=bool)
        near_edge = np.zeros(f.n_frames, dtype=bool)
        for a, b in spans:
            truth |= (times >= a) & (times < b)
            for edge in (a, b):
                near_edge |= np.abs(times - edge) <= 0.0101  # two frames either side
        mask = speech_mask(f.power_db, threshold)
        np.testing.assert_array_equal(mask[~near_edge], truth[~near_edge])


def test_power_threshold_with_little_or_no_silence(rng):
    # Speech frames spread over ~30 dB; Otsu alone would split them in half.
    speech = rng.normal(-20.0, 6.0, 3000)
    for silence in (np.zeros(0), rng.normal(-85.0, 2.0, 30)):  # none, then 1 %
        threshold = estimate_power_threshold(np.concatenate([speech, silence]))
        assert np.mean(speech > threshold) > 0.99
        assert np.all(silence < threshold)
    # Clearly bimodal: the Otsu split sits in the gap between the modes.
    silence = rng.normal(-85.0, 2.0, 1000)
    threshold = estimate_power_threshold([speech, silence])
    assert silence.max() < threshold < speech.min()


def test_power_threshold_ignores_digital_silence_and_constant_input():
    # Many digital-silence frames (at the floor) must not drag the split down to
    # between the floor and the noise; they are silence whatever the threshold.
    rng = np.random.default_rng(3)
    noise = rng.normal(-70.0, 2.0, 500)
    speech = rng.normal(-20.0, 4.0, 500)
    digital = np.full(3000, POWER_FLOOR_DB)
    threshold = estimate_power_threshold([digital, noise, speech])
    assert noise.max() < threshold < speech.min()
    # Two tight clusters: every split in the empty gap ties; the middle one is taken
    # (-55 dB), below the cap (95th percentile -20 dB minus 30 dB = -50 dB).
    two = np.concatenate([np.full(100, -90.0), np.full(100, -20.0)])
    assert estimate_power_threshold(two) == pytest.approx(-55.0, abs=0.3)  # 256-bin grid
    # Constant power: no split, the cap 30 dB below keeps everything.
    assert estimate_power_threshold(np.full(50, -12.0)) == pytest.approx(-42.0, abs=1e-9)
    # A spread too narrow for 256 histogram bins (found by fuzzing) counts as constant too.
    assert estimate_power_threshold(np.array([5e-324, 0.0])) == pytest.approx(-30.0, abs=1e-9)
    assert estimate_power_threshold(np.array([-12.0, -12.0 + 1e-12])) == pytest.approx(-42.0)


def test_power_threshold_errors():
    with pytest.raises(GmmvcError, match="all 20 frames are digital silence"):
        estimate_power_threshold(np.full(20, POWER_FLOOR_DB))
    with pytest.raises(ParameterError, match="power_db: expected frame powers, got no frames"):
        estimate_power_threshold([])
    with pytest.raises(ParameterError, match=r"power_db\[1\]: contains 1 NaN"):
        estimate_power_threshold([np.zeros(3), np.array([np.nan])])


def test_speech_mask():
    mask = speech_mask(np.array([-90.0, -40.0, -39.9, 0.0]), -40.0)
    np.testing.assert_array_equal(mask, [False, False, True, True])
    assert mask.dtype == bool
    with pytest.raises(ParameterError, match="threshold_db: expected a finite number"):
        speech_mask(np.zeros(3), float("nan"))
    with pytest.raises(ParameterError, match="power_db: expected a 1-D array"):
        speech_mask(np.zeros((3, 2)), -40.0)


# ---------------------------------------------------------------- log F0


def test_log_f0_stats_known_answer():
    f0s = [np.array([0.0, 100.0, 200.0]), np.array([400.0, 0.0])]
    mean, std = log_f0_stats(f0s)
    # log f0 = log 200 + (-1, 0, 1) log 2: mean log 200, std sqrt(2/3) log 2.
    assert mean == pytest.approx(np.log(200.0), abs=1e-12)
    assert std == pytest.approx(np.sqrt(2.0 / 3.0) * np.log(2.0), abs=1e-12)
    assert log_f0_stats(np.array([0.0, 150.0, 150.0])) == pytest.approx((np.log(150.0), 0.0))


def test_log_f0_stats_errors():
    with pytest.raises(GmmvcError, match="no voiced frames among 5 frame"):
        log_f0_stats([np.zeros(3), np.zeros(2)])
    with pytest.raises(ParameterError, match="f0s: expected F0 in Hz >= 0"):
        log_f0_stats(np.array([100.0, -5.0]))
    with pytest.raises(ParameterError, match=r"f0s\[0\]: contains 1 NaN"):
        log_f0_stats([np.array([np.nan, 100.0])])


# ---------------------------------------------------------------- one utterance


@pytest.mark.parametrize("fs", [16000, 48000])
def test_extract_features_shapes_and_consistency(rng, fs):
    t = np.arange(int(0.3 * fs)) / fs
    x = 0.3 * sum(np.cos(2 * np.pi * 140.0 * k * t) / k for k in range(1, 20))
    x = x + 1e-3 * rng.standard_normal(t.size)
    config = AnalysisConfig(fs=fs, f0_method="dio", f0_floor=70.0, f0_ceil=300.0)
    feats = extract_features(x, config)
    world = analyze(x, config)
    order = default_order(fs)
    n_bands = 1 if fs == 16000 else 5
    assert feats.mcep.shape == (world.n_frames, order + 1)
    assert feats.bap.shape == (world.n_frames, n_bands)
    assert feats.f0.shape == feats.power_db.shape == (world.n_frames,)
    np.testing.assert_array_equal(feats.f0, world.f0)
    np.testing.assert_allclose(
        feats.mcep,
        sp_to_mcep(world.sp, order=order, alpha=config.resolved().alpha),
        rtol=0,
        atol=1e-12,
    )
    np.testing.assert_allclose(feats.power_db, frame_power_db(world.sp), rtol=0, atol=1e-12)
    np.testing.assert_allclose(feats.bap, code_ap(world.ap, fs), rtol=0, atol=1e-12)
    # the differential route's analysis (no D4C) gives the same spectrum, bit for bit
    mcep, power_db = extract_spectrum(x, config)
    np.testing.assert_array_equal(mcep, feats.mcep)
    np.testing.assert_array_equal(power_db, feats.power_db)


def test_features_from_world_rejects_mismatched_settings(rng):
    fs = 16000
    x = np.sin(2 * np.pi * 150.0 * np.arange(4000) / fs) + 1e-3 * rng.standard_normal(4000)
    world = analyze(x, AnalysisConfig(fs=fs, f0_method="dio"))
    with pytest.raises(ParameterError, match="world.fs: expected config.fs = 22050 Hz"):
        features_from_world(world, AnalysisConfig(fs=22050))
    with pytest.raises(ParameterError, match="world.frame_period: expected config.frame_period"):
        features_from_world(world, AnalysisConfig(fs=fs, frame_period=10.0))
    with pytest.raises(ParameterError, match=r"world.sp: expected fft_size 2048 \(1025 bins\)"):
        features_from_world(world, AnalysisConfig(fs=fs, fft_size=2048))


def test_features_checks_shapes():
    ok = dict(f0=np.zeros(4), mcep=np.zeros((4, 25)), bap=np.zeros((4, 1)), power_db=np.zeros(4))
    assert Features(**ok).n_frames == 4
    with pytest.raises(ParameterError, match="Features: expected the same number of frames"):
        Features(**{**ok, "bap": np.zeros((3, 1))})
    with pytest.raises(ParameterError, match=r"Features: expected f0 \(T,\), mcep \(T, D\)"):
        Features(**{**ok, "mcep": np.zeros(4)})
