"""The platform workload as each stack builds it (local, dev, prod), read from the recorded plan.

Every Kubernetes object is also checked against the Kubernetes OpenAPI schema of the stack's
cluster version from `kubernetes_validate` (strict: unknown fields fail; tests/k8s_schema.py).
Custom resources of add-ons (External Secrets, KEDA, Prometheus operator, VPA, Karpenter) have no schema there and
are skipped by API group, explicitly; anything else without a schema fails the test.
"""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import pytest
from kubernetes_validate.utils import SchemaNotFoundError

from app.config_maps import SECRET_ENV_NAMES
from app.names import PLATFORM_NAMESPACES
from stacks.cells import cell_plan
from stacks.dr.report import platform_config
from stacks.harness import Plan, PlannedResource, run_stack
from stacks.harness.mocks import ACCOUNT_ID
from stacks.harness.run import TEST_SECRET_PREFIX, stack_config
from tests import k8s_schema

STACKS = ("local", "dev", "prod")
NS = "agentic-platform:"
CRD_GROUPS = ("external-secrets.io/", "keda.sh/", "monitoring.coreos.com/", "autoscaling.k8s.io/",
              "karpenter.sh/", "karpenter.k8s.aws/", "security.istio.io/", "networking.istio.io/",
              "gateway.networking.k8s.io/",
              "argoproj.io/")
"""API groups of add-on CRDs the Kubernetes schema does not know (validated by their operators)."""
DEPLOY = "kubernetes:apps/v1:Deployment"
JOB = "kubernetes:batch/v1:Job"


@pytest.fixture(scope="module", params=STACKS)
def plan(request: pytest.FixtureRequest) -> Plan:
    return run_stack(request.param)


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {s: run_stack(s) for s in STACKS}


def app_config(stack: str) -> dict[str, Any]:
    return stack_config(stack)[f"{NS}app"]


def k8s_objects(plan: Plan) -> list[PlannedResource]:
    return [r for r in plan.resources
            if r.custom and r.type.startswith("kubernetes:") and not r.type.startswith("kubernetes:helm.sh/")]


def named(plan: Plan, typ: str, name: str) -> list[PlannedResource]:
    return [r for r in plan.of_type(typ) if r.get("metadata.name") == name]


def pod_specs(plan: Plan) -> list[tuple[PlannedResource, dict[str, Any]]]:
    """Pod templates of the platform's workloads (Deployments, Jobs, StatefulSets)."""
    out = []
    for r in plan.of_type(DEPLOY, JOB, "kubernetes:apps/v1:StatefulSet"):
        if r.get("metadata.namespace") in PLATFORM_NAMESPACES or str(r.get("metadata.namespace")).startswith(
                "platform-"):
            out.append((r, r.get("spec.template.spec")))
    return out


