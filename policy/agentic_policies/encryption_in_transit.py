"""Encryption in transit: TLS required (not merely offered) on every hop the platform owns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .config import Settings
from .props import MISSING, UNKNOWN, as_list, get, is_set, items, mapping, parse_json, truthy
from .residency import BUCKETS
from .spec import Meta, resource_policy, stack_policy
from .stack import StackView

CAT = "encryption-in-transit"
TLS13_POLICY_PREFIXES = ("ELBSecurityPolicy-TLS13-1-2-", "ELBSecurityPolicy-TLS13-1-3-")
"""ELB security policies that offer TLS 1.3 with 1.2 (or 1.3) as the floor. Not the bare
`ELBSecurityPolicy-TLS13-` prefix: ELBSecurityPolicy-TLS13-1-0-2021-06 and -1-1- offer TLS 1.3
but still accept TLS 1.0/1.1 (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html)."""
TLS_POLICY_PREFIXES = (*TLS13_POLICY_PREFIXES, "ELBSecurityPolicy-FS-1-2", "ELBSecurityPolicy-TLS-1-2")
"""TLS 1.2 as the floor, TLS 1.3 offered or not."""
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ALB = "alb.ingress.kubernetes.io/"


def _elasticache_transit(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if is_set(get(args.props, "globalReplicationGroupId")):
        return
    if not truthy(get(args.props, "transitEncryptionEnabled")):
        yield "transitEncryptionEnabled must be true (absent means plaintext)"
    mode = get(args.props, "transitEncryptionMode")
    if isinstance(mode, str) and mode != "required":
        yield f"transitEncryptionMode is {mode!r}: 'preferred' still accepts plaintext clients; use 'required'"


elasticache_transit = resource_policy(
    Meta("elasticache-transit-encryption-required", CAT,
         "ElastiCache requires TLS: transitEncryptionEnabled and transitEncryptionMode absent or 'required'.",
         ("CKV_AWS_30",), ("ElastiCache.5",)),
    ["aws:elasticache/replicationGroup:ReplicationGroup"], _elasticache_transit)


def _elasticache_auth(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if is_set(get(args.props, "globalReplicationGroupId")):
        return
    if not is_set(get(args.props, "authToken")) and not is_set(get(args.props, "userGroupIds")):
        yield "no authToken and no userGroupIds: any client in the security group can connect without AUTH"
    if is_set(get(args.props, "authToken")) and not is_set(get(args.props, "authTokenUpdateStrategy")):
        yield "authToken without an explicit authTokenUpdateStrategy (pulumi-aws 7)"


elasticache_auth = resource_policy(
    Meta("elasticache-auth-required", CAT, "ElastiCache clients authenticate (AUTH token or RBAC user groups).",
         ("CKV_AWS_31",), ("ElastiCache.6",)),
    ["aws:elasticache/replicationGroup:ReplicationGroup"], _elasticache_auth)


def _param_is(group: Any, name: str, value: str) -> bool:
    return any(get(p, "name") == name and str(get(p, "value")) == value for p in items(group.props, "parameters"))


def _force_ssl(view: StackView) -> Iterator[tuple[str, str | None]]:
    groups_t = ("aws:rds/clusterParameterGroup:ClusterParameterGroup",)
    for cluster in view.of_type("aws:rds/cluster:Cluster"):
        engine = get(cluster.props, "engine")
        if not isinstance(engine, str) or "postgres" not in engine:
            continue
        if not is_set(get(cluster.props, "dbClusterParameterGroupName")):
            yield (f"cluster {cluster.name} uses the default parameter group; attach one with rds.force_ssl=1"), \
                cluster.urn
            continue
        groups = view.refs(cluster, "dbClusterParameterGroupName", groups_t)
        if not groups:
            yield (f"cluster {cluster.name}: parameter group {get(cluster.props, 'dbClusterParameterGroupName')!r} "
                   "is not in this stack, rds.force_ssl cannot be proven"), cluster.urn
        for g in groups:
            if not _param_is(g, "rds.force_ssl", "1"):
                yield f"cluster {cluster.name}: parameter group {g.name} does not set rds.force_ssl=1", cluster.urn


aurora_force_ssl = stack_policy(
    Meta("aurora-postgres-force-ssl", CAT,
         "Aurora PostgreSQL clusters use a cluster parameter group with rds.force_ssl=1.",
         ("CKV2_AWS_69",), ("RDS.38",)),
    _force_ssl)


def _proxy_tls(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not truthy(get(args.props, "requireTls")):
        yield "requireTls must be true"


rds_proxy_tls = resource_policy(
    Meta("rds-proxy-require-tls", CAT, "RDS Proxy accepts only TLS connections."),
    ["aws:rds/proxy:Proxy"], _proxy_tls)


def _is_alb_ingress(props: Any) -> bool:
    cls = get(props, "spec.ingressClassName")
    ann = mapping(props, "metadata.annotations")
    return cls == "alb" or ann.get("kubernetes.io/ingress.class") == "alb" or any(k.startswith(ALB) for k in ann)


def _ingress_tls(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not _is_alb_ingress(args.props):
        return
    ann = mapping(args.props, "metadata.annotations")
    policy = ann.get(ALB + "ssl-policy")
    if not isinstance(policy, str) or not policy.startswith(TLS13_POLICY_PREFIXES):
        yield (f"annotation {ALB}ssl-policy is {policy!r}; use a policy offering TLS 1.3 with 1.2 as the floor "
               f"({', '.join(p + '*' for p in TLS13_POLICY_PREFIXES)})")
    ports = parse_json(ann.get(ALB + "listen-ports")) if ann.get(ALB + "listen-ports") else None
    protocols = {k for entry in (ports or []) if isinstance(entry, dict) for k in entry}
    if not ports or "HTTPS" not in protocols:
        yield f"annotation {ALB}listen-ports must declare an HTTPS listener"
    if "HTTP" in protocols and not is_set(ann.get(ALB + "ssl-redirect", MISSING)):
        yield f"an HTTP listener without {ALB}ssl-redirect serves plaintext"
    if not is_set(ann.get(ALB + "certificate-arn", MISSING)) and not items(args.props, "spec.tls"):
        yield f"no certificate: set {ALB}certificate-arn (or spec.tls)"


ingress_tls = resource_policy(
    Meta("ingress-alb-tls-policy", CAT,
         "ALB Ingresses listen on HTTPS with a security policy offering TLS 1.3 (TLS 1.2 the floor) and redirect HTTP.",
         ("CKV_AWS_2", "CKV_AWS_103"), ("ELB.1", "ELB.17")),
    [INGRESS], _ingress_tls)


def _listener(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    protocol = get(args.props, "protocol")
    if protocol in ("HTTPS", "TLS"):
        policy = get(args.props, "sslPolicy")
        if not isinstance(policy, str) or not policy.startswith(TLS_POLICY_PREFIXES):
            yield f"sslPolicy {policy!r} allows TLS below 1.2"
        return
    if protocol in ("HTTP", "TCP", "UDP", "TCP_UDP"):
        actions = items(args.props, "defaultActions")
        redirect = (len(actions) == 1 and get(actions[0], "type") == "redirect"
                    and get(actions[0], "redirect.protocol") == "HTTPS")
        if protocol == "HTTP" and redirect:
            return
        yield f"{protocol} listener serves plaintext (only an HTTP->HTTPS redirect is allowed)"


lb_listener = resource_policy(
    Meta("lb-listener-tls", CAT, "Load balancer listeners use HTTPS/TLS with a TLS 1.2+ policy or only redirect.",
         ("CKV_AWS_2", "CKV_AWS_103"), ("ELB.1",)),
    ["aws:lb/listener:Listener", "aws:alb/listener:Listener", "aws:elasticloadbalancingv2/listener:Listener",
     "aws:applicationloadbalancing/listener:Listener"], _listener)


def denies_insecure_transport(document: Any) -> bool:
    doc = parse_json(document)
    if not isinstance(doc, dict):
        return False
    for st in as_list(doc.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Deny":
            continue
        cond = st.get("Condition") or {}
        for op in ("Bool", "BoolIfExists"):
            value = (cond.get(op) or {}).get("aws:SecureTransport")
            if value is not None and [str(v).lower() for v in as_list(value)] == ["false"]:
                return True
    return False


def _s3_tls(view: StackView) -> Iterator[tuple[str, str | None]]:
    policies = view.of_type("aws:s3/bucketPolicy:BucketPolicy")
    for bucket in view.of_type(*BUCKETS):
        mine = [p for p in policies if any(t.urn == bucket.urn for t in view.refs(p, "bucket", BUCKETS))]
        docs = [get(p.props, "policy") for p in mine]
        if any(d is UNKNOWN for d in docs):
            continue  # computed document: the resource is re-checked on update
        if not any(denies_insecure_transport(d) for d in docs):
            yield (f"bucket {bucket.name} has no bucket policy denying aws:SecureTransport=false "
                   f"({len(mine)} policies found)"), bucket.urn


s3_tls = stack_policy(
    Meta("s3-deny-insecure-transport", CAT,
         "Every S3 bucket has a bucket policy that denies requests without TLS (aws:SecureTransport=false).",
         ("CKV_AWS_379",), ("S3.5",)),
    _s3_tls)


ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
CLOUDFLARE_LB = "cloudflare:index/loadBalancer:LoadBalancer"
OFF_SWITCHES = ("always_use_https", "tls_1_3", "automatic_https_rewrites")


def _cf_setting(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    setting = get(args.props, "settingId")
    value = get(args.props, "value")
    if setting == "min_tls_version" and isinstance(value, str) and value < "1.2":
        yield f"min_tls_version {value} < 1.2"
    if setting == "ssl" and isinstance(value, str) and value not in ("strict", "full_strict", "origin_pull"):
        yield f"ssl mode {value!r}: use 'strict' so Cloudflare verifies the origin certificate"
    if setting in OFF_SWITCHES and value == "off":
        yield f"{setting} is off"


cloudflare_tls = resource_policy(
    Meta("cloudflare-zone-tls", CAT,
         "Cloudflare zone settings keep TLS 1.2+ at the edge, TLS 1.3 offered, strict origin TLS and HTTPS only."),
    [ZONE_SETTING], _cf_setting)

ZONE_SETTINGS_REQUIRED = ("ssl", "min_tls_version", "tls_1_3", "always_use_https")
"""What a zone serving this stack's hostnames must set in code: left to the dashboard, `ssl` could
be `flexible` (plaintext to the origin) and nothing would show it in `pulumi preview`."""


def _cf_zone_complete(view: StackView) -> Iterator[tuple[str, str | None]]:
    """Every zone carrying a load balancer of this stack sets each required setting in code
    (`cloudflare-zone-tls` judges their values; this one notices a missing one)."""
    present: dict[Any, set[Any]] = {}
    for z in view.of_type(ZONE_SETTING):
        present.setdefault(get(z.props, "zoneId"), set()).add(get(z.props, "settingId"))
    for lb in view.of_type(CLOUDFLARE_LB):
        zone = get(lb.props, "zoneId")
        if zone is UNKNOWN:
            continue  # computed zone: judged at the update
        missing = [k for k in ZONE_SETTINGS_REQUIRED if k not in present.get(zone, set())]
        if missing:
            yield (f"load balancer {get(lb.props, 'name')} serves zone {zone}, which sets no "
                   f"{', '.join(missing)} in code (a ZoneSetting each: components/cloudflare_edge.py)"), lb.urn


cloudflare_zone_complete = stack_policy(
    Meta("cloudflare-zone-settings-in-code", CAT,
         "Every Cloudflare zone carrying a load balancer of this stack sets ssl, min_tls_version, tls_1_3 and "
         "always_use_https in code."),
    _cf_zone_complete)

TRUST_STORE = "aws:lb/trustStore:TrustStore"
CLOUDFLARE_ORIGIN_PULLS = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"


def _verify_trust_store(ann: dict[str, Any]) -> Any:
    """The `trustStore` of the port-443 `verify` entry of the mutual-authentication annotation, or None."""
    raw = ann.get(ALB + "mutual-authentication")
    entries = parse_json(raw) if isinstance(raw, str) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("port") == 443 and entry.get("mode") == "verify":
            return entry.get("trustStore")
    return None


def _origin_mtls(view: StackView) -> Iterator[tuple[str, str | None]]:
    """Behind Cloudflare, every internet-facing ALB Ingress verifies the origin-pull client certificate.

    Cloudflare's IP ranges are shared by every Cloudflare customer, so the security group alone
    lets any zone reach the origin. Mutual TLS `verify` against a trust store of this stack in the
    Ingress's own region (a trust store is regional: an ALB cannot use another region's) admits
    only the client certificate this zone presents.
    """
    if not view.of_type(CLOUDFLARE_ORIGIN_PULLS, CLOUDFLARE_LB):
        return
    stores = view.of_type(TRUST_STORE)
    for ing in view.of_type(INGRESS):
        if not _is_alb_ingress(ing.props):
            continue
        ann = mapping(ing.props, "metadata.annotations")
        if ann.get(ALB + "scheme") != "internet-facing":
            continue
        name = f"Ingress {ing.name}"
        store = _verify_trust_store(ann)
        if store is UNKNOWN:
            continue  # preview before the trust store exists: its ARN is not known yet
        if not isinstance(store, str) or not store:
            yield (f"{name} sits behind Cloudflare without {ALB}mutual-authentication "
                   '[{"port": 443, "mode": "verify", "trustStore": <trust store>}]: any Cloudflare zone '
                   "can reach the origin"), ing.urn
            continue
        matches = [t for t in stores if store in (get(t.props, "arn"), get(t.props, "name"))]
        if not matches:  # preview: a new trust store's ARN is unknown; the Ingress depends on it
            matches = [t for t in view.refs(ing, "metadata", [TRUST_STORE]) if get(t.props, "arn") is UNKNOWN]
        if not matches:
            yield f"{name}: trust store {store!r} is not a trust store of this stack", ing.urn
            continue
        region = view.region(ing)
        if region is None or region is UNKNOWN:
            continue  # the Ingress's region is not knowable here; the controller refuses a foreign ARN
        if not any(view.region(t) == region for t in matches):
            yield (f"{name} ({region}): trust store {store!r} is in "
                   f"{', '.join(sorted({str(view.region(t)) for t in matches}))}, not in the Ingress's region"), \
                ing.urn


alb_origin_mtls = stack_policy(
    Meta("alb-origin-mtls", CAT,
         "Behind Cloudflare, internet-facing ALB Ingresses run mutual TLS in verify mode with a trust store "
         "of their region (authenticated origin pulls)."),
    _origin_mtls)

POLICIES = [elasticache_transit, elasticache_auth, aurora_force_ssl, rds_proxy_tls, ingress_tls, lb_listener, s3_tls,
            cloudflare_tls, cloudflare_zone_complete, alb_origin_mtls]
