"""Quality regression guard on real speech (VCC 2016), run in CI when ../shared/data is present.

Trains SM1 -> TF1 on a small subset of the official training sentences and
checks that the distortion of held-out evaluation sentences, scored by the
neutral evaluator on the written waveform, stays under bounds recorded from
the benchmark (``benchmarks/quality.py``; see docs/benchmarks.md). A change
that hurts conversion quality fails here.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from gmmvc.audio import read_audio, write_audio
from gmmvc.pipeline import VoiceConverter, score_waveforms

DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "vcc2016"
N_TRAIN, N_EVAL = 20, 5

#: Bounds: this exact setup measured MCD 6.42 dB and F0 RMSE 503 cents (GV ratio 0.43)
#: on 2026-11-21 with reg_covar 1e-3 (6.41 dB and 502 cents with the earlier 1e-4; source
#: vs target: 9.93 dB, 1602 cents), plus a margin for BLAS and
#: platform differences. The full benchmark (162 sentences, 32 mixtures) is in
#: docs/benchmarks.md.
MAX_MCD_DB = 6.9
MAX_F0_RMSE_CENTS = 560.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not DATA.is_dir(), reason=f"VCC 2016 data not found at {DATA} (quality guard skipped)"
    ),
]


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    train = [f"1{i:05d}" for i in range(1, N_TRAIN + 1)]
    held_out = [f"2{i:05d}" for i in range(1, N_EVAL + 1)]
    vc = VoiceConverter(8, n_alignment_passes=2, n_jobs=-1, random_state=0, dtype="float32")
    vc.fit([DATA / "SM1" / f"{u}.flac" for u in train], [DATA / "TF1" / f"{u}.flac" for u in train])
    out_dir = tmp_path_factory.mktemp("converted")
    before, after = [], []
    for u in held_out:
        src, _ = read_audio(DATA / "SM1" / f"{u}.flac", fs=16000)
        tgt, _ = read_audio(DATA / "TF1" / f"{u}.flac", fs=16000)
        path = write_audio(out_dir / f"{u}.wav", vc.convert(src, 16000), 16000)
        converted, _ = read_audio(path)
        before.append(score_waveforms(src, tgt, 16000))
        after.append(score_waveforms(converted, tgt, 16000))
    return before, after


def test_held_out_distortion_stays_under_the_recorded_bound(scores):
    before, after = scores
    mcd = np.mean([s.mcd_db for s in after])
    assert mcd < MAX_MCD_DB, f"MCD {mcd:.2f} dB exceeds the recorded bound {MAX_MCD_DB} dB"
    assert mcd < np.mean([s.mcd_db for s in before]) - 2.0


def test_held_out_f0_error_stays_under_the_recorded_bound(scores):
    _, after = scores
    f0 = np.nanmean([s.f0_rmse_cents for s in after])
    assert f0 < MAX_F0_RMSE_CENTS, f"F0 RMSE {f0:.0f} cents exceeds {MAX_F0_RMSE_CENTS}"
