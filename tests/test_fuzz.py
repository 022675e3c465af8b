"""Property-based fuzzing of the public array functions (issue 5).

Every call on arbitrary arrays -- any small shape, finite values from tiny to
huge, NaN and infinities mixed in -- must either return a finite result of the
documented shape or raise the library's own error type (``GmmvcError`` and its
subclasses). Anything else (a raw ``ValueError`` from numpy, a ``LinAlgError``
from scipy, an ``IndexError``, a NaN in the output) fails the test.

Each test runs ``FUZZ_EXAMPLES`` examples (``GMMVC_FUZZ_EXAMPLES`` in the
environment overrides it, e.g. for a long nightly run); the whole file takes
well under a minute at the default.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gmmvc
import gmmvc.audio
from gmmvc.alignment import Alignment
from gmmvc.conversion import F0Statistics, GlobalVariance, modulation_spectrum
from gmmvc.exceptions import GmmvcError

FUZZ_EXAMPLES = int(os.environ.get("GMMVC_FUZZ_EXAMPLES", "60"))

#: CI runs a fixed set of examples (a red CI is then a real regression, reproducible); the
#: examples depend on the Hypothesis release, which the test extra pins for that reason. Set
#: GMMVC_FUZZ_RANDOM=1 to explore new random examples locally.
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("GMMVC_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Any float64 at all: subnormals, +-1e308, NaN, +-inf.
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, width=64)
#: Finite values of speech-feature size (no overflow by construction of the input).
MODEST = st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False, width=64)


def arrays(shape, elements=ANY_FLOAT):
    """Float64 arrays of a given shape strategy; elements from ``elements``."""
    return hnp.arrays(np.float64, shape, elements=elements)


def frames(max_frames=12, max_dims=5, min_frames=0, min_dims=0):
    return st.tuples(st.integers(min_frames, max_frames), st.integers(min_dims, max_dims))


#: Shapes of every rank 0-3, small, empty ones included.
ANY_SHAPE = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)

#: An array of any shape and any values, or a mostly-modest 2-D one.
WILD = st.one_of(arrays(ANY_SHAPE), arrays(frames()), arrays(frames(), MODEST))


def finite_or_own_error(func, *args, **kwargs):
    """Call ``func``; return its result, or None if it raised a GmmvcError.

    Any other exception propagates (and fails the test). A returned array or
    float must be finite.
    """
    try:
        out = func(*args, **kwargs)
    except GmmvcError:
        return None
    for value in out if isinstance(out, tuple) else (out,):
        if isinstance(value, (np.ndarray, float)):
            assert np.all(np.isfinite(value)), f"{func.__name__} returned non-finite values"
    return out


# ---------------------------------------------------------------------- deltas, MLPG


@FUZZ
@given(x=WILD)
def test_apply_windows(x):
    out = finite_or_own_error(gmmvc.apply_windows, x)
    if out is not None:
        assert out.shape == (x.shape[0], 2 * x.shape[1])


@FUZZ
@given(means=WILD, precisions=st.one_of(WILD, arrays(hnp.array_shapes(min_dims=3, max_dims=3))))
def test_mlpg_on_arbitrary_arrays(means, precisions):
    out = finite_or_own_error(gmmvc.mlpg, means, precisions)
    if out is not None:
        assert out.shape == (means.shape[0], means.shape[1] // 2)


@FUZZ
@given(
    data=st.data(),
    shape=frames(max_frames=10, max_dims=3, min_frames=1, min_dims=1),
)
def test_mlpg_on_well_shaped_arrays(data, shape):
    n_frames, dim = shape
    means = data.draw(arrays((n_frames, 2 * dim), st.one_of(MODEST, ANY_FLOAT)))
    precisions = data.draw(arrays((n_frames, 2 * dim), st.one_of(st.floats(0.0, 1e3), ANY_FLOAT)))
    out = finite_or_own_error(gmmvc.mlpg, means, precisions)
    if out is not None:
        assert out.shape == (n_frames, dim)


# ---------------------------------------------------------------------- features


@FUZZ
@given(sp=WILD, order=st.integers(1, 30), alpha=st.floats(-0.99, 0.99))
def test_sp_to_mcep(sp, order, alpha):
    out = finite_or_own_error(gmmvc.sp_to_mcep, sp, order=order, alpha=alpha)
    if out is not None:
        assert out.shape == sp.shape[:-1] + (order + 1,)


@FUZZ
@given(sp=arrays(frames(min_frames=1, min_dims=2), st.floats(1e-300, 1e300)))
def test_sp_to_mcep_positive_envelopes_of_any_scale(sp):
    out = finite_or_own_error(gmmvc.sp_to_mcep, sp, order=8, alpha=0.41)
    assert out is not None and out.shape == (sp.shape[0], 9)


@FUZZ
@given(mcep=WILD, alpha=st.floats(-0.99, 0.99), fft_size=st.sampled_from([16, 64, 512]))
def test_mcep_to_sp(mcep, alpha, fft_size):
    out = finite_or_own_error(gmmvc.mcep_to_sp, mcep, alpha=alpha, fft_size=fft_size)
    if out is not None:
        assert out.shape == mcep.shape[:-1] + (fft_size // 2 + 1,)
        assert np.all(out >= 0)  # exp of a very negative log power underflows to 0


@FUZZ
@given(ap=WILD, fs=st.sampled_from([8000, 16000, 48000]))
def test_code_ap(ap, fs):
    out = finite_or_own_error(gmmvc.code_ap, ap, fs)
    if out is not None:
        assert out.shape[0] == ap.shape[0] and out.ndim == 2


@FUZZ
@given(bap=WILD, fs=st.sampled_from([8000, 16000, 48000]), fft_size=st.sampled_from([64, 1024]))
def test_decode_ap(bap, fs, fft_size):
    out = finite_or_own_error(gmmvc.decode_ap, bap, fs, fft_size)
    if out is not None:
        assert out.shape == (bap.shape[0], fft_size // 2 + 1)
        assert np.all((out >= 0) & (out <= 1))


@FUZZ
@given(sp=WILD, threshold=ANY_FLOAT)
def test_frame_power_db_and_speech_mask(sp, threshold):
    power = finite_or_own_error(gmmvc.frame_power_db, sp)
    if power is None:
        return
    assert power.shape == (sp.shape[0],)
    mask = finite_or_own_error(gmmvc.speech_mask, power, threshold)
    if mask is not None:
        assert mask.dtype == bool and mask.shape == power.shape


@FUZZ
@given(parts=st.lists(arrays(st.integers(0, 20)), max_size=4))
def test_estimate_power_threshold(parts):
    finite_or_own_error(gmmvc.estimate_power_threshold, parts)


@FUZZ
@given(f0s=st.one_of(WILD, st.lists(arrays(st.integers(0, 20)), max_size=3)))
def test_log_f0_stats(f0s):
    out = finite_or_own_error(gmmvc.log_f0_stats, f0s)
    if out is not None:
        assert out[1] >= 0


# ---------------------------------------------------------------------- alignment


@FUZZ
@given(x=WILD, y=WILD, radius=st.integers(1, 3))
def test_dtw_path(x, y, radius):
    out = finite_or_own_error(gmmvc.dtw_path, x, y, radius=radius)
    if out is not None:
        ix, iy = out
        assert ix.shape == iy.shape and ix[0] == 0 and iy[0] == 0
        assert ix[-1] == x.shape[0] - 1 and iy[-1] == y.shape[0] - 1


@FUZZ
@given(data=st.data(), x=WILD, y=WILD)
def test_align_frames_and_joint_vectors(data, x, y):
    masks = {}
    for name, arr in (("x_mask", x), ("y_mask", y)):
        n = arr.shape[0] if arr.ndim else 0
        masks[name] = data.draw(st.none() | hnp.arrays(bool, n), label=name)
    alignment = finite_or_own_error(gmmvc.align_frames, x, y, **masks)
    if alignment is None:
        return
    assert np.isfinite(alignment.distance)
    joint = finite_or_own_error(gmmvc.joint_vectors, x, y, alignment)
    assert joint is not None and joint.shape == (len(alignment), x.shape[1] + y.shape[1])


@FUZZ
@given(
    x=WILD,
    y=WILD,
    index=st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), max_size=20),
)
def test_joint_vectors_with_any_alignment(x, y, index):
    alignment = Alignment([i for i, _ in index], [j for _, j in index], 0.0)
    out = finite_or_own_error(gmmvc.joint_vectors, x, y, alignment)
    if out is not None:
        assert out.shape == (len(index), x.shape[1] + y.shape[1])


# ---------------------------------------------------------------------- metrics


@FUZZ
@given(x=WILD, y=WILD, exclude_c0=st.booleans())
def test_mel_cepstral_distortion(x, y, exclude_c0):
    out = finite_or_own_error(gmmvc.mel_cepstral_distortion, x, y, exclude_c0=exclude_c0)
    if out is not None:
        assert isinstance(out, float) and out >= 0


@FUZZ
@given(
    n=st.integers(0, 12),
    data=st.data(),
    elements=st.sampled_from([ANY_FLOAT, st.floats(0.0, 1e308), st.sampled_from([0.0, 100.0])]),
)
def test_f0_metrics(n, data, elements):
    f0_x = data.draw(arrays(n, elements), label="f0_x")
    f0_y = data.draw(arrays(st.sampled_from([n, n + 1]), elements), label="f0_y")
    rmse = finite_or_own_error(gmmvc.log_f0_rmse, f0_x, f0_y)
    if rmse is not None:
        assert rmse >= 0
    vuv = finite_or_own_error(gmmvc.vuv_error, f0_x, f0_y)
    if vuv is not None:
        assert 0.0 <= vuv <= 1.0


# ---------------------------------------------------------------------- conversion


@FUZZ
@given(
    f0=WILD,
    stats=st.tuples(ANY_FLOAT, ANY_FLOAT, ANY_FLOAT, ANY_FLOAT),
)
def test_convert_f0(f0, stats):
    source, target = F0Statistics(*stats[:2]), F0Statistics(*stats[2:])
    out = finite_or_own_error(gmmvc.convert_f0, f0, source, target)
    if out is not None:
        assert out.shape == f0.shape and np.all(out >= 0)
        assert np.all(out[f0 == 0] == 0)  # unvoiced stays unvoiced (a 1e-147 Hz F0 may underflow)


@FUZZ
@given(
    utterances=st.lists(WILD, max_size=3),
    c=WILD,
    weight=st.one_of(st.floats(0.0, 1.0), ANY_FLOAT),
)
def test_global_variance_and_gv_postfilter(utterances, c, weight):
    gv = finite_or_own_error(gmmvc.global_variance, utterances)
    if gv is None:
        gv = GlobalVariance(mean=np.ones(c.shape[-1] if c.ndim else 1), var=np.ones(1))
    else:
        assert np.all(gv.mean >= 0) and np.all(gv.var >= 0)
    out = finite_or_own_error(gmmvc.gv_postfilter, c, gv, weight=weight)
    if out is not None:
        assert out.shape == c.shape


@FUZZ
@given(c=WILD, n_fft=st.integers(-2, 40))
def test_modulation_spectrum(c, n_fft):
    out = finite_or_own_error(modulation_spectrum, c, n_fft=n_fft)
    if out is not None:
        assert out.shape == (n_fft // 2 + 1, c.shape[1])


@pytest.fixture(scope="module")
def small_gmm():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((300, 2))
    joint = np.hstack([gmmvc.apply_windows(x), gmmvc.apply_windows(0.5 * x + 1.0)])
    return gmmvc.JointGMM(2, random_state=0).fit(joint, n_source_dims=4)


@FUZZ
@given(x=WILD, mode=st.sampled_from(["mmse", "mlpg"]))
def test_gmm_conversion(small_gmm, x, mode):
    func = gmmvc.convert_mmse if mode == "mmse" else gmmvc.convert_mlpg
    out = finite_or_own_error(func, small_gmm, x)
    if out is not None:
        assert out.shape[0] == x.shape[0]


# ---------------------------------------------------------------------- analysis


FAST16 = gmmvc.AnalysisConfig(fs=16000, f0_method="dio")


@settings(
    max_examples=max(10, FUZZ_EXAMPLES // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    x=st.one_of(
        arrays(st.integers(0, 1200), st.floats(-1.0, 1.0)),
        arrays(st.integers(0, 1200), ANY_FLOAT),
        arrays(st.integers(0, 1200), st.sampled_from([0.0, 1.0, -1.0, 1e-300])),
        arrays(ANY_SHAPE),
    )
)
def test_analyze_and_extract_features_on_short_waveforms(x):
    world = finite_or_own_error(gmmvc.analyze, x, FAST16)
    if world is None:
        return
    for name in ("f0", "sp", "ap"):
        assert np.all(np.isfinite(getattr(world, name))), name
    feats = finite_or_own_error(gmmvc.extract_features, x, FAST16)
    assert feats is not None
    for name in ("f0", "mcep", "bap", "power_db"):
        assert np.all(np.isfinite(getattr(feats, name))), name
    assert feats.mcep.shape == (world.n_frames, 25)
    mcep, power_db = gmmvc.extract_spectrum(x, FAST16)  # same checks, same answer
    np.testing.assert_array_equal(mcep, feats.mcep)
    np.testing.assert_array_equal(power_db, feats.power_db)


# ---------------------------------------------------------------------- audio


@FUZZ
@given(
    x=st.one_of(arrays(ANY_SHAPE), arrays(frames(max_frames=40, max_dims=3))),
    rates=st.tuples(st.sampled_from([8000, 16000, 44100]), st.sampled_from([8000, 16000, 48000])),
)
def test_resample_and_to_mono(x, rates):
    mono = finite_or_own_error(gmmvc.audio.to_mono, x)
    if mono is not None:
        assert mono.shape == (x.shape[0],)
    out = finite_or_own_error(gmmvc.resample, x, *rates)
    if out is not None:
        assert out.shape[0] == -(-x.shape[0] * rates[1] // rates[0])
        assert out.shape[1:] == x.shape[1:]
