"""Tests of gmmvc.audio: file round trips, mixdown, resampling, atomic writes, errors."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest
import soundfile as sf

from gmmvc import audio
from gmmvc.audio import read_audio, resample, to_mono, write_audio
from gmmvc.exceptions import GmmvcError, ParameterError

# One 16-bit quantisation step; round-to-nearest stays within half of it.
LSB16 = 2.0**-15


def _peak_frequency(x: np.ndarray, fs: int) -> float:
    """Frequency (Hz) of the largest spectral peak, 1/16-bin resolution."""
    n_fft = 16 * len(x)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=n_fft))
    return float(np.argmax(spectrum) * fs / n_fft)


def _files(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# ---------------------------------------------------------------- round trips


def test_write_read_round_trip_16bit(tmp_path, rng):
    x = rng.uniform(-0.9, 0.9, 8000)
    path = write_audio(tmp_path / "a.wav", x, 16000)
    y, fs = read_audio(path)
    assert fs == 16000
    assert y.shape == x.shape and y.dtype == np.float64
    np.testing.assert_allclose(y, x, rtol=0, atol=LSB16)  # 16-bit quantisation
    assert sf.info(str(path)).subtype == "PCM_16"


def test_write_read_round_trip_float_subtype_flac_and_pcm24(tmp_path, rng):
    x = rng.uniform(-0.9, 0.9, 4000)
    y, _ = read_audio(write_audio(tmp_path / "f.wav", x, 16000, subtype="FLOAT"))
    np.testing.assert_allclose(y, x, rtol=1e-7, atol=0)  # float32 storage
    y, _ = read_audio(write_audio(tmp_path / "p.flac", x, 16000, subtype="PCM_24"))
    np.testing.assert_allclose(y, x, rtol=0, atol=2.0**-23)  # 24-bit quantisation


def test_stereo_file_is_mixed_down_to_mono(tmp_path, rng, caplog):
    left = rng.uniform(-0.5, 0.5, 3000)
    right = rng.uniform(-0.5, 0.5, 3000)
    path = write_audio(tmp_path / "st.wav", np.stack([left, right], axis=1), 16000)
    assert sf.info(str(path)).channels == 2
    with caplog.at_level(logging.INFO, logger="gmmvc.audio"):
        y, fs = read_audio(path)
    assert y.shape == (3000,)
    np.testing.assert_allclose(y, 0.5 * (left + right), rtol=0, atol=LSB16)
    assert "mixing 2 channels down to mono" in caplog.text


def test_to_mono():
    x = np.array([[1.0, 0.0], [0.2, 0.4], [-1.0, 1.0]])
    np.testing.assert_allclose(to_mono(x), [0.5, 0.3, 0.0], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(to_mono([0.1, 0.2]), [0.1, 0.2])
    with pytest.raises(ParameterError, match=r"x: expected shape \(n_samples, n_channels\)"):
        to_mono(np.zeros((2, 100)))
    with pytest.raises(ParameterError, match="x: expected a 1-D or 2-D array"):
        to_mono(np.zeros((2, 2, 2)))


# ---------------------------------------------------------------- resampling


@pytest.mark.parametrize(
    ("orig_fs", "fs"), [(44100, 16000), (16000, 22050), (48000, 24000), (22050, 48000)]
)
def test_resample_length_and_sine_frequency(orig_fs, fs):
    n = orig_fs // 2  # 0.5 s
    t = np.arange(n) / orig_fs
    x = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    y = resample(x, orig_fs, fs)
    assert y.shape == (math.ceil(n * fs / orig_fs),)
    # The peak sits at 440 Hz at either rate (resolution 1/8 Hz after padding).
    assert abs(_peak_frequency(y, fs) - 440.0) < 0.25
    # Amplitude is kept away from the edges (soxr passband is flat to ~0.1 dB).
    core = y[len(y) // 10 : -len(y) // 10]
    np.testing.assert_allclose(np.sqrt(np.mean(core**2)), 0.5 / np.sqrt(2), rtol=0.01)


def test_resample_same_rate_is_a_copy_and_multichannel_is_frames_first():
    x = np.linspace(-1, 1, 100)
    y = resample(x, 16000, 16000)
    np.testing.assert_array_equal(y, x)
    assert y is not x
    stereo = np.stack([x, -x], axis=1)
    out = resample(stereo, 16000, 8000)
    assert out.shape == (50, 2)
    np.testing.assert_allclose(out[:, 0], -out[:, 1], rtol=0, atol=1e-12)


def test_read_audio_resamples_when_asked(tmp_path):
    fs_file = 44100
    t = np.arange(fs_file // 2) / fs_file
    write_audio(tmp_path / "s.wav", 0.5 * np.sin(2 * np.pi * 300.0 * t), fs_file)
    y, fs = read_audio(tmp_path / "s.wav", fs=16000)
    assert fs == 16000
    assert y.shape == (math.ceil(len(t) * 16000 / fs_file),)
    assert abs(_peak_frequency(y, fs) - 300.0) < 0.25
    y_same, fs_same = read_audio(tmp_path / "s.wav", fs=fs_file)
    assert fs_same == fs_file and y_same.shape == t.shape


def test_resample_bad_rates():
    with pytest.raises(ParameterError, match="orig_fs: expected a positive integer"):
        resample(np.zeros(10), 0, 16000)
    with pytest.raises(ParameterError, match="fs: expected an integer sample rate of at least"):
        resample(np.zeros(10), 16000, 100)


# ---------------------------------------------------------------- writing


def test_write_scales_instead_of_clipping(tmp_path, caplog):
    x = np.array([0.0, 2.0, -1.0, 0.5, -4.0])
    with caplog.at_level(logging.WARNING, logger="gmmvc.audio"):
        path = write_audio(tmp_path / "loud.wav", x, 16000)
    assert "exceeds 1; scaling" in caplog.text
    y, _ = read_audio(path)
    np.testing.assert_allclose(y, x * (0.99 / 4.0), rtol=0, atol=LSB16)


def test_write_leaves_no_temporary_file(tmp_path, rng):
    write_audio(tmp_path / "a.wav", rng.uniform(-0.5, 0.5, 1000), 16000)
    write_audio(tmp_path / "a.wav", rng.uniform(-0.5, 0.5, 500), 16000)  # overwrite
    assert _files(tmp_path) == ["a.wav"]
    assert sf.info(str(tmp_path / "a.wav")).frames == 500


def test_write_refuses_to_overwrite_and_keeps_the_file(tmp_path, rng):
    path = write_audio(tmp_path / "keep.wav", rng.uniform(-0.5, 0.5, 1000), 16000)
    before = path.read_bytes()
    with pytest.raises(GmmvcError, match=r"keep\.wav: file already exists and overwrite=False"):
        write_audio(path, np.zeros(10), 16000, overwrite=False)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["keep.wav"]
    # A new name is fine with overwrite=False.
    write_audio(tmp_path / "new.wav", np.zeros(10), 16000, overwrite=False)
    assert _files(tmp_path) == ["keep.wav", "new.wav"]


def test_failed_write_removes_temp_and_keeps_existing_file(tmp_path, rng, monkeypatch):
    path = write_audio(tmp_path / "old.wav", rng.uniform(-0.5, 0.5, 1000), 16000)
    before = path.read_bytes()

    def broken_write(file, data, samplerate, **kwargs):
        with open(file, "wb") as fh:  # a partial file, then the disk "fills up"
            fh.write(b"RIFF....")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audio.sf, "write", broken_write)
    with pytest.raises(GmmvcError, match=r"old\.wav: writing the audio file failed"):
        write_audio(path, np.zeros(100), 16000)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["old.wav"]


def test_write_rejects_bad_input(tmp_path):
    with pytest.raises(ParameterError, match="x: contains 1 NaN or infinite value"):
        write_audio(tmp_path / "a.wav", np.array([0.0, np.nan]), 16000)
    with pytest.raises(ParameterError, match="x: contains 1 NaN or infinite value"):
        write_audio(tmp_path / "a.wav", np.array([0.0, np.inf]), 16000)
    with pytest.raises(ParameterError, match="x: expected at least 1"):
        write_audio(tmp_path / "a.wav", np.zeros(0), 16000)
    with pytest.raises(ParameterError, match=r"x: expected shape \(n_samples, n_channels\)"):
        write_audio(tmp_path / "a.wav", np.zeros((2, 1000)), 16000)
    with pytest.raises(ParameterError, match="fs: expected an integer sample rate"):
        write_audio(tmp_path / "a.wav", np.zeros(10), 16000.5)
    with pytest.raises(ParameterError, match="path: expected an audio extension"):
        write_audio(tmp_path / "a.txt", np.zeros(10), 16000)
    with pytest.raises(ParameterError, match="subtype: expected one of"):
        write_audio(tmp_path / "a.wav", np.zeros(10), 16000, subtype="VORBIS")
    with pytest.raises(GmmvcError, match="does not exist; create it first"):
        write_audio(tmp_path / "missing" / "a.wav", np.zeros(10), 16000)
    assert _files(tmp_path) == []


# ---------------------------------------------------------------- reading errors


def test_read_missing_file(tmp_path):
    with pytest.raises(GmmvcError, match=r"nope\.wav: audio file does not exist"):
        read_audio(tmp_path / "nope.wav")


def test_read_non_audio_file(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n" * 20)
    with pytest.raises(GmmvcError, match=r"notes\.wav: cannot be read as audio"):
        read_audio(path)
    empty_bytes = tmp_path / "zero.wav"
    empty_bytes.write_bytes(b"")
    with pytest.raises(GmmvcError, match=r"zero\.wav: cannot be read as audio"):
        read_audio(empty_bytes)


def test_read_file_without_samples(tmp_path):
    path = tmp_path / "empty.wav"
    with sf.SoundFile(str(path), "w", samplerate=16000, channels=1, subtype="PCM_16"):
        pass  # a valid header, no frames
    with pytest.raises(GmmvcError, match=r"empty\.wav: expected audio samples, got an empty"):
        read_audio(path)


def test_read_directory_and_bad_fs(tmp_path):
    with pytest.raises(GmmvcError, match="expected an audio file, got a directory"):
        read_audio(tmp_path)
    path = write_audio(tmp_path / "a.wav", np.zeros(100), 16000)
    with pytest.raises(ParameterError, match="fs: expected an integer sample rate"):
        read_audio(path, fs=-1)


def test_wsola_at_factor_one_returns_the_input(rng):
    x = rng.normal(size=8000)
    y = audio.wsola_stretch(x, 16000, 1.0)
    n = 400  # the first and last half frame are windowed without a neighbour
    np.testing.assert_allclose(y[n:-n], x[n:-n], atol=1e-12)


@pytest.mark.parametrize("factor", [0.6, 1.5, 1.8])
def test_wsola_copies_whole_periods(factor):
    # a pulse every 100 samples (160 Hz) keeps exactly that spacing at any duration: frames
    # are spliced where the waveforms match, never smeared across a period
    x = np.zeros(16000)
    x[50::100] = 1.0
    y = audio.wsola_stretch(x, 16000, factor)
    assert y.size == round(16000 * factor)
    peaks = np.flatnonzero(y[400:-400] > 0.5)
    assert peaks.size > 0.9 * (y.size - 800) / 100
    np.testing.assert_array_equal(np.diff(peaks), 100)
    np.testing.assert_allclose(y[400:-400][peaks], 1.0, atol=1e-12)
    with pytest.raises(ParameterError, match="factor: expected a positive number"):
        audio.wsola_stretch(x, 16000, 0.0)


@pytest.mark.parametrize("n", [1, 10, 30])
def test_pitch_shift_of_a_few_samples_keeps_their_number(rng, n):
    for ratio in (0.5, 2.0):
        y = audio.pitch_shift(rng.normal(size=n), 16000, ratio)
        assert y.shape == (n,) and np.all(np.isfinite(y))
