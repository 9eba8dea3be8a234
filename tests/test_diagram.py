"""The Mermaid architecture diagram: drawn from plan outputs, embedded in README, kept equal."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from stacks.harness import Plan, run_stack
from stacks.harness.run import ROOT
from stacks.reports.diagram import block, embedded, mermaid, update_readme

STACKS = ["local", "dev", "staging", "prod"]


@pytest.mark.parametrize("stack", STACKS)
def test_readme_embeds_the_diagram_the_program_draws(stack: str) -> None:
    readme = (ROOT / "README.md").read_text()
    assert embedded(readme, stack) == block(stack, mermaid(run_stack(stack))), (
        f"README's {stack} diagram is stale: run `python -m stacks diagram --all --readme README.md`")


def _with_outputs(plan: Plan, **outputs: object) -> Plan:
    return Plan(stack=plan.stack, project=plan.project, config={}, resources=[],
                outputs={**copy.deepcopy(plan.outputs), **outputs}, secret_outputs=[])


def test_prod_diagram_shows_domains_pools_and_replication_inside_domains() -> None:
    text = mermaid(run_stack("prod"))
    eu_pools = [line for line in text.splitlines() if line.strip().startswith("h_api_eu_agentic_example_com -->")]
    assert [line.split("| ")[1] for line in eu_pools] == ["alb_eu_west_1", "alb_eu_central_1"]
    assert "db_eu_eu_west_1 -.->|\"Aurora Global, S3 CRR\"| db_eu_eu_central_1" in text
    assert not any("db_eu_" in line and "us_east_1" in line for line in text.splitlines())
    assert 'subgraph r_eu_central_1["eu-central-1 (warm standby)"]' in text
    assert text == mermaid(run_stack("prod"))  # byte-identical from the same plan


def test_cells_exported_by_a_region_are_drawn_inside_it() -> None:
    plan = run_stack("dev")
    regional = copy.deepcopy(plan.outputs["regional"])
    regional["us-east-1"]["cells"] = {"chat": {}, "rag": {}}
    text = mermaid(_with_outputs(plan, regional=regional))
    assert 'cell_us_east_1_chat["cell chat"]' in text and 'cell_us_east_1_rag["cell rag"]' in text
    assert "cell_" not in mermaid(plan)


def test_update_readme_rewrites_blocks_and_names_missing_ones(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("intro\n" + block("dev", "old\n") + "\nend\n")
    missing = update_readme(readme, {"dev": "flowchart LR\n", "prod": "flowchart LR\n"})
    assert missing == ["prod"]
    assert embedded(readme.read_text(), "dev") == block("dev", "flowchart LR\n")
    assert readme.read_text().startswith("intro\n") and readme.read_text().endswith("\nend\n")
