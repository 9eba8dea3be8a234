"""Delivery as each cloud stack plans it: registry, runners, OIDC roles, Argo Rollouts, GitOps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.config.secret_needs import PULL_THROUGH_SECRETS
from stacks.gitops_render import file_name, gitops_overrides, manifest, rendered, write_tree
from stacks.harness import Plan, PlannedResource, run_stack
from stacks.reports import config as config_report
from stacks.reports.images import report as images_report
from stacks.reports.images import upstream
from stacks.tags import residency_tags

PROD_REGIONS = {"us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1"}
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
DEPLOY = "kubernetes:apps/v1:Deployment"


@pytest.fixture(scope="module")
def gitops_dev() -> Plan:
    return run_stack("dev", gitops_overrides("dev"))


def test_every_region_has_an_immutable_encrypted_scanned_repository(prod: Plan) -> None:
    repos = prod.of_type("aws:ecr/repository:Repository")
    assert {r.region for r in repos} == PROD_REGIONS
    for r in repos:
        assert r.get("imageTagMutability") == "IMMUTABLE"
        assert r.get("encryptionConfigurations.0.encryptionType") == "KMS"
        assert r.get("encryptionConfigurations.0.kmsKey"), r.name
        assert r.get("imageScanningConfiguration.scanOnPush") is True
    scans = prod.of_type("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")
    assert {s.region for s in scans} == PROD_REGIONS
    assert {s.get("scanType") for s in scans} == {"ENHANCED"}
    assert len(prod.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")) == len(repos)


def test_images_replicate_from_the_build_region_to_every_other_region(prod: Plan) -> None:
    (rep,) = prod.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    assert rep.region == "us-east-1"
    (rule,) = rep.get("replicationConfiguration.rules")
    assert {d["region"] for d in rule["destinations"]} == PROD_REGIONS - {"us-east-1"}


def test_pull_through_rules_and_node_rights_in_every_region(prod: Plan) -> None:
    rules = prod.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
    assert {(r.region, r.get("ecrRepositoryPrefix")) for r in rules} == {
        (region, p) for region in PROD_REGIONS for p in ("ecr-public", "k8s", "quay", "docker-hub", "github")}
    node_grants = [p for p in prod.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("nodes-pull-through")]
    assert len(node_grants) == len(PROD_REGIONS)


SECRET = "aws:secretsmanager/secret:Secret"
RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"


def test_staging_and_prod_pull_every_chart_image_through_the_cache(prod: Plan, staging: Plan) -> None:
    """The preview's "chart images" section (stacks/reports/images.py): nothing left upstream."""
    for plan in (prod, staging):
        assert upstream(plan) == [], plan.stack
        assert images_report(plan).summary.endswith(" 0 upstream"), plan.stack


def _credential_secrets(plan: Plan) -> list[PlannedResource]:
    return [s for s in plan.of_type(SECRET) if str(s.get("name")).startswith("ecr-pullthroughcache/")]


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_docker_hub_and_github_rules_read_a_secret_of_their_own_region(stack: str, prod: Plan,
                                                                         staging: Plan) -> None:
    plan = {"prod": prod, "staging": staging}[stack]
    secrets = {str(s.get("name")): s for s in _credential_secrets(plan)}
    keys = {k.urn: k for k in plan.of_type("aws:kms/key:Key") if k.name.endswith("-registry-ecr-key")}
    rules = [r for r in plan.of_type(RULE) if r.get("ecrRepositoryPrefix") in ("docker-hub", "github")]
    assert {(r.region, r.get("ecrRepositoryPrefix")) for r in rules} == {
        (region, p) for region in {r.region for r in plan.of_type(RULE)} for p in ("docker-hub", "github")}
    assert len(secrets) == len(rules)
    for rule in rules:
        arn = str(rule.get("credentialArn"))
        assert arn.startswith(f"arn:aws:secretsmanager:{rule.region}:"), (rule.name, arn)
        secret = secrets[arn.split(":secret:", 1)[1]]
        name = str(secret.get("name"))
        assert name.startswith("ecr-pullthroughcache/") and name.endswith(f"/{rule.get('ecrRepositoryPrefix')}")
        assert secret.region == rule.region, name
        # Encrypted with the region's registry key, whose policy lets Secrets Manager of that region
        # decrypt `ecr-pullthroughcache/` secrets for the account's principals (ECR's service-linked role).
        key_arn = str(secret.get("kmsKeyId"))
        assert f":kms:{rule.region}:" in key_arn, name
        (key,) = [k for k in keys.values() if k.region == rule.region]
        statements = {st["Sid"]: st for st in json.loads(str(key.get("policy")))["Statement"]}
        cond = statements["PullThroughCredentialsViaSecretsManager"]["Condition"]
        assert cond["StringEquals"]["kms:ViaService"] == f"secretsmanager.{rule.region}.amazonaws.com"
        assert cond["StringLike"]["kms:EncryptionContext:SecretARN"].endswith(":secret:ecr-pullthroughcache/*")
        assert statements["AccountAdministers"]["Action"] == "kms:*"
    urns = [r.urn for r in plan.resources]
    assert len(urns) == len(set(urns))


