"""The EKS cluster, node groups, add-ons and charts under mocks: each secure value and ordering."""

from __future__ import annotations

import json
from typing import Any

import pytest
from base_plans import base_plan, dep_names, named

from components.charts_iam import karpenter_controller_policy, lb_controller_policy
from components.k8s_provider import kubeconfig
from components.node_groups import ami_type
from components.pod_identity import IAM_ROLE_NAME_MAX, role_name
from stacks.compose.base import base_names, node_group_specs
from stacks.config import ConfigError, PlatformConfig, parse
from stacks.config.models_infra import ClusterConfig
from stacks.harness import run_stack
from stacks.harness.mocks import MOCK_ADDON_BUILD
from stacks.harness.plan import Plan, PlannedResource
from stacks.harness.run import stack_namespace

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"
LT = "aws:ec2/launchTemplate:LaunchTemplate"


@pytest.fixture(scope="module")
def dev() -> Plan:
    return base_plan("dev")


@pytest.fixture(scope="module")
def staging() -> Plan:
    return base_plan("staging")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return base_plan("prod")


def one(plan: Plan, typ: str, suffix: str) -> PlannedResource:
    (found,) = named(plan, typ, suffix)
    return found


def addon(plan: Plan, name: str) -> PlannedResource:
    (found,) = [a for a in plan.of_type(ADDON) if a.get("addonName") == name]
    return found


def policy_of_role(plan: Plan, role_suffix: str) -> dict[str, Any]:
    role = one(plan, "aws:iam/role:Role", role_suffix)
    (pol,) = [p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.get("role") == role.id]
    return json.loads(pol.get("policy"))


# --- pure -----------------------------------------------------------------------------------

def test_names_carry_environment_and_region() -> None:
    cfg = PlatformConfig.model_validate(
        {"stack": "prod", "environment": "prod", "app": {"tag": "x", "hostname": "a.b"}})
    names = base_names(cfg, "eu-west-1")
    assert names.resource_prefix == "prod-eu-west-1"
    assert names.cluster_name == "agentic-platform-prod-euw1"
    assert names.k8s_provider == "prod-eu-west-1-k8s"


def test_role_names_fit_iam_and_stay_unique() -> None:
    assert role_name("agentic-platform-prod-euw1", "karpenter") == "agentic-platform-prod-euw1-karpenter"
    long_a = role_name("agentic-platform-staging-apse1", "a-very-long-purpose-name-for-some-controller")
    long_b = role_name("agentic-platform-staging-apse1", "a-very-long-purpose-name-for-some-controller2")
    assert len(long_a) == len(long_b) == IAM_ROLE_NAME_MAX
    assert long_a != long_b


def test_kubeconfig_uses_get_token_with_cluster_and_region() -> None:
    cfg = kubeconfig("c1", "https://x.eks.amazonaws.com", "Q0E=", "eu-west-1")
    exec_ = cfg["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"][:6] == ["eks", "get-token", "--cluster-name", "c1", "--region", "eu-west-1"]
    assert "token" not in json.dumps(cfg["users"][0]["user"]).replace("get-token", "")
    assert kubeconfig("c1", "e", "d", "eu-west-1", role_arn="arn:r")["users"][0]["user"]["exec"]["args"][-2:] == [
        "--role-arn", "arn:r"]


def test_ami_type_follows_arch() -> None:
    assert ami_type("arm64") == "AL2023_ARM_64_STANDARD"
    assert ami_type("x86_64") == "AL2023_x86_64_STANDARD"


def _cluster_cfg(**standby: int) -> ClusterConfig:
    return ClusterConfig.model_validate({
        "node_groups": {
            "system": {"instance_types": ["m7g.large"], "min_size": 2, "desired_size": 2, "max_size": 3},
            "api": {"instance_types": ["m7g.xlarge"], "min_size": 3, "desired_size": 3, "max_size": 12},
            "workers": {"instance_types": ["m7g.xlarge"], "min_size": 0, "desired_size": 1, "max_size": 2,
                        "capacity_type": "SPOT"},
        },
        "standby": standby or {"node_min": 1, "node_desired": 1},
    })


