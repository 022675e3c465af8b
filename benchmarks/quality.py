"""Conversion-quality benchmark on the standard VCC 2016 pairs, every conversion mode.

Usage (from the repository root, with ../shared/data/vcc2016 beside it)::

    python benchmarks/quality.py                      # all four pairs, 162/54 sentences
    python benchmarks/quality.py --pairs SM1-TF1 --train 40 --eval 10   # quicker look

For each pair it trains on the official training sentences (100001-100162)
only, converts the evaluation sentences (200001-200054) with every mode,
writes each converted waveform to disk as 16-bit PCM, reads it back and scores
it with one neutral evaluator for every system (so the figure is what a
listener gets): mel-cepstral distortion (order 24, alpha 0.41, c0 excluded,
speech frames, DTW to the target), F0 RMSE in cents and V/UV error over
aligned frames, and the global-variance ratio of converted to target
mel-cepstra. Train and convert wall times are reported. Results go to
``docs/benchmarks.md`` (``--doc``) and a JSON file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import pathlib
import platform
import sys
import tempfile
import time

import numpy as np
from _doc import write_section
from joblib import Parallel, delayed

from gmmvc.audio import read_audio, write_audio
from gmmvc.features import extract_features
from gmmvc.metrics import score_features
from gmmvc.pipeline import VoiceConverter, evaluation_features
from gmmvc.synthesis import synthesize

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "vcc2016"
PAIRS = ("SM1-TF1", "SF1-TM1", "SM1-TM1", "SF1-TF1")

#: (label, which trained model, conversion settings)
MODES = (
    ("MMSE", "plain", {"mode": "mmse"}),
    ("MLPG (most likely mixture)", "plain", {"mode": "mlpg"}),
    ("MLPG-EM (all mixtures)", "plain", {"mode": "mlpg_em"}),
    ("MLPG + GV postfilter", "plain", {"mode": "mlpg", "gv_weight": 1.0}),
    ("MLPG considering GV", "plain", {"mode": "mlpg_gv"}),
    ("MLPG + MS postfilter", "plain", {"mode": "mlpg", "ms_weight": 1.0}),
    ("MLPG + converted aperiodicity", "plain", {"mode": "mlpg", "convert_aperiodicity": True}),
    ("differential (MLSA, source F0)", "plain", {"mode": "mlpg", "synthesis": "differential"}),
    ("F0-shifted differential", "shifted", {"mode": "mlpg", "synthesis": "differential"}),
)


def _files(data: pathlib.Path, speaker: str, ids: list[str]) -> list[pathlib.Path]:
    return [data / speaker / f"{u}.flac" for u in ids]


def _convert_and_score(model, x, fs, settings, target, path):
    """Convert, write 16-bit PCM, read back, score against the analysed target."""
    t0 = time.perf_counter()
    out = model.convert(x, fs, **settings)
    seconds = time.perf_counter() - t0
    write_audio(path, out, model.fs)
    written, written_fs = read_audio(path)
    path.unlink()
    feats, speech = evaluation_features(written, written_fs)
    return score_features(feats, target[0], speech=speech, target_speech=target[1]), seconds


def _cross_gender(pair: str) -> bool:
    src, tgt = pair.split("-")
    return src[1] != tgt[1]


def run_pair(args: argparse.Namespace, pair: str, workdir: pathlib.Path) -> dict:
    src, tgt = pair.split("-")
    train_ids = [f"1{i:05d}" for i in range(1, args.train + 1)]
    eval_ids = [f"2{i:05d}" for i in range(1, args.eval + 1)]
    modes = [
        (label, key, settings)
        for label, key, settings in MODES
        if (args.modes is None or label in args.modes)
        # pitch shifting helps differential conversion only when the speakers' pitch differs
        and (key == "plain" or _cross_gender(pair))
    ]
    models, train_times = {}, {}
    for key in ("plain", "shifted"):
        if key not in {k for _, k, _ in modes}:
            continue
        vc = VoiceConverter(
            args.mixtures,
            n_alignment_passes=args.passes,
            dtw_radius=args.dtw_radius,
            n_jobs=args.jobs,
            convert_aperiodicity=True,
            source_f0_shift="auto" if key == "shifted" else None,
            dtype=args.dtype,
            reg_covar=args.reg_covar,
            random_state=args.seed,
            cache_dir=args.cache,
        )
        t0 = time.perf_counter()
        vc.fit(_files(args.data, src, train_ids), _files(args.data, tgt, train_ids))
        train_times[key] = time.perf_counter() - t0
        models[key] = vc.model_
        logging.info(
            "%s %s model trained in %.0f s (EM iterations per pass: %s)",
            pair,
            key,
            train_times[key],
            vc.timings_["em_iterations"],
        )

    fs = 16000
    sources = [read_audio(p, fs=fs)[0] for p in _files(args.data, src, eval_ids)]
    target_waves = [read_audio(p, fs=fs)[0] for p in _files(args.data, tgt, eval_ids)]
    parallel = Parallel(n_jobs=args.jobs)
    # the neutral evaluator's analysis of each target, once for every system
    targets = parallel(delayed(evaluation_features)(y, fs) for y in target_waves)
    rows = []
    baseline = parallel(
        delayed(_score_source)(x, fs, target) for x, target in zip(sources, targets)
    )
    rows.append(_row("no conversion (source vs target)", baseline, None, None))
    # the vocoder's own floor: each target sentence through WORLD analysis and synthesis with
    # its own features, scored like every system (what re-analysis alone costs)
    any_model = next(iter(models.values()))
    floor = parallel(
        delayed(_score_resynthesized)(any_model, y, fs, target, workdir / f"{pair}_floor_{u}.wav")
        for u, y, target in zip(eval_ids, target_waves, targets)
    )
    rows.append(_row("target resynthesized by WORLD (vocoder floor)", floor, None, None))
    audio_s = sum(x.size for x in sources) / fs
    for label, key, settings in modes:
        t0 = time.perf_counter()
        results = parallel(
            delayed(_convert_and_score)(
                models[key], x, fs, settings, target, workdir / f"{pair}_{key}_{u}.wav"
            )
            for u, x, target in zip(eval_ids, sources, targets)
        )
        wall = time.perf_counter() - t0
        scores = [r[0] for r in results]
        rtf = sum(r[1] for r in results) / audio_s
        rows.append(_row(label, scores, train_times[key], rtf))
        logging.info(
            "%s %-34s MCD %.2f dB (%.0f s with scoring)", pair, label, rows[-1]["mcd_db"], wall
        )
    return {"pair": pair, "rows": rows, "train_s": train_times}


def _score_resynthesized(model, y, fs, target, path):
    """The target sentence analysed and resynthesised with the model's target settings."""
    cfg = model.target_config
    feats = extract_features(y, cfg)
    write_audio(path, synthesize(feats.f0, feats.mcep, feats.bap, cfg), cfg.fs)
    written, written_fs = read_audio(path)
    path.unlink()
    out, speech = evaluation_features(written, written_fs)
    return score_features(out, target[0], speech=speech, target_speech=target[1])


