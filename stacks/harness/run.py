"""Run the real program for a named stack under mocks, as the engine would.

Mirrors `pulumi-language-python-exec`: the stack file's config is handed over as strings
(structured values as JSON), `secure:` values and declared secret keys get test values marked
secret, project defaults from `Pulumi.yaml` apply, then `__main__.py` runs inside
`run_pulumi_func` and every registration is awaited. Several stacks can run in one process.
"""

from __future__ import annotations

import asyncio
import copy
import fcntl
import gc
import hashlib
import json
import os
import pickle
import runpy
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await  # pyright: ignore[reportPrivateUsage]

from stacks.config.secret_needs import conditional_secrets
from stacks.harness.mocks import PlatformMocks, RecordingMonitor, Registration
from stacks.harness.order import stable_order
from stacks.harness.plan import Plan, PlannedResource
from stacks.harness.stack_file import StackFileError, load_yaml
from stacks.yaml_load import safe_load

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "agentic-platform"
TEST_SECRET_PREFIX = "offline-test-secret-"


def project_file(root: Path = ROOT) -> dict[str, Any]:
    return safe_load((root / "Pulumi.yaml").read_text())


def stack_names(root: Path = ROOT) -> list[str]:
    order = {"local": 0, "dev": 1, "staging": 2, "prod": 3}
    names = [p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in root.glob("Pulumi.*.yaml")]
    return sorted(names, key=lambda n: (order.get(n, 9), n))


