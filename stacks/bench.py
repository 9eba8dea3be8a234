"""Benchmark placeholder (filled in below by the foundation issue)."""

from __future__ import annotations


def run_bench(tenant_counts: list[int]) -> int:
    print("bench: not implemented yet", tenant_counts)
    return 0
