"""The agentic-platform CrossGuard policies, importable without starting a policy pack.

`policy/__main__.py` builds the `PolicyPack` (which starts a gRPC server and never returns);
tests and the offline preview import `registry.POLICIES` and run them in-process.
"""
