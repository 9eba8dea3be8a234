"""AWS Data Exports (Cost and Usage Report 2.0) with EKS split cost allocation, to an encrypted bucket.

The export is what attributes the shared nodes' cost to Kubernetes namespaces (the split cost
allocation columns); `python -m ops cost-report` reads the same attribution from Cost Explorer.
Data Exports is a us-east-1 API and writes only with the bucket policy AWS documents (both
service principals, scoped to this account's exports and definitions):
https://docs.aws.amazon.com/cur/latest/userguide/dataexports-s3-bucket.html
Split cost allocation data: https://docs.aws.amazon.com/cur/latest/userguide/split-cost-allocation-data.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.audit import LogBucket, LogBucketArgs

EXPORT_REGION = "us-east-1"
WRITERS = ["billingreports.amazonaws.com", "bcm-data-exports.amazonaws.com"]

COLUMNS = (
    "bill_billing_period_start_date", "line_item_usage_start_date", "line_item_usage_account_id",
    "line_item_line_item_type", "line_item_product_code", "line_item_usage_type", "line_item_operation",
    "line_item_resource_id", "line_item_usage_amount", "line_item_unblended_cost", "product_region_code",
    "resource_tags", "split_line_item_parent_resource_id", "split_line_item_split_usage",
    "split_line_item_split_usage_ratio", "split_line_item_split_cost", "split_line_item_unused_cost",
)
"""Cost per resource, region and tag (tenant) plus the split cost of each pod's share of a node."""


def query_statement() -> str:
    return f"SELECT {', '.join(COLUMNS)} FROM COST_AND_USAGE_REPORT"


TABLE_CONFIGURATION = {"COST_AND_USAGE_REPORT": {
    "TIME_GRANULARITY": "DAILY", "INCLUDE_RESOURCES": "TRUE", "INCLUDE_SPLIT_COST_ALLOCATION_DATA": "TRUE",
    "INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY": "FALSE"}}


def writer_statements(bucket_arn: str, account_id: str) -> list[dict[str, Any]]:
    return [{"Sid": "DataExportsWrite", "Effect": "Allow", "Principal": {"Service": WRITERS},
             "Action": ["s3:PutObject", "s3:GetBucketPolicy"], "Resource": [bucket_arn, f"{bucket_arn}/*"],
             "Condition": {"StringLike": {
                 "aws:SourceAccount": account_id,
                 "aws:SourceArn": [f"arn:aws:cur:{EXPORT_REGION}:{account_id}:definition/*",
                                   f"arn:aws:bcm-data-exports:{EXPORT_REGION}:{account_id}:export/*"]}}}]


def key_policy(account_id: str) -> str:
    """The account administers the key; the export writers may only encrypt for this account."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdmin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "DataExportsEncrypt", "Effect": "Allow", "Principal": {"Service": WRITERS},
         "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
    ]})


@dataclass
class CostExportArgs:
    name: str
    """Export and bucket-prefix name (`<project>-<env>-cur2`)."""
    account_id: str
    access_log_bucket: pulumi.Input[str] | None = None
    retention_days: int = 730
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class CostExport(pulumi.ComponentResource):
    def __init__(self, name: str, args: CostExportArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:cost:CostExport", name, {"region": EXPORT_REGION}, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(f"{name}-key", region=EXPORT_REGION, description=f"{args.name}: cost and usage exports",
                          enable_key_rotation=True, deletion_window_in_days=30, policy=key_policy(args.account_id),
                          tags=dict(args.tags), opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        bucket = LogBucket(f"{name}-bucket", LogBucketArgs(
            region=EXPORT_REGION, kms_key_arn=key.arn, transition_days=90, expiration_days=args.retention_days,
            transition_storage_class="STANDARD_IA", extra_statements=writer_statements,
            access_log_bucket=args.access_log_bucket, protect=args.protect, tags=dict(args.tags)), opts=child)
        export = aws.bcmdata.Export(f"{name}-export", export=aws.bcmdata.ExportExportArgs(
            name=args.name, description="CUR 2.0 with EKS split cost allocation (ops cost-report)",
            data_queries=[aws.bcmdata.ExportExportDataQueryArgs(
                query_statement=query_statement(), table_configurations=TABLE_CONFIGURATION)],
            destination_configurations=[aws.bcmdata.ExportExportDestinationConfigurationArgs(
                s3_destinations=[aws.bcmdata.ExportExportDestinationConfigurationS3DestinationArgs(
                    s3_bucket=bucket.bucket, s3_prefix=args.name, s3_region=EXPORT_REGION,
                    s3_output_configurations=[
                        aws.bcmdata.ExportExportDestinationConfigurationS3DestinationS3OutputConfigurationArgs(
                            compression="PARQUET", format="PARQUET", output_type="CUSTOM",
                            overwrite="OVERWRITE_REPORT")])])],
            refresh_cadences=[aws.bcmdata.ExportExportRefreshCadenceArgs(frequency="SYNCHRONOUS")]),
            tags=dict(args.tags), opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]))
        self.bucket = bucket.bucket
        self.export_arn = export.id
        self.register_outputs({"bucket": self.bucket, "export_arn": self.export_arn})
