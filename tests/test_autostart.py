"""Start at login: the Linux round trip for real, macOS and Windows on generated output."""

from __future__ import annotations

import plistlib
import subprocess
from pathlib import Path

import pytest

from tray_app.platform.autostart import (
    MARKER_KEY,
    RUN_KEY,
    RUN_VALUE_NAME,
    AutostartConflict,
    AutostartError,
    LaunchAgentAutostart,
    WindowsRunAutostart,
    XdgAutostart,
    autostart_for,
    launch_command,
    quote_exec_arg,
    windows_command_line,
)


def desktop_file_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )


def desktop_value(path: Path, key: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}="):
            return line.partition("=")[2]
    raise AssertionError(f"{key} not in {path}")


def split_exec(value: str) -> list[str]:
    """Split an Exec value (after string-level unescaping) the way the spec says."""
    args: list[str] = []
    current: list[str] = []
    in_quotes = started = escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif in_quotes and char == "\\":
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
            started = True
        elif char == " " and not in_quotes:
            if started or current:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
    if started or current:
        args.append("".join(current))
    return args


# --------------------------------------------------------------------------- Linux, for real


def test_linux_round_trip_with_xdg_config_home(tmp_path: Path) -> None:
    config_home = tmp_path / "xdg-config"
    command = ["/opt/claude status/bin/claude-status-tray"]
    backend = autostart_for(
        "linux", env={"XDG_CONFIG_HOME": str(config_home)}, home=tmp_path / "home", command=command
    )
    path = config_home / "autostart" / "claude-status-tray.desktop"
    assert isinstance(backend, XdgAutostart)
    assert backend.path == path
    assert not backend.is_enabled()

    backend.enable()

    assert path.is_file()
    result = desktop_file_validate(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout  # not even a hint
    assert desktop_value(path, "Exec") == '"/opt/claude status/bin/claude-status-tray"'
    assert desktop_value(path, "X-GNOME-Autostart-enabled") == "true"
    assert desktop_value(path, MARKER_KEY) == "1"
    assert backend.is_enabled()
    assert str(path) in backend.describe()

    backend.enable()  # idempotent: our own file is rewritten, not refused
    assert backend.is_enabled()

    backend.disable()
    assert not path.exists()
    assert not backend.is_enabled()
    backend.disable()  # disabling twice is fine


def test_linux_default_is_home_config_when_xdg_config_home_unset(tmp_path: Path) -> None:
    backend = autostart_for("linux", env={}, home=tmp_path, command=["x"])
    assert isinstance(backend, XdgAutostart)
    assert backend.path == tmp_path / ".config" / "autostart" / "claude-status-tray.desktop"


def test_linux_relative_xdg_config_home_is_ignored(tmp_path: Path) -> None:
    backend = autostart_for("linux", env={"XDG_CONFIG_HOME": "rel"}, home=tmp_path, command=["x"])
    assert isinstance(backend, XdgAutostart)
    assert backend.path.is_relative_to(tmp_path / ".config")


def test_linux_exec_with_awkward_arguments_validates_and_round_trips(tmp_path: Path) -> None:
    command = ["/usr/bin/python3", "-m", "tray_app", "--config", '/tmp/a "b" $c\\d 100%']
    backend = autostart_for("linux", env={"XDG_CONFIG_HOME": str(tmp_path)}, command=command)
    backend.enable()
    path = tmp_path / "autostart" / "claude-status-tray.desktop"
    result = desktop_file_validate(path)
    assert result.returncode == 0, result.stdout + result.stderr
    # Undo the string-level escape, then %% -> %, then the Exec quoting (shell-like here).
    exec_value = desktop_value(path, "Exec").replace("\\\\", "\\").replace("%%", "%")
    assert split_exec(exec_value) == command


def test_linux_refuses_a_foreign_file_and_leaves_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "autostart" / "claude-status-tray.desktop"
    path.parent.mkdir(parents=True)
    foreign = "[Desktop Entry]\nType=Application\nName=Mine\nExec=my-wrapper --tray\n"
    path.write_text(foreign, encoding="utf-8")
    backend = autostart_for("linux", env={"XDG_CONFIG_HOME": str(tmp_path)}, command=["x"])

    with pytest.raises(AutostartConflict, match="not created by claude-status-tray") as info:
        backend.enable()
    assert info.value.path == path
    with pytest.raises(AutostartConflict):
        backend.disable()
    assert path.read_text(encoding="utf-8") == foreign
    assert backend.is_enabled()  # it does start something at login


@pytest.mark.parametrize(
    ("extra", "enabled"),
    [
        ("", True),
        ("Hidden=true\n", False),
        ("X-GNOME-Autostart-enabled=false\n", False),
    ],
    ids=["plain", "hidden", "gnome-disabled"],
)
def test_linux_is_enabled_honours_desktop_switches(
    tmp_path: Path, extra: str, enabled: bool
) -> None:
    backend = autostart_for("linux", env={"XDG_CONFIG_HOME": str(tmp_path)}, command=["x"])
    backend.enable()
    assert isinstance(backend, XdgAutostart)
    backend.path.write_text(backend.path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    assert backend.is_enabled() is enabled


def test_linux_unwritable_location_is_an_autostart_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    backend = autostart_for("linux", env={"XDG_CONFIG_HOME": str(blocker)}, command=["x"])
    with pytest.raises(AutostartError, match="could not"):
        backend.enable()


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("/usr/bin/claude-status-tray", "/usr/bin/claude-status-tray"),
        ("/a b/c", '"/a b/c"'),
        ('say "hi"', '"say \\\\"hi\\\\""'),
        ("50%", "50%%"),
        ("$HOME", '"\\\\$HOME"'),
        ("", '""'),
    ],
    ids=["plain", "space", "double-quote", "percent", "dollar", "empty"],
)
def test_quote_exec_arg(arg: str, expected: str) -> None:
    assert quote_exec_arg(arg) == expected


