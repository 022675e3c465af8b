"""The ``gmmvc`` command line. The only module that configures logging or prints.

``main(argv)`` returns the exit status: 0 on success, 1 on a failure (one
line on stderr, a traceback only with ``--verbose``), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import logging
import pathlib
import sys
import time
from collections.abc import Sequence

import numpy as np

from . import __version__
from .exceptions import GmmvcError
from .model import CONVERSION_MODES

__all__ = ["get_parser", "main"]

logger = logging.getLogger("gmmvc")


def get_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``gmmvc`` command."""
    parser = argparse.ArgumentParser(
        prog="gmmvc",
        description="Joint-density GMM voice conversion (Toda, Black and Tokuda 2007).",
    )
    parser.add_argument("--version", action="version", version=f"gmmvc {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress and show tracebacks"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only results and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    demo = sub.add_parser(
        "demo",
        help="train and convert on a generated parallel corpus (no data needed)",
        description=(
            "Generate a parallel corpus of two synthetic voices reading the same phone "
            "sequences, train a converter on most of it, convert the held-out utterances, "
            "write source/converted/target wavs and print mel-cepstral distortion before "
            "and after conversion."
        ),
    )
    demo.add_argument(
        "-o",
        "--output",
        type=pathlib.Path,
        default=pathlib.Path("gmmvc-demo"),
        help="folder for the wavs (default: ./gmmvc-demo)",
    )
    demo.add_argument("--utterances", type=int, default=24, help="corpus size (default: 24)")
    demo.add_argument("--test", type=int, default=4, help="held-out utterances (default: 4)")
    demo.add_argument("--mixtures", type=int, default=8, help="GMM components (default: 8)")
    demo.add_argument(
        "--mode", choices=CONVERSION_MODES, default="mlpg", help="conversion mode (default: mlpg)"
    )
    demo.add_argument("--passes", type=int, default=3, help="alignment passes (default: 3)")
    demo.add_argument("--seed", type=int, default=0, help="corpus and EM seed (default: 0)")
    demo.add_argument("--overwrite", action="store_true", help="replace wavs from an earlier run")
    demo.set_defaults(func=_cmd_demo)
    return parser


def _cmd_demo(args: argparse.Namespace) -> int:
    from .audio import write_audio
    from .datasets import make_demo_corpus
    from .pipeline import VoiceConverter

    if not 0 < args.test < args.utterances:
        raise GmmvcError(
            f"--test: expected between 1 and {args.utterances - 1} held-out utterances, "
            f"got {args.test}"
        )
    out: pathlib.Path = args.output
    n_train = args.utterances - args.test
    corpus = make_demo_corpus(args.utterances, seed=args.seed)
    names = corpus.names[n_train:]
    planned = [out / f"{n}_{kind}.wav" for n in names for kind in ("source", "converted", "target")]
    existing = [p for p in planned if p.exists()]
    if existing and not args.overwrite:
        raise GmmvcError(
            f"{existing[0]} already exists (and {len(existing) - 1} more); "
            "pass --overwrite or choose another --output folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"gmmvc {__version__} demo: {n_train} training and {args.test} test utterances "
        f"at {corpus.fs} Hz"
    )
    t0 = time.perf_counter()
    vc = VoiceConverter(
        n_components=args.mixtures,
        mode=args.mode,
        n_alignment_passes=args.passes,
        random_state=args.seed,
    ).fit(corpus.source[:n_train], corpus.target[:n_train])
    print(
        f"trained in {time.perf_counter() - t0:.1f} s "
        f"({vc.model_.info['n_joint_frames']} joint frames, {args.mixtures} mixtures, "
        f"{args.passes} passes)"
    )
    scores = vc.evaluate(corpus.source[n_train:], corpus.target[n_train:])
    print(
        f"\n{'utterance':<12}{'MCD before (dB)':>17}{'MCD after (dB)':>16}"
        f"{'F0 RMSE before':>16}{'F0 RMSE after':>15}"
    )
    for name, ev, src, tgt in zip(names, scores, corpus.source[n_train:], corpus.target[n_train:]):
        print(
            f"{name:<12}{ev.before.mcd_db:>17.2f}{ev.after.mcd_db:>16.2f}"
            f"{ev.before.f0_rmse_cents:>13.0f} ct{ev.after.f0_rmse_cents:>12.0f} ct"
        )
        write_audio(out / f"{name}_source.wav", src, corpus.fs, overwrite=args.overwrite)
        write_audio(out / f"{name}_target.wav", tgt, corpus.fs, overwrite=args.overwrite)
        write_audio(
            out / f"{name}_converted.wav", ev.converted, vc.model_.fs, overwrite=args.overwrite
        )
    before = np.mean([ev.before.mcd_db for ev in scores])
    after = np.mean([ev.after.mcd_db for ev in scores])
    print(f"{'mean':<12}{before:>17.2f}{after:>16.2f}")
    print(
        f"\nmel-cepstral distortion to the target: {before:.2f} dB before, "
        f"{after:.2f} dB after conversion"
    )
    print(f"wavs written to {out}/")
    return 0


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s")
    )
    root = logging.getLogger("gmmvc")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gmmvc`` command; return its exit status."""
    parser = get_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    _configure_logging(args.verbose, args.quiet)
    try:
        return int(args.func(args))
    except GmmvcError as exc:
        if args.verbose:
            logger.exception("failed")
        print(f"gmmvc {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"gmmvc {args.command}: interrupted", file=sys.stderr)
        return 1
