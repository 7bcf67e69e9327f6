"""Says once, in the log and as a notification, when a watched id is not on the status page.

A sink: after each update it compares the settings' component ids with the components of the
last page read. Each distinct problem is told once per run (a new typo is told again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tray_app.config.components import unknown_component_problems
from tray_app.config.schema import Settings
from tray_app.core.events import Event
from tray_app.core.models import MonitorSnapshot, PageSnapshot
from tray_app.sinks.notification import Notification, make_notification

log = logging.getLogger(__name__)

TITLE = "A watched service is not on the status page"


class UnknownIdsNotice:
    def __init__(
        self,
        page: Callable[[], PageSnapshot | None],
        settings: Callable[[], Settings],
        send: Callable[[Notification], object] | None,
    ) -> None:
        self._page = page
        self._settings = settings
        self._send = send
        self._told: set[str] = set()

    def __call__(self, snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        page = self._page()
        if page is None:
            return
        on_page = {c.id: c.name for c in page.components}
        for problem in unknown_component_problems(self._settings(), on_page):
            if problem in self._told:
                continue
            self._told.add(problem)
            log.warning("%s", problem)
            if self._send is not None:
                self._send(make_notification(TITLE, problem))


__all__ = ["UnknownIdsNotice"]
