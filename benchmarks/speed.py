"""Speed and memory benchmark: each training and conversion stage timed on SM1 -> TF1.

Usage (from the repository root, with ../shared/data/vcc2016 beside it; run it
on an otherwise idle machine)::

    python benchmarks/speed.py [--train 162] [--eval 54] [--mixtures 32] [--cold] [--doc docs/benchmarks.md]

Reports wall times of analysis, each alignment pass, each EM fit (with the
time per iteration beside the floor computed from the problem size and this
machine's measured matrix-multiply rate), conversion per mode split into
WORLD analysis / gmmvc's own share / synthesis, real-time factors (processing
seconds per second of audio) and peak memory.
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import resource
import sys
import time

import numpy as np
from _doc import write_section
from joblib import Parallel, delayed
from scipy import linalg

from gmmvc._threads import one_blas_thread
from gmmvc.audio import read_audio
from gmmvc.cli import get_parser
from gmmvc.conversion import _best_component_system, convert_mlpg_em, convert_mlpg_gv
from gmmvc.deltas import apply_windows
from gmmvc.features import extract_features, extract_spectrum
from gmmvc.metrics import score_features
from gmmvc.pipeline import VoiceConverter, evaluation_features
from gmmvc.synthesis import mlsa_filter, synthesize

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "vcc2016"

MODES = (
    ("MMSE", {"mode": "mmse"}),
    ("MLPG", {"mode": "mlpg"}),
    ("MLPG-EM", {"mode": "mlpg_em"}),
    ("MLPG considering GV", {"mode": "mlpg_gv"}),
    ("MLPG + GV + MS postfilters", {"mode": "mlpg", "gv_weight": 1.0, "ms_weight": 1.0}),
    ("differential (MLPG, MLSA)", {"mode": "mlpg", "synthesis": "differential"}),
)


def gemm_rate(n: int, d: int, dtype: str) -> float:
    """Measured flop/s of an (n, d) x (d, d) product, the shape EM's work reduces to."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(n, d)).astype(dtype)
    b = rng.normal(size=(d, d)).astype(dtype)
    a @ b
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n * d * d / best


def train_model(args: argparse.Namespace, src: list, tgt: list, *, warm_start: bool):
    vc = VoiceConverter(
        args.mixtures,
        n_alignment_passes=args.passes,
        n_jobs=args.jobs,
        dtype=args.dtype,
        warm_start=warm_start,
    )
    t0 = time.perf_counter()
    vc.fit(src, tgt)
    return vc, time.perf_counter() - t0


def mlpg_mcd(model, sources: list, targets: list, jobs: int) -> float:
    """Mean MCD of MLPG + WORLD output, re-analysed by the neutral evaluator."""

    def one(x, target):
        out = model.convert(x, model.fs, mode="mlpg")
        feats, speech = evaluation_features(out, model.fs)
        return score_features(feats, target[0], speech=speech, target_speech=target[1]).mcd_db

    return float(
        np.mean(Parallel(n_jobs=jobs)(delayed(one)(x, t) for x, t in zip(sources, targets)))
    )


#: The issue's reference figures, measured on this kind of machine (SM1 -> TF1, 162 sentences).
SPROCKET_TRAIN_S = 1527.0
SPROCKET_MCD_DB = 6.88
#: The issue's targets.
TRAIN_SPEEDUP = 5.0
EM_FLOOR_RATIO = 1.5
OWN_SHARE = 0.10
MEMORY_GB = 2.0


