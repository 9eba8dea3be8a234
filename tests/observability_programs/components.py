"""The observability components alone, fed plain identifiers (no stack config, no other layer)."""

import pulumi
import pulumi_aws as aws

from components.alarms import AlarmSet, AlarmSetArgs, AlertTopic, AlertTopicArgs, aurora_alarms, redis_alarms
from components.audit import AuditTrail, AuditTrailArgs, ThreatDetection, ThreatDetectionArgs

provider = aws.Provider("aws-test", region="us-east-1")
opts = pulumi.ResourceOptions(provider=provider)
topic = AlertTopic("t-alerts", AlertTopicArgs(region="eu-west-1", email="a@example.com", protect=True), opts=opts)
specs = [*aurora_alarms("db-1", cpu_percent=70, freeable_memory_mb=256, connections=100, replication_lag_ms=30000),
         *redis_alarms("q-001", "001", memory_percent=60, evictions=0, replication_lag_seconds=None)]
alarms = AlarmSet("t-db", AlarmSetArgs(region="eu-west-1", topic_arn=topic.topic_arn, specs=specs), opts=opts)
ThreatDetection("t-gd", ThreatDetectionArgs(region="eu-west-1", alert_topic_arn=topic.topic_arn), opts=opts)
trail = AuditTrail("t-audit", AuditTrailArgs(region="us-east-1", trail_name="t-trail", retention_days=400,
                                             protect=True), opts=opts)
pulumi.export("topic_arn", topic.topic_arn)
pulumi.export("alarm_names", alarms.alarm_names)
pulumi.export("trail_arn", trail.trail_arn)
