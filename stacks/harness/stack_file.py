"""Read a `Pulumi.<stack>.yaml` as strictly as the Pulumi CLI does.

PyYAML keeps the last of two equal keys without a word, while the CLI refuses such a file; and
a bare YAML error reads as a parser trace. Both become one line naming the file, the line and
the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode

from stacks.yaml_load import SafeLoader


class StackFileError(ValueError):
    """A stack file that is not valid YAML or repeats a key."""


class _UniqueKeyLoader(SafeLoader):  # libyaml when installed (stacks/yaml_load.py)
    file = "the stack file"

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # pyright: ignore[reportUnknownMemberType]
            line = key_node.start_mark.line + 1
            if key in seen:
                raise StackFileError(f"{self.file} line {line}: duplicate key '{key}' (first on line {seen[key]}); "
                                     "YAML would silently keep the last (the Pulumi CLI refuses the file): keep one")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: Path) -> Any:
    """The YAML document at `path`; StackFileError naming the file and line on any problem."""
    try:
        loader = _UniqueKeyLoader(path.read_text())
        loader.file = path.name
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path.name} line {mark.line + 1}" if mark else path.name
        problem = exc.problem or exc.context or "not valid YAML"
        raise StackFileError(f"{where}: {problem}; fix the file (YAML: indent with spaces, quote values "
                             "containing ': ' or '#')") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path.name}: not valid YAML ({exc})") from None