def test_credential_values_are_secrets_and_secrets_carry_the_regions_tags(prod: Plan) -> None:
    secrets = _credential_secrets(prod)
    names = {f"{s.name}-value" for s in secrets}
    versions = [v for v in prod.of_type("aws:secretsmanager/secretVersion:SecretVersion") if v.name in names]
    assert len(versions) == len(secrets) == 2 * len(PROD_REGIONS)
    for v in versions:
        assert "secretString" in v.secret_paths, v.name
        # What ECR reads (pull-through-cache-creating-secret.html): `username` and `accessToken`.
        value = json.loads(str(v.get("secretString")))
        assert set(value) == {"username", "accessToken"}, v.name
        kind = "dockerhub" if v.name.endswith("-docker-hub-value") else "github"
        assert value == {"username": f"offline-test-secret-{kind}_username",
                         "accessToken": f"offline-test-secret-{kind}_access_token"}, v.name
    for s in secrets:
        tags = s.get("tags") or {}
        assert tags.get("environment") == "prod", s.name
        if s.region in ("eu-west-1", "eu-central-1"):  # the `eu` data domain's regions
            assert residency_tags("eu").items() <= tags.items(), s.name
        else:
            assert "data-residency" not in tags, s.name
    # The username and token stand in as secrets until `pulumi config set --secret` (the preview says so).
    for plan_secret in (k for keys in PULL_THROUGH_SECRETS.values() for k in keys):
        assert prod.config[f"agentic-platform:{plan_secret}"] == "[secret]"
    unset = config_report.report(prod).data["unset_secrets"]
    assert {f"agentic-platform:{k}" for keys in PULL_THROUGH_SECRETS.values() for k in keys} <= set(unset)


