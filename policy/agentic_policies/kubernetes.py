"""Kubernetes pod security and namespace hygiene (the restricted Pod Security Standard, as policy).

Helm releases expose only `values`, not rendered pods, so these checks cover the objects the
program creates itself: workloads, namespaces, network policies, RBAC, config maps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from .config import Settings
from .props import UNKNOWN, get, is_set, items, mapping, number, truthy
from .spec import Meta, resource_policy, stack_policy
from .stack import StackView

CAT = "kubernetes"
POD_SPEC = {
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:apps/v1:ReplicaSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
    "kubernetes:core/v1:Pod": "spec",
}
WORKLOADS = list(POD_SPEC)
LONG_RUNNING = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"]
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def pod_spec(args: ResourceValidationArgs) -> Any:
    return get(args.props, POD_SPEC[args.resource_type])


def containers(spec: Any, init: bool = True) -> list[tuple[str, Any]]:
    out = [(f"containers[{get(c, 'name', i)}]", c) for i, c in enumerate(items(spec, "containers"))]
    if init:
        out += [(f"initContainers[{get(c, 'name', i)}]", c) for i, c in enumerate(items(spec, "initContainers"))]
    return [(n, c) for n, c in out if c is not UNKNOWN]


def _privileged(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for name, c in containers(pod_spec(args)):
        if truthy(get(c, "securityContext.privileged")):
            yield f"{name} is privileged"
        if get(c, "securityContext.allowPrivilegeEscalation") is not False:
            yield f"{name} does not set securityContext.allowPrivilegeEscalation=false"


k8s_privileged = resource_policy(
    Meta("k8s-no-privileged-containers", CAT,
         "Containers are not privileged and set allowPrivilegeEscalation=false.", ("CKV_K8S_16", "CKV_K8S_20"),
         severity=Severity.CRITICAL),
    WORKLOADS, _privileged)

SOCKETS = ("/var/run/docker.sock", "/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
           "/var/run/crio/crio.sock")


def _host(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    spec = pod_spec(args)
    for flag in ("hostPID", "hostIPC", "hostNetwork"):
        if truthy(get(spec, flag)):
            yield f"{flag} is true"
    for name, c in containers(spec):
        for port in items(c, "ports"):
            if is_set(get(port, "hostPort")):
                yield f"{name} binds hostPort {get(port, 'hostPort')}"
    for vol in items(spec, "volumes"):
        path = get(vol, "hostPath.path")
        if is_set(path):
            extra = " (container runtime socket)" if path in SOCKETS else ""
            yield f"volume {get(vol, 'name')} mounts hostPath {path}{extra}"


k8s_host = resource_policy(
    Meta("k8s-no-host-namespaces", CAT,
         "Pods share no host namespace (PID, IPC, network), bind no host port and mount no hostPath.",
         ("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "CKV_K8S_26", "CKV_K8S_27")),
    WORKLOADS, _host)


def _non_root(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    spec = pod_spec(args)
    pod_non_root = truthy(get(spec, "securityContext.runAsNonRoot"))
    pod_uid = number(get(spec, "securityContext.runAsUser"))
    for name, c in containers(spec):
        non_root = get(c, "securityContext.runAsNonRoot")
        uid = number(get(c, "securityContext.runAsUser"))
        effective_uid = uid if uid is not None else pod_uid
        if effective_uid == 0:
            yield f"{name} runs as UID 0"
        elif not (truthy(non_root) or (pod_non_root and non_root is not False)):
            yield f"{name} may run as root: set runAsNonRoot=true (pod or container)"


k8s_non_root = resource_policy(
    Meta("k8s-run-as-non-root", CAT, "Containers run as non-root (runAsNonRoot, never UID 0).",
         ("CKV_K8S_23", "CKV_K8S_40")),
    WORKLOADS, _non_root)

ALLOWED_CAPS = {"NET_BIND_SERVICE"}


def _caps(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for name, c in containers(pod_spec(args)):
        drop = [str(x).upper() for x in items(c, "securityContext.capabilities.drop")]
        add = [str(x).upper() for x in items(c, "securityContext.capabilities.add")]
        if "ALL" not in drop:
            yield f"{name} does not drop ALL capabilities"
        extra = [a for a in add if a.removeprefix("CAP_") not in ALLOWED_CAPS]
        if extra:
            yield f"{name} adds capabilities {', '.join(extra)}"


k8s_caps = resource_policy(
    Meta("k8s-drop-all-capabilities", CAT,
         "Containers drop ALL capabilities and add back at most NET_BIND_SERVICE.",
         ("CKV_K8S_25", "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39")),
    WORKLOADS, _caps)


def _resources(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for name, c in containers(pod_spec(args)):
        missing = [f"{kind}.{res}" for kind in ("requests", "limits") for res in ("cpu", "memory")
                   if not is_set(get(c, f"resources.{kind}.{res}"))]
        if missing:
            yield f"{name} lacks resources {', '.join(missing)}"


k8s_resources = resource_policy(
    Meta("k8s-resource-requests-limits", CAT, "Containers set CPU and memory requests and limits.",
         ("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13")),
    WORKLOADS, _resources)


def _probes(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for name, c in containers(pod_spec(args), init=False):
        for probe in ("readinessProbe", "livenessProbe"):
            if not is_set(get(c, probe)):
                yield f"{name} has no {probe}"


k8s_probes = resource_policy(
    Meta("k8s-liveness-readiness-probes", CAT,
         "Long-running containers (Deployments, StatefulSets) declare readiness and liveness probes.",
         ("CKV_K8S_8", "CKV_K8S_9")),
    LONG_RUNNING, _probes)


def _read_only(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for name, c in containers(pod_spec(args)):
        if not truthy(get(c, "securityContext.readOnlyRootFilesystem")):
            yield f"{name} has a writable root filesystem"


k8s_read_only = resource_policy(
    Meta("k8s-read-only-root-filesystem", CAT, "Containers use a read-only root filesystem.", ("CKV_K8S_22",),
         advisory_only=True),
    WORKLOADS, _read_only)


def _seccomp(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    spec = pod_spec(args)
    pod = get(spec, "securityContext.seccompProfile.type")
    for name, c in containers(spec):
        own = get(c, "securityContext.seccompProfile.type")
        if (own or pod) not in ("RuntimeDefault", "Localhost"):
            yield f"{name} runs without a seccomp profile (set RuntimeDefault)"


k8s_seccomp = resource_policy(
    Meta("k8s-seccomp-runtime-default", CAT, "Pods use the RuntimeDefault seccomp profile.", ("CKV_K8S_31",),
         advisory_only=True),
    WORKLOADS, _seccomp)


def _images(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for name, c in containers(pod_spec(args)):
        image = get(c, "image")
        if not isinstance(image, str):
            continue
        if "@sha256:" in image:
            continue
        last = image.rsplit("/", 1)[-1]
        if ":" not in last:
            yield f"{name} image {image} has no tag (means :latest)"
        elif last.endswith(":latest"):
            yield f"{name} image {image} uses :latest"


k8s_images = resource_policy(
    Meta("k8s-image-pinned", CAT, "Container images carry an explicit tag other than latest (or a digest).",
         ("CKV_K8S_14", "CKV_K8S_43")),
    WORKLOADS, _images)

NAMESPACED = [*WORKLOADS, "kubernetes:core/v1:Service", "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret",
              "kubernetes:core/v1:ServiceAccount", "kubernetes:networking.k8s.io/v1:Ingress", NETWORK_POLICY,
              "kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
              "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:policy/v1:PodDisruptionBudget"]


def _namespace(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    ns = get(args.props, "metadata.namespace")
    if ns is UNKNOWN:
        return
    if not is_set(ns) or ns == "default":
        yield "the object lands in the default namespace; give it the app or tenant namespace"


k8s_default_ns = resource_policy(
    Meta("k8s-no-default-namespace", CAT, "Namespaced objects are never created in the default namespace.",
         ("CKV_K8S_21",)),
    NAMESPACED, _namespace)

PSS = "pod-security.kubernetes.io/enforce"
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


def _pss(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    labels = mapping(args.props, "metadata.labels")
    name = get(args.props, "metadata.name")
    if name in SYSTEM_NAMESPACES:
        return
    level = labels.get(PSS)
    if level is UNKNOWN:
        return
    if "tenant" in labels or any(k.endswith("/tenant") for k in labels):
        if level != "restricted":
            yield f"tenant namespace {name} must enforce the restricted Pod Security Standard (label {PSS})"
    elif level not in ("restricted", "baseline", "privileged"):
        yield (f"namespace {name} declares no Pod Security Standard (label {PSS}: restricted, baseline, or an "
               "explicit privileged for node agents)")


k8s_pss = resource_policy(
    Meta("k8s-namespace-pod-security", CAT,
         "Namespaces declare the Pod Security Standard they enforce; tenant namespaces enforce restricted.",
         ("CKV2_K8S_6",)),
    [NAMESPACE], _pss)


def _default_deny(view: StackView) -> Iterator[tuple[str, str | None]]:
    policies = view.of_type(NETWORK_POLICY)
    for ns in view.of_type(NAMESPACE):
        name = get(ns.props, "metadata.name")
        if name in SYSTEM_NAMESPACES or not isinstance(name, str):
            continue
        mine = [p for p in policies if get(p.props, "metadata.namespace") == name
                or any(t.urn == ns.urn for t in view.refs(p, "metadata"))]
        deny_all = [p for p in mine if not mapping(p.props, "spec.podSelector.matchLabels")
                    and not items(p.props, "spec.podSelector.matchExpressions")
                    and "Ingress" in items(p.props, "spec.policyTypes")]
        if not deny_all:
            yield (f"namespace {name} has no default-deny NetworkPolicy (empty podSelector, policyTypes Ingress); "
                   f"{len(mine)} other policies"), ns.urn


k8s_default_deny = stack_policy(
    Meta("k8s-namespace-default-deny", CAT,
         "Every namespace the program creates has a default-deny ingress NetworkPolicy.", ("CKV2_K8S_6",)),
    _default_deny)

SECRET_NAME = re.compile(r"(password|passwd|secret|token|api[_-]?key|apikey|credential|private[_-]?key)", re.I)
URL_CREDS = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
OFFLINE_SECRET = "offline-test-secret-"


def _looks_secret(key: str, value: Any) -> bool:
    """A literal credential: a test/real secret marker, credentials in a URL, or a short opaque value
    under a secret-sounding key (documents such as dashboards or JSON config are not credentials)."""
    if not isinstance(value, str) or not value:
        return False
    if OFFLINE_SECRET in value or URL_CREDS.search(value):
        return True
    opaque = 8 <= len(value) <= 256 and not any(ch.isspace() for ch in value) and value[0] not in "{[<"
    return bool(SECRET_NAME.search(key)) and opaque and not value.startswith(("arn:", "/", "http"))


def _secrets_in_config(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if args.resource_type == "kubernetes:core/v1:ConfigMap":
        for key, value in mapping(args.props, "data").items():
            if _looks_secret(key, value):
                yield f"ConfigMap key {key} holds what looks like a secret; use a Secret via External Secrets"
        return
    for name, c in containers(pod_spec(args)):
        for env in items(c, "env"):
            key = str(get(env, "name", ""))
            if _looks_secret(key, get(env, "value")):
                yield f"{name} env {key} is a literal secret; use valueFrom.secretKeyRef"


k8s_plain_secrets = resource_policy(
    Meta("k8s-no-plaintext-secrets", CAT,
         "Secrets never sit in ConfigMaps or literal container env values.", ("CKV_K8S_35",)),
    ["kubernetes:core/v1:ConfigMap", *WORKLOADS], _secrets_in_config)

RBAC = ["kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "kubernetes:rbac.authorization.k8s.io/v1:Role"]


def _rbac(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    cluster_wide = args.resource_type.endswith(":ClusterRole")
    for i, rule in enumerate(items(args.props, "rules")):
        verbs = [str(v) for v in items(rule, "verbs")]
        resources = [str(r) for r in items(rule, "resources")]
        if "*" in verbs or "*" in resources or "*" in [str(g) for g in items(rule, "apiGroups")]:
            yield f"rules[{i}] uses a wildcard"
        risky = [v for v in verbs if v in ("escalate", "bind", "impersonate")]
        if risky:
            yield f"rules[{i}] grants {', '.join(risky)}"
        if cluster_wide and "secrets" in resources and any(v in verbs for v in ("get", "list", "watch")):
            yield f"rules[{i}] reads secrets cluster-wide"


k8s_rbac = resource_policy(
    Meta("k8s-rbac-least-privilege", CAT,
         "Roles use no wildcards, no escalate/bind/impersonate, and no cluster-wide secret reads.",
         ("CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157", "CKV_K8S_158", "CKV2_K8S_5")),
    RBAC, _rbac)


def _automount(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    spec = pod_spec(args)
    if get(spec, "automountServiceAccountToken") is not False and not is_set(get(spec, "serviceAccountName")):
        yield "the pod mounts the default service account's token; set automountServiceAccountToken=false"


k8s_automount = resource_policy(
    Meta("k8s-no-default-service-account-token", CAT,
         "Pods that use no dedicated service account do not mount a token.", ("CKV_K8S_38",), advisory_only=True),
    WORKLOADS, _automount)



def _k8s_secret(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    keys = sorted({*mapping(args.props, "data"), *mapping(args.props, "stringData")})
    if keys:
        yield (f"a Kubernetes Secret with literal data ({', '.join(keys)}) is written by the program; keep the value "
               "in Secrets Manager and sync it with an ExternalSecret")


k8s_secret_source = resource_policy(
    Meta("k8s-secrets-via-external-secrets", CAT,
         "Kubernetes Secrets are synced from Secrets Manager by External Secrets, not written with literal data.",
         advisory_only=True),
    ["kubernetes:core/v1:Secret"], _k8s_secret)

POLICIES = [k8s_secret_source, k8s_privileged, k8s_host, k8s_non_root, k8s_caps, k8s_resources, k8s_probes,
            k8s_read_only, k8s_seccomp, k8s_images, k8s_default_ns, k8s_pss, k8s_default_deny, k8s_plain_secrets,
            k8s_rbac, k8s_automount]
