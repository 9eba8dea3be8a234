"""Offline cost estimate: a price table with sources, usage assumptions per stack, SKU mapping."""

from stacks.cost.estimate import GUIDE_BUDGETS, Estimate, EstimateError, budget_verdict, estimate
from stacks.cost.prices import PriceTable, PriceTableError, UnknownSku, load_prices
from stacks.cost.usage import UsageError, UsageProfile, load_usage

__all__ = ["GUIDE_BUDGETS", "Estimate", "EstimateError", "PriceTable", "PriceTableError", "UnknownSku",
           "UsageError", "UsageProfile", "budget_verdict", "estimate", "load_prices", "load_usage"]
