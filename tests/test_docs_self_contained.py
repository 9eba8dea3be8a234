"""The docs stand on their own: every relative link resolves inside the repository, and nothing
points a reader at files, trackers or machines they do not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from stacks.harness.run import ROOT

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
OUTSIDE = {
    # a sibling folder of the clone (`../shared/...`), not `../README.md` from docs/ (the link test
    # resolves those) nor the `.../` of an elided path
    "a file outside the repository": re.compile(r"(?<!\.)\.\./(?:\.\./)*(?:shared|reference|seed)/|DESIGN\.md|"
                                                r"deployment-guide\.md"),
    "a tracker issue number": re.compile(r"\bissue #?\d+\b|\bthis issue\b", re.IGNORECASE),
    "a cited reference number (state the fact and its source)": re.compile(r"\(G\d{1,2}\)|\bG\d{1,2}\b:"),
    "a machine path": re.compile(r"(?<![\w.])/(?:work|root|home)/"),
}


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / line for line in out.stdout.splitlines()]


DOCS = tracked("README.md", "docs/*.md")


@pytest.mark.parametrize("doc", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_relative_links_resolve_inside_the_repository(doc: Path) -> None:
    broken = []
    prose = re.sub(r"^```.*?^```", "", doc.read_text(), flags=re.MULTILINE | re.DOTALL)  # code holds no links
    prose = re.sub(r"`[^`\n]*`", "", prose)
    for target in LINK.findall(prose):
        if re.match(r"[a-z]+:|#", target):
            continue  # a web address or an anchor of this page
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        if not path.exists() or ROOT not in path.parents:
            broken.append(target)
    assert not broken, f"{doc.relative_to(ROOT)} links to {broken}"


def test_nothing_points_outside_the_repository() -> None:
    files = tracked("*.md", "*.py", "*.yaml", "*.yml", "*.js", "*.mjs", "*.json", "*.toml", "*.txt", "tasks", ".ci/*")
    found = []
    for path in files:
        if path.name == Path(__file__).name:
            continue  # this file names the patterns
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            found += [f"{path.relative_to(ROOT)}:{n}: {what}" for what, rx in OUTSIDE.items() if rx.search(line)]
    assert not found, "\n".join(found[:20])