def normalise(value: Any) -> Any:
    """The engine's wire format has no integers: 8000 arrives as 8000.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def cluster_version(plan: Plan) -> str:
    cluster = stack_config(plan.stack).get(f"{NS}cluster") or {}
    return str(cluster.get("version", "1.36"))


# --- deployment strategy and probes (deployment guide, verbatim) ---------------------------------

@pytest.mark.parametrize("component", ["api", "worker"])
def test_probes_are_exactly_the_guides(plan: Plan, component: str) -> None:
    for dep in named(plan, DEPLOY, component):
        c = dep.get("spec.template.spec.containers.0")
        assert c["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": 8000}
        assert (c["livenessProbe"]["initialDelaySeconds"], c["livenessProbe"]["periodSeconds"]) == (30, 10)
        assert c["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": 8000}
        assert (c["readinessProbe"]["initialDelaySeconds"], c["readinessProbe"]["periodSeconds"]) == (10, 5)
        assert c["startupProbe"]["httpGet"]["path"] == "/health/live"
        assert c["startupProbe"]["failureThreshold"] * c["startupProbe"]["periodSeconds"] >= 60


@pytest.mark.parametrize("component", ["api", "worker"])
def test_rolling_update_is_25_25_with_requests_limits_and_tagged_image(plan: Plan, component: str) -> None:
    deps = named(plan, DEPLOY, component)
    assert deps, f"no {component} Deployment in {plan.stack}"
    app = app_config(plan.stack)
    for dep in deps:
        assert dep.get("spec.strategy") == {"type": "RollingUpdate",
                                            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
        c = dep.get("spec.template.spec.containers.0")
        # Cloud stacks pull the app from their region's ECR repository; local from `app.image`;
        # staging/prod pin the digest (config-validated), the tag stays for readers.
        repo = (app.get("image", "ghcr.io/example/agentic-platform") if plan.stack == "local" else
                f"{ACCOUNT_ID}.dkr.ecr.{dep.region}.amazonaws.com/agentic-platform")
        ref = f"{repo}:{app['tag']}"
        assert c["image"] == (f"{ref}@{app['digest']}" if app.get("digest") else ref)
        assert set(c["resources"]["requests"]) == {"cpu", "memory"}
        assert set(c["resources"]["limits"]) == {"cpu", "memory"}
        assert dep.get("spec.template.spec.serviceAccountName") == component


def api_pods_owner(plan: Plan) -> list[PlannedResource]:
    """What runs the api pods: the Argo Rollout on EKS stacks (the Deployment is its 0-replica
    template, app/rollout.py), the Deployment on `local`."""
    return named(plan, "kubernetes:argoproj.io/v1alpha1:Rollout", "api") or named(plan, DEPLOY, "api")


def test_api_replicas_follow_config_and_prod_runs_at_least_three(plans: dict[str, Plan]) -> None:
    """In active regions; a warm standby runs its own floor (test_standby_region_runs_...)."""
    for stack, plan in plans.items():
        want = app_config(stack)["api"]["replicas"]
        for dep in api_pods_owner(plan):
            assert "spec.replicas" in dep.options["ignoreChanges"], "the HPA owns replicas after creation"
            if dep.region not in standby_regions(stack):
                assert dep.get("spec.replicas") == want
    assert all(d.get("spec.replicas") >= 3 for d in api_pods_owner(plans["prod"])
               if d.region not in standby_regions("prod"))
    assert len(api_pods_owner(plans["prod"])) == 5, "one api per prod cell (eu-west-1 has two)"


def test_worker_grace_period_lets_a_job_finish(plan: Plan) -> None:
    app = app_config(plan.stack)
    want = app.get("worker", {}).get("termination_grace_seconds", 600)
    for dep in named(plan, DEPLOY, "worker"):
        assert dep.get("spec.template.spec.terminationGracePeriodSeconds") == want
    for dep in named(plan, DEPLOY, "api"):
        assert dep.get("spec.template.spec.containers.0.lifecycle.preStop.sleep.seconds") > 0


def test_pods_spread_across_zones(plan: Plan) -> None:
    for dep in plan.of_type(DEPLOY):
        if dep.get("metadata.namespace") != "platform-core":
            continue
        keys = [t["topologyKey"] for t in dep.get("spec.template.spec.topologySpreadConstraints")]
        assert "topology.kubernetes.io/zone" in keys
    if plan.stack == "prod":
        api = [d for d in named(plan, DEPLOY, "api") if "eu-central-1" not in d.name]
        assert all(d.get("spec.template.spec.topologySpreadConstraints.0.whenUnsatisfiable") == "DoNotSchedule"
                   for d in api)


# --- security contexts ------------------------------------------------------------------------

def test_every_platform_pod_is_restricted(plan: Plan) -> None:
    found = pod_specs(plan)
    assert found
    for res, spec in found:
        psc = spec["securityContext"]
        assert psc["runAsNonRoot"] is True, res.name
        assert psc["seccompProfile"] == {"type": "RuntimeDefault"}, res.name
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["runAsNonRoot"] is True, res.name
            assert sc["readOnlyRootFilesystem"] is True, res.name
            assert sc["allowPrivilegeEscalation"] is False, res.name
            assert sc["capabilities"] == {"drop": ["ALL"]}, res.name
            mounts = {m["mountPath"] for m in c["volumeMounts"]}
            assert "/tmp" in mounts, f"{res.name}: a read-only root needs a writable /tmp"


def test_platform_namespaces_enforce_restricted(plan: Plan) -> None:
    names = {r.get("metadata.name"): r for r in plan.of_type("kubernetes:core/v1:Namespace")}
    for ns in PLATFORM_NAMESPACES:
        labels = names[ns].get("metadata.labels")
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_service_accounts_are_dedicated_and_bound_to_roles_on_aws(plan: Plan) -> None:
    sas = {r.get("metadata.name") for r in plan.of_type("kubernetes:core/v1:ServiceAccount")
           if r.get("metadata.namespace") == "platform-core"}
    assert {"api", "worker", "platform-jobs"} <= sas
    if plan.stack == "local":
        return
    assocs = {(r.get("namespace"), r.get("serviceAccount"), r.region)
              for r in plan.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")}
    for dep in plan.of_type(DEPLOY):
        if dep.get("metadata.namespace") != "platform-core":
            continue
        sa = dep.get("spec.template.spec.serviceAccountName")
        assert ("platform-core", sa, dep.region) in assocs, f"{dep.name}: no Pod Identity association"
        assert dep.get("spec.template.metadata.annotations")["agentic.io/iam-role-arn"].startswith("arn:aws:iam::")
    jobs = [j for j in plan.of_type(JOB) if j.get("metadata.namespace") == "platform-core"]
    assert jobs
    for job in jobs:  # the Jobs' own role (migration user only), by Pod Identity
        assert job.get("spec.template.spec.automountServiceAccountToken") is True
        assert ("platform-core", "platform-jobs", job.region) in assocs, job.name


def test_workload_roles_reach_only_the_uploads_bucket_and_env_secrets(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    policies = [r for r in plan.of_type("aws:iam/rolePolicy:RolePolicy") if "-workload-" in r.name]
    assert len(policies) == 12, "api + worker in each of the five cells, jobs in the two writer cells"
    for pol in policies:
        region = next(r for r in plan.outputs["regional"] if pol.name.startswith(f"prod-{r}-"))
        doc = json.loads(pol.get("policy"))
        for st in doc["Statement"]:
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            assert "*" not in resources
            if any(a.startswith("secretsmanager:") for a in st["Action"]):
                assert all(":secret:agentic-platform/prod/" in r for r in resources)
                assert all(f":{region}:" in r for r in resources), "only this region's secrets"
            if st["Action"] == "rds-db:connect":
                users = sorted(r.rsplit("/", 1)[1] for r in resources)
                assert all(r.startswith(f"arn:aws:rds-db:{region}:") and ":dbuser:prx-" in r for r in resources)
                want = ["agentic_migrate"] if pol.name.endswith("-jobs-policy") else ["agentic_app",
                                                                                      "agentic_readonly"]
                assert users == want, pol.name
        if pol.name.endswith("-jobs-policy"):
            assert [st["Action"] for st in doc["Statement"]] == ["rds-db:connect"], "Jobs: the database only"


# --- configuration and secrets ------------------------------------------------------------------

def test_no_configmap_carries_a_secret(plan: Plan) -> None:
    cms = plan.of_type("kubernetes:core/v1:ConfigMap")
    assert any(r.get("metadata.name") == "app-settings" for r in cms)
    for cm in cms:
        assert not cm.secret_paths, f"{cm.name}: secret-marked inputs {cm.secret_paths}"
        data = cm.get("data") or {}
        for key, value in data.items():
            assert key not in SECRET_ENV_NAMES, f"{cm.name}: {key}"
            assert TEST_SECRET_PREFIX not in str(value), f"{cm.name}: {key} holds a secret value"
            assert "test-anthropic" not in str(value) and "test-openai" not in str(value)


def test_app_settings_hold_the_guides_settings(plan: Plan) -> None:
    for cm in plan.of_type("kubernetes:core/v1:ConfigMap"):
        if cm.get("metadata.name") == "app-settings":
            data = cm.get("data")
            assert {"API_VERSION", "LOG_LEVEL", "MCP_SERVER_PATH"} <= set(data)
            assert data["LOG_LEVEL"] == app_config(plan.stack).get("log_level", "info")
            if plan.stack != "local":
                domain = data["DATA_DOMAIN"]
                assert data["UPLOADS_BUCKET"] == plan.outputs["data_domains"][domain]["buckets"][cm.region]
                assert data["AWS_REGION"] == cm.region


def test_pods_read_secrets_only_as_files_of_the_app_secret(plan: Plan) -> None:
    """Secrets reach containers as read-only files, never as environment variables."""
    seen = 0
    for res, spec in pod_specs(plan):
        if not str(res.get("metadata.namespace")).startswith("platform-"):
            continue
        seen += 1
        c = spec["containers"][0]
        assert c["envFrom"] == [{"configMapRef": {"name": "app-settings"}}], res.name
        for env in c.get("env") or []:
            assert env["name"] not in SECRET_ENV_NAMES, f"{res.name}: {env['name']} inlined"
            assert "secretKeyRef" not in (env.get("valueFrom") or {}), f"{res.name}: {env['name']} from a secret"
        vol = next(v for v in spec["volumes"] if v["name"] == "secrets")
        assert vol["secret"] == {"secretName": "platform-secrets", "defaultMode": 0o440}
        mount = next(m for m in c["volumeMounts"] if m["name"] == "secrets")
        assert mount == {"name": "secrets", "mountPath": "/var/run/secrets/agentic", "readOnly": True}
        assert {"name": "SECRETS_DIR", "value": "/var/run/secrets/agentic"} in c["env"]
    assert seen >= 4, "api, worker and both Jobs"


def test_no_pod_input_carries_a_database_password(plans: dict[str, Plan]) -> None:
    """On AWS stacks nothing a pod can read holds a database credential: no DATABASE_URL secret,
    the app's settings name the IAM-authenticated endpoint and user, the Jobs connect as the
    migration user with their own role."""
    for stack in ("dev", "prod"):
        plan = plans[stack]
        for es in plan.of_type("kubernetes:external-secrets.io/v1:ExternalSecret"):
            if str(es.get("metadata.namespace")).startswith("db-bootstrap-"):
                continue  # the one namespace that reads the master credential (test_db_identity.py)
            for d in es.get("spec.data") or []:
                assert "DATABASE" not in d["secretKey"] and "/db/" not in str(d["remoteRef"]["key"]), es.name
        for cm in named(plan, "kubernetes:core/v1:ConfigMap", "app-settings"):
            data = cm.get("data")
            assert data["DATABASE_AUTH"] == "iam" and data["DATABASE_USER"] == "agentic_app"
            assert data["DATABASE_READ_USER"] == "agentic_readonly"
            if stack == "dev":  # database.proxy: false - IAM auth straight to the (pausable) cluster
                assert ".cluster-" in data["DATABASE_HOST"] and ".cluster-ro-" in data["DATABASE_READ_HOST"]
                assert all(c.get("iamDatabaseAuthenticationEnabled") is True
                           for c in plan.of_type("aws:rds/cluster:Cluster"))
                continue
            assert ".proxy-" in data["DATABASE_HOST"] and ".proxy-" in data["DATABASE_READ_HOST"]
            if stack == "prod":  # readers: the proxy's read-only endpoint
                assert ".endpoint.proxy-" in data["DATABASE_READ_HOST"]
        for job in plan.of_type(JOB):
            if job.get("metadata.namespace", "").startswith("platform-"):
                env = job.get("spec.template.spec.containers.0.env")
                assert {"name": "DATABASE_USER", "value": "agentic_migrate"} in env, job.name
                assert job.get("spec.template.spec.automountServiceAccountToken") is True


def test_external_secrets_map_every_app_secret_on_aws(plans: dict[str, Plan]) -> None:
    for stack in ("dev", "prod"):
        plan = plans[stack]
        externals = [e for e in plan.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
                     if e.get("metadata.namespace") == "platform-core"]
        assert len(externals) == len(stack_config(stack)[f"{NS}regions"])
        eso_releases = {r.urn for r in plan.of_type("kubernetes:helm.sh/v3:Release")
                        if r.name.endswith("external-secrets")}
        for es in externals:
            keys = {d["secretKey"] for d in es.get("spec.data")}
            assert {"REDIS_URL", "SECRET_KEY", "JWT_SECRET", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"} <= keys
            assert not any(k.startswith("PINECONE") for k in keys), "pgvector stacks need no Pinecone keys"
            for d in es.get("spec.data"):
                assert d["remoteRef"]["key"].startswith(f"arn:aws:secretsmanager:{es.region}:")
            assert set(es.options["dependsOn"]) & eso_releases, "must wait for the External Secrets operator"
            assert es.get("spec.secretStoreRef") == {"name": "aws-secrets-manager", "kind": "SecretStore"}


def test_local_secrets_are_plain_secrets_built_from_pulumi_secrets(plans: dict[str, Plan]) -> None:
    plan = plans["local"]
    secret = next(r for r in plan.of_type("kubernetes:core/v1:Secret") if r.get("metadata.name") == "platform-secrets")
    assert "stringData" in secret.secret_paths, "values must travel as Pulumi secrets"
    data = secret.get("stringData")
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SECRET", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"} <= set(data)
    assert data["ANTHROPIC_API_KEY"] == TEST_SECRET_PREFIX + "anthropic_api_key", "from the stack's secret config"
    assert data["DATABASE_URL"].startswith("postgresql://agentic:")
    assert data["DATABASE_URL"].endswith("@postgres.shared-services.svc.cluster.local:5432/agentic")
    assert not plan.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")


def test_no_secret_value_in_stack_outputs(plan: Plan) -> None:
    text = json.dumps(plan.outputs, default=str)
    assert TEST_SECRET_PREFIX not in text
    assert "postgresql://" not in text and "rediss://" not in text and "redis://:" not in text


# --- migration and bootstrap ---------------------------------------------------------------------

def test_deployments_wait_for_the_migration_job_of_their_tag(plan: Plan) -> None:
    tag = app_config(plan.stack)["tag"]
    jobs = {r.urn: r for r in plan.of_type(JOB) if r.get("spec.template.spec.containers.0.command") ==
            ["alembic", "upgrade", "head"]}
    assert jobs
    for job in jobs.values():
        assert job.get("metadata.name") == "migrate-" + tag.lower().replace(".", "-")
    migrating = {(j.region, j.get("metadata.namespace")) for j in jobs.values()}
    for dep in plan.of_type(DEPLOY):
        if (dep.region, dep.get("metadata.namespace")) in migrating:
            assert set(dep.options["dependsOn"]) & set(jobs), f"{dep.name} does not wait for the migration Job"
    admin = [r for r in plan.of_type(JOB) if r.get("spec.template.spec.containers.0.command") ==
             ["python", "scripts/create_admin.py"]]
    assert len(admin) == len(jobs)
    assert all(set(a.options["dependsOn"]) & set(jobs) for a in admin)


# --- ingress, services ----------------------------------------------------------------------------

def test_ingress_on_aws_and_port_forward_locally(plans: dict[str, Plan]) -> None:
    assert not plans["local"].of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert "port-forward svc/api" in plans["local"].outputs["api_port_forward"]
    for stack in ("dev", "prod"):
        plan = plans[stack]
        lbc = {r.urn for r in plan.of_type("kubernetes:helm.sh/v3:Release") if "load-balancer" in r.name}
        ingresses = plan.of_type("kubernetes:networking.k8s.io/v1:Ingress")
        cells = len(stack_config(stack)[f"{NS}regions"]) + (1 if stack == "prod" else 0)  # eu-west-1: two
        assert len(ingresses) == cells
        for ing in ingresses:
            ann = ing.get("metadata.annotations")
            assert ann["alb.ingress.kubernetes.io/certificate-arn"].startswith(f"arn:aws:acm:{ing.region}:")
            assert ann["alb.ingress.kubernetes.io/ssl-policy"].startswith("ELBSecurityPolicy-TLS13")
            assert "173.245.48.0/20" in ann["alb.ingress.kubernetes.io/inbound-cidrs"]
            assert "0.0.0.0/0" not in ann["alb.ingress.kubernetes.io/inbound-cidrs"]
            assert set(ing.options["dependsOn"]) & lbc, "Ingress must wait for the LB controller webhook (C28)"
            attrs = ann["alb.ingress.kubernetes.io/load-balancer-attributes"].split(",")
            assert "access_logs.s3.enabled=true" in attrs
            assert f"deletion_protection.enabled={'true' if stack == 'prod' else 'false'}" in attrs
        for region, out in plan.outputs["regional"].items():
            assert str(out["ingress_hostname"]).endswith(f"{region}.elb.amazonaws.com")
        certs = plan.of_type("aws:acm/certificate:Certificate")
        assert {c.region for c in certs} == set(plan.outputs["regional"])
        assert all(c.get("validationMethod") == "DNS" for c in certs)


# --- autoscaling ------------------------------------------------------------------------------------

def standby_regions(stack: str) -> set[str]:
    return {r["name"] for r in stack_config(stack).get("agentic-platform:regions") or [] if r.get("standby")}


SCALED = "kubernetes:keda.sh/v1alpha1:ScaledObject"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def test_api_scaling_numbers_come_from_config(plan: Plan) -> None:
    """EKS stacks: one KEDA ScaledObject (CPU, memory, request rate) owns the api's HPA; local
    (no KEDA): a CPU + memory HPA. Never both on one Deployment: two HPAs would fight."""
    hpa_cfg = app_config(plan.stack)["api"]["hpa"]
    hpas = [h for h in plan.of_type(HPA) if h.region not in standby_regions(plan.stack)]
    scaled = [s for s in named(plan, SCALED, "api") if s.region not in standby_regions(plan.stack)]
    if plan.stack == "local":
        assert hpas and not scaled
        for hpa in hpas:
            assert hpa.get("spec.minReplicas") == hpa_cfg["min_replicas"]
            assert hpa.get("spec.maxReplicas") == hpa_cfg["max_replicas"]
            targets = {m["resource"]["name"]: m["resource"]["target"] for m in hpa.get("spec.metrics")}
            assert targets["cpu"] == {"type": "Utilization", "averageUtilization": hpa_cfg["cpu_percent"]}
            assert targets["memory"] == {"type": "Utilization", "averageUtilization": hpa_cfg["memory_percent"]}
        return
    assert scaled and not plan.of_type(HPA)
    rps = hpa_cfg.get("requests_per_second", 50)
    for so in scaled:
        assert so.get("spec.minReplicaCount") == hpa_cfg["min_replicas"]
        assert so.get("spec.maxReplicaCount") == hpa_cfg["max_replicas"]
        triggers = {t["type"]: t for t in so.get("spec.triggers")}
        assert triggers["cpu"]["metadata"]["value"] == str(hpa_cfg["cpu_percent"])
        assert triggers["memory"]["metadata"]["value"] == str(hpa_cfg["memory_percent"])
        prom = triggers["prometheus"]
        assert prom["metricType"] == "AverageValue" and prom["metadata"]["threshold"] == str(rps)
        assert prom["metadata"]["serverAddress"] == "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
        # each cell scales on its own namespace's requests
        assert f'agentic_http_requests_total{{namespace="{so.get("metadata.namespace")}"}}' in prom["metadata"]["query"]
        assert so.get("spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds") \
            == 300
    if plan.stack == "prod":
        assert {(s.get("spec.minReplicaCount"), s.get("spec.maxReplicaCount")) for s in scaled} == {(3, 20)}


def test_keda_reaches_prometheus_through_the_monitoring_network_policy(plan: Plan) -> None:
    if plan.stack == "local":
        return
    policies = [p for p in named(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "allow-keda-to-prometheus")]
    # one per cluster (Prometheus is per region), however many cells scale on it
    assert sorted(str(p.region) for p in policies) == sorted({str(s.region) for s in named(plan, SCALED, "api")})
    rule = policies[0].get("spec.ingress.0")
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}}]
    assert rule["ports"] == [{"port": 9090, "protocol": "TCP"}]


def test_worker_scales_on_queue_length_with_keda_on_aws(plan: Plan) -> None:
    scaled = named(plan, SCALED, "worker")
    if plan.stack == "local":
        assert not plan.of_type(SCALED), "no KEDA on a laptop cluster"
        return
    worker = app_config(plan.stack)["worker"]
    assert len(scaled) == len(named(plan, DEPLOY, "worker"))
    for so in [so for so in scaled if so.region not in standby_regions(plan.stack)]:
        trig = so.get("spec.triggers.0")
        assert trig["type"] == "redis"
        # each cell its own list: the global cell beside the EU one in eu-west-1 never takes EU jobs
        assert trig["metadata"]["listName"] in ("agent-jobs", "agent-jobs-global")
        assert trig["metadata"]["enableTLS"] == "true"
        assert ".cache.amazonaws.com:6379" in trig["metadata"]["address"]
        assert so.get("spec.maxReplicaCount") == worker["max_replicas"]
        assert so.get("spec.minReplicaCount") == worker["replicas"]
        assert trig["authenticationRef"] == {"name": "worker-queue"}


def test_standby_region_runs_the_standby_floors_under_the_active_maxima() -> None:
    """eu-central-1 (warm standby) runs one api and its workers at their floor (0 in prod); the maxima
    stay, so it scales up by itself when traffic arrives, and its budgets never block a drain."""
    plan = run_stack("prod")
    app = app_config("prod")
    assert standby_regions("prod") == {"eu-central-1"}

    def in_region(typ: str, name: str, region: str) -> PlannedResource:
        return next(r for r in named(plan, typ, name) if r.region == region)

    standby = stack_config("prod")[f"{NS}cluster"]["standby"]
    for region, (api, worker) in {"eu-central-1": (standby["api_replicas"], standby["worker_replicas"]),
                                  "eu-west-1": (3, app["worker"]["replicas"])}.items():
        api_so = in_region(SCALED, "api", region)
        assert (api_so.get("spec.minReplicaCount"), api_so.get("spec.maxReplicaCount")) == (
            api, app["api"]["hpa"]["max_replicas"])
        assert api_so.get("spec.scaleTargetRef.kind") == "Rollout"
        assert in_region("kubernetes:argoproj.io/v1alpha1:Rollout", "api", region).get("spec.replicas") == api
        assert in_region(DEPLOY, "api", region).get("spec.replicas") == 0
        assert in_region(DEPLOY, "worker", region).get("spec.replicas") == worker
        scaled = in_region("kubernetes:keda.sh/v1alpha1:ScaledObject", "worker", region)
        assert (scaled.get("spec.minReplicaCount"), scaled.get("spec.maxReplicaCount")) == (
            worker, app["worker"]["max_replicas"])
    for name in ("api", "worker"):
        pdb = in_region("kubernetes:policy/v1:PodDisruptionBudget", name, "eu-central-1")
        assert pdb.get("spec.maxUnavailable") == 1 and pdb.get("spec.minAvailable") is None


def test_disruption_budgets_and_recommendation_only_vpa(plan: Plan) -> None:
    pdbs = {r.get("metadata.name") for r in plan.of_type("kubernetes:policy/v1:PodDisruptionBudget")
            if r.get("metadata.namespace") == "platform-core"}
    assert {"api", "worker"} <= pdbs
    vpas = plan.of_type("kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler")
    if plan.stack == "local":
        assert not vpas
        return
    assert {v.get("spec.targetRef.name") for v in vpas} == {"api", "worker"}
    assert all(v.get("spec.updatePolicy.updateMode") == "Off" for v in vpas)


def test_service_monitors_for_api_and_worker_on_aws(plan: Plan) -> None:
    sms = plan.of_type("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
    if plan.stack == "local":
        assert not sms
        return
    assert {s.get("metadata.name") for s in sms if s.get("metadata.namespace") == "platform-core"} == {"api", "worker"}


# --- network policies ---------------------------------------------------------------------------------

def test_every_platform_namespace_has_a_default_deny(plan: Plan) -> None:
    policies = plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    namespaces = [r for r in plan.of_type("kubernetes:core/v1:Namespace")
                  if r.get("metadata.name") in PLATFORM_NAMESPACES]
    assert namespaces
    for ns in namespaces:
        deny = [p for p in policies if p.get("metadata.namespace") == ns.get("metadata.name")
                and p.provider == ns.provider and not p.get("spec.podSelector.matchLabels")
                and sorted(p.get("spec.policyTypes")) == ["Egress", "Ingress"]
                and not p.get("spec.ingress") and not p.get("spec.egress")]
        assert len(deny) == 1, f"{ns.name}: default deny missing"


def test_allows_are_the_documented_flows(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    cidrs = {r["name"]: r["cidr"] for r in stack_config("prod")[f"{NS}regions"]}
    for pol in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"):
        name = pol.get("metadata.name")
        if name == "allow-ingress-to-api":
            rule = pol.get("spec.ingress.0")
            assert rule["from"] == [{"ipBlock": {"cidr": cidrs[pol.region]}}]
            assert rule["ports"] == [{"port": 8000, "protocol": "TCP"}]
        if name == "allow-platform-egress":
            rules = pol.get("spec.egress")
            ports = {(p["port"], json.dumps(r["to"], sort_keys=True)) for r in rules for p in r["ports"]}
            assert any(p == 53 for p, _ in ports)
            in_vpc = json.dumps([{"ipBlock": {"cidr": cidrs[pol.region]}}], sort_keys=True)
            assert {(5432, in_vpc), (6379, in_vpc)} <= ports
            public = [r for r in rules if r["to"][0].get("ipBlock", {}).get("cidr") == "0.0.0.0/0"]
            assert len(public) == 1 and public[0]["ports"] == [{"port": 443, "protocol": "TCP"}]
            assert "10.0.0.0/8" in public[0]["to"][0]["ipBlock"]["except"]
            monitoring = json.dumps([{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "monitoring"}}}], sort_keys=True)
            assert (4317, monitoring) in ports, "traces to the OTel collector"


# --- local stack ------------------------------------------------------------------------------------

def test_local_has_no_aws_resource_and_runs_stores_in_cluster(plans: dict[str, Plan]) -> None:
    plan = plans["local"]
    assert not [r for r in plan.resources if r.type.startswith("aws:") or r.type == "pulumi:providers:aws"]
    sts = {r.get("metadata.name"): r for r in plan.of_type("kubernetes:apps/v1:StatefulSet")}
    assert set(sts) == {"postgres", "redis"}
    assert sts["postgres"].get("spec.template.spec.containers.0.image") == "pgvector/pgvector:0.8.0-pg16"
    for s in sts.values():
        assert s.get("metadata.namespace") == "shared-services"
        assert s.get("spec.volumeClaimTemplates.0.spec.resources.requests.storage")
    migrate = next(r for r in plan.of_type(JOB) if r.get("metadata.name", "").startswith("migrate-"))
    assert {s.urn for s in sts.values()} <= set(migrate.options["dependsOn"]), "migrate after the stores are up"
    providers = plan.of_type("pulumi:providers:kubernetes")
    assert len(providers) == 1 and not providers[0].get("kubeconfig")


# --- schema validation ---------------------------------------------------------------------------------

def test_every_kubernetes_object_validates_against_the_cluster_schema(plan: Plan) -> None:
    version = cluster_version(plan)
    checked = skipped = 0
    for res in k8s_objects(plan):
        manifest = normalise({k: v for k, v in res.inputs.items()})
        if manifest["apiVersion"].startswith(CRD_GROUPS):
            skipped += 1
            continue
        try:
            k8s_schema.validate(manifest, version)
        except SchemaNotFoundError:
            pytest.fail(f"{res.type} {res.name}: no schema in Kubernetes {version} and not a known add-on CRD")
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{res.type} {res.name}: {exc.message} at {list(exc.path)}")
        checked += 1
    assert checked >= 20
    assert plan.stack == "local" or skipped > 0


def test_schema_validation_catches_a_misspelt_field(plans: dict[str, Plan]) -> None:
    dep = normalise(named(plans["dev"], DEPLOY, "api")[0].inputs)
    dep["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = dep["spec"]["template"]["spec"][
        "containers"][0].pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        k8s_schema.validate(dep, "1.36")


def test_platform_namespaces_join_the_ambient_mesh_only_when_it_is_on(plans: dict[str, Plan]) -> None:
    for stack, meshed in (("dev", False), ("prod", True)):
        patched = {p.get("metadata.name") for p in plans[stack].of_type("kubernetes:core/v1:NamespacePatch")
                   if (p.get("metadata.labels") or {}).get("istio.io/dataplane-mode") == "ambient"}
        cells = {c.namespace for c in cell_plan(platform_config(plans[stack]))}
        assert (patched >= {*PLATFORM_NAMESPACES, *cells}) is meshed, stack
        for job in plans[stack].of_type(JOB):
            # Ambient mode injects nothing into pods: Jobs complete, no opt-out annotation needed.
            annotations = job.get("spec.template.metadata.annotations") or {}
            assert not [k for k in annotations if "inject" in k], job.name


def test_local_pinecone_keys_and_kube_context_from_config() -> None:
    app = dict(app_config("local"), vector_store="pinecone")
    plan = run_stack("local", overrides={
        f"{NS}app": app,
        f"{NS}local": {**stack_config("local")[f"{NS}local"], "kube_context": "kind-agentic"},
        f"{NS}pinecone_api_key": {"secure": "v1:abc"},
        f"{NS}pinecone_environment": {"secure": "v1:def"},
    })
    provider = plan.of_type("pulumi:providers:kubernetes")[0]
    assert provider.get("context") == "kind-agentic"
    secret = next(r for r in plan.of_type("kubernetes:core/v1:Secret") if r.get("metadata.name") == "platform-secrets")
    data = secret.get("stringData")
    assert data["PINECONE_API_KEY"] == TEST_SECRET_PREFIX + "pinecone_api_key"
    assert data["PINECONE_ENVIRONMENT"] == TEST_SECRET_PREFIX + "pinecone_environment"
    settings = next(r for r in plan.of_type("kubernetes:core/v1:ConfigMap") if r.get("metadata.name") == "app-settings")
    assert settings.get("data.VECTOR_STORE") == "pinecone"
    assert not any("PINECONE" in k for k in settings.get("data"))


def test_workload_objects_use_their_regions_cluster_provider(plans: dict[str, Plan]) -> None:
    """Never the default provider (the deployer's ambient kube context)."""
    for stack in ("dev", "prod"):
        objects = [r for r in k8s_objects(plans[stack]) + plans[stack].of_type("kubernetes:helm.sh/v3:Release")
                   if r.component in ("agentic:app:PlatformWorkload", "agentic:app:VpaRecommender")]
        assert objects
        for r in objects:
            assert f"::{stack}-{r.region}-k8s::" in r.provider, f"{r.name}: provider {r.provider}"
