"""What a 1-year commitment would save on the steady baseline: information beside the estimate.

The budgets must hold on on-demand list prices (a commitment is a financing choice made after
the design is right-sized, and it locks in a shape); this shows the reader what buying one for the
always-on nodes, database instances and cache nodes would take off the bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stacks.cost.estimate import Estimate
from stacks.yaml_load import safe_load

TABLE = Path(__file__).with_name("commitments.yaml")


@dataclass(frozen=True)
class CommitmentSaving:
    name: str
    baseline: float
    """Monthly on-demand cost of the SKUs the commitment covers."""
    discount: float
    url: str

    @property
    def saving(self) -> float:
        return round(self.baseline * self.discount, 2)


def commitment_savings(est: Estimate, path: Path = TABLE) -> list[CommitmentSaving]:
    doc = safe_load(path.read_text()) or {}
    out: list[CommitmentSaving] = []
    for c in doc.get("commitments") or []:
        prefixes, excludes = tuple(c["sku_prefixes"]), tuple(c.get("excludes") or ())
        baseline = sum(line.monthly for line in est.lines
                       if line.sku.startswith(prefixes) and not (excludes and line.sku.startswith(excludes)))
        out.append(CommitmentSaving(name=str(c["name"]), baseline=round(baseline, 2),
                                    discount=float(c["discount"]), url=str(c["url"])))
    return out


def summary(est: Estimate, path: Path = TABLE) -> str:
    savings = [s for s in commitment_savings(est, path) if s.baseline > 0]
    total = sum(s.saving for s in savings)
    parts = ", ".join(f"{s.name} -{s.discount:.0%} of ${s.baseline:,.2f} = ${s.saving:,.2f}" for s in savings)
    return (f"1-yr commitment (information, not in the total): ${total:,.2f}/month less "
            f"(${est.total - total:,.2f}); {parts}")
