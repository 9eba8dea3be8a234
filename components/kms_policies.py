"""KMS key policies the base needs, as plain dicts (pure; unit-tested through the components).

Every key keeps the account-root statement so IAM policies can grant use (and nobody gets
locked out of the key); service statements are scoped to one account and one region.
"""

from __future__ import annotations

from typing import Any


def root_statement(account_id: str) -> dict[str, Any]:
    return {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_key_policy(account_id: str, region: str) -> dict[str, Any]:
    """CloudWatch Logs of this account and region may use the key for its log groups only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            root_statement(account_id),
            {
                "Sid": "CloudWatchLogsUse",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                           "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:log-group:*",
                }},
            },
        ],
    }


def ebs_key_policy(account_id: str, region: str) -> dict[str, Any]:
    """EBS volumes (node roots, PVs) of this account may use the key through EC2 only.

    Same shape as the AWS-managed aws/ebs key: any principal of the account, but only via
    EC2. That covers the Auto Scaling service-linked role launching managed nodes and the
    EBS CSI driver, without naming a service-linked role that may not exist yet in a new
    account (a key policy naming a missing principal is rejected).
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            root_statement(account_id),
            {
                "Sid": "EbsUseViaEc2",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                           "kms:CreateGrant", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:CallerAccount": account_id,
                    "kms:ViaService": f"ec2.{region}.amazonaws.com",
                }},
            },
        ],
    }


def account_only_policy(account_id: str) -> dict[str, Any]:
    """Root statement only: use is granted by IAM policies (e.g. the EKS cluster role)."""
    return {"Version": "2012-10-17", "Statement": [root_statement(account_id)]}
