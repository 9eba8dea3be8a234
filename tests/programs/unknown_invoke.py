"""Calls an invoke the harness has no realistic answer for."""

import pulumi
import pulumi_aws as aws

ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"])
pulumi.export("ami", ami.id)