def test_quote_exec_arg_rejects_newline() -> None:
    with pytest.raises(AutostartError):
        quote_exec_arg("a\nb")


# --------------------------------------------------------------------------- macOS, generated


def test_macos_launch_agent_for_a_fake_home(tmp_path: Path) -> None:
    command = ["/Applications/Claude Status Tray.app/Contents/MacOS/claude-status-tray"]
    backend = autostart_for("darwin", env={}, home=tmp_path, command=command)
    path = tmp_path / "Library" / "LaunchAgents" / "com.claude-status-tray.agent.plist"
    assert isinstance(backend, LaunchAgentAutostart)
    assert backend.path == path
    assert not backend.is_enabled()

    backend.enable()

    agent = plistlib.loads(path.read_bytes())
    assert agent["Label"] == "com.claude-status-tray.agent"
    assert agent["RunAtLoad"] is True
    assert agent["ProcessType"] == "Interactive"
    assert agent["ProgramArguments"] == command
    assert agent[MARKER_KEY] is True
    assert backend.is_enabled()
    assert "LaunchAgent" in backend.describe()

    backend.disable()
    assert not path.exists()
    assert not backend.is_enabled()


@pytest.mark.parametrize(
    "content",
    [
        plistlib.dumps({"Label": "mine", "ProgramArguments": ["/bin/mine"], "RunAtLoad": True}),
        b"not a plist at all",
    ],
    ids=["foreign-plist", "junk"],
)
def test_macos_refuses_a_foreign_plist(tmp_path: Path, content: bytes) -> None:
    backend = autostart_for("darwin", env={}, home=tmp_path, command=["x"])
    assert isinstance(backend, LaunchAgentAutostart)
    backend.path.parent.mkdir(parents=True)
    backend.path.write_bytes(content)
    with pytest.raises(AutostartConflict):
        backend.enable()
    with pytest.raises(AutostartConflict):
        backend.disable()
    assert backend.path.read_bytes() == content


# --------------------------------------------------------------------------- Windows, in memory


class MemoryRegistry:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def set_value(self, key: str, name: str, value: str) -> None:
        self.values[(key, name)] = value

    def delete_value(self, key: str, name: str) -> None:
        self.values.pop((key, name), None)

    def get_value(self, key: str, name: str) -> str | None:
        return self.values.get((key, name))


