"""IAM policies of the cluster add-on controllers, scoped to one cluster and region (pure).

Written for this platform rather than copied from upstream files: each statement is narrowed
to resources tagged for this cluster where the controller tags what it creates.
"""

from __future__ import annotations

from typing import Any

from components.secret_store_role import store_role_pattern

Policy = dict[str, Any]


def _doc(*statements: dict[str, Any]) -> Policy:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def lb_controller_policy(cluster: str, *, region: str, account_id: str, vpc_id: str) -> Policy:
    """AWS Load Balancer Controller: read in its region, write only inside its VPC and on what it tags.

    Narrower than the upstream policy: every ELB/EC2 ARN names this region and account, security
    groups may be created or changed only in this VPC (`ec2:Vpc`), load balancers, target groups,
    listeners and rules only when tagged for this cluster, and no WAF/Shield actions (the chart runs
    with enableWaf/enableWafv2/enableShield off: the edge is Cloudflare). Action and condition-key
    reference: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
    """
    in_region = {"StringEquals": {"aws:RequestedRegion": region}}
    tagged = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": cluster, "aws:RequestedRegion": region}}
    elb = f"arn:aws:elasticloadbalancing:{region}:{account_id}"
    sg = f"arn:aws:ec2:{region}:{account_id}:security-group/*"
    vpc = {"ArnEquals": {"ec2:Vpc": f"arn:aws:ec2:{region}:{account_id}:vpc/{vpc_id}"}}
    lbs = [f"{elb}:loadbalancer/app/*/*", f"{elb}:loadbalancer/net/*/*"]
    tgs = f"{elb}:targetgroup/*/*"
    listeners = [f"{elb}:listener/app/*/*/*", f"{elb}:listener/net/*/*/*"]
    rules = [f"{elb}:listener-rule/app/*/*/*/*", f"{elb}:listener-rule/net/*/*/*/*"]
    return _doc(
        {"Sid": "ElbServiceLinkedRole", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
         "Resource": "*", "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
        {"Sid": "Read", "Effect": "Allow", "Resource": "*", "Condition": in_region, "Action": [
            "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
            "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:DescribeRouteTables",
            "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc",
            "ec2:DescribeIpamPools",
            "elasticloadbalancing:Describe*",
            "acm:ListCertificates", "acm:DescribeCertificate"]},
        {"Sid": "CreateSecurityGroupsInVpc", "Effect": "Allow", "Action": "ec2:CreateSecurityGroup",
         "Resource": f"arn:aws:ec2:{region}:{account_id}:vpc/{vpc_id}"},
        {"Sid": "CreateTaggedSecurityGroups", "Effect": "Allow", "Action": "ec2:CreateSecurityGroup", "Resource": sg,
         "Condition": {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": cluster}}},
        {"Sid": "TagNewSecurityGroups", "Effect": "Allow", "Action": "ec2:CreateTags", "Resource": sg,
         "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup",
                                        "aws:RequestTag/elbv2.k8s.aws/cluster": cluster}}},
        {"Sid": "SecurityGroupRulesInVpc", "Effect": "Allow", "Resource": sg, "Condition": vpc,
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]},
        {"Sid": "ManageOwnSecurityGroups", "Effect": "Allow", "Resource": sg,
         "Action": ["ec2:CreateTags", "ec2:DeleteTags", "ec2:DeleteSecurityGroup"],
         "Condition": {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": cluster}, **vpc}},
        {"Sid": "CreateTaggedLoadBalancers", "Effect": "Allow", "Resource": [*lbs, tgs],
         "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
         "Condition": {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": cluster}}},
        {"Sid": "TagOnCreate", "Effect": "Allow", "Action": "elasticloadbalancing:AddTags",
         "Resource": [*lbs, tgs, *listeners, *rules],
         "Condition": {"StringEquals": {"elasticloadbalancing:CreateAction": [
             "CreateTargetGroup", "CreateLoadBalancer", "CreateListener", "CreateRule"]}}},
        {"Sid": "ListenersOnOwnLoadBalancers", "Effect": "Allow", "Resource": lbs, "Condition": tagged,
         "Action": ["elasticloadbalancing:CreateListener"]},
        {"Sid": "ListenersAndRules", "Effect": "Allow", "Resource": [*listeners, *rules], "Action": [
            "elasticloadbalancing:DeleteListener", "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:DeleteRule", "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:AddListenerCertificates",
            "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:SetRulePriorities"]},
        {"Sid": "ManageOwnLoadBalancers", "Effect": "Allow", "Resource": [*lbs, tgs], "Condition": tagged,
         "Action": [
             "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
             "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
             "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
             "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
             "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
             "elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools"]},
        {"Sid": "Targets", "Effect": "Allow", "Resource": tgs, "Condition": tagged,
         "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]},
    )


LB_CONTROLLER_NO_WAF = {"enableShield": False, "enableWaf": False, "enableWafv2": False}
"""Chart values matching the policy above: the controller never calls WAF or Shield."""


def external_secrets_policy(account_id: str, cluster_prefix: str) -> Policy:
    """External Secrets controller: reads no secret itself, only assumes the per-namespace store
    roles of this cluster (`<cluster>-ss-*`, components/secret_store_role.py), each of which reads
    exactly its namespace's secrets. sts:TagSession: Pod Identity's session tags may be carried
    into the chained session."""
    return _doc(
        {"Sid": "AssumeSecretStoreRoles", "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Resource": store_role_pattern(account_id, cluster_prefix)},
    )


def cluster_autoscaler_policy(cluster: str) -> Policy:
    return _doc(
        {"Sid": "Read", "Effect": "Allow", "Resource": "*", "Action": [
            "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
            "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
            "eks:DescribeNodegroup"]},
        {"Sid": "ScaleOwnGroups", "Effect": "Allow", "Resource": "*",
         "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
         "Condition": {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned"}}},
    )


def karpenter_controller_policy(*, cluster: str, cluster_arn: str, region: str, account_id: str,
                                node_role_arn: str, queue_arn: str) -> Policy:
    """Karpenter v1 controller: launch/terminate only what carries this cluster's tags."""
    owned = f"aws:ResourceTag/kubernetes.io/cluster/{cluster}"
    req_owned = f"aws:RequestTag/kubernetes.io/cluster/{cluster}"
    ec2 = f"arn:aws:ec2:{region}"
    launched = [f"{ec2}:*:{kind}/*" for kind in ("fleet", "instance", "volume", "network-interface",
                                                  "launch-template", "spot-instances-request")]
    return _doc(
        {"Sid": "LaunchFromSharedResources", "Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
         "Resource": [f"{ec2}::image/*", f"{ec2}::snapshot/*", f"{ec2}:*:security-group/*",
                      f"{ec2}:*:subnet/*", f"{ec2}:*:capacity-reservation/*"]},
        {"Sid": "LaunchFromOwnTemplates", "Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
         "Resource": f"{ec2}:*:launch-template/*",
         "Condition": {"StringEquals": {owned: "owned"}, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}},
        {"Sid": "CreateTaggedResources", "Effect": "Allow",
         "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
         "Resource": launched,
         "Condition": {"StringEquals": {req_owned: "owned", "aws:RequestTag/eks:eks-cluster-name": cluster},
                       "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}}},
        {"Sid": "TagOnCreate", "Effect": "Allow", "Action": "ec2:CreateTags",
         "Resource": launched,
         "Condition": {"StringEquals": {req_owned: "owned", "aws:RequestTag/eks:eks-cluster-name": cluster,
                                        "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                       "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}}},
        {"Sid": "TagOwnInstances", "Effect": "Allow", "Action": "ec2:CreateTags", "Resource": f"{ec2}:*:instance/*",
         "Condition": {"StringEquals": {owned: "owned"}, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                       "ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim",
                                                                     "Name"]}}},
        {"Sid": "DeleteOwn", "Effect": "Allow", "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
         "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
         "Condition": {"StringEquals": {owned: "owned"}, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}},
        {"Sid": "RegionalRead", "Effect": "Allow", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": region}}, "Action": [
             "ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
             "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates",
             "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets",
             "ec2:DescribeAvailabilityZones"]},
        {"Sid": "AmiParameters", "Effect": "Allow", "Action": "ssm:GetParameter",
         "Resource": f"arn:aws:ssm:{region}::parameter/aws/service/*"},
        {"Sid": "Pricing", "Effect": "Allow", "Action": "pricing:GetProducts", "Resource": "*"},
        {"Sid": "InterruptionQueue", "Effect": "Allow", "Resource": queue_arn,
         "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]},
        {"Sid": "PassNodeRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": node_role_arn,
         "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com"]}}},
        {"Sid": "OwnInstanceProfiles", "Effect": "Allow", "Resource": f"arn:aws:iam::{account_id}:instance-profile/*",
         "Action": ["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile",
                    "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
         "Condition": {"StringEquals": {owned: "owned", "aws:ResourceTag/topology.kubernetes.io/region": region},
                       "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}}},
        {"Sid": "CreateInstanceProfiles", "Effect": "Allow",
         "Resource": f"arn:aws:iam::{account_id}:instance-profile/*",
         "Action": ["iam:CreateInstanceProfile", "iam:TagInstanceProfile"],
         "Condition": {"StringEquals": {req_owned: "owned", "aws:RequestTag/topology.kubernetes.io/region": region},
                       "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}}},
        # Karpenter names its profiles `<cluster>_<hash>`, under `/karpenter/<region>/<cluster>/...`
        # since v1.x (pkg/providers/instanceprofile): reading any other profile is not needed.
        {"Sid": "ReadOwnInstanceProfiles", "Effect": "Allow", "Action": "iam:GetInstanceProfile",
         "Resource": [f"arn:aws:iam::{account_id}:instance-profile/{cluster}_*",
                      f"arn:aws:iam::{account_id}:instance-profile/karpenter/{region}/{cluster}/*"]},
        {"Sid": "ListInstanceProfiles", "Effect": "Allow", "Action": "iam:ListInstanceProfiles",
         "Resource": f"arn:aws:iam::{account_id}:instance-profile/*"},
        {"Sid": "Cluster", "Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": cluster_arn},
    )


KARPENTER_EVENTS: dict[str, dict[str, Any]] = {
    "health": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}
"""EventBridge patterns Karpenter consumes to drain nodes ahead of interruptions."""


def interruption_queue_policy(queue_arn: str) -> Policy:
    return _doc(
        {"Sid": "EventBridgeAndSqs", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn,
         "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Action": "sqs:*", "Resource": queue_arn,
         "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    )
