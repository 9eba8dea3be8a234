"""The mock engine: a recording monitor and the provider mocks behind it.

The SDK's `MockMonitor` keys registrations by URN and silently overwrites duplicates, and
drops resource options. This monitor records every registration with its options (protect,
retainOnDelete, dependsOn, ignoreChanges, aliases), the engine-side (camelCase) inputs and
which input paths are secret, and refuses a duplicate URN as the real engine would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import resource_pb2

from stacks.config.regions import AWS_REGIONS
from stacks.harness.mock_state import ACCOUNT_ID, resource_id, short_hash, state_for

SECRET_SIG = rpc._special_secret_sig  # pyright: ignore[reportPrivateUsage]
SIG_KEY = rpc._special_sig_key  # pyright: ignore[reportPrivateUsage]


class UnknownInvokeError(Exception):
    """An invoke the harness cannot answer: add a realistic answer instead of returning {}."""


class DuplicateUrnError(Exception):
    """Two resources with one URN: the real engine refuses the deployment."""


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    id: str
    options: dict[str, Any]
    secret_paths: list[str] = field(default_factory=list)


def _secret_paths(value: Any, path: str = "") -> list[str]:
    """Paths (a.b[0]) of values the SDK marked secret, read from the wire form."""
    if isinstance(value, struct_pb2.Struct):
        fields = value.fields
        if SIG_KEY in fields and fields[SIG_KEY].string_value == SECRET_SIG:
            return [path or "."]
        return [p for k, v in fields.items() for p in _secret_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, struct_pb2.ListValue):
        return [p for i, v in enumerate(value.values) for p in _secret_paths(v, f"{path}[{i}]")]
    if isinstance(value, struct_pb2.Value):
        kind = value.WhichOneof("kind")
        if kind == "struct_value":
            return _secret_paths(value.struct_value, path)
        if kind == "list_value":
            return _secret_paths(value.list_value, path)
    return []


def unwrap_secrets(value: Any) -> Any:
    """Replace the SDK's secret envelopes by their values (their paths are kept separately)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


MOCK_ADDON_BUILD = "offline-eks-"
"""Prefix of the offline answer to `aws.eks.get_addon_version` (the real one is a build such as
v1.20.4-eksbuild.1, known only to a `pulumi preview` with AWS credentials)."""


class PlatformMocks(Mocks):
    """Provider mocks: realistic state per type, and invokes answered only when known."""

    def __init__(self, default_region: str):
        self.default_region = default_region
        self.provider_regions: dict[str, str] = {}

    def region_of(self, inputs: dict[str, Any], provider_ref: str) -> str:
        region = inputs.get("region")
        if isinstance(region, str) and region:
            return region
        return self.provider_regions.get(provider_ref.rsplit("::", 1)[0], self.default_region)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        region = self.region_of(args.inputs, args.provider or "")
        if not args.custom:
            return None, {}
        return resource_id(args.typ, args.name, args.inputs), state_for(args.typ, args.name, args.inputs, region)

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # pyright: ignore[reportIncompatibleMethodOverride]
        region = self.region_of(args.args, args.provider or "")
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            suffixes = "abc" if region != "us-east-1" else "abcdef"
            return {"names": [f"{region}{s}" for s in suffixes],
                    "zoneIds": [f"{region[:3]}{region.split('-')[1][:2]}{region[-1]}-az{i + 1}"
                                for i in range(len(suffixes))],
                    "id": region, "region": region}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/deployer",
                    "userId": "AROAMOCK:deployer", "id": ACCOUNT_ID}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws",
                    "reverseDnsPrefix": "com.amazonaws"}
        if token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region,
                    "endpoint": f"ec2.{region}.amazonaws.com", "description": region}
        if token == "aws:eks/getAddonVersion:getAddonVersion":
            # EKS's default build for the minor; offline a marked stand-in naming what was asked.
            addon, minor = args.args.get("addonName"), args.args.get("kubernetesVersion")
            latest = bool(args.args.get("mostRecent"))
            which = "latest" if latest else "default"
            return {"addonName": addon, "kubernetesVersion": minor, "mostRecent": latest, "region": region,
                    "id": str(addon), "version": f"{MOCK_ADDON_BUILD}{addon}-{minor}-{which}"}
        if token == "aws:lb/getLoadBalancer:getLoadBalancer":
            return _load_balancer(args.args, region)
        raise UnknownInvokeError(
            f"the offline harness has no answer for invoke '{token}'; add a realistic one to "
            "stacks/harness/mocks.py (never an empty result)"
        )


