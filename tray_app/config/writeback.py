"""The menu's changes written back into the settings file.

``update_config`` keeps comments and layout (tomlkit), validates before writing, keeps the
previous file as ``config.toml.bak`` and replaces the file atomically.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.container
import tomlkit.items

from tray_app.config import checks
from tray_app.config.load import default_config_text, describe, read_text
from tray_app.config.schema import Settings
from tray_app.config.validate import (
    ALL_TOP_KEYS,
    ENTRIES,
    RULES,
    SECTIONS,
    TOP_LEVEL,
    parse_config,
)
from tray_app.core.errors import ConfigError
from tray_app.platform.atomic import write_atomic


def _schema_check(dotted: str) -> list[str]:
    parts = dotted.split(".")
    if len(parts) == 1:
        if parts[0] not in (*TOP_LEVEL, *ENTRIES):
            if parts[0] in SECTIONS:
                raise ConfigError("set one setting at a time, not a whole table", key=dotted)
            raise checks.unknown(dotted, parts[0], ALL_TOP_KEYS)
    elif len(parts) == 2 and parts[0] in SECTIONS:
        known = list(RULES[SECTIONS[parts[0]]])
        if parts[1] not in known:
            raise checks.unknown(dotted, parts[1], known)
    else:
        raise checks.unknown(
            dotted, dotted, [f"{s}.{k}" for s in SECTIONS for k in RULES[SECTIONS[s]]]
        )
    return parts


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _set_near_comment(table: Any, name: str, value: object) -> None:
    """Set ``name``; if absent, put it right under its commented-out example when there is one."""
    if name in table:
        table[name] = value
        return
    container = table if isinstance(table, tomlkit.container.Container) else table.value
    body = getattr(container, "body", None)
    pattern = re.compile(rf"^#\s*{re.escape(name)}\s*=")
    if isinstance(body, list):
        for idx, (key, item) in enumerate(body):
            if (
                key is None
                and isinstance(item, tomlkit.items.Comment)
                and pattern.match(item.as_string().strip())
                and idx + 1 < len(body)
            ):
                with contextlib.suppress(Exception):  # cosmetic only: fall back to append
                    container._insert_at(idx + 1, name, value)
                    return
    table[name] = value


def update_config(path: Path, changes: Mapping[str, object]) -> Settings:
    """Apply ``{"dotted.key": value}`` to the file at ``path``, keeping comments and layout.

    A value of ``None`` removes the setting (back to its default). The result is validated
    before anything is written; the write is atomic (temp file + ``os.replace``) and the
    previous file is kept as ``config.toml.bak``. Raises ``ConfigError`` (file untouched)
    if the current file does not parse or the result would be invalid.
    """
    if path.exists():
        current = read_text(path)
        try:
            parse_config(current)
        except ConfigError as exc:
            raise ConfigError(
                f"not changing {path.name} because it has an error; fix it first "
                f"({describe(path, exc)})"
            ) from None
    else:
        current = default_config_text()
    doc = tomlkit.parse(current)
    for dotted, value in changes.items():
        parts = _schema_check(dotted)
        plain = _plain(value)
        if len(parts) == 1:
            if plain is None:
                doc.pop(parts[0], None)
            elif parts[0] in ENTRIES:
                aot = tomlkit.aot()
                for hook in plain if isinstance(plain, list) else [plain]:
                    aot.append(tomlkit.item(hook))
                doc[parts[0]] = aot
            else:
                _set_near_comment(doc, parts[0], plain)
            continue
        section, name = parts
        if section not in doc:
            if plain is None:
                continue
            doc[section] = tomlkit.table()
        table = doc[section]
        if plain is None:
            table.pop(name, None)
        else:
            _set_near_comment(table, name, plain)
    text = tomlkit.dumps(doc)
    settings = parse_config(text)
    _atomic_write(path, text)
    return settings


def _atomic_write(path: Path, text: str) -> None:
    path = path.resolve()  # a config.toml symlinked from a dotfiles folder stays a symlink
    try:
        mode = None
        if path.exists():
            mode = path.stat().st_mode & 0o7777
            write_atomic(path.with_name(path.name + ".bak"), path.read_bytes(), mode=mode)
        write_atomic(path, text.encode("utf-8"), mode=mode)
    except OSError as exc:
        raise ConfigError(f"could not write {path.name}: {exc.strerror or exc}") from exc
