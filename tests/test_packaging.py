"""packaging/: the files that make the installers, checked with the real tools where they run here.

The full PyInstaller build (about a minute here) is the one test marked ``slow``.
"""

from __future__ import annotations

import ast
import json
import os
import plistlib
import re
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.statusserver import StatusServer
from tray_app.platform.autostart import RUN_KEY, RUN_VALUE_NAME
from tray_app.platform.paths import AppPaths

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "claude-status-tray.spec"
BUILD = PACKAGING / "build.py"
DESKTOP = PACKAGING / "linux" / "claude-status-tray.desktop"
INSTALL_SH = PACKAGING / "linux" / "install.sh"
ISS = PACKAGING / "windows" / "claude-status-tray.iss"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
TARBALL_TOP = f"claude-status-tray-{VERSION}-linux-x86_64"

REQUIRED_HIDDEN_IMPORTS = {
    "pystray._appindicator",
    "pystray._gtk",
    "pystray._xorg",
    "pystray._win32",
    "pystray._darwin",
    "plyer.platforms.linux.notification",
    "plyer.platforms.win.notification",
    "plyer.platforms.macosx.notification",
}


def validate_desktop(path: Path) -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Hints are advice (Utility;Network; is two main categories, as asked for); no errors or
    # warnings allowed.
    assert not re.search(r": (error|warning):", output), output


def desktop_entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def run_build(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILD), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


# --------------------------------------------------------------------------- static files


def test_desktop_file_validates() -> None:
    validate_desktop(DESKTOP)
    entry = desktop_entry(DESKTOP)
    assert entry["Categories"] == "Utility;Network;"
    assert entry["Icon"] == "claude-status-tray"
    assert entry["Exec"] == "claude-status-tray"


def test_spec_parses_and_names_every_hidden_import() -> None:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    hidden: dict[str, list[str]] | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "HIDDEN_IMPORTS" for t in node.targets
        ):
            hidden = ast.literal_eval(node.value)
    assert hidden is not None, "HIDDEN_IMPORTS not found in the spec"
    named = {name for names in hidden.values() for name in names}
    assert named >= REQUIRED_HIDDEN_IMPORTS, REQUIRED_HIDDEN_IMPORTS - named
    assert set(hidden) == {"linux", "win32", "darwin"}

    text = SPEC.read_text(encoding="utf-8")
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE", "copy_metadata"} <= calls
    for needle in (
        '"__main__.py"',
        "copy_metadata(DIST_NAME)",
        '"com.claude-status-tray.app"',
        '".ico"',
        '".icns"',
        "package-data",
    ):
        assert needle in text, needle


def test_every_hidden_import_for_this_os_exists() -> None:
    """The Linux names must resolve in this venv (a typo would only warn in PyInstaller)."""
    import importlib.util

    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    hidden = next(
        ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "HIDDEN_IMPORTS" for t in node.targets)
    )
    for name in hidden["linux"]:
        if name.startswith("gi.repository."):
            continue  # introspection namespaces, not files; the gi hooks resolve them
        # Look for the file without importing the parent (importing pystray needs a display).
        top, *rest = name.split(".")
        spec = importlib.util.find_spec(top)
        assert spec is not None and spec.origin is not None, top
        module = Path(spec.origin).parent.joinpath(*rest)
        assert module.with_suffix(".py").is_file() or (module / "__init__.py").is_file(), name


def test_macos_info_plist_additions() -> None:
    with (PACKAGING / "macos" / "Info.plist").open("rb") as fh:
        info = plistlib.load(fh)
    assert info["LSUIElement"] is True
    assert info["NSUserNotificationAlertStyle"] in ("banner", "alert")
    with (PACKAGING / "macos" / "entitlements.plist").open("rb") as fh:
        assert plistlib.load(fh)["com.apple.security.cs.disable-library-validation"] is True


def test_inno_setup_script_writes_the_same_run_value_as_autostart() -> None:
    text = ISS.read_text(encoding="utf-8")
    defines = dict(re.findall(r'^#define (\w+) "([^"]*)"', text, flags=re.MULTILINE))
    assert defines["RunKey"] == RUN_KEY
    assert defines["RunValue"] == RUN_VALUE_NAME
    assert defines["AppExe"] == "claude-status-tray.exe"
    registry = next(line for line in text.splitlines() if line.startswith("Root: HKCU"))
    assert 'ValueData: """{app}\\{#AppExe}"""' in registry  # the path in double quotes
    assert "Tasks: startatlogin" in registry
    assert "uninsdeletevalue" in registry
    assert re.search(r'^Name: "startatlogin"', text, flags=re.MULTILINE)
    assert re.search(r'^Name: "\{group\}\\\{#AppName\}"', text, flags=re.MULTILINE)
    assert "RegDeleteValue(HKEY_CURRENT_USER, '{#RunKey}', '{#RunValue}')" in text


