"""Ingress that admits one TCP port from named security groups only (never a CIDR).

Every data store and proxy opens its port this way; one helper keeps the rule shape (and the
policy pack's view of it) identical everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws


def allow_port_from_groups(name: str, *, region: str, security_group_id: pulumi.Input[str], port: int,
                           sources: Sequence[pulumi.Input[str]], description: str, tags: dict[str, str],
                           opts: pulumi.ResourceOptions) -> list[aws.vpc.SecurityGroupIngressRule]:
    """One rule per source group, named `<name>-<i>`."""
    return [
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-{i}", region=region, security_group_id=security_group_id, ip_protocol="tcp",
            from_port=port, to_port=port, referenced_security_group_id=source,
            description=description, tags=tags, opts=opts)
        for i, source in enumerate(sources)
    ]
