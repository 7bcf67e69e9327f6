"""Time in the words every message uses ("45 s", "12 min", "3 h 5 min", "2 d 4 h"), and how long
"until tomorrow" is."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone, tzinfo

TOMORROW_AT = time(8, 0)  # "Snooze until tomorrow" ends at this local time


def format_duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def until_tomorrow(now: datetime, tz: tzinfo | None = None) -> timedelta:
    """How long "Snooze until tomorrow" lasts: to the next TOMORROW_AT local time after now."""
    local = now.astimezone(tz)
    target = local.replace(
        hour=TOMORROW_AT.hour, minute=TOMORROW_AT.minute, second=0, microsecond=0
    )
    if target <= local:
        target += timedelta(days=1)
    if tz is None:  # astimezone() gave today's fixed offset: resolve tomorrow's (DST may differ)
        target = target.replace(tzinfo=None).astimezone()
    # in UTC: two datetimes sharing a tzinfo subtract as wall times, ignoring the DST change
    return target.astimezone(timezone.utc) - now.astimezone(timezone.utc)


__all__ = ["TOMORROW_AT", "format_duration", "until_tomorrow"]
