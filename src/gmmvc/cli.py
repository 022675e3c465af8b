"""The ``gmmvc`` command line. The only module that configures logging or prints.

``main(argv)`` returns the exit status: 0 on success, 1 on a failure (one
line on stderr, a traceback only with ``--verbose``), 2 on a usage error.

Commands: ``train`` (two folders or lists of parallel recordings -> a model
file), ``convert`` (model + audio -> converted wavs), ``evaluate`` (model +
held-out pairs -> distortion figures), ``info`` (what a model file holds),
``roundtrip`` (how much the STFT and WORLD analysis/synthesis round trips
change real speech) and ``demo`` (everything on a generated corpus, no data
needed).

``train --backend stft`` trains the spectrogram route (:mod:`gmmvc.stft`:
mel features, Griffin-Lim resynthesis, F0 untouched) instead of WORLD. Its
model file says which backend wrote it, and ``convert``, ``evaluate`` and
``info`` read either kind.

Progress bars (tqdm) go to stderr when it is a terminal and ``--quiet`` is
not given; log messages go to stderr too, results to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import math
import pathlib
import sys
import textwrap
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import __version__
from .config import F0_METHODS
from .exceptions import GmmvcError
from .model import CONVERSION_MODES, SYNTHESIS_METHODS
from .stft import PHASE_INITS, STFT_FEATURES, STFT_MODES

#: Analysis/synthesis backends of ``gmmvc train --backend``.
BACKENDS = ("world", "stft")

__all__ = ["get_parser", "main"]

logger = logging.getLogger("gmmvc")

_EXAMPLES = """\
examples:
  gmmvc train vcc2016/SM1 vcc2016/TF1 --pattern '100*' -o sm1-tf1.npz
  gmmvc convert sm1-tf1.npz vcc2016/SM1 --pattern '2000*' -o converted/
  gmmvc evaluate sm1-tf1.npz vcc2016/SM1 vcc2016/TF1 --pattern '2000*'
  gmmvc info sm1-tf1.npz
  gmmvc train vcc2016/SM1 vcc2016/TF1 --pattern '100*' -o stft.npz --backend stft
  gmmvc roundtrip vcc2016/SM1 --pattern '2000*' --iters 16 32 64 100
  gmmvc demo