def test_runner_runs_in_its_ci_subnets_and_reaches_only_the_private_api(prod: Plan, staging: Plan) -> None:
    """Each runner attaches to every `ci` subnet of its own region (NAT egress, C45) and to no
    other subnet: not the nodes' private tier, never a public one."""
    for plan, regions in ((prod, PROD_REGIONS), (staging, {"us-east-1"})):
        projects = plan.of_type("aws:codebuild/project:Project")
        assert {p.region for p in projects} == regions
        for p in projects:
            vpc = p.get("vpcConfig")
            ci = {s.id for s in plan.of_type("aws:ec2/subnet:Subnet")
                  if s.tags.get("tier") == "ci" and s.region == p.region}
            assert len(ci) == 3 and set(vpc["subnets"]) == ci, p.name
            assert p.get("environment.privilegedMode") is False
            assert p.get("source.type") == "GITHUB"
        hooks = plan.of_type("aws:codebuild/webhook:Webhook")
        assert [h.get("filterGroups.0.filters.0") for h in hooks] == [
            {"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}] * len(regions)
        to_api = [r for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                  if r.name.endswith("runner-to-cluster-api")]
        assert len(to_api) == len(regions) and {r.get("fromPort") for r in to_api} == {443}
        for c in plan.of_type("aws:eks/cluster:Cluster"):
            assert c.get("vpcConfig.endpointPublicAccess") is False, f"{plan.stack}: {c.name} has a public API"


def test_oidc_roles_trust_only_the_protected_environments(prod: Plan, dev: Plan) -> None:
    for plan, env in ((prod, "production"), (dev, "dev")):
        roles = {r.get("name"): r for r in plan.of_type("aws:iam/role:Role")}
        deploy = json.loads(roles["github-actions-deploy"].get("assumeRolePolicy"))
        push = json.loads(roles[f"agentic-platform-{plan.stack}-github-push"].get("assumeRolePolicy"))
        sub = "token.actions.githubusercontent.com:sub"
        assert deploy["Statement"][0]["Condition"]["StringEquals"][sub] == (
            f"repo:example/agentic-platform:environment:{env}")
        assert push["Statement"][0]["Condition"]["StringEquals"][sub] == (
            "repo:example/agentic-platform:environment:build")
        attached = [a.get("policyArn") for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
        assert not any(str(a).startswith("arn:aws:iam::aws:policy/") and "PowerUser" in str(a) for a in attached)
        github = [p for p in plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
                  if p.get("url") == "https://token.actions.githubusercontent.com"]
        assert len(github) == 1 and github[0].get("clientIdLists") == ["sts.amazonaws.com"]
    assert prod.outputs["delivery"]["deploy_environment"] == "production"


def test_api_rolls_out_through_argo_rollouts_and_the_worker_keeps_rolling_update(prod: Plan) -> None:
    releases = [r for r in prod.of_type("kubernetes:helm.sh/v3:Release") if r.get("chart") == "argo-rollouts"]
    assert {r.region for r in releases} == PROD_REGIONS and {r.get("version") for r in releases} == {"2.41.0"}
    rollouts = prod.of_type(ROLLOUT)
    assert {r.region for r in rollouts} == PROD_REGIONS
    for r in rollouts:
        assert r.get("spec.workloadRef.name") == "api"
        assert [s.get("setWeight") for s in r.get("spec.strategy.canary.steps") if "setWeight" in s] == [10, 25, 50]
        assert r.get("spec.strategy.canary.analysis.templates") == [{"templateName": "api-health"}]
        assert "spec.replicas" in r.options.get("ignoreChanges", [])
    for dep in prod.of_type(DEPLOY):
        if dep.get("metadata.name") == "api":
            assert dep.get("spec.replicas") == 0  # a template holder; the Rollout runs the pods
            assert "spec.replicas" not in dep.options.get("ignoreChanges", [])
        if dep.get("metadata.name") == "worker":
            assert dep.get("spec.strategy.type") == "RollingUpdate"
    for hpa in prod.of_type(HPA):
        if hpa.get("metadata.name") == "api":
            assert hpa.get("spec.scaleTargetRef") == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                                      "name": "api"}


def test_blue_green_is_selectable_per_stack() -> None:
    from stacks.harness.run import stack_config

    app = dict(stack_config("dev")["agentic-platform:app"])
    app["rollout"] = {"strategy": "blue-green", "blue_green_auto_promote_seconds": 600}
    plan = run_stack("dev", {"agentic-platform:app": app})
    (r,) = plan.of_type(ROLLOUT)
    assert r.get("spec.strategy.blueGreen.previewService") == "api-preview"
    assert r.get("spec.strategy.blueGreen.autoPromotionSeconds") == 600
    assert [s.get("metadata.name") for s in plan.of_type("kubernetes:core/v1:Service")
            if s.get("metadata.name") == "api-preview"] == ["api-preview"]


def test_local_keeps_plain_deployments() -> None:
    plan = run_stack("local")
    assert not plan.of_type(ROLLOUT)
    assert not plan.of_type("aws:ecr/repository:Repository")


def _workload_objects(plan: Plan) -> list[PlannedResource]:
    return [r for r in plan.resources if r.custom and r.type.startswith("kubernetes:")
            and not r.type.startswith("kubernetes:helm.sh/") and r.component == "agentic:app:PlatformWorkload"]


def test_gitops_tree_is_what_pulumi_up_would_apply(dev: Plan, gitops_dev: Plan) -> None:
    """Same `app/` code, two modes: every object Pulumi applies in pulumi mode is rendered,
    byte for byte as a manifest, into the region's GitOps directory, and nothing else is."""
    trees = rendered(gitops_dev)
    assert list(trees) == ["deploy/gitops/dev/us-east-1"]
    applied = {file_name(manifest(r)): manifest(r) for r in _workload_objects(dev)}
    assert applied, "no workload objects in the dev plan"
    assert trees["deploy/gitops/dev/us-east-1"] == applied
    assert not _workload_objects(gitops_dev) or all(
        r.provider.rsplit("::", 1)[0].endswith("dev-us-east-1-gitops-render") for r in _workload_objects(gitops_dev))


def test_gitops_render_is_deterministic(gitops_dev: Plan, tmp_path: Path) -> None:
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in write_tree(gitops_dev, tmp_path / "a")}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in write_tree(gitops_dev, tmp_path / "b")}
    assert a == b and len(a) > 20
    assert Path("deploy/gitops/dev/us-east-1/1-manifest/apps_v1-deployment-platform-core-api.yaml") in a


def test_argo_cd_syncs_one_application_per_region_and_notifies_the_alert_topic(gitops_dev: Plan) -> None:
    (release,) = [r for r in gitops_dev.of_type("kubernetes:helm.sh/v3:Release") if r.get("chart") == "argo-cd"]
    assert release.get("version") == "10.1.1"
    assert "service.awssqs" in release.get("values.notifications.notifiers")
    (app,) = gitops_dev.of_type("kubernetes:argoproj.io/v1alpha1:Application")
    assert app.get("metadata.name") == "platform-dev-us-east-1"
    assert app.get("spec.source.path") == "deploy/gitops/dev/us-east-1"
    assert app.get("spec.syncPolicy.automated") == {"prune": True, "selfHeal": True}
    (queue,) = [q for q in gitops_dev.of_type("aws:sqs/queue:Queue") if q.name.endswith("argocd-notifications")]
    annotations = app.get("metadata.annotations")
    assert set(annotations.values()) == {queue.get("name")}
    (pipe,) = gitops_dev.of_type("aws:pipes/pipe:Pipe")
    topics = {t.outputs.get("arn") for t in gitops_dev.of_type("aws:sns/topic:Topic")}
    assert pipe.get("target") in topics
