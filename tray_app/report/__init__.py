"""``claude-status-tray report``: the history as one self-contained HTML page.

- ``days``: per service and day: worst health, minutes per state, coverage; uptime.
- ``incidents``: the page's incidents, our outages and the probe lead.
- ``latency``: hourly median and p95 per probe target.
- ``build``: all of it read from the history; ``svg``/``html``: the drawing; ``command``: the CLI.
"""