def stack_config(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """The `config:` map of `Pulumi.<stack>.yaml` as YAML values."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name}; known stacks: {', '.join(stack_names(root))}")
    doc = load_yaml(path) or {}
    if not isinstance(doc, dict) or not isinstance(doc.get("config") or {}, dict):
        raise StackFileError(f"{path.name}: expected a mapping with a `config:` mapping of keys to values")
    return dict(doc.get("config") or {})


def stack_namespace(stack: str, root: Path = ROOT,
                    secrets: Mapping[str, str] | None = None) -> tuple[dict[str, Any], str | None]:
    """(`agentic-platform:` values without the prefix, `aws:region`) of a stack file, as YAML
    values, with test values for the required secrets: what `stacks.config.parse` takes."""
    raw = stack_config(stack, root)
    prefix = f"{PROJECT}:"
    ns = {k[len(prefix):]: copy.deepcopy(v) for k, v in raw.items() if k.startswith(prefix)}
    if secrets is None:
        secrets = {"anthropic_api_key": "test-anthropic", "openai_api_key": "test-openai",
                   **{k: f"test-{k}" for k in conditional_secrets(ns) if k not in ns}}
    ns.update(secrets)
    return ns, raw.get("aws:region")


def engine_config(config: Mapping[str, Any], root: Path = ROOT) -> tuple[dict[str, str], list[str]]:
    """Config as the engine hands it to a program: strings, JSON for structures, secrets flagged."""
    declared = (project_file(root).get("config") or {})
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, decl in declared.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(decl, dict) and "default" in decl:
            values[full] = _encode(decl["default"])
        if isinstance(decl, dict) and decl.get("secret"):
            # What `pulumi config set --secret` would provide; offline we cannot decrypt.
            values[full] = TEST_SECRET_PREFIX + full.split(":")[-1]
            secret_keys.append(full)
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = TEST_SECRET_PREFIX + key.split(":")[-1]
            secret_keys.append(key)
        else:
            values[key] = _encode(value)
    prefix = f"{PROJECT}:"
    namespace = {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}
    for short in conditional_secrets(namespace):
        full = prefix + short
        if full not in config:  # needed by this config, not set: stand in as for a declared secret
            values[full] = TEST_SECRET_PREFIX + short
            secret_keys.append(full)
    return values, sorted(set(secret_keys))


def _encode(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _regions_in(config: Mapping[str, str]) -> list[str]:
    raw = config.get(f"{PROJECT}:regions")
    if not raw:
        return []
    try:
        return [r["name"] for r in json.loads(raw) if isinstance(r, dict) and "name" in r]
    except (json.JSONDecodeError, TypeError):
        return []


def _resolve_regions(regs: list[Registration], default_region: str, known: list[str]) -> dict[str, str | None]:
    """Effective region per URN: own `region`, else provider's, else the nearest ancestor's."""
    by_urn = {r.urn: r for r in regs}
    provider_region: dict[str, str] = {}
    for r in regs:
        if r.type.startswith("pulumi:providers:"):
            own = r.inputs.get("region")
            if isinstance(own, str) and own:
                provider_region[r.urn] = own
            else:
                named = [k for k in known if k in r.name]
                if named:
                    provider_region[r.urn] = named[0]
                elif r.type == "pulumi:providers:aws":
                    provider_region[r.urn] = default_region
    out: dict[str, str | None] = {}

    def region(r: Registration) -> str | None:
        if r.urn in out:
            return out[r.urn]
        own = r.inputs.get("region")
        result: str | None = None
        if isinstance(own, str) and own:
            result = own
        elif r.provider and r.provider.rsplit("::", 1)[0] in provider_region:
            result = provider_region[r.provider.rsplit("::", 1)[0]]
        elif r.type.startswith("pulumi:providers:"):
            result = provider_region.get(r.urn)
        elif r.type.startswith("aws:") and r.custom:
            result = default_region
        elif r.parent in by_urn:
            result = region(by_urn[r.parent])
        out[r.urn] = result
        return result

    for r in regs:
        region(r)
    return out


GROUPING = frozenset({"agentic:stacks:RegionalPlatform", "agentic:stacks:GlobalPlatform"})


def _components(regs: list[Registration]) -> dict[str, str]:
    """URN -> type of its outermost component below the stack and the grouping components."""
    by_urn = {r.urn: r for r in regs}
    out: dict[str, str] = {}
    for r in regs:
        cur = r
        while cur.parent in by_urn and by_urn[cur.parent].type not in GROUPING:
            cur = by_urn[cur.parent]
        out[r.urn] = cur.type
    return out


def _resolve(value: Any) -> tuple[Any, bool]:
    output = pulumi.Output.from_input(value)
    return _sync_await(output.future()), bool(_sync_await(output.is_secret()))


def _stack_outputs() -> tuple[dict[str, Any], list[str]]:
    """The stack's exports resolved to plain values (secrets shown as `[secret]`), and which are secret."""
    exported: dict[str, Any] = getattr(pulumi_settings.get_root_resource(), "outputs", {}) or {}
    outputs: dict[str, Any] = {}
    secret: list[str] = []
    for key, value in exported.items():
        resolved, is_secret = _resolve(value)
        outputs[key] = "[secret]" if is_secret else resolved
        if is_secret:
            secret.append(key)
    return outputs, secret


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Finish a run's loop so nothing of it runs later inside unrelated code.

    After a failed program, futures holding the error are left unretrieved; if the garbage
    collector finalised them later (e.g. inside `ast.parse`), CPython 3.11 failed with
    "AST constructor recursion depth mismatch". Their loop now ignores what they report, and
    `run_program` collects them before it returns: the error itself was already raised.
    """
    own = loop.tasks if isinstance(loop, InlineMonitorLoop) else asyncio.all_tasks(loop)
    pending = [t for t in own if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.set_exception_handler(lambda _loop, _context: None)
    loop.close()


def _no_stack_trace() -> source_pb2.StackTrace:
    """The SDK walks the Python stack at every registration to send the engine the source line
    that made it (for `pulumi about`-style diagnostics); the mock monitor ignores it, and the walk
    was 12 % of a prod run."""
    return source_pb2.StackTrace()


class InlineMonitorLoop(asyncio.SelectorEventLoop):
    """An event loop that runs the SDK's monitor calls in place instead of on a thread pool.

    The SDK sends every registration and invoke through `run_in_executor` because a real monitor
    is a gRPC server; the mock monitor answers in microseconds, so the thread hop (and the GIL
    hand-over it causes) was pure overhead, and threads made the order of answers vary. The
    monitor never awaits anything itself (`plain_struct` builds its answers synchronously), so
    running it inline cannot re-enter the loop.
    """

    def __init__(self) -> None:
        super().__init__()
        self.tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        """This loop's tasks: `asyncio.all_tasks(loop)` walks every task of the process, and the
        test session's runs keep theirs (`AFTER_RUN`): ~30,000 more per prod run, ~40 ms a call."""

    def create_task(self, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = super().create_task(coro, **kwargs)
        self.tasks.add(task)
        return task

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> asyncio.Future[Any]:
        future = self.create_future()
        try:
            future.set_result(func(*args))
        except Exception as exc:  # noqa: BLE001 - handed to the awaiting SDK code, as the pool would
            future.set_exception(exc)
        return future


AFTER_RUN = ("leave", "collect", "keep")
"""What `run_program` does with a run's object graph (resources, Outputs, tasks, futures: ~730,000
objects for prod, nearly all cyclic garbage once the plan is built): `leave` it to the next
automatic collection, `collect` it before returning (~1.4 s for prod: freeing that many objects,
finalisers included, is most of it), or `keep` it: frozen with everything else alive, out of every
later collection's reach for the rest of the process (~100 MB per prod-sized run, released when
the process exits). `keep` is for short-lived processes that run many configurations and never
need the memory back: the test session's workers (tests/conftest.py). A failed run is always
collected (its unretrieved futures, see `_close_loop`)."""

KEEP_GARBAGE = False
"""Whether `run_stack`'s cached runs keep their garbage instead of collecting it (`AFTER_RUN`).
Off by default; a test session turns it on in each of its processes, where it saved ~11 s of
CPU (two workers, ~45 runs); uncached runs (`cached=False`) still collect, so a never-awaited
coroutine or a finaliser's error in the program still surfaces in the suite."""


_KEPT = False
"""Whether a run of this process kept its garbage frozen (then nothing is ever unfrozen again)."""


@contextmanager
def _collector_on_the_run_only(after: str) -> Iterator[None]:
    """The garbage collector's state for one run, restored however the run ends.

    Everything alive before the run (in a test process: every plan kept so far) is moved out of
    the collector's reach for the run's duration, so the collection at its end walks only the
    run's own objects: in a test worker holding a dozen plans a full collection took ~0.8 s, and
    they were a sixth of the suite's time. Unfrozen when it ends, unless objects were frozen
    before the run (by a caller, or by an earlier run that kept its garbage: CPython cannot
    unfreeze part of what is frozen, so what was alive at the run's start stays frozen with them)
    or this run keeps its garbage (`AFTER_RUN`). Automatic collections are paused too: nearly
    everything a run allocates (its resources, Outputs and their futures) lives until the run
    ends, so every young collection walked survivors and freed next to nothing, a quarter of a
    prod run. Its short-lived cycles wait for the end instead (prod peaks ~16 MB higher). A
    collector the caller had disabled stays disabled.
    """
    global _KEPT  # noqa: PLW0603 - a process-wide fact: the collector's frozen set is process-wide too
    froze = not _KEPT and gc.get_freeze_count() == 0  # counting walks the frozen set: ~70 ms once kept
    gc.freeze()
    was_enabled = gc.isenabled()
    gc.disable()
    kept = False
    try:
        yield
        if after == "keep":
            gc.freeze()
            kept = _KEPT = True
        elif after == "collect":
            gc.collect()
    except BaseException:
        gc.collect()  # a failed run is always collected, `keep` or not
        raise
    finally:
        if froze and not kept:
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def run_program(stack: str, config: Mapping[str, Any], root: Path = ROOT,
                program: Path | None = None, after: str = "leave") -> Plan:
    """Run `program` (default: the project's `__main__.py`) with `config` (a stack file's map).

    `after` says what becomes of the run's object graph (`AFTER_RUN`): processes that go on to
    run more `collect` it, or `keep` it when they are short-lived.
    """
    if after not in AFTER_RUN:
        raise ValueError(f"after={after!r}: expected one of {', '.join(AFTER_RUN)}")
    values, secret_keys = engine_config(config, root)
    default_region = values.get("aws:region") or (_regions_in(values) or ["us-east-1"])[0]
    with _collector_on_the_run_only(after):
        mocks = PlatformMocks(default_region)
        monitor = RecordingMonitor(mocks)
        entry = program or root / "__main__.py"
        stack_trace = sdk_resource._get_stack_trace  # pyright: ignore[reportPrivateUsage]
        asyncio.set_event_loop(InlineMonitorLoop())
        try:  # the setup too: whatever fails, the SDK's state and the loop are put back below
            sdk_resource._get_stack_trace = _no_stack_trace  # pyright: ignore[reportPrivateUsage]
            pulumi_settings.reset_options(project=PROJECT, stack=stack)
            pulumi_mocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=True, monitor=monitor)
            set_all_config(values, secret_keys)

            def program_main() -> None:
                runpy.run_path(str(entry), run_name="__main__")

            _sync_await(run_pulumi_func(program_main))
            outputs, secret_outputs = _stack_outputs()
        finally:
            sdk_resource._get_stack_trace = stack_trace  # pyright: ignore[reportPrivateUsage]
            _close_loop(asyncio.get_event_loop())
            pulumi_settings.reset_options(project=PROJECT, stack=stack)  # drops the root resource: the graph
    regions = _resolve_regions(monitor.registrations, default_region, _regions_in(values))
    components = _components(monitor.registrations)
    resources = [
        PlannedResource(component=components[r.urn], urn=r.urn, type=r.type, name=r.name, custom=r.custom,
                        parent=r.parent, provider=r.provider, region=regions.get(r.urn), inputs=r.inputs,
                        outputs=r.state, id=r.id, options=r.options, secret_paths=r.secret_paths)
        for r in stable_order(monitor.registrations)
    ]
    shown = {k: ("[secret]" if k in secret_keys else v) for k, v in values.items()}
    return Plan(stack=stack, project=PROJECT, config=shown, resources=resources, outputs=outputs,
                secret_outputs=sorted(secret_outputs))


_CACHE: dict[tuple[str, Path, str], bytes] = {}
"""Plans by (stack, root, overrides), pickled: a hit is one `pickle.loads` (a fresh copy the caller
may mutate, several times faster than `copy.deepcopy`), and a plan is pickled once, not per hit."""


def _overrides_key(overrides: Mapping[str, Any] | None) -> str | None:
    """A stable text for a set of overrides, or None when they are not plain data (never shared)."""
    try:
        return json.dumps(dict(overrides or {}), sort_keys=True)
    except (TypeError, ValueError):
        return None


def run_stack(stack: str, overrides: Mapping[str, Any] | None = None, root: Path = ROOT,
              cached: bool = True) -> Plan:
    """Run the program for `Pulumi.<stack>.yaml`, optionally with config keys replaced.

    The plan of a (stack, overrides) pair is memoised per process and a copy is returned, so the
    many tests that look at one configuration share one run of it and may still mutate what they
    get; `cached=False` always runs the program.
    """
    text = _overrides_key(overrides) if cached else None
    if text is None:
        return _run(stack, overrides, root, "collect")
    key = (stack, root, text)
    if key not in _CACHE:
        if os.environ.get(SHARE_ENV):
            _CACHE[key] = _shared_run(stack, overrides, root, Path(os.environ[SHARE_ENV]), text)
        else:
            _CACHE[key] = pickle.dumps(_run(stack, overrides, root), protocol=pickle.HIGHEST_PROTOCOL)
    return pickle.loads(_CACHE[key])


def _run(stack: str, overrides: Mapping[str, Any] | None, root: Path, after: str | None = None) -> Plan:
    config = stack_config(stack, root)
    config.update(overrides or {})
    return run_program(stack, config, root, after=after or ("keep" if KEEP_GARBAGE else "collect"))


SHARE_ENV = "AGENTIC_PLAN_SHARE"
"""A folder the processes of one test session share (set by tests/conftest.py for pytest-xdist's
workers): the first process to need a configuration's plan runs it and leaves it there, the others
load it, so a session pays for each configuration once instead of once per worker that has a test
of it (a module's fixture runs on every worker its tests are spread over). One session's folder is
never reused by another, so a plan never outlives the code that made it."""


def _shared_run(stack: str, overrides: Mapping[str, Any] | None, root: Path, folder: Path, text: str) -> bytes:
    """The pickled plan, from the session's folder or from running the program (then left there)."""
    folder.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha256(f"{stack}\0{root}\0{text}".encode()).hexdigest()[:16]
    target = folder / f"{tag}.pickle"
    with open(folder / f"{tag}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the others wait for the one running the program
        if target.exists():
            return target.read_bytes()
        data = pickle.dumps(_run(stack, overrides, root), protocol=pickle.HIGHEST_PROTOCOL)
        partial = target.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(target)
        return data
