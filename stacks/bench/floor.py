"""Floor program for the benchmark: N trivial resources under the same mocks, no logic.

What the SDK and the mock engine cost per registration; the real program's time per resource
is compared against it, so the benchmark measures our own logic, not Pulumi's. It runs with the
program's garbage-collector settings (stacks/gc_tuning.py): they halve the floor's time too, so
comparing a tuned program with an untuned floor would flatter the program.
"""

import pulumi

from stacks.gc_tuning import defer_full_collections


class Trivial(pulumi.CustomResource):
    def __init__(self, name: str) -> None:
        super().__init__("agentic:bench:Trivial", name, {"value": name})


defer_full_collections()
count = int(pulumi.Config().require("floor_count"))
for i in range(count):
    Trivial(f"trivial-{i}")
