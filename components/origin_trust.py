"""The origin side of Cloudflare authenticated origin pulls: an ELB trust store per region.

Cloudflare presents a client certificate on every request to the origin
(https://developers.cloudflare.com/ssl/origin-configuration/authenticated-origin-pull/). The ALB
checks it in mutual-TLS `verify` mode against a trust store: a CA bundle that ELB reads from an
S3 object when the trust store is created or changed
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/mutual-authentication.html).

Why this shape:
- Only the CA of this platform's own origin-pull certificate goes into the bundle. Cloudflare's
  shared origin-pull CA would admit any Cloudflare zone, i.e. anyone with a Cloudflare account,
  which the ALB's Cloudflare-only security group already says; the own CA admits this zone only.
- The bundle lives in a small bucket of its own (`SecureBucket`: SSE-KMS with the region's
  storage key, public access blocked, TLS-only policy, versioned). The ALB/S3 access-log bucket
  is SSE-S3 and written by log delivery services, the wrong place for trust material; the
  uploads bucket holds tenant data and is replicated. The object is public material (a CA
  certificate), but who can replace it decides who reaches the origin, hence a bucket whose
  writes only the deployer makes.
- The trust store pins the object's version: a new bundle is a new version, Pulumi sees the
  changed version and updates the trust store in place (ModifyTrustStore), so a rotation is a
  `pulumi up` and never a stale read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.secure_bucket import SecureBucket, SecureBucketArgs

BUNDLE_KEY = "origin-pull/ca-bundle.pem"
"""Object key of the CA bundle (PEM, one or more CA certificates)."""


@dataclass
class OriginTrustStoreArgs:
    region: str
    bucket_name: pulumi.Input[str]
    trust_store_name: str
    """At most 32 characters, alphanumerics and hyphens (ELB's rule for trust store names)."""
    ca_pem: str
    """Public PEM of the CA that issued the zone's origin-pull client certificate."""
    kms_key_arn: pulumi.Input[str]
    """The region's storage key: the bundle is encrypted at rest like every other object here."""
    log_bucket: pulumi.Input[str] | None = None
    log_prefix: str = "s3/origin-trust/"
    protected: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


def check_args(args: OriginTrustStoreArgs) -> None:
    """Refuse what ELB would refuse later, before anything is registered."""
    name = args.trust_store_name
    if not (0 < len(name) <= 32) or not all(c.isalnum() or c == "-" for c in name) or name[0] == "-" \
            or name[-1] == "-":
        raise ValueError(f"trust store name {name!r}: at most 32 alphanumerics or hyphens, "
                         "not starting or ending with a hyphen")
    if "-----BEGIN CERTIFICATE-----" not in args.ca_pem:
        raise ValueError("OriginTrustStoreArgs.ca_pem is not a PEM certificate")
    if "PRIVATE KEY" in args.ca_pem:
        raise ValueError("OriginTrustStoreArgs.ca_pem holds a private key; give the CA certificate only")


class OriginTrustStore(pulumi.ComponentResource):
    """Bucket + CA bundle object + `aws.lb.TrustStore`; `arn` goes to the Ingress annotation."""

    arn: pulumi.Output[str]
    bucket: SecureBucket
    bundle: aws.s3.BucketObjectv2
    trust_store: aws.lb.TrustStore

    def __init__(self, name: str, args: OriginTrustStoreArgs, opts: pulumi.ResourceOptions | None = None):
        check_args(args)
        super().__init__("agentic:edge:OriginTrustStore", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = SecureBucket(f"{name}-ca", SecureBucketArgs(
            bucket_name=args.bucket_name, region=args.region, kms_key_arn=args.kms_key_arn,
            log_bucket=args.log_bucket, log_prefix=args.log_prefix, protected=args.protected,
            tags=dict(args.tags)), opts=child)
        pem = args.ca_pem if args.ca_pem.endswith("\n") else args.ca_pem + "\n"
        self.bundle = aws.s3.BucketObjectv2(
            f"{name}-ca-bundle", region=args.region, bucket=self.bucket.name, key=BUNDLE_KEY, content=pem,
            content_type="application/x-pem-file", server_side_encryption="aws:kms",
            kms_key_id=args.kms_key_arn, bucket_key_enabled=True, tags=dict(args.tags),
            # The bucket policy refuses uploads before it and the default encryption exist.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket.encryption, self.bucket.versioning]))
        self.trust_store = aws.lb.TrustStore(
            f"{name}-trust-store", region=args.region, name=args.trust_store_name,
            ca_certificates_bundle_s3_bucket=self.bucket.name,
            ca_certificates_bundle_s3_key=self.bundle.key,
            ca_certificates_bundle_s3_object_version=self.bundle.version_id,
            tags={**args.tags, "Name": args.trust_store_name}, opts=child)
        self.arn = self.trust_store.arn
        self.register_outputs({"arn": self.arn, "bucket": self.bucket.name})
