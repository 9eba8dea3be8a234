"""Every committed stack builds under the harness, with the outputs the README documents."""

from __future__ import annotations

import json

import pytest

from stacks.harness import run_stack, stack_names
from stacks.harness.run import TEST_SECRET_PREFIX

STACKS = ["local", "dev", "staging", "prod", "prod-small"]
ENVIRONMENT = {"prod-small": "prod"}  # the guide's small production shape is a prod environment


def test_known_stacks() -> None:
    assert stack_names() == STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_stack_builds_with_unique_urns(stack: str) -> None:
    plan = run_stack(stack)
    urns = [r.urn for r in plan.resources]
    assert len(urns) == len(set(urns))
    assert plan.outputs["environment"] == ENVIRONMENT.get(stack, stack)


@pytest.mark.parametrize("stack", STACKS)
def test_no_secret_value_in_outputs(stack: str) -> None:
    plan = run_stack(stack)
    assert TEST_SECRET_PREFIX not in json.dumps(plan.outputs, default=str)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_aws_stacks_export_their_regions(stack: str) -> None:
    plan = run_stack(stack)
    assert plan.outputs["regions"] == [r for r in plan.outputs["regional"]]
    assert plan.outputs["default_region"] == plan.outputs["regions"][0]


def test_local_creates_no_aws_resource() -> None:
    plan = run_stack("local")
    assert not [r for r in plan.resources if r.type.startswith(("aws:", "pulumi:providers:aws"))]


def test_one_aws_provider_with_default_tags() -> None:
    plan = run_stack("prod")
    providers = plan.of_type("pulumi:providers:aws")
    assert len(providers) == 1, "one provider plus region= per resource (docs/regional-base.md)"
    tags = json.loads(providers[0].inputs["defaultTags"])["tags"] if isinstance(
        providers[0].inputs["defaultTags"], str) else providers[0].inputs["defaultTags"]["tags"]
    assert {"environment": "prod", "project": "agentic-platform", "managed-by": "pulumi",
            "cost-center": "platform-prod"}.items() <= tags.items()


def test_cached_plans_are_independent_copies() -> None:
    first = run_stack("dev")
    first.resources.clear()
    assert run_stack("dev").resources
