"""Component ids in the settings that the status page does not have. Pure.

A typo such as ``components = ["claude-code"]`` would otherwise watch nothing at all, and
every surface would say "unknown" without saying why.
"""

from __future__ import annotations

from collections.abc import Mapping

from tray_app.config.schema import Settings

MAX_LISTED = 8  # valid ids shown in one message


def unknown_component_problems(settings: Settings, on_page: Mapping[str, str]) -> tuple[str, ...]:
    """One line per setting naming ids missing from ``on_page`` (id -> name), with the valid
    ids and names; empty when all are known or the page's components are not known yet."""
    if not on_page:
        return ()
    lists = {
        "watch.components": settings.watch.components,
        "notifications.only_when_back": settings.notifications.only_when_back,
    }
    problems = []
    for key, ids in lists.items():
        unknown = [cid for cid in ids if cid not in on_page]
        if unknown:
            names = ", ".join(f'"{cid}"' for cid in unknown)
            problems.append(
                f"{key}: {names} {'is no component' if len(unknown) == 1 else 'are no components'}"
                f" on the status page; valid ids: {valid_ids(on_page)}"
            )
    return tuple(problems)


def valid_ids(on_page: Mapping[str, str]) -> str:
    listed = [f"{cid} ({name})" for cid, name in list(on_page.items())[:MAX_LISTED]]
    more = len(on_page) - len(listed)
    return ", ".join(listed) + (f" and {more} more" if more > 0 else "")


__all__ = ["unknown_component_problems", "valid_ids"]
