"""The settings' shape: typed frozen dataclasses, Claude's component ids and the defaults.

Pure data: no I/O, no validation (``tray_app.config.validate`` builds these from TOML).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Component ids on status.claude.com (names change; ids do not).
CLAUDE_AI_COMPONENT = "rwppv331jlwc"
CONSOLE_COMPONENT = "0qbwn08sd68x"
API_COMPONENT = "k8w3r06qmzrp"
CLAUDE_CODE_COMPONENT = "yyzkbfz2thpt"
COWORK_COMPONENT = "bpp5gb3hpjcl"
GOVERNMENT_COMPONENT = "0scnb50nvy53"

# Names to show before the status page has ever been read.
KNOWN_COMPONENT_NAMES = {
    CLAUDE_AI_COMPONENT: "claude.ai",
    CONSOLE_COMPONENT: "Claude Console",
    API_COMPONENT: "Claude API",
    CLAUDE_CODE_COMPONENT: "Claude Code",
    COWORK_COMPONENT: "Claude Cowork",
    GOVERNMENT_COMPONENT: "Claude for Government",
}

DEFAULT_STATUS_PAGE = "https://status.claude.com"
MIN_REMOTE_INTERVAL = 30.0  # seconds; loopback URLs may poll faster (tests rely on 1 s)
CONFIG_VERSION = 1
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# How a provider's page is read: Statuspage v2 (and compatible pages), or Google Cloud's own JSON.
PROVIDER_FORMATS = ("statuspage", "google-cloud")


@dataclass(frozen=True)
class StatusPageSettings:
    url: str = DEFAULT_STATUS_PAGE  # base URL; the client reads <url>/api/v2/summary.json
    interval: float = 60.0
    timeout: float = 10.0
    max_body_bytes: int = 2 * 1024 * 1024


@dataclass(frozen=True)
class ProbeSettings:
    enabled: bool = True
    interval: float = 30.0
    timeout: float = 10.0
    api: bool = True
    api_url: str = "https://api.anthropic.com/v1/models"
    api_component: str = API_COMPONENT
    claude_ai: bool = True
    claude_ai_url: str = "https://claude.ai/"
    claude_ai_component: str = CLAUDE_AI_COMPONENT
    failure_threshold: int = 2
    success_threshold: int = 2


@dataclass(frozen=True)
class BackoffSettings:
    maximum: float = 600.0
    jitter: float = 0.2  # +/- fraction


@dataclass(frozen=True)
class WatchSettings:
    components: tuple[str, ...] = ()  # component ids; empty means all
    keywords: tuple[str, ...] = ()  # only incidents mentioning one of these (e.g. "Opus")


@dataclass(frozen=True)
class NotificationSettings:
    enabled: bool = True
    service_down: bool = True
    service_degraded: bool = False
    service_recovered: bool = True
    incident_opened: bool = True
    incident_updated: bool = False
    incident_resolved: bool = True
    maintenance: bool = False  # scheduled / starting soon / started / ended
    maintenance_lead_minutes: float = 30.0
    offline: bool = False
    min_interval: float = 300.0  # seconds between two notifications about one component
    reminder_minutes: float = 0.0  # remind of a long outage every N minutes; 0 = off
    quiet_hours: str = ""  # "22:00-07:00", local time; empty = none
    only_when_back: tuple[str, ...] = ()  # component ids: tell me only when they recover


@dataclass(frozen=True)
class HookSettings:
    command: tuple[str, ...]  # argv; run without a shell
    events: tuple[str, ...] = ()  # event kinds; empty means all
    timeout: float = 10.0


@dataclass(frozen=True)
class ProviderSettings:
    """Another service's status page, shown beside Claude's as context (never Claude's state)."""

    name: str
    url: str  # base URL of a Statuspage v2 page (or a compatible one, such as incident.io's)
    components: tuple[str, ...] = ()  # component (Google Cloud: product) ids; empty means all
    notify: bool = False  # notifications of its own changes; by default context only
    upstream: bool = False  # Claude's "down" news names this provider's incidents
    fallback: bool = False  # Claude's "down" news says whether this provider is operational
    format: str = "statuspage"  # one of PROVIDER_FORMATS
    max_body_bytes: int | None = None  # None: the format's own cap (see sources/providers.py)


@dataclass(frozen=True)
class HistorySettings:
    retention_days: int = 90
    latency_sample_seconds: float = 300.0  # keep one probe latency per target per this window


@dataclass(frozen=True)
class Settings:
    config_version: int = 1
    status_page: StatusPageSettings = field(default_factory=StatusPageSettings)
    probes: ProbeSettings = field(default_factory=ProbeSettings)
    backoff: BackoffSettings = field(default_factory=BackoffSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    hooks: tuple[HookSettings, ...] = ()
    providers: tuple[ProviderSettings, ...] = ()
    history: HistorySettings = field(default_factory=HistorySettings)
    autostart: bool = False
    log_level: str = "INFO"
