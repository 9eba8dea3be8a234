"""AWS region facts the config validator needs without calling AWS.

Kept as data, not an invoke: validation must run offline and before any provider starts,
so a typo such as `eu-west-7` fails in milliseconds with the list of valid names.
"""

from __future__ import annotations

# Commercial AWS regions (opt-in regions included); GovCloud and China use other partitions.
AWS_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "ca-central-1", "ca-west-1", "mx-central-1",
        "sa-east-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2",
        "me-south-1", "me-central-1", "il-central-1", "af-south-1",
        "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-southeast-5", "ap-southeast-7",
    }
)

# Regions each residency may use at all; a data domain of that residency must stay inside.
RESIDENCY_REGIONS: dict[str, frozenset[str]] = {
    "eu": frozenset(r for r in AWS_REGIONS if r.startswith("eu-")),
}


def short_region(region: str) -> str:
    """`eu-west-1` -> `euw1`: short enough for AWS names capped at 32-63 characters."""
    parts = region.split("-")
    return parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1]
