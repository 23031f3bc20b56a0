"""``python -m refspec <command>``: ``demo`` runs the main job."""

from __future__ import annotations

import argparse
import sys

from refspec import demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m refspec", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo_parser = sub.add_parser("demo", help="train the seed notes' logistic regression")
    demo_parser.add_argument("--steps", type=int, default=10000, help="training steps (default 10000)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo.main(args.steps)
    return 2


if __name__ == "__main__":
    sys.exit(main())
