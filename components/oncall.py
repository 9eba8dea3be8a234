"""Paging: CloudWatch alarms routed by severity and region to PagerDuty, P0s aggregated globally.

Every alarm of this program is named `<env>-<region>-...` and described `[P0] ...` to `[P3] ...`
(components/alarms.py). Per region, EventBridge rules match the alarms' state changes by that
prefix and send PagerDuty Events API v2 events through an API destination: `source` is the
region and `severity` follows the P-level, so PagerDuty routes them to the region's on-call
schedule, whose rotation and escalation policy live in PagerDuty. P0 alarms of every region are
forwarded to the default region's event bus and paged from there as `global-p0`: one place sees
every critical alert of the estate, even when the region that raised it is the one failing.
(AWS Systems Manager Incident Manager closed to new customers on 2025-11-07:
https://docs.aws.amazon.com/incident-manager/latest/userguide/incident-manager-availability-change.html)

PagerDuty Events API v2: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
API destinations: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

PAGERDUTY_ENQUEUE = "https://events.pagerduty.com/v2/enqueue"
PD_SEVERITY = {"P0": "critical", "P1": "error", "P2": "warning", "P3": "info"}
GLOBAL_P0 = "global-p0"


def alarm_pattern(alarm_prefix: str | None, severities: Sequence[str], state: str) -> str:
    """Alarm state changes of this stack's alarms (by name prefix) at these severities."""
    detail: dict[str, object] = {
        "state": {"value": [state]},
        "configuration": {"description": [{"prefix": f"[{s}]"} for s in sorted(severities)]},
    }
    if alarm_prefix is not None:
        detail["alarmName"] = [{"prefix": alarm_prefix}]
    return json.dumps({"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
                       "detail": detail}, sort_keys=True)


INPUT_PATHS = {"alarm": "$.detail.alarmName", "reason": "$.detail.state.reason", "region": "$.region",
               "time": "$.time", "arn": "$.resources[0]", "description": "$.detail.configuration.description"}


def pagerduty_template(routing_key: str, action: str, severity: str, component: str, environment: str) -> str:
    """PagerDuty event body; `<...>` are EventBridge input-transformer placeholders. The alarm ARN
    is the dedup key, so the OK transition resolves the incident the ALARM transition opened."""
    body: dict[str, object] = {"routing_key": routing_key, "event_action": action, "dedup_key": "<arn>"}
    if action == "trigger":
        body["payload"] = {
            "summary": "<description> (<alarm>)", "source": "<region>", "severity": severity,
            "timestamp": "<time>", "component": component, "group": environment,
            "custom_details": {"alarm": "<alarm>", "reason": "<reason>"}}
    return json.dumps(body, sort_keys=True)


def events_role_policy(api_destination_arns: Sequence[str], forward_bus_arn: str | None) -> str:
    statements: list[dict[str, object]] = [{"Effect": "Allow", "Action": "events:InvokeApiDestination",
                                            "Resource": sorted(api_destination_arns)}]
    if forward_bus_arn:
        statements.append({"Effect": "Allow", "Action": "events:PutEvents", "Resource": forward_bus_arn})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass
class PagingArgs:
    region: str
    environment: str
    name_prefix: str
    """`<env>-<region>`: the alarms' name prefix and the names of what this creates."""
    routing_key: pulumi.Input[str]
    default_region: str
    account_id: str
    page_severities: Sequence[str] = ("P0", "P1")
    tags: Mapping[str, str] = field(default_factory=dict)


class RegionalPaging(pulumi.ComponentResource):
    """One region's rules; in the default region also the global P0 rule."""

    def __init__(self, name: str, args: PagingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:oncall:RegionalPaging", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        r = args.region
        is_home = r == args.default_region
        conn = aws.cloudwatch.EventConnection(
            f"{name}-pagerduty", region=r, name=f"{args.name_prefix}-pagerduty", authorization_type="API_KEY",
            description="PagerDuty Events API v2 (the routing key travels in the body)",
            auth_parameters=aws.cloudwatch.EventConnectionAuthParametersArgs(
                api_key=aws.cloudwatch.EventConnectionAuthParametersApiKeyArgs(
                    key="X-Routing-Key", value=pulumi.Output.secret(args.routing_key))),
            opts=child)
        dest = aws.cloudwatch.EventApiDestination(
            f"{name}-pagerduty-dest", region=r, name=f"{args.name_prefix}-pagerduty",
            connection_arn=conn.arn, invocation_endpoint=PAGERDUTY_ENQUEUE, http_method="POST",
            invocation_rate_limit_per_second=10, opts=child)
        home_bus = f"arn:aws:events:{args.default_region}:{args.account_id}:event-bus/default"
        role = aws.iam.Role(f"{name}-role", name=f"{args.name_prefix}-paging", assume_role_policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}), tags=dict(args.tags), opts=child)
        aws.iam.RolePolicy(f"{name}-role-policy", role=role.id, policy=dest.arn.apply(
            lambda a: events_role_policy([a], None if is_home else home_bus)), opts=child)
        regional = [s for s in args.page_severities if s != "P0"]
        prefix = f"{args.name_prefix}-"
        self.rule_names: list[pulumi.Output[str]] = []

        def page(key: str, pattern: str, action: str, severity: str, component: str) -> None:
            rule = aws.cloudwatch.EventRule(f"{name}-{key}", region=r, name=f"{args.name_prefix}-{key}",
                                            event_pattern=pattern, tags=dict(args.tags), opts=child)
            aws.cloudwatch.EventTarget(
                f"{name}-{key}-target", region=r, rule=rule.name, arn=dest.arn, role_arn=role.arn,
                input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                    input_paths=INPUT_PATHS, input_template=pulumi.Output.secret(args.routing_key).apply(
                        lambda k: pagerduty_template(k, action, severity, component, args.environment))),
                opts=child)
            self.rule_names.append(rule.name)

        for sev in regional:
            page(f"page-{sev.lower()}", alarm_pattern(prefix, [sev], "ALARM"), "trigger", PD_SEVERITY[sev], r)
        if regional:
            page("page-resolve", alarm_pattern(prefix, regional, "OK"), "resolve", "info", r)
        if "P0" in args.page_severities:
            if is_home:
                # Every region's P0s arrive on this bus (forwarded below), with their own `region`.
                page(GLOBAL_P0, alarm_pattern(f"{args.environment}-", ["P0"], "ALARM"), "trigger", "critical",
                     GLOBAL_P0)
                page(f"{GLOBAL_P0}-resolve", alarm_pattern(f"{args.environment}-", ["P0"], "OK"), "resolve",
                     "info", GLOBAL_P0)
            else:
                fwd = aws.cloudwatch.EventRule(
                    f"{name}-p0-forward", region=r, name=f"{args.name_prefix}-p0-to-{args.default_region}",
                    event_pattern=json.dumps({"source": ["aws.cloudwatch"],
                                              "detail-type": ["CloudWatch Alarm State Change"],
                                              "detail": {"alarmName": [{"prefix": prefix}],
                                                         "configuration": {"description": [{"prefix": "[P0]"}]}}},
                                             sort_keys=True), tags=dict(args.tags), opts=child)
                aws.cloudwatch.EventTarget(f"{name}-p0-forward-target", region=r, rule=fwd.name, arn=home_bus,
                                           role_arn=role.arn, opts=child)
                self.rule_names.append(fwd.name)
        self.register_outputs({"rule_names": self.rule_names})
