"""The gmmvc command: train, convert, evaluate, info; help, exit codes, messages."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from gmmvc.audio import pitch_shift, read_audio
from gmmvc.cli import get_parser, main
from gmmvc.datasets import make_demo_corpus, write_demo_corpus
from gmmvc.model import read_model_file

FAST_TRAIN = ["-m", "3", "--passes", "1", "--f0-method", "dio", "--max-iter", "200"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A demo corpus as two folders: train on utt000-utt005, evaluate on utt006-utt007."""
    root = tmp_path_factory.mktemp("corpus")
    src, tgt = write_demo_corpus(make_demo_corpus(8, seed=4), root)
    return src, tgt


@pytest.fixture(scope="module")
def model_file(folders, tmp_path_factory):
    src, tgt = folders
    path = tmp_path_factory.mktemp("model") / "model.npz"
    argv = ["-q", "train", str(src), str(tgt), "--pattern", "utt00[0-5]*", "-o", str(path)]
    assert main(argv + FAST_TRAIN + ["--mode", "mmse", "--gv-weight", "0.5"]) == 0
    return path


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- help and usage


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("train", ["--mixtures", "--mode", "--passes", "--f0-method", "--fs", "--seed", "--jobs"]),
        ("convert", ["OUTDIR", "--overwrite", "--jobs", "--pattern"]),
        ("evaluate", ["--json", "mel-cepstral distortion", "--mode"]),
        ("info", ["--json"]),
        ("roundtrip", ["--iters", "--momenta", "Griffin-Lim", "spectral convergence"]),
        ("demo", ["--utterances"]),
    ],
)
def test_every_command_has_useful_help(capsys, command, words):
    code, out, _ = _run(capsys, command, "--help")
    assert code == 0
    for word in words:
        assert word in out, word


def test_top_level_help_lists_commands_and_examples(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for word in ("train", "convert", "evaluate", "info", "roundtrip", "demo", "--backend stft"):
        assert word in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required"),
        (["fly"], "invalid choice"),
        (["train", "a"], "required"),
        (["train", "a", "b", "-o", "m.npz", "--jobs", "0"], "non-zero integer"),
        (["train", "a", "b", "-o", "m.npz", "--mixtures", "0"], "positive integer"),
        (["train", "a", "b", "-o", "m.npz", "--gv-weight", "2"], r"in \[0, 1\]"),
        (["train", "a", "b", "-o", "m.npz", "--mode", "fast"], "invalid choice"),
        (["convert", "m.npz", "x.wav"], "required: -o/--output-dir"),
        (["train", "a", "b", "-o", "m.npz", "--backend", "magic"], "invalid choice"),
        (["train", "a", "b", "-o", "m.npz", "--features", "mcep"], "invalid choice"),
        (["convert", "m.npz", "x.wav", "-o", "o", "--gl-iters", "0"], "positive integer"),
        (["roundtrip"], "required: AUDIO"),
        (["roundtrip", "a.wav", "--momenta", "1.5"], r"momentum in \[0, 1\]"),
        (["roundtrip", "a.wav", "--iters"], "expected at least one argument"),
    ],
)
def test_usage_errors_exit_two(capsys, argv, message):
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert "usage: gmmvc" in err
    assert re.search(message, err), err


def test_python_m_gmmvc_is_the_same_command(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "gmmvc", "info", str(tmp_path / "none.npz")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        f"gmmvc info: error: {tmp_path / 'none.npz'}: model file does not exist; check the path"
    ]
    assert subprocess.run([sys.executable, "-m", "gmmvc", "train", "--help"]).returncode == 0


def test_verbosity_flags_go_before_or_after_the_command():
    parser = get_parser()
    assert parser.parse_args(["-q", "info", "m"]).quiet
    assert parser.parse_args(["info", "m", "-q"]).quiet
    args = parser.parse_args(["-v", "info", "m"])
    assert args.verbose and not args.quiet


# --------------------------------------------------------------------------- failures


def test_failure_is_one_line_without_traceback(capsys, tmp_path):
    code, out, err = _run(capsys, "train", tmp_path / "nope", tmp_path / "nada", "-o", "m.npz")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"gmmvc train: error: {tmp_path / 'nope'}: does not exist; expected a folder of audio "
        "files or a list"
    ]


