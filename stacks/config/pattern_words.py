"""The rule behind each pattern of the config model, in words a user can act on.

Pydantic reports "String should match pattern '^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$'": exact, but
a regular expression is not a fix. Each known pattern maps to its rule and an example; a pattern
not listed here (added later) still shows the regex, so nothing is hidden.
"""

from __future__ import annotations

PATTERN_WORDS: dict[str, str] = {
    r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$":
        "1 to 32 lower-case letters, digits or hyphens, starting and ending with a letter or digit "
        "(it becomes the namespace tenant-<id>), e.g. acme-eu",
    r"^1\.\d{2}$":
        "a Kubernetes minor version written 1.<two digits>, e.g. 1.33 (no patch number)",
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$":
        "an image tag: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-', e.g. a git SHA",
    r"^[a-z][a-z0-9-]{1,15}$":
        "2 to 16 lower-case letters, digits or hyphens, starting with a letter, e.g. global or eu",
    r"^[A-Z]{2,4}$":
        "a Cloudflare region code of 2 to 4 upper-case letters, e.g. WNAM or WEU",
    r"^(al2023|bottlerocket)@(latest|v[0-9.]+)$":
        "<family>@<version> with family al2023 or bottlerocket and version latest or v<digits>, "
        "e.g. al2023@v20251015",
}


def pattern_in_words(pattern: str) -> str:
    """'must be ...' for a known pattern, else the pattern itself."""
    words = PATTERN_WORDS.get(pattern)
    return f"must be {words}" if words else f"must match the pattern {pattern}"
