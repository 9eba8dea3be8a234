"""`python -m stacks.cost <stack> [--lines] [--usage FILE]`: the estimate in detail.

The preview shows totals; this shows every priced line (resource, SKU, quantity, unit price) so a
team can see what a config change costs before it commits to it. `--usage FILE` overlays a usage
file (same format as stacks/cost/usage/<stack>.yaml) for what-if traffic.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from stacks.cost import EstimateError, budget_verdict, estimate, load_usage
from stacks.harness import run_stack, stack_names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.cost", description="the cost estimate of a stack in detail")
    parser.add_argument("stack", choices=stack_names())
    parser.add_argument("--lines", action="store_true", help="print every priced line item")
    parser.add_argument("--usage", type=Path, help="extra usage file overlaid on the stack's usage")
    args = parser.parse_args(argv)
    extra = yaml.safe_load(args.usage.read_text()) if args.usage else None
    plan = run_stack(args.stack)
    try:
        est = estimate(plan, usage=load_usage(args.stack, extra=extra))
    except EstimateError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.lines:
        for line in sorted(est.lines, key=lambda x: (x.region, x.component, -x.monthly)):
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