def test_verbose_failure_shows_the_traceback(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("not a model")
    code, _, err = _run(capsys, "-v", "info", bad)
    assert code == 1
    assert "Traceback" in err and "not a gmmvc model file" in err.splitlines()[-1]


def test_unexpected_errors_are_one_line_too(capsys, monkeypatch, tmp_path):
    from gmmvc import model

    def boom(path):
        raise RuntimeError("something broke")

    monkeypatch.setattr(model, "_file_format", boom)  # the first thing every model command does
    code, _, err = _run(capsys, "info", tmp_path / "m.npz")
    assert code == 1
    assert err.strip().splitlines() == [
        "gmmvc info: internal error: RuntimeError: something broke (run with --verbose for "
        "the traceback and please report it)"
    ]


def test_main_restores_the_library_logger(capsys, tmp_path):
    import logging

    lib = logging.getLogger("gmmvc")
    before = (lib.handlers[:], lib.level, lib.propagate)
    _run(capsys, "info", tmp_path / "none.npz")
    assert (lib.handlers[:], lib.level, lib.propagate) == before


# --------------------------------------------------------------------------- train and info


def test_train_writes_a_model_with_the_settings(model_file, capsys):
    saved = read_model_file(model_file)
    assert (saved.settings.mode, saved.settings.gv_weight) == ("mmse", 0.5)
    assert (saved.settings.ms_weight, saved.settings.synthesis) == (0.0, "world")
    assert saved.model.gmm.n_components == 3
    assert saved.model.source_config.f0_method == "dio"
    assert saved.model.info["n_utterances"] == 6
    assert saved.model.info["n_alignment_passes"] == 1


def test_train_passes_reg_covar_to_em(folders, model_file, tmp_path, capsys):
    src, tgt = folders
    path = tmp_path / "regularised.npz"
    argv = ["-q", "train", src, tgt, "--pattern", "utt00[0-5]*", "-o", path, *FAST_TRAIN]
    code, _, err = _run(capsys, *argv, "--reg-covar", "0.5")
    assert code == 0, err
    # every covariance is a scatter matrix plus reg_covar * I: no eigenvalue below it
    smallest = np.linalg.eigvalsh(read_model_file(path).model.gmm.covariances_).min()
    assert smallest >= 0.5 * (1 - 1e-9)
    default = np.linalg.eigvalsh(read_model_file(model_file).model.gmm.covariances_).min()
    assert default < 0.1  # the default (1e-3) leaves the data's own small variances
    code, _, err = _run(capsys, *argv, "--reg-covar", "0", "--overwrite")
    assert code == 2 and "--reg-covar: expected a positive number" in err


def test_train_stores_the_source_f0_shift_and_refuses_a_bad_one(folders, tmp_path, capsys):
    src, tgt = folders
    path = tmp_path / "shifted.npz"
    argv = ["-q", "train", src, tgt, "--pattern", "utt00[0-5]*", "-o", path, *FAST_TRAIN]
    code, _, err = _run(capsys, *argv, "--source-f0-shift", "1.25", "--synthesis", "differential")
    assert code == 0, err
    model = read_model_file(path).model
    assert model.source_f0_shift == 1.25
    # the shift is part of the model: conversion pitch-shifts the source the same way
    x = read_audio(sorted(src.glob("utt006*"))[0])[0]
    np.testing.assert_allclose(model.prepare_source(x, model.fs), pitch_shift(x, model.fs, 1.25))
    code, _, err = _run(
        capsys, "train", src, tgt, "-o", tmp_path / "m.npz", "--source-f0-shift", "-2"
    )
    assert code == 2 and "--source-f0-shift: expected a positive number" in err


def test_train_reports_and_logs_progress(folders, tmp_path, capsys):
    src, tgt = folders
    model = tmp_path / "m.npz"
    args = ["train", src, tgt, "--pattern", "utt00[0-3]*", "-o", model, *FAST_TRAIN, "-j", "2"]
    code, out, err = _run(capsys, *args)
    assert code == 0, err
    assert "trained on 4 pairs" in out and f"model written to {model}" in out
    assert "paired 4 files" in err and "EM:" in err  # the log, on stderr
    assert "%|" not in err  # stderr is not a terminal: no progress bars

    code, _, err = _run(capsys, *args)
    assert code == 1 and "already exists; pass --overwrite" in err
    code, _, err = _run(capsys, "-q", *args, "--overwrite")
    assert code == 0 and err == ""


def test_train_lists_unpaired_files(folders, tmp_path, capsys):
    src, tgt = folders
    lonely = tmp_path / "src"
    lonely.mkdir()
    for name in ("utt000.wav", "utt001.wav", "utt002.wav", "extra.wav"):
        (lonely / name).write_bytes(
            (src / ("utt000.wav" if name == "extra.wav" else name)).read_bytes()
        )
    code, _, err = _run(capsys, "train", lonely, tgt, "-o", tmp_path / "m.npz", *FAST_TRAIN)
    assert code == 0, err
    assert "skipping 1 file(s) with no partner" in err and "extra" in err


def test_train_from_text_lists(folders, tmp_path, capsys):
    src, tgt = folders
    (tmp_path / "s.txt").write_text("".join(f"{src / f'utt00{i}.wav'}\n" for i in range(3)))
    (tmp_path / "t.txt").write_text("".join(f"{tgt / f'utt00{i}.wav'}\n" for i in range(3)))
    code, out, err = _run(
        capsys,
        "-q",
        "train",
        tmp_path / "s.txt",
        tmp_path / "t.txt",
        "-o",
        tmp_path / "m.npz",
        *FAST_TRAIN,
    )
    assert code == 0, err
    assert "trained on 3 pairs" in out


def test_info_describes_the_model(model_file, capsys):
    code, out, _ = _run(capsys, "info", model_file)
    assert code == 0
    for text in (
        "format version 1",
        "written by gmmvc",
        "mode mmse, GV weight 0.5, world synthesis",
        "3 mixtures",
        "dio",
        "6 utterance pairs",
        "16000 Hz",
    ):
        assert text in out, text
    code, out, _ = _run(capsys, "info", model_file, "--json")
    assert code == 0
    info = json.loads(out)
    assert info["conversion"]["mode"] == "mmse" and info["conversion"]["gv_weight"] == 0.5
    assert info["aperiodicity_gmm"] is False
    assert info["gmm"]["n_components"] == 3
    assert info["training"]["n_utterances"] == 6
    assert info["source"]["analysis"]["f0_method"] == "dio"
    assert info["created"].endswith("+00:00")


# --------------------------------------------------------------------------- convert


def test_convert_writes_one_wav_per_input_and_never_overwrites(
    model_file, folders, tmp_path, capsys
):
    src, _ = folders
    out = tmp_path / "out" / "nested"
    code, stdout, err = _run(
        capsys, "convert", model_file, src, "--pattern", "utt00[67]*", "-o", out, "-j", "2"
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["utt006.wav", "utt007.wav"]
    assert "converted 2 file(s)" in stdout
    y, fs = sf.read(out / "utt006.wav")
    assert fs == 16000 and y.size > 0 and np.abs(y).max() <= 1.0

    stamp = (out / "utt006.wav").stat().st_mtime_ns
    code, _, err = _run(capsys, "convert", model_file, src / "utt006.wav", "-o", out)
    assert code == 1 and "already exists" in err and "--overwrite" in err
    assert (out / "utt006.wav").stat().st_mtime_ns == stamp
    code, _, err = _run(
        capsys, "-q", "convert", model_file, src / "utt006.wav", "-o", out, "--overwrite"
    )
    assert code == 0 and err == ""


def test_convert_matches_the_library_and_honours_the_mode(model_file, folders, tmp_path, capsys):
    from gmmvc.pipeline import VoiceConverter

    src, _ = folders
    code, _, err = _run(
        capsys, "-q", "convert", model_file, src / "utt007.wav", "-o", tmp_path, "--mode", "mlpg"
    )
    assert code == 0, err
    vc = VoiceConverter.load(model_file, mode="mlpg")
    x, fs = sf.read(src / "utt007.wav")
    expected = vc.convert(x, fs)
    got, _ = sf.read(tmp_path / "utt007.wav")
    np.testing.assert_allclose(got, expected, atol=1.5 / 2**15)  # 16-bit wav


def test_convert_refuses_to_write_over_its_input(model_file, folders, tmp_path, capsys):
    src, _ = folders
    inp = tmp_path / "utt000.wav"
    inp.write_bytes((src / "utt000.wav").read_bytes())
    code, _, err = _run(capsys, "convert", model_file, inp, "-o", tmp_path, "--overwrite")
    assert code == 1 and "is one of the inputs" in err
    assert inp.read_bytes() == (src / "utt000.wav").read_bytes()


def test_convert_refuses_two_inputs_with_one_output_name(model_file, folders, tmp_path, capsys):
    src, tgt = folders
    code, _, err = _run(
        capsys, "convert", model_file, src / "utt000.wav", tgt / "utt000.wav", "-o", tmp_path / "o"
    )
    assert code == 1 and "would be written twice" in err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- evaluate


def test_evaluate_prints_a_table_per_file_and_the_mean(model_file, folders, capsys):
    src, tgt = folders
    code, out, err = _run(capsys, "evaluate", model_file, src, tgt, "--pattern", "utt00[67]*")
    assert code == 0, err
    lines = out.splitlines()
    assert "2 pairs; mode mmse, GV weight 0.5, world synthesis" in lines[0]
    rows = {line.split()[0]: line.split()[1:] for line in lines[4:]}
    assert set(rows) == {"utt006", "utt007", "mean"}
    mcd_before, mcd_after = (float(v) for v in rows["mean"][:2])
    assert mcd_after < mcd_before
    assert len(rows["utt006"]) == 6


def test_evaluate_json_and_mode_override(model_file, folders, capsys):
    src, tgt = folders
    code, out, err = _run(
        capsys,
        "-q",
        "evaluate",
        model_file,
        src,
        tgt,
        "--pattern",
        "utt007*",
        "--json",
        "--mode",
        "mlpg",
        "--gv-weight",
        "0",
    )
    assert code == 0, err
    report = json.loads(out)
    settings = report["settings"]
    assert (settings["mode"], settings["gv_weight"], report["n_pairs"]) == ("mlpg", 0.0, 1)
    (pair,) = report["pairs"]
    assert pair["source"].endswith("utt007.wav") and pair["target"].endswith("utt007.wav")
    for when in ("before", "after"):
        assert set(pair[when]) == {"mcd_db", "f0_rmse_cents", "vuv_error"}
        assert report["mean"][when] == pair[when]
    assert pair["after"]["mcd_db"] < pair["before"]["mcd_db"]


def test_conversion_options_are_stored_defaults_or_overrides():
    from gmmvc.cli import _conversion_overrides

    parser = get_parser()
    train = parser.parse_args(["train", "a", "b", "-o", "m.npz"])
    assert (train.mode, train.gv_weight, train.ms_weight, train.synthesis) == (
        "mlpg",
        0.0,
        0.0,
        "world",
    )
    assert not train.convert_aperiodicity
    convert = parser.parse_args(["convert", "m.npz", "x.wav", "-o", "out"])
    assert _conversion_overrides(convert) == {}  # the model's defaults apply
    convert = parser.parse_args(
        [
            "convert",
            "m.npz",
            "x.wav",
            "-o",
            "out",
            "--synthesis",
            "differential",
            "--ms-weight",
            "1",
        ]
    )
    assert _conversion_overrides(convert) == {"synthesis": "differential", "ms_weight": 1.0}


# --------------------------------------------------------------------------- the STFT backend

STFT_TRAIN = ["--backend", "stft", "-m", "2", "--passes", "1", "--f0-method", "dio"]


@pytest.fixture(scope="module")
def stft_model_file(folders, tmp_path_factory):
    src, tgt = folders
    path = tmp_path_factory.mktemp("stft") / "stft.npz"
    argv = ["-q", "train", str(src), str(tgt), "--pattern", "utt00[0-5]*", "-o", str(path)]
    extra = ["--mode", "mmse", "--phase-init", "random", "--gl-iters", "8", "--max-iter", "200"]
    assert main(argv + STFT_TRAIN + extra) == 0
    return path


def test_train_stft_writes_an_stft_model_with_the_settings(stft_model_file, model_file):
    from gmmvc.stft import read_stft_model_file

    saved = read_stft_model_file(stft_model_file)
    conv = saved.converter
    assert (saved.mode, saved.phase_init) == ("mmse", "random")
    assert (conv.features, conv.config.n_iter, conv.gmm.n_components) == ("mfcc", 8, 2)
    assert (conv.config.fs, conv.config.hop_length, conv.config.win_length) == (16000, 80, 400)
    assert conv.info["n_utterances"] == 6 and conv.info["n_alignment_passes"] == 1
    assert conv.info["source_seconds"] > 0
    # the scoring settings come from the WORLD route's own recipe: the WORLD model trained
    # on the same pairs with the same F0 method holds the same ranges and thresholds
    world = read_model_file(model_file).model
    for ours, theirs in (
        (conv.source_analysis, world.source_config),
        (conv.target_analysis, world.target_config),
    ):
        assert ours.f0_method == theirs.f0_method == "dio"
        assert (ours.f0_floor, ours.f0_ceil) == pytest.approx((theirs.f0_floor, theirs.f0_ceil))
        assert ours.power_threshold_db == pytest.approx(theirs.power_threshold_db)


def test_train_stft_reports_what_it_did(folders, tmp_path, capsys):
    src, tgt = folders
    model = tmp_path / "s.npz"
    args = ["train", src, tgt, "--pattern", "utt00[0-2]*", "-o", model, *STFT_TRAIN]
    code, out, err = _run(capsys, *args, "--features", "logmel", "--max-iter", "50")
    assert code == 0, err
    assert "trained on 3 pairs" in out and "STFT backend, logmel features" in out
    assert f"model written to {model}" in out
    assert "STFT logmel alignment pass 1" in err and "speaker settings from 3 utterances" in err
    code, _, err = _run(capsys, *args)
    assert code == 1 and "already exists; pass --overwrite" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--backend", "stft", "--gv-weight", "0.5"], "--gv-weight applies to the WORLD backend"),
        (["--backend", "stft", "--mode", "mlpg_gv"], "--mode mlpg_gv applies to the WORLD"),
        (["--backend", "stft", "--synthesis", "differential"], "--synthesis applies to the"),
        (["--backend", "stft", "--convert-aperiodicity"], "--convert-aperiodicity applies"),
        (["--backend", "stft", "--cache", "c"], "--cache applies to the WORLD backend only"),
        (["--backend", "stft", "--source-f0-shift", "auto"], "--source-f0-shift applies to"),
        (["--features", "logmel"], r"--features applies to the STFT backend \(--backend stft\)"),
        (["--gl-iters", "10"], "--gl-iters applies to the STFT backend"),
        (["--backend", "stft", "--frame-period", "5.03"], "whole number of samples per frame"),
    ],
)
def test_train_refuses_options_of_the_other_backend(folders, tmp_path, capsys, extra, message):
    src, tgt = folders
    code, out, err = _run(capsys, "train", src, tgt, "-o", tmp_path / "m.npz", *extra)
    assert code == 1 and out == ""
    assert re.search(message, err), err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m.npz").exists()