def iterative_steps(model, mceps: list) -> dict:
    """Steps per sentence of the two iterative modes and the time of one banded factorisation.

    Each MLPG-EM step solves a new banded system (a factorisation at least); each step of
    generation considering GV one banded solve with a factor computed once. Steps are
    counted from each function's history on the sentences' source mel-cepstra.
    """
    em_steps, gv_steps, factor_s = [], [], 0.0
    for mcep in mceps:
        X = apply_windows(mcep[:, 1:], model.windows)
        history: list[float] = []
        convert_mlpg_em(model.gmm, X, windows=model.windows, history=history)
        em_steps.append(len(history) - 1)
        history = []
        convert_mlpg_gv(model.gmm, X, model.target_gv, windows=model.windows, history=history)
        gv_steps.append(len(history) - 1)
        ab, _, _ = _best_component_system(model.gmm, X, [np.asarray(w) for w in model.windows])
        with one_blas_thread():  # as conversion runs it
            t0 = time.perf_counter()
            linalg.cholesky_banded(ab, lower=False, check_finite=False)
            factor_s += time.perf_counter() - t0
    return {"MLPG-EM": em_steps, "MLPG considering GV": gv_steps, "factor_s": factor_s}


def _verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def against_targets(em_ratios, train_s, train_mem, conv_rows, quality) -> list[str]:
    """The targets of issue 8, each beside the figure measured in this run."""
    shares = {label: own / total for label, _, own, _, total, _ in conv_rows}
    totals = {label: total for label, _, _, _, total, _ in conv_rows}
    mcd = quality[0][3]
    lines = [
        "### Against the targets",
        "",
        f"Reference figures are the issue's, measured on this kind of machine: sprocket trains "
        f"SM1 -> TF1 in {SPROCKET_TRAIN_S:.0f} s with {SPROCKET_MCD_DB} dB MCD.",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| training at least {TRAIN_SPEEDUP:.0f}x faster than sprocket's "
        f"{SPROCKET_TRAIN_S:.0f} s | {train_s:.0f} s end to end: "
        f"{SPROCKET_TRAIN_S / train_s:.1f}x | {_verdict(SPROCKET_TRAIN_S / train_s >= TRAIN_SPEEDUP)} |",
        f"| ... with equal or better quality | MLPG {mcd:.2f} dB MCD (sprocket: "
        f"{SPROCKET_MCD_DB} dB) | {_verdict(mcd <= SPROCKET_MCD_DB)} |",
        f"| EM within {EM_FLOOR_RATIO}x of the matrix-multiply floor per iteration | "
        f"{min(em_ratios):.2f}-{max(em_ratios):.2f}x | {_verdict(max(em_ratios) <= EM_FLOOR_RATIO)} |",
    ]
    if len(quality) > 1:
        (_, warm_s, _, warm_mcd), (_, cold_s, _, cold_mcd) = quality[:2]
        lines.append(
            f"| later passes warm-started where that does not hurt quality | "
            f"{warm_mcd - cold_mcd:+.2f} dB for {warm_s / cold_s:.0%} of the training time | "
            f"see the table above |"
        )
    for label, share in shares.items():
        lines.append(
            f"| conversion, {label}: gmmvc's own share under {OWN_SHARE:.0%} | {share:.1%} | "
            f"{_verdict(share < OWN_SHARE)} |"
        )
    diff = next(label for label in totals if label.startswith("differential"))
    convert_jobs = get_parser().parse_args(["convert", "MODEL", "IN", "-o", "OUT"]).jobs
    lines += [
        f"| differential conversion faster than MLPG + WORLD resynthesis | "
        f"{totals[diff]:.1f} s against {totals['MLPG']:.1f} s | "
        f"{_verdict(totals[diff] < totals['MLPG'])} |",
        f"| `gmmvc convert` over a folder uses all cores | `--jobs` defaults to {convert_jobs} | "
        f"{_verdict(convert_jobs == -1)} |",
        f"| peak memory for training under {MEMORY_GB:.0f} GB | {train_mem:.2f} GB | "
        f"{_verdict(train_mem < MEMORY_GB)} |",
    ]
    return lines


