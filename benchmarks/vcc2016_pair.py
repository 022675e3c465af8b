"""Train on a VCC 2016 pair's training sentences and score held-out evaluation sentences.

Usage::

    python benchmarks/vcc2016_pair.py SM1 TF1 [--train N] [--eval N] [--mixtures 32] [--mode mlpg]
        [--out DIR]

Reads ``../shared/data/vcc2016`` (or ``--data``); trains only on 1000NN
sentences, scores only 2000NN sentences by re-analysing the converted
waveform (MCD c1-c24 over DTW-aligned speech frames, F0 RMSE in cents, V/UV
error). Prints the means and the wall times.
"""

from __future__ import annotations

import argparse
import logging
import pathlib
import sys
import time

import numpy as np

from gmmvc.pipeline import VoiceConverter

DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "vcc2016"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    p.add_argument(
        "--train", type=int, default=162, help="training sentences (first N of 100001-100162)"
    )
    p.add_argument(
        "--eval", type=int, default=54, help="evaluation sentences (first N of 200001-200054)"
    )
    p.add_argument("--mixtures", type=int, default=32)
    p.add_argument("--mode", default="mlpg")
    p.add_argument("--gv-weight", type=float, default=0.0)
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--jobs", type=int, default=-1)
    p.add_argument("--out", type=pathlib.Path, help="write converted evaluation wavs here")
    args = p.parse_args()
    if not args.data.is_dir():
        print(f"VCC 2016 data not found at {args.data}; pass --data", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train_ids = [f"1{i:05d}" for i in range(1, args.train + 1)]
    eval_ids = [f"2{i:05d}" for i in range(1, args.eval + 1)]
    src = lambda ids: [args.data / args.source / f"{u}.flac" for u in ids]  # noqa: E731
    tgt = lambda ids: [args.data / args.target / f"{u}.flac" for u in ids]  # noqa: E731
    vc = VoiceConverter(
        args.mixtures,
        mode=args.mode,
        gv_weight=args.gv_weight,
        n_alignment_passes=args.passes,
        n_jobs=args.jobs,
    )
    t0 = time.perf_counter()
    vc.fit(src(train_ids), tgt(train_ids))
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = vc.evaluate(src(eval_ids), tgt(eval_ids))
    t_eval = time.perf_counter() - t0
    if args.out:
        from gmmvc.audio import write_audio

        args.out.mkdir(parents=True, exist_ok=True)
        for u, ev in zip(eval_ids, scores):
            write_audio(args.out / f"{u}.wav", ev.converted, vc.model_.fs)
    before = np.array(
        [[e.before.mcd_db, e.before.f0_rmse_cents, e.before.vuv_error] for e in scores]
    )
    after = np.array([[e.after.mcd_db, e.after.f0_rmse_cents, e.after.vuv_error] for e in scores])
    print(
        f"{args.source}->{args.target}: {args.train} training / {args.eval} evaluation sentences, "
        f"{args.mixtures} mixtures, mode {args.mode}, gv_weight {args.gv_weight}, {args.passes} passes"
    )
    print(
        f"  source vs target : MCD {before[:, 0].mean():.2f} dB, F0 RMSE {np.nanmean(before[:, 1]):.0f} cents, "
        f"V/UV {before[:, 2].mean():.3f}"
    )
    print(
        f"  converted        : MCD {after[:, 0].mean():.2f} dB, F0 RMSE {np.nanmean(after[:, 1]):.0f} cents, "
        f"V/UV {after[:, 2].mean():.3f}"
    )
    print(f"  train {t_train:.0f} s, evaluate (analyse, convert, re-analyse) {t_eval:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
