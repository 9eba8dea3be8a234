"""The build's vulnerability gate: fail when the pushed image has more findings at or above
`delivery.registry.scan_gate_severity` than `delivery.registry.scan_gate_max_findings`.

    aws ecr describe-image-scan-findings ... > findings.json
    python -m stacks.scan_gate findings.json --stack prod

Reads `findingSeverityCounts` (basic scanning) or counts `enhancedFindings` by severity
(Amazon Inspector enhanced scanning), the two shapes DescribeImageScanFindings returns
(https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImageScanFindings.html).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from stacks.config import ConfigError, parse
from stacks.harness.run import stack_namespace

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")


def severity_counts(findings: dict[str, Any]) -> Counter[str]:
    body = findings.get("imageScanFindings", findings)
    counts: Counter[str] = Counter()
    for sev, n in (body.get("findingSeverityCounts") or {}).items():
        counts[str(sev).upper()] += int(n)
    if not counts:
        for f in body.get("enhancedFindings") or []:
            counts[str(f.get("severity", "UNDEFINED")).upper()] += 1
    return counts


def gate(counts: Counter[str], severity: str, max_findings: int) -> tuple[bool, str]:
    """(passed, one-line verdict)."""
    blocking = SEVERITIES[: SEVERITIES.index(severity) + 1]
    found = sum(counts[s] for s in blocking)
    detail = ", ".join(f"{s} {counts[s]}" for s in blocking)
    if found > max_findings:
        return False, f"{found} finding(s) at {severity} or above ({detail}) > allowed {max_findings}: image refused"
    return True, f"{found} finding(s) at {severity} or above ({detail}) <= allowed {max_findings}: image accepted"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m stacks.scan_gate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("findings", type=Path, help="DescribeImageScanFindings output (JSON)")
    p.add_argument("--stack", required=True, help="stack whose delivery.registry threshold applies")
    args = p.parse_args(argv)
    try:
        ns, region = stack_namespace(args.stack)
        cfg = parse(ns, stack=args.stack, aws_region=region)
        findings = json.loads(args.findings.read_text(encoding="utf-8"))
    except (ConfigError, OSError, json.JSONDecodeError) as exc:
        print(f"scan gate: {exc}", file=sys.stderr)
        return 2
    reg = cfg.delivery.registry
    passed, verdict = gate(severity_counts(findings), reg.scan_gate_severity, reg.scan_gate_max_findings)
    print(f"scan gate ({args.stack}): {verdict}", file=sys.stdout if passed else sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
