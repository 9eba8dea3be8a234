"""Registers two buckets with one name: the real engine refuses this; so must the harness."""

import pulumi_aws as aws

aws.s3.Bucket("uploads", region="us-east-1")
aws.s3.Bucket("uploads", region="eu-west-1")