def test_node_group_specs_active_and_standby() -> None:
    active = {s.name: s for s in node_group_specs(_cluster_cfg(), standby=False)}
    assert (active["api"].min_size, active["api"].desired_size, active["api"].max_size) == (3, 3, 12)
    assert active["workers"].capacity_type == "SPOT"
    assert active["system"].taints == (("CriticalAddonsOnly", "true", "NO_SCHEDULE"),)
    assert active["api"].taints == ()
    standby = {s.name: s for s in node_group_specs(_cluster_cfg(), standby=True)}
    assert {(s.min_size, s.desired_size) for s in standby.values()} == {(1, 1)}
    assert standby["api"].max_size == 12


def test_node_group_specs_never_break_min_desired_max() -> None:
    """A standby size above a group's max is clamped (C34: min may not exceed desired)."""
    specs = node_group_specs(_cluster_cfg(node_min=3, node_desired=5), standby=True)
    for s in specs:
        assert s.min_size <= s.desired_size <= s.max_size


def test_controller_policies_are_scoped_to_the_cluster() -> None:
    lbc = json.dumps(lb_controller_policy("c1", region="eu-west-1", account_id="1", vpc_id="vpc-1"))
    assert '"aws:ResourceTag/elbv2.k8s.aws/cluster": "c1"' in lbc
    karp = karpenter_controller_policy(cluster="c1", cluster_arn="arn:c1", region="eu-west-1", account_id="1",
                                       node_role_arn="arn:node", queue_arn="arn:q")
    pass_role = next(s for s in karp["Statement"] if s["Sid"] == "PassNodeRole")
    assert pass_role["Resource"] == "arn:node"
    delete = next(s for s in karp["Statement"] if s["Sid"] == "DeleteOwn")
    assert delete["Condition"]["StringEquals"] == {"aws:ResourceTag/kubernetes.io/cluster/c1": "owned"}


# --- control plane ------------------------------------------------------------------------

def test_cluster_secure_defaults(dev: Plan) -> None:
    (c,) = dev.of_type(CLUSTER)
    assert c.get("name") == "agentic-platform-dev-use1"
    assert c.get("version") == "1.36"
    assert c.get("upgradePolicy.supportType") == "STANDARD"
    assert c.get("accessConfig") == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert c.get("zonalShiftConfig.enabled") is True
    assert c.get("bootstrapSelfManagedAddons") is False
    assert c.get("kubernetesNetworkConfig.serviceIpv4Cidr") == "172.20.0.0/16"
    assert c.get("encryptionConfig.resources") == ["secrets"]
    key = one(dev, "aws:kms/key:Key", "-secrets-key")
    assert c.get("encryptionConfig.provider.keyArn") == key.outputs["arn"]
    assert key.get("enableKeyRotation") is True
    assert c.get("vpcConfig.endpointPrivateAccess") is True
    private = sorted((s for s in dev.of_type("aws:ec2/subnet:Subnet") if s.tags.get("tier") == "private"),
                     key=lambda s: s.name)
    assert c.get("vpcConfig.subnetIds") == [s.id for s in private]


def test_public_endpoint_only_for_listed_cidrs(dev: Plan, staging: Plan) -> None:
    (d,) = dev.of_type(CLUSTER)
    assert d.get("vpcConfig.endpointPublicAccess") is True
    assert d.get("vpcConfig.publicAccessCidrs") == ["203.0.113.0/24"]
    (s,) = staging.of_type(CLUSTER)
    assert s.get("vpcConfig.endpointPublicAccess") is False
    assert s.get("vpcConfig.publicAccessCidrs") is None


def test_log_types_retention_and_kms(dev: Plan, prod: Plan) -> None:
    (d,) = dev.of_type(CLUSTER)
    assert d.get("enabledClusterLogTypes") == ["api", "audit", "authenticator"]
    for c in prod.of_type(CLUSTER):
        assert c.get("enabledClusterLogTypes") == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    group = one(dev, "aws:cloudwatch/logGroup:LogGroup", "-control-plane-logs")
    assert group.get("name") == "/aws/eks/agentic-platform-dev-use1/cluster"
    assert group.get("retentionInDays") == 14
    assert group.get("kmsKeyId") == one(dev, "aws:kms/key:Key", "-logs-key").outputs["arn"]
    assert group.options["retainOnDelete"] is True  # C33
    assert group.urn in d.options["dependsOn"]


def test_deletion_protection_only_in_prod(dev: Plan, staging: Plan, prod: Plan) -> None:
    for plan, expected in ((dev, False), (staging, False), (prod, True)):
        for c in plan.of_type(CLUSTER):
            assert c.get("deletionProtection") is expected
            assert c.options["protect"] is expected


