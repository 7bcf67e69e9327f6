"""One question asked of the session bus in several places: is somebody serving this name?"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def name_has_owner(name: str, address: str = "SESSION", timeout: float = 2.0) -> bool:
    """True if ``name`` has an owner on the bus; False if not, or if there is no usable bus."""
    try:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        conn = open_dbus_connection(address, auth_timeout=timeout)
        try:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=timeout)
        finally:
            conn.close()
    except Exception as exc:  # jeepney raises OSError, KeyError, ValueError, TimeoutError...
        log.debug("cannot ask the session bus about %s: %s", name, exc)
        return False
    return bool(reply.body[0])


__all__ = ["name_has_owner"]
