"""Policy pack entry point: the policies of `agentic_policies`, configured for the current stack.

The CLI starts this with PULUMI_STACK set; the stack's `config/<stack>.json` supplies regions,
residency map, thresholds, exemptions and each policy's enforcement level (`initial_config`).
Set AGENTIC_POLICY_STACK to pick another file (e.g. to preview prod rules on a dev stack).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from agentic_policies.config import load_stack_settings, stack_name
from agentic_policies.registry import POLICIES, initial_config
from pulumi_policy import EnforcementLevel, PolicyPack

stack = stack_name(os.environ.get("AGENTIC_POLICY_STACK") or os.environ.get("PULUMI_STACK"))
if not stack:
    raise SystemExit("policy pack: no stack (PULUMI_STACK / AGENTIC_POLICY_STACK) to choose policy/config/<stack>.json")

PolicyPack(
    name="agentic-platform-guardrails",
    policies=list(POLICIES),
    enforcement_level=EnforcementLevel.MANDATORY,
    initial_config=initial_config(load_stack_settings(stack)),
    description="Residency, encryption, network, backup, logging, IAM, tag and pod-security guardrails.",
)
