"""One-line failures for operators: every error the CLI can end with, and its exit code.

Operators read these at 3 a.m. during an incident, so each message names the thing to fix
(the output key, the region, the IAM action and the resource) and never shows a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PERMISSION = 3
EXIT_AWS = 4

ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
})

# API operations whose IAM action is not `<service>:<Operation>` (S3 names most of them differently).
IAM_ACTIONS: dict[tuple[str, str], str] = {
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "CopyObject"): "s3:GetObject+s3:PutObject",
    ("s3", "UploadPartCopy"): "s3:GetObject+s3:PutObject",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
}

# Request parameters that name the resource an operation acts on, most specific first.
RESOURCE_PARAMS = (
    "DBInstanceIdentifier", "TargetDBClusterSnapshotIdentifier", "DBClusterSnapshotIdentifier",
    "SourceDBClusterSnapshotIdentifier", "SnapshotIdentifier", "DBClusterIdentifier",
    "SourceDBClusterIdentifier", "GlobalClusterIdentifier", "TargetDbClusterIdentifier",
    "ReplicationGroupId", "BackupVaultName", "KeyId", "Bucket",
)


class OpsError(Exception):
    """A failure the CLI reports as one line on stderr with `exit_code`."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadInput(OpsError):
    """Wrong arguments or an unsafe request (a region outside a residency, a missing flag)."""


class MissingOutput(OpsError):
    """The stack outputs lack a key a command needs (stack not deployed, or an older program)."""


class MissingPermission(OpsError):
    exit_code = EXIT_PERMISSION


class AwsFailure(OpsError):
    """AWS refused or failed a call for a reason other than permissions."""

    exit_code = EXIT_AWS

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


class OperationFailed(OpsError):
    """The operation ran but did not reach its goal (timeout, failed check hook)."""

    exit_code = EXIT_CHECK_FAILED


def iam_action(service: str, operation: str) -> str:
    return IAM_ACTIONS.get((service, operation), f"{service}:{operation}")


def describe_resource(params: Mapping[str, Any], region: str | None) -> str:
    where = f" in {region}" if region else ""
    for key in RESOURCE_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value:
            return f"{value}{where}"
    return region or "the account"


def translate(exc: ClientError, service: str, params: Mapping[str, Any], region: str | None) -> OpsError:
    """Turn a botocore ClientError into the operator's one-line message."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    operation = exc.operation_name
    resource = describe_resource(params, region)
    if code in ACCESS_DENIED_CODES:
        return MissingPermission(f"missing permission {iam_action(service, operation)} for {resource}")
    message = str(error.get("Message", "")).strip() or code
    return AwsFailure(f"{service} {operation} failed for {resource}: {code}: {message}", code)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
