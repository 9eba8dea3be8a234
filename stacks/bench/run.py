"""`python -m stacks bench`: how long the program takes per stack and as tenants grow.

Each case runs in its own process (stacks/bench/worker.py): the program and two floors under the
same mocks, after an untimed warm-up of each (lazy provider imports excluded), interleaved in up to
three rounds, each counting its fastest:
- the **trivial floor** registers as many one-input resources (`ratio`, target <= 1.3);
- the **replay floor** (stacks/bench/replay_floor.py) registers the run's own resource graph again
  as data: the same URNs, parents, providers, dependencies and the very inputs the engine received,
  and no program at all. Its time is what the Pulumi SDK costs for this graph whatever program
  produced it; `replay ratio` = program / replay floor is what the program itself adds (computing
  the values, typed Args classes, the Output links between resources) and is held to the same 1.3.
  The replay floor over the trivial floor shows why the first target is out of reach for any
  program that registers these resources.
A last, profiled run splits the time by layer (stacks/bench/profiling.py): `own` is the share spent
in our code's own statements (stacks/, components/, app/), `sdk` the Pulumi SDKs. Growth with
tenants should be linear (ms/resource roughly flat) and prod with 1,000 tenants must stay
under 1 GB.
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
    out = subprocess.run([sys.executable, "-m", "stacks.bench.worker", *args], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark worker failed for {' '.join(args)}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ms(run: dict[str, Any]) -> float:
    return 1000 * run["seconds"] / max(run["registrations"], 1)


def _row(label: str, run: dict[str, Any], floor: dict[str, Any], shares: dict[str, float],
         replay: dict[str, Any] | None = None) -> dict[str, Any]:
    ms, floor_ms = _ms(run), _ms(floor)
    replay_ms = _ms(replay) if replay is not None else None
    return {"case": label, "resources": run["resources"], "registrations": run["registrations"],
            "seconds": round(run["seconds"], 2), "ms_per_resource": round(ms, 3),
            "floor_ms_per_resource": round(floor_ms, 3), "ratio": round(ms / floor_ms, 2),
            "replay_ms_per_resource": round(replay_ms, 3) if replay_ms else None,
            "replay_ratio": round(ms / replay_ms, 2) if replay_ms else None,
            "replay_over_floor": round(replay_ms / floor_ms, 2) if replay_ms else None,
            "own_share": round(shares.get("own", 0.0), 4), "sdk_share": round(shares.get("sdk", 0.0), 4),
            "peak_mb": round(run["peak_mb"], 1)}


def _span(rows: list[dict[str, Any]], key: str) -> str:
    values = [r[key] for r in rows if r.get(key)]
    return f"{min(values):.2f}-{max(values):.2f}" if values else "n/a"


def summary(rows: list[dict[str, Any]]) -> list[str]:
    """The verdict lines under the table: each target with the measured figure."""
    worst = max(rows, key=lambda r: r["ratio"])
    most_own = max(rows, key=lambda r: r["own_share"])
    biggest = rows[-1]
    lines = [f"worst ratio {worst['ratio']:.2f} ({worst['case']}; target <= {RATIO_TARGET}); "
             f"our own code's share of a run at most {most_own['own_share']:.1%} ({most_own['case']}), "
             f"the Pulumi SDKs' {min(r['sdk_share'] for r in rows):.0%}-{max(r['sdk_share'] for r in rows):.0%}",
             f"{biggest['case']}: {biggest['peak_mb']:.0f} MB (target < {MEMORY_TARGET_MB} MB)"]
    replayed = [r for r in rows if r.get("replay_ratio")]
    if replayed:
        worst_replay = max(replayed, key=lambda r: r["replay_ratio"])
        verdict = "met" if worst_replay["replay_ratio"] <= RATIO_TARGET else "NOT met"
        lines[1:1] = [
            f"replay floor (the same resource graph and inputs, no program) / trivial floor: "
            f"{_span(replayed, 'replay_over_floor')}: the SDK's share no program can remove",
            f"program / replay floor (what the program adds): {_span(replayed, 'replay_ratio')}, "
            f"worst {worst_replay['case']} (target <= {RATIO_TARGET}: {verdict})"]
    tenant_rows = [r for r in rows if "tenants" in r["case"]]
    if len(tenant_rows) >= 2:
        first, last = tenant_rows[0], tenant_rows[-1]
        growth = last["ms_per_resource"] / first["ms_per_resource"]
        lines.append(f"ms/resource from {first['case']} to {last['case']}: x{growth:.2f} "
                     "(linear growth keeps it ~1)")
    return lines


def run_bench(tenant_counts: list[int], *, profile: bool = True) -> int:
    cases: list[tuple[str, list[str]]] = [(s, [s]) for s in stack_names()]
    cases += [(f"prod+{n} tenants", ["prod", "--tenants", str(n)]) for n in tenant_counts]
    rows = []
    header = (f"{'case':<20} {'resources':>9} {'seconds':>8} {'ms/res':>7} {'floor':>7} {'ratio':>6} "
              f"{'replay':>7} {'ratio':>6} {'own':>6} {'sdk':>5} {'peak MB':>8}")
    print(header)
    print("-" * len(header))
    for label, args in cases:
        case = _worker(*args)
        run = {**case, "seconds": case["seconds"]["program"]}
        floor = {"registrations": case["registrations"], "seconds": case["seconds"]["floor"]}
        replay = {"registrations": case["registrations"], "seconds": case["seconds"]["replay"]}
        shares = _worker(*args, "--profile")["shares"] if profile else {}
        row = _row(label, run, floor, shares, replay)
        rows.append(row)
        print(f"{row['case']:<20} {row['resources']:>9} {row['seconds']:>8.2f} {row['ms_per_resource']:>7.2f} "
              f"{row['floor_ms_per_resource']:>7.2f} {row['ratio']:>6.2f} "
              f"{row['replay_ms_per_resource']:>7.2f} {row['replay_ratio']:>6.2f} {row['own_share']:>6.1%} "
              f"{row['sdk_share']:>5.0%} {row['peak_mb']:>8.1f}", flush=True)
    print()
    print("\n".join(summary(rows)))
    return 0
