"""examples/vcc2016.py: a clear message and exit status 1 without the data; a tiny real run."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "vcc2016.py"


@pytest.fixture(scope="module")
def vcc2016():
    spec = importlib.util.spec_from_file_location("vcc2016_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_data_folder_is_shared_data_next_to_the_checkout(vcc2016):
    assert vcc2016.DEFAULT_DATA == ROOT.parent / "shared" / "data" / "vcc2016"
    assert vcc2016.TRAIN_IDS[0] == "100001" and vcc2016.TRAIN_IDS[-1] == "100162"
    assert vcc2016.EVAL_IDS[0] == "200001" and vcc2016.EVAL_IDS[-1] == "200054"


def test_missing_data_is_exit_status_1_with_a_clear_message(vcc2016, tmp_path, capsys):
    assert vcc2016.main(["--data", str(tmp_path / "absent")]) == 1
    err = capsys.readouterr().err
    assert "VCC 2016 data not found at" in err and "--data" in err


def test_missing_files_are_named(vcc2016, tmp_path, capsys):
    (tmp_path / "SM1").mkdir()
    assert vcc2016.main(["--data", str(tmp_path), "--train", "2", "--eval", "1"]) == 1
    err = capsys.readouterr().err
    assert "6 file(s) missing" in err and "100001.flac" in err


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--train", "0"], "--train: expected 1 to 162"),
        (["--eval", "55"], "--eval: expected 1 to 54"),
    ],
)
def test_sentence_counts_are_checked(vcc2016, tmp_path, capsys, args, match):
    assert vcc2016.main(["--data", str(tmp_path), *args]) == 1
    assert match in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_run_on_the_real_data(vcc2016, tmp_path, capsys):
    if not vcc2016.DEFAULT_DATA.is_dir():
        pytest.skip(f"VCC 2016 data not found at {vcc2016.DEFAULT_DATA}")
    args = ["--train", "3", "--eval", "1", "--mixtures", "2", "--passes", "1", "--f0-method", "dio"]
    model = tmp_path / "sm1-tf1.npz"
    assert vcc2016.main([*args, "--save", str(model), "--out", str(tmp_path / "wavs")]) == 0
    assert model.is_file() and (tmp_path / "wavs" / "200001.wav").is_file()
    out = capsys.readouterr().out
    mean = next(line for line in out.splitlines() if line.startswith("mean"))
    mcd_before, mcd_after = (float(v) for v in mean.split()[1:3])
    assert mcd_after < mcd_before  # even two mixtures on three sentences move toward the target
