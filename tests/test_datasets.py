"""Tests of the generated demo corpus (gmmvc.datasets)."""

from __future__ import annotations

import numpy as np
import pysptk
import pytest
import pyworld
import scipy.signal
import soundfile
from fastdtw import fastdtw

from gmmvc import datasets
from gmmvc.datasets import DemoCorpus, make_demo_corpus, write_demo_corpus
from gmmvc.exceptions import ParameterError

PHONE_SET = {"a", "e", "i", "o", "u", "m", "n", "l", "w", "s", "sh", "f", "t", "k", "pau"}
FS = 16000


@pytest.fixture(scope="module")
def corpus() -> DemoCorpus:
    return make_demo_corpus(3)


def _analyse(x: np.ndarray, fs: int = FS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WORLD F0 (harvest), envelope and order-24 mel-cepstrum at 5 ms frames."""
    f0, t = pyworld.harvest(x, fs, f0_floor=60.0, f0_ceil=500.0, frame_period=5.0)
    sp = pyworld.cheaptrick(x, f0, t, fs)
    return f0, sp, pysptk.sp2mc(sp, order=24, alpha=0.41)


@pytest.fixture(scope="module")
def analysed(corpus: DemoCorpus) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return {"source": _analyse(corpus.source[0]), "target": _analyse(corpus.target[0])}


# --- determinism ------------------------------------------------------------------------


def test_same_seed_is_bit_identical() -> None:
    a = make_demo_corpus(3, seed=7)
    b = make_demo_corpus(3, seed=7)
    assert a.names == b.names
    assert a.phones == b.phones
    for x, y in zip(a.source + a.target, b.source + b.target, strict=True):
        np.testing.assert_array_equal(x, y)


def test_other_seed_gives_other_sentences() -> None:
    a = make_demo_corpus(3, seed=0)
    b = make_demo_corpus(3, seed=1)
    assert a.phones != b.phones
    assert not any(
        x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a.source, b.source, strict=True)
    )


def test_first_utterances_do_not_depend_on_corpus_size() -> None:
    small = make_demo_corpus(2, seed=3)
    large = make_demo_corpus(4, seed=3)
    assert large.names[:2] == small.names
    assert large.phones[:2] == small.phones
    for i in range(2):
        np.testing.assert_array_equal(large.source[i], small.source[i])
        np.testing.assert_array_equal(large.target[i], small.target[i])


# --- shapes, levels, contents -----------------------------------------------------------


def test_fields_shapes_and_levels(corpus: DemoCorpus) -> None:
    assert corpus.fs == FS
    assert corpus.names == ("utt000", "utt001", "utt002")
    assert len(corpus.source) == len(corpus.target) == len(corpus.phones) == 3
    for wav in corpus.source + corpus.target:
        assert isinstance(wav, np.ndarray)
        assert wav.dtype == np.float64
        assert wav.ndim == 1
        assert 0.8 * FS <= wav.size <= 4.0 * FS
        assert np.all(np.isfinite(wav))
        assert 0.5 <= np.max(np.abs(wav)) <= 0.9


def test_source_and_target_lengths_differ(corpus: DemoCorpus) -> None:
    for src, tgt in zip(corpus.source, corpus.target, strict=True):
        assert src.size != tgt.size


def test_phone_sequences() -> None:
    c = make_demo_corpus(12, seed=5)
    assert len(set(c.phones)) == 12
    for phones in c.phones:
        assert set(phones) <= PHONE_SET
        spoken = [p for p in phones if p != "pau"]
        assert 8 <= len(spoken) <= 20
        assert phones.count("pau") <= 1
        assert phones[0] != "pau" and phones[-1] != "pau"
        assert any(p in {"a", "e", "i", "o", "u"} for p in phones)


def test_other_sample_rate() -> None:
    c = make_demo_corpus(1, fs=8000)
    assert c.fs == 8000
    for wav in c.source + c.target:
        assert np.all(np.isfinite(wav))
        assert np.max(np.abs(wav)) <= 0.9
        # Same 5 ms blocks, half the samples per block: about 1 to 3 s of audio.
        assert 0.8 * 8000 <= wav.size <= 4.0 * 8000


# --- the voices -------------------------------------------------------------------------


def test_f0_of_the_two_voices(analysed: dict) -> None:
    f0_src = analysed["source"][0]
    f0_tgt = analysed["target"][0]
    assert 90.0 <= np.median(f0_src[f0_src > 0]) <= 150.0
    assert 170.0 <= np.median(f0_tgt[f0_tgt > 0]) <= 260.0


def test_voiced_fraction(analysed: dict) -> None:
    for voice in ("source", "target"):
        f0 = analysed[voice][0]
        assert 0.3 <= np.mean(f0 > 0) <= 0.9, voice


def test_leading_silence_is_quiet_but_not_digital_zero(corpus: DemoCorpus) -> None:
    for wav in corpus.source + corpus.target:
        silence = wav[: int(0.15 * FS)]  # the leading silence lasts at least 0.2 s
        rms_silence = np.sqrt(np.mean(silence**2))
        rms_all = np.sqrt(np.mean(wav**2))  # includes the silences, so it underestimates speech
        assert 20.0 * np.log10(rms_all / rms_silence) >= 30.0
        assert rms_silence > 2.0 / 32768.0  # a noise floor survives 16-bit quantisation


def _voiced_speech(f0: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """Voiced frames within 40 dB of the loudest frame.

    Harvest calls some frames of the -60 dB noise floor voiced, as it does with
    any low-level noise; the power threshold drops them as the pipeline does.
    """
    power_db = 10.0 * np.log10(sp.sum(axis=1))
    return (f0 > 0) & (power_db > power_db.max() - 40.0)


def _aligned_mcd(a: tuple, b: tuple) -> float:
    """Mean mel-cepstral distortion (dB, c0 dropped) over voiced frames after DTW."""
    (f0_a, sp_a, mc_a), (f0_b, sp_b, mc_b) = a, b
    _, path = fastdtw(mc_a[:, 1:], mc_b[:, 1:], radius=2, dist=2)
    ia, ib = np.asarray(path).T
    voiced = _voiced_speech(f0_a, sp_a)[ia] & _voiced_speech(f0_b, sp_b)[ib]
    diff = mc_a[ia[voiced], 1:] - mc_b[ib[voiced], 1:]
    return float(np.mean(10.0 / np.log(10.0) * np.sqrt(2.0 * np.sum(diff**2, axis=1))))


def _mean_log_envelope(a: tuple) -> np.ndarray:
    """Level-normalised mean log envelope (dB) over voiced speech frames."""
    f0, sp, _ = a
    mean = 10.0 * np.log10(sp[_voiced_speech(f0, sp)]).mean(axis=0)
    return mean - mean.mean()


def test_voices_differ_more_than_two_renditions_of_one_voice() -> None:
    # Hold the sentence fixed: render it twice in the source voice (new timing, formant
    # jitter, F0 wander and noise) and once in the target voice. Across *different*
    # sentences the content, not the speaker, dominates the average envelope.
    rng = np.random.default_rng(11)
    sentence = datasets._make_sentence(rng)
    src_a = _analyse(datasets._render(sentence, datasets._SOURCE_VOICE, rng, FS))
    src_b = _analyse(datasets._render(sentence, datasets._SOURCE_VOICE, rng, FS))
    tgt = _analyse(datasets._render(sentence, datasets._TARGET_VOICE, rng, FS))

    mcd_voices = _aligned_mcd(src_a, tgt)
    mcd_renditions = _aligned_mcd(src_a, src_b)
    assert mcd_voices > 2.0 * mcd_renditions

    def rms(d: np.ndarray) -> float:
        return float(np.sqrt(np.mean(d**2)))

    env_a, env_b, env_t = map(_mean_log_envelope, (src_a, src_b, tgt))
    assert rms(env_a - env_t) > 1.5 * rms(env_a - env_b)


# --- the formant filter -----------------------------------------------------------------


def _slow_cascade(x, formants, bandwidths, fs, hop):
    """Per-sample direct-form resonators; coefficients change at block starts."""
    n_blocks, n_formants = formants.shape
    past = np.zeros((n_formants, 2))  # y[n-1], y[n-2] of each resonator
    out = np.empty_like(x)
    for b in range(n_blocks):
        r = np.exp(-np.pi * bandwidths[b] / fs)
        c = -(r**2)
        bb = 2.0 * r * np.cos(2.0 * np.pi * formants[b] / fs)
        a = 1.0 - bb - c
        for n in range(b * hop, (b + 1) * hop):
            v = x[n]
            for k in range(n_formants):
                v = a[k] * v + bb[k] * past[k, 0] + c[k] * past[k, 1]
                past[k] = v, past[k, 0]
            out[n] = v
    return out


def test_formant_cascade_matches_direct_form_resonators(rng) -> None:
    fs, hop, n_blocks = 8000, 16, 12
    formants = np.column_stack([np.linspace(300, 900, n_blocks), np.linspace(2200, 1100, n_blocks)])
    bandwidths = np.column_stack([np.full(n_blocks, 60.0), np.linspace(80, 200, n_blocks)])
    x = rng.normal(size=n_blocks * hop)
    got = datasets._formant_cascade(x, formants, bandwidths, fs=fs, hop=hop)
    want = _slow_cascade(x, formants, bandwidths, fs, hop)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_formant_cascade_with_fixed_formants_is_one_filter(rng) -> None:
    fs, hop, n_blocks = 16000, 80, 20
    formants = np.tile([500.0, 1500.0, 2500.0], (n_blocks, 1))
    bandwidths = np.tile([60.0, 90.0, 120.0], (n_blocks, 1))
    x = rng.normal(size=n_blocks * hop)
    got = datasets._formant_cascade(x, formants, bandwidths, fs=fs, hop=hop)
    r = np.exp(-np.pi * bandwidths[0] / fs)
    a1, a2 = -2.0 * r * np.cos(2.0 * np.pi * formants[0] / fs), r**2
    sos = np.column_stack([1.0 + a1 + a2, 0 * r, 0 * r, 1.0 + 0 * r, a1, a2])
    np.testing.assert_allclose(got, scipy.signal.sosfilt(sos, x), rtol=1e-9, atol=1e-12)


# --- writing ----------------------------------------------------------------------------


def test_write_demo_corpus(tmp_path, corpus: DemoCorpus) -> None:
    src_dir, tgt_dir = write_demo_corpus(corpus, tmp_path / "demo")
    assert src_dir == tmp_path / "demo" / "source"
    assert tgt_dir == tmp_path / "demo" / "target"
    for folder, waves in ((src_dir, corpus.source), (tgt_dir, corpus.target)):
        assert sorted(p.name for p in folder.iterdir()) == [f"{n}.wav" for n in corpus.names]
        for name, wav in zip(corpus.names, waves, strict=True):
            info = soundfile.info(str(folder / f"{name}.wav"))
            assert info.samplerate == corpus.fs
            assert info.subtype == "PCM_16"
            assert info.channels == 1
            data, fs = soundfile.read(str(folder / f"{name}.wav"), dtype="float64")
            assert fs == corpus.fs
            # 16-bit quantisation: error at most one step.
            np.testing.assert_allclose(data, wav, rtol=0, atol=1.0 / 32768.0)


def test_write_refuses_to_overwrite(tmp_path, corpus: DemoCorpus) -> None:
    one = make_demo_corpus(1, seed=99)
    src_dir, _ = write_demo_corpus(one, tmp_path)
    before = (src_dir / "utt000.wav").read_bytes()
    with pytest.raises(ParameterError, match=r"overwrite: .*utt000\.wav.*overwrite=True"):
        write_demo_corpus(corpus, tmp_path)
    # Nothing was written by the refused call, not even the files that did not exist.
    assert (src_dir / "utt000.wav").read_bytes() == before
    assert not (src_dir / "utt001.wav").exists()
    write_demo_corpus(corpus, tmp_path, overwrite=True)
    assert (src_dir / "utt000.wav").read_bytes() != before
    assert (src_dir / "utt002.wav").exists()
    # No temporary files left behind.
    assert sorted(p.name for p in src_dir.iterdir()) == ["utt000.wav", "utt001.wav", "utt002.wav"]


def test_write_rejects_bad_arguments(tmp_path, corpus: DemoCorpus) -> None:
    with pytest.raises(ParameterError, match="corpus: expected a DemoCorpus, got dict"):
        write_demo_corpus({"source": []}, tmp_path)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ParameterError, match="folder: expected a directory"):
        write_demo_corpus(corpus, a_file)
    with pytest.raises(ParameterError, match="folder: expected a path"):
        write_demo_corpus(corpus, 3.5)


# --- argument validation ----------------------------------------------------------------


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "3", None])
def test_invalid_n_utterances(n) -> None:
    with pytest.raises(ParameterError, match=r"n_utterances: expected a positive integer.*e\.g\."):
        make_demo_corpus(n)


@pytest.mark.parametrize("fs", [4000, 12345, 16000.5, "16k", 96000])
def test_invalid_fs(fs) -> None:
    with pytest.raises(ParameterError, match=r"fs: expected"):
        make_demo_corpus(1, fs=fs)


def test_unsupported_fs_names_the_choices() -> None:
    with pytest.raises(ParameterError, match=r"fs: expected one of 8000, 16000.*got 12000; pick"):
        make_demo_corpus(1, fs=12000)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None, True])
def test_invalid_seed(seed) -> None:
    with pytest.raises(ParameterError, match=r"seed: expected a non-negative integer.*seed=0"):
        make_demo_corpus(1, seed=seed)


def test_numpy_integer_arguments_are_accepted() -> None:
    c = make_demo_corpus(np.int64(1), fs=np.int64(16000), seed=np.int32(2))
    assert c.names == ("utt000",)


def test_demo_corpus_checks_its_fields(corpus: DemoCorpus) -> None:
    wav = corpus.source[0]
    with pytest.raises(ParameterError, match="target: expected one entry per name"):
        DemoCorpus(fs=FS, names=("a",), source=(wav,), target=(), phones=(("a",),))
    with pytest.raises(ParameterError, match="names: expected plain file stems"):
        DemoCorpus(fs=FS, names=("../a",), source=(wav,), target=(wav,), phones=(("a",),))
    with pytest.raises(ParameterError, match="names: expected unique"):
        DemoCorpus(
            fs=FS, names=("a", "a"), source=(wav, wav), target=(wav, wav), phones=(("a",),) * 2
        )
    with pytest.raises(ParameterError, match="source: expected 1-D numpy arrays"):
        DemoCorpus(fs=FS, names=("a",), source=(wav[None],), target=(wav,), phones=(("a",),))
