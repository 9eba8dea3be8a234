"""`python -m stacks preview <stack>|--all [--json DIR|FILE|-] [--verbose]`, `python -m stacks diagram
<stack>|--all [--readme README.md]`, `python -m stacks compose [--check]` and `python -m stacks bench`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from stacks.harness import stack_names

PREVIEW_HELP = """\
Run a stack's real program offline (no cloud, no Pulumi CLI) and print its plan, the policy
pack's verdict, the monthly cost estimate and the DR report, ending with one status line.
Exit status: 0 clean, 1 refused config / failed program / mandatory policy violation /
incomplete estimate, 2 bad usage.

examples:
  ./tasks preview prod
  ./tasks preview --all --json plans/        # plans/plan-<stack>.json, folder created if missing
  ./tasks preview dev --json dev-plan.json   # one file (its folder must exist)
  ./tasks preview prod --json - | jq .reports.cost.monthly_total   # JSON on stdout, text on stderr
"""
BENCH_HELP = """\
Time the program per stack and per synthetic tenant count against two floors (see README,
Benchmark); each case runs in its own process.

example:
  ./tasks bench --tenants 10 100
"""


class UsageError(Exception):
    """Bad command-line usage found before anything runs (exit 2)."""


def json_targets(raw: str | None, stacks: list[str], many: bool) -> tuple[str, dict[str, Path]]:
    """("none" | "stdout" | "dir" | "file", stack -> file) for `--json`, checked before the run.

    A folder (an existing one, one written with a trailing slash, or any path with --all) gets
    `plan-<stack>.json` per stack and is created if missing; otherwise the path is one file whose
    folder must exist. `-` is stdout. Relative paths are the caller's (./tasks keeps its caller's
    working directory for the preview).
    """
    if raw is None:
        return "none", {}
    if raw == "-":
        return "stdout", {}
    path = Path(raw)
    if path.is_dir() or raw.endswith(("/", "\\")) or many:
        if path.exists() and not path.is_dir():
            raise UsageError(f"--json {raw}: with --all this must be a folder (one plan-<stack>.json per stack), "
                             "but it is a file; pass a folder such as plans/")
        return "dir", {s: path / f"plan-{s}.json" for s in stacks}
    if not path.parent.is_dir():
        raise UsageError(f"--json {raw}: the folder {path.parent} does not exist; create it, or end the path "
                         f"with / to write plan-<stack>.json into a new folder ({raw}/)")
    return "file", {stacks[0]: path}


def _chosen_stacks(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """`<stack>` or `--all`, exactly one of them; an unknown name is a usage error (exit 2)."""
    if args.all == bool(args.stack):
        parser.error("give one stack name or --all")
    if args.stack and args.stack not in stack_names():
        parser.error(f"unknown stack '{args.stack}'; known stacks: {', '.join(stack_names())}")
    return stack_names() if args.all else [args.stack]


def _preview(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from stacks.preview import StackResult, all_table, dump, run_preview

    stacks = _chosen_stacks(parser, args)
    try:
        mode, targets = json_targets(args.json, stacks, args.all)
    except UsageError as exc:
        parser.error(str(exc))
    # With `--json -` stdout carries only JSON; everything else goes to stderr.
    echo: Callable[[str], None] = (lambda line: print(line, file=sys.stderr)) if mode == "stdout" else print
    results: list[StackResult] = []
    to_stdout: dict[str, object] = {}
    for name in stacks:
        result = run_preview(name, echo, verbose=args.verbose)
        results.append(result)
        if result.data is not None and name in targets:
            target = targets[name]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dump(result.data))
            echo(f"  plan written to {target}")
        elif result.data is not None and mode == "stdout":
            to_stdout[name] = result.data
        echo(result.status_line())
    if args.all:
        echo("")
        for line in all_table(results):
            echo(line)
    if mode == "stdout":
        sys.stdout.write(dump(to_stdout if args.all else to_stdout.get(stacks[0])))
    return max(r.code for r in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    pv = sub.add_parser("preview", help="offline preview of a stack (no cloud, no Pulumi CLI)",
                        description=PREVIEW_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    pv.add_argument("stack", nargs="?", help=f"one of: {', '.join(stack_names())}")
    pv.add_argument("--all", action="store_true", help="preview every stack, then one table of all of them")
    pv.add_argument("--json", metavar="DIR|FILE|-",
                    help="write the full plan (resources, options, outputs, reports) as JSON: into a folder "
                         "(plan-<stack>.json each), one file, or stdout with -")
    pv.add_argument("--verbose", "-v", action="store_true", help="list every resource type, not only the biggest")
    dg = sub.add_parser("diagram", help="Mermaid architecture diagram of a stack, drawn from its offline plan")
    dg.add_argument("stack", nargs="?", help=f"one of: {', '.join(stack_names())}")
    dg.add_argument("--all", action="store_true", help="every stack")
    dg.add_argument("--readme", type=Path, metavar="FILE", help="rewrite the stacks' diagram blocks in FILE")
    cp = sub.add_parser("compose", help="write docker-compose.yml and .env.example from the local stack's config")
    cp.add_argument("--check", action="store_true", help="only compare; exit 1 when a file differs")
    bench = sub.add_parser("bench", help="time the program per stack and per tenant count",
                           description=BENCH_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    return _preview(args, parser)


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

    names = _chosen_stacks(parser, args)
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
