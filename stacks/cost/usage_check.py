"""Every key of a usage file must be one the estimate reads, or it is a typo that changes nothing.

The known keys are those of `usage/defaults.yaml`, which documents every assumption: a stack's
file or a what-if file (`python -m stacks.cost --usage FILE`) may only override them.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from stacks.cost.usage import USAGE_DIR
from stacks.harness.stack_file import load_yaml


def known_usage_keys(directory: Path = USAGE_DIR) -> tuple[set[str], set[str]]:
    """({"kind.key", ...} from defaults, {region-level keys})."""
    doc = load_yaml(directory / "defaults.yaml") or {}
    kinds = {f"{kind}.{key}" for kind, keys in (doc.get("defaults") or {}).items() for key in (keys or {})}
    regional = {key for section in (doc.get("regions") or {}).values() for key in (section or {})}
    return kinds, regional


def _hint(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""


def usage_problems(doc: Any, file: str, directory: Path = USAGE_DIR) -> list[str]:
    """Each unknown or misplaced key of a usage document, with the closest known key."""
    if not isinstance(doc, dict):
        return [f"{file}: must be a mapping with `defaults:`, `regions:` and/or `resources:`"]
    kinds, regional = known_usage_keys(directory)
    problems: list[str] = []
    for top in doc:
        if top not in ("defaults", "regions", "resources"):
            hint = _hint(str(top), {"defaults", "regions", "resources"})
            problems.append(f"{file}: unknown top-level key '{top}'; {hint}use defaults, regions or resources")

    def check_kinds(section: Any, where: str) -> None:
        if not isinstance(section, dict):
            problems.append(f"{file}: {where} must be a mapping of kind -> {{key: number}}")
            return
        for kind, keys in section.items():
            if not isinstance(keys, dict):
                problems.append(f"{file}: {where}.{kind} must be a mapping of key -> number")
                continue
            for key in keys:
                if f"{kind}.{key}" not in kinds:
                    hint = _hint(f"{kind}.{key}", kinds)
                    problems.append(f"{file}: {where}.{kind}.{key} is not a usage key; {hint}"
                                    "the known keys are in stacks/cost/usage/defaults.yaml")

    check_kinds(doc.get("defaults") or {}, "defaults")
    for region, section in (doc.get("regions") or {}).items():
        for key in section or {}:
            if key not in regional:
                problems.append(f"{file}: regions.{region}.{key} is not a regional usage key; "
                                f"{_hint(str(key), regional)}use one of {', '.join(sorted(regional))}")
    for pattern, section in (doc.get("resources") or {}).items():
        check_kinds(section or {}, f"resources.{pattern}")
    return problems
