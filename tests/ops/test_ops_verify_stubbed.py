"""Where moto cannot answer like AWS: missing permissions, and replication rules' KMS fields."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from ops_world import make_deps, moto_clients_with, run_cli, write_outputs

from ops.aws import Clients
from ops.outputs import parse_outputs
from ops.verify import Verifier


def test_access_denied_on_kms_names_action_and_key(world, tmp_path, capsys):
    kms = boto3.client("kms", region_name="us-east-1")
    stub = Stubber(kms)
    stub.add_client_error("describe_key", service_error_code="AccessDeniedException", http_status_code=400,
                          service_message="User is not authorized to perform: kms:DescribeKey")
    key = world["regional"]["us-east-1"]["kms_keys"]["database"]
    with stub:
        res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)],
                      make_deps(Clients(overrides={("kms", "us-east-1"): kms})))
    assert res.code == 3
    assert res.err.strip() == f"ops verify: missing permission kms:DescribeKey for {key} in us-east-1"
    assert "Traceback" not in res.err


def test_access_denied_on_s3_uses_the_iam_action_name(world, tmp_path, capsys):
    """GetBucketEncryption is authorised by s3:GetEncryptionConfiguration, and the message says so."""
    s3 = boto3.client("s3", region_name="ap-southeast-1")
    stub = Stubber(s3)
    stub.add_response("get_bucket_location", {"LocationConstraint": "ap-southeast-1"}, {"Bucket": ANY})
    stub.add_client_error("get_bucket_encryption", service_error_code="AccessDenied", http_status_code=403)
    clients = moto_clients_with({("s3", "ap-southeast-1"): s3})
    with stub:
        res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)], make_deps(clients))
    assert res.code == 3
    assert res.err.strip() == ("ops verify: missing permission s3:GetEncryptionConfiguration"
                               " for prod-global-data-apse1 in ap-southeast-1")


def replication_rule(dest: str, key: str | None, sse: bool) -> dict[str, Any]:
    rule: dict[str, Any] = {"ID": f"to-{dest}", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
                            "DeleteMarkerReplication": {"Status": "Enabled"},
                            "Destination": {"Bucket": f"arn:aws:s3:::{dest}"}}
    if key:
        rule["Destination"]["EncryptionConfiguration"] = {"ReplicaKmsKeyID": key}
    if sse:
        rule["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    return rule


@pytest.mark.parametrize(("key", "sse", "problem"), [
    ("arn:aws:kms:eu-central-1:123456789012:key/abc", True, None),
    ("arn:aws:kms:eu-central-1:123456789012:key/abc", False, "SSE-KMS objects are not replicated"),
    ("alias/replica", True, "is not a full key ARN in eu-central-1"),  # C21: an alias resolves in the wrong place
    ("arn:aws:kms:eu-west-1:123456789012:key/abc", True, "is not a full key ARN in eu-central-1"),
])
def test_replication_rule_kms_fields(key, sse, problem):
    """GetBucketReplication in its real shape (moto drops SourceSelectionCriteria)."""
    from ops_world import sample_outputs

    outputs = parse_outputs(sample_outputs())
    s3 = boto3.client("s3", region_name="eu-west-1")
    stub = Stubber(s3)
    stub.add_response("get_bucket_replication", {"ReplicationConfiguration": {
        "Role": "arn:aws:iam::123456789012:role/crr", "Rules": [replication_rule("prod-eu-data-euc1", key, sse)]}},
        {"Bucket": "prod-eu-data-euw1"})
    verifier = Verifier(outputs, make_deps(Clients(overrides={("s3", "eu-west-1"): s3})), 30)
    verifier._bucket_regions["prod-eu-data-euc1"] = "eu-central-1"
    with stub:
        verifier._check_replication(verifier.deps.clients("s3", "eu-west-1"), "prod-eu-data-euw1", "eu-west-1",
                                    outputs.domain("eu"))
    by_check = {r.check: r for r in verifier.rows}
    rule = by_check["residency.replication"]
    if problem is None:
        assert rule.result == "PASS" and rule.detail == "enabled rule to eu-central-1"
    else:
        assert rule.result == "FAIL" and problem in rule.detail
    assert by_check["s3.replication_coverage"].result == "PASS"
