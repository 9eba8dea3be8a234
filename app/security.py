"""Pod Security Admission `restricted` settings every platform pod carries."""

from __future__ import annotations

import pulumi_kubernetes as k8s

PSA_LEVEL = "restricted"
PSA_VERSION = "latest"


def psa_labels() -> dict[str, str]:
    """Enforce, audit and warn at `restricted`: a pod that would break it is refused, not logged."""
    out: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        out[f"pod-security.kubernetes.io/{mode}"] = PSA_LEVEL
        out[f"pod-security.kubernetes.io/{mode}-version"] = PSA_VERSION
    return out


def pod_security(uid: int = 10001, gid: int = 10001) -> k8s.core.v1.PodSecurityContextArgs:
    """Non-root with a fixed uid/gid so volume ownership (fsGroup) is predictable."""
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=uid,
        run_as_group=gid,
        fs_group=gid,
        fs_group_change_policy="OnRootMismatch",
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def container_security(uid: int = 10001, gid: int = 10001) -> k8s.core.v1.SecurityContextArgs:
    """Read-only root, no privilege escalation, no capabilities: writes go to emptyDir mounts."""
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        run_as_user=uid,
        run_as_group=gid,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        privileged=False,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )
