"""Feature cache, parallel feature extraction, progress bars, and joblib's Dask backend."""

import logging

import numpy as np
import pytest

from gmmvc import pipeline
from gmmvc.config import AnalysisConfig
from gmmvc.datasets import make_demo_corpus
from gmmvc.exceptions import ParameterError
from gmmvc.pipeline import VoiceConverter, extract_corpus_features, feature_cache_key

FAST = AnalysisConfig(f0_method="dio", f0_floor=60.0, f0_ceil=400.0)
FIELDS = ("f0", "mcep", "bap", "power_db")


@pytest.fixture(scope="module")
def corpus():
    return make_demo_corpus(4, seed=5)


@pytest.fixture
def count_analyses(monkeypatch):
    """Count the analyses the pipeline really runs (in this process)."""
    calls = []
    real = pipeline.extract_features

    def counting(x, config):
        calls.append(config)
        return real(x, config)

    monkeypatch.setattr(pipeline, "extract_features", counting)
    return calls


def _assert_same(a, b):
    assert len(a) == len(b)
    for fa, fb in zip(a, b):
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(fa, name), getattr(fb, name))


# --------------------------------------------------------------------------- cache key


def test_key_changes_with_samples_settings_and_format_version(corpus, monkeypatch):
    x = corpus.source[0]
    key = feature_cache_key(x, FAST)
    assert key == feature_cache_key(x.copy(), FAST)
    assert key == feature_cache_key(x, FAST.resolved())  # the same settings, spelled out
    changed = x.copy()
    changed[1000] += 1e-12
    assert feature_cache_key(changed, FAST) != key
    assert feature_cache_key(x[:-1], FAST) != key
    for setting in (
        {"f0_method": "harvest"},
        {"frame_period": 10.0},
        {"f0_ceil": 401.0},
        {"power_threshold_db": -50.0},
        {"order": 20},
    ):
        assert feature_cache_key(x, FAST.replace(**setting)) != key, setting
    monkeypatch.setattr(pipeline, "FEATURE_CACHE_VERSION", pipeline.FEATURE_CACHE_VERSION + 1)
    assert feature_cache_key(x, FAST) != key


# --------------------------------------------------------------------------- cache behaviour


def test_hit_returns_identical_features_without_analysing(corpus, tmp_path, count_analyses):
    wavs = list(corpus.source[:3])
    plain = extract_corpus_features(wavs, FAST)
    assert len(count_analyses) == 3
    first = extract_corpus_features(wavs, FAST, cache_dir=tmp_path)
    assert len(count_analyses) == 6
    assert len(list(tmp_path.rglob("*.npz"))) == 3
    again = extract_corpus_features(wavs, FAST, cache_dir=tmp_path)
    assert len(count_analyses) == 6  # all served from the cache
    _assert_same(first, plain)
    _assert_same(again, plain)


def test_changed_setting_or_audio_misses_the_cache(corpus, tmp_path, count_analyses):
    wavs = list(corpus.source[:2])
    extract_corpus_features(wavs, FAST, cache_dir=tmp_path)
    assert len(count_analyses) == 2

    other = FAST.replace(frame_period=10.0)
    feats = extract_corpus_features(wavs, other, cache_dir=tmp_path)
    assert len(count_analyses) == 4
    assert feats[0].n_frames < 0.6 * extract_corpus_features(wavs[:1], FAST)[0].n_frames

    louder = [wavs[0] * 0.5, wavs[1]]
    feats = extract_corpus_features(louder, FAST, cache_dir=tmp_path)
    assert len(count_analyses) == 6  # only the changed file is analysed again
    assert len(list(tmp_path.rglob("*.npz"))) == 5
    _assert_same(feats[:1], extract_corpus_features(louder[:1], FAST))


def test_unreadable_entry_is_recomputed(corpus, tmp_path, count_analyses, caplog):
    wavs = [corpus.source[0]]
    good = extract_corpus_features(wavs, FAST, cache_dir=tmp_path)
    (entry,) = tmp_path.rglob("*.npz")
    entry.write_bytes(entry.read_bytes()[:100])
    with caplog.at_level(logging.WARNING, logger="gmmvc"):
        again = extract_corpus_features(wavs, FAST, cache_dir=tmp_path)
    assert "is unreadable" in caplog.text and "recomputing" in caplog.text
    assert len(count_analyses) == 2
    _assert_same(again, good)
    _assert_same(extract_corpus_features(wavs, FAST, cache_dir=tmp_path), good)  # repaired
    assert len(count_analyses) == 2


