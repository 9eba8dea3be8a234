"""`python -m stacks bench`: how long the program takes per stack and as tenants grow.

Each measurement runs in its own process. Beside each run, a floor program registers the same
number of trivial resources under the same mocks; `ratio` = our ms/resource / floor ms/resource
(target <= 1.3: the program's own logic adds at most 30 %); `logic` = share of the run spent in
our own composition code (`build_platform`), the rest being the SDK's serialisation of real
inputs and the mock engine. Growth with tenants should be
linear (ms/resource roughly flat) and prod with 1,000 tenants must stay under 1 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from stacks.harness.run import ROOT, stack_names

RATIO_TARGET = 1.3
MEMORY_TARGET_MB = 1024


def _worker(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "stacks.bench_worker", *args], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark worker failed for {' '.join(args)}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(label: str, run: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    n = max(run["registrations"], 1)
    ms = 1000 * run["seconds"] / n
    floor_ms = 1000 * floor["seconds"] / max(floor["registrations"], 1)
    return {"case": label, "resources": run["resources"], "registrations": run["registrations"],
            "seconds": round(run["seconds"], 2), "ms_per_resource": round(ms, 3),
            "floor_ms_per_resource": round(floor_ms, 3), "ratio": round(ms / floor_ms, 2),
            "logic_share": round(run.get("logic_seconds", 0.0) / max(run["seconds"], 1e-9), 2),
            "peak_mb": round(run["peak_mb"], 1)}


def run_bench(tenant_counts: list[int]) -> int:
    cases: list[tuple[str, list[str]]] = [(s, [s]) for s in stack_names()]
    cases += [(f"prod+{n} tenants", ["prod", "--tenants", str(n)]) for n in tenant_counts]
    rows = []
    header = (f"{'case':<20} {'resources':>9} {'seconds':>8} {'ms/res':>7} {'floor':>7} {'ratio':>6} "
              f"{'logic':>6} {'peak MB':>8}")
    print(header)
    print("-" * len(header))
    for label, args in cases:
        run = _worker(*args)
        floor = _worker(args[0], "--floor", str(run["registrations"]))
        row = _row(label, run, floor)
        rows.append(row)
        print(f"{row['case']:<20} {row['resources']:>9} {row['seconds']:>8.2f} {row['ms_per_resource']:>7.2f} "
              f"{row['floor_ms_per_resource']:>7.2f} {row['ratio']:>6.2f} {row['logic_share']:>6.0%} "
              f"{row['peak_mb']:>8.1f}")
    worst = max(r["ratio"] for r in rows)
    biggest = rows[-1]
    print(f"\nworst ratio {worst:.2f} (target <= {RATIO_TARGET}); "
          f"{biggest['case']}: {biggest['peak_mb']:.0f} MB (target < {MEMORY_TARGET_MB} MB)")
    tenant_rows = [r for r in rows if "tenants" in r["case"]]
    if len(tenant_rows) >= 2:
        first, last = tenant_rows[0], tenant_rows[-1]
        growth = last["ms_per_resource"] / first["ms_per_resource"]
        print(f"ms/resource from {first['case']} to {last['case']}: x{growth:.2f} (linear growth keeps it ~1)")
    return 0