@pytest.mark.parametrize(
    ("shell", "script"),
    [("sh", INSTALL_SH), ("bash", PACKAGING / "macos" / "make_dmg.sh")],
    ids=["install.sh", "make_dmg.sh"],
)
def test_shell_scripts_parse(shell: str, script: str) -> None:
    subprocess.run([shell, "-n", str(script)], check=True)


def test_make_dmg_explains_itself_off_macos(tmp_path: Path) -> None:
    app = tmp_path / "Claude Status Tray.app"
    (app / "Contents" / "MacOS").mkdir(parents=True)
    result = subprocess.run(
        ["bash", str(PACKAGING / "macos" / "make_dmg.sh"), str(app), VERSION],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert "hdiutil not found" in result.stderr


# --------------------------------------------------------------------------- build script


def test_build_dry_run_checks_inputs_and_builds_nothing(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    result = run_build("--dry-run", "--dist", str(dist), "--work", str(tmp_path / "work"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{TARBALL_TOP}.tar.gz" in result.stdout
    assert "PyInstaller" in result.stdout and str(SPEC) in result.stdout
    assert "problem:" not in result.stderr
    assert not dist.exists()


def make_fake_onedir(dist: Path) -> Path:
    """Stands in for PyInstaller's output: an executable that answers --version."""
    onedir = dist / "claude-status-tray"
    (onedir / "_internal").mkdir(parents=True)
    exe = onedir / "claude-status-tray"
    exe.write_text(f'#!/bin/sh\necho "claude-status-tray {VERSION} $*"\n', encoding="utf-8")
    exe.chmod(0o755)
    return onedir


def extract(tarball: Path, into: Path) -> Path:
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        assert all(n == TARBALL_TOP or n.startswith(f"{TARBALL_TOP}/") for n in names), names
        tar.extractall(into, filter="data")
    return into / TARBALL_TOP


def test_linux_tarball_layout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    make_fake_onedir(dist)
    result = run_build("--skip-pyinstaller", "--dist", str(dist))
    assert result.returncode == 0, result.stdout + result.stderr
    tarball = dist / f"{TARBALL_TOP}.tar.gz"
    assert tarball.is_file()

    top = extract(tarball, tmp_path / "x")
    assert os.access(top / "install.sh", os.X_OK)
    assert os.access(top / "claude-status-tray" / "claude-status-tray", os.X_OK)
    validate_desktop(top / "claude-status-tray.desktop")
    from PIL import Image

    for size in (16, 48, 256, 512):
        icon = top / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "claude-status-tray.png"
        with Image.open(icon) as image:
            assert image.size == (size, size)


@pytest.mark.parametrize("prefix_name", ["prefix", "my prefix"], ids=["plain", "with-space"])
def test_install_sh_installs_into_prefix_and_uninstalls(tmp_path: Path, prefix_name: str) -> None:
    dist = tmp_path / "dist"
    make_fake_onedir(dist)
    assert run_build("--skip-pyinstaller", "--dist", str(dist)).returncode == 0
    top = extract(dist / f"{TARBALL_TOP}.tar.gz", tmp_path / "x")
    prefix = tmp_path / prefix_name
    env = {**os.environ, "PREFIX": str(prefix), "HOME": str(tmp_path / "home")}

    result = subprocess.run(
        ["sh", str(top / "install.sh")], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

    link = prefix / "bin" / "claude-status-tray"
    assert link.is_symlink()
    assert link.resolve() == (prefix / "lib" / "claude-status-tray" / "claude-status-tray")
    ran = subprocess.run([str(link), "--version"], capture_output=True, text=True, check=True)
    assert VERSION in ran.stdout
    desktop = prefix / "share" / "applications" / "claude-status-tray.desktop"
    validate_desktop(desktop)
    entry = desktop_entry(desktop)
    assert entry["TryExec"] == str(link)
    assert entry["Exec"] == (f'"{link}"' if " " in str(link) else str(link))
    icon = prefix / "share" / "icons" / "hicolor" / "256x256" / "apps" / "claude-status-tray.png"
    assert icon.is_file()

    again = subprocess.run(["sh", str(top / "install.sh")], env=env, capture_output=True)
    assert again.returncode == 0  # upgrading in place works

    result = subprocess.run(
        ["sh", str(top / "install.sh"), "--uninstall"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not link.exists() and not link.is_symlink()
    assert not (prefix / "lib" / "claude-status-tray").exists()
    assert not desktop.exists()
    assert not icon.exists()


def test_install_sh_refuses_to_replace_a_foreign_command(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    make_fake_onedir(dist)
    assert run_build("--skip-pyinstaller", "--dist", str(dist)).returncode == 0
    top = extract(dist / f"{TARBALL_TOP}.tar.gz", tmp_path / "x")
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    pipx_script = prefix / "bin" / "claude-status-tray"
    pipx_script.write_text("#!/bin/sh\n", encoding="utf-8")

    result = subprocess.run(
        ["sh", str(top / "install.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "PREFIX": str(prefix)},
        check=False,
    )
    assert result.returncode == 1
    assert "not our symlink" in result.stderr
    assert pipx_script.read_text(encoding="utf-8") == "#!/bin/sh\n"


def test_smoke_test_catches_a_wrong_version(tmp_path: Path) -> None:
    onedir = make_fake_onedir(tmp_path / "dist")
    (onedir / "claude-status-tray").write_text("#!/bin/sh\necho 0.0.0+unknown\n", encoding="utf-8")
    result = run_build("--skip-pyinstaller", "--dist", str(tmp_path / "dist"))
    assert result.returncode != 0
    assert "smoke test failed" in result.stderr


# --------------------------------------------------------------------------- the real build


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_pyinstaller_build_runs_version_and_check_json(
    tmp_path: Path, status_server: StatusServer
) -> None:
    dist = tmp_path / "dist"
    result = run_build("--dist", str(dist), "--work", str(tmp_path / "work"), timeout=840)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    binary = dist / "claude-status-tray" / "claude-status-tray"
    assert (dist / f"{TARBALL_TOP}.tar.gz").is_file()

    version = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert version.stdout.strip() == f"claude-status-tray {VERSION}"

    # Probes off: only the loopback status page may be asked anything.
    paths = AppPaths.default()
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("[probes]\nenabled = false\n", encoding="utf-8")
    status_server.set_summary("anthropic_summary_2026-10-07.json")
    check = subprocess.run(
        [str(binary), "--status-url", status_server.url, "check", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.stdout, check.stderr
    report = json.loads(check.stdout)
    assert report["overall"] == "degraded", report
    health = {c["id"]: c["health"] for c in report["components"]}
    assert health["0qbwn08sd68x"] == "degraded"  # Console, as in the fixture
    assert check.returncode != 0  # degraded is not "all good"

    # The frozen build's start-at-login entry points at the frozen executable.
    autostart = subprocess.run(
        [str(binary), "autostart", "enable"], capture_output=True, text=True, timeout=60
    )
    assert autostart.returncode == 0, autostart.stdout + autostart.stderr
    entry_file = Path(os.environ["XDG_CONFIG_HOME"]) / "autostart" / "claude-status-tray.desktop"
    validate_desktop(entry_file)
    assert desktop_entry(entry_file)["Exec"] == str(binary.resolve())
    assert stat.S_IMODE(entry_file.stat().st_mode) == 0o644


def test_every_package_data_pattern_ships_files_the_app_reads() -> None:
    """The pictures the app reads instead of drawing them (so it never loads Pillow) are
    package data: a pattern matching nothing would leave a wheel drawing them at run time."""
    import tomllib

    from tray_app.sinks.icon_theme import PACKAGED as THEME
    from tray_app.sinks.notification_icons import PACKAGED as NOTIFICATIONS

    root = Path(__file__).resolve().parent.parent / "tray_app"
    pyproject = tomllib.loads((root.parent / "pyproject.toml").read_text(encoding="utf-8"))
    shipped: set[Path] = set()
    for pattern in pyproject["tool"]["setuptools"]["package-data"]["tray_app"]:
        matches = set(root.glob(pattern))
        assert matches, pattern
        shipped |= matches
    for folder in (THEME, NOTIFICATIONS):
        pictures = set(folder.rglob("*.png"))
        assert pictures and pictures <= shipped, folder
