"""CI that reaches private clusters: CodeBuild-hosted GitHub Actions runners in a region's VPC,
and the GitHub OIDC roles the workflows assume.

The EKS API endpoints of staging and prod are private, so every job that talks to a cluster runs
on a runner inside the VPC (its own `ci` subnet tier, components/network.py): a CodeBuild project
whose webhook starts a build for each queued workflow job labelled
`codebuild-<project>-<run id>-<attempt>`
(https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html). The runner's own
role can only write its logs and attach to the subnets; AWS rights come from the OIDC role the
job assumes, trusted only for this repository's protected GitHub environment
(https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
HTTPS = 443


def runner_project_name(name_prefix: str) -> str:
    return f"{name_prefix}-runner"


def runner_label(name_prefix: str) -> str:
    """`runs-on:` of a job for this region's runner (the run id makes each job's label unique)."""
    return f"codebuild-{runner_project_name(name_prefix)}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"


def github_trust_policy(provider_arn: str, repository: str, environment: str) -> dict[str, Any]:
    """Only jobs of `repository` running in the protected `environment` may assume the role:
    the `sub` claim is exact (no wildcard), the audience is STS."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": provider_arn},
        "Condition": {"StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:environment:{environment}",
        }},
    }]}


def push_policy(account_id: str, regions: Sequence[str], repositories: Sequence[str]) -> dict[str, Any]:
    """Push to this project's repositories and read their scan findings (the build's gate)."""
    arns = [f"arn:aws:ecr:{r}:{account_id}:repository/{repo}" for r in regions for repo in repositories]
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "Push", "Effect": "Allow", "Resource": arns, "Action": [
            "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:DescribeImages",
            "ecr:DescribeImageScanFindings"]},
        {"Sid": "Kms", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
         "Resource": [f"arn:aws:kms:{r}:{account_id}:key/*" for r in regions],
         "Condition": {"StringEquals": {"kms:ViaService": [f"ecr.{r}.amazonaws.com" for r in regions]}}},
    ]}


DEPLOY_SERVICES = ("ec2", "eks", "rds", "elasticache", "s3", "kms", "secretsmanager", "logs", "cloudwatch",
                   "sns", "sqs", "backup", "ecr", "codebuild", "pipes", "events", "acm", "elasticloadbalancing",
                   "cloudtrail", "guardduty", "ssm", "autoscaling", "application-autoscaling", "inspector2")
"""Services whose resources this program manages (the Pulumi program's providers call these)."""
NO_RESOURCE_ARN = ("kms:CreateKey", "guardduty:CreateDetector", "ecr:GetAuthorizationToken",
                   "ecr:PutRegistryScanningConfiguration", "ecr:PutReplicationConfiguration",
                   "ecr:CreatePullThroughCacheRule", "ecr:DeletePullThroughCacheRule",
                   "ecr:CreateRepositoryCreationTemplate", "ecr:DeleteRepositoryCreationTemplate",
                   "ecr:UpdateRepositoryCreationTemplate", "inspector2:Enable", "inspector2:Disable",
                   "budgets:ModifyBudget", "budgets:ViewBudget", "tag:GetResources")
"""Actions IAM authorises only on Resource '*' (https://docs.aws.amazon.com/service-authorization/
latest/reference/reference_policies_actions-resources-contextkeys.html)."""


def deploy_policy(account_id: str, name_prefix: str, regions: Sequence[str]) -> dict[str, Any]:
    """`pulumi up` of this stack, and nothing outside it: reads anywhere, writes only on ARNs of
    this stack's regions, IAM writes only on this project's names, never users or access keys.
    No managed admin policy (PowerUserAccess would also reach every other region and service)."""
    own = [f"arn:aws:iam::{account_id}:role/{name_prefix}-*", f"arn:aws:iam::{account_id}:policy/{name_prefix}-*",
           f"arn:aws:iam::{account_id}:instance-profile/{name_prefix}-*",
           f"arn:aws:iam::{account_id}:oidc-provider/*"]
    regional = [f"arn:aws:*:{region}:*" for region in regions]
    read = sorted({f"{svc}:{verb}*" for svc in (*DEPLOY_SERVICES, "iam", "budgets")
                   for verb in ("Describe", "List", "Get")})
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": read, "Resource": "*"},
        {"Sid": "RegionalWrites", "Effect": "Allow", "Action": [f"{svc}:*" for svc in DEPLOY_SERVICES],
         "Resource": [*regional, "arn:aws:s3:::*"]},
        {"Sid": "UnscopedCreates", "Effect": "Allow", "Action": list(NO_RESOURCE_ARN), "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": list(regions)}}},
        {"Sid": "Budgets", "Effect": "Allow", "Action": "budgets:*",
         "Resource": f"arn:aws:budgets::{account_id}:budget/*"},
        {"Sid": "OwnIam", "Effect": "Allow", "Resource": own, "Action": [
            "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole",
            "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
            "iam:DetachRolePolicy", "iam:PassRole", "iam:CreatePolicy", "iam:DeletePolicy",
            "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:CreateInstanceProfile",
            "iam:DeleteInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
            "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider",
            "iam:UpdateOpenIDConnectProviderThumbprint", "iam:TagOpenIDConnectProvider"]},
        {"Sid": "ServiceLinkedRoles", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
         "Resource": f"arn:aws:iam::{account_id}:role/aws-service-role/*"},
        {"Sid": "NoUsers", "Effect": "Deny", "Resource": "*", "Action": [
            "iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:AttachUserPolicy",
            "iam:PutUserPolicy", "organizations:*", "account:*"]},
    ]}


