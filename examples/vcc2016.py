"""Train a converter on VCC 2016 and score it on the held-out evaluation sentences.

Trains SM1 -> TF1 (by default) on the official training sentences
100001-100162 and scores the official evaluation sentences 200001-200054: the
converted waveform is analysed again and compared with the target's reading
over DTW-aligned speech frames (mel-cepstral distortion c1-c24, log-F0 RMSE
in cents, voicing error), next to the unconverted source as the baseline.

The corpus is looked for in ``../shared/data/vcc2016`` next to this checkout
(or ``--data``); it is not part of gmmvc (ODC-By 1.0, see its README). A full
run (162 sentences, 32 mixtures) takes tens of minutes on a laptop; for a
quick look::

    python examples/vcc2016.py --train 20 --eval 5 --mixtures 8

Exit status: 0 on success, 1 if the data is missing or a step fails.
"""

from __future__ import annotations

import argparse
import logging
import math
import pathlib
import sys
import time
from collections.abc import Sequence

import numpy as np

import gmmvc

#: Where the data lives when this file sits in <checkout>/examples/.
DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "vcc2016"

#: The official training and evaluation sentence ids of VCC 2016.
TRAIN_IDS = [f"{100000 + i}" for i in range(1, 163)]
EVAL_IDS = [f"{200000 + i}" for i in range(1, 55)]


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train on VCC 2016 training sentences, score the evaluation sentences."
    )
    parser.add_argument(
        "--data",
        type=pathlib.Path,
        default=DEFAULT_DATA,
        help=f"VCC 2016 folder with one sub-folder per speaker (default: {DEFAULT_DATA})",
    )
    parser.add_argument("--source", default="SM1", help="source speaker (default: SM1)")
    parser.add_argument("--target", default="TF1", help="target speaker (default: TF1)")
    parser.add_argument(
        "--train",
        type=int,
        default=len(TRAIN_IDS),
        help="use the first N training sentences (default: all 162)",
    )
    parser.add_argument(
        "--eval",
        type=int,
        default=len(EVAL_IDS),
        help="score the first N evaluation sentences (default: all 54)",
    )
    parser.add_argument("--mixtures", type=int, default=32, help="GMM components (default: 32)")
    parser.add_argument(
        "--mode",
        choices=("mmse", "mlpg", "mlpg_em"),
        default="mlpg",
        help="spectral conversion (default: mlpg)",
    )
    parser.add_argument(
        "--gv-weight",
        type=float,
        default=0.0,
        help="global-variance postfilter weight in [0, 1] (default: 0, off)",
    )
    parser.add_argument("--passes", type=int, default=3, help="alignment passes (default: 3)")
    parser.add_argument(
        "--f0-method",
        choices=("harvest", "dio"),
        default="harvest",
        help="WORLD F0 estimator (default: harvest; dio is faster)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="parallel analysis workers, -1 for all cores (default: 1)",
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        help="also write the converted evaluation sentences here as wavs",
    )
    parser.add_argument(
        "--save", type=pathlib.Path, help="also save the trained converter to this file (.npz)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log training progress")
    return parser


def _files(data: pathlib.Path, speaker: str, ids: Sequence[str]) -> list[pathlib.Path]:
    return [data / speaker / f"{u}.flac" for u in ids]


def _check_data(args: argparse.Namespace) -> str | None:
    """Why the run cannot start, or None."""
    if not args.data.is_dir():
        return (
            f"VCC 2016 data not found at {args.data}. Download the corpus (University of "
            "Edinburgh DataShare, handle 10283/2211), convert it to <speaker>/<id>.flac, "
            "and pass --data FOLDER"
        )
    if not 1 <= args.train <= len(TRAIN_IDS):
        return f"--train: expected 1 to {len(TRAIN_IDS)} sentences, got {args.train}"
    if not 1 <= args.eval <= len(EVAL_IDS):
        return f"--eval: expected 1 to {len(EVAL_IDS)} sentences, got {args.eval}"
    wanted = [
        *_files(args.data, args.source, TRAIN_IDS[: args.train] + EVAL_IDS[: args.eval]),
        *_files(args.data, args.target, TRAIN_IDS[: args.train] + EVAL_IDS[: args.eval]),
    ]
    missing = [str(p) for p in wanted if not p.is_file()]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        return f"{len(missing)} file(s) missing from {args.data}: {', '.join(missing[:3])}{more}"
    return None


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    problem = _check_data(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
    )
    train_ids, eval_ids = TRAIN_IDS[: args.train], EVAL_IDS[: args.eval]
    vc = gmmvc.VoiceConverter(
        args.mixtures,
        mode=args.mode,
        gv_weight=args.gv_weight,
        n_alignment_passes=args.passes,
        analysis=gmmvc.AnalysisConfig(f0_method=args.f0_method),
        n_jobs=args.jobs,
    )
    print(
        f"{args.source} -> {args.target}: training on {len(train_ids)} sentences "
        f"({args.mixtures} mixtures, {args.passes} alignment passes, {args.f0_method}) ...",
        flush=True,
    )
    try:
        start = time.perf_counter()
        vc.fit(_files(args.data, args.source, train_ids), _files(args.data, args.target, train_ids))
        train_time = time.perf_counter() - start
        print(
            f"trained in {train_time:.0f} s; converting and scoring {len(eval_ids)} "
            f"sentences ({args.mode}, gv_weight {args.gv_weight}) ...",
            flush=True,
        )
        start = time.perf_counter()
        results = vc.evaluate(
            _files(args.data, args.source, eval_ids), _files(args.data, args.target, eval_ids)
        )
        eval_time = time.perf_counter() - start
    except gmmvc.GmmvcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    header = f"{'sentence':10s} {'MCD (dB)':>17s} {'F0 RMSE (cents)':>17s} {'V/UV error':>15s}"
    print(
        f"\n{header}\n{'':10s} {'before':>8s} {'after':>8s} {'before':>8s} {'after':>8s} "
        f"{'before':>7s} {'after':>7s}"
    )
    for u, r in zip(eval_ids, results):
        print(
            f"{u:10s} {r.before.mcd_db:8.2f} {r.after.mcd_db:8.2f} "
            f"{r.before.f0_rmse_cents:8.0f} {r.after.f0_rmse_cents:8.0f} "
            f"{r.before.vuv_error:7.1%} {r.after.vuv_error:7.1%}"
        )
    before = [r.before for r in results]
    after = [r.after for r in results]
    print(
        f"{'mean':10s} {_mean([s.mcd_db for s in before]):8.2f} "
        f"{_mean([s.mcd_db for s in after]):8.2f} "
        f"{_mean([s.f0_rmse_cents for s in before]):8.0f} "
        f"{_mean([s.f0_rmse_cents for s in after]):8.0f} "
        f"{_mean([s.vuv_error for s in before]):7.1%} {_mean([s.vuv_error for s in after]):7.1%}"
    )
    print(f"\ntraining {train_time:.0f} s, conversion and scoring {eval_time:.0f} s")

    if args.save is not None:
        print(f"converter saved to {vc.save(args.save)}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for u, r in zip(eval_ids, results):
            gmmvc.write_audio(args.out / f"{u}.wav", r.converted, vc.model_.fs, overwrite=True)
        print(f"converted sentences written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
