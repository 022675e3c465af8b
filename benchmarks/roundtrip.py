"""The spectrogram route against WORLD on VCC 2016: round trips, and conversion with the STFT backend.

Usage::

    python benchmarks/roundtrip.py roundtrip SM1 [--eval 54] [--iters 16 32 64 100]
        [--momenta 0.99 0] [--jobs 1]
    python benchmarks/roundtrip.py convert SM1 TM1 [--train 162] [--eval 54]
        [--features mfcc logmel] [--mixtures 32] [--passes 3] [--phase-init source random]
        [--n-iter 100] [--world] [--jobs 1] [--out DIR]

``roundtrip`` takes each evaluation sentence of one speaker through
audio -> |STFT| -> Griffin-Lim, audio -> |STFT| -> log-mel -> NNLS -> Griffin-Lim and
audio -> WORLD features -> WORLD, re-analyses each output and compares it with the
original frame by frame (gmmvc.stft.score_resynthesis): MCD, log-spectral distance,
F0 RMSE, V/UV error, spectral convergence, for every Griffin-Lim iteration count and
momentum asked for.

``convert`` trains the STFT-backend GMM (gmmvc.stft.fit_stft_converter) on the
1000NN sentences of a pair and converts the 2000NN sentences; with ``--world`` it
also trains the WORLD VoiceConverter with the same mixtures, passes and speaker
settings. Every output is written as 16-bit PCM, read back and scored by the
neutral evaluator of benchmarks/quality.py (gmmvc.pipeline.score_waveforms), and
also with each speaker's own settings (VoiceConverter.evaluate,
gmmvc.stft.evaluate_stft_converter); the median F0 change from the source shows
which systems keep the source's pitch.

Reads ``../shared/data/vcc2016`` relative to the repository (or ``--data``); never
trains on 2000NN sentences. Prints Markdown tables and wall times.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import pathlib
import platform
import shutil
import sys
import tempfile
import time

import numpy as np

import gmmvc
from gmmvc.analysis import estimate_f0_range
from gmmvc.audio import read_audio, write_audio
from gmmvc.config import AnalysisConfig
from gmmvc.features import estimate_power_threshold, extract_features
from gmmvc.stft import (
    StftConfig,
    evaluate_stft_converter,
    fit_stft_converter,
    roundtrip_table,
)

DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "vcc2016"
FS = 16000


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(1, n + 1)]


def _read(data: pathlib.Path, speaker: str, ids: list[str]) -> list[np.ndarray]:
    return [read_audio(data / speaker / f"{u}.flac", fs=FS)[0] for u in ids]


def _check_data(data: pathlib.Path, speakers: list[str]) -> bool:
    missing = [s for s in speakers if not (data / s).is_dir()]
    if not data.is_dir() or missing:
        print(
            f"VCC 2016 data not found at {data} (missing: {missing or 'the folder'}); "
            "put the corpus in ../shared/data/vcc2016 or pass --data",
            file=sys.stderr,
        )
        return False
    return True


def _machine() -> str:
    """One line saying where and when the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(
                line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return (
        f"Measured on {datetime.date.today().isoformat()}: {cpu}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, gmmvc {gmmvc.__version__}"
    )


def _fmt(value: float, digits: int) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.{digits}f}"


