"""`Store`: the synchronous domain API over one SQLite connection, one class per kind of
state (`Feeds`, `Cases`, `Outbox`, `Enrichment`, `Instances`, `Onboarding`,
`Published`; replies are functions in
`certbot.store.replies`). The CLI and tests use it directly; the service reaches it only
through `certbot.store.thread.StoreThread`, the single writer.
"""

from __future__ import annotations

from certbot.store.cases import Cases
from certbot.store.enrichment import Enrichment
from certbot.store.feeds import Feeds
from certbot.store.instances import Instances
from certbot.store.onboarding import Onboarding
from certbot.store.outbox import Outbox
from certbot.store.published import Published


class Store(Feeds, Cases, Outbox, Enrichment, Instances, Onboarding, Published):
    """Everything durable: feed state, cases, the outbox, enrichment, the audit trail."""
