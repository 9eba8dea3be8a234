"""Every stack-file key must be read by someone: this program or one of its providers.

Pulumi hands a provider only the keys of its own namespace and the program only what it asks
for, so a misspelt namespace (`agentic-platfrom:tenants`, `aws:regoin`) is passed to nobody and
a whole section silently falls back to its default. The known keys are the program's namespace
(the config model) and each provider's own config keys, read from the installed provider SDKs
(`config/vars.py` and `provider.py` of the pinned versions), so they never drift from the pins.
"""

from __future__ import annotations

import difflib
import importlib.util
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from stacks.config.errors import NAMESPACE, ConfigIssue

PROVIDER_PACKAGES = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes", "cloudflare": "pulumi_cloudflare",
                     "random": "pulumi_random"}
ENGINE_NAMESPACE = "pulumi"
"""`pulumi:` keys belong to the engine itself (e.g. `pulumi:disable-default-providers`)."""
_VARS_KEY = re.compile(r"__config__\.get\w*\('([A-Za-z0-9_]+)'")
_PROVIDER_ARG = re.compile(r'pulumi\.set\(__self__, "([a-z0-9_]+)"')


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@cache
def provider_keys(namespace: str) -> frozenset[str]:
    """`aws:region`, `kubernetes:context`, ...: the config keys a provider SDK reads."""
    spec = importlib.util.find_spec(PROVIDER_PACKAGES[namespace])
    if spec is None or spec.origin is None:
        return frozenset()
    root = Path(spec.origin).parent
    names: set[str] = set()
    vars_file = root / "config" / "vars.py"
    if vars_file.exists():
        names |= set(_VARS_KEY.findall(vars_file.read_text()))
    provider_file = root / "provider.py"
    if provider_file.exists():
        names |= {_camel(n) for n in _PROVIDER_ARG.findall(provider_file.read_text())} - {"result"}
    return frozenset(f"{namespace}:{n}" for n in names)


def known_keys(program_keys: Iterable[str]) -> frozenset[str]:
    out = {f"{NAMESPACE}:{k}" for k in program_keys}
    for namespace in PROVIDER_PACKAGES:
        out |= provider_keys(namespace)
    return frozenset(out)


def unknown_key_issues(keys: Iterable[str], program_keys: Iterable[str]) -> list[ConfigIssue]:
    """One issue per stack-file key that nobody reads, naming the closest known key."""
    known = known_keys(program_keys)
    issues: list[ConfigIssue] = []
    for key in sorted(set(keys)):
        namespace = key.split(":", 1)[0] if ":" in key else ""
        if key in known or namespace == ENGINE_NAMESPACE or key.startswith(f"{NAMESPACE}:"):
            continue  # the program's own namespace is checked key by key against the model
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else (
            f"the program reads `{NAMESPACE}:` keys, the providers `{':`, `'.join(sorted(PROVIDER_PACKAGES))}:` keys;")
        issues.append(ConfigIssue(key, f"no part of the program or its providers reads this key; {hint} "
                                       "Fix the spelling or remove it from the stack file"))
    return issues
