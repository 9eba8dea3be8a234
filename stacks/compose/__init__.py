"""Per-layer composition: each module turns typed config into components for one layer.

Layers, in build order per region: `base` (network, EKS, add-ons) -> `data` (keys, stores,
secrets) -> `workload` (app/) -> `observability`; global pieces (data domains, tenants,
global traffic, budgets) sit beside the regions. Modules exchange the typed results in
`stacks.compose.types`, never each other's internals.
"""
