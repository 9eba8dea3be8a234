"""One benchmark case in a fresh process: the program and both floors, interleaved.

`python -m stacks.bench.worker <stack> [--tenants N] [--profile]` prints one JSON line:
resources, registrations, the best seconds of the program, the trivial floor and the replay
floor, the number of rounds, and the program's peak RSS in MB (with `--profile`: the program's
time split by layer instead).

The three run in this one process (the same interpreter state for all three) and in rounds
(program, floor, replay, then again), so a slow spell of the machine hits all three alike; each
counts its fastest round. Imports
are excluded by an untimed warm-up of each: the provider SDKs load their service modules lazily
on first use (`aws.rds`, `cloudflare.*`), which would otherwise put ~2 s of Python imports into the
first run and none into the floors; the program's warm-up runs the stack's own config (a synthetic
catalog only in the timed runs), so what it leaves allocated stays small. The program's first
timed run is also the one whose resource graph the replay floor registers. Peak RSS is that run's,
which comes right after the warm-up and before anything of the floors: the kernel's high-water
mark is reset just before it where Linux allows it (`/proc/self/clear_refs`), so it also counts
what the warm-up left.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from stacks.bench.profiling import profiled
from stacks.harness.plan import Plan
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


FLOOR_PROGRAM = ROOT / "stacks" / "bench" / "floor.py"
REPLAY_FLOOR_PROGRAM = ROOT / "stacks" / "bench" / "replay_floor.py"
MAIN_PROGRAM = ROOT / "__main__.py"
MAX_ROUNDS = 3
"""Timed rounds per case; the fastest of each program counts (the others saw more interference)."""
ROUND_BUDGET_SECONDS = 45.0
"""No further round once the timed ones have taken this long (prod with 1,000 tenants runs twice)."""


def _reset_peak_rss() -> bool:
    """Start a new RSS high-water mark (Linux >= 4.0); False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb(reset: bool) -> float:
    if reset:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def replay_entries(plan: Plan) -> str:
    """The run's registrations as the replay floor reads them (JSON): type, name, custom, parent,
    provider, dependencies, options and inputs. Unknown values and resource references (not JSON)
    are replayed as null."""
    return json.dumps([
        {"urn": r.urn, "type": r.type, "name": r.name, "custom": r.custom, "parent": r.parent,
         "provider": r.provider, "depends_on": r.options.get("dependsOn", []),
         "protect": r.options.get("protect", False), "retain_on_delete": r.options.get("retainOnDelete", False),
         "ignore_changes": r.options.get("ignoreChanges", []), "inputs": r.inputs}
        for r in plan.resources], default=lambda _: None)


def case_config(stack: str, tenants: int | None) -> dict[str, Any]:
    config = stack_config(stack)
    if tenants is not None:
        config["agentic-platform:tenants"] = synthetic_tenants(tenants)
    return config


def _timed(stack: str, program: Path, config: dict[str, Any]) -> tuple[float, Plan]:
    start = time.perf_counter()
    plan = run_program(stack, config, program=program)
    return time.perf_counter() - start, plan


def _run(stack: str, program: Path, config: dict[str, Any]) -> float:
    seconds, plan = _timed(stack, program, config)
    del plan
    gc.collect()
    return seconds


def measure_case(stack: str, tenants: int | None, *, max_rounds: int = MAX_ROUNDS,
                 budget_seconds: float = ROUND_BUDGET_SECONDS) -> dict[str, Any]:
    """The program, the trivial floor and the replay floor of one case, interleaved in rounds."""
    config = case_config(stack, tenants)
    # Warm-up on the stack's own config: it pays the lazy imports and first-use caches without
    # leaving a synthetic catalog's worth of freed-but-held heap under the measured peak.
    _run(stack, MAIN_PROGRAM, stack_config(stack))
    # The program's first timed run comes before anything else allocates in this process (the
    # replay's JSON, the floors), so its peak RSS is what a process running the program alone sees.
    reset = _reset_peak_rss()
    seconds, plan = _timed(stack, MAIN_PROGRAM, config)
    peak_mb = _peak_rss_mb(reset)
    with tempfile.TemporaryDirectory() as tmp:
        replay_file = Path(tmp) / "replay.json"
        replay_file.write_text(replay_entries(plan))  # the graph this very run registered
        resources, registrations = len(plan.custom_resources), len(plan.resources)
        del plan
        gc.collect()
        floors = {
            "floor": (FLOOR_PROGRAM, {"agentic-platform:floor_count": str(registrations)}),
            "replay": (REPLAY_FLOOR_PROGRAM, {"agentic-platform:floor_replay_file": str(replay_file)}),
        }
        for program, cfg in floors.values():
            _run(stack, program, cfg)  # warm-up
        programs = {"program": (MAIN_PROGRAM, config), **floors}
        best = {"program": seconds, **{name: float("inf") for name in floors}}
        spent, rounds = seconds, 0
        while rounds < max_rounds and (rounds == 0 or spent < budget_seconds):
            for name, (program, cfg) in programs.items():
                if rounds == 0 and name == "program":
                    continue  # timed above, with the peak RSS
                seconds = _run(stack, program, cfg)
                best[name] = min(best[name], seconds)
                spent += seconds
            rounds += 1
    return {"resources": resources, "registrations": registrations, "seconds": best, "rounds": rounds,
            "peak_mb": peak_mb}


def profile_case(stack: str, tenants: int | None) -> dict[str, Any]:
    """One profiled run of the program after a warm-up: each layer's share of its time."""
    config = case_config(stack, tenants)
    _run(stack, MAIN_PROGRAM, stack_config(stack))
    _, shares = profiled(lambda: run_program(stack, config, program=MAIN_PROGRAM), ROOT)
    return {"shares": shares}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("stack")
    parser.add_argument("--tenants", type=int)
    parser.add_argument("--profile", action="store_true", help="profile the program: each layer's share")
    args = parser.parse_args(argv)
    import stacks.platform  # noqa: F401  import cost is Python's, not the program's logic

    result = profile_case(args.stack, args.tenants) if args.profile else measure_case(args.stack, args.tenants)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
