"""The settings file on disk: read it, create it from the commented defaults, describe errors.

``load_config`` is the app's entry point and never raises: a broken file gives the defaults
plus one line of ``error`` and is left exactly as the user wrote it.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tray_app.config.schema import Settings
from tray_app.config.validate import ENTRIES, SECTIONS, ConfigProblem, read_config
from tray_app.core.errors import ConfigError, ConfigSyntaxError
from tray_app.platform.atomic import create_new

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedConfig:
    """What ``load_config`` found: always usable settings, plus one line per problem.

    Each bad setting alone fell back to its default; the rest of the file applies.
    """

    settings: Settings
    path: Path
    problems: tuple[str, ...]
    created: bool


def default_config_text() -> str:
    """The packaged, commented defaults file."""
    return resources.files("tray_app.config").joinpath("default_config.toml").read_text("utf-8")


def read_text(path: Path) -> str:
    """The file's text; BOM tolerated (Windows editors add one). Raises ConfigError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.name}: not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None


def describe(path: Path, exc: ConfigError) -> str:
    if isinstance(exc, ConfigSyntaxError):
        where = f" line {exc.line}" if exc.line is not None else ""
        return f"{path.name}{where}: {exc.reason}"
    return " ".join(str(exc).split())


def _describe_problem(path: Path, problem: ConfigProblem) -> str:
    text = describe(path, problem.error)
    if not text.startswith(path.name):
        text = f"{path.name}: {text}"
    return f"{text}; {problem.outcome}"


def read_config_file(path: Path) -> tuple[Settings, tuple[str, ...]]:
    """The settings at ``path`` and one line per problem; never creates or changes the file."""
    try:
        text = read_text(path)
    except ConfigError as exc:
        return Settings(), (f"{describe(path, exc)}; using the defaults",)
    parsed = read_config(text)
    return parsed.settings, tuple(_describe_problem(path, p) for p in parsed.problems)


def load_config(path: Path) -> LoadedConfig:
    """Read the settings at ``path``. Never raises; never rewrites an existing file.

    No file: the commented defaults are written there (``created=True``). A bad setting: its
    default, and one line in ``problems`` (the caller reports them, once).
    """
    if not path.exists() and not path.is_symlink():
        try:
            create_new(path, default_config_text().encode("utf-8"))  # 0600 in a 0700 folder
        except FileExistsError:
            pass  # someone else created it in between: read theirs below
        except OSError as exc:
            problem = f"{path.name}: could not create: {exc.strerror or exc}; using the defaults"
            return LoadedConfig(Settings(), path, (problem,), False)
        else:
            log.info("wrote default settings to %s", path)
            return LoadedConfig(Settings(), path, (), True)
    settings, problems = read_config_file(path)
    return LoadedConfig(settings, path, problems, False)


def config_file_problems(path: Path) -> tuple[str, ...]:
    """For ``config validate``: every problem of the file at ``path``, one line each.

    Unlike ``load_config`` this never creates the file.
    """
    return read_config_file(path)[1]


def _to_toml(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
        # TOML has no null: an unset optional setting is left out (absent = its default)
        return {name: _to_toml(v) for name, v in fields if v is not None}
    if isinstance(value, tuple):
        return [_to_toml(v) for v in value]
    return value


def config_show(settings: Settings) -> str:
    """The effective settings as TOML text (``parse_config`` of it gives ``settings`` back)."""
    import tomlkit  # not loaded by the running app, which never shows its settings

    doc = tomlkit.document()
    doc.add(tomlkit.comment("Effective settings of claude-status-tray (defaults filled in)"))
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if f.name in SECTIONS or f.name in ENTRIES:
            continue
        doc[f.name] = _to_toml(value)
    for f in dataclasses.fields(settings):
        if f.name in SECTIONS:
            table = tomlkit.table()
            section = _to_toml(getattr(settings, f.name))
            assert isinstance(section, dict)
            for name, value in section.items():
                table[name] = value
            doc[f.name] = table
    for name in ENTRIES:
        entries = getattr(settings, name)
        if entries:
            aot = tomlkit.aot()
            for entry in entries:
                aot.append(tomlkit.item(_to_toml(entry)))
            doc[name] = aot
    return tomlkit.dumps(doc)
