"""`python -m stacks preview <stack>|--all [--json FILE]` and `python -m stacks bench`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stacks.harness import stack_names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    pv = sub.add_parser("preview", help="offline preview of a stack (no cloud, no Pulumi CLI)")
    pv.add_argument("stack", nargs="?", help=f"one of: {', '.join(stack_names())}")
    pv.add_argument("--all", action="store_true", help="preview every stack")
    pv.add_argument("--json", type=Path, metavar="FILE",
                    help="write the full plan as JSON (with --all: FILE is a directory)")
    bench = sub.add_parser("bench", help="time the program per stack and per tenant count")
    bench.add_argument("--tenants", type=int, nargs="*", default=[10, 100, 1000])
    bench.add_argument("--no-profile", action="store_true", help="skip the profiled run (own/sdk shares)")
    args = parser.parse_args(argv)
    if args.command == "bench":
        from stacks.bench.run import run_bench

        return run_bench(args.tenants, profile=not args.no_profile)
    from stacks.preview import preview

    if args.all == bool(args.stack):
        parser.error("give one stack name or --all")
    stacks = stack_names() if args.all else [args.stack]
    if args.stack and args.stack not in stack_names():
        parser.error(f"unknown stack '{args.stack}'; known stacks: {', '.join(stack_names())}")
    status = 0
    for name in stacks:
        target = None
        if args.json is not None:
            if args.all:
                args.json.mkdir(parents=True, exist_ok=True)
                target = args.json / f"plan-{name}.json"
            else:
                target = args.json
        status = max(status, preview(name, target))
    return status


if __name__ == "__main__":
    sys.exit(main())