def cmd_roundtrip(args: argparse.Namespace) -> int:
    if not _check_data(args.data, [args.speaker]):
        return 1
    ids = _ids("2", args.eval)
    waves = _read(args.data, args.speaker, ids)
    cfg = StftConfig()
    t0 = time.perf_counter()
    rows = roundtrip_table(
        waves, config=cfg, n_iters=args.iters, momenta=args.momenta, n_jobs=args.jobs
    )
    elapsed = time.perf_counter() - t0
    print(
        f"Round trips of {args.speaker}, {len(ids)} evaluation sentences "
        f"({ids[0]}-{ids[-1]}), {cfg.fs} Hz; STFT n_fft {cfg.n_fft}, hop {cfg.hop_length}, "
        f"window {cfg.window} {cfg.win_length}; {cfg.n_mels} mel bands, amin {cfg.amin:g}, "
        f"normalization {cfg.normalization}; Griffin-Lim random initial phase (seed 0)"
    )
    print()
    print(
        "| route | GL iterations | momentum | MCD (dB) | LSD (dB) | F0 RMSE (cents) "
        "| median F0 error (cents) | V/UV error (%) | spectral convergence |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    names = {
        "linear": "audio -> linear -> audio",
        "mel": "audio -> mel -> linear -> audio",
        "world": "audio -> WORLD -> audio",
    }
    for row in rows:
        m = row.mean()
        print(
            f"| {names[row.route]} | {row.n_iter or '-'} | "
            f"{'-' if row.momentum is None else f'{row.momentum:g}'} | "
            f"{m.mcd_db:.2f} | {m.lsd_db:.2f} | {_fmt(m.f0_rmse_cents, 1)} | "
            f"{_fmt(m.f0_median_cents, 1)} | "
            f"{100 * m.vuv_error:.2f} | {m.spectral_convergence:.3f} |"
        )
    print()
    print(f"wall time {elapsed:.0f} s ({args.jobs} job(s))")
    print(_machine())
    return 0


def _speaker_analysis(waves: list[np.ndarray]) -> AnalysisConfig:
    """F0 range and speech threshold from a speaker's training audio (as VoiceConverter does)."""
    floor, ceil = estimate_f0_range(waves, FS)
    cfg = AnalysisConfig(fs=FS, f0_floor=floor, f0_ceil=ceil)
    powers = [extract_features(w, cfg.replace(f0_method="dio")).power_db for w in waves]
    return cfg.replace(power_threshold_db=estimate_power_threshold(powers))


def _f0_shift_cents(
    converted: list[np.ndarray], source_f0: list[np.ndarray], analysis: AnalysisConfig
) -> float:
    """Median |log F0 change| (cents) from source to converted, frames paired 1:1."""
    shifts = []
    for y, f0_s in zip(converted, source_f0):
        f0_c = extract_features(y, analysis).f0
        n = min(f0_c.size, f0_s.size)
        both = (f0_c[:n] > 0) & (f0_s[:n] > 0)
        shifts.append(1200.0 * np.abs(np.log2(f0_c[:n][both] / f0_s[:n][both])))
    return float(np.median(np.concatenate(shifts)))


def _mean(scores: list, field: str) -> float:
    return float(np.nanmean([getattr(sc, field) for sc in scores]))


def _neutral_scores(
    converted: list[np.ndarray], targets: list[np.ndarray], folder: pathlib.Path
) -> list:
    """Write each output as 16-bit PCM, read it back, score it with the neutral evaluator."""
    from gmmvc.pipeline import score_waveforms

    folder.mkdir(parents=True, exist_ok=True)
    scores = []
    for i, (y, t) in enumerate(zip(converted, targets)):
        path = write_audio(folder / f"{i:03d}.wav", y, FS)
        written, fs = read_audio(path)
        scores.append(score_waveforms(written, t, fs))
    return scores


