"""IAM and key policies: no admin wildcards, no anonymous trust, no user-attached permissions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .config import Settings
from .props import UNKNOWN, as_list, get, items, parse_json, truthy
from .spec import Meta, resource_policy

CAT = "iam"
DOC_TYPES = ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy",
             "aws:iam/groupPolicy:GroupPolicy", "aws:iam/role:Role")


def _documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    if args.resource_type == "aws:iam/role:Role":
        for i, inline in enumerate(items(args.props, "inlinePolicies")):
            doc = get(inline, "policy")
            if doc is not UNKNOWN:
                yield f"inlinePolicies[{i}]", parse_json(doc)
        return
    doc = get(args.props, "policy")
    if doc is not UNKNOWN:
        yield "policy", parse_json(doc)


def statements(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        return []
    return [st for st in as_list(doc.get("Statement")) if isinstance(st, dict)]


def _allow_pairs(doc: Any) -> Iterator[tuple[dict[str, Any], list[str], list[str]]]:
    for st in statements(doc):
        if st.get("Effect") != "Allow":
            continue
        yield st, [str(a) for a in as_list(st.get("Action"))], [str(r) for r in as_list(st.get("Resource"))]


def _admin(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for where, doc in _documents(args):
        for _, actions, resources in _allow_pairs(doc):
            if any(a in ("*", "*:*") for a in actions) and "*" in resources:
                yield f"{where} allows Action '*' on Resource '*' (full administrator)"


iam_admin = resource_policy(
    Meta("iam-no-wildcard-admin", CAT, "No IAM policy allows Action '*' on Resource '*'.",
         ("CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_355"), ("IAM.1", "IAM.21")),
    DOC_TYPES, _admin)


def _service_wildcards(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for where, doc in _documents(args):
        for _, actions, resources in _allow_pairs(doc):
            broad = [a for a in actions if a.endswith(":*") and a != "*:*"]
            if broad and "*" in resources:
                yield f"{where} allows {', '.join(broad)} on every resource"


iam_service_wildcards = resource_policy(
    Meta("iam-no-service-wildcard-on-all", CAT, "No IAM policy allows a whole service (svc:*) on Resource '*'.",
         ("CKV_AWS_355", "CKV_AWS_290"), ("IAM.21",), advisory_only=True),
    DOC_TYPES, _service_wildcards)


def _kms_all(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for where, doc in _documents(args):
        for _, actions, resources in _allow_pairs(doc):
            risky = [a for a in actions if a.lower() in ("kms:decrypt", "kms:reencryptfrom", "kms:*")]
            if risky and "*" in resources:
                yield f"{where} allows {', '.join(risky)} on every KMS key; name the keys"


iam_kms_all = resource_policy(
    Meta("iam-no-kms-decrypt-on-all-keys", CAT, "IAM policies grant kms:Decrypt only on named keys.", (),
         ("KMS.1", "KMS.2"), advisory_only=True),
    DOC_TYPES, _kms_all)

ADMIN_SUFFIXES = (":policy/AdministratorAccess", ":policy/IAMFullAccess", ":policy/PowerUserAccess")


def _attachments(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    arns = items(args.props, "managedPolicyArns") if args.resource_type == "aws:iam/role:Role" else [
        get(args.props, "policyArn")]
    for arn in arns:
        if isinstance(arn, str) and arn.endswith(ADMIN_SUFFIXES):
            yield f"attaches {arn.rsplit('/', 1)[-1]}; grant least privilege instead"


iam_admin_attachment = resource_policy(
    Meta("iam-no-admin-managed-policy", CAT,
         "No role, user or group gets AdministratorAccess, IAMFullAccess or PowerUserAccess.", ("CKV_AWS_274",)),
    ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
     "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment",
     "aws:iam/role:Role"], _attachments)


def _user_policies(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    yield "permissions attached directly to an IAM user; use roles (Pod Identity, SSO) or groups"


iam_user_policies = resource_policy(
    Meta("iam-no-user-attached-policies", CAT, "IAM users get no directly attached or inline policies.", (),
         ("IAM.2",)),
    ["aws:iam/userPolicyAttachment:UserPolicyAttachment", "aws:iam/userPolicy:UserPolicy"], _user_policies)


def _principals(st: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    p = st.get("Principal")
    if p == "*":
        return ["*"], [], []
    if not isinstance(p, dict):
        return [], [], []
    return ([str(x) for x in as_list(p.get("AWS"))], [str(x) for x in as_list(p.get("Federated"))],
            [str(x) for x in as_list(p.get("Service"))])


def _conditions_on(st: dict[str, Any], suffix: str) -> bool:
    cond = st.get("Condition") or {}
    return any(isinstance(block, dict) and any(str(k).endswith(suffix) for k in block) for block in cond.values())


def _trust(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    doc = get(args.props, "assumeRolePolicy")
    if doc is UNKNOWN:
        return
    for st in statements(parse_json(doc)):
        if st.get("Effect") != "Allow":
            continue
        aws, federated, _ = _principals(st)
        if "*" in aws and not st.get("Condition"):
            yield "trust policy lets any AWS principal ('*') assume the role without a condition"
        for f in federated:
            if "oidc-provider" in f and not _conditions_on(st, ":sub"):
                yield f"web-identity trust on {f.rsplit('/', 1)[-1]} does not pin the service account (:sub)"


iam_trust = resource_policy(
    Meta("iam-trust-policy-narrow", CAT,
         "Role trust policies name their principals; OIDC (IRSA) trusts pin the service account subject.",
         ("CKV_AWS_60", "CKV_AWS_61")),
    ["aws:iam/role:Role"], _trust)


def _key_policy(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if truthy(get(args.props, "bypassPolicyLockoutSafetyCheck")):
        yield "bypassPolicyLockoutSafetyCheck must not be true"
    doc = get(args.props, "policy")
    if doc is UNKNOWN or doc is None:
        return
    for st in statements(parse_json(doc)):
        aws, _, _ = _principals(st)
        if st.get("Effect") == "Allow" and "*" in aws and not st.get("Condition"):
            yield "the key policy allows any principal ('*') without a condition"


kms_key_policy = resource_policy(
    Meta("kms-key-policy-safe", CAT,
         "KMS key policies keep the lockout safety check and never allow '*' principals unconditionally.",
         ("CKV_AWS_33", "CKV2_AWS_64"), ("KMS.5",)),
    ["aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"], _key_policy)

POLICIES = [iam_admin, iam_service_wildcards, iam_kms_all, iam_admin_attachment, iam_user_policies, iam_trust,
            kms_key_policy]
