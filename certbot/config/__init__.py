"""Configuration: feeds.yaml (sources and service settings) and subscribers/*.yaml.

One module per file kind: `service` (the ``service:`` section), `feeds` (the ``feeds:`` list
and feeds.yaml as a whole), `subscribers` (one municipality per file), with `targets` shared by
both; `yaml_lines` is the one YAML reader with line numbers and the one error formatter, and
`loading` puts it together. This package re-exports the public names, so
``from certbot.config import Config, load_config`` keeps working.

Strict: unknown keys are errors, cross-field rules sit next to the fields, and `load_config`
collects every problem in every file before it raises one `ConfigError` listing them all, one
per line, as ``file: key.path: what is wrong and how to fix it (line N)``. The kinds of feeds
and targets are the registered sources and channels (`certbot.sources`, `certbot.channels`).

Secrets never live in YAML. A target or service setting names an environment variable
(``secret: {env: TEAMS_WEBHOOK_0301}``); the value is read from that variable or from the file
named by ``<VAR>_FILE`` when it is needed (`read_secret`). Addresses and URLs that look like
credentials (Slack tokens, Teams webhook URLs, ``?sig=``) are refused.
"""

from __future__ import annotations

from certbot.config.common import (
    ANONYMOUS_TELEGRAM_IDS,
    CREDENTIAL_ADVICE,
    SECRET_LOOKING,
    Person,
    SecretRef,
    Strict,
    read_secret,
)
from certbot.config.common import parse_duration as _parse_duration
from certbot.config.feeds import FeedConfig, FeedsFile
from certbot.config.loading import (
    OPERATOR,
    Config,
    config_warnings,
    load_config,
    missing_secrets,
)
from certbot.config.service import (
    DispatchConfig,
    InboundConfig,
    PriorityConfig,
    RoutingConfig,
    ServiceConfig,
    SmtpConfig,
)
from certbot.config.subscribers import COUNTIES, InventoryItem, QuietHours, SubscriberConfig
from certbot.config.targets import TargetConfig
from certbot.config.yaml_lines import (
    FieldProblem,
    _FastLoader,
    _Loader,
    _NotSimple,
    _simple_yaml,
    format_validation,
)
from certbot.errors import ConfigError

__all__ = [
    "ANONYMOUS_TELEGRAM_IDS",
    "COUNTIES",
    "CREDENTIAL_ADVICE",
    "OPERATOR",
    "SECRET_LOOKING",
    "Config",
    "ConfigError",
    "DispatchConfig",
    "FeedConfig",
    "FeedsFile",
    "FieldProblem",
    "InboundConfig",
    "InventoryItem",
    "Person",
    "PriorityConfig",
    "QuietHours",
    "RoutingConfig",
    "SecretRef",
    "ServiceConfig",
    "SmtpConfig",
    "Strict",
    "SubscriberConfig",
    "TargetConfig",
    "_FastLoader",
    "_Loader",
    "_NotSimple",
    "_parse_duration",
    "_simple_yaml",
    "config_warnings",
    "format_validation",
    "load_config",
    "missing_secrets",
    "read_secret",
]
