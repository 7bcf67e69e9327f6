"""Where events go: notification policy and backends, hooks, history, the tray icon and menu."""
