"""`python -m stacks.cost <stack> [--lines] [--usage FILE]`: the estimate in detail.

The preview shows totals; this shows every priced line (resource, SKU, quantity, unit price) so a
team can see what a config change costs before it commits to it. `--usage FILE` overlays a usage
file (same format as stacks/cost/usage/<stack>.yaml) for what-if traffic.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stacks.config import ConfigError
from stacks.cost import EstimateError, budget_verdict, estimate, load_usage
from stacks.cost.usage import UsageError
from stacks.cost.usage_check import usage_problems
from stacks.harness import run_stack, stack_names
from stacks.harness.stack_file import StackFileError, load_yaml

DESCRIPTION = """\
The monthly cost estimate of one stack in detail: totals by region, category, component and
tenant, and with --lines every priced line item. Prices: stacks/cost/prices.yaml; usage
assumptions: stacks/cost/usage/defaults.yaml + <stack>.yaml.

examples:
  .venv/bin/python -m stacks.cost prod
  .venv/bin/python -m stacks.cost dev --lines
  .venv/bin/python -m stacks.cost prod --usage what-if.yaml   # e.g. defaults: {nat_gateway: {data_processed_gb: 500}}
"""
LINE_HEADER = (f"{'region':15s} {'component':28s} {'sku':42s} {'quantity':>11s} {'unit':16s}"
               f"   {'unit price':<9s}   {'monthly':>11s}  resource (note)")


def _read_usage(path: Path) -> dict[str, object]:
    """The --usage file, refused with one line per problem (never a traceback)."""
    if not path.is_file():
        raise UsageError(f"--usage {path}: no such file; write a YAML file like stacks/cost/usage/dev.yaml")
    try:
        doc = load_yaml(path)
    except StackFileError as exc:
        raise UsageError(f"--usage {exc}") from None
    problems = usage_problems(doc, path.name)
    if problems:
        raise UsageError("--usage: " + "\n  ".join(problems))
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.cost", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", choices=stack_names(), help="the stack to estimate")
    parser.add_argument("--lines", action="store_true",
                        help="also print every priced line item (region, component, SKU, quantity, unit price)")
    parser.add_argument("--usage", type=Path, metavar="FILE",
                        help="what-if usage overlaid on the stack's usage "
                             "(same keys as stacks/cost/usage/defaults.yaml)")
    args = parser.parse_args(argv)
    try:
        extra = _read_usage(args.usage) if args.usage else None
        plan = run_stack(args.stack)
        est = estimate(plan, usage=load_usage(args.stack, extra=extra))
    except (UsageError, StackFileError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except EstimateError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.lines:
        print(LINE_HEADER)
        for line in sorted(est.lines, key=lambda x: (x.region, x.component, -x.monthly, x.resource, x.sku)):
            print(f"{line.region:15s} {line.component:28s} {line.sku:42s} {line.quantity:>11,.1f} {line.unit:16s}"
                  f" x {line.unit_price:<9g} = ${line.monthly:>10,.2f}  {line.resource}"
                  + (f"  ({line.note})" if line.note else ""))
    for title, values in (("region", est.by("region")), ("category", est.by("category")),
                          ("component", est.by("component")), ("tenant", est.by("tenant"))):
        print(f"by {title}:")
        for key, value in values.items():
            print(f"  {key:40s} ${value:>10,.2f}")
    verdict, band = budget_verdict(args.stack, est.total)
    guide = f" (guide ${band[0]:,.0f}-${band[1]:,.0f}: {verdict})" if band else ""
    print(f"monthly total: ${est.total:,.2f}{guide}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
