#!/usr/bin/env python3
"""Build Claude Status Tray for the current OS: the one documented build script.

    python packaging/build.py              # PyInstaller build + this OS's package
    python packaging/build.py --dry-run    # check the inputs and print the plan; builds nothing

Needs PyInstaller in the same environment (``pip install -e ".[build]"``). Output in dist/:

- every OS: ``dist/claude-status-tray/`` (PyInstaller onedir), then a smoke test of the built
  executable (``--version`` must print the version from pyproject.toml);
- Linux: ``dist/claude-status-tray-<version>-linux-<arch>.tar.gz`` holding the binary folder,
  the .desktop file, the hicolor icons and ``install.sh`` (installs into ~/.local);
- Windows: the Inno Setup installer when ``iscc`` is on PATH (else the command is printed);
- macOS: ``dist/Claude Status Tray.app`` and, with ``--dmg``, a DMG via packaging/macos/make_dmg.sh.

``--skip-pyinstaller`` packages an existing ``<dist>/claude-status-tray/`` instead of building
it (used by the tests to check the tarball and install.sh quickly).
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "claude-status-tray.spec"
DESKTOP_FILE = PACKAGING / "linux" / "claude-status-tray.desktop"
INSTALL_SH = PACKAGING / "linux" / "install.sh"
ISS = PACKAGING / "windows" / "claude-status-tray.iss"
MAKE_DMG = PACKAGING / "macos" / "make_dmg.sh"
ASSETS = ROOT / "assets"
APP = "claude-status-tray"
BUNDLE = "Claude Status Tray.app"
# hicolor sizes we ship (assets/claude-status-tray-<N>.png, drawn by the icon engineer).
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def project_version(root: Path = ROOT) -> str:
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    version = tomllib.loads(text)["project"]["version"]
    if not isinstance(version, str):
        raise SystemExit("pyproject.toml: project.version is not a string")
    return version


def machine_arch() -> str:
    arch = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)


def tarball_name(version: str, arch: str) -> str:
    return f"{APP}-{version}-linux-{arch}.tar.gz"


def os_name(plat: str = sys.platform) -> str:
    return "windows" if plat == "win32" else "macos" if plat == "darwin" else "linux"


@dataclass(frozen=True)
class Plan:
    version: str
    os: str
    arch: str
    dist: Path
    work: Path
    pyinstaller: tuple[str, ...]
    onedir: Path
    executable: Path
    package: str

    def lines(self) -> list[str]:
        return [
            f"version      {self.version}",
            f"os / arch    {self.os} / {self.arch}",
            f"pyinstaller  {' '.join(self.pyinstaller)}",
            f"onedir       {self.onedir}",
            f"smoke test   {self.executable} --version",
            f"package      {self.package}",
        ]


def make_plan(dist: Path, work: Path, *, dmg: bool = False) -> Plan:
    version = project_version()
    system = os_name()
    onedir = dist / APP
    if system == "windows":
        executable = onedir / f"{APP}-cli.exe"
        package = f"Inno Setup: iscc /DAppVersion={version} /DSourceDir={onedir} {ISS}"
    elif system == "macos":
        executable = dist / BUNDLE / "Contents" / "MacOS" / APP
        package = f"{dist / BUNDLE}" + (f" + {MAKE_DMG}" if dmg else " (add --dmg for a DMG)")
    else:
        executable = onedir / APP
        package = str(dist / tarball_name(version, machine_arch()))
    command = (
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    )
    return Plan(version, system, machine_arch(), dist, work, command, onedir, executable, package)


def check_inputs() -> list[str]:
    """Problems that would make a build fail or produce a broken package."""
    problems: list[str] = []
    for path in (SPEC, DESKTOP_FILE, INSTALL_SH, ISS, MAKE_DMG, PACKAGING / "macos" / "Info.plist"):
        if not path.is_file():
            problems.append(f"missing {path.relative_to(ROOT)}")
    try:
        ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    except (OSError, SyntaxError) as exc:
        problems.append(f"spec does not parse: {exc}")
    if not (ROOT / "tray_app" / "config" / "default_config.toml").is_file():
        problems.append("missing tray_app/config/default_config.toml (package data)")
    for suffix in (".ico", ".icns"):
        if not (ASSETS / f"{APP}{suffix}").is_file():
            problems.append(f"missing assets/{APP}{suffix}")
    for size in ICON_SIZES:
        if not (ASSETS / f"{APP}-{size}.png").is_file():
            problems.append(f"missing assets/{APP}-{size}.png")
    return problems


def run_pyinstaller(plan: Plan) -> None:
    try:
        import PyInstaller  # noqa: F401
    except ModuleNotFoundError:
        raise SystemExit(
            'PyInstaller is not installed here: pip install -e ".[build]" '
            "(or pip install pyinstaller)"
        ) from None
    print("+", " ".join(plan.pyinstaller), flush=True)
    subprocess.run(plan.pyinstaller, cwd=ROOT, check=True)


def smoke_test(plan: Plan) -> None:
    result = subprocess.run(
        [str(plan.executable), "--version"], capture_output=True, text=True, timeout=120
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or plan.version not in output:
        raise SystemExit(f"smoke test failed: {plan.executable} --version -> {output!r}")
    print(f"smoke test ok: {output}")


def _add(tar: tarfile.TarFile, path: Path, arcname: str, mode: int | None = None) -> None:
    def fix(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        if mode is not None:
            info.mode = mode
        return info

    tar.add(path, arcname=arcname, filter=fix)


def make_linux_tarball(plan: Plan) -> Path:
    """dist/<name>.tar.gz with one top folder: the onedir, .desktop, icons and install.sh."""
    if not (plan.onedir / APP).is_file():
        raise SystemExit(f"no built executable at {plan.onedir / APP}")
    top = tarball_name(plan.version, plan.arch).removesuffix(".tar.gz")
    out = plan.dist / f"{top}.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        _add(tar, plan.onedir, f"{top}/{APP}")
        _add(tar, DESKTOP_FILE, f"{top}/{APP}.desktop", 0o644)
        _add(tar, INSTALL_SH, f"{top}/install.sh", 0o755)
        for size in ICON_SIZES:
            icon = ASSETS / f"{APP}-{size}.png"
            _add(tar, icon, f"{top}/icons/hicolor/{size}x{size}/apps/{APP}.png", 0o644)
    print(f"tarball: {out}")
    return out


def make_windows_installer(plan: Plan) -> None:
    iscc = os.environ.get("ISCC") or shutil.which("iscc") or shutil.which("ISCC.exe")
    command = [
        iscc or "iscc",
        f"/DAppVersion={plan.version}",
        f"/DSourceDir={plan.onedir}",
        f"/O{plan.dist}",
        str(ISS),
    ]
    if not iscc:
        print("Inno Setup (iscc) not found; to make the installer run:\n  " + " ".join(command))
        return
    subprocess.run(command, check=True)


def make_dmg(plan: Plan) -> None:
    subprocess.run(["bash", str(MAKE_DMG), str(plan.dist / BUNDLE), plan.version], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dry-run", action="store_true", help="check inputs, print the plan")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller work folder"
    )
    parser.add_argument(
        "--skip-pyinstaller", action="store_true", help="package an existing <dist>/" + APP
    )
    parser.add_argument("--no-package", action="store_true", help="stop after the onedir build")
    parser.add_argument("--dmg", action="store_true", help="macOS: also make a DMG")
    args = parser.parse_args(argv)

    plan = make_plan(args.dist.resolve(), args.work.resolve(), dmg=args.dmg)
    print("\n".join(plan.lines()))
    problems = check_inputs()
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if args.dry_run:
        print("dry run: nothing built")
        return 1 if problems else 0
    if problems:
        return 1

    plan.dist.mkdir(parents=True, exist_ok=True)
    if not args.skip_pyinstaller:
        run_pyinstaller(plan)
    smoke_test(plan)
    if args.no_package:
        return 0
    if plan.os == "linux":
        make_linux_tarball(plan)
    elif plan.os == "windows":
        make_windows_installer(plan)
    elif args.dmg:
        make_dmg(plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