def test_keys_protected_outside_dev(dev: Plan, staging: Plan) -> None:
    for plan, expected in ((dev, False), (staging, True)):
        keys = [k for k in plan.of_type("aws:kms/key:Key")
                if k.name.endswith(("-secrets-key", "-ebs-key", "-logs-key"))]
        assert len(keys) == 3
        assert {k.options["protect"] for k in keys} == {expected}
        assert all(k.get("deletionWindowInDays") == 30 and k.get("enableKeyRotation") for k in keys)


def test_access_entries_for_ci_and_break_glass(dev: Plan) -> None:
    entries = dev.of_type("aws:eks/accessEntry:AccessEntry")
    standard = {e.get("principalArn") for e in entries if e.get("type") == "STANDARD"}
    assert standard == {"arn:aws:iam::111122223333:role/github-actions-deploy",
                        "arn:aws:iam::111122223333:role/platform-break-glass"}
    assocs = dev.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert {a.get("principalArn") for a in assocs} == standard
    for a in assocs:
        assert a.get("policyArn") == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        assert a.get("accessScope") == {"type": "cluster"}
    assert not dev.of_type("kubernetes:core/v1:ConfigMap")  # no aws-auth


def test_no_admin_entries_when_none_configured() -> None:
    plan = base_plan("dev", cluster={"admin_role_arn": None, "ci_role_arn": None})
    assert not [e for e in plan.of_type("aws:eks/accessEntry:AccessEntry") if e.get("type") == "STANDARD"]


def test_irsa_oidc_provider_uses_the_cluster_issuer(dev: Plan) -> None:
    (c,) = dev.of_type(CLUSTER)
    (oidc,) = dev.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.get("url") == c.outputs["identities"][0]["oidcs"][0]["issuer"]
    assert oidc.get("clientIdLists") == ["sts.amazonaws.com"]


# --- nodes --------------------------------------------------------------------------------

def test_node_groups_al2023_arm_spot_taints_and_budget(dev: Plan) -> None:
    groups = {g.get("labels")["node-group"]: g for g in dev.of_type(NODE_GROUP)}
    assert set(groups) == {"system", "api", "workers"}
    assert {g.get("amiType") for g in groups.values()} == {"AL2023_ARM_64_STANDARD"}
    assert groups["workers"].get("capacityType") == "SPOT"
    assert groups["api"].get("capacityType") == "SPOT"  # Pulumi.dev.yaml: a sandbox's api tolerates interruptions
    assert groups["system"].get("capacityType") == "ON_DEMAND"
    assert groups["system"].get("taints") == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
    assert groups["api"].get("taints") == []
    for g in groups.values():
        assert g.options["ignoreChanges"] == ["scalingConfig.desiredSize"]
        assert g.get("version") == "1.36"
        assert g.get("updateConfig")
    assert groups["workers"].get("updateConfig") == {"maxUnavailablePercentage": 33}
    assert groups["system"].get("updateConfig") == {"maxUnavailable": 1}


def test_x86_clusters_use_the_x86_ami() -> None:
    x86 = {"system": {"instance_types": ["t3.medium"]}, "api": {"instance_types": ["m7i.large"]},
           "workers": {"instance_types": ["m7i.large", "m6i.large"]}}
    plan = base_plan("dev", cluster={"arch": "x86_64", "node_groups": x86})
    assert {g.get("amiType") for g in plan.of_type(NODE_GROUP)} == {"AL2023_x86_64_STANDARD"}


def test_launch_templates_imdsv2_hop1_encrypted_gp3(dev: Plan) -> None:
    ebs_key = one(dev, "aws:kms/key:Key", "-ebs-key").outputs["arn"]
    node_sg = one(dev, "aws:ec2/securityGroup:SecurityGroup", "-node-sg")
    lts = {lt.id: lt for lt in dev.of_type(LT)}
    assert len(lts) == 3
    for lt in lts.values():
        assert lt.get("metadataOptions.httpTokens") == "required"
        assert lt.get("metadataOptions.httpPutResponseHopLimit") == 1
        ebs = lt.get("blockDeviceMappings.0.ebs")
        assert ebs["volumeType"] == "gp3" and ebs["encrypted"] == "true" and ebs["kmsKeyId"] == ebs_key
        # Only the node SG: the cluster primary SG on nodes too breaks the LB controller (C37).
        assert lt.get("vpcSecurityGroupIds") == [node_sg.id]
    for g in dev.of_type(NODE_GROUP):
        lt = lts[g.get("launchTemplate.id")]
        assert g.get("launchTemplate.version") == str(lt.outputs["latestVersion"])  # rolls on LT changes


