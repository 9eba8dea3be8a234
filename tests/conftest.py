"""Shared test setup: make the project importable from every test folder."""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

# Version support is judged on a day (stacks/versions): tests pin it so they do not start failing
# on the date a pinned version leaves support; the preview and `pulumi` use the real date.
os.environ.setdefault("AGENTIC_TODAY", "2026-12-03")

from stacks.harness import Plan, run_stack  # noqa: E402
from stacks.harness import run as harness_run  # noqa: E402
from stacks.harness.run import SHARE_ENV  # noqa: E402
from stacks.harness.run import stack_namespace as namespace  # noqa: E402 - kept for `tests.conftest` imports

__all__ = ["namespace"]


@pytest.fixture(scope="module")
def prod() -> Plan:
    """The prod stack's plan (run once per process by `run_stack`; each module gets its own copy)."""
    return run_stack("prod")


@pytest.fixture(scope="module")
def dev() -> Plan:
    return run_stack("dev")


@pytest.fixture(scope="module")
def staging() -> Plan:
    return run_stack("staging")


def pytest_configure(config: pytest.Config) -> None:
    """Cached runs keep their garbage (a session's processes are short-lived). The controller (or
    the only process) makes this session's plan folder; xdist's workers inherit it through the
    environment and share each configuration's plan (one run per stack file, with or without
    overrides)."""
    harness_run.KEEP_GARBAGE = True  # every process of a session exits at its end: see AFTER_RUN
    if hasattr(config, "workerinput") or os.environ.get(SHARE_ENV):
        return
    folder = tempfile.mkdtemp(prefix="agentic-plans-")
    os.environ[SHARE_ENV] = folder
    config.stash[_SHARE_KEY] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_SHARE_KEY, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(SHARE_ENV, None)


_SHARE_KEY = pytest.StashKey[str]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the plans this process kept before pytest's closing collections (its unraisable-exception
    check collects several times at exit): a plan is acyclic data, freed at once, and every full
    collection over a dozen kept plans cost about a second per worker."""
    harness_run._CACHE.clear()  # pyright: ignore[reportPrivateUsage]
    kept = {"policy_helpers": ("_PLANS", "MEMO"), "test_policy_mutations": ("_RESULTS",)}
    for module_name, module in list(sys.modules.items()):
        for name in kept.get(module_name.rsplit(".", 1)[-1], ()):
            getattr(module, name).clear()
    # pytest then collects twice more (closing its unraisable-exception check); one collection here
    # finalises the session's garbage while that check still reports what a finaliser raises, and
    # freezing what is left makes pytest's two walk nothing: ~1.5 s per worker.
    gc.collect()
    gc.freeze()


HEAVY_FIRST = (
    "test_preview_cli.py", "test_app_stacks.py", "test_chart_images.py", "ops/test_ops_verify.py",
    "test_event_backbone.py", "test_global_stacks.py", "test_mcp_secrets.py", "policy/test_policy_mutations.py",
    "test_tenancy_stacks.py", "test_dr_report.py", "test_workflows.py", "ops/test_ops_tenant_purge.py",
)
"""Modules that take longest (each 5-13 s of one worker), in that order. `./tasks test` hands whole
modules to pytest-xdist's two workers (`--dist loadscope`: a module's fixtures, and what they
derive from the shared plans, are computed once instead of on both workers) in collection order
(`--no-loadscope-reorder`), so the long ones start first and the short ones fill the end instead
of one worker finishing a long module alone. A module missing here only runs later; measure with
`pytest -n 2 --dist loadscope --durations=0` and keep the list to the heaviest."""


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0].removeprefix("tests/")
        return HEAVY_FIRST.index(path) if path in HEAVY_FIRST else len(HEAVY_FIRST)

    items.sort(key=rank)  # stable: within a module, and among the rest, the collected order stays
