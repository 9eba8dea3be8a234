"""The harness runs the monitor in place, on the program's thread, and leaves no loop behind.

The SDK's mock monitor is called through a thread pool and serialises with `_sync_await`, which
creates an event loop per thread and never closes it (finalised later by a full collection, such a
loop surfaced as a `PytestUnraisableExceptionWarning` inside whichever test happened to collect).
The harness's loop runs the monitor inline instead, which is also where a third of a run went.
"""

from __future__ import annotations

import asyncio
import threading
import warnings

import pulumi
import pytest

from stacks.harness import run as harness_run
from stacks.harness.mocks import PlatformMocks, plain_struct
from stacks.harness.run import run_program, stack_config


def test_a_run_answers_on_the_main_thread_with_one_loop_it_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: set[str] = set()
    loops: list[harness_run.InlineMonitorLoop] = []
    answer = PlatformMocks.new_resource

    def recording(self: PlatformMocks, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        threads.add(threading.current_thread().name)
        return answer(self, args)

    class Tracked(harness_run.InlineMonitorLoop):
        def __init__(self) -> None:
            super().__init__()
            loops.append(self)

    monkeypatch.setattr(PlatformMocks, "new_resource", recording)
    monkeypatch.setattr(harness_run, "InlineMonitorLoop", Tracked)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        run_program("local", stack_config("local"), after="collect")  # collects only the run's objects
    assert threads == {threading.main_thread().name}
    assert len(loops) == 1 and loops[0].is_closed()
    assert not any(not t.done() for t in loops[0].tasks)  # nothing of the run is left to run later


def test_plain_struct_refuses_a_value_that_must_be_awaited() -> None:
    loop = asyncio.new_event_loop()
    try:
        pending = loop.create_future()
        with pytest.raises(RuntimeError, match="mock states must be plain data"):
            plain_struct({"arn": pending})
    finally:
        loop.close()


def test_plain_struct_is_the_sdks_wire_form() -> None:
    state = {"name": "a", "count": 2, "gone": None, "nested": {"kept": None, "list": [1, "x", True]}}
    struct = plain_struct(state)
    assert "gone" not in struct.fields
    assert struct.fields["nested"].struct_value.fields["kept"].WhichOneof("kind") == "null_value"
    assert [v.WhichOneof("kind") for v in struct.fields["nested"].struct_value.fields["list"].list_value.values] \
        == ["number_value", "string_value", "bool_value"]


def test_plain_struct_matches_the_sdk_serialiser_over_every_prod_state() -> None:
    from pulumi.runtime import rpc
    from pulumi.runtime.sync_await import _sync_await  # pyright: ignore[reportPrivateUsage]

    from stacks.harness.run import run_stack

    plan = run_stack("prod")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        for resource in plan.resources:
            assert plain_struct(resource.outputs) == _sync_await(rpc.serialize_properties(resource.outputs, {})), \
                resource.urn
    finally:
        loop.close()