def _score_source(x, fs, target):
    feats, speech = evaluation_features(x, fs)
    return score_features(feats, target[0], speech=speech, target_speech=target[1])


def _row(label: str, scores: list, train_s: float | None, rtf: float | None) -> dict:
    return {
        "system": label,
        "mcd_db": float(np.mean([s.mcd_db for s in scores])),
        "f0_rmse_cents": float(np.nanmean([s.f0_rmse_cents for s in scores])),
        "vuv_error": float(np.mean([s.vuv_error for s in scores])),
        "gv_ratio": float(np.mean([s.gv_ratio for s in scores])),
        "train_s": train_s,
        "convert_rtf": rtf,
    }


def _markdown(results: list[dict], args: argparse.Namespace, command: str) -> str:
    lines = [
        "## Conversion quality (issue 3)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"date: {datetime.date.today().isoformat()}  ",
        f"Setup: {args.train} training sentences (100001-), {args.eval} evaluation sentences "
        f"(200001-), {args.mixtures} mixtures, {args.passes} alignment passes "
        f"(DTW radius {args.dtw_radius}), EM in {args.dtype} with reg_covar {args.reg_covar:g}, seed {args.seed}.",
        "",
        "Every output is written as 16-bit PCM, read back and re-analysed by one neutral "
        "evaluator (WORLD harvest 40-700 Hz, CheapTrick, 24th-order mel-cepstrum with "
        "alpha 0.41; speech frames by each file's own Otsu threshold; DTW on c1-c24 to the "
        "target). MCD excludes c0. F0 RMSE in cents over aligned frames voiced in both; "
        "V/UV error over aligned frames; GV ratio = converted / target utterance variance of "
        "c1-c24, averaged. Train time includes analysis of all training audio"
        + (
            " (read back from the feature cache where an earlier run stored it: "
            "benchmarks/speed.py times training without a cache)"
            if args.cache
            else ""
        )
        + "; conversion real-time factor = conversion seconds per second of source speech, "
        "one core per sentence (output analysis excluded). The F0-shifted differential model "
        "is trained for cross-gender pairs only.",
        "",
    ]
    for res in results:
        lines += [
            f"### {res['pair'].replace('-', ' -> ')}",
            "",
            "| system | MCD (dB) | F0 RMSE (cents) | V/UV error | GV ratio | train (s) | convert RTF |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in res["rows"]:
            train = "" if r["train_s"] is None else f"{r['train_s']:.0f}"
            rtf = "" if r["convert_rtf"] is None else f"{r['convert_rtf']:.3f}"
            lines.append(
                f"| {r['system']} | {r['mcd_db']:.2f} | {r['f0_rmse_cents']:.0f} | "
                f"{r['vuv_error']:.3f} | {r['gv_ratio']:.2f} | {train} | {rtf} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    p.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=PAIRS)
    p.add_argument("--train", type=int, default=162)
    p.add_argument("--eval", type=int, default=54)
    p.add_argument("--mixtures", type=int, default=32)
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--dtw-radius", type=int, default=1, help="FastDTW radius of every pass")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument(
        "--reg-covar",
        type=float,
        default=VoiceConverter().reg_covar,
        help="added to every covariance's diagonal (default: VoiceConverter's)",
    )
    p.add_argument("--seed", type=int, default=0, help="EM initialisation seed (random_state)")
    p.add_argument("--jobs", type=int, default=-1)
    p.add_argument(
        "--modes", nargs="+", default=None, help="labels of the modes to run (default: all)"
    )
    p.add_argument(
        "--cache",
        type=pathlib.Path,
        default=None,
        help="feature cache folder (reused across models and pairs)",
    )
    p.add_argument("--json", type=pathlib.Path, default=None, help="write raw results here")
    p.add_argument(
        "--doc",
        type=pathlib.Path,
        default=None,
        help="markdown page whose 'quality' section (between <!-- quality:start/end --> "
        "markers) is replaced, e.g. docs/benchmarks.md",
    )
    args = p.parse_args(argv)
    if not args.data.is_dir():
        print(
            f"VCC 2016 data not found at {args.data}: nothing to benchmark (pass --data)",
            file=sys.stderr,
        )
        return 1
    if not 1 <= args.train <= 162 or not 1 <= args.eval <= 54:
        p.error("--train must be in 1..162 and --eval in 1..54")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for name in ("gmmvc.pipeline", "gmmvc.gmm", "gmmvc.analysis", "gmmvc.features"):
        logging.getLogger(name).setLevel(logging.WARNING)
    command = "python benchmarks/quality.py " + " ".join(sys.argv[1:] if argv is None else argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for pair in args.pairs:
            results.append(run_pair(args, pair, pathlib.Path(tmp)))
            text = _markdown(results, args, command.strip())
            print(text)
            if args.json:
                args.json.write_text(json.dumps(results, indent=1))
            if args.doc:
                write_section(args.doc, "quality", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
