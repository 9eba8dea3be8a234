"""The build's vulnerability gate against both DescribeImageScanFindings shapes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from stacks.scan_gate import gate, main, severity_counts


def test_basic_scan_counts_and_enhanced_findings_are_read_alike() -> None:
    basic = {"imageScanFindings": {"findingSeverityCounts": {"HIGH": 2, "LOW": 5}}}
    enhanced = {"imageScanFindings": {"enhancedFindings": [{"severity": "HIGH"}, {"severity": "HIGH"},
                                                           {"severity": "CRITICAL"}]}}
    assert severity_counts(basic) == Counter({"HIGH": 2, "LOW": 5})
    assert severity_counts(enhanced) == Counter({"HIGH": 2, "CRITICAL": 1})


def test_threshold_counts_the_severity_and_everything_above() -> None:
    counts = Counter({"CRITICAL": 1, "HIGH": 2, "MEDIUM": 9})
    assert gate(counts, "CRITICAL", 0)[0] is False
    assert gate(counts, "CRITICAL", 1)[0] is True
    ok, verdict = gate(counts, "HIGH", 2)
    assert ok is False and verdict.startswith("3 finding(s) at HIGH or above (CRITICAL 1, HIGH 2) > allowed 2")
    assert gate(Counter({"MEDIUM": 3}), "HIGH", 0)[0] is True


def test_cli_reads_the_stack_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    findings = tmp_path / "f.json"
    findings.write_text(json.dumps({"imageScanFindings": {"findingSeverityCounts": {"HIGH": 1}}}))
    assert main([str(findings), "--stack", "prod"]) == 1  # default: HIGH, 0 allowed
    assert "image refused" in capsys.readouterr().err
    findings.write_text(json.dumps({"imageScanFindings": {"findingSeverityCounts": {"MEDIUM": 4}}}))
    assert main([str(findings), "--stack", "prod"]) == 0
    assert main([str(tmp_path / "missing.json"), "--stack", "prod"]) == 2
