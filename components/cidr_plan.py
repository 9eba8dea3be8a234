"""Subnet CIDRs of one VPC, computed without AWS: deterministic and append-only.

awsx and tf-vpc derive subnet ranges from the list of tiers and AZs, so adding a tier or an AZ
re-indexes everything after it and plans to replace subnets (C39, C40). Here every tier owns a
block sized for `MAX_AZS` subnets whether or not those AZs are used, and blocks are taken
first-fit in the order the tiers are listed. Consequences, each unit- and property-tested:

* the same inputs always give the same plan;
* appending a tier only uses free space: no existing subnet moves;
* going from 2 to 3 AZs only adds subnets: no existing subnet moves;
* no two subnets overlap and all lie inside the VPC range.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_AZS = 4
"""AZ slots reserved per tier; a region can grow to this many AZs without moving a subnet."""


class CidrPlanError(ValueError):
    """The requested tiers do not fit the VPC range, or the request is malformed."""


@dataclass(frozen=True)
class Tier:
    """One subnet tier: a name and the prefix length of each per-AZ subnet."""

    name: str
    prefix: int


PRIVATE = Tier("private", 19)
"""8,190 addresses per AZ: VPC CNI gives every pod a VPC address, so nodes and pods live here."""
PUBLIC = Tier("public", 22)
"""1,022 per AZ: load balancers and NAT gateways only."""
DATABASE = Tier("database", 24)
"""Isolated: Aurora instances and proxies, no route to the internet."""
CACHE = Tier("cache", 24)
"""Isolated: ElastiCache nodes, no route to the internet."""

DEFAULT_TIERS: tuple[Tier, ...] = (PRIVATE, PUBLIC, DATABASE, CACHE)
"""Order matters only for where a tier lands; append new tiers at the end."""

CI = Tier("ci", 26)
"""59 usable per AZ (AWS keeps 5 of 64): the CodeBuild deploy runners only, one ENI per running
build (each project runs at most 4 builds at once). Own route tables with NAT egress
(components/network.py), so peer clusters admit exactly these ranges, never the node tier."""

RUNNER_TIERS: tuple[Tier, ...] = (*DEFAULT_TIERS, CI)
"""The tiers of a region that hosts a CI runner: the default ones, then `ci` appended, so adding
it to a live VPC only takes free space (no existing subnet moves)."""


@dataclass(frozen=True)
class PlannedSubnet:
    tier: str
    az_index: int
    cidr: str


@dataclass(frozen=True)
class CidrPlan:
    vpc_cidr: str
    az_count: int
    blocks: dict[str, str]
    """tier -> the block reserved for its `MAX_AZS` subnets."""
    subnets: tuple[PlannedSubnet, ...]

    def tier(self, name: str) -> list[str]:
        """CIDRs of one tier, AZ order."""
        found = [s.cidr for s in self.subnets if s.tier == name]
        if not found:
            raise KeyError(f"no tier '{name}' in the plan; tiers: {', '.join(self.blocks)}")
        return found


def plan_subnets(vpc_cidr: str, az_count: int, tiers: tuple[Tier, ...] = DEFAULT_TIERS) -> CidrPlan:
    """Carve `vpc_cidr` into `az_count` subnets per tier (see the module docstring for guarantees)."""
    try:
        vpc = ipaddress.ip_network(vpc_cidr, strict=True)
    except ValueError as exc:
        raise CidrPlanError(f"'{vpc_cidr}' is not a network address with prefix ({exc})") from None
    if not isinstance(vpc, ipaddress.IPv4Network):
        raise CidrPlanError(f"'{vpc_cidr}' is IPv6; the planner lays out IPv4 VPCs")
    if not 1 <= az_count <= MAX_AZS:
        raise CidrPlanError(f"az_count {az_count} must be between 1 and {MAX_AZS}")
    names = [t.name for t in tiers]
    if len(set(names)) != len(names):
        raise CidrPlanError(f"tier names must be unique, got {names}")
    slot_bits = (MAX_AZS - 1).bit_length()
    taken: list[ipaddress.IPv4Network] = []
    blocks: dict[str, ipaddress.IPv4Network] = {}
    for tier in tiers:
        if not 16 <= tier.prefix <= 28:
            raise CidrPlanError(f"tier '{tier.name}': prefix /{tier.prefix} must be between /16 and /28 "
                                "(AWS subnet limits)")
        block_prefix = tier.prefix - slot_bits
        if block_prefix < vpc.prefixlen:
            raise CidrPlanError(
                f"tier '{tier.name}': {MAX_AZS} subnets of /{tier.prefix} need a /{block_prefix}, "
                f"larger than the VPC {vpc_cidr}; use a longer prefix")
        block = _first_free(vpc, block_prefix, taken)
        if block is None:
            raise CidrPlanError(
                f"tier '{tier.name}': no free /{block_prefix} left in {vpc_cidr} after "
                f"{', '.join(blocks) or 'nothing'}; use a longer prefix or fewer tiers")
        taken.append(block)
        blocks[tier.name] = block
    subnets = tuple(
        PlannedSubnet(tier.name, i, str(list(blocks[tier.name].subnets(new_prefix=tier.prefix))[i]))
        for tier in tiers for i in range(az_count)
    )
    return CidrPlan(vpc_cidr=vpc_cidr, az_count=az_count,
                    blocks={k: str(v) for k, v in blocks.items()}, subnets=subnets)


def _first_free(vpc: ipaddress.IPv4Network, prefix: int,
                taken: list[ipaddress.IPv4Network]) -> ipaddress.IPv4Network | None:
    """Lowest aligned /prefix inside `vpc` overlapping nothing taken."""
    for candidate in vpc.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(t) for t in taken):
            return candidate
    return None
