"""User hooks: run a command on events, off the monitor's thread, never through a shell.

Each matching hook gets the event as JSON on stdin and the gist of it in ``CST_*`` environment
variables, and none of the user's Anthropic credentials (every ``ANTHROPIC_*`` variable,
``CLAUDE_CODE_OAUTH_TOKEN`` and any ``CLAUDE_*`` token, key or secret). Each event runs the
hooks once, however often a source repeats it (keyed like history and notifications). A hook
that fails, is missing or runs past its timeout is logged, never raised.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from tray_app.config.schema import HookSettings
from tray_app.core.events import (
    Event,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    MaintenanceEnded,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceStartingSoon,
    ServiceDegraded,
    ServiceDown,
    ServiceRecovered,
    event_to_dict,
)
from tray_app.core.models import Health

log = logging.getLogger(__name__)

MAX_QUEUED = 100
MAX_REMEMBERED = 1000  # event keys that already ran the hooks
SECRET_ENV_VARS = frozenset(
    {"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"}
)
_CREDENTIAL = re.compile(
    r"^ANTHROPIC_|^CLAUDE_.*(TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION)",
    re.IGNORECASE,
)


def is_credential(name: str) -> bool:
    """An environment variable that may hold an Anthropic or Claude credential."""
    return name.upper() in SECRET_ENV_VARS or _CREDENTIAL.search(name) is not None


_POSIX = sys.platform != "win32"


def hook_env(event: Event, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` without secrets, plus CST_* variables describing ``event``."""
    env = {k: v for k, v in base.items() if not is_credential(k)}
    values: dict[str, str] = {
        "CST_EVENT_KIND": event.kind,
        "CST_EVENT_KEY": event.key,
        "CST_SEVERITY": event.severity.value,
        "CST_EVENT_AT": event.at.isoformat(),
        "CST_TITLE": event.kind.replace("_", " "),
    }
    if isinstance(event, (ServiceDown, ServiceDegraded, ServiceRecovered)):
        health = (
            event.health
            if isinstance(event, ServiceDown)
            else Health.DEGRADED
            if isinstance(event, ServiceDegraded)
            else Health.OPERATIONAL
        )
        values.update(
            CST_COMPONENT_ID=event.component_id,
            CST_COMPONENT_NAME=event.name,
            CST_HEALTH=health.value,
            CST_PREVIOUS_HEALTH=event.previous.value,
            CST_TITLE=f"{event.name}: {health.label}",
        )
    elif isinstance(event, (IncidentOpened, IncidentUpdated, IncidentResolved)):
        incident = event.incident
        values.update(
            CST_INCIDENT_ID=incident.id,
            CST_INCIDENT_STATUS=incident.status,
            CST_INCIDENT_IMPACT=incident.impact,
            CST_COMPONENT_ID=",".join(incident.component_ids),
            CST_TITLE=incident.name,
            CST_URL=incident.shortlink or "",
        )
    elif isinstance(
        event, (MaintenanceScheduled, MaintenanceStartingSoon, MaintenanceStarted, MaintenanceEnded)
    ):
        m = event.maintenance
        values.update(
            CST_MAINTENANCE_ID=m.id,
            CST_COMPONENT_ID=",".join(m.component_ids),
            CST_TITLE=m.name,
            CST_URL=m.shortlink or "",
        )
    for name, value in values.items():
        env[name] = value.replace("\0", "")
    return env


class HookRunner:
    """Queues (hook, event) jobs for one worker thread; ``run`` returns at once."""

    def __init__(
        self,
        hooks: Sequence[HookSettings],
        base_env: Mapping[str, str] | None = None,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self.hooks = tuple(hooks)
        self._base_env = base_env
        self._queue: queue.Queue[tuple[HookSettings, Event] | None] = queue.Queue(max_queued)
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._ran: OrderedDict[str, None] = OrderedDict()  # event keys, oldest first

    def run(self, events: Sequence[Event]) -> int:
        """Queue every matching (hook, event); returns how many were queued. Never raises."""
        queued = 0
        for event in events:
            if not self._first_time(event.key):
                log.debug("hooks already ran for %s", event.key)
                continue
            for hook in self.hooks:
                if hook.events and event.kind not in hook.events:
                    continue
                if not hook.command:
                    continue
                try:
                    self._ensure_worker()
                    self._queue.put_nowait((hook, event))
                    queued += 1
                except queue.Full:
                    log.warning(
                        "hook queue full; not running %s for %s", hook.command[0], event.key
                    )
                except RuntimeError as exc:  # cannot start a thread (interpreter shutting down)
                    log.warning("cannot run hooks: %s", exc)
                    return queued
        return queued

    def _first_time(self, key: str) -> bool:
        with self._lock:
            if key in self._ran:
                return False
            self._ran[key] = None
            while len(self._ran) > MAX_REMEMBERED:
                self._ran.popitem(last=False)
            return True

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued hook has finished (for tests and shutdown)."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put((None), timeout=timeout)
            worker.join(timeout)

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="hooks", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._run_one(*job)
            except Exception:
                log.exception("hook runner error")
            finally:
                self._queue.task_done()

    def _run_one(self, hook: HookSettings, event: Event) -> None:
        argv = list(hook.command)
        payload = json.dumps(event_to_dict(event)).encode("utf-8")
        env = hook_env(event, os.environ if self._base_env is None else self._base_env)
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=_POSIX,  # so a timeout can kill the hook's children too
            )
        except OSError as exc:
            log.warning("hook %s for %s could not start: %s", argv[0], event.kind, exc)
            return
        try:
            _, err = proc.communicate(payload, timeout=hook.timeout)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            log.warning("hook %s for %s killed after %g s", argv[0], event.kind, hook.timeout)
            return
        if proc.returncode != 0:
            tail = err.decode("utf-8", "replace").strip()[-300:]
            log.warning(
                "hook %s for %s exited with %d: %s", argv[0], event.kind, proc.returncode, tail
            )
        else:
            log.debug("hook %s for %s done", argv[0], event.key)

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        if _POSIX:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired, ValueError, OSError):
            proc.communicate(timeout=5.0)


__all__ = ["SECRET_ENV_VARS", "HookRunner", "hook_env", "is_credential"]
