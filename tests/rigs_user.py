"""Test rig: run parts of a desktop session as an unprivileged system user.

sway refuses to run as root, and CI runs as root, so a Wayland session runs as a system user
(made once with ``useradd --system``) through ``setpriv --reuid --regid --init-groups``. That
user cannot read root's home, where the test venv's interpreter may live, so the app runs on
Debian's ``/usr/bin/python3`` (3.11: the venv's ABI, so its compiled wheels load) with a
PYTHONPATH holding a readable copy of ``tray_app`` plus the files of its runtime dependencies
(PyGObject included), copied from the test interpreter's environment.
"""

from __future__ import annotations

import importlib.metadata
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

SESSION_USER = "cst-session"
SYSTEM_PYTHON = "/usr/bin/python3"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SessionUser:
    name: str
    uid: int
    gid: int

    def argv(self, *command: str) -> list[str]:
        """``command`` run as this user (a fresh environment is passed by the caller)."""
        if self.uid == os.geteuid():  # not root: the session is simply ours
            return list(command)
        return [
            "setpriv",
            f"--reuid={self.uid}",
            f"--regid={self.gid}",
            "--init-groups",
            "--",
            *command,
        ]

    def own(self, *paths: Path) -> None:
        for path in paths:
            os.chown(path, self.uid, self.gid)


def session_user() -> SessionUser:
    """Who runs the Wayland session: sway refuses root, so as root (CI) a system user created on
    first use; as anyone else, that user themselves."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return SessionUser(entry.pw_name, entry.pw_uid, entry.pw_gid)
    try:
        entry = pwd.getpwnam(SESSION_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", SESSION_USER],
            check=True,
            capture_output=True,
            timeout=60,
        )
        entry = pwd.getpwnam(SESSION_USER)
    return SessionUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _runtime_distributions(
    root: str = "claude-status-tray",
) -> list[importlib.metadata.Distribution]:
    """Every installed distribution the app needs at run time, extras included (httpx[http2]
    brings h2). Our own requirements come from pyproject.toml, so an editable install whose
    metadata predates a change there still gets what the code under test imports."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = [str(r) for r in _our_requirements()]
    while todo:
        requirement = Requirement(todo.pop())
        name = _normalise(requirement.name)
        extras = sorted(requirement.extras)
        key = f"{name}[{','.join(extras)}]"
        if key in found or name == _normalise(root):
            continue
        dist = importlib.metadata.distribution(name)
        found[key] = dist
        for text in dist.requires or []:
            needed = Requirement(text)
            wanted = [{"extra": ""}, *({"extra": extra} for extra in extras)]
            if needed.marker is None or any(needed.marker.evaluate(env) for env in wanted):
                todo.append(str(needed))
    unique = {dist.metadata["Name"]: dist for dist in found.values()}
    return list(unique.values())


def _our_requirements() -> list[Requirement]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    return [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]


def readable_runtime(target: Path, sources: Sequence[Path] = (ROOT / "tray_app",)) -> Path:
    """Copy ``tray_app`` and its runtime dependencies into ``target`` (made world-readable);
    return the folder to put on PYTHONPATH."""
    site = target / "site"
    for source in sources:
        shutil.copytree(source, site / source.name, ignore=shutil.ignore_patterns("__pycache__"))
    for dist in _runtime_distributions():
        for file in dist.files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue
            origin = Path(str(dist.locate_file(file)))
            if origin.is_file():
                dest = site / Path(*file.parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, dest)
    for folder in [target, *target.rglob("*")]:
        folder.chmod(0o755 if folder.is_dir() else 0o644)
    return site


__all__ = ["SESSION_USER", "SYSTEM_PYTHON", "SessionUser", "readable_runtime", "session_user"]