def test_convert_with_an_stft_model_matches_the_library(stft_model_file, folders, tmp_path, capsys):
    from gmmvc.stft import load_stft_converter

    src, _ = folders
    conv = load_stft_converter(stft_model_file)
    x, fs = sf.read(src / "utt007.wav")
    # the stored defaults: MMSE, random initial phase, 8 Griffin-Lim iterations
    code, out, err = _run(capsys, "convert", stft_model_file, src / "utt007.wav", "-o", tmp_path)
    assert code == 0, err
    assert "converted 1 file(s)" in out
    assert "STFT backend (mfcc), mode mmse, Griffin-Lim 8 iterations from random phase" in err
    got, got_fs = sf.read(tmp_path / "utt007.wav")
    expected = conv.convert(x, mode="mmse", phase_init="random", n_iter=8)
    assert got_fs == fs
    np.testing.assert_allclose(got, expected, atol=1.5 / 2**15)  # 16-bit wav
    # overrides
    out2 = tmp_path / "o2"
    args = ["--mode", "mlpg", "--phase-init", "source", "--gl-iters", "4", "-j", "2"]
    code, _, err = _run(
        capsys, "-q", "convert", stft_model_file, src, "--pattern", "utt00[67]*", "-o", out2, *args
    )
    assert code == 0, err
    got, _ = sf.read(out2 / "utt007.wav")
    expected = conv.convert(x, mode="mlpg", phase_init="source", n_iter=4)
    np.testing.assert_allclose(got, expected, atol=1.5 / 2**15)
    assert sorted(p.name for p in out2.iterdir()) == ["utt006.wav", "utt007.wav"]


