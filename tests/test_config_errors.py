"""Bad config is refused with the full key path, the bad value and what is allowed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stacks.config import ConfigError, parse
from stacks.harness.run import stack_namespace as namespace

Mutator = Callable[[dict[str, Any]], None]


def refuse(stack: str, mutate: Mutator, aws_region: str | None = "keep") -> ConfigError:
    ns, region = namespace(stack)
    ns = copy.deepcopy(ns)
    mutate(ns)
    with pytest.raises(ConfigError) as info:
        parse(ns, stack=stack, aws_region=region if aws_region == "keep" else aws_region)
    return info.value


def setter(path: str, value: Any) -> Mutator:
    """Mutator setting `a.b[2].c` (no `agentic-platform:` prefix) to `value`."""

    def mutate(ns: dict[str, Any]) -> None:
        cur: Any = ns
        parts: list[str | int] = []
        for chunk in path.split("."):
            name, _, rest = chunk.partition("[")
            parts.append(name)
            if rest:
                parts.append(int(rest.rstrip("]")))
        for part in parts[:-1]:
            cur = cur.setdefault(part, {}) if isinstance(cur, dict) else cur[part]
        cur[parts[-1]] = value

    return mutate


def dropper(*keys: str) -> Mutator:
    """Mutator removing top-level keys (e.g. secrets the harness stood in)."""

    def mutate(ns: dict[str, Any]) -> None:
        for key in keys:
            ns.pop(key)

    return mutate


# (stack, mutation, expected key path, fragment of the message)
CASES: list[tuple[str, Mutator, str, str]] = [
    ("staging", setter("testing.dr_drill.region_switch_practice", {"enabled": True, "accept_data_loss": True}),
     "agentic-platform:testing.dr_drill.region_switch_practice.enabled", "set failover.region_switch: true"),
    ("prod", setter("testing.dr_drill.region_switch_practice.enabled", True),
     "agentic-platform:testing.dr_drill.region_switch_practice.accept_data_loss", "no practice mode"),
    ("prod", setter("testing.dr_drill.region_switch_practice",
                    {"enabled": True, "accept_data_loss": True, "schedule": "cron(0 23 ? * SUN *)"}),
     "agentic-platform:testing.dr_drill.region_switch_practice.schedule", "on one weekday (MON-FRI)"),
    ("prod", setter("database.proxy", False),
     "agentic-platform:database.proxy", "are Aurora Global databases whose secondaries are reached through"),
    ("dev", setter("database.proxy", True),
     "agentic-platform:database.serverless_min_acu", "0 (pause when idle) needs `database.proxy: false`"),
    ("prod", setter("network.standby_nat_gateways", "none"),
     "agentic-platform:network.standby_nat_gateways", "'single' or 'per_az'"),
    ("prod", setter("cluster.standby.api_replicas", 21),
     "agentic-platform:cluster.standby.api_replicas", "21 exceeds app.api.hpa.max_replicas 20"),
    ("prod", setter("cluster.standby.worker_replicas", 99),
     "agentic-platform:cluster.standby.worker_replicas", "99 exceeds app.worker.max_replicas"),
    ("prod", setter("cluster.standby.api_replicas", 0),
     "agentic-platform:cluster.standby.api_replicas", "greater than or equal to 1"),
    ("prod", setter("regions[1].name", "eu-west-7"),
     "agentic-platform:regions[1].name", "is not an AWS region"),
    ("prod", setter("regions[3].name", "us-east-1"),
     "agentic-platform:regions[3].name", "listed twice"),
    ("prod", setter("regions[1].cidr", "10.40.0.0/16"),
     "agentic-platform:regions[1].cidr", "overlaps regions[0].cidr"),
    ("prod", setter("regions[0].cidr", "10.40.0.0/20"),
     "agentic-platform:regions[0].cidr", "private IPv4 /16"),
    ("prod", setter("regions[0].cidr", "8.8.0.0/16"),
     "agentic-platform:regions[0].cidr", "private IPv4 /16"),
    ("prod", setter("regions[0].cidr", "not-a-cidr"),
     "agentic-platform:regions[0].cidr", "not a valid network"),
    ("prod", setter("data_domains[1].replicas", ["us-west-2"]),
     "agentic-platform:data_domains[1].replicas[0]", "not one of the stack's regions"),
    ("prod", setter("data_domains[1].replicas", ["ap-southeast-1"]),
     "agentic-platform:data_domains[1].replicas[0]", "outside residency 'eu'"),
    ("prod", setter("data_domains[0].primary", "sa-east-1"),
     "agentic-platform:data_domains[0].primary", "not one of the stack's regions"),
    ("prod", setter("data_domains[1].residency", "none"),
     "agentic-platform:data_domains[1].residency", "each residency maps to exactly one domain"),
    ("prod", setter("data_domains[1].residency", "mars"),
     "agentic-platform:data_domains[1].residency", "unknown residency 'mars'"),
    ("prod", setter("tenants[3].primary_region", "us-east-1"),
     "agentic-platform:tenants[3].primary_region", "tenant 'muller-eu': 'us-east-1' is outside its data domain 'eu'"),
    ("prod", setter("tenants[4].allowed_regions", ["eu-west-1", "ap-southeast-1"]),
     "agentic-platform:tenants[4].allowed_regions[1]", "tenant 'eurobank': 'ap-southeast-1' is outside"),
    ("prod", setter("tenants[2].data_residency", "ch"),
     "agentic-platform:tenants[2].data_residency", "tenant 'initech': no data domain has residency 'ch'"),
    ("prod", setter("tenants[1].id", "acme"),
     "agentic-platform:tenants[1].id", "tenant id 'acme' is already used by tenants[0]"),
    ("prod", setter("tenants[0].tier", "premium"),
     "agentic-platform:tenants[0].tier", "'shared', 'dedicated' or 'enterprise'"),
    ("prod", setter("tenants[0].id", "Acme_Corp"),
     "agentic-platform:tenants[0].id", "starting and ending with a letter or digit"),
    ("prod", setter("tenants[3].compliance_requirements", ["soc2"]),
     "agentic-platform:tenants[3].compliance_requirements", "EU-resident: list 'gdpr'"),
    ("prod", setter("tenants[0].compliance_requirements", ["pci"]),
     "agentic-platform:tenants[0].compliance_requirements[0]", "'gdpr', 'iso27001', 'soc2' or 'hipaa'"),
    ("prod", setter("data_domains[1].global_database", False),
     "agentic-platform:data_domains[1].global_database", "has replicas (eu-central-1)"),
    ("prod", lambda ns: ns["data_domains"][1].update(replicas=[], global_database=None),
     "agentic-platform:data_domains[1].global_database", "domain 'eu' is not global in prod"),
    ("prod", setter("database.instance_class", "db.t4g.medium"),
     "agentic-platform:database.instance_class", "burstable"),
    ("prod", setter("database.engine_version", "15.4"),
     "agentic-platform:database.engine_version", "use 16.x or newer"),
    ("prod", setter("app.api.hpa.min_replicas", 2),
     "agentic-platform:app.api.hpa.min_replicas", "too low for prod: at least 3"),
    ("prod", setter("app.api.replicas", 1),
     "agentic-platform:app.api.replicas", "too low for prod"),
    ("prod", setter("app.api.hpa.min_replicas", 30),
     "agentic-platform:app.api.hpa.min_replicas", "exceeds max_replicas 20"),
    ("prod", setter("cluster.node_groups.api.desired_size", 20),
     "agentic-platform:cluster.node_groups.api.desired_size", "desired_size 20 <= max_size 12"),
    ("prod", setter("cluster.node_groups.workers.min_size", 5),
     "agentic-platform:cluster.node_groups.workers.desired_size", "min_size 5 <= desired_size 1"),
    ("prod", setter("cluster.public_access_cidrs", ["0.0.0.0/0"]),
     "agentic-platform:cluster.public_access_cidrs", "expose the Kubernetes API"),
    ("prod", setter("global_traffic.monitor.interval_seconds", 15),
     "agentic-platform:global_traffic.monitor.interval_seconds", "30s exceeds the 20s target"),
    ("prod", setter("global_traffic.geo[0].regions", ["us-west-2"]),
     "agentic-platform:global_traffic.geo[0].regions[0]", "not one of the stack's regions"),
    ("prod", setter("global_traffic.zone_id", ""),
     "agentic-platform:global_traffic.zone_id", "required when global_traffic.enabled"),
    ("prod", setter("ingress.ssl_policy", "ELBSecurityPolicy-TLS13-1-0-2021-06"),
     "agentic-platform:ingress.ssl_policy", "does not offer TLS 1.3 with TLS 1.2 as the floor"),
    ("prod", setter("network.nat_gateways", "none"),
     "agentic-platform:network.nat_gateways", "'single' or 'per_az'"),
    ("prod", setter("clustr", {}),
     "agentic-platform:clustr", "unknown key"),
    ("prod", setter("cluster.node_groups.api.instance_type", "m7g.large"),
     "agentic-platform:cluster.node_groups.api.instance_type", "unknown key"),
    ("prod", setter("storage.log_expiration_days", 10),
     "agentic-platform:storage.log_expiration_days", "later than log_transition_days"),
    ("prod", setter("database.performance_insights_retention_days", 30),
     "agentic-platform:database.performance_insights_retention_days", "multiple of 31"),
    ("dev", setter("regions", []),
     "agentic-platform:regions", "needs at least one region"),
    ("dev", lambda ns: ns.pop("cluster"),
     "agentic-platform:cluster", "needs a `cluster` section"),
    ("dev", lambda ns: ns.pop("anthropic_api_key"),
     "agentic-platform:anthropic_api_key", "pulumi config set --secret agentic-platform:anthropic_api_key"),
    ("dev", lambda ns: ns["app"].pop("tag"),
     "agentic-platform:app.tag", "required but not set"),
    ("dev", setter("app.tag", "bad tag!"),
     "agentic-platform:app.tag", "must be an image tag"),
    ("dev", setter("app.vector_store", "pinecone"),
     "agentic-platform:pinecone_api_key", "pulumi config set --secret"),
    ("local", setter("regions", [{"name": "us-east-1", "cidr": "10.1.0.0/16"}]),
     "agentic-platform:regions", "runs on your kube context"),
    # Docker Hub / GHCR rules: the program stores their logins from these secrets, or takes one ARN.
    ("prod", lambda ns: ns.pop("dockerhub_access_token"),
     "agentic-platform:dockerhub_access_token",
     "`pulumi config set --secret agentic-platform:dockerhub_access_token <access token>`"),
    ("staging", dropper("github_username", "github_access_token"),
     "agentic-platform:delivery.registry.pull_through[4]",
     "'github' (ghcr.io) needs a credential: set `pulumi config set agentic-platform:github_username"),
    ("prod", setter("delivery.registry.upstream_credentials", {
        "docker-hub": "arn:aws:secretsmanager:us-east-1:111122223333:secret:ecr-pullthroughcache/docker-hub-AbC"}),
     "agentic-platform:delivery.registry.upstream_credentials.docker-hub",
     "ECR reads the secret only in the rule's own region"),
]


@pytest.mark.parametrize(("stack", "mutate", "path", "fragment"), CASES,
                         ids=[f"{c[0]}:{c[2].split(':', 1)[1]}" for c in CASES])
def test_bad_config_names_key_and_fix(stack: str, mutate: Mutator, path: str, fragment: str) -> None:
    err = refuse(stack, mutate)
    matching = [i for i in err.issues if i.path == path]
    assert matching, f"no issue at {path}; got: {[str(i) for i in err.issues]}"
    assert any(fragment in i.message for i in matching), [str(i) for i in matching]


def test_aws_region_outside_stack_regions() -> None:
    err = refuse("prod", lambda ns: None, aws_region="us-west-2")
    assert [str(i) for i in err.issues] == [
        "aws:region: 'us-west-2' is not one of the stack's regions "
        "(us-east-1, eu-west-1, ap-southeast-1, eu-central-1); set it to the primary region"
    ]


def test_all_issues_reported_at_once() -> None:
    def two_problems(ns: dict[str, Any]) -> None:
        ns["tenants"][1]["id"] = "acme"
        ns["app"]["api"]["replicas"] = 1

    err = refuse("prod", two_problems)
    paths = {i.path for i in err.issues}
    assert {"agentic-platform:tenants[1].id", "agentic-platform:app.api.replicas"} <= paths
    assert str(err).startswith("invalid stack configuration (")


def test_error_message_never_contains_a_secret_value() -> None:
    err = refuse("dev", setter("openai_api_key", {"not": "a string"}))
    assert "agentic-platform:openai_api_key" in str(err)
    assert "test-anthropic" not in str(err)


def test_config_error_is_a_clean_run_error() -> None:
    import pulumi

    err = refuse("dev", setter("regions", []))
    assert isinstance(err, pulumi.RunError)  # the engine prints it without a traceback
