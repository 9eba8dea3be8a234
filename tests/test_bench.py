"""The benchmark's arithmetic and attribution (the timings themselves are not asserted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stacks.bench.profiling import attribute, layer_of, profiled
from stacks.bench.provider_types import class_of, property_names
from stacks.bench.run import _row, summary
from stacks.bench.worker import synthetic_tenants
from stacks.config import parse
from stacks.harness.run import ROOT
from stacks.harness.run import stack_namespace as namespace

SDK = "/venv/lib/python3.11/site-packages/pulumi/output.py"
OWN = str(ROOT / "components" / "network.py")
HARNESS = str(ROOT / "stacks" / "harness" / "run.py")
STDLIB = "/usr/lib/python3.11/asyncio/events.py"
BUILTIN = "~"


def test_files_are_charged_to_their_layer() -> None:
    assert layer_of(SDK, ROOT) == "sdk"
    assert layer_of(OWN, ROOT) == "own"
    assert layer_of(str(ROOT / "app" / "workload.py"), ROOT) == "own"
    assert layer_of(str(ROOT / "__main__.py"), ROOT) == "own"
    assert layer_of(HARNESS, ROOT) == "harness"
    assert layer_of(str(ROOT / "stacks" / "bench" / "floor.py"), ROOT) == "harness"
    assert layer_of(STDLIB, ROOT) is None and layer_of(BUILTIN, ROOT) is None


def stat(tottime: float, callers: dict[tuple[str, int, str], tuple[int, int, float, float]]) -> tuple[Any, ...]:
    return (1, 1, tottime, tottime, callers)


def test_builtin_time_goes_to_its_callers_in_proportion() -> None:
    own, sdk, builtin = (OWN, 1, "build"), (SDK, 1, "serialize"), (BUILTIN, 0, "<isinstance>")
    stats = {
        own: stat(1.0, {}),
        sdk: stat(2.0, {}),
        builtin: stat(4.0, {own: (1, 1, 1.0, 1.0), sdk: (3, 3, 3.0, 3.0)}),
    }
    totals = attribute(stats, ROOT)
    assert round(totals["own"], 6) == 2.0  # 1 own + 1/4 of the builtin's 4 s
    assert round(totals["sdk"], 6) == 5.0  # 2 own + 3/4 of 4 s
    assert totals["python"] == 0.0


def test_time_with_no_classified_caller_within_two_levels_is_python() -> None:
    a, b, c = (STDLIB, 1, "a"), (STDLIB, 2, "b"), (STDLIB, 3, "c")
    stats = {a: stat(1.0, {b: (1, 1, 1.0, 1.0)}), b: stat(0.0, {c: (1, 1, 1.0, 1.0)}), c: stat(0.0, {})}
    assert attribute(stats, ROOT)["python"] == 1.0


def test_profiled_shares_sum_to_one_and_see_our_code() -> None:
    from components.cidr_plan import plan_subnets

    result, shares = profiled(lambda: [plan_subnets("10.40.0.0/16", 3) for _ in range(200)], ROOT)
    assert len(result) == 200
    assert abs(sum(shares.values()) - 1.0) < 1e-9
    assert shares["own"] > 0.5, shares


def test_row_ratio_is_per_registration_against_the_floor() -> None:
    run = {"resources": 90, "registrations": 100, "seconds": 0.3, "peak_mb": 300.04}
    floor = {"resources": 100, "registrations": 100, "seconds": 0.1, "peak_mb": 200.0}
    replay = {"resources": 90, "registrations": 100, "seconds": 0.25, "peak_mb": 250.0}
    row = _row("dev", run, floor, {"own": 0.01234, "sdk": 0.7}, replay)
    assert row["ms_per_resource"] == 3.0 and row["floor_ms_per_resource"] == 1.0 and row["ratio"] == 3.0
    assert row["replay_ms_per_resource"] == 2.5 and row["replay_ratio"] == 1.2
    assert row["replay_over_floor"] == 2.5
    assert row["own_share"] == 0.0123 and row["peak_mb"] == 300.0
    assert _row("dev", run, floor, {})["replay_ratio"] is None


def _without_nulls(value: Any) -> Any:
    """Inputs as the replay sends them: unknowns become null, and the SDK drops null properties."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@pytest.mark.parametrize("stack", ["local", "dev"])
def test_replay_floor_registers_the_same_graph_with_the_same_inputs(stack: str, tmp_path: Path) -> None:
    """Same URNs (type, name, parent chain), providers, dependencies and inputs: what is left
    between the program and its replay is the program's own work."""
    from stacks.bench.worker import REPLAY_FLOOR_PROGRAM, replay_entries
    from stacks.harness.run import run_program, run_stack

    plan = run_stack(stack)  # the session's shared plan: the replay is the run under test
    replay_file = tmp_path / "replay.json"
    replay_file.write_text(replay_entries(plan))
    replayed = run_program(stack, {"agentic-platform:floor_replay_file": str(replay_file)},
                           program=REPLAY_FLOOR_PROGRAM).by_urn()
    original = plan.by_urn()
    assert set(replayed) == set(original) and len(replayed) == len(plan.resources)
    for urn, r in original.items():
        again = replayed[urn]
        assert (again.custom, again.parent, again.provider) == (r.custom, r.parent, r.provider), urn
        assert sorted(again.options["dependsOn"]) == sorted(r.options["dependsOn"]), urn
        assert again.options["protect"] == r.options["protect"], urn
        assert _without_nulls(json.loads(json.dumps(r.inputs, default=lambda _: None))) == \
            _without_nulls(again.inputs), urn
    assert any(r.provider for r in original.values()) and any(r.options["dependsOn"] for r in original.values())


