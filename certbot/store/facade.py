"""`Store`: the synchronous domain API over one SQLite connection, one class per kind of
state (`Feeds`, `Cases`, `Groups`, `Outbox`, `Enrichment`, `Instances`, `Onboarding`,
`Published`, `Reporting`, and `Overview` and `OverviewRows` (the read-only overview of issue
14); replies are functions in
`certbot.store.replies`). The CLI and tests use it directly; the service reaches it only
through `certbot.store.thread.StoreThread`, the single writer.
"""

from __future__ import annotations

from certbot.store.cases import Cases
from certbot.store.enrichment import Enrichment
from certbot.store.feeds import Feeds
from certbot.store.groups import Groups
from certbot.store.instances import Instances
from certbot.store.onboarding import Onboarding
from certbot.store.outbox import Outbox
from certbot.store.overview import Overview
from certbot.store.overview_rows import OverviewRows
from certbot.store.published import Published
from certbot.store.reporting import Reporting


class Store(
    Feeds,
    Cases,
    Groups,
    Outbox,
    Enrichment,
    Instances,
    Onboarding,
    Published,
    Reporting,
    Overview,
    OverviewRows,
):
    """Everything durable: feed state, cases, the outbox, enrichment, the audit trail."""
