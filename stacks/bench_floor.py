"""Floor program for the benchmark: N trivial resources under the same mocks, no logic.

What the SDK and the mock engine cost per registration; the real program's time per resource
is compared against it, so the benchmark measures our own logic, not Pulumi's.
"""

import pulumi


class Trivial(pulumi.CustomResource):
    def __init__(self, name: str) -> None:
        super().__init__("agentic:bench:Trivial", name, {"value": name})


count = int(pulumi.Config().require("floor_count"))
for i in range(count):
    Trivial(f"trivial-{i}")