def test_replay_floor_records_a_stack_trace_like_a_provider_class() -> None:
    """A bare CustomResource gets no stack trace from the SDK; the replay must pay for one, as the
    program's provider classes and the trivial floor do."""
    source = (ROOT / "stacks" / "bench" / "replay_floor.py").read_text()
    assert "class Replayed(pulumi.CustomResource)" in source and "def __init__" in source


@pytest.mark.parametrize(("token", "cls", "at_least"), [
    ("aws:rds/cluster:Cluster", "pulumi_aws.rds.cluster.Cluster", 60),
    ("aws:ec2/vpc:Vpc", "pulumi_aws.ec2.vpc.Vpc", 20),
    ("kubernetes:networking.k8s.io/v1:Ingress", "pulumi_kubernetes.networking.v1.Ingress.Ingress", 5),
    ("kubernetes:core/v1:ConfigMap", "pulumi_kubernetes.core.v1.ConfigMap.ConfigMap", 5),
    ("kubernetes:helm.sh/v3:Release", "pulumi_kubernetes.helm.v3.Release.Release", 20),
    ("kubernetes:external-secrets.io/v1:ExternalSecret",
     "pulumi_kubernetes.apiextensions.CustomResource.CustomResource", 2),
    ("random:index/randomPassword:RandomPassword", "pulumi_random.random_password.RandomPassword", 10),
    ("cloudflare:index/loadBalancer:LoadBalancer", "pulumi_cloudflare.load_balancer.LoadBalancer", 10),
    ("pulumi:providers:aws", "pulumi_aws.provider.Provider", 1),
])
def test_type_tokens_map_to_their_provider_class(token: str, cls: str, at_least: int) -> None:
    found = class_of(token)
    assert found is not None and f"{found.__module__}.{found.__qualname__}" == cls
    names = property_names(token)
    assert len(names) >= at_least and "id" not in names and "urn" not in names


def test_our_components_have_no_provider_class() -> None:
    assert class_of("agentic:network:Network") is None and property_names("agentic:network:Network") == ()


def test_every_type_of_prod_maps_to_a_provider_class() -> None:
    from stacks.harness import run_stack

    missing = {r.type for r in run_stack("prod").custom_resources if class_of(r.type) is None}
    assert not missing, sorted(missing)


def test_summary_names_the_worst_case_memory_and_growth() -> None:
    def row(case: str, ratio: float, own: float, ms: float, mb: float) -> dict[str, Any]:
        return {"case": case, "ratio": ratio, "own_share": own, "sdk_share": 0.6, "ms_per_resource": ms,
                "peak_mb": mb}

    lines = summary([row("dev", 2.0, 0.01, 2.0, 300), row("prod+10 tenants", 3.0, 0.02, 2.5, 400),
                     row("prod+1000 tenants", 2.5, 0.005, 2.75, 990)])
    assert lines[0].startswith("worst ratio 3.00 (prod+10 tenants; target <= 1.3)")
    assert "at most 2.0% (prod+10 tenants)" in lines[0]
    assert lines[1] == "prod+1000 tenants: 990 MB (target < 1024 MB)"
    assert "x1.10" in lines[2]


def test_summary_judges_the_program_against_the_replay_floor() -> None:
    def row(case: str, ratio: float, replay_ratio: float, over: float) -> dict[str, Any]:
        return {"case": case, "ratio": ratio, "own_share": 0.01, "sdk_share": 0.6, "ms_per_resource": 1.0,
                "peak_mb": 400, "replay_ratio": replay_ratio, "replay_over_floor": over}

    met = summary([row("dev", 2.6, 1.2, 2.1), row("prod", 2.8, 1.25, 2.3)])
    assert met[1] == ("replay floor (the same resource graph and inputs, no program) / trivial floor: "
                      "2.10-2.30: the SDK's share no program can remove")
    assert met[2] == "program / replay floor (what the program adds): 1.20-1.25, worst prod (target <= 1.3: met)"
    missed = summary([row("dev", 2.6, 1.2, 2.1), row("staging", 2.8, 1.45, 2.0)])
    assert missed[2].endswith("worst staging (target <= 1.3: NOT met)")


def test_synthetic_catalog_is_a_valid_prod_config() -> None:
    ns, region = namespace("prod")
    ns = {**ns, "tenants": synthetic_tenants(30)}
    cfg = parse(ns, stack="prod", aws_region=region)
    tiers = [t.tier for t in cfg.tenants]
    assert len(tiers) == 30 and {"shared", "dedicated", "enterprise"} <= set(tiers)
    assert sum(t.data_residency == "eu" for t in cfg.tenants) == 10


def test_worker_paths_exist() -> None:
    from stacks.bench.worker import FLOOR_PROGRAM, MAIN_PROGRAM, REPLAY_FLOOR_PROGRAM

    assert all(Path(p).is_file() for p in (FLOOR_PROGRAM, MAIN_PROGRAM, REPLAY_FLOOR_PROGRAM))


def test_a_case_times_the_program_and_both_floors_in_one_process() -> None:
    from stacks.bench.worker import measure_case
    from stacks.harness.run import run_stack

    case = measure_case("local", None, max_rounds=1)
    assert set(case["seconds"]) == {"program", "floor", "replay"}
    assert all(0 < s < 60 for s in case["seconds"].values())
    plan = run_stack("local")
    assert (case["registrations"], case["resources"]) == (len(plan.resources), len(plan.custom_resources))
    assert case["rounds"] == 1 and case["peak_mb"] > 0
