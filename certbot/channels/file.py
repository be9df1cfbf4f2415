"""File channel: one JSON object per delivered alert, appended to a JSON Lines file.

The target's ``address`` is the file path (relative paths are resolved against the config
directory). It must resolve, after symlinks, inside the output directory
(``service.output_dir``, default ``<config-dir>/out``) and must not name a configuration or
database file: `path_problem` says why not, check-config refuses such a target and
``deliver`` refuses it again (a definite failure: the delivery goes dead and the operator is
told). A file is readable by whoever can read the machine, so it is never personal (no RED). ``render`` is pure: ``Payload.body`` is the list of records to append, one per
alert; a digest becomes one record per item, each with ``"digest": true``, the digest's
delivery id as ``digest_id`` and the item's own ``delivery_id``; a grouped burst (issue 11.3)
likewise, with ``"digest": false`` and ``group_id`` / ``group_title`` (one message, sent at once). Each record carries the
plain-text rendering of ``templates/console/<lang>/alert.txt`` under ``text``.

``deliver`` stamps ``delivered_at`` and appends all records with one write, a flush and an
``fsync``, under one asyncio lock per file (several targets may share a file), creating parent
directories. With ``ctx.state["file_echo"]`` true it also prints the text to stdout (the demo).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from certbot.channels import Channel, ChannelContext, Payload, Sent, register
from certbot.channels._clean import clean_notification, tidy
from certbot.errors import DeliveryError

if TYPE_CHECKING:
    from certbot.config import Config, TargetConfig
    from certbot.model import Notification

MATCH_KEYS = (
    "item",
    "rule",
    "confidence",
    "source",
    "entry",
    "detail",
    "affected",  # "confirmed" | "possible" (the verdict)
    "version_source",  # the kind of source that decided the version: "cve", "csaf", "prose"...
)
# Files a file target must never append to, whatever the output directory.
CONFIG_SUFFIXES = (".yaml", ".yml")
DATABASE_NAME = re.compile(r"\.(db|sqlite3?)(-wal|-shm|-journal)?$", re.IGNORECASE)


def path_problem(config: Config, address: str) -> str | None:
    """Why a file target may not write to ``address``, or None. The path is resolved against
    the config directory and then through symlinks; it must lie inside the output directory
    and be neither a configuration file nor a database file."""
    out = config.output_path()
    path = config.resolve_path(address).resolve()
    if not path.is_relative_to(out):
        where = config.service.output_dir
        return (
            f"{address!r} lies outside the output directory '{where}' (after following "
            f"symlinks); write a path inside it, e.g. '{where}/alerts.jsonl', or change "
            "service.output_dir"
        )
    if path.suffix.lower() in CONFIG_SUFFIXES or path == config.root / "feeds.yaml":
        return f"{address!r} is a configuration file; write to a .jsonl file instead"
    if DATABASE_NAME.search(path.name):
        return f"{address!r} is a database file; write to a .jsonl file instead"
    return None


@register
class FileChannel(Channel):
    kind = "file"
    rate_per_second = 1000.0
    address_help = "a file path for the JSON Lines output"
    not_personal_help = (
        "a file can be read by anyone with access to the machine, never by one person only; "
        "set personal: false and tlp_max: AMBER+STRICT or lower"
    )

    @classmethod
    def can_be_personal(cls, target: TargetConfig) -> bool:
        return False

    @classmethod
    def config_problem(cls, target: TargetConfig, config: Config) -> tuple[str, str] | None:
        problem = path_problem(config, target.address or "")
        return ("address", problem) if problem else None

    def __init__(self, ctx: ChannelContext):
        super().__init__(ctx)
        self._locks: dict[Path, asyncio.Lock] = {}

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        safe = clean_notification(n)
        if safe.kind == "digest":
            group = bool(safe.extra.get("group"))  # a burst sent at once, not a digest
            records = [
                {
                    **self._record(item),
                    "digest": not group,
                    "digest_id": safe.delivery_id,
                    # the first run's backlog ("Status ved oppstart"), not a daily digest
                    "onboarding": bool(safe.extra.get("onboarding")),
                    **({"group_id": safe.delivery_id, "group_title": safe.title} if group else {}),
                }
                for item in safe.items
            ]
        else:
            records = [self._record(safe)]
        text = "\n".join(r["text"] for r in records)
        return Payload(channel="file", body=records, text=text, meta={"delivery_id": n.delivery_id})

    def _record(self, n: Notification) -> dict[str, Any]:
        text = tidy(self.ctx.renderer.render("console", "alert.txt", n))
        return {
            "delivery_id": n.delivery_id,
            "kind": n.kind,
            "advisory_id": n.case_id,
            "revision": n.revision,
            "subscriber": n.subscriber_id,
            "subscriber_name": n.subscriber_name,
            "target": n.target_id,
            "language": n.language,
            "priority": n.priority.name if n.priority is not None else None,
            "tlp": n.tlp.label,
            "title": n.title,
            "cves": list(n.cves),
            "deadline": n.deadline.isoformat() if n.deadline else None,
            "matched": [{k: m.get(k, "") for k in MATCH_KEYS} for m in n.matched],
            "reasons": list(n.reasons),
            "actions": list(n.actions),
            "changes": list(n.changes),
            "links": list(n.links),
            "summary": n.summary,
            "digest": False,
            "text": text,
        }

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        if not target.address:
            raise DeliveryError("file target has no address (path)", retryable=False)
        if problem := path_problem(self.ctx.config, target.address):
            raise DeliveryError(f"file target refused: {problem}", retryable=False)
        path = self.ctx.config.resolve_path(target.address)
        stamp = datetime.now(UTC).isoformat()
        lines = [
            json.dumps({**record, "delivered_at": stamp}, ensure_ascii=False) + "\n"
            for record in payload.body
        ]
        data = "".join(lines).encode("utf-8")
        lock = self._locks.setdefault(path, asyncio.Lock())
        async with lock:
            try:
                await asyncio.to_thread(_append, path, data)
            except OSError as exc:
                # ENOSPC and friends may clear up; a bad path will end dead after retries.
                raise DeliveryError(
                    f"cannot append to {path.name}: {exc.strerror or type(exc).__name__}",
                    retryable=True,
                ) from None
        if self.ctx.state.get("file_echo"):
            print(payload.text, flush=True)
        return Sent(
            external_id=payload.meta.get("delivery_id"),
            detail={"path": str(path), "lines": len(lines)},
        )


def _append(path: Path, data: bytes) -> None:
    """One write of whole lines with O_APPEND, then flush and fsync."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
