"""``twitchwatch bench NAME [ARGS...]``: run one of the benchmarks in ``twitchwatch.bench``.

Every module of the ``bench`` package that defines ``main(argv)`` is a benchmark (accuracy,
speed, io_speed, ...); the remaining arguments are passed to it untouched, so
``twitchwatch bench speed --hours 2`` is ``python -m twitchwatch.bench.speed --hours 2``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
from pathlib import Path

from ..errors import ConfigError

_MAIN_RE = re.compile(r"^def main\(", re.MULTILINE)


def available() -> list[str]:
    """Names of the bench modules that define ``main``, found without importing them (so that
    ``twitchwatch --help`` does not pay for scipy and friends)."""
    bench_dir = Path(__file__).resolve().parents[1] / "bench"
    names = []
    for info in pkgutil.iter_modules([str(bench_dir)]):
        if info.ispkg or info.name.startswith("_"):
            continue
        try:
            text = (bench_dir / f"{info.name}.py").read_text(encoding="utf-8")
        except OSError:
            continue
        if _MAIN_RE.search(text):
            names.append(info.name)
    return sorted(names)


def register(sub: argparse._SubParsersAction) -> None:
    names = available()
    p = sub.add_parser("bench", help="run a benchmark (accuracy, speed, ...)",
                       description="Run a benchmark from twitchwatch.bench. Available: "
                                   f"{', '.join(names) or '(none)'}. Arguments after NAME go to the "
                                   "benchmark; try 'twitchwatch bench NAME --help'.")
    p.add_argument("name", metavar="NAME", help=f"one of: {', '.join(names)}")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the benchmark")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = available()
    if args.name not in names:
        raise ConfigError(f"no benchmark called {args.name!r}; choose one of: {', '.join(names)}")
    module = importlib.import_module(f"twitchwatch.bench.{args.name}")
    main = getattr(module, "main", None)
    if not callable(main):
        raise ConfigError(f"benchmark {args.name!r} has no main(); choose one of: {', '.join(names)}")
    try:
        status = main(list(args.args))
        return status if isinstance(status, int) else 0
    except SystemExit as stop:       # a benchmark's own argparse (--help, bad option) exits
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 1)
