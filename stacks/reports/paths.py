"""Preview section "request paths": per hostname and region, the origin, the domain cell behind
it and every store the cell reaches (database endpoints, uploads bucket, secrets), each with its
residency. Built by the same join as the `path-residency` policy
(policy/agentic_policies/paths.py), so what is printed is what the policy checks; a path that
leaves its residency is marked here and fails the preview through that mandatory policy.
"""

from __future__ import annotations

from policy.agentic_policies.config import SettingsError, load_stack_settings
from policy.agentic_policies.paths import Res, cell_paths, path_violations
from policy.agentic_policies.regions import residency_of
from stacks.harness.plan import Plan
from stacks.reports import Report


def _records(plan: Plan) -> list[Res]:
    out = []
    for r in plan.custom_resources:
        props = {**r.inputs, **r.outputs}
        out.append(Res(r.urn, r.type, props, r.region, residency_of(r.type, props)))
    return out


def report(plan: Plan) -> Report:
    paths = cell_paths(_records(plan))
    if not paths:
        return Report(name="request paths", lines=["no domain cell in this stack (local: in-cluster stores)"],
                      data={"paths": []})
    try:
        settings = load_stack_settings(plan.stack)
        regions, hosts = settings.residencies, settings.residency_hostnames
    except SettingsError:
        regions, hosts = {}, {}
    lines: list[str] = []
    data = []
    for p in paths:
        problems = list(path_violations(p, regions, hosts))
        via = f", Cloudflare pools of {', '.join(p.pools)}" if p.pools else ""
        lines.append(f"{p.hostname} @ {p.region}: origin {p.origin or '(none)'}{via}")
        lines.append(f"  cell {p.domain} (residency {p.residency}) in namespace {p.namespace}")
        for s in p.stores:
            lines.append(f"  {s.kind}: {s.name} [{s.residency}{', ' + s.region if s.region else ''}]")
        lines += [f"  OUTSIDE RESIDENCY: {m}" for m in problems]
        data.append({"hostname": p.hostname, "region": p.region, "origin": p.origin, "pools": p.pools,
                     "cell": {"domain": p.domain, "residency": p.residency, "namespace": p.namespace},
                     "stores": [s.__dict__ for s in p.stores], "violations": problems})
    crossing = sum(1 for d in data if d["violations"])
    lines.append(f"paths: {len(data)}, leaving their residency: {crossing}")
    return Report(name="request paths", lines=lines, data={"paths": data})
