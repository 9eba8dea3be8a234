"""`python -m stacks preview <stack>|--all [--json FILE]`, `python -m stacks diagram <stack>|--all
[--readme README.md]` and `python -m stacks bench`."""

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
    dg = sub.add_parser("diagram", help="Mermaid architecture diagram of a stack, drawn from its offline plan")
    dg.add_argument("stack", nargs="?", help=f"one of: {', '.join(stack_names())}")
    dg.add_argument("--all", action="store_true", help="every stack")
    dg.add_argument("--readme", type=Path, metavar="FILE", help="rewrite the stacks' diagram blocks in FILE")
    cp = sub.add_parser("compose", help="write docker-compose.yml and .env.example from the local stack's config")
    cp.add_argument("--check", action="store_true", help="only compare; exit 1 when a file differs")
    bench = sub.add_parser("bench", help="time the program per stack and per tenant count")
    bench.add_argument("--tenants", type=int, nargs="*", default=[10, 100, 1000])
    bench.add_argument("--no-profile", action="store_true", help="skip the profiled run (own/sdk shares)")
    args = parser.parse_args(argv)
    if args.command == "bench":
        from stacks.bench.run import run_bench

        return run_bench(args.tenants, profile=not args.no_profile)
    if args.command == "compose":
        return _compose(args.check)
    if args.command == "diagram":
        return _diagram(parser, args)
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


def _compose(check: bool) -> int:
    from stacks.harness.run import ROOT
    from stacks.local_compose import generated_files, local_config

    stale = []
    for rel, content in generated_files(local_config()).items():
        path = ROOT / rel
        if path.exists() and path.read_text() == content:
            continue
        if check:
            stale.append(rel)
        else:
            path.write_text(content)
            print(f"wrote {rel}")
    for rel in stale:
        print(f"{rel} differs from the local stack's config: run `python -m stacks compose`")
    return 1 if stale else 0


def _diagram(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from stacks.harness import run_stack
    from stacks.reports.diagram import block, mermaid, update_readme

    if args.all == bool(args.stack):
        parser.error("give one stack name or --all")
    if args.stack and args.stack not in stack_names():
        parser.error(f"unknown stack '{args.stack}'; known stacks: {', '.join(stack_names())}")
    names = stack_names() if args.all else [args.stack]
    diagrams = {name: mermaid(run_stack(name)) for name in names}
    if args.readme is None:
        for name, source in diagrams.items():
            print(block(name, source))
        return 0
    missing = update_readme(args.readme, diagrams)
    for name in missing:
        print(f"{args.readme}: no diagram block for stack {name}; add the two marker lines where it belongs")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
