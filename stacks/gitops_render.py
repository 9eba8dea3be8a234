"""Offline GitOps render: the manifests `pulumi up` writes in `app.delivery: gitops` mode.

In GitOps mode the workload's Kubernetes provider has `renderYamlToDirectory` set, so `pulumi up`
writes each object to deploy/gitops/<stack>/<region>/ instead of applying it, and the deploy
workflow commits that tree for Argo CD. This module writes the same layout from the offline plan
(the provider's naming: `0-crd/` for CRDs, `1-manifest/<apiVersion>-<kind>-<namespace>-<name>.yaml`),
so reviewers and tests see the tree without a cluster. Values only AWS knows (ARNs, endpoints)
come from the offline mocks here; `pulumi up` writes the real ones.

    python -m stacks.gitops_render <stack> [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from stacks.harness import Plan, PlannedResource, run_stack
from stacks.harness.run import stack_config

NS = "agentic-platform:"
RENDER_KEY = "renderYamlToDirectory"


def gitops_overrides(stack: str) -> dict[str, Any]:
    """The stack's config with `app.delivery: gitops`."""
    app = dict(stack_config(stack)[f"{NS}app"])
    app["delivery"] = "gitops"
    return {f"{NS}app": app}


def render_providers(plan: Plan) -> dict[str, str]:
    """Provider reference prefix (its URN) -> the directory it renders to."""
    return {r.urn: str(r.inputs[RENDER_KEY]) for r in plan.resources
            if r.type == "pulumi:providers:kubernetes" and r.inputs.get(RENDER_KEY)}


def _plain(value: Any) -> Any:
    """Numbers come back from the engine as floats; the provider writes whole numbers as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def manifest(r: PlannedResource) -> dict[str, Any]:
    """The object as the provider writes it: its inputs, minus Pulumi's own bookkeeping."""
    return _plain({k: v for k, v in r.inputs.items() if not k.startswith("__")})


def file_name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    api = str(obj.get("apiVersion", "")).replace("/", "_").replace(":", "_")
    name = f"{api}-{str(obj.get('kind', '')).lower()}-{meta.get('namespace') or 'default'}-{meta.get('name')}.yaml"
    return f"0-crd/{name}" if obj.get("kind") == "CustomResourceDefinition" else f"1-manifest/{name}"


def rendered(plan: Plan) -> dict[str, dict[str, dict[str, Any]]]:
    """Render directory -> relative file -> object, for every object on a render provider."""
    providers = render_providers(plan)
    out: dict[str, dict[str, dict[str, Any]]] = {d: {} for d in providers.values()}
    for r in plan.resources:
        urn = r.provider.rsplit("::", 1)[0] if r.provider else ""
        if r.custom and urn in providers:
            obj = manifest(r)
            files = out[providers[urn]]
            path = file_name(obj)
            if path in files:
                raise ValueError(f"two objects render to {providers[urn]}/{path}")
            files[path] = obj
    return out


def dump(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)


def write_tree(plan: Plan, root: Path) -> list[Path]:
    """Write every rendered file under `root`; byte-identical for the same plan."""
    written: list[Path] = []
    for directory, files in sorted(rendered(plan).items()):
        for rel, obj in sorted(files.items()):
            path = root / directory / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump(obj))
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.gitops_render", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack")
    parser.add_argument("--out", type=Path, default=Path("."), help="repository root to write under (default .)")
    args = parser.parse_args(argv)
    plan = run_stack(args.stack, gitops_overrides(args.stack))
    written = write_tree(plan, args.out)
    if not written:
        print(f"stack {args.stack}: nothing rendered (no Kubernetes workload on this stack)", file=sys.stderr)
        return 1
    print(f"stack {args.stack}: {len(written)} manifest(s) under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