def _load_balancer(args: dict[str, Any], region: str) -> dict[str, Any]:
    """An existing ALB looked up by name (what the LB controller made for an Ingress)."""
    name = str(args.get("name") or "k8s-default-ingress-0123456789")
    lb_id = short_hash(name, region, n=16)
    suffix = f"app/{name}/{lb_id}"
    return {"arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}",
            "arnSuffix": suffix, "name": name, "id": suffix, "loadBalancerType": "application",
            "internal": False, "dnsName": f"{name}-{int(lb_id[:8], 16) % 10**10}.{region}.elb.amazonaws.com",
            "zoneId": "Z35SXDOTRQ7X7K", "ipAddressType": "ipv4", "region": region, "tags": {}}


class RecordingMonitor(MockMonitor):
    """A MockMonitor that keeps every registration with its options and refuses duplicates.

    It is called in place on the program's thread (`run.InlineMonitorLoop`), so it never awaits:
    its answers are built by `plain_struct`."""

    def __init__(self, mocks: PlatformMocks):
        super().__init__(mocks)
        self.platform_mocks = mocks
        self.registrations: list[Registration] = []

    def Invoke(self, request: Any) -> Any:
        args = rpc.deserialize_properties(request.args)
        answer = self.platform_mocks.call(MockCallArgs(token=request.tok, args=args, provider=request.provider))
        response = resource_pb2.ResourceInvokeResponse()
        getattr(response, "return").CopyFrom(plain_struct(answer))  # `return` is a Python keyword
        return response

    def ReadResource(self, request: Any) -> Any:
        raise UnknownInvokeError(
            f"the offline harness does not read existing resources ({request.type} '{request.name}'); "
            "look it up with an invoke the mocks answer instead"
        )

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = unwrap_secrets(rpc.deserialize_properties(request.object))
        mock_args = MockResourceArgs(typ=request.type, name=request.name, inputs=inputs,
                                     provider=request.provider, resource_id=request.importId,
                                     custom=request.custom or False)
        id_, state = self.platform_mocks.new_resource(mock_args)
        if request.type.startswith("pulumi:providers:"):
            # A Kubernetes provider has no region: the cluster's region is in its name
            # (`prod-eu-west-1-k8s`), so objects behind it (Ingress hostnames) carry that region.
            named = sorted((r for r in AWS_REGIONS if r in request.name), key=len, reverse=True)
            self.platform_mocks.provider_regions[urn] = str(inputs.get("region")
                                                            or (named[0] if named else None)
                                                            or self.platform_mocks.default_region)
        options = {
            "protect": bool(request.protect),
            "retainOnDelete": bool(request.retainOnDelete),
            "dependsOn": sorted(set(request.dependencies)),
            "ignoreChanges": list(request.ignoreChanges),
            "aliases": [str(a) for a in request.aliasURNs] + [str(a) for a in request.aliases],
            "deleteBeforeReplace": bool(request.deleteBeforeReplace),
            "additionalSecretOutputs": list(request.additionalSecretOutputs),
            "replaceOnChanges": list(request.replaceOnChanges),
            # camelCase input -> URNs it depends on: the engine hands these to stack policies.
            "propertyDependencies": {k: sorted(set(v.urns)) for k, v in request.propertyDependencies.items()},
        }
        reg = Registration(urn=urn, type=request.type, name=request.name, custom=bool(request.custom),
                           parent=request.parent, provider=request.provider, inputs=inputs,
                           state=state, id=id_ or "", options=options,
                           secret_paths=_secret_paths(request.object))
        if urn in self.resources:
            raise DuplicateUrnError(
                f"duplicate URN {urn}: two resources share type and name under one parent; "
                "names must carry the region, tenant or role"
            )
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_ or "", state)
        self.registrations.append(reg)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=plain_struct(state))


def plain_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    """The SDK's wire form of a mock state or invoke answer, computed without an event loop.

    `rpc.serialize_properties` is a coroutine, and awaiting it inside the monitor would pump the
    program's own loop re-entrantly (the SDK's mock monitor does so on a thread pool instead).
    Plain data (nearly every state) goes straight into the Struct the way the SDK would put it:
    top-level `None` dropped, nested `None` kept as null, an `Unknown` as the engine's unknown
    sentinel. Anything else (a Lambda's code archive) is handed to the SDK's serialiser, driven to
    its end here: it never suspends for such values, and should it ever wait on something, that is
    an error, not a silent hang.
    """
    struct = struct_pb2.Struct()
    try:
        struct.update({k: _plain(v) for k, v in values.items() if v is not None})
        return struct
    except _NotPlain:
        pass
    coro = rpc.serialize_properties(values, {})
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("a mock state held a value the SDK must await (an Output or a future); "
                       "mock states must be plain data")


class _NotPlain(Exception):
    pass


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    raise _NotPlain
