"""Cluster add-ons installed with Helm (pinned charts) plus the default StorageClass.

Every controller that calls AWS gets its own Pod Identity role (no node-role credentials: nodes
have IMDS hop limit 1). Ordering that matters at create and destroy time:

* the Kubernetes provider these releases use already waits for nodes and core add-ons;
* each release waits for its Pod Identity association, so pods start with credentials;
* `lb_controller` is exposed so whatever creates Services/Ingresses depends on it: it then
  waits for the webhook (C28) on create and is deleted before the controller on destroy (C29);
* Karpenter NodePools depend on the Karpenter release, so destroy removes NodePools first and
  Karpenter terminates its own nodes before it goes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.chart_images import Mirror, no_mirror, with_images
from components.charts_iam import (
    KARPENTER_EVENTS,
    LB_CONTROLLER_NO_WAF,
    cluster_autoscaler_policy,
    external_secrets_policy,
    interruption_queue_policy,
    karpenter_controller_policy,
    lb_controller_policy,
)
from components.node_groups import NODE_POLICIES, node_role_trust
from components.pod_identity import PodIdentityFactory

REPOS = {
    "aws-load-balancer-controller": "https://aws.github.io/eks-charts",
    "cluster-autoscaler": "https://kubernetes.github.io/autoscaler",
    "metrics-server": "https://kubernetes-sigs.github.io/metrics-server/",
    "external-secrets": "https://charts.external-secrets.io",
    "keda": "https://kedacore.github.io/charts",
}
KARPENTER_CHART = "oci://public.ecr.aws/karpenter/karpenter"
KARPENTER_CRD_CHART = "oci://public.ecr.aws/karpenter/karpenter-crd"
"""Karpenter's CRDs as their own release: Helm installs a chart's `crds/` once and never upgrades
them, so the controller chart skips them and this chart (same version) keeps them current."""
REQUIRED_CHARTS = ("aws_load_balancer_controller", "karpenter", "cluster_autoscaler", "metrics_server",
                   "external_secrets", "keda")
CRITICAL_TOLERATION = [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
"""Controllers may run on the tainted system group (which only add-ons use)."""
DEFAULT_STORAGE_CLASS = "gp3-encrypted"


# The deployment guide's node size, "4 CPU, 16GB RAM minimum": smaller nodes waste a larger share
# on the per-node daemons (CNI, kube-proxy, log shipper, mesh CNI) and fit fewer api pods.
NODE_FLOOR_VCPU = 4
NODE_FLOOR_GIB = 16


def node_floor_requirements(vcpu: int, memory_gib: int) -> list[dict[str, object]]:
    """Karpenter requirements for at least `vcpu` vCPUs and `memory_gib` GiB per node.

    Karpenter's numeric operators are strict (`Gt`), and `instance-memory` is in MiB
    (https://karpenter.sh/docs/concepts/scheduling/#well-known-labels).
    """
    return [
        {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": [str(vcpu - 1)]},
        {"key": "karpenter.k8s.aws/instance-memory", "operator": "Gt", "values": [str(memory_gib * 1024 - 1)]},
    ]


@dataclass
class ClusterChartsArgs:
    region: str
    account_id: str
    environment: str
    cluster_name: pulumi.Input[str]
    cluster_physical_name: str
    cluster_arn: pulumi.Input[str]
    cluster_endpoint: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    ebs_kms_key_arn: pulumi.Input[str]
    pod_identity: PodIdentityFactory
    chart_versions: Mapping[str, str]
    """Keys of `REQUIRED_CHARTS` -> pinned chart version (never `latest`)."""
    autoscaler: Literal["karpenter", "cluster-autoscaler"] = "karpenter"
    arch: Literal["arm64", "x86_64"] = "arm64"
    karpenter_ami_alias: str = "al2023@latest"
    protect_queue: bool = False
    system_nodes: int = 2
    """Nodes of the managed system group: Karpenter's replicas (required anti-affinity per node) are
    capped to it, so a warm standby with one system node runs one replica instead of a Pending one."""
    mirror: Mirror = no_mirror
    """Each chart's images go through the region's pull-through cache (components/chart_images.py)."""
    node_pull_through_policy: str | None = None
    """Given to Karpenter's node role too: its nodes run DaemonSets whose first pull imports the image."""


def karpenter_replicas(system_nodes: int) -> int:
    """Two for failover, but never more than system nodes: the chart's required pod anti-affinity
    puts each replica on its own node, and one beyond that would stay Pending forever."""
    return max(1, min(2, system_nodes))


class ClusterCharts(pulumi.ComponentResource):
    lb_controller: k8s.helm.v3.Release
    """Depend on this from anything that creates a Service or Ingress."""
    external_secrets: k8s.helm.v3.Release
    """Depend on this from SecretStores/ExternalSecrets (CRDs come with the chart)."""
    external_secrets_role_arn: pulumi.Output[str]
    """The controller's own role: trusted by every SecretStore role, able to read no secret."""
    keda: k8s.helm.v3.Release
    metrics_server: k8s.helm.v3.Release
    autoscaler: k8s.helm.v3.Release
    storage_class: k8s.storage.v1.StorageClass
    interruption_queue_url: pulumi.Output[str] | None

    def __init__(self, name: str, args: ClusterChartsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:eks:ClusterCharts", name, {}, opts)
        missing = [c for c in REQUIRED_CHARTS if not args.chart_versions.get(c)]
        if missing:
            raise ValueError(f"chart versions missing for {', '.join(missing)}: pin each chart")
        self._args = args
        self._name = name
        child = pulumi.ResourceOptions(parent=self)

        # EKS >= 1.30 has no default StorageClass (C26): gp3, encrypted with the cluster's EBS key.
        self.storage_class = k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=DEFAULT_STORAGE_CLASS,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": args.ebs_kms_key_arn,
                        "csi.storage.k8s.io/fstype": "ext4"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=child,
        )

        self.lb_controller = self._lb_controller()
        self.metrics_server = self._release(
            "metrics-server", "metrics-server", "kube-system", "metrics_server",
            {"replicas": 2, "tolerations": CRITICAL_TOLERATION,
             "podDisruptionBudget": {"enabled": True, "minAvailable": 1}})
        self.external_secrets = self._external_secrets()
        self.keda = self._release(
            "keda", "keda", "keda", "keda",
            {"operator": {"replicaCount": 2}, "podDisruptionBudget": {"operator": {"minAvailable": 1}},
             "tolerations": CRITICAL_TOLERATION},
            create_namespace=True)
        self.interruption_queue_url = None
        if args.autoscaler == "karpenter":
            self.autoscaler = self._karpenter()
        else:
            self.autoscaler = self._cluster_autoscaler()
        self.register_outputs({})

    # --- helpers -------------------------------------------------------------------------

    def _release(self, part: str, chart: str, namespace: str, version_key: str, values: Mapping[str, Any], *,
                 depends_on: list[pulumi.Resource] | None = None, create_namespace: bool = False,
                 repo: str | None = None, skip_crds: bool = False) -> k8s.helm.v3.Release:
        a = self._args
        oci = chart.startswith("oci://")
        return k8s.helm.v3.Release(
            f"{self._name}-{part}",
            name=part,
            chart=chart,
            version=a.chart_versions[version_key],
            namespace=namespace,
            create_namespace=create_namespace,
            repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=repo or REPOS[chart]),
            values=with_images(chart, values, a.mirror),
            atomic=False,
            cleanup_on_fail=True,
            timeout=600,
            skip_await=False,
            skip_crds=skip_crds,
            max_history=10,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on or []),
        )

    def _role(self, purpose: str, namespace: str, service_account: str,
              policy: pulumi.Input[str]) -> pulumi.Resource:
        return self._args.pod_identity.role(purpose, namespace, service_account, policy,
                                            opts=pulumi.ResourceOptions(parent=self))

    # --- releases ------------------------------------------------------------------------

    def _lb_controller(self) -> k8s.helm.v3.Release:
        a = self._args
        sa = "aws-load-balancer-controller"
        role = self._role("lb-controller", "kube-system", sa,
                          pulumi.Output.from_input(a.vpc_id).apply(lambda vpc: json.dumps(lb_controller_policy(
                              a.cluster_physical_name, region=a.region, account_id=a.account_id, vpc_id=vpc))))
        # vpcId and region explicitly: with IMDS hop limit 1 the controller cannot discover them (C27).
        return self._release(
            "aws-load-balancer-controller", "aws-load-balancer-controller", "kube-system",
            "aws_load_balancer_controller",
            {"clusterName": a.cluster_name, "vpcId": a.vpc_id, "region": a.region, "replicaCount": 2,
             "serviceAccount": {"create": True, "name": sa},
             "enableServiceMutatorWebhook": False, **LB_CONTROLLER_NO_WAF,
             "ingressClassConfig": {"default": True},
             "tolerations": CRITICAL_TOLERATION,
             "podDisruptionBudget": {"maxUnavailable": 1}},
            depends_on=[role])

    def _external_secrets(self) -> k8s.helm.v3.Release:
        a = self._args
        sa = "external-secrets"
        role = self._args.pod_identity.role(
            "external-secrets", "external-secrets", sa,
            json.dumps(external_secrets_policy(a.account_id, a.cluster_physical_name)),
            opts=pulumi.ResourceOptions(parent=self))
        self.external_secrets_role_arn = role.role_arn
        return self._release(
            "external-secrets", "external-secrets", "external-secrets", "external_secrets",
            # Two replicas with leader election: one reconciles, the other takes over (without it
            # both would write every secret).
            {"installCRDs": True, "replicaCount": 2, "leaderElect": True,
             "serviceAccount": {"create": True, "name": sa},
             "tolerations": CRITICAL_TOLERATION,
             "webhook": {"replicaCount": 2}, "podDisruptionBudget": {"enabled": True, "minAvailable": 1}},
            depends_on=[role], create_namespace=True)

    def _cluster_autoscaler(self) -> k8s.helm.v3.Release:
        a = self._args
        sa = "cluster-autoscaler"
        role = self._role("cluster-autoscaler", "kube-system", sa,
                          json.dumps(cluster_autoscaler_policy(a.cluster_physical_name)))
        return self._release(
            "cluster-autoscaler", "cluster-autoscaler", "kube-system", "cluster_autoscaler",
            {"autoDiscovery": {"clusterName": a.cluster_name}, "awsRegion": a.region,
             "rbac": {"serviceAccount": {"create": True, "name": sa}},
             "extraArgs": {"balance-similar-node-groups": True, "skip-nodes-with-system-pods": False,
                           "expander": "least-waste"},
             "tolerations": CRITICAL_TOLERATION, "nodeSelector": {"node-group": "system"}},
            depends_on=[role])

    def _karpenter(self) -> k8s.helm.v3.Release:
        a = self._args
        name = self._name
        child = pulumi.ResourceOptions(parent=self)
        cname = a.cluster_physical_name
        queue = aws.sqs.Queue(
            f"{name}-karpenter-interruptions", region=a.region, name=f"{cname}-karpenter",
            message_retention_seconds=300, sqs_managed_sse_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, protect=a.protect_queue))
        aws.sqs.QueuePolicy(f"{name}-karpenter-interruptions-policy", region=a.region, queue_url=queue.url,
                            policy=queue.arn.apply(lambda arn: json.dumps(interruption_queue_policy(arn))),
                            opts=child)
        for event, pattern in KARPENTER_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-karpenter-{event}", region=a.region, name=f"{cname}-karpenter-{event}",
                description=f"Karpenter interruption handling: {event}", event_pattern=json.dumps(pattern),
                opts=child)
            aws.cloudwatch.EventTarget(f"{name}-karpenter-{event}-target", region=a.region, rule=rule.name,
                                       target_id="karpenter-interruption-queue", arn=queue.arn, opts=child)

        node_role = aws.iam.Role(f"{name}-karpenter-node-role", name=f"{cname}-karpenter-node",
                                 assume_role_policy=node_role_trust(), opts=child)
        for arn in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(f"{name}-karpenter-node-{arn.rsplit('/', 1)[-1]}", role=node_role.name,
                                         policy_arn=arn, opts=child)
        if a.node_pull_through_policy is not None:
            aws.iam.RolePolicy(f"{name}-karpenter-node-pull-through", role=node_role.name,
                               policy=a.node_pull_through_policy, opts=child)
        # Nodes Karpenter launches join through an EC2_LINUX access entry (no aws-auth ConfigMap).
        access = aws.eks.AccessEntry(f"{name}-karpenter-node-access", region=a.region, cluster_name=a.cluster_name,
                                     principal_arn=node_role.arn, type="EC2_LINUX", opts=child)
        policy = pulumi.Output.all(a.cluster_arn, node_role.arn, queue.arn).apply(
            lambda v: json.dumps(karpenter_controller_policy(
                cluster=cname, cluster_arn=str(v[0]), region=a.region, account_id=a.account_id,
                node_role_arn=str(v[1]), queue_arn=str(v[2]))))
        sa = "karpenter"
        role = self._role("karpenter", "kube-system", sa, policy)
        crds = self._release("karpenter-crd", KARPENTER_CRD_CHART, "kube-system", "karpenter", {})
        # Karpenter must not run on nodes it manages: pin it to the managed system group.
        release = self._release(
            "karpenter", KARPENTER_CHART, "kube-system", "karpenter",
            {"settings": {"clusterName": a.cluster_name, "clusterEndpoint": a.cluster_endpoint,
                          "interruptionQueue": queue.name},
             "serviceAccount": {"create": True, "name": sa},
             "replicas": karpenter_replicas(a.system_nodes),
             "nodeSelector": {"node-group": "system"},
             "tolerations": CRITICAL_TOLERATION,
             "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
             "controller": {"resources": {"requests": {"cpu": "250m", "memory": "512Mi"},
                                          "limits": {"memory": "1Gi"}}}},
            depends_on=[role, access, crds], skip_crds=True)
        self._karpenter_pools(node_role.name, release)
        self.interruption_queue_url = queue.url
        return release

    def _karpenter_pools(self, node_role_name: pulumi.Output[str], release: k8s.helm.v3.Release) -> None:
        """One EC2NodeClass (hardened like the managed groups) and NodePools per workload class."""
        a = self._args
        cname = a.cluster_physical_name
        opts = pulumi.ResourceOptions(parent=self, depends_on=[release])
        node_class = k8s.apiextensions.CustomResource(
            f"{self._name}-karpenter-nodeclass",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default"),
            spec={
                "role": node_role_name,
                "amiSelectorTerms": [{"alias": a.karpenter_ami_alias}],
                "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": cname}}],
                "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": cname}}],
                "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required",
                                    "httpPutResponseHopLimit": 1, "httpProtocolIPv6": "disabled"},
                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                    "volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True, "kmsKeyID": a.ebs_kms_key_arn,
                    "deleteOnTermination": True}}],
                "tags": {"karpenter.sh/discovery": cname},
            },
            opts=opts,
        )
        pools = {
            "api": (["on-demand"], {"cpu": "256", "memory": "1024Gi"}),
            "workers": (["spot", "on-demand"], {"cpu": "512", "memory": "2048Gi"}),
        }
        for pool, (capacity, limits) in pools.items():
            k8s.apiextensions.CustomResource(
                f"{self._name}-karpenter-{pool}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=pool),
                spec={
                    "template": {
                        "metadata": {"labels": {"node-group": pool}},
                        "spec": {
                            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                            "requirements": [
                                {"key": "kubernetes.io/arch", "operator": "In",
                                 "values": ["arm64" if a.arch == "arm64" else "amd64"]},
                                {"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity},
                                {"key": "karpenter.k8s.aws/instance-category", "operator": "In",
                                 "values": ["c", "m", "r"]},
                                *node_floor_requirements(NODE_FLOOR_VCPU, NODE_FLOOR_GIB),
                            ],
                            "expireAfter": "720h",
                        },
                    },
                    "limits": limits,
                    "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m",
                                   "budgets": [{"nodes": "10%"}]},
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[release, node_class]),
            )
