"""Settings: TOML in the user config dir -> validated, frozen dataclasses.

- ``schema``: the typed frozen settings, the component ids and the defaults.
- ``checks``: one check per kind of value (dotted key + raw TOML value -> typed value).
- ``validate``: raw TOML -> ``Settings`` (``parse_config``), key by key.
- ``load``: the file on disk -> ``LoadedConfig`` (never raises), ``config validate``/``show``.
- ``writeback``: the menu's changes written back keeping comments and layout (tomlkit).

Import from the module that owns a name; this package re-exports nothing.
"""
