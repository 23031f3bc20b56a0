"""``python -m refspec <command>``: ``demo`` runs the main job, ``bench`` the benchmark table,
``diffcheck`` a differential campaign (fast paths vs the reference)."""

from __future__ import annotations

import argparse
import sys

from refspec import demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m refspec", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo_parser = sub.add_parser("demo", help="train the seed notes' logistic regression")
    demo_parser.add_argument("--steps", type=int, default=10000, help="training steps (default 10000)")
    bench_parser = sub.add_parser("bench", help="time refspec fast/reference beside numpy, PyTensor, JAX")
    from refspec.bench.runner import add_arguments

    add_arguments(bench_parser)
    from refspec.diffcheck.cli import add_arguments as add_diffcheck_arguments

    add_diffcheck_arguments(sub.add_parser("diffcheck", help="fast paths vs the reference on generated graphs"))
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo.main(args.steps)
    if args.command == "bench":
        from refspec.bench.runner import main as bench_main

        return bench_main(args, argv)
    if args.command == "diffcheck":
        from refspec.diffcheck.cli import main as diffcheck_main

        return diffcheck_main(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
