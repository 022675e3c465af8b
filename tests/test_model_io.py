"""Model files: bit-for-bit round trip, no pickle, clear errors on bad files."""

import dataclasses
import datetime
import hashlib
import json
import os
import pathlib
import zipfile

import numpy as np
import pytest

import gmmvc
from gmmvc import model as model_module
from gmmvc.config import AnalysisConfig
from gmmvc.datasets import make_demo_corpus
from gmmvc.exceptions import GmmvcError, ParameterError
from gmmvc.model import (
    MODEL_FORMAT_VERSION,
    ConversionModel,
    ConversionSettings,
    load_model,
    read_model_file,
    save_model,
)
from gmmvc.pipeline import VoiceConverter

FAST = AnalysisConfig(f0_method="dio")


@pytest.fixture(scope="module")
def corpus():
    return make_demo_corpus(6, seed=11)


@pytest.fixture(scope="module")
def trained(corpus):
    vc = VoiceConverter(3, n_alignment_passes=1, analysis=FAST, max_iter=200, mode="mlpg_em")
    return vc.fit(corpus.source[:5], corpus.target[:5])


@pytest.fixture(scope="module")
def saved(trained, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.npz"
    return save_model(
        trained.model_, path, settings=ConversionSettings(mode="mmse", gv_weight=0.25)
    )


def _rewrite(src, dst, edit, *, fix_checksums=True):
    """Copy a model archive, letting ``edit(metadata, arrays)`` change it in place."""
    with np.load(src, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays.pop("gmmvc_metadata").tobytes().decode("utf-8"))
    edit(meta, arrays)
    if fix_checksums:
        for key, arr in arrays.items():
            if key in meta["arrays"]:
                meta["arrays"][key]["sha256"] = hashlib.sha256(arr.tobytes()).hexdigest()
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(dst, "wb") as fh:
        np.savez(fh, gmmvc_metadata=blob, **arrays)
    return dst


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize(
    "settings",
    [
        {"mode": "mmse"},
        {"mode": "mlpg", "gv_weight": 0.6},
        {"mode": "mlpg_em"},
        # on this 5-utterance model the full-weight MS postfilter diverges (an error since
        # issue 5; it used to synthesise silence), so a partial weight is round-tripped
        {"mode": "mlpg_gv", "ms_weight": 0.2},
        {"mode": "mlpg", "synthesis": "differential"},
    ],
)
def test_reloaded_model_converts_bit_for_bit(trained, saved, corpus, settings):
    again = load_model(saved)
    x = corpus.source[5]
    expected = trained.model_.convert(x, corpus.fs, **settings)
    np.testing.assert_array_equal(again.convert(x, corpus.fs, **settings), expected)


def test_every_field_survives_the_round_trip(trained, saved):
    a, b = trained.model_, load_model(saved)
    assert b.source_config == a.source_config and b.target_config == a.target_config
    assert b.source_f0 == a.source_f0 and b.target_f0 == a.target_f0
    assert b.windows == a.windows
    assert b.info == json.loads(json.dumps(a.info))  # tuples come back as lists
    for name in ("mean", "var"):
        np.testing.assert_array_equal(getattr(b.target_gv, name), getattr(a.target_gv, name))
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_array_equal(getattr(b.gmm, name), getattr(a.gmm, name))
    assert (b.gmm.n_source_dims_, b.gmm.converged_, b.gmm.n_iter_) == (
        a.gmm.n_source_dims_,
        a.gmm.converged_,
        a.gmm.n_iter_,
    )
    for name in ("A", "b", "precisions", "source_chol"):
        np.testing.assert_array_equal(
            getattr(b.gmm.conditional_, name), getattr(a.gmm.conditional_, name)
        )


def test_defaults_and_provenance_are_stored(saved):
    before = datetime.datetime.now(datetime.timezone.utc)
    f = read_model_file(saved)
    assert (f.settings.mode, f.settings.gv_weight) == ("mmse", 0.25)
    assert f.format_version == MODEL_FORMAT_VERSION
    assert f.gmmvc_version == gmmvc.__version__
    created = datetime.datetime.fromisoformat(f.created)
    assert created.utcoffset() == datetime.timedelta(0)
    assert abs((before - created).total_seconds()) < 3600


def test_every_model_field_has_a_storage_entry():
    fields = {f.name for f in dataclasses.fields(ConversionModel)}
    assert set(model_module._MODEL_FIELDS) == fields


def test_file_is_a_plain_npz_with_json_metadata(saved):
    assert zipfile.is_zipfile(saved)
    with np.load(saved, allow_pickle=False) as data:  # no pickle needed to read anything
        assert all(not data[k].dtype.hasobject for k in data.files)
        meta = json.loads(data["gmmvc_metadata"].tobytes().decode("utf-8"))
        assert data["gmm.covariances"].shape == tuple(meta["arrays"]["gmm.covariances"]["shape"])
    assert meta["format"] == "gmmvc-model"
    assert meta["fields"]["source_config"]["f0_method"] == "dio"


def test_methods_and_converter_round_trip(trained, tmp_path, corpus):
    path = trained.model_.save(tmp_path / "m.npz", settings=ConversionSettings(mode="mlpg"))
    assert read_model_file(path).settings.mode == "mlpg"
    assert isinstance(ConversionModel.load(path), ConversionModel)

    trained.save(tmp_path / "vc.npz")
    vc = VoiceConverter.load(tmp_path / "vc.npz")
    assert (vc.mode, vc.gv_weight, vc.n_components) == ("mlpg_em", 0.0, 3)
    np.testing.assert_array_equal(
        vc.convert(corpus.source[5], corpus.fs), trained.convert(corpus.source[5], corpus.fs)
    )
    assert VoiceConverter.load(tmp_path / "vc.npz", mode="mmse").mode == "mmse"
    with pytest.raises(ParameterError, match="mode: expected one of"):
        VoiceConverter.load(tmp_path / "vc.npz", mode="fast")


def test_save_is_atomic_and_never_clobbers_unless_asked(trained, tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    path.write_bytes(b"precious")
    with pytest.raises(GmmvcError, match="already exists and overwrite=False"):
        save_model(trained.model_, path, overwrite=False)
    assert path.read_bytes() == b"precious"

    def broken_savez(fh, **arrays):
        fh.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(model_module.np, "savez", broken_savez)
    with pytest.raises(GmmvcError, match="writing the model file failed .*disk full"):
        save_model(trained.model_, path)
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temporary left


def test_save_checks_its_arguments(trained, tmp_path):
    with pytest.raises(ParameterError, match="model: expected a ConversionModel, got"):
        save_model(trained, tmp_path / "m.npz")
    with pytest.raises(ParameterError, match="mode: expected one of"):
        save_model(trained.model_, tmp_path / "m.npz", settings=ConversionSettings(mode="fast"))
    with pytest.raises(ParameterError, match=r"gv_weight: expected a number in \[0, 1\]"):
        save_model(trained.model_, tmp_path / "m.npz", settings=ConversionSettings(gv_weight=2.0))
    with pytest.raises(ParameterError, match="settings: expected ConversionSettings"):
        save_model(trained.model_, tmp_path / "m.npz", settings={"mode": "mlpg"})
    with pytest.raises(GmmvcError, match="folder .* does not exist"):
        save_model(trained.model_, tmp_path / "missing" / "m.npz")


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_truncated_file_is_refused(saved, tmp_path, fraction):
    data = saved.read_bytes()
    bad = tmp_path / "cut.npz"
    bad.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(GmmvcError, match="truncated or corrupt|not a gmmvc model file"):
        load_model(bad)


@pytest.mark.parametrize("where", [0.2, 0.5, 0.8])
def test_corrupted_bytes_are_detected(saved, tmp_path, where):
    data = bytearray(saved.read_bytes())
    data[int(len(data) * where)] ^= 0xFF
    bad = tmp_path / "flip.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(GmmvcError, match=r"corrupt"):
        load_model(bad)


def test_checksum_catches_a_changed_array(saved, tmp_path):
    def edit(meta, arrays):
        arrays["gmm.means"] = arrays["gmm.means"] + 1e-9

    bad = _rewrite(saved, tmp_path / "x.npz", edit, fix_checksums=False)
    with pytest.raises(GmmvcError, match="array 'gmm.means' fails its checksum"):
        load_model(bad)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, world\n", r"not a gmmvc model file \(not a numpy .npz archive\)"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not a gmmvc model file"),
        (b"", "not a gmmvc model file"),
    ],
)
def test_foreign_files_are_refused(tmp_path, content, message):
    bad = tmp_path / "foreign.npz"
    bad.write_bytes(content)
    with pytest.raises(GmmvcError, match=message):
        load_model(bad)