def test_node_sg_carries_the_discovery_tags_once(dev: Plan) -> None:
    cluster = "agentic-platform-dev-use1"
    tagged = [sg for sg in dev.of_type("aws:ec2/securityGroup:SecurityGroup")
              if sg.tags.get("karpenter.sh/discovery") == cluster]
    assert [sg.name for sg in tagged] == ["dev-us-east-1-node-sg"]  # C36: exactly one
    assert tagged[0].tags.get(f"kubernetes.io/cluster/{cluster}") == "owned"


def test_standby_region_runs_small_warm_groups(prod: Plan) -> None:
    standby = [g for g in prod.of_type(NODE_GROUP) if g.region == "eu-central-1"]
    active = [g for g in prod.of_type(NODE_GROUP) if g.region == "us-east-1"]
    assert len(standby) == len(active) == 3
    sizes = {g.get("labels")["node-group"]: (g.get("scalingConfig.minSize"), g.get("scalingConfig.desiredSize"))
             for g in standby}
    assert sizes == {"system": (1, 1), "api": (1, 1), "workers": (0, 0)}  # standby.worker_replicas: 0
    assert all(g.get("scalingConfig.maxSize") > 0 for g in standby)  # a failover can still grow them
    api = next(g for g in active if g.get("labels")["node-group"] == "api")
    assert (api.get("scalingConfig.minSize"), api.get("scalingConfig.desiredSize")) == (3, 3)


# --- add-ons and ordering ---------------------------------------------------------------------

def test_addon_versions_from_config(dev: Plan) -> None:
    """Pinned builds pass through; `default` asks EKS for its default (not newest) build of that
    add-on for the cluster's own minor (the offline answer names what was asked)."""
    ns, region = stack_namespace("dev")
    cluster = parse(ns, stack="dev", aws_region=region).cluster
    assert cluster is not None
    minor = cluster.version
    expected = {"vpc-cni": f"{MOCK_ADDON_BUILD}vpc-cni-{minor}-default",
                "eks-pod-identity-agent": f"{MOCK_ADDON_BUILD}eks-pod-identity-agent-{minor}-default",
                "coredns": "v1.14.3-eksbuild.3", "kube-proxy": "v1.36.0-eksbuild.14",
                "aws-ebs-csi-driver": f"{MOCK_ADDON_BUILD}aws-ebs-csi-driver-{minor}-default"}
    assert {a.get("addonName"): a.get("addonVersion") for a in dev.of_type(ADDON)} == expected


def test_an_exact_addon_build_is_used_as_written() -> None:
    plan = base_plan("dev", cluster={"addons": {"vpc_cni": "v1.20.4-eksbuild.1"}})
    assert addon(plan, "vpc-cni").get("addonVersion") == "v1.20.4-eksbuild.1"


@pytest.mark.parametrize("bad", ["1.20.4", "v1.20.4", "latest", "v1.20.4-eksbuild"])
def test_a_malformed_addon_build_is_refused_naming_the_key(bad: str) -> None:
    ns, region = stack_namespace("dev")
    ns["cluster"] = {**ns["cluster"], "addons": {"vpc_cni": bad}}
    with pytest.raises(ConfigError) as err:
        parse(ns, stack="dev", aws_region=region)
    text = str(err.value)
    assert "agentic-platform:cluster.addons.vpc_cni" in text and "eksbuild" in text and "default" in text


def test_vpc_cni_enables_network_policy(dev: Plan) -> None:
    assert json.loads(addon(dev, "vpc-cni").get("configurationValues"))["enableNetworkPolicy"] == "true"


def test_addon_order_around_nodes(dev: Plan) -> None:
    groups = {g.name for g in dev.of_type(NODE_GROUP)}
    pre = {addon(dev, n).name for n in ("vpc-cni", "eks-pod-identity-agent")}
    for g in dev.of_type(NODE_GROUP):
        assert pre <= dep_names(g), g.name  # before compute (C24)
    for name in ("vpc-cni", "eks-pod-identity-agent"):
        assert not groups & dep_names(addon(dev, name))
    for name in ("coredns", "kube-proxy", "aws-ebs-csi-driver"):
        assert groups <= dep_names(addon(dev, name)), name  # after compute


