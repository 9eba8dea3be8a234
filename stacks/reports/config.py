"""Preview section: what the config leaves to chance, said before the rest of the report.

Two things a green offline preview would otherwise hide: config that is valid but probably not
meant (prod with no tenants), and secrets the preview filled with test values. A real
`pulumi preview` stops at an unset secret; offline, test values stand in so the rest of the
plan can be shown, and this line says so.
"""

from __future__ import annotations

from stacks.config.secret_needs import conditional_secrets
from stacks.config.shapes import config_warnings
from stacks.dr.report import platform_config
from stacks.harness.plan import Plan
from stacks.harness.run import PROJECT, project_file, stack_config
from stacks.harness.stack_file import StackFileError
from stacks.reports import Report


def declared_secrets() -> list[str]:
    declared = project_file().get("config") or {}
    return sorted(f"{PROJECT}:{k}" if ":" not in k else k
                  for k, d in declared.items() if isinstance(d, dict) and d.get("secret"))


def report(plan: Plan) -> Report:
    warnings = config_warnings(platform_config(plan))
    try:
        in_file = stack_config(plan.stack)
    except (FileNotFoundError, StackFileError):
        in_file = {}
    stand_ins = [k for k in sorted(plan.config) if plan.config[k] == "[secret]"]
    prefix = f"{PROJECT}:"
    needed = [prefix + k for k in conditional_secrets({k[len(prefix):]: v for k, v in in_file.items()
                                                       if k.startswith(prefix)})]
    unset = [k for k in (*declared_secrets(), *needed) if k not in in_file]
    encrypted = [k for k in stand_ins if k not in unset]
    lines = [f"WARNING {w}" for w in warnings]
    if unset:
        lines.append(f"secrets: test values stood in for {', '.join(unset)} (not set in Pulumi.{plan.stack}.yaml; "
                     "a real `pulumi preview` stops there until `pulumi config set --secret <key> <value>`)")
    if encrypted:
        lines.append(f"secrets: test values stood in for {', '.join(encrypted)} (encrypted in the stack file; "
                     "the offline preview cannot decrypt them)")
    if not lines:
        lines.append("no warnings")
    parts = [f"{len(warnings)} warning(s)"] if warnings else []
    parts += [f"{len(unset)} secret(s) unset"] if unset else []
    return Report(name="config", lines=lines, summary=", ".join(parts) or "ok",
                  data={"warnings": warnings, "test_secrets": stand_ins, "unset_secrets": unset})