def test_windows_run_value_is_quoted_and_deleted() -> None:
    registry = MemoryRegistry()
    exe = r"C:\Program Files\Claude Status Tray\claude-status-tray.exe"
    backend = autostart_for("win32", registry=registry, command=[exe])
    assert isinstance(backend, WindowsRunAutostart)
    assert RUN_KEY == r"Software\Microsoft\Windows\CurrentVersion\Run"
    assert not backend.is_enabled()

    backend.enable()

    assert registry.values == {(RUN_KEY, RUN_VALUE_NAME): f'"{exe}"'}
    assert backend.is_enabled()
    assert "HKCU" in backend.describe()

    backend.disable()
    assert registry.values == {}
    assert not backend.is_enabled()
    backend.disable()


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ([r"C:\Apps\tray.exe"], r'"C:\Apps\tray.exe"'),
        (
            [r"C:\Users\Jo Do\venv\Scripts\pythonw.exe", "-m", "tray_app"],
            r'"C:\Users\Jo Do\venv\Scripts\pythonw.exe" -m tray_app',
        ),
        (
            [r"C:\x.exe", "--config", r"C:\My Files\c.toml"],
            r'"C:\x.exe" --config "C:\My Files\c.toml"',
        ),
    ],
    ids=["exe", "pythonw-module", "argument-with-space"],
)
def test_windows_command_line(command: list[str], expected: str) -> None:
    assert windows_command_line(command) == expected


# --------------------------------------------------------------------------- launch_command


@pytest.mark.parametrize(
    ("platform", "frozen", "executable", "files", "on_path", "expected"),
    [
        (
            "linux",
            True,
            "/opt/claude-status-tray/claude-status-tray",
            set(),
            None,
            ["/opt/claude-status-tray/claude-status-tray"],
        ),
        (
            "linux",
            False,
            "/home/u/.local/pipx/venvs/claude-status-tray/bin/python",
            {"/home/u/.local/pipx/venvs/claude-status-tray/bin/claude-status-tray"},
            "/home/u/.local/bin/claude-status-tray",
            ["/home/u/.local/pipx/venvs/claude-status-tray/bin/claude-status-tray"],
        ),
        (
            "linux",
            False,
            "/usr/bin/python3",
            set(),
            "/home/u/.local/bin/claude-status-tray",
            ["/home/u/.local/bin/claude-status-tray"],
        ),
        ("linux", False, "/usr/bin/python3", set(), None, ["/usr/bin/python3", "-m", "tray_app"]),
        (
            "darwin",
            False,
            "/Users/u/venv/bin/python3",
            {"/Users/u/venv/bin/claude-status-tray"},
            None,
            ["/Users/u/venv/bin/claude-status-tray"],
        ),
        (
            "win32",
            True,
            r"C:\Program Files\Claude Status Tray\claude-status-tray.exe",
            set(),
            None,
            [r"C:\Program Files\Claude Status Tray\claude-status-tray.exe"],
        ),
        (
            "win32",
            True,
            r"C:\Program Files\Claude Status Tray\claude-status-tray-cli.exe",
            set(),
            None,
            [r"C:\Program Files\Claude Status Tray\claude-status-tray.exe"],
        ),
        (
            "win32",
            False,
            r"C:\venv\Scripts\python.exe",
            {r"C:\venv\Scripts\pythonw.exe", r"C:\venv\Scripts\claude-status-tray.exe"},
            None,
            [r"C:\venv\Scripts\pythonw.exe", "-m", "tray_app"],
        ),
        (
            "win32",
            False,
            r"C:\venv\Scripts\python.exe",
            {r"C:\venv\Scripts\claude-status-tray.exe"},
            None,
            [r"C:\venv\Scripts\claude-status-tray.exe"],
        ),
        (
            "win32",
            False,
            r"C:\Python311\python.exe",
            set(),
            None,
            [r"C:\Python311\python.exe", "-m", "tray_app"],
        ),
    ],
    ids=[
        "frozen-linux",
        "pipx-venv-script",
        "script-on-path",
        "fallback-module",
        "macos-venv-script",
        "frozen-windows",
        "frozen-windows-from-the-cli-twin",
        "windows-venv-pythonw",
        "windows-venv-script",
        "windows-fallback",
    ],
)
def test_launch_command(
    platform: str,
    frozen: bool,
    executable: str,
    files: set[str],
    on_path: str | None,
    expected: list[str],
) -> None:
    got = launch_command(
        frozen=frozen,
        executable=executable,
        platform=platform,
        is_file=lambda p: p in files,
        which=lambda _name: on_path,
    )
    assert got == expected


def test_launch_command_defaults_describe_this_interpreter() -> None:
    command = launch_command()
    assert command
    assert Path(command[0]).is_absolute()