def runner_role_policy(region: str, account_id: str, log_group_arn: str, subnet_arns: Sequence[str],
                       connection_arn: str | None) -> dict[str, Any]:
    """What CodeBuild itself needs for a VPC runner: its logs and ENIs in the listed subnets
    (https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-iam-identity-based-access-control.html)."""
    statements: list[dict[str, Any]] = [
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [log_group_arn, f"{log_group_arn}:*"]},
        {"Sid": "VpcDescribe", "Effect": "Allow", "Resource": "*", "Action": [
            "ec2:CreateNetworkInterface", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces",
            "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"]},
        {"Sid": "VpcAttach", "Effect": "Allow", "Action": "ec2:CreateNetworkInterfacePermission",
         "Resource": f"arn:aws:ec2:{region}:{account_id}:network-interface/*",
         "Condition": {"StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                       "ArnEquals": {"ec2:Subnet": list(subnet_arns)}}},
    ]
    if connection_arn:
        statements.append({"Sid": "GitHubConnection", "Effect": "Allow", "Resource": connection_arn,
                           "Action": ["codeconnections:GetConnectionToken", "codeconnections:GetConnection",
                                      "codestar-connections:GetConnectionToken", "codestar-connections:GetConnection"]})
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class GitHubRolesArgs:
    account_id: str
    repository: str
    name_prefix: str
    """`agentic-platform-prod`: deploy rights cover IAM names under it."""
    deploy_role_name: str
    deploy_environment: str
    build_environment: str
    registry_regions: Sequence[str]
    repositories: Sequence[str]
    create_provider: bool = True


class GitHubRoles(pulumi.ComponentResource):
    """The account's GitHub OIDC provider and the two roles the workflows assume."""

    deploy_role_arn: pulumi.Output[str]
    push_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: GitHubRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:components:GitHubRoles", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        url = f"https://{GITHUB_OIDC_HOST}"
        if args.create_provider:
            provider_arn: pulumi.Output[str] = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc", url=url, client_id_lists=[STS_AUDIENCE], opts=child).arn
        else:
            provider_arn = pulumi.Output.from_input(
                f"arn:aws:iam::{args.account_id}:oidc-provider/{GITHUB_OIDC_HOST}")

        def trust(environment: str) -> pulumi.Output[str]:
            return provider_arn.apply(lambda arn: json.dumps(github_trust_policy(arn, args.repository, environment)))

        deploy = aws.iam.Role(f"{name}-deploy", name=args.deploy_role_name, max_session_duration=4 * 3600,
                              assume_role_policy=trust(args.deploy_environment), opts=child)
        # A managed policy: the document is larger than an inline role policy may be (10 KB total).
        grant = aws.iam.Policy(f"{name}-deploy-policy", name=f"{args.name_prefix}-github-deploy",
                               policy=json.dumps(deploy_policy(args.account_id, args.name_prefix,
                                                               args.registry_regions)), opts=child)
        aws.iam.RolePolicyAttachment(f"{name}-deploy-attach", role=deploy.name, policy_arn=grant.arn, opts=child)
        push = aws.iam.Role(f"{name}-push", name=f"{args.name_prefix}-github-push",
                            assume_role_policy=trust(args.build_environment), opts=child)
        aws.iam.RolePolicy(f"{name}-push-ecr", role=push.id, policy=json.dumps(
            push_policy(args.account_id, args.registry_regions, args.repositories)), opts=child)
        self.deploy_role_arn = deploy.arn
        self.push_role_arn = push.arn
        self.register_outputs({"deploy_role_arn": self.deploy_role_arn, "push_role_arn": self.push_role_arn})


@dataclass
class RunnerArgs:
    region: str
    account_id: str
    name_prefix: str
    repository: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """The region's `ci` subnets (private, NAT egress, nothing else in them: C45); never empty."""
    cluster_security_group_id: pulumi.Input[str] | None
    compute_type: str
    image: str
    build_timeout_minutes: int
    log_retention_days: int
    log_key_arn: pulumi.Input[str] | None = None
    """Customer-managed key of this region for the runner's log group."""
    connection_arn: str | None = None


class GitHubRunner(pulumi.ComponentResource):
    """One region's runner: a CodeBuild project in the region's `ci` subnets, started by GitHub's
    workflow-job webhook, allowed to reach the cluster's private API endpoint on 443."""

    project_name: str
    label: str

    def __init__(self, name: str, args: RunnerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:components:GitHubRunner", name, {"region": args.region}, opts)
        if not args.subnet_ids:
            raise ValueError(f"GitHubRunner {name}: no subnets in {args.region}; CodeBuild needs its ci subnets (C45)")
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        self.project_name = runner_project_name(args.name_prefix)
        self.label = runner_label(args.name_prefix)

        sg = aws.ec2.SecurityGroup(f"{name}-runner-sg", region=region, vpc_id=args.vpc_id,
                                   name=f"{self.project_name}", description="GitHub Actions runner: HTTPS out only",
                                   opts=child)
        aws.vpc.SecurityGroupEgressRule(f"{name}-runner-https-out", region=region, security_group_id=sg.id,
                                        ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS, cidr_ipv4="0.0.0.0/0",
                                        description="GitHub, AWS APIs, Pulumi Cloud, the cluster API",
                                        opts=child)
        if args.cluster_security_group_id is not None:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-runner-to-cluster-api", region=region, security_group_id=args.cluster_security_group_id,
                referenced_security_group_id=sg.id, ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS,
                description="CI runner -> private EKS API endpoint", opts=child)

        logs = aws.cloudwatch.LogGroup(f"{name}-runner-logs", region=region,
                                       name=f"/aws/codebuild/{self.project_name}",
                                       retention_in_days=args.log_retention_days, kms_key_id=args.log_key_arn,
                                       opts=child)
        role = aws.iam.Role(f"{name}-runner-role", name=f"{self.project_name}-role", assume_role_policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"Service": "codebuild.amazonaws.com"},
                "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}}}]}), opts=child)
        subnet_arns = pulumi.Output.all(*args.subnet_ids).apply(
            lambda ids: [f"arn:aws:ec2:{region}:{args.account_id}:subnet/{i}" for i in ids])
        grant = aws.iam.RolePolicy(f"{name}-runner-policy", role=role.id, policy=pulumi.Output.all(
            logs.arn, subnet_arns).apply(lambda v: json.dumps(runner_role_policy(
                region, args.account_id, v[0], v[1], args.connection_arn))), opts=child)

        auth = (aws.codebuild.ProjectSourceAuthArgs(type="CODECONNECTIONS", resource=args.connection_arn)
                if args.connection_arn else None)
        project = aws.codebuild.Project(
            f"{name}-runner", region=region, name=self.project_name,
            description=f"GitHub Actions runner for {args.repository} in {region}",
            service_role=role.arn, build_timeout=args.build_timeout_minutes, concurrent_build_limit=4,
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                compute_type=args.compute_type, image=args.image, type="LINUX_CONTAINER",
                image_pull_credentials_type="CODEBUILD", privileged_mode=False),
            source=aws.codebuild.ProjectSourceArgs(type="GITHUB", location=f"https://github.com/{args.repository}.git",
                                                   auth=auth),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(vpc_id=args.vpc_id, subnets=list(args.subnet_ids),
                                                          security_group_ids=[sg.id]),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(group_name=logs.name)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[grant]))
        aws.codebuild.Webhook(
            f"{name}-runner-webhook", region=region, project_name=project.name, build_type="BUILD",
            filter_groups=[aws.codebuild.WebhookFilterGroupArgs(filters=[
                aws.codebuild.WebhookFilterGroupFilterArgs(type="EVENT", pattern="WORKFLOW_JOB_QUEUED")])],
            opts=child)
        self.register_outputs({"project_name": self.project_name, "label": self.label})
