"""`send-test`: one clearly marked test message through each target of a municipality,
straight through the channel (no outbox), reporting per target what happened. While a
``run`` is active on the database, the messages are planned into the outbox instead and the
running service's dispatcher sends them (it alone sends: RELIABILITY.md I2)."""

from __future__ import annotations

from certbot.app import App
from certbot.config import Config
from certbot.errors import DeliveryError
from certbot.model import TLP, Notification
from certbot.outbound.notices import Addressee
from certbot.store import Delivery, Store, delivery_id, utcnow


async def send_test(config: Config, db: str, sub_id: str) -> list[tuple[str, str]]:
    sub = config.subscriber(sub_id)
    results: list[tuple[str, str]] = []
    async with App(config, db, instance="send-test") as app:
        for target in sub.targets:
            channel = app.channels.get(target.kind)
            if channel is None:
                results.append((target.id, f"failed: no channel '{target.kind}'"))
                continue
            nb = sub.language == "nb"
            n = Addressee(sub.id, sub.name, target.id, sub.language).notice(
                delivery_id("test", sub.id, target.id, utcnow().isoformat()),
                "test",
                TLP.CLEAR,
                "TEST – dette er en testmelding fra certbot"
                if nb
                else "TEST – this is a test message from certbot",
                summary=(
                    f"Målet «{target.id}» ({target.kind}) for {sub.name} virker."
                    if nb
                    else f"The target '{target.id}' ({target.kind}) for {sub.name} works."
                ),
            )
            if app.defer_to is not None:
                await app.store.call(Store.add_delivery, _queued(n, target.kind), now=utcnow())
                results.append((target.id, "ok: queued for the running service"))
                continue
            try:
                sent = await channel.deliver(channel.render(n, target), target)
            except DeliveryError as exc:
                kind = "retryable" if exc.retryable else "permanent"
                results.append((target.id, f"failed ({kind}): {exc}"))
            else:
                results.append(
                    (target.id, "ok" + (f" ({sent.external_id})" if sent.external_id else ""))
                )
    return results


def _queued(n: Notification, channel: str) -> Delivery:
    """The test message as an outbox row, for the running service to send."""
    return Delivery.planned(n, channel)
