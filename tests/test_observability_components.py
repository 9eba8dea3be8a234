"""The observability components run alone under the harness, from plain identifiers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.harness.plan import Plan
from stacks.harness.run import run_program

PROGRAM = Path(__file__).parent / "observability_programs" / "components.py"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run_program("dev", {"aws:region": "us-east-1"}, program=PROGRAM)


def test_alarms_notify_the_topic_in_their_region(plan: Plan):
    topic = plan.one("aws:sns/topic:Topic", "t-alerts-topic")
    assert topic.region == "eu-west-1" and plan.outputs["topic_arn"] == topic.outputs["arn"]
    alarms = plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 6 and len(plan.outputs["alarm_names"]) == 6
    for a in alarms:
        assert a.region == "eu-west-1"
        assert a.inputs["alarmActions"] == [topic.outputs["arn"]] == a.inputs["okActions"]
        assert a.inputs["alarmDescription"].startswith("[P")
    lag = next(a for a in alarms if a.inputs["metricName"] == "AuroraGlobalDBReplicationLag")
    assert lag.inputs["threshold"] == 30000 and lag.inputs["dimensions"] == {"DBClusterIdentifier": "db-1"}


def test_topic_key_is_regional_protected_and_admits_publishers(plan: Plan):
    key = plan.one("aws:kms/key:Key", "t-alerts-key")
    topic = plan.one("aws:sns/topic:Topic", "t-alerts-topic")
    assert key.region == topic.region and topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.options["protect"] is True and key.inputs["deletionWindowInDays"] == 30
    principals = [s.get("Principal", {}).get("Service") for s in json.loads(key.inputs["policy"])["Statement"]]
    assert ["cloudwatch.amazonaws.com", "events.amazonaws.com"] in principals
    sub = plan.one("aws:sns/topicSubscription:TopicSubscription", "t-alerts-email")
    assert (sub.inputs["protocol"], sub.inputs["endpoint"]) == ("email", "a@example.com")


def test_guardduty_findings_reach_the_topic(plan: Plan):
    target = plan.one("aws:cloudwatch/eventTarget:EventTarget", "t-gd-findings-to-alerts")
    assert target.inputs["arn"] == plan.outputs["topic_arn"] and target.region == "eu-west-1"
    features = {f.inputs["name"] for f in plan.of_type("aws:guardduty/detectorFeature:DetectorFeature")}
    assert features == {"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "RDS_LOGIN_EVENTS"}


def test_audit_trail_bucket_is_private_encrypted_and_retained(plan: Plan):
    trail = plan.one("aws:cloudtrail/trail:Trail", "t-audit-trail")
    bucket = trail.inputs["s3BucketName"]
    pab = next(p for p in plan.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
               if p.inputs["bucket"] == bucket)
    assert all(pab.inputs[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                "restrictPublicBuckets"))
    versioning = next(v for v in plan.of_type("aws:s3/bucketVersioning:BucketVersioning")
                      if v.inputs["bucket"] == bucket)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    lifecycle = next(r for r in plan.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
                     if r.inputs["bucket"] == bucket)
    rule = lifecycle.inputs["rules"][0]
    assert rule["expiration"]["days"] == 400 and rule["transitions"][0]["storageClass"] == "GLACIER"
    policy = json.loads(next(p for p in plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
                             if p.inputs["bucket"] == bucket).inputs["policy"])
    write = next(s for s in policy["Statement"] if s["Sid"] == "CloudTrailWrite")
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == plan.outputs["trail_arn"]
    assert plan.one("aws:s3/bucket:Bucket", "t-audit-logs").options["protect"] is True