def test_npy_and_other_npz_are_refused(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(GmmvcError, match="not a gmmvc model file"):
        load_model(tmp_path / "a.npy")
    np.savez(tmp_path / "b.npz", weights=np.ones(2))
    with pytest.raises(GmmvcError, match="npz archive without gmmvc metadata, holding weights"):
        load_model(tmp_path / "b.npz")
    meta = np.frombuffer(json.dumps({"format": "other"}).encode(), dtype=np.uint8)
    np.savez(tmp_path / "c.npz", gmmvc_metadata=meta)
    with pytest.raises(GmmvcError, match="not a gmmvc model file .metadata format 'other'"):
        load_model(tmp_path / "c.npz")


class _Payload:
    """Unpickling this would create a file: the attack a pickle-free format prevents."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.target),))


def test_pickled_content_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.npz"
    np.savez(bad, gmmvc_metadata=np.array([_Payload(str(marker))], dtype=object))
    with pytest.raises(GmmvcError, match="holds pickled Python objects"):
        load_model(bad)
    assert not marker.exists()


def test_newer_format_asks_for_an_upgrade(saved, tmp_path):
    def edit(meta, arrays):
        meta["format_version"] = MODEL_FORMAT_VERSION + 1
        meta["gmmvc_version"] = "9.0.0"

    bad = _rewrite(saved, tmp_path / "new.npz", edit)
    with pytest.raises(
        GmmvcError,
        match=rf"written by gmmvc 9.0.0 in model format version {MODEL_FORMAT_VERSION + 1}.*"
        "upgrade gmmvc",
    ):
        load_model(bad)


def _drop_array(meta, arrays):
    del arrays["gmm.weights"]


def _drop_array_everywhere(meta, arrays):
    del arrays["gmm.weights"], meta["arrays"]["gmm.weights"]


def _float32_gv(meta, arrays):
    arrays["target_gv.mean"] = arrays["target_gv.mean"].astype(np.float32)


def _float32_gv_declared(meta, arrays):
    _float32_gv(meta, arrays)
    meta["arrays"]["target_gv.mean"]["dtype"] = "<f4"


def _reshape(meta, arrays):
    arrays["gmm.weights"] = arrays["gmm.weights"][:, None]


def _drop_field(meta, arrays):
    del meta["fields"]["target_f0"]


def _unknown_field(meta, arrays):
    meta["fields"]["aperiodicity_gmm"] = {}


def _bad_config(meta, arrays):
    meta["fields"]["source_config"]["f0_method"] = "yin"


def _bad_f0(meta, arrays):
    meta["fields"]["target_f0"]["std"] = -1.0


def _wrong_dims(meta, arrays):
    gv = arrays["target_gv.mean"]
    arrays["target_gv.mean"] = gv[:-1]
    meta["arrays"]["target_gv.mean"]["shape"] = [gv.size - 1]


def _bad_mode(meta, arrays):
    meta["conversion"]["mode"] = "fast"


def _bad_weights(meta, arrays):
    arrays["gmm.weights"] = arrays["gmm.weights"] * 2


def _no_metadata_key(meta, arrays):
    del meta["created"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_drop_array, r"lacks array\(s\) \['gmm.weights'\]"),
        (_drop_array_everywhere, r"invalid 'gmm'"),
        (_float32_gv, "array 'target_gv.mean' has dtype <f4, the metadata says <f8"),
        (_float32_gv_declared, "inconsistent|invalid"),
        (_reshape, r"array 'gmm.weights' has shape \[3, 1\], the metadata says \[3\]"),
        (_drop_field, "lacks the 'target_f0' field"),
        (_unknown_field, r"model field\(s\) \['aperiodicity_gmm'\].*upgrade gmmvc"),
        (_bad_config, "invalid 'source_config'.*f0_method"),
        (_bad_f0, "target_f0 is .* expected a finite mean and a positive std"),
        (_wrong_dims, r"target_gv.mean has shape \(23,\), expected \(24,\)"),
        (_bad_mode, "conversion settings"),
        (_bad_weights, "invalid 'gmm'.*weights"),
        (_no_metadata_key, r"metadata is corrupt: expected the keys .*missing \['created'\]"),
    ],
)
def test_invalid_content_is_named(saved, tmp_path, edit, message):
    bad = _rewrite(saved, tmp_path / "bad.npz", edit)
    with pytest.raises(GmmvcError, match=message) as info:
        load_model(bad)
    assert str(bad) in str(info.value)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(GmmvcError, match="model file does not exist"):
        load_model(tmp_path / "nope.npz")
    with pytest.raises(GmmvcError, match="expected a model file, got a directory"):
        load_model(tmp_path)


def test_unreadable_file(saved, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    locked = tmp_path / "locked.npz"
    locked.write_bytes(saved.read_bytes())
    locked.chmod(0)
    with pytest.raises(GmmvcError, match="cannot be read"):
        load_model(locked)


def test_speech_frames_names_a_wrong_speaker_or_a_missing_threshold(trained):
    import dataclasses

    from gmmvc.exceptions import ParameterError

    model = trained.model_
    power = np.array([-80.0, 0.0, -80.0])
    assert model.speech_frames(power, speaker="target").tolist() == [False, True, False]
    with pytest.raises(ParameterError, match="speaker: expected one of 'source', 'target'"):
        model.speech_frames(power, speaker="targte")
    bare = dataclasses.replace(
        model, target_config=model.target_config.replace(power_threshold_db=None)
    )
    with pytest.raises(ParameterError, match="no power_threshold_db"):
        bare.speech_frames(power, speaker="target")
