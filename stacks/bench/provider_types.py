"""Provider class of a Pulumi type token, for the replay benchmark floor.

`aws:ec2/securityGroup:SecurityGroup` -> `pulumi_aws.ec2.SecurityGroup`,
`kubernetes:networking.k8s.io/v1:Ingress` -> `pulumi_kubernetes.networking.v1.Ingress`,
`random:index/randomPassword:RandomPassword` -> `pulumi_random.RandomPassword`; custom resources of
other Kubernetes API groups map to `apiextensions.CustomResource`, provider resources to each
package's `Provider`.
"""

from __future__ import annotations

import importlib
import inspect
import keyword
from functools import cache

PACKAGES = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes", "random": "pulumi_random",
            "cloudflare": "pulumi_cloudflare"}


def class_of(token: str) -> type | None:
    """The provider SDK class registering `token`; None when there is none (our components)."""
    if token.startswith("pulumi:providers:"):
        package = PACKAGES.get(token.rsplit(":", 1)[-1])
        return getattr(importlib.import_module(package), "Provider", None) if package else None
    pkg, module, cls = token.split(":", 2)
    package = PACKAGES.get(pkg)
    if package is None:
        return None
    module = module.split("/", 1)[0]
    if pkg == "kubernetes":
        group, _, version = token.split(":")[1].partition("/")
        group = group.split(".", 1)[0] if group.endswith(".k8s.io") or group == "helm.sh" else group
        path = f"{package}.{group}.{version}" if group != "core" else f"{package}.core.{version}"
        try:
            return getattr(importlib.import_module(path), cls)
        except (ImportError, AttributeError):
            return importlib.import_module(f"{package}.apiextensions").CustomResource
    # Python keywords get a trailing underscore in the SDK (`aws:lambda/...` -> pulumi_aws.lambda_)
    module = f"{module}_" if keyword.iskeyword(module) else module
    path = package if module == "index" else f"{package}.{module}"
    try:
        return getattr(importlib.import_module(path), cls)
    except (ImportError, AttributeError):
        return None


@cache
def property_names(token: str) -> tuple[str, ...]:
    """The properties the class declares (what its constructor hands the SDK as `props`)."""
    cls = class_of(token)
    if cls is None:
        return ()
    return tuple(n for n, v in inspect.getmembers(cls) if isinstance(v, property) and n not in {"id", "urn"})
