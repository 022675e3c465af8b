"""End-to-end behaviour of the spine on the generated corpus (seconds, no data needed)."""

import numpy as np
import pytest
import soundfile as sf

from gmmvc.cli import main
from gmmvc.config import AnalysisConfig
from gmmvc.datasets import make_demo_corpus
from gmmvc.exceptions import ConvergenceWarning, GmmvcError, NotFittedError, ParameterError
from gmmvc.pipeline import VoiceConverter

FAST = AnalysisConfig(f0_method="dio")


@pytest.fixture(scope="module")
def corpus():
    return make_demo_corpus(10, seed=3)


@pytest.fixture(scope="module")
def trained(corpus):
    vc = VoiceConverter(4, n_alignment_passes=2, analysis=FAST, max_iter=200, random_state=0)
    return vc.fit(corpus.source[:8], corpus.target[:8])


def test_conversion_lowers_distortion_to_the_target(trained, corpus):
    scores = trained.evaluate(corpus.source[8:], corpus.target[8:])
    before = np.mean([e.before.mcd_db for e in scores])
    after = np.mean([e.after.mcd_db for e in scores])
    assert after < before - 1.5, (before, after)
    f0_before = np.mean([e.before.f0_rmse_cents for e in scores])
    f0_after = np.mean([e.after.f0_rmse_cents for e in scores])
    assert f0_after < 0.5 * f0_before, (f0_before, f0_after)


def test_every_mode_converts_and_keeps_the_length(trained, corpus):
    model = trained.model_
    x = corpus.source[9]
    outs = {mode: model.convert(x, corpus.fs, mode=mode) for mode in ("mmse", "mlpg", "mlpg_em")}
    for out in outs.values():
        assert out.ndim == 1 and np.all(np.isfinite(out))
        assert abs(out.size - x.size) <= corpus.fs * FAST.frame_period / 1000
        assert np.abs(out).max() <= 0.99
    assert not np.allclose(outs["mmse"], outs["mlpg"])


def test_speaker_settings_are_estimated_and_stored(trained):
    model = trained.model_
    src, tgt = model.source_config, model.target_config
    assert src.f0_ceil < tgt.f0_ceil and src.f0_floor < tgt.f0_floor  # male-like -> female-like
    assert src.power_threshold_db is not None and tgt.power_threshold_db is not None
    assert np.exp(model.target_f0.mean) > 1.5 * np.exp(model.source_f0.mean)
    assert model.info["n_alignment_passes"] == 2


def test_refined_alignment_is_closer_than_the_first(trained):
    first, second = trained.alignment_distances_
    assert second < first


def test_same_seed_same_model(corpus):
    kw = dict(n_alignment_passes=1, analysis=FAST, random_state=5, max_iter=200)
    a = VoiceConverter(3, **kw).fit(corpus.source[:4], corpus.target[:4])
    b = VoiceConverter(3, **kw).fit(corpus.source[:4], corpus.target[:4])
    np.testing.assert_array_equal(a.model_.gmm.means_, b.model_.gmm.means_)


def test_only_the_final_em_warns_when_it_runs_out_of_iterations(corpus, caplog):
    # three passes, one EM iteration each: the two alignment-only models are logged, the
    # final model (the one the user gets) warns
    vc = VoiceConverter(3, n_alignment_passes=3, analysis=FAST, random_state=0, max_iter=1)
    with pytest.warns(ConvergenceWarning) as record, caplog.at_level("INFO", "gmmvc.pipeline"):
        vc.fit(corpus.source[:4], corpus.target[:4])
    assert [str(w.message) for w in record if w.category is ConvergenceWarning] == [
        "EM did not converge in max_iter=1 iterations; increase max_iter or tol"
    ]
    logged = [r.getMessage() for r in caplog.records if "before converging" in r.getMessage()]
    assert [m.split(" EM")[0] for m in logged] == ["pass 1", "pass 2"]


def test_convert_file_writes_and_never_clobbers(trained, corpus, tmp_path):
    src = tmp_path / "in.wav"
    sf.write(src, corpus.source[9], corpus.fs)
    out = trained.convert_file(src, tmp_path / "out.wav")
    y, fs = sf.read(out)
    assert fs == corpus.fs and y.size > 0
    with pytest.raises(GmmvcError, match="already exists; pass overwrite=True"):
        trained.convert_file(src, out)
    with pytest.raises(GmmvcError, match="is the input file"):
        trained.convert_file(src, src, overwrite=True)
    np.testing.assert_allclose(sf.read(src)[0], corpus.source[9], atol=1 / 2**15)


def test_unfitted_converter_raises():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        VoiceConverter().convert(np.zeros(1600), 16000)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "fast"}, "mode: expected one of 'mmse', 'mlpg', 'mlpg_em', 'mlpg_gv'"),
        ({"gv_weight": 2.0}, r"gv_weight: expected a number in \[0, 1\], got 2.0"),
        ({"ms_weight": -1}, r"ms_weight: expected a number in \[0, 1\], got -1"),
        ({"synthesis": "mlsa"}, "synthesis: expected one of .world., .differential."),
        ({"source_f0_shift": 0}, "source_f0_shift: expected a positive number"),
        ({"dtype": "half"}, "dtype: expected one of .float32., .float64."),
        ({"n_alignment_passes": 0}, "n_alignment_passes: expected a positive integer"),
        ({"analysis": "16k"}, "analysis: expected an AnalysisConfig"),
    ],
)
def test_bad_settings_are_named(corpus, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        VoiceConverter(**kwargs).fit(corpus.source[:2], corpus.target[:2])


def test_mismatched_corpora_are_refused(corpus):
    with pytest.raises(ParameterError, match="equal length, got 2 and 1"):
        VoiceConverter().fit(corpus.source[:2], corpus.target[:1])


def test_demo_command_writes_wavs_and_reports_lower_distortion(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = [
        "-q",
        "demo",
        "-o",
        str(out),
        "--utterances",
        "6",
        "--test",
        "1",
        "--mixtures",
        "2",
        "--passes",
        "1",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    line = [s for s in text.splitlines() if s.startswith("mel-cepstral distortion")][0]
    before, after = (
        float(v) for v in line.replace(",", "").split() if v.replace(".", "").isdigit()
    )
    assert after < before
    assert sorted(p.name for p in out.iterdir()) == [
        "utt005_converted.wav",
        "utt005_source.wav",
        "utt005_target.wav",
    ]
    # a second run refuses to replace the wavs
    assert main(argv) == 1
    assert "already exists" in capsys.readouterr().err


def test_dtw_radius_reaches_every_alignment_pass(corpus, monkeypatch):
    from gmmvc import pipeline

    seen = []
    real = pipeline.align_frames

    def spy(*args, **kwargs):
        seen.append(kwargs.get("radius"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "align_frames", spy)
    kw = dict(n_alignment_passes=2, analysis=FAST, random_state=5, max_iter=200, n_jobs=1)
    vc = VoiceConverter(2, dtw_radius=4, **kw).fit(corpus.source[:3], corpus.target[:3])
    assert seen == [4] * 6 and vc.model_.info["dtw_radius"] == 4
    with pytest.raises(ParameterError, match="dtw_radius: expected a positive integer"):
        VoiceConverter(2, dtw_radius=0, **kw).fit(corpus.source[:3], corpus.target[:3])