Run 'gmmvc COMMAND --help' for the options of a command.
"""


# ----------------------------------------------------------------------------- argument types


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a non-zero integer (1: one process, -1: all cores), got {text!r}"
        )
    return value


def _weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def _momentum(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a momentum in [0, 1], got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _f0_shift(text: str) -> str | float:
    return "auto" if text == "auto" else _positive_float(text)


# ----------------------------------------------------------------------------- parser


def get_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``gmmvc`` command.

    Returns
    -------
    argparse.ArgumentParser
        One sub-command per job; each command's function is ``func``.

    Examples
    --------
    >>> args = get_parser().parse_args(
    ...     ["train", "SM1", "TM1", "-o", "stft.npz", "--backend", "stft", "-m", "16"])
    >>> args.command, args.backend, args.mixtures, args.mode
    ('train', 'stft', 16, 'mlpg')
    >>> get_parser().parse_args(["roundtrip", "SM1", "--iters", "16", "100"]).iters
    [16, 100]
    """
    # -v/-q are accepted before and after the command; SUPPRESS keeps a command's
    # parser from resetting what was given before it.
    verbosity = argparse.ArgumentParser(add_help=False)
    group = verbosity.add_argument_group("output")
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log every step and show tracebacks on errors",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print only results and errors (no progress bars)",
    )

    parser = argparse.ArgumentParser(
        prog="gmmvc",
        description=textwrap.fill(
            "Joint-density GMM voice conversion (Toda, Black and Tokuda 2007): learn from "
            "two speakers reading the same sentences to make the first sound like the second.",
            78,
            break_on_hyphens=False,
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gmmvc {__version__}")
    # the same flags, with their own (not shared) actions and real defaults
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every step and show tracebacks"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only results and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def command(name: str, help: str, description: str, epilog: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help,
            description=textwrap.fill(description, 78, break_on_hyphens=False),
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[verbosity],
        )

    # -- train
    train = command(
        "train",
        "train a converter on parallel recordings and save it to a model file",
        "Train a joint-density GMM converter from SOURCE's voice to TARGET's. SOURCE and "
        "TARGET are two folders of audio files, paired by file name (100001.flac with "
        "100001.wav; unpaired names are listed and skipped), or two text lists of paths "
        "(one per line, relative to the list's folder), paired line by line.",
        "example:\n  gmmvc train vcc2016/SM1 vcc2016/TF1 --pattern '100*' -o sm1-tf1.npz -j -1",
    )
    train.add_argument("source", metavar="SOURCE", help="source speaker: folder or text list")
    train.add_argument("target", metavar="TARGET", help="target speaker: folder or text list")
    train.add_argument(
        "-o", "--output", metavar="MODEL", type=pathlib.Path, required=True, help="model file"
    )
    _add_pattern(train, "train on the files whose names match, e.g. '100*'")
    train.add_argument(
        "-m",
        "--mixtures",
        metavar="N",
        type=_positive_int,
        default=32,
        help="GMM mixture components (default: 32)",
    )
    train.add_argument(
        "--backend",
        choices=BACKENDS,
        default="world",
        help="WORLD vocoder features with F0 conversion, or the STFT route: mel features, "
        "Griffin-Lim resynthesis, F0 kept (default: world)",
    )
    _add_conversion_options(train, stored=True)
    train.add_argument(
        "--convert-aperiodicity",
        action="store_true",
        help="also train a GMM on aperiodicity and convert it by default (WORLD synthesis)",
    )
    train.add_argument(
        "--source-f0-shift",
        metavar="RATIO",
        type=_f0_shift,
        help="pitch-shift the source by RATIO (or 'auto': the speakers' typical-F0 ratio) "
        "before analysis, in training and in every conversion; meant for --synthesis "
        "differential across genders (default: no shift)",
    )
    train.add_argument(
        "--passes",
        metavar="N",
        type=_positive_int,
        default=3,
        help="alignment passes, each followed by EM (default: 3)",
    )
    train.add_argument(
        "--f0-method",
        choices=F0_METHODS,
        default="harvest",
        help="WORLD F0 estimator (default: harvest; dio is faster, less robust)",
    )
    train.add_argument(
        "--fs",
        metavar="HZ",
        type=_positive_int,
        default=16000,
        help="sample rate the audio is analysed at (default: 16000)",
    )
    train.add_argument(
        "--frame-period",
        metavar="MS",
        type=_positive_float,
        default=5.0,
        help="frame shift in milliseconds (default: 5)",
    )
    train.add_argument(
        "--max-iter",
        metavar="N",
        type=_positive_int,
        default=100,
        help="EM iterations per pass at most (default: 100)",
    )
    train.add_argument(
        "--reg-covar",
        metavar="X",
        type=_positive_float,
        default=None,
        help="added to every covariance's diagonal (default: 1e-3 for WORLD mel-cepstra, "
        "1e-4 for the STFT backend's features)",
    )
    train.add_argument(
        "--seed", metavar="N", type=int, default=0, help="EM initialisation seed (default: 0)"
    )
    _add_jobs(train, "analysis and alignment")
    train.add_argument(
        "--cache",
        metavar="DIR",
        type=pathlib.Path,
        help="cache analysed features in DIR (keyed by audio content and settings)",
    )
    train.add_argument("--overwrite", action="store_true", help="replace an existing model file")
    stft_options = train.add_argument_group("STFT backend (--backend stft)")
    stft_options.add_argument(
        "--features",
        choices=STFT_FEATURES,
        help="GMM features: the mel-cepstrum c1-c24 of the log-mel spectrogram, or the whole "
        "log-mel spectrogram (default: mfcc)",
    )
    _add_stft_options(stft_options, stored=True)
    train.set_defaults(func=_cmd_train)

    # -- convert
    convert = command(
        "convert",
        "convert audio files with a trained model",
        "Convert audio files (or every audio file in folders or text lists) with a trained "
        "model, writing OUTDIR/<name>.wav for each input. Existing files are never replaced "
        "unless --overwrite is given.",
        "example:\n  gmmvc convert sm1-tf1.npz vcc2016/SM1 --pattern '2000*' -o converted/",
    )
    convert.add_argument("model", metavar="MODEL", type=pathlib.Path, help="model file")
    convert.add_argument(
        "inputs", metavar="INPUT", nargs="+", help="audio files, folders or text lists"
    )
    convert.add_argument(
        "-o",
        "--output-dir",
        metavar="OUTDIR",
        type=pathlib.Path,
        required=True,
        help="folder for the converted wavs (created if missing)",
    )
    _add_pattern(convert, "in folders, convert the files whose names match, e.g. '2000*'")
    _add_conversion_options(convert)
    _add_stft_options(convert.add_argument_group("STFT-backend models"))
    _add_jobs(convert, "conversion")
    convert.add_argument("--overwrite", action="store_true", help="replace existing output files")
    convert.set_defaults(func=_cmd_convert)

    # -- evaluate
    evaluate = command(
        "evaluate",
        "score a model on held-out parallel recordings",
        "Convert held-out SOURCE recordings and compare them with TARGET's recordings of the "
        "same sentences: mel-cepstral distortion (dB), log-F0 RMSE (cents) and voicing error "
        "(%), before and after conversion, per file and on average. SOURCE and TARGET are "
        "paired as in 'gmmvc train'. The converted audio is re-analysed, so the figures are "
        "those of what a listener hears.",
        "example:\n  gmmvc evaluate sm1-tf1.npz vcc2016/SM1 vcc2016/TF1 --pattern '2000*'",
    )
    evaluate.add_argument("model", metavar="MODEL", type=pathlib.Path, help="model file")
    evaluate.add_argument("source", metavar="SOURCE", help="source speaker: folder or text list")
    evaluate.add_argument("target", metavar="TARGET", help="target speaker: folder or text list")
    _add_pattern(evaluate, "evaluate on the files whose names match, e.g. '2000*'")
    _add_conversion_options(evaluate)
    _add_stft_options(evaluate.add_argument_group("STFT-backend models"))
    _add_jobs(evaluate, "evaluation")
    evaluate.add_argument("--json", action="store_true", help="print the results as JSON")
    evaluate.set_defaults(func=_cmd_evaluate)

    # -- info
    info = command(
        "info",
        "describe a model file",
        "Print what a model file holds: analysis settings, F0 statistics, GMM size, the "
        "training data, default conversion settings, the gmmvc version that wrote it and when.",
        "example:\n  gmmvc info sm1-tf1.npz --json",
    )
    info.add_argument("model", metavar="MODEL", type=pathlib.Path, help="model file")
    info.add_argument("--json", action="store_true", help="print the description as JSON")
    info.set_defaults(func=_cmd_info)

    # -- roundtrip
    roundtrip = command(
        "roundtrip",
        "measure what the STFT and WORLD analysis/synthesis round trips do to real speech",
        "Take each recording through audio -> |STFT| -> Griffin-Lim, audio -> |STFT| -> "
        "log-mel -> NNLS -> Griffin-Lim and audio -> WORLD features -> WORLD, re-analyse "
        "each output and compare it with the original frame by frame: mel-cepstral "
        "distortion, log-spectral distance, F0 RMSE and median error, voicing error and "
        "spectral convergence, for each Griffin-Lim iteration count and momentum. Give one "
        "speaker's recordings: the F0 range and speech threshold are estimated from them.",
        "example:\n  gmmvc roundtrip vcc2016/SM1 --pattern '2000*' --iters 16 32 64 100",
    )
    roundtrip.add_argument(
        "inputs", metavar="AUDIO", nargs="+", help="audio files, folders or text lists"
    )
    _add_pattern(roundtrip, "in folders, measure the files whose names match, e.g. '2000*'")
    roundtrip.add_argument(
        "--iters",
        metavar="N",
        type=_positive_int,
        nargs="+",
        default=[16, 32, 64, 100],
        help="Griffin-Lim iteration counts (default: 16 32 64 100)",
    )
    roundtrip.add_argument(
        "--momenta",
        metavar="M",
        type=_momentum,
        nargs="+",
        default=[0.99],
        help="Griffin-Lim momenta in [0, 1]; 0 is the original algorithm (default: 0.99)",
    )
    roundtrip.add_argument(
        "--fs",
        metavar="HZ",
        type=_positive_int,
        default=16000,
        help="sample rate the audio is analysed at (default: 16000)",
    )
    roundtrip.add_argument(
        "--seed",
        metavar="N",
        type=int,
        default=0,
        help="seed of Griffin-Lim's random initial phase (default: 0)",
    )
    _add_jobs(roundtrip, "the files")
    roundtrip.add_argument("--json", action="store_true", help="print the results as JSON")
    roundtrip.set_defaults(func=_cmd_roundtrip)

    # -- demo
    demo = command(
        "demo",
        "train and convert on a generated parallel corpus (no data needed)",
        "Generate a parallel corpus of two synthetic voices reading the same phone "
        "sequences, train a converter on most of it, convert the held-out utterances, "
        "write source/converted/target wavs and print mel-cepstral distortion before "
        "and after conversion.",
        "example:\n  gmmvc demo -o gmmvc-demo",
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


def _add_pattern(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument(
        "--pattern",
        metavar="GLOB",
        help=f"{help} (shell pattern on file names in folders; quote it)",
    )


def _add_jobs(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "-j",
        "--jobs",
        metavar="N",
        type=_jobs,
        default=-1,
        help=f"parallel processes for {what} (default: -1, all cores; results do not depend on it)",
    )


def _add_stft_options(group: Any, *, stored: bool = False) -> None:
    """--phase-init and --gl-iters: STFT-backend defaults to store, or overrides."""
    suffix = (
        "; stored as the model's default (default: {})" if stored else " (default: the model's)"
    )
    group.add_argument(
        "--phase-init",
        choices=PHASE_INITS,
        help="Griffin-Lim's initial phase: the source recording's or random"
        + suffix.format("source"),
    )
    group.add_argument(
        "--gl-iters",
        metavar="N",
        type=_positive_int,
        help="Griffin-Lim iterations" + suffix.format("100"),
    )


def _add_conversion_options(parser: argparse.ArgumentParser, *, stored: bool = False) -> None:
    """--mode, --gv-weight, --ms-weight, --synthesis: defaults to store, or overrides."""

    def helptext(text: str, value: str) -> str:
        if stored:
            return f"{text}; stored as the model's default (default: {value})"
        return f"{text} (default: the model's)"

    parser.add_argument(
        "--mode",
        choices=CONVERSION_MODES,
        default="mlpg" if stored else None,
        help=helptext("spectral conversion mode", "mlpg"),
    )
    parser.add_argument(
        "--gv-weight",
        metavar="W",
        type=_weight,
        default=0.0 if stored else None,
        help=helptext("global-variance postfilter weight in [0, 1]", "0"),
    )
    parser.add_argument(
        "--ms-weight",
        metavar="W",
        type=_weight,
        default=0.0 if stored else None,
        help=helptext("modulation-spectrum postfilter weight in [0, 1]", "0"),
    )
    parser.add_argument(
        "--synthesis",
        choices=SYNTHESIS_METHODS,
        default="world" if stored else None,
        help=helptext(
            "WORLD resynthesis, or MLSA filtering of the source with the converted difference",
            "world",
        ),
    )


# ----------------------------------------------------------------------------- commands


def _cmd_train(args: argparse.Namespace) -> int:
    from .config import AnalysisConfig
    from .datasets import paired_files
    from .pipeline import VoiceConverter

    out: pathlib.Path = args.output
    if out.is_dir():
        raise GmmvcError(f"-o {out}: is a folder; expected a model file name such as model.npz")
    if out.exists() and not args.overwrite:
        raise GmmvcError(f"{out} already exists; pass --overwrite or choose another name")
    if not out.parent.is_dir():
        raise GmmvcError(f"-o {out}: folder {out.parent} does not exist; create it first")
    if args.backend == "stft":
        _check_stft_training_options(args)
        stft_config = _stft_config(args.fs, args.frame_period, args.gl_iters or 100)
    else:
        _refuse(args, ("features", "phase_init", "gl_iters"), "the STFT backend (--backend stft)")
    pairs = paired_files(args.source, args.target, pattern=args.pattern)
    logger.info("training on %d pairs from %s and %s", len(pairs), args.source, args.target)
    if args.backend == "stft":
        return _train_stft(args, stft_config, pairs, out)
    vc = VoiceConverter(
        n_components=args.mixtures,
        mode=args.mode,
        gv_weight=args.gv_weight,
        ms_weight=args.ms_weight,
        synthesis=args.synthesis,
        convert_aperiodicity=args.convert_aperiodicity,
        source_f0_shift=args.source_f0_shift,
        n_alignment_passes=args.passes,
        analysis=AnalysisConfig(
            fs=args.fs, frame_period=args.frame_period, f0_method=args.f0_method
        ),
        max_iter=args.max_iter,
        random_state=args.seed,
        n_jobs=args.jobs,
        progress=args.progress,
        cache_dir=args.cache,
        **_given(reg_covar=args.reg_covar),
    )
    t0 = time.perf_counter()
    vc.fit([s for s, _ in pairs], [t for _, t in pairs])
    elapsed = time.perf_counter() - t0
    vc.save(out, overwrite=args.overwrite)
    info = vc.model_.info
    print(
        f"trained on {len(pairs)} pairs ({info.get('source_seconds', 0.0):.0f} s of source "
        f"speech, {info['n_joint_frames']} joint frames, {args.mixtures} mixtures, "
        f"{args.passes} passes) in {_duration(elapsed)}"
    )
    print(f"model written to {out}")
    return 0


def _refuse(args: argparse.Namespace, names: Sequence[str], owner: str) -> None:
    """Refuse options given on the command line that only ``owner`` takes."""
    given = [n for n in names if getattr(args, n) is not None]
    if given:
        flag = "--" + given[0].replace("_", "-")
        raise GmmvcError(f"{flag} applies to {owner} only; drop it")


def _check_stft_training_options(args: argparse.Namespace) -> None:
    """Refuse the WORLD-only training options that differ from their defaults."""
    world_only = [
        (args.mode == "mlpg_gv", "--mode mlpg_gv", f"use one of {', '.join(STFT_MODES)}"),
        (args.gv_weight != 0.0, "--gv-weight", "the STFT backend has no GV postfilter"),
        (args.ms_weight != 0.0, "--ms-weight", "the STFT backend has no MS postfilter"),
        (args.synthesis != "world", "--synthesis", "the STFT backend uses Griffin-Lim"),
        (args.convert_aperiodicity, "--convert-aperiodicity", "the STFT backend has none"),
        (args.cache is not None, "--cache", "the STFT backend analyses without a cache"),
        (args.source_f0_shift is not None, "--source-f0-shift", "the STFT backend keeps F0"),
    ]
    for given, flag, why in world_only:
        if given:
            raise GmmvcError(f"{flag} applies to the WORLD backend only ({why}); drop it")


def _stft_config(fs: int, frame_period: float, n_iter: int) -> Any:
    """STFT settings framed as WORLD's at ``fs`` and ``frame_period`` (5 ms, 25 ms window)."""
    from .config import AnalysisConfig
    from .stft import StftConfig

    hop = fs * frame_period / 1000.0
    if not hop.is_integer():
        raise GmmvcError(
            f"--frame-period {frame_period:g}: the STFT backend needs a whole number of "
            f"samples per frame, and {frame_period:g} ms at {fs} Hz is {hop:g}; choose e.g. 5"
        )
    n_fft = int(AnalysisConfig(fs=fs).resolved().fft_size or 1024)
    win = min(n_fft, max(int(hop), round(0.025 * fs)))
    return StftConfig(fs=fs, n_fft=n_fft, hop_length=int(hop), win_length=win, n_iter=n_iter)


def _read_all(paths: Sequence[pathlib.Path], fs: int, args: argparse.Namespace) -> list[Any]:
    """Read audio files resampled to ``fs`` over ``--jobs`` workers."""
    from .pipeline import _map

    return _map(
        _read_one,
        [(p, fs) for p in paths],
        n_jobs=args.jobs,
        progress=args.progress,
        desc="reading",
    )


def _read_one(path: pathlib.Path, fs: int) -> Any:
    from .audio import read_audio

    return read_audio(path, fs=fs)[0]


def _train_stft(
    args: argparse.Namespace,
    cfg: Any,
    pairs: Sequence[tuple[pathlib.Path, pathlib.Path]],
    out: pathlib.Path,
) -> int:
    from .stft import estimate_speaker_analysis, fit_stft_converter, save_stft_converter

    t0 = time.perf_counter()
    source = _read_all([s for s, _ in pairs], cfg.fs, args)
    target = _read_all([t for _, t in pairs], cfg.fs, args)
    analyses = [
        estimate_speaker_analysis(wavs, config=cfg, f0_method=args.f0_method, n_jobs=args.jobs)
        for wavs in (source, target)
    ]
    conv = fit_stft_converter(
        source,
        target,
        config=cfg,
        features=args.features or "mfcc",
        n_components=args.mixtures,
        n_alignment_passes=args.passes,
        max_iter=args.max_iter,
        random_state=args.seed,
        **_given(reg_covar=args.reg_covar),
        source_analysis=analyses[0],
        target_analysis=analyses[1],
        n_jobs=args.jobs,
    )
    seconds = {
        "source_seconds": round(sum(x.shape[0] for x in source) / cfg.fs, 3),
        "target_seconds": round(sum(x.shape[0] for x in target) / cfg.fs, 3),
    }
    conv = dataclasses.replace(conv, info={**conv.info, **seconds})
    elapsed = time.perf_counter() - t0
    save_stft_converter(
        conv, out, mode=args.mode, phase_init=args.phase_init or "source", overwrite=args.overwrite
    )
    print(
        f"trained on {len(pairs)} pairs ({seconds['source_seconds']:.0f} s of source speech, "
        f"{conv.info['n_joint_frames']} joint frames, {args.mixtures} mixtures, "
        f"{args.passes} passes; STFT backend, {conv.features} features) in {_duration(elapsed)}"
    )
    print(f"model written to {out}")
    return 0


# ----------------------------------------------------------------------------- STFT models


@dataclasses.dataclass(frozen=True)
class _StftSettings:
    """How an STFT-backend model converts: the file's defaults with command-line overrides."""

    mode: str
    phase_init: str
    n_iter: int

    def describe(self, features: str) -> str:
        return (
            f"STFT backend ({features}), mode {self.mode}, Griffin-Lim {self.n_iter} iterations "
            f"from {'the source' if self.phase_init == 'source' else 'random'} phase, "
            "F0 not converted"
        )


def _model_backend(path: pathlib.Path) -> str:
    """'stft' or 'world': which backend wrote a model file (only its metadata is read)."""
    from .model import _STFT_FORMAT_NAME, _file_format

    return "stft" if _file_format(path) == _STFT_FORMAT_NAME else "world"


def _load_stft(args: argparse.Namespace) -> tuple[Any, _StftSettings]:
    """Return the STFT converter of ``args.model`` and the settings to run it with."""
    from .stft import read_stft_model_file

    _refuse(args, ("gv_weight", "ms_weight", "synthesis"), "WORLD-backend models")
    if args.mode is not None and args.mode not in STFT_MODES:
        raise GmmvcError(
            f"--mode {args.mode}: {args.model} is an STFT-backend model, which converts with "
            f"{', '.join(STFT_MODES)}"
        )
    saved = read_stft_model_file(args.model)
    settings = _StftSettings(
        mode=args.mode or saved.mode,
        phase_init=args.phase_init or saved.phase_init,
        n_iter=args.gl_iters or saved.converter.config.n_iter,
    )
    return saved.converter, settings


def _convert_one_stft(
    conv: Any, settings: _StftSettings, source: pathlib.Path, output: pathlib.Path, overwrite: bool
) -> str:
    """Convert one file with an STFT-backend converter (a joblib job)."""
    from .audio import read_audio, write_audio

    x, _ = read_audio(source, fs=conv.config.fs)
    try:
        y = conv.convert(
            x, mode=settings.mode, phase_init=settings.phase_init, n_iter=settings.n_iter
        )
    except GmmvcError as exc:  # e.g. a silent file: say which one
        raise type(exc)(f"{source}: {exc}") from exc
    return str(write_audio(output, y, conv.config.fs, overwrite=overwrite))


def _evaluate_one_stft(
    conv: Any, settings: _StftSettings, source: pathlib.Path, target: pathlib.Path
) -> Any:
    """Score one held-out pair with an STFT-backend converter (a joblib job)."""
    from .audio import read_audio
    from .stft import evaluate_stft_converter

    xs, _ = read_audio(source, fs=conv.config.fs)
    xt, _ = read_audio(target, fs=conv.config.fs)
    try:
        (ev,) = evaluate_stft_converter(
            conv,
            [xs],
            [xt],
            mode=settings.mode,
            phase_init=settings.phase_init,
            n_iter=settings.n_iter,
        )
    except GmmvcError as exc:
        raise type(exc)(f"{source} / {target}: {exc}") from exc
    return ev


def _cmd_convert(args: argparse.Namespace) -> int:
    from .datasets import audio_files
    from .pipeline import VoiceConverter, _map

    if _model_backend(args.model) == "stft":
        conv, stft_settings = _load_stft(args)
        description = stft_settings.describe(conv.features)
        job: Any = _convert_one_stft
        model_args: tuple[Any, ...] = (conv, stft_settings)
    else:
        _refuse(args, ("phase_init", "gl_iters"), "STFT-backend models")
        vc = VoiceConverter.load(args.model, **_conversion_overrides(args))
        description = _describe_settings(vc.settings)
        job, model_args = _convert_one, (vc,)
    inputs = audio_files(args.inputs, pattern=args.pattern)
    outdir: pathlib.Path = args.output_dir
    if outdir.exists() and not outdir.is_dir():
        raise GmmvcError(f"-o {outdir}: is a file; expected a folder for the converted wavs")
    outputs = [outdir / f"{p.stem}.wav" for p in inputs]
    by_output: dict[pathlib.Path, list[pathlib.Path]] = {}
    for src, dst in zip(inputs, outputs):
        by_output.setdefault(dst, []).append(src)
    clashes = [srcs for srcs in by_output.values() if len(srcs) > 1]
    if clashes:
        raise GmmvcError(
            f"{len(clashes)} output name(s) would be written twice, e.g. "
            f"{' and '.join(str(s) for s in clashes[0])} both -> "
            f"{outdir / (clashes[0][0].stem + '.wav')}; convert them in separate runs "
            "with different -o folders"
        )
    resolved_inputs = {p.resolve() for p in inputs}
    same = [dst for dst in outputs if dst.resolve() in resolved_inputs]
    if same:
        raise GmmvcError(
            f"output {same[0]} is one of the inputs; choose another -o folder (inputs are "
            "never overwritten)"
        )
    existing = [dst for dst in outputs if dst.exists()]
    if existing and not args.overwrite:
        raise GmmvcError(
            f"{existing[0]} already exists ({len(existing)} of the {len(outputs)} outputs do); "
            "pass --overwrite or choose another -o folder"
        )
    outdir.mkdir(parents=True, exist_ok=True)
    logger.info("converting %d files with %s (%s)", len(inputs), args.model, description)
    t0 = time.perf_counter()
    _map(
        job,
        [(*model_args, src, dst, args.overwrite) for src, dst in zip(inputs, outputs)],
        n_jobs=args.jobs,
        progress=args.progress,
        desc="converting",
    )
    print(
        f"converted {len(inputs)} file(s) into {outdir}/ in {_duration(time.perf_counter() - t0)}"
    )
    return 0


def _convert_one(vc: Any, source: pathlib.Path, output: pathlib.Path, overwrite: bool) -> str:
    """Convert one file (a joblib job)."""
    return str(vc.convert_file(source, output, overwrite=overwrite))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .datasets import paired_files
    from .pipeline import VoiceConverter, _map

    settings: dict[str, Any]
    if _model_backend(args.model) == "stft":
        conv, stft_settings = _load_stft(args)
        if conv.source_analysis is None or conv.target_analysis is None:
            raise GmmvcError(
                f"{args.model}: holds no speaker settings to score with (trained in Python "
                "without source_analysis and target_analysis); train it with 'gmmvc train "
                "--backend stft' or pass them to fit_stft_converter"
            )
        pairs = paired_files(args.source, args.target, pattern=args.pattern)
        description = stft_settings.describe(conv.features)
        logger.info("evaluating on %d pairs (%s)", len(pairs), description)
        scores = _map(
            _evaluate_one_stft,
            [(conv, stft_settings, s, t) for s, t in pairs],
            n_jobs=args.jobs,
            progress=args.progress,
            desc="evaluating",
        )
        settings = {"backend": "stft", **dataclasses.asdict(stft_settings)}
    else:
        _refuse(args, ("phase_init", "gl_iters"), "STFT-backend models")
        vc = VoiceConverter.load(
            args.model, n_jobs=args.jobs, progress=args.progress, **_conversion_overrides(args)
        )
        pairs = paired_files(args.source, args.target, pattern=args.pattern)
        description = _describe_settings(vc.settings)
        logger.info("evaluating on %d pairs (%s)", len(pairs), description)
        scores = vc.evaluate([s for s, _ in pairs], [t for _, t in pairs])
        settings = dataclasses.asdict(vc.settings)
    keys = ("mcd_db", "f0_rmse_cents", "vuv_error")
    rows: list[dict[str, Any]] = [
        {
            "source": str(s),
            "target": str(t),
            "n_frames": ev.after.n_frames,
            "before": {k: _finite(getattr(ev.before, k)) for k in keys},
            "after": {k: _finite(getattr(ev.after, k)) for k in keys},
        }
        for (s, t), ev in zip(pairs, scores)
    ]
    mean: dict[str, dict[str, float | None]] = {
        when: {k: _finite(_nanmean([getattr(getattr(ev, when), k) for ev in scores])) for k in keys}
        for when in ("before", "after")
    }
    if args.json:
        report = {
            "model": str(args.model),
            "settings": settings,
            "n_pairs": len(rows),
            "pairs": rows,
            "mean": mean,
        }
        print(json.dumps(report, indent=2))
        return 0
    width = max(12, *(len(pathlib.Path(r["source"]).stem) + 2 for r in rows))
    print(f"{len(rows)} pairs; {description}")
    print("MCD: mel-cepstral distortion (dB); F0: log-F0 RMSE (cents); V/UV: voicing error (%)")
    print(
        f"{'':<{width}}{'MCD':^16}{'F0':^16}{'V/UV':^14}\n"
        f"{'file':<{width}}{'before':>9}{'after':>7}{'before':>9}{'after':>7}"
        f"{'before':>8}{'after':>6}"
    )
    for r in rows + [{"source": "mean", **mean}]:
        name = pathlib.Path(r["source"]).stem if r["source"] != "mean" else "mean"
        b, a = r["before"], r["after"]
        print(
            f"{name:<{width}}{_fmt(b['mcd_db'], 9, 2)}{_fmt(a['mcd_db'], 7, 2)}"
            f"{_fmt(b['f0_rmse_cents'], 9, 0)}{_fmt(a['f0_rmse_cents'], 7, 0)}"
            f"{_fmt(_percent(b['vuv_error']), 8, 1)}{_fmt(_percent(a['vuv_error']), 6, 1)}"
        )
    return 0


def _describe_settings(settings: Any) -> str:
    """One line describing conversion settings, e.g. 'mode mlpg, GV weight 0, ...'."""
    parts = [f"mode {settings.mode}", f"GV weight {settings.gv_weight:g}"]
    if settings.ms_weight:
        parts.append(f"MS weight {settings.ms_weight:g}")
    parts.append(f"{settings.synthesis} synthesis")
    if settings.convert_aperiodicity:
        parts.append("aperiodicity converted")
    return ", ".join(parts)


def _cmd_info(args: argparse.Namespace) -> int:
    from .model import read_model_file

    if _model_backend(args.model) == "stft":
        return _info_stft(args)
    saved = read_model_file(args.model)
    model = saved.model
    gmm = model.gmm
    size = args.model.stat().st_size
    description = {
        "file": str(args.model),
        "file_bytes": size,
        "format_version": saved.format_version,
        "gmmvc_version": saved.gmmvc_version,
        "created": saved.created,
        "conversion": dataclasses.asdict(saved.settings),
        "aperiodicity_gmm": model.ap_gmm is not None,
        "modulation_spectrum": model.converted_ms is not None and model.target_ms is not None,
        "source_f0_shift": model.source_f0_shift,
        "gmm": {
            "n_components": int(gmm.n_components),
            "n_source_dims": int(gmm.n_source_dims_),
            "n_joint_dims": int(gmm.means_.shape[1]),
            "em_converged": bool(gmm.converged_),
            "em_iterations": int(gmm.n_iter_),
        },
        "windows": [list(w) for w in model.windows],
        "source": {
            "analysis": model.source_config.to_dict(),
            "log_f0_mean": model.source_f0.mean,
            "log_f0_std": model.source_f0.std,
        },
        "target": {
            "analysis": model.target_config.to_dict(),
            "log_f0_mean": model.target_f0.mean,
            "log_f0_std": model.target_f0.std,
        },
        "training": model.info,
    }
    if args.json:
        print(json.dumps(description, indent=2, default=str))
        return 0
    src, tgt = model.source_config, model.target_config
    info = model.info
    lines = [
        f"{args.model}: gmmvc model ({size / 1e6:.1f} MB), format version "
        f"{saved.format_version}, written by gmmvc {saved.gmmvc_version} on {saved.created}",
        f"  conversion   {_describe_settings(saved.settings)} (defaults)",
        f"  GMM          {gmm.n_components} mixtures, full covariance, "
        f"{gmm.means_.shape[1]} joint dims ({gmm.n_source_dims_} source: mel-cepstrum "
        f"c1-c{src.order} with {len(model.windows)} windows)",
        f"  analysis     {src.fs} Hz, {src.frame_period:g} ms frames, {src.f0_method}, "
        f"order {src.order}, alpha {src.alpha}, FFT {src.fft_size}",
    ]
    for who, cfg, stats in (
        ("source", src, model.source_f0),
        ("target", tgt, model.target_f0),
    ):
        lines.append(
            f"  {who:<12} F0 search {cfg.f0_floor:.0f}-{cfg.f0_ceil:.0f} Hz, mean F0 "
            f"{math.exp(stats.mean):.0f} Hz (log-F0 sd {stats.std:.3f}), speech above "
            f"{cfg.power_threshold_db:.1f} dB"
        )
    data = [f"{info['n_utterances']} utterance pairs"] if "n_utterances" in info else []
    if "source_seconds" in info:
        data.append(
            f"{info['source_seconds'] / 60:.1f} min source / "
            f"{info.get('target_seconds', 0.0) / 60:.1f} min target audio"
        )
    if "n_joint_frames" in info:
        data.append(f"{info['n_joint_frames']} joint frames")
    fitting = []
    if "n_alignment_passes" in info:
        fitting.append(f"{info['n_alignment_passes']} alignment passes")
    if "em_converged" in info:
        converged = "converged" if info["em_converged"] else "did not converge"
        fitting.append(f"last EM {converged} in {info.get('em_iterations', '?')} iterations")
    extras = []
    if model.ap_gmm is not None:
        extras.append(f"aperiodicity GMM ({model.ap_gmm.n_components} mixtures)")
    if model.converted_ms is not None and model.target_ms is not None:
        extras.append("modulation-spectrum statistics")
    if model.source_f0_shift != 1.0:
        extras.append(f"source pitch-shifted by x{model.source_f0_shift:.3f} before analysis")
    for label, parts in (("training", data), ("", fitting), ("also", extras)):
        if parts:
            lines.append(f"  {label:<12} {', '.join(parts)}")
    print("\n".join(lines))
    return 0


def _info_stft(args: argparse.Namespace) -> int:
    from .stft import read_stft_model_file

    saved = read_stft_model_file(args.model)
    conv = saved.converter
    cfg, gmm, info = conv.config, conv.gmm, conv.info
    size = args.model.stat().st_size
    settings = _StftSettings(saved.mode, saved.phase_init, cfg.n_iter)
    scoring = {
        who: None if ana is None else ana.to_dict()
        for who, ana in (("source", conv.source_analysis), ("target", conv.target_analysis))
    }
    if args.json:
        description = {
            "file": str(args.model),
            "file_bytes": size,
            "backend": "stft",
            "format_version": saved.format_version,
            "gmmvc_version": saved.gmmvc_version,
            "created": saved.created,
            "conversion": {"mode": saved.mode, "phase_init": saved.phase_init},
            "features": conv.features,
            "stft": cfg.to_dict(),
            "gmm": {
                "n_components": int(gmm.n_components),
                "n_source_dims": int(gmm.n_source_dims_),
                "n_joint_dims": int(gmm.means_.shape[1]),
                "em_converged": bool(gmm.converged_),
                "em_iterations": int(gmm.n_iter_),
            },
            "windows": [list(w) for w in conv.windows],
            "speech_threshold_db": {
                "source": conv.source_threshold_db,
                "target": conv.target_threshold_db,
            },
            "scoring_analysis": scoring,
            "training": info,
        }
        print(json.dumps(description, indent=2, default=str))
        return 0
    if conv.features == "mfcc":
        feats = f"mel-cepstrum c1-c{cfg.order} of {cfg.n_mels} mel bands"
    else:
        feats = f"log-mel spectrogram of {cfg.n_mels} bands"
    fmax = cfg.fs / 2 if cfg.fmax is None else cfg.fmax
    lines = [
        f"{args.model}: gmmvc STFT-backend model ({size / 1e6:.1f} MB), format version "
        f"{saved.format_version}, written by gmmvc {saved.gmmvc_version} on {saved.created}",
        f"  conversion   {settings.describe(conv.features)} (defaults)",
        f"  GMM          {gmm.n_components} mixtures, full covariance, {gmm.means_.shape[1]} "
        f"joint dims ({gmm.n_source_dims_} source: {feats} with {len(conv.windows)} windows)",
        f"  analysis     {cfg.fs} Hz, hop {cfg.hop_length} ({cfg.frame_period:g} ms), "
        f"{cfg.window} window {cfg.win_length}, FFT {cfg.n_fft}, mel {cfg.fmin:g}-{fmax:g} Hz, "
        f"normalization {cfg.normalization}, pre-emphasis "
        f"{f'{cfg.preemphasis:g}' if cfg.preemphasis else 'off'}",
        f"  speech       STFT frame power above {conv.source_threshold_db:.1f} dB (source), "
        f"{conv.target_threshold_db:.1f} dB (target)",
    ]
    for who, ana in (("source", conv.source_analysis), ("target", conv.target_analysis)):
        if ana is not None:
            label = "scoring" if who == "source" else ""
            lines.append(
                f"  {label:<12} {who}: WORLD {ana.f0_method}, F0 search {ana.f0_floor:.0f}-"
                f"{ana.f0_ceil:.0f} Hz, speech above {ana.power_threshold_db:.1f} dB"
            )
    data = [f"{info['n_utterances']} utterance pairs"] if "n_utterances" in info else []
    if "source_seconds" in info:
        data.append(
            f"{info['source_seconds'] / 60:.1f} min source / "
            f"{info.get('target_seconds', 0.0) / 60:.1f} min target audio"
        )
    if "n_joint_frames" in info:
        data.append(f"{info['n_joint_frames']} joint frames")
    fitting = []
    if "n_alignment_passes" in info:
        fitting.append(f"{info['n_alignment_passes']} alignment passes")
    if "em_converged" in info:
        converged = "converged" if info["em_converged"] else "did not converge"
        fitting.append(f"last EM {converged} in {info.get('em_iterations', '?')} iterations")
    for label, parts in (("training", data), ("", fitting)):
        if parts:
            lines.append(f"  {label:<12} {', '.join(parts)}")
    print("\n".join(lines))
    return 0


def _cmd_roundtrip(args: argparse.Namespace) -> int:
    from .datasets import audio_files
    from .stft import ResynthesisScore, roundtrip_table

    paths = audio_files(args.inputs, pattern=args.pattern)
    cfg = _stft_config(args.fs, 5.0, 100)
    waves = _read_all(paths, cfg.fs, args)
    logger.info("measuring round trips of %d files", len(paths))
    t0 = time.perf_counter()
    rows = roundtrip_table(
        waves,
        config=cfg,
        n_iters=args.iters,
        momenta=args.momenta,
        random_state=args.seed,
        n_jobs=args.jobs,
    )
    elapsed = time.perf_counter() - t0
    names = {
        "linear": "audio -> linear -> audio",
        "mel": "audio -> mel -> linear -> audio",
        "world": "audio -> WORLD -> audio",
    }
    keys = [f.name for f in dataclasses.fields(ResynthesisScore)]
    if args.json:
        report = {
            "files": [str(p) for p in paths],
            "stft": cfg.to_dict(),
            "seed": args.seed,
            "rows": [
                {
                    "route": row.route,
                    "n_iter": row.n_iter,
                    "momentum": row.momentum,
                    "mean": {k: _finite(getattr(row.mean(), k)) for k in keys},
                    "files": [{k: _finite(getattr(sc, k)) for k in keys} for sc in row.scores],
                }
                for row in rows
            ],
        }
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"{len(paths)} file(s) at {cfg.fs} Hz; STFT FFT {cfg.n_fft}, hop {cfg.hop_length} "
        f"({cfg.frame_period:g} ms), {cfg.window} window {cfg.win_length}, {cfg.n_mels} mel "
        f"bands; Griffin-Lim from random phase (seed {args.seed}); means over files"
    )
    print(
        "MCD: mel-cepstral distortion (dB); LSD: log-spectral distance (dB); F0: log-F0 RMSE "
        "and median |error| (cents); V/UV: voicing error (%); SC: spectral convergence"
    )
    width = max(len(n) for n in names.values()) + 2
    print(
        f"{'route':<{width}}{'GL iter':>8}{'momentum':>10}{'MCD':>7}{'LSD':>7}"
        f"{'F0 RMSE':>9}{'F0 median':>11}{'V/UV':>7}{'SC':>7}"
    )
    for row in rows:
        m = row.mean()
        print(
            f"{names[row.route]:<{width}}{row.n_iter or '-':>8}"
            f"{'-' if row.momentum is None else f'{row.momentum:g}':>10}"
            f"{_fmt(_finite(m.mcd_db), 7, 2)}{_fmt(_finite(m.lsd_db), 7, 2)}"
            f"{_fmt(_finite(m.f0_rmse_cents), 9, 1)}{_fmt(_finite(m.f0_median_cents), 11, 1)}"
            f"{_fmt(_percent(_finite(m.vuv_error)), 7, 2)}"
            f"{_fmt(_finite(m.spectral_convergence), 7, 3)}"
        )
    logger.info("measured in %s", _duration(elapsed))
    return 0


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
        progress=args.progress,
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


# ----------------------------------------------------------------------------- helpers


def _given(**options: Any) -> dict[str, Any]:
    """Keep the options given on the command line (not None); defaults stand otherwise."""
    return {k: v for k, v in options.items() if v is not None}


def _conversion_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Conversion settings given on the command line (the model's defaults otherwise)."""
    names = ("mode", "gv_weight", "ms_weight", "synthesis")
    return _given(**{k: getattr(args, k) for k in names})


def _finite(value: float) -> float | None:
    """``value``, or None for NaN (no frame voiced in both, ...), for JSON."""
    return float(value) if math.isfinite(value) else None


def _nanmean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def _percent(value: float | None) -> float | None:
    return None if value is None else 100.0 * value


def _fmt(value: float | None, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s"


@contextlib.contextmanager
def _logging_to_stderr(verbose: bool, quiet: bool) -> Iterator[None]:
    """Send the library's log to stderr while a command runs, then restore the logger."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s")
    )
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved


@contextlib.contextmanager
def _console(progress: bool) -> Iterator[None]:
    """Route warnings to the log, and log lines around the progress bars when shown."""
    with warnings.catch_warnings():

        def show(message: Any, category: Any, *rest: Any, **kwargs: Any) -> None:
            logger.warning("warning: %s", message)

        warnings.showwarning = show
        if progress:
            from tqdm.contrib.logging import logging_redirect_tqdm

            with logging_redirect_tqdm(loggers=[logger]):
                yield
        else:
            yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gmmvc`` command; return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``gmmvc`` (``sys.argv[1:]`` when ``None``).

    Returns
    -------
    int
        0 on success, 1 on a failure (one line on stderr), 2 on a usage error.

    Examples
    --------
    Results go to stdout, errors to stderr as one line (not shown here):

    >>> import io
    >>> import tempfile
    >>> from gmmvc.gmm import JointGMM
    >>> from gmmvc.stft import StftConfig, StftConverter
    >>> cov = np.block([[np.eye(4), np.eye(4)], [np.eye(4), 1.01 * np.eye(4)]])
    >>> gmm = JointGMM.from_parameters([1.0], np.zeros((1, 8)), cov[None], n_source_dims=4)
    >>> conv = StftConverter(StftConfig(order=2), "mfcc", gmm, -60.0, -60.0)
    >>> out = io.StringIO()
    >>> with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(out):
    ...     status = main(["info", str(conv.save(pathlib.Path(d) / "stft.npz", mode="mmse"))])
    >>> for line in out.getvalue().splitlines()[1:3]:
    ...     print(line.strip()[:78])
    conversion   STFT backend (mfcc), mode mmse, Griffin-Lim 100 iterations from t
    GMM          1 mixtures, full covariance, 8 joint dims (4 source: mel-cepstrum
    >>> status
    0
    >>> main(["info", "no-such-model.npz"])
    1
    >>> main(["train"])  # a usage error
    2
    """
    parser = get_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    args.progress = not args.quiet and sys.stderr.isatty()
    with _logging_to_stderr(args.verbose, args.quiet):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Run the chosen command, turning failures into one line on stderr and status 1."""
    try:
        with _console(args.progress):
            return int(args.func(args))
    except GmmvcError as exc:
        if args.verbose:
            logger.exception("failed")
        print(f"gmmvc {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file system failure outside the library's own checks
        if args.verbose:
            logger.exception("failed")
        print(f"gmmvc {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"gmmvc {args.command}: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line, unless --verbose
        if args.verbose:
            logger.exception("internal error")
        print(
            f"gmmvc {args.command}: internal error: {type(exc).__name__}: {exc} (run with "
            "--verbose for the traceback and please report it)",
            file=sys.stderr,
        )
        return 1