def test_k8s_provider_waits_for_nodes_and_core_addons(dev: Plan) -> None:
    (provider,) = dev.of_type("pulumi:providers:kubernetes")
    deps = dep_names(provider)
    assert {g.name for g in dev.of_type(NODE_GROUP)} <= deps
    assert {a.name for a in dev.of_type(ADDON)} <= deps
    config = json.loads(provider.get("kubeconfig"))
    args = config["users"][0]["user"]["exec"]["args"]
    assert args[:6] == ["eks", "get-token", "--cluster-name", "agentic-platform-dev-use1", "--region", "us-east-1"]
    (c,) = dev.of_type(CLUSTER)
    assert config["clusters"][0]["cluster"]["server"] == c.outputs["endpoint"]
    for r in dev.resources:
        if r.type.startswith("kubernetes:") and r.custom:
            assert r.provider.startswith(provider.urn), r.name


def test_ebs_csi_uses_pod_identity(dev: Plan) -> None:
    ebs = addon(dev, "aws-ebs-csi-driver")
    (assoc,) = ebs.get("podIdentityAssociations")
    assert assoc["serviceAccount"] == "ebs-csi-controller-sa"
    role = one(dev, "aws:iam/role:Role", "-ebs-csi-role")
    assert assoc["roleArn"] == role.outputs["arn"]
    trust = json.loads(role.get("assumeRolePolicy"))["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert trust["Condition"]["ArnEquals"]["aws:SourceArn"] == dev.of_type(CLUSTER)[0].outputs["arn"]


def test_default_storage_class_is_encrypted_gp3(dev: Plan) -> None:
    (sc,) = dev.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc.get("metadata.annotations") == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert sc.get("provisioner") == "ebs.csi.aws.com"
    assert sc.get("parameters.type") == "gp3"
    assert sc.get("parameters.encrypted") == "true"
    assert sc.get("parameters.kmsKeyId") == one(dev, "aws:kms/key:Key", "-ebs-key").outputs["arn"]


# --- charts -------------------------------------------------------------------------------

def releases(plan: Plan) -> dict[str, PlannedResource]:
    return {r.get("name"): r for r in plan.of_type(RELEASE)}


def test_charts_are_pinned_from_config(dev: Plan) -> None:
    got = {name: r.get("version") for name, r in releases(dev).items()}
    assert got == {"aws-load-balancer-controller": "3.5.0", "karpenter": "1.14.1", "karpenter-crd": "1.14.1",
                   "metrics-server": "3.13.1", "external-secrets": "2.9.0", "keda": "2.20.2"}
    for name, r in releases(dev).items():
        assert r.get("chart") == f"oci://public.ecr.aws/karpenter/{name}" if name.startswith("karpenter") else \
            r.get("repositoryOpts.repo", "").startswith("https://")


def test_crds_helm_never_upgrades_come_from_their_own_release(dev: Plan) -> None:
    rel = releases(dev)
    # The controller skips its chart's crds/ folder and waits for the CRD chart of the same version.
    assert rel["karpenter"].get("skipCrds") is True
    assert rel["karpenter-crd"].urn in rel["karpenter"].options["dependsOn"]
    full = run_stack("dev")
    rel = releases(full)
    crds = rel["prometheus-operator-crds"]
    assert crds.get("version") == "31.0.1"
    assert rel["kube-prometheus-stack"].get("values.crds.enabled") is False
    assert crds.urn in rel["kube-prometheus-stack"].options["dependsOn"]
    vpa = rel["vpa"]
    assert vpa.get("skipCrds") is True
    (vpa_crds,) = [r for r in full.resources if r.type == "kubernetes:yaml/v2:ConfigFile"
                   and "vpa-v1-crd.yaml" in str(r.get("file"))]
    assert vpa_crds.urn in vpa.options["dependsOn"]


def test_external_secrets_elects_a_leader_and_karpenter_fits_the_standby(prod: Plan) -> None:
    eso = [r for r in prod.of_type(RELEASE) if r.get("name") == "external-secrets"]
    assert eso and all(r.get("values.replicaCount") == 2 and r.get("values.leaderElect") is True for r in eso)
    karpenter = {r.region: r.get("values.replicas") for r in prod.of_type(RELEASE) if r.get("name") == "karpenter"}
    assert karpenter == {"us-east-1": 2, "eu-west-1": 2, "ap-southeast-1": 2, "eu-central-1": 1}


def test_lb_controller_knows_cluster_vpc_region_and_has_its_role(dev: Plan) -> None:
    lbc = releases(dev)["aws-load-balancer-controller"]
    (vpc,) = dev.of_type("aws:ec2/vpc:Vpc")
    assert lbc.get("values.clusterName") == "agentic-platform-dev-use1"
    assert lbc.get("values.vpcId") == vpc.id  # IMDS hop limit 1: no discovery (C27)
    assert lbc.get("values.region") == "us-east-1"
    assoc = one(dev, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "-lb-controller-association")
    assert (assoc.get("namespace"), assoc.get("serviceAccount")) == ("kube-system", "aws-load-balancer-controller")
    assert assoc.urn in lbc.options["dependsOn"]
    policy = policy_of_role(dev, "-lb-controller-role")
    assert any("elasticloadbalancing:CreateLoadBalancer" in s["Action"] for s in policy["Statement"])


def test_external_secrets_controller_reads_nothing_and_assumes_only_store_roles(dev: Plan) -> None:
    """The controller's identity only assumes this cluster's per-namespace SecretStore roles
    (tests/test_secret_store_roles.py checks what each of those reads)."""
    policy = policy_of_role(dev, "-external-secrets-role")
    (st,) = policy["Statement"]
    assert st["Sid"] == "AssumeSecretStoreRoles"
    assert st["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert st["Resource"] == "arn:aws:iam::111122223333:role/agentic-platform-dev-use1-ss-*"
    assert "secretsmanager" not in json.dumps(policy) and "kms:" not in json.dumps(policy)


def test_karpenter_iam_queue_and_events(dev: Plan) -> None:
    (queue,) = dev.of_type("aws:sqs/queue:Queue")
    assert queue.get("sqsManagedSseEnabled") is True
    rules = dev.of_type("aws:cloudwatch/eventRule:EventRule")
    targets = dev.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert len(rules) == len(targets) == 4
    assert {t.get("arn") for t in targets} == {queue.outputs["arn"]}
    (node_entry,) = [e for e in dev.of_type("aws:eks/accessEntry:AccessEntry") if e.get("type") == "EC2_LINUX"]
    assert node_entry.get("principalArn") == one(dev, "aws:iam/role:Role", "-karpenter-node-role").outputs["arn"]
    karpenter = releases(dev)["karpenter"]
    assert karpenter.get("values.settings.interruptionQueue") == queue.get("name")
    assert karpenter.get("values.nodeSelector") == {"node-group": "system"}  # not on nodes it manages
    pools = dev.of_type("kubernetes:karpenter.sh/v1:NodePool")
    assert {p.get("metadata.name") for p in pools} == {"api", "workers"}
    for p in pools:
        assert karpenter.urn in p.options["dependsOn"]  # destroy: NodePools before Karpenter
        reqs = {r["key"]: r for r in p.get("spec.template.spec.requirements")}
        # the guide's node size floor, 4 vCPU and 16 GiB: Karpenter's Gt is strict, memory in MiB
        assert reqs["karpenter.k8s.aws/instance-cpu"] == {
            "key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": ["3"]}
        assert reqs["karpenter.k8s.aws/instance-memory"] == {
            "key": "karpenter.k8s.aws/instance-memory", "operator": "Gt", "values": ["16383"]}
    (nc,) = dev.of_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    assert nc.get("spec.metadataOptions.httpPutResponseHopLimit") == 1
    assert nc.get("spec.amiSelectorTerms") == [{"alias": "al2023@latest"}]
    pinned = base_plan("dev", cluster={"karpenter_ami_alias": "al2023@v20251015"})
    (nc,) = pinned.of_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    assert nc.get("spec.amiSelectorTerms") == [{"alias": "al2023@v20251015"}]


def test_cluster_autoscaler_instead_of_karpenter() -> None:
    plan = base_plan("dev", cluster={"autoscaler": "cluster-autoscaler"})
    names = set(releases(plan))
    assert "cluster-autoscaler" in names and "karpenter" not in names
    assert not plan.of_type("aws:sqs/queue:Queue")
    ca = releases(plan)["cluster-autoscaler"]
    assert ca.get("version") == "9.50.1"
    assert ca.get("values.autoDiscovery.clusterName") == "agentic-platform-dev-use1"
    policy = policy_of_role(plan, "-cluster-autoscaler-role")
    scale = next(s for s in policy["Statement"] if s["Sid"] == "ScaleOwnGroups")
    assert scale["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/agentic-platform-dev-use1": "owned"}
