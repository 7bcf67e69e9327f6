"""The README opens with the two fresh-machine commands, and CI runs the same test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text[: text.index("---\n")]
    return re.findall(r"```sh\n(.*?)\n```", head, re.S)


def apt_packages(command: str) -> list[str]:
    match = re.search(r"apt-get install -y(?: -qq)? ([^&>]+)", command)
    assert match, command
    return match.group(1).split()


def test_readme_opens_with_exactly_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    run, test = commands
    assert run.rstrip().endswith(".venv/bin/claude-status-tray")
    assert test.rstrip().endswith(".venv/bin/python -m pytest")


def test_ci_installs_the_same_packages_and_runs_the_same_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme_test = readme_commands()[1]
    ci_install = next(line for line in ci.splitlines() if "apt-get install" in line)
    assert apt_packages(ci_install) == apt_packages(readme_test)
    after_apt = readme_test.split("&& ", 2)[2]  # what follows `apt-get update && apt-get install`
    assert after_apt in ci
