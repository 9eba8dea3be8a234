"""The CI deploy identity's Kubernetes rights on clusters where it must not be cluster-admin.

AmazonEKSClusterAdminPolicy maps to `system:masters`-like rights that no RBAC object shows and
that include exec into any pod, impersonation and node proxying. On prod the CI role's access
entry instead puts it in a Kubernetes group bound to this ClusterRole: every kind the program and
its pinned Helm charts manage (RBAC lists resources by name, so `pods/exec`, `pods/attach`,
`pods/portforward`, `nodes/proxy`, `serviceaccounts/token` and `impersonate` are simply not
granted). Creating chart ClusterRoles needs `escalate`/`bind`: any widening CI grants itself is
then an RBAC object in the cluster and the audit log, not an invisible mapping. Only the
break-glass role keeps cluster-admin (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

DEPLOYER_GROUP = "agentic-platform-deployers"
"""Kubernetes group of the CI access entry (EKS refuses groups starting with `system:`)."""

WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"]
CORE = ["namespaces", "configmaps", "secrets", "services", "serviceaccounts", "resourcequotas", "limitranges",
        "persistentvolumeclaims", "persistentvolumes", "pods", "endpoints", "events"]
GROUPS: dict[str, list[str]] = {
    "apps": ["deployments", "daemonsets", "statefulsets", "replicasets"],
    "batch": ["jobs", "cronjobs"],
    "autoscaling": ["horizontalpodautoscalers"],
    "policy": ["poddisruptionbudgets"],
    "networking.k8s.io": ["ingresses", "ingressclasses", "networkpolicies"],
    "storage.k8s.io": ["storageclasses", "csidrivers"],
    "scheduling.k8s.io": ["priorityclasses"],
    "coordination.k8s.io": ["leases"],
    "apiextensions.k8s.io": ["customresourcedefinitions"],
    "apiregistration.k8s.io": ["apiservices"],
    "admissionregistration.k8s.io": ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
    "discovery.k8s.io": ["endpointslices"],
}
CRD_KINDS: dict[str, list[str]] = {
    "external-secrets.io": ["externalsecrets", "secretstores", "clustersecretstores", "clusterexternalsecrets",
                            "pushsecrets"],
    "karpenter.sh": ["nodepools", "nodeclaims"],
    "karpenter.k8s.aws": ["ec2nodeclasses"],
    "keda.sh": ["scaledobjects", "scaledjobs", "triggerauthentications", "clustertriggerauthentications"],
    "monitoring.coreos.com": ["servicemonitors", "podmonitors", "prometheusrules", "prometheuses", "alertmanagers",
                              "alertmanagerconfigs", "probes", "thanosrulers", "scrapeconfigs", "prometheusagents"],
    "autoscaling.k8s.io": ["verticalpodautoscalers", "verticalpodautoscalercheckpoints"],
    "security.istio.io": ["authorizationpolicies", "peerauthentications", "requestauthentications"],
    "networking.istio.io": ["destinationrules", "virtualservices", "serviceentries", "sidecars", "gateways",
                            "workloadentries", "workloadgroups", "proxyconfigs", "envoyfilters"],
    "telemetry.istio.io": ["telemetries"],
    "extensions.istio.io": ["wasmplugins"],
    "gateway.networking.k8s.io": ["gateways", "gatewayclasses", "httproutes", "grpcroutes", "referencegrants"],
    "elbv2.k8s.aws": ["targetgroupbindings", "ingressclassparams"],
    "argoproj.io": ["rollouts", "analysistemplates", "clusteranalysistemplates", "analysisruns", "experiments",
                    "applications", "applicationsets", "appprojects"],
}
"""Custom kinds of the pinned charts the program or the charts create (named, like the rest)."""
FORBIDDEN_SUBRESOURCES = ("pods/exec", "pods/attach", "pods/portforward", "nodes/proxy", "services/proxy",
                          "serviceaccounts/token")


def deployer_rules() -> list[dict[str, list[str]]]:
    """The ClusterRole's rules; never a `*` resource (it would match every subresource)."""
    rules = [{"apiGroups": [""], "resources": CORE, "verbs": WRITE}]
    rules += [{"apiGroups": [g], "resources": r, "verbs": WRITE} for g, r in GROUPS.items()]
    rules.append({"apiGroups": ["rbac.authorization.k8s.io"],
                  "resources": ["roles", "rolebindings", "clusterroles", "clusterrolebindings"],
                  "verbs": [*WRITE, "bind", "escalate"]})
    rules += [{"apiGroups": [g], "resources": r, "verbs": WRITE} for g, r in CRD_KINDS.items()]
    rules.append({"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]})
    return rules


@dataclass
class DeployerRbacArgs:
    group: str = DEPLOYER_GROUP


class DeployerRbac(pulumi.ComponentResource):
    """ClusterRole + ClusterRoleBinding of the deployers group (on the cluster's k8s provider)."""

    def __init__(self, name: str, args: DeployerRbacArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:deployer_rbac:DeployerRbac", name, {"group": args.group}, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-role", metadata=k8s.meta.v1.ObjectMetaArgs(name="agentic-platform-deployer"),
            rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=r["apiGroups"], resources=r["resources"], verbs=r["verbs"])
                   for r in deployer_rules()], opts=child)
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-binding", metadata=k8s.meta.v1.ObjectMetaArgs(name="agentic-platform-deployer"),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole",
                                             name=role.metadata.apply(lambda m: m.name or "agentic-platform-deployer")),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="Group", name=args.group, api_group="rbac.authorization.k8s.io")],
            opts=child)
        self.register_outputs({"group": args.group})