@pytest.mark.parametrize(
    ("which", "extra", "message"),
    [
        ("stft", ["--gv-weight", "0.5"], "--gv-weight applies to WORLD-backend models only"),
        ("stft", ["--synthesis", "differential"], "--synthesis applies to WORLD-backend models"),
        ("stft", ["--mode", "mlpg_gv"], "is an STFT-backend model, which converts with mmse"),
        ("world", ["--phase-init", "source"], "--phase-init applies to STFT-backend models only"),
        ("world", ["--gl-iters", "4"], "--gl-iters applies to STFT-backend models only"),
    ],
)
@pytest.mark.parametrize("command", ["convert", "evaluate"])
def test_options_of_the_other_backend_are_refused(
    stft_model_file, model_file, folders, tmp_path, capsys, which, extra, message, command
):
    src, tgt = folders
    model = stft_model_file if which == "stft" else model_file
    tail = [src / "utt007.wav", "-o", tmp_path / "o"] if command == "convert" else [src, tgt]
    code, out, err = _run(capsys, command, model, *tail, *extra)
    assert code == 1 and out == ""
    assert re.search(message, err), err
    assert not (tmp_path / "o").exists()


def test_evaluate_with_an_stft_model(stft_model_file, folders, capsys):
    from gmmvc.audio import read_audio
    from gmmvc.stft import evaluate_stft_converter, load_stft_converter

    src, tgt = folders
    code, out, err = _run(
        capsys, "evaluate", stft_model_file, src, tgt, "--pattern", "utt00[67]*", "-j", "2"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "2 pairs; STFT backend (mfcc), mode mmse, Griffin-Lim 8 iterations from random phase, "
        "F0 not converted"
    )
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in lines[4:]}
    assert set(rows) == {"utt006", "utt007", "mean"}
    assert rows["mean"][1] < rows["mean"][0]  # MCD after < before
    code, out, err = _run(
        capsys, "-q", "evaluate", stft_model_file, src, tgt, "--pattern", "utt007*", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["settings"] == {
        "backend": "stft",
        "mode": "mmse",
        "phase_init": "random",
        "n_iter": 8,
    }
    (pair,) = report["pairs"]
    # the same figures as the library's evaluation with the model's own settings
    conv = load_stft_converter(stft_model_file)
    xs, _ = read_audio(src / "utt007.wav", fs=16000)
    xt, _ = read_audio(tgt / "utt007.wav", fs=16000)
    (ev,) = evaluate_stft_converter(conv, [xs], [xt], mode="mmse", phase_init="random", n_iter=8)
    for when in ("before", "after"):
        score = getattr(ev, when)
        assert pair[when]["mcd_db"] == pytest.approx(score.mcd_db, rel=1e-12)
        assert pair[when]["vuv_error"] == pytest.approx(score.vuv_error, rel=1e-12)
    assert pair["n_frames"] == ev.after.n_frames


def test_evaluate_needs_the_scoring_settings(tmp_path, folders, capsys):
    from gmmvc.gmm import JointGMM
    from gmmvc.stft import StftConfig, StftConverter

    src, tgt = folders
    cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
    gmm = JointGMM.from_parameters([1.0], np.zeros((1, 8)), cov[None], n_source_dims=4)
    path = StftConverter(StftConfig(order=2), "mfcc", gmm, -60.0, -60.0).save(tmp_path / "m.npz")
    code, _, err = _run(capsys, "evaluate", path, src, tgt, "--pattern", "utt007*")
    assert code == 1
    assert "holds no speaker settings to score with" in err


def test_info_describes_an_stft_model(stft_model_file, capsys):
    code, out, _ = _run(capsys, "info", stft_model_file)
    assert code == 0
    for text in (
        "gmmvc STFT-backend model",
        "format version 1",
        "STFT backend (mfcc), mode mmse, Griffin-Lim 8 iterations from random phase",
        "2 mixtures, full covariance, 96 joint dims (48 source: mel-cepstrum c1-c24 of 80 mel",
        "16000 Hz, hop 80 (5 ms), hann window 400, FFT 1024",
        "source: WORLD dio",
        "6 utterance pairs",
        "1 alignment passes",
    ):
        assert text in out, text
    code, out, _ = _run(capsys, "info", stft_model_file, "--json")
    assert code == 0
    info = json.loads(out)
    assert info["backend"] == "stft" and info["features"] == "mfcc"
    assert info["conversion"] == {"mode": "mmse", "phase_init": "random"}
    assert info["stft"]["n_iter"] == 8 and info["gmm"]["n_components"] == 2
    assert info["scoring_analysis"]["source"]["f0_method"] == "dio"
    assert info["training"]["n_utterances"] == 6


def test_model_commands_refuse_bad_files(tmp_path, folders, capsys):
    src, tgt = folders
    notes = tmp_path / "notes.npz"
    notes.write_text("not a model")
    other = tmp_path / "other.npz"
    np.savez(other, gmmvc_metadata=np.frombuffer(b'{"format": "x"}', dtype=np.uint8))
    for path, message in ((notes, "not a gmmvc model file"), (other, "metadata format 'x'")):
        for argv in (
            ["info", path],
            ["convert", path, src / "utt007.wav", "-o", tmp_path / "o"],
            ["evaluate", path, src, tgt],
        ):
            code, out, err = _run(capsys, *argv)
            assert code == 1 and out == ""
            assert len(err.strip().splitlines()) == 1 and message in err, err


def test_roundtrip_prints_the_table_the_library_computes(folders, capsys):
    from gmmvc.audio import read_audio
    from gmmvc.stft import roundtrip_table

    src, _ = folders
    code, out, err = _run(capsys, "roundtrip", src, "--pattern", "utt006*", "--iters", "4", "8")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("1 file(s) at 16000 Hz; STFT FFT 1024, hop 80 (5 ms)")
    table = [line for line in lines if line.startswith("audio ->")]
    assert [line.split("  ")[0] for line in table] == [
        "audio -> linear -> audio",
        "audio -> linear -> audio",
        "audio -> mel -> linear -> audio",
        "audio -> mel -> linear -> audio",
        "audio -> WORLD -> audio",
    ]
    code, out, err = _run(capsys, "-q", "roundtrip", src / "utt006.wav", "--iters", "4", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [(r["route"], r["n_iter"], r["momentum"]) for r in report["rows"]] == [
        ("linear", 4, 0.99),
        ("mel", 4, 0.99),
        ("world", None, None),
    ]
    x, _ = read_audio(src / "utt006.wav", fs=16000)
    expected = roundtrip_table([x], n_iters=(4,))
    for row, want in zip(report["rows"], expected):
        mean = want.mean()
        assert row["mean"]["lsd_db"] == pytest.approx(mean.lsd_db, rel=1e-12)
        assert row["mean"]["mcd_db"] == pytest.approx(mean.mcd_db, rel=1e-12)
        assert row["files"][0]["spectral_convergence"] == pytest.approx(
            want.scores[0].spectral_convergence, rel=1e-12
        )
    # the text table shows the same means
    text_mel = next(line for line in table if "mel" in line).split()
    assert float(text_mel[-6]) == pytest.approx(report["rows"][1]["mean"]["mcd_db"], abs=0.005)


def test_roundtrip_names_a_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    code, out, err = _run(capsys, "roundtrip", bad)
    assert code == 1 and out == ""
    assert "bad.wav" in err and len(err.strip().splitlines()) == 1
