"""Test rig: xfce4-panel with its Status Tray plugin (systray: an SNI host and watcher, plus
XEmbed) on an X display and a private session bus, configured from a file.

    with xvfb_display() as display, private_session_bus() as bus:
        env = x_env(display, bus)
        with xfce_panel(env, config_home):
            ...  # org.kde.StatusNotifierWatcher is owned by the panel

xfce4-panel reads its layout from xfconfd, which reads
``$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml/xfce4-panel.xml``; xfconfd is started here
on the private bus (not D-Bus-activated: the bus has no service directory for it).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from subprocess import DEVNULL

from tests.rigs_dbus import STARTUP_DEADLINE, _wait_until, name_has_owner
from tests.rigs_x11 import stop_process

XFCONFD = Path("/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd")
SNI_WATCHER = "org.kde.StatusNotifierWatcher"

# One panel, 32 px high across the top, holding only the systray plugin.
PANEL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="background-style" type="uint" value="1"/>
      <property name="background-rgba" type="array">
        <value type="double" value="1"/>
        <value type="double" value="1"/>
        <value type="double" value="1"/>
        <value type="double" value="1"/>
      </property>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray"/>
  </property>
</channel>
"""


def xfconfd_path() -> Path:
    """xfconfd lives under the multiarch lib folder; find it on any architecture."""
    if XFCONFD.exists():
        return XFCONFD
    found = sorted(Path("/usr/lib").glob("*/xfce4/xfconf/xfconfd"))
    if not found:
        raise RuntimeError("xfconfd not found (apt-get install xfconf)")
    return found[0]


@contextlib.contextmanager
def xfce_panel(env: dict[str, str], config_home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run xfconfd and xfce4-panel with ``env`` (DISPLAY + DBUS_SESSION_BUS_ADDRESS); yield
    the panel once its StatusNotifierWatcher is on the bus."""
    channel = config_home / "xfce4" / "xfconf" / "xfce-perchannel-xml" / "xfce4-panel.xml"
    channel.parent.mkdir(parents=True, exist_ok=True)
    channel.write_text(PANEL_XML, encoding="utf-8")
    env = {**env, "XDG_CONFIG_HOME": str(config_home), "NO_AT_BRIDGE": "1"}
    with contextlib.ExitStack() as stack:
        xfconfd = subprocess.Popen([str(xfconfd_path())], env=env, stdout=DEVNULL, stderr=DEVNULL)
        stack.callback(stop_process, xfconfd)
        _wait_until(lambda: name_has_owner(env, "org.xfce.Xfconf"), "xfconfd")
        panel = subprocess.Popen(
            ["xfce4-panel", "--disable-wm-check"], env=env, stdout=DEVNULL, stderr=DEVNULL
        )
        stack.callback(stop_process, panel)
        _wait_until(
            lambda: panel.poll() is None and name_has_owner(env, SNI_WATCHER),
            "xfce4-panel's StatusNotifierWatcher",
            STARTUP_DEADLINE,
        )
        yield panel


__all__ = ["PANEL_XML", "xfce_panel"]