def test_cache_entries_are_plain_npz(corpus, tmp_path):
    extract_corpus_features([corpus.source[0]], FAST, cache_dir=tmp_path)
    (entry,) = tmp_path.rglob("*.npz")
    assert entry.stem == feature_cache_key(corpus.source[0], FAST)
    with np.load(entry, allow_pickle=False) as data:
        assert sorted(data.files) == sorted(FIELDS)
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]  # no temporaries


def test_training_with_a_cache_gives_the_same_model(corpus, tmp_path, count_analyses):
    kw = dict(n_alignment_passes=1, analysis=AnalysisConfig(f0_method="dio"), max_iter=200)
    plain = VoiceConverter(2, **kw).fit(corpus.source, corpus.target)
    n_plain = len(count_analyses)
    cached = VoiceConverter(2, cache_dir=tmp_path, **kw).fit(corpus.source, corpus.target)
    again = VoiceConverter(2, cache_dir=tmp_path, **kw).fit(corpus.source, corpus.target)
    assert len(count_analyses) == 2 * n_plain  # the third fit analysed nothing
    for vc in (cached, again):
        np.testing.assert_array_equal(vc.model_.gmm.means_, plain.model_.gmm.means_)
        np.testing.assert_array_equal(vc.model_.gmm.covariances_, plain.model_.gmm.covariances_)


# --------------------------------------------------------------------------- parallelism


def test_results_do_not_depend_on_n_jobs(corpus):
    wavs = list(corpus.source) + list(corpus.target)
    _assert_same(
        extract_corpus_features(wavs, FAST, n_jobs=2),
        extract_corpus_features(wavs, FAST, n_jobs=1),
    )


def test_parallel_training_and_evaluation_match_serial(corpus):
    kw = dict(n_alignment_passes=2, analysis=AnalysisConfig(f0_method="dio"), max_iter=200)
    serial = VoiceConverter(2, **kw).fit(corpus.source[:3], corpus.target[:3])
    parallel = VoiceConverter(2, n_jobs=2, **kw).fit(corpus.source[:3], corpus.target[:3])
    np.testing.assert_array_equal(parallel.model_.gmm.means_, serial.model_.gmm.means_)
    assert parallel.alignment_distances_ == serial.alignment_distances_
    held_out = (corpus.source[3:], corpus.target[3:])
    for a, b in zip(serial.evaluate(*held_out), parallel.evaluate(*held_out)):
        assert a.after == b.after and a.before == b.before
        np.testing.assert_array_equal(a.converted, b.converted)


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2", True])
def test_bad_n_jobs_is_named(corpus, n_jobs):
    with pytest.raises(ParameterError, match="n_jobs: expected a non-zero integer"):
        extract_corpus_features([corpus.source[0]], FAST, n_jobs=n_jobs)
    with pytest.raises(ParameterError, match="n_jobs: expected a non-zero integer"):
        VoiceConverter(n_jobs=n_jobs).fit(corpus.source[:2], corpus.target[:2])


# --------------------------------------------------------------------------- progress


def test_progress_bars_only_when_asked(corpus, capsys):
    extract_corpus_features(list(corpus.source[:2]), FAST)
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err == ""  # the library never prints
    extract_corpus_features(list(corpus.source[:2]), FAST, progress=True, desc="source features")
    shown = capsys.readouterr()
    assert shown.out == ""
    assert "source features" in shown.err and "2/2" in shown.err


def test_fit_shows_each_long_step(corpus, capsys):
    vc = VoiceConverter(
        2, n_alignment_passes=2, analysis=AnalysisConfig(f0_method="dio"), progress=True
    )
    vc.fit(corpus.source[:3], corpus.target[:3])
    err = capsys.readouterr().err
    for step in (
        "source features",
        "target features",
        "pass 1/2 alignment",
        "pass 1/2 EM (2 mixtures",
        "pass 2/2 EM",
    ):
        assert step in err, step


# --------------------------------------------------------------------------- Dask


def test_dask_backend_runs_the_same_jobs(corpus):
    distributed = pytest.importorskip(
        "distributed", reason="dask[distributed] is not installed (pip install 'gmmvc[dask]')"
    )
    import joblib

    wavs = list(corpus.source[:3])
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2) as client:
        with joblib.parallel_config(backend="dask"):
            on_dask = extract_corpus_features(wavs, FAST, n_jobs=-1)
        assert client.scheduler_info()["workers"]  # the cluster did exist
    _assert_same(on_dask, extract_corpus_features(wavs, FAST))
