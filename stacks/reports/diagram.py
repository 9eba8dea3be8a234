"""A Mermaid architecture diagram of one stack, drawn from the plan's outputs.

Drawn from the stack outputs (what `pulumi stack output` shows after a real deployment), never
from the config, so the picture is what the program built: hostnames and their Cloudflare pools
in failover order, data domains with their residency and tenants, regions (primary, replica,
warm standby) with their cluster, stores and ingress, replication inside each domain. Regions
may carry workload cells: a `cells` list (or a name -> {...} map) in a region's `regional`
output is drawn as one node per cell inside that region, so cells appear as soon as the program
exports them. Same plan -> byte-identical text (README embeds it; a test keeps them equal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stacks.harness.plan import Plan
from stacks.reports import Report

BEGIN = "<!-- diagram:{stack} (generated: python -m stacks diagram --readme README.md) -->"
END = "<!-- /diagram:{stack} -->"


def _id(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]", "_", p) for p in parts)


def _label(*lines: str) -> str:
    text = "<br/>".join(line.replace('"', "'") for line in lines if line)
    return f'["{text}"]'


def _cells(regional: Mapping[str, Any]) -> list[str]:
    cells = regional.get("cells")
    if isinstance(cells, Mapping):
        return sorted(str(k) for k in cells)
    if isinstance(cells, list):
        return sorted(str(c.get("name", c)) if isinstance(c, Mapping) else str(c) for c in cells)
    return []


def _local(outputs: Mapping[str, Any]) -> list[str]:
    ns = outputs.get("namespaces") or {}
    core, shared = ns.get("platform-core", "platform-core"), ns.get("shared-services", "shared-services")
    return [
        "flowchart LR",
        f'  dev{_label("developer", "kubectl port-forward")}',
        f'  subgraph ctx["kube context: {outputs.get("kube_context", "current")}"]',
        f'    subgraph core["namespace {core}"]',
        f'      api{_label("api")}',
        f'      worker{_label("worker")}',
        "    end",
        f'    subgraph shared["namespace {shared}"]',
        f'      pg{_label("PostgreSQL + pgvector")}',
        f'      redis{_label("Redis")}',
        "    end",
        "  end",
        "  dev --> api",
        "  api --> pg",
        "  api --> redis",
        "  worker --> pg",
        "  worker --> redis",
    ]


def mermaid(plan: Plan) -> str:
    """The stack's diagram as Mermaid `flowchart` source (no fences).

    Regions and data domains are separate boxes: a region can serve two domains (eu-west-1 is
    the EU primary and a replica of the global domain), each domain's stores sit in the domain.
    """
    o = plan.outputs
    if not o.get("regions"):
        return "\n".join(_local(o)) + "\n"
    regional: Mapping[str, Mapping[str, Any]] = o.get("regional") or {}
    domains: Mapping[str, Mapping[str, Any]] = o.get("data_domains") or {}
    hostnames: Mapping[str, Mapping[str, Any]] = o.get("hostnames") or {}
    tenants: Mapping[str, Mapping[str, Any]] = o.get("tenants") or {}
    lines = ["flowchart LR"]
    if hostnames:
        lines.append('  subgraph edge["Cloudflare edge: proxied, WAF, authenticated origin pulls"]')
        for host in sorted(hostnames):
            spec = hostnames[host]
            lines.append(f"    {_id('h', host)}{_label(host, 'residency ' + str(spec.get('residency', 'none')))}")
        lines.append("  end")
    for region in o.get("regions") or []:
        lines += _region(str(region), regional.get(region) or {})
    for name in sorted(domains):
        d = domains[name]
        count = sum(1 for t in tenants.values() if t.get("domain") == name)
        title = f"data domain {name}: residency {d.get('residency', 'none')}, {count} tenant(s)"
        lines.append(f'  subgraph {_id("d", name)}["{title}"]')
        primary = str(d["primary"])
        for region in [primary, *[str(r) for r in d.get("replicas") or []]]:
            cluster = (d.get("clusters") or {}).get(region) or (regional.get(region) or {}).get("db_cluster_identifier")
            role = "writer" if region == primary else "replica"
            label = _label(f"{region} ({role})", f"Aurora {cluster}", "S3 uploads")
            lines.append(f"    {_id('db', name, region)}{label}")
        lines.append("  end")
    for host in sorted(hostnames):
        for i, pool in enumerate(hostnames[host].get("pools") or [], start=1):
            lines.append(f'  {_id("h", host)} -->|"pool {i}"| {_id("alb", str(pool["region"]))}')
    for name in sorted(domains):
        d = domains[name]
        primary = str(d["primary"])
        members = [primary, *[str(r) for r in d.get("replicas") or []]]
        for region in members:
            if region in regional:
                lines.append(f"  {_id('eks', region)} --> {_id('db', name, region)}")
        for replica in members[1:]:
            lines.append(f'  {_id("db", name, primary)} -.->|"Aurora Global, S3 CRR"| {_id("db", name, replica)}')
    return "\n".join(lines) + "\n"


def _region(region: str, r: Mapping[str, Any]) -> list[str]:
    role = "warm standby" if r.get("standby") else "active"
    out = [f'  subgraph {_id("r", region)}["{region} ({role})"]']
    if r.get("ingress_hostname"):
        out.append(f"    {_id('alb', region)}{_label('ALB')}")
    out.append(f"    {_id('eks', region)}{_label('EKS ' + str(r.get('cluster_name', '')), 'api, worker')}")
    for cell in _cells(r):
        out.append(f"    {_id('cell', region, cell)}{_label('cell ' + cell)}")
    out.append(f"    {_id('redis', region)}{_label('Redis cache + queue')}")
    if r.get("ingress_hostname"):
        out.append(f"    {_id('alb', region)} --> {_id('eks', region)}")
    for cell in _cells(r):
        out.append(f"    {_id('eks', region)} --- {_id('cell', region, cell)}")
    out.append(f"    {_id('eks', region)} --> {_id('redis', region)}")
    out.append("  end")
    return out


def block(stack: str, source: str) -> str:
    """The README block for a stack: markers around a fenced Mermaid diagram."""
    return f"{BEGIN.format(stack=stack)}\n```mermaid\n{source}```\n{END.format(stack=stack)}"


def embedded(readme: str, stack: str) -> str | None:
    """The block README currently holds for a stack (None when it has none)."""
    start = readme.find(BEGIN.format(stack=stack))
    end = readme.find(END.format(stack=stack))
    if start < 0 or end < 0:
        return None
    return readme[start:end + len(END.format(stack=stack))]


def update_readme(path: Path, diagrams: Mapping[str, str]) -> list[str]:
    """Replace each stack's block in README; returns the stacks whose block is missing."""
    text = path.read_text()
    missing = []
    for stack, source in diagrams.items():
        current = embedded(text, stack)
        if current is None:
            missing.append(stack)
            continue
        text = text.replace(current, block(stack, source))
    path.write_text(text)
    return missing


def report(plan: Plan) -> Report:
    """The preview's last section: the diagram as Markdown (paste it into a page that renders
    Mermaid) and, in the JSON, as `reports.diagram.mermaid`. It judges nothing, so it has no cell
    in the status line."""
    source = mermaid(plan)
    return Report(name="diagram", lines=["```mermaid", *source.splitlines(), "```"], data={"mermaid": source},
                  in_status=False)
