"""Preview section: disaster recovery against the deployment guide's targets.

Per data domain: each store's RPO and the write path after losing the primary region. Per
hostname: detection (monitor interval x consecutive failures), traffic failover, and the domain
behind it. Every miss is listed with its cause; misses do not fail the preview (the policy pack
decides what blocks), but they are in the JSON for CI to gate on.
"""

from __future__ import annotations

from stacks.config import ConfigError
from stacks.dr.figures import TARGET_LABELS, TARGETS
from stacks.dr.report import Check, assess, fmt
from stacks.harness.plan import Plan
from stacks.reports import Report


def _check(c: Check) -> str:
    label = TARGET_LABELS[c.metric.split(" ")[0]] + (c.metric[c.metric.index(" "):] if " " in c.metric else "")
    return f"{label} {fmt(c.seconds)} [{c.status}]"


def report(plan: Plan) -> Report:
    try:
        dr = assess(plan)
    except ConfigError as exc:
        return Report(name="dr", lines=[f"ERROR: cannot read the stack config: {exc}"], data={"error": str(exc)})
    if not dr.domains and not dr.hostnames:
        return Report(name="dr", lines=["local stack: no disaster recovery (in-cluster stores, no cloud)"],
                      data=dr.to_dict(), summary="n/a (local)")
    lines = ["targets: " + ", ".join(f"{TARGET_LABELS[k]} <= {fmt(v)}" for k, v in TARGETS.items())]
    for d in dr.domains:
        lines.append(f"domain {d.name} (residency {d.residency}): {d.primary}"
                     + (f" -> {', '.join(d.replicas)}" if d.replicas else " (no replica region)"))
        for s in d.stores:
            lines.append(f"  {s.name}: {s.kind}; RPO {fmt(s.rpo.seconds)} [{s.rpo.status}] - {s.rpo.basis}")
        lines += [f"  {note}" for note in d.notes]
        lines.append("  losing " + d.primary + ": " + " -> ".join(d.failover_path))
        lines.append("  " + "; ".join(_check(c) for c in d.checks))
    for h in dr.hostnames:
        head = f"hostname {h.hostname}"
        if h.pools:
            head += f" (pools {' > '.join(h.pools)}"
            head += ", proxied)" if h.proxied else ")" if h.proxied is None else ", DNS-only)"
        lines.append(head + (f", data domain {h.domain}" if h.domain else ""))
        lines.append("  " + " -> ".join(h.failover_path))
        lines.append("  " + "; ".join(_check(c) for c in h.checks))
    misses = dr.misses()
    lines.append(f"misses: {len(misses)}" + (" (none)" if not misses else ""))
    lines += [f"  MISS {m}" for m in misses]
    return Report(name="dr", lines=lines, data=dr.to_dict(), summary=f"{len(misses)} miss(es)")
