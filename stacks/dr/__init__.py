"""Offline disaster-recovery report: RPO, detection, failover path and RTO per domain and hostname."""

from stacks.dr.figures import FIGURES, TARGETS, DrFigures
from stacks.dr.report import DrReport, assess

__all__ = ["FIGURES", "TARGETS", "DrFigures", "DrReport", "assess"]
