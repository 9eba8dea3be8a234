"""A small program exercising options, regions, secrets and realistic state."""

import pulumi
import pulumi_aws as aws

cfg = pulumi.Config()
provider = aws.Provider("aws-main", region="eu-west-1")
key = aws.kms.Key("key", region="eu-central-1", opts=pulumi.ResourceOptions(provider=provider, protect=True))
bucket = aws.s3.Bucket(
    "data",
    tags={"data-residency": "eu"},
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[key], retain_on_delete=True,
                                ignore_changes=["tags"], aliases=[pulumi.Alias(name="old-data")]),
)
secret = aws.secretsmanager.Secret("token", region="eu-central-1", opts=pulumi.ResourceOptions(provider=provider))
aws.secretsmanager.SecretVersion("token-v1", secret_id=secret.id, secret_string=cfg.require_secret("token"),
                                 region="eu-central-1", opts=pulumi.ResourceOptions(provider=provider))
azs = aws.get_availability_zones(region="ap-southeast-1")
pulumi.export("key_arn", key.arn)
pulumi.export("bucket_arn", bucket.arn)
pulumi.export("azs", azs.names)
pulumi.export("token", cfg.require_secret("token"))
pulumi.export("stack", pulumi.get_stack())
