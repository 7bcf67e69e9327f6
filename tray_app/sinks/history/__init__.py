"""History: events, component health transitions and probe latency in SQLite (WAL).

- ``database``: the schema, opening (read-write or read-only) and recovery of a broken file.
- ``store``: ``History``, the writes (events, health, probes) and pruning.
- ``queries``: what is read back: outages, uptime, latency, events, the ``history`` report.
- ``formats``: the ``history`` command's ``--since`` parsing and its text/JSON/CSV output.

Times are stored as UTC epoch seconds (REAL). Uptime and outages are derived from *our*
observations: each health row covers ``[at, until]``, where ``until`` is the last time that
state was seen, so time when the app was not running does not count as up or down.
"""