def peak_rss_gb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024**2  # ru_maxrss is in KiB on Linux


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    p.add_argument("--train", type=int, default=162)
    p.add_argument("--eval", type=int, default=54)
    p.add_argument("--mixtures", type=int, default=32)
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--jobs", type=int, default=-1)
    p.add_argument(
        "--doc",
        type=pathlib.Path,
        default=None,
        help="markdown page whose 'speed' section (between <!-- speed:start/end --> markers) "
        "is replaced, e.g. docs/benchmarks.md",
    )
    p.add_argument(
        "--cold",
        action="store_true",
        help="also train with every EM from scratch (no warm start) and compare quality",
    )
    args = p.parse_args(argv)
    if not args.data.is_dir():
        print(f"VCC 2016 data not found at {args.data}: nothing to benchmark", file=sys.stderr)
        return 1
    train_ids = [f"1{i:05d}" for i in range(1, args.train + 1)]
    held = [f"2{i:05d}" for i in range(1, args.eval + 1)]
    src = [args.data / "SM1" / f"{u}.flac" for u in train_ids]
    tgt = [args.data / "TF1" / f"{u}.flac" for u in train_ids]

    vc, train_s = train_model(args, src, tgt, warm_start=True)
    tm = vc.timings_
    audio_s = vc.model_.info["source_seconds"] + vc.model_.info["target_seconds"]
    dim = vc.model_.gmm.means_.shape[1]
    rows = [
        ("analysis (read, F0 range, WORLD, mel-cepstra; all files)", tm["analysis_s"], audio_s),
    ]
    em_ratios = []
    for i, (a, e, it, n) in enumerate(
        zip(tm["alignment_s"], tm["em_s"], tm["em_iterations"], tm["em_frames"]), start=1
    ):
        rows.append((f"pass {i}: alignment", a, None))
        rate = gemm_rate(n, dim, args.dtype)
        floor = 4.0 * n * dim * dim * args.mixtures / rate
        em_ratios.append(e / max(it, 1) / floor)
        rows.append(
            (
                f"pass {i}: EM, {it} iterations on {n} frames x {dim} dims "
                f"({e / max(it, 1):.2f} s/iteration; floor {floor:.2f} s at "
                f"{rate / 1e9:.1f} GFlop/s {args.dtype})",
                e,
                None,
            )
        )
    rows.append(("statistics (MS, GV, F0)", tm["statistics_s"], None))
    rows.append(("training end to end", train_s, audio_s))
    train_mem = peak_rss_gb()

    model = vc.model_
    sources = [read_audio(args.data / "SM1" / f"{u}.flac")[0] for u in held]
    eval_s = sum(x.size for x in sources) / model.fs
    conv_rows, mceps = [], []
    for label, settings in MODES:
        t_an = t_own = t_syn = 0.0
        for x in sources:
            t0 = time.perf_counter()
            xs = model.prepare_source(x, model.fs)
            if settings.get("synthesis") == "differential":  # as ConversionModel.convert
                mcep, power_db = extract_spectrum(xs, model.source_config)  # no D4C
                t1 = time.perf_counter()
                speech = model.speech_frames(power_db, speaker="source")
                diff = model.convert_spectrum(
                    mcep, speech=speech, differential=True, mode=settings["mode"]
                )
                t2 = time.perf_counter()
                mlsa_filter(xs, diff, model.source_config)
            else:
                feats = extract_features(xs, model.source_config)
                t1 = time.perf_counter()
                conv = model.convert_features(feats, **settings)
                t2 = time.perf_counter()
                synthesize(conv.f0, conv.mcep, conv.bap, model.source_config)
            t3 = time.perf_counter()
            t_an, t_own, t_syn = t_an + t1 - t0, t_own + t2 - t1, t_syn + t3 - t2
            if label == "MLPG":
                mceps.append(feats.mcep)
        total = t_an + t_own + t_syn
        conv_rows.append((label, t_an, t_own, t_syn, total, eval_s))
    steps = iterative_steps(model, mceps)

    fs = model.fs
    targets = Parallel(n_jobs=args.jobs)(
        delayed(evaluation_features)(read_audio(args.data / "TF1" / f"{u}.flac")[0], fs)
        for u in held
    )
    quality = [
        (
            "warm start (default)",
            train_s,
            tm["em_iterations"],
            mlpg_mcd(model, sources, targets, args.jobs),
        )
    ]
    if args.cold:
        cold, cold_s = train_model(args, src, tgt, warm_start=False)
        quality.append(
            (
                "every EM from k-means",
                cold_s,
                cold.timings_["em_iterations"],
                mlpg_mcd(cold.model_, sources, targets, args.jobs),
            )
        )
    lines = [
        "## Speed and memory (issue 8)",
        "",
        f"Command: `python benchmarks/speed.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}; date: "
        f"{datetime.date.today().isoformat()}  ",
        f"Data: SM1 -> TF1, {args.train} training pairs ({audio_s:.0f} s of audio), "
        f"{args.eval} evaluation sentences ({eval_s:.0f} s); {args.mixtures} mixtures, "
        f"{args.passes} alignment passes, EM in {args.dtype}, n_jobs={args.jobs}.",
        "",
        "### Training",
        "",
        "| stage | seconds | real-time factor |",
        "|---|---|---|",
    ]
    for label, sec, aud in rows:
        rtf = "" if aud is None else f"{sec / aud:.3f}"
        lines.append(f"| {label} | {sec:.1f} | {rtf} |")
    lines += [
        "",
        "The EM floor is `4 N D^2 M` flops (the E-step whitening and the M-step scatter of "
        "every component) at the measured rate of an `(N, D) x (D, D)` product with the "
        f"machine's BLAS; EM runs with n_jobs={args.jobs}.",
        "",
        f"Peak memory (resident, largest process) during training: {train_mem:.2f} GB.",
        "",
        "### Conversion (one process, one core per file)",
        "",
        "| mode | WORLD analysis (s) | gmmvc's own share (s) | synthesis (s) | total RTF | "
        "gmmvc share of time |",
        "|---|---|---|---|---|---|",
    ]
    for label, a, own, syn, total, aud in conv_rows:
        lines.append(
            f"| {label} | {a:.1f} | {own:.1f} | {syn:.1f} | {total / aud:.3f} | "
            f"{100 * own / total:.0f}% |"
        )
    own = {label: own for label, _, own, _, _, _ in conv_rows}
    wall = {label: total for label, _, _, _, total, _ in conv_rows}
    lines += [
        "",
        "Iterative modes: steps per sentence (from each function's history, default "
        "tolerances) and gmmvc's own time per step (own time beyond MLPG's, over all "
        "steps), beside one banded Cholesky "
        f"factorisation of the sentence's MLPG system ({1e3 * steps['factor_s'] / len(mceps):.1f} "
        "ms on average). An own share of "
        f"{OWN_SHARE:.0%} leaves each sentence the time of the last column in steps.",
        "",
        "| mode | steps per sentence (mean, range) | own time per step (ms) | "
        f"steps that fit in a {OWN_SHARE:.0%} share |",
        "|---|---|---|---|",
    ]
    for label in ("MLPG-EM", "MLPG considering GV"):
        n = steps[label]
        per_step = (own[label] - own["MLPG"]) / sum(n)  # beyond the MLPG it starts from
        # own <= share * total with the WORLD part fixed: own_max = share / (1 - share) * WORLD
        budget = OWN_SHARE / (1 - OWN_SHARE) * (wall[label] - own[label]) - own["MLPG"]
        lines.append(
            f"| {label} | {np.mean(n):.1f} ({min(n)}-{max(n)}) | {1e3 * per_step:.1f} | "
            f"{max(budget, 0.0) / per_step / len(n):.1f} |"
        )
    lines += [
        "",
        "### Quality of the timed model",
        "",
        "MLPG + WORLD on the evaluation sentences, re-analysed by the neutral evaluator "
        "(`gmmvc.pipeline.evaluation_features`, as in the quality benchmark).",
        "",
        "| EM start in passes 2.. | training (s) | EM iterations per pass | MCD (dB) |",
        "|---|---|---|---|",
    ]
    for label, sec, its, mcd in quality:
        lines.append(f"| {label} | {sec:.0f} | {', '.join(map(str, its))} | {mcd:.2f} |")
    lines += ["", *against_targets(em_ratios, train_s, train_mem, conv_rows, quality), ""]
    text = "\n".join(lines)
    print(text)
    if args.doc:
        write_section(args.doc, "speed", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
