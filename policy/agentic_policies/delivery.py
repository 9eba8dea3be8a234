"""Delivery: pods of cloud stacks pull only from this account's ECR in one of the stack's regions.

The app image comes from the region's replicated repository and public images through the ECR
pull-through cache, so no node depends on a public registry (or its rate limits) at pull time.
Helm releases expose only values, so this covers the workloads the program creates itself; the
charts' images are read back from their values by the preview's "chart images" section
(stacks/reports/images.py), which lists what still comes from a public registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from .config import Settings
from .kubernetes import WORKLOADS, containers, pod_spec
from .props import get
from .spec import Meta, resource_policy

CAT = "kubernetes"
ECR = re.compile(r"^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/")


def _registry(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not s.regions:  # the local stack runs on a laptop cluster: public images are fine there
        return
    for name, c in containers(pod_spec(args)):
        image = get(c, "image")
        if not isinstance(image, str):
            continue
        m = ECR.match(image)
        if m is None:
            yield (f"{name} image {image} is not in this account's ECR; push it (or pull it through the "
                   "pull-through cache: stacks.compose.delivery.mirror)")
        elif m.group(1) not in s.regions:
            yield f"{name} image {image} is pulled from {m.group(1)}, outside the stack's regions"


k8s_image_registry = resource_policy(
    Meta("k8s-image-from-ecr", CAT, "Cloud stacks' pods pull images only from the account's ECR in a stack region.",
         ()),
    WORKLOADS, _registry)

POLICIES = [k8s_image_registry]
