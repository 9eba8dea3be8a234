"""The harness leaves no event loop for the garbage collector to finalise later.

The SDK's mock monitor runs in executor threads and serialises with `_sync_await`, which creates
an event loop per thread and never closes it; finalised later by a full collection, such a loop
surfaced as a `PytestUnraisableExceptionWarning` inside whichever test happened to collect.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings

from stacks.harness.mocks import PlatformMocks, RecordingMonitor
from stacks.harness.run import run_program, stack_config


def test_monitor_closes_the_loop_it_gives_an_executor_thread() -> None:
    monitor = RecordingMonitor(PlatformMocks("us-east-1"))
    seen: list[asyncio.AbstractEventLoop] = []

    def work() -> None:
        monitor._own_thread_loop()  # pyright: ignore[reportPrivateUsage]
        seen.append(asyncio.get_event_loop())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert len(seen) == 1 and not seen[0].is_closed()
    monitor.close()
    assert seen[0].is_closed()


def test_a_run_leaves_no_unclosed_loop_behind() -> None:
    original = asyncio.new_event_loop
    created: list[asyncio.AbstractEventLoop] = []

    def tracking() -> asyncio.AbstractEventLoop:
        loop = original()
        created.append(loop)
        return loop

    asyncio.new_event_loop = tracking
    try:
        run_program("local", stack_config("local"))
    finally:
        asyncio.new_event_loop = original
    assert len(created) >= 2, "the run's own loop and at least one executor thread's"
    open_loops = [loop for loop in created if not loop.is_closed()]
    assert not open_loops, f"{len(open_loops)} loop(s) left for the garbage collector"
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        gc.collect()
