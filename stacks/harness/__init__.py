"""Offline harness: the real program under mocks, recorded as a `Plan`."""

from stacks.harness.plan import Plan, PlannedResource
from stacks.harness.run import run_program, run_stack, stack_names

__all__ = ["Plan", "PlannedResource", "run_program", "run_stack", "stack_names"]
