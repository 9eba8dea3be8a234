"""One benchmark measurement in a fresh process (so peak RSS belongs to that run alone).

`python -m stacks.bench_worker <stack> [--tenants N] [--floor N]` prints one JSON line:
resources, seconds (program run only, imports excluded), peak RSS in MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from stacks.harness.run import ROOT, run_program, stack_config

TIERS = ("shared",) * 16 + ("dedicated",) * 3 + ("enterprise",)


def synthetic_tenants(n: int) -> list[dict[str, Any]]:
    """A catalog of `n` tenants: 80% shared, 15% dedicated, 5% enterprise; every third EU-resident."""
    tenants = []
    for i in range(n):
        eu = i % 3 == 2
        tenants.append({
            "id": f"t{i:05d}",
            "display_name": f"Synthetic tenant {i}",
            "tier": TIERS[i % len(TIERS)],
            "data_residency": "eu" if eu else "none",
            "primary_region": "eu-west-1" if eu else "us-east-1",
            "compliance_requirements": ["gdpr"] if eu else ["soc2"],
            "cost_center": f"cc-{i:05d}",
        })
    return tenants


def measure(stack: str, tenants: int | None, floor: int | None) -> dict[str, Any]:
    config = stack_config(stack)
    program = None
    if tenants is not None:
        config["agentic-platform:tenants"] = synthetic_tenants(tenants)
    if floor is not None:
        config = {"agentic-platform:floor_count": str(floor)}
        program = ROOT / "stacks" / "bench_floor.py"
    import stacks.platform  # import cost is Python's, not the program's logic

    logic = [0.0]
    build = stacks.platform.build_platform

    def timed_build(cfg: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return build(cfg)
        finally:
            logic[0] += time.perf_counter() - t0

    stacks.platform.build_platform = timed_build
    start = time.perf_counter()
    plan = run_program(stack, config, program=program or Path(ROOT / "__main__.py"))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"resources": len(plan.custom_resources), "registrations": len(plan.resources),
            "seconds": seconds, "logic_seconds": logic[0], "peak_mb": peak_mb}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("stack")
    parser.add_argument("--tenants", type=int)
    parser.add_argument("--floor", type=int)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.stack, args.tenants, args.floor)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