def cmd_convert(args: argparse.Namespace) -> int:
    if not _check_data(args.data, [args.source, args.target]):
        return 1
    from gmmvc.pipeline import score_waveforms

    train, evaluation = _ids("1", args.train), _ids("2", args.eval)
    src_train = _read(args.data, args.source, train)
    tgt_train = _read(args.data, args.target, train)
    src_eval = _read(args.data, args.source, evaluation)
    tgt_eval = _read(args.data, args.target, evaluation)
    t0 = time.perf_counter()
    src_ana = _speaker_analysis(src_train)
    tgt_ana = _speaker_analysis(tgt_train)
    print(
        f"{args.source}->{args.target}: {len(train)} training ({train[0]}-{train[-1]}) / "
        f"{len(evaluation)} evaluation ({evaluation[0]}-{evaluation[-1]}) sentences, "
        f"{args.mixtures} mixtures, {args.passes} alignment passes, MLPG; speaker settings "
        f"F0 {src_ana.f0_floor:.0f}-{src_ana.f0_ceil:.0f} Hz / "
        f"{tgt_ana.f0_floor:.0f}-{tgt_ana.f0_ceil:.0f} Hz, speech above "
        f"{src_ana.power_threshold_db:.1f} / {tgt_ana.power_threshold_db:.1f} dB "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    # F0 of the converted speech against the source's, 1:1 (conversion keeps the timing),
    # analysed with a range wide enough for both speakers
    wide = AnalysisConfig(
        fs=FS,
        f0_floor=min(src_ana.f0_floor, tgt_ana.f0_floor),
        f0_ceil=max(src_ana.f0_ceil, tgt_ana.f0_ceil),
    )
    src_eval_f0 = [extract_features(x, wide).f0 for x in src_eval]
    baseline = [score_waveforms(x, y, FS) for x, y in zip(src_eval, tgt_eval)]
    workdir = args.out or pathlib.Path(tempfile.mkdtemp(prefix="gmmvc-roundtrip-"))
    # (label, per-speaker-settings scores, neutral scores, F0 change, train s, evaluate s)
    rows: list[tuple[str, list, list, float, float, float]] = []
    before: list = []
    if args.world:
        from gmmvc.pipeline import VoiceConverter

        vc = VoiceConverter(
            args.mixtures,
            mode="mlpg",
            n_alignment_passes=args.passes,
            source_f0_range=(src_ana.f0_floor, src_ana.f0_ceil),
            target_f0_range=(tgt_ana.f0_floor, tgt_ana.f0_ceil),
            source_power_threshold_db=src_ana.power_threshold_db,
            target_power_threshold_db=tgt_ana.power_threshold_db,
            n_jobs=args.jobs,
        )
        t0 = time.perf_counter()
        vc.fit(src_train, tgt_train, fs=FS)
        t_train = time.perf_counter() - t0
        t0 = time.perf_counter()
        ev = vc.evaluate(src_eval, tgt_eval, fs=FS)
        converted = [e.converted for e in ev]
        neutral = _neutral_scores(converted, tgt_eval, workdir / "world-mlpg")
        before = [e.before for e in ev]
        rows.append(
            (
                "WORLD VoiceConverter, MLPG (F0 converted)",
                [e.after for e in ev],
                neutral,
                _f0_shift_cents(converted, src_eval_f0, wide),
                t_train,
                time.perf_counter() - t0,
            )
        )
    cfg = StftConfig(n_iter=args.n_iter)
    for features in args.features:
        t0 = time.perf_counter()
        conv = fit_stft_converter(
            src_train,
            tgt_train,
            config=cfg,
            features=features,
            n_components=args.mixtures,
            n_alignment_passes=args.passes,
            n_jobs=args.jobs,
        )
        t_train = time.perf_counter() - t0
        logging.info("trained STFT %s converter: %s", features, conv.info)
        for phase_init in args.phase_init:
            t0 = time.perf_counter()
            ev = evaluate_stft_converter(
                conv,
                src_eval,
                tgt_eval,
                source_analysis=src_ana,
                target_analysis=tgt_ana,
                phase_init=phase_init,
            )
            converted = [e.converted for e in ev]
            neutral = _neutral_scores(
                converted, tgt_eval, workdir / f"stft-{features}-{phase_init}"
            )
            before = before or [e.before for e in ev]
            label = f"STFT {features} ({cfg.n_mels} mel"
            label += f", order {cfg.order})" if features == "mfcc" else ")"
            label += f", GL {cfg.n_iter} it., {phase_init} phase"
            rows.append(
                (
                    label,
                    [e.after for e in ev],
                    neutral,
                    _f0_shift_cents(converted, src_eval_f0, wide),
                    t_train,
                    time.perf_counter() - t0,
                )
            )
    print()
    print(
        "Neutral evaluator (gmmvc.pipeline.score_waveforms on the written 16-bit wavs; "
        "harvest 40-700 Hz, each file's own speech threshold), means over sentences:"
    )
    print()
    print(
        "| system | MCD (dB) | F0 RMSE (cents) | V/UV error (%) | GV ratio "
        "| median F0 change from source (cents) | train (s) | convert + score (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| source vs target (no conversion) | {_mean(baseline, 'mcd_db'):.2f} | "
        f"{_mean(baseline, 'f0_rmse_cents'):.0f} | {100 * _mean(baseline, 'vuv_error'):.1f} | "
        f"{_mean(baseline, 'gv_ratio'):.2f} | 0 | - | - |"
    )
    for label, _, neutral, shift, t_train, t_eval in rows:
        print(
            f"| {label} | {_mean(neutral, 'mcd_db'):.2f} | "
            f"{_mean(neutral, 'f0_rmse_cents'):.0f} | {100 * _mean(neutral, 'vuv_error'):.1f} | "
            f"{_mean(neutral, 'gv_ratio'):.2f} | {shift:.0f} | {t_train:.0f} | {t_eval:.0f} |"
        )
    print()
    print(
        "Per-speaker settings (each speaker's F0 range and speech threshold from their "
        "training audio; VoiceConverter.evaluate / gmmvc.stft.evaluate_stft_converter):"
    )
    print()
    print("| system | MCD (dB) | F0 RMSE (cents) | V/UV error (%) |")
    print("|---|---:|---:|---:|")
    for label, scores in [("source vs target (no conversion)", before)] + [
        (r[0], r[1]) for r in rows
    ]:
        print(
            f"| {label} | {_mean(scores, 'mcd_db'):.2f} | {_mean(scores, 'f0_rmse_cents'):.0f} "
            f"| {100 * _mean(scores, 'vuv_error'):.1f} |"
        )
    print(f"\n{_machine()}; --jobs {args.jobs}")
    if args.out:
        print(f"\nconverted wavs in {args.out}")
    else:
        shutil.rmtree(workdir)
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    p.add_argument("--verbose", action="store_true", help="log progress at INFO level")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("roundtrip", help="round trips of one speaker's evaluation sentences")
    r.add_argument("speaker")
    r.add_argument("--eval", type=int, default=54, help="first N of 200001-200054")
    r.add_argument("--iters", type=int, nargs="+", default=[16, 32, 64, 100])
    r.add_argument("--momenta", type=float, nargs="+", default=[0.99])
    r.add_argument("--jobs", type=int, default=1)
    r.set_defaults(func=cmd_roundtrip)

    c = sub.add_parser("convert", help="train on 1000NN, score 2000NN, STFT backend")
    c.add_argument("source")
    c.add_argument("target")
    c.add_argument("--train", type=int, default=162, help="first N of 100001-100162")
    c.add_argument("--eval", type=int, default=54, help="first N of 200001-200054")
    c.add_argument("--features", nargs="+", default=["mfcc"], choices=["mfcc", "logmel"])
    c.add_argument("--mixtures", type=int, default=32)
    c.add_argument("--passes", type=int, default=3)
    c.add_argument("--n-iter", type=int, default=100, help="Griffin-Lim iterations")
    c.add_argument("--phase-init", nargs="+", default=["source"], choices=["source", "random"])
    c.add_argument("--world", action="store_true", help="also train and score the WORLD route")
    c.add_argument(
        "--jobs", type=int, default=1, help="workers for WORLD analysis and EM (both backends)"
    )
    c.add_argument(
        "--out", type=pathlib.Path, help="keep the converted evaluation wavs here (else a temp dir)"
    )
    c.set_defaults(func=cmd_convert)

    args = p.parse_args()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
    )
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
