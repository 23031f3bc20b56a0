"""``python -m refspec diffcheck``: a seeded campaign over the op table, or a check of a user's graph.

``target`` (``path.py:builder``) names a function in a file that returns a compiled refspec
``Function`` or ``(inputs, outputs)``; without it, ``--examples`` generated programs are run. The
report is printed (with the repro of the first mismatch), ``--json`` writes it, and the exit status
is 1 on any mismatch, unsound rewrite or (with ``--grad``) wrong gradient.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path

from refspec.ast import Op
from refspec.diffcheck.campaign import GRAD_LIMIT, Built, run_campaign


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--examples", type=int, default=200, help="programs (or input draws) to run (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    parser.add_argument("--ops", default="", help="comma-separated op names to focus on (e.g. exp,log)")
    parser.add_argument("--paths", default="FAST_RUN", help="comma-separated modes to compare (default FAST_RUN)")
    parser.add_argument("--json", dest="json_path", default=None, help="write the JSON report here")
    parser.add_argument("--time-limit", type=float, default=None, help="stop drawing after this many seconds")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--grad", action="store_true", help="also check gradients (verify_grad, kinks skipped)")
    parser.add_argument("--grad-limit", type=int, default=GRAD_LIMIT,
                        help=f"check the gradients of at most this many programs (default {GRAD_LIMIT})")
    parser.add_argument("--max-mismatches", type=int, default=None,
                        help="stop drawing after this many mismatches (default: run every program)")
    parser.add_argument("--no-rewrites", action="store_true",
                        help="skip comparing each rewritten graph with the original on the reference")
    parser.add_argument("target", nargs="?", default=None, help="path.py:builder, a user's graph to check")


def parse_ops(text: str) -> list[Op] | None:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        return None
    by_name = {op.value: op for op in Op} | {op.name.lower(): op for op in Op}
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        raise SystemExit(f"diffcheck: unknown ops: {', '.join(unknown)}")
    return [by_name[n.lower()] for n in names]


def load_builder(target: str) -> Callable[[], Built]:
    """The function ``name`` of the file ``path`` in ``path.py:name``."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise SystemExit(f"diffcheck: target must be path.py:builder, not {target!r}")
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"diffcheck: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    builder = getattr(module, name, None)
    if not callable(builder):
        raise SystemExit(f"diffcheck: {path} has no function {name}")
    return builder  # type: ignore[no-any-return]  # the user's function, trusted to return Built


def main(args: argparse.Namespace) -> int:
    builder = load_builder(args.target) if args.target else None
    paths = tuple(p.strip() for p in args.paths.split(",") if p.strip())
    report = run_campaign(args.examples, seed=args.seed, ops=parse_ops(args.ops), paths=paths,
                          progress=not args.no_progress and sys.stderr.isatty(), builder=builder,
                          time_limit=args.time_limit, grad=args.grad, rewrites=not args.no_rewrites,
                          grad_limit=args.grad_limit, max_mismatches=args.max_mismatches)
    print(report)
    if args.json_path:
        with open(args.json_path, "w") as out:
            json.dump(report.to_json(), out, indent=1)
    return 0 if report.ok else 1


def run(argv: list[str]) -> int:
    """``main`` on ``diffcheck``'s own arguments (for tests: no ``python -m refspec`` parser)."""
    parser = argparse.ArgumentParser(prog="python -m refspec diffcheck", description=__doc__)
    add_arguments(parser)
    return main(parser.parse_args(argv))
