"""Publishing the team's own advisories through the ordinary path (issue 13).

Contract: `publish_draft(store, config, draft, operator=..., now=...)` publishes a first
version, a revision (same id, something changed) or nothing (same id, nothing changed), and
`withdraw(store, config, id, ...)` withdraws; both run on the store's writer thread. The
published record (`certbot.store.published`) and an audit event with the operator
(``publish``, ``revise``, ``publish_unchanged``, ``withdraw``) are written in one transaction;
then the advisory (`advisory.to_advisory`, source ``srm``) goes through the SAME ingest ->
match -> priority -> TLP -> outbox slices as every feed (`Pipeline`'s batch path), with the
explicit recipients matched on top (`recipients`). A revision to a stricter TLP is refused
unless ``confirm_tlp``. `dry_run` runs exactly this on a scratch copy of the database and
returns what it would do; the real database is not written. `check_operator` refuses a name
that is not a configured operator; an API client holding the ``publish`` scope
(``service.api.clients``) is one, as ``api:<client id>``. Refusals raise `PublishRefused`.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from certbot.config import Config, FeedConfig
from certbot.errors import CertbotError
from certbot.explain import _format_path, _path_json
from certbot.match import Matcher
from certbot.model import Case
from certbot.pipeline import Pipeline
from certbot.priority import assess
from certbot.publish.advisory import SOURCE, tlp_of, to_advisory, what_changed
from certbot.publish.draft import Draft, PublishedAdvisory, Revision
from certbot.publish.recipients import RecipientMatcher, planning_config, recipient_ids
from certbot.sources import SourceState
from certbot.store import Store

API = "api:"  # the operator name of an API client: api:<client id>
SRM_FEED = FeedConfig.model_construct(id=SOURCE, kind=SOURCE, name="KommuneCERT")


class PublishRefused(CertbotError):
    """Nothing was published; the message says why and what to do."""


@dataclass
class Outcome:
    """What one publish, revision or withdrawal did (or, in a dry run, would do)."""

    id: str
    action: str  # published | revised | unchanged | withdrawn
    revision: int
    advisory: PublishedAdvisory
    case_id: str | None = None
    material: bool = True  # False: a text-only revision, no update planned
    changes: list[str] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    unknown_recipients: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    paths: dict[str, list[str]] = field(default_factory=dict)  # kommunenummer -> SSVC path
    dry_run: bool = False


def operator_names(config: Config) -> set[str]:
    names = set(config.service.publish.operators)
    for p in config.service.operators:
        names |= {p.user_id, *([p.name] if p.name else [])}
    api = config.service.api
    names |= {f"{API}{c.id}" for c in api.clients if "publish" in c.scopes} if api else set()
    return names


def check_operator(config: Config, name: str) -> str:
    allowed = operator_names(config)
    if name not in allowed:
        known = ", ".join(sorted(allowed)) or "none configured"
        raise PublishRefused(
            f"{name!r} is not a configured operator (known: {known}); add the name to "
            "service.publish.operators (or service.operators) in feeds.yaml, or pass "
            "--as with a configured name"
        )
    return name


def _tlp_check(old: PublishedAdvisory, new: Draft, confirm_tlp: bool) -> list[str]:
    if tlp_of(new.tlp) <= tlp_of(old.draft.tlp):
        return []
    warning = (
        f"{old.id}: TLP {old.draft.tlp} -> {new.tlp} is stricter: the earlier, looser "
        f"copies (TLP:{old.draft.tlp}) are already out and cannot be recalled"
    )
    if not confirm_tlp:
        raise PublishRefused(f"{warning}; publish again with --confirm-tlp to go ahead")
    return [warning]


def _next(
    store: Store, config: Config, draft: Draft, now: datetime, confirm_tlp: bool
) -> tuple[str, PublishedAdvisory | None, list[str], list[str]]:
    """(action, the new record or None when unchanged, change lines, warnings)."""
    old = store.published_advisory(draft.id) if draft.id else None
    if old is None:
        pid = draft.id or store.next_published_id(config.service.publish.id_prefix, now.year)
        first = Revision(number=1, date=now, summary="Første versjon", operator="")
        adv = PublishedAdvisory(
            draft=draft.model_copy(update={"id": pid}),
            revision=1,
            initial=now,
            current=now,
            history=(first,),
        )
        return "published", adv, [], []
    if old.status == "withdrawn":
        raise PublishRefused(
            f"{old.id} was withdrawn ({old.withdraw_reason or 'no reason given'}); publish the "
            "corrected advisory without an id (or with a new one)"
        )
    changes = what_changed(old.draft, draft)
    if not changes:
        return "unchanged", None, [], []
    warnings = _tlp_check(old, draft, confirm_tlp)
    entry = Revision(number=old.revision + 1, date=now, summary="; ".join(changes), operator="")
    adv = old.model_copy(
        update={
            "draft": draft,
            "revision": old.revision + 1,
            "current": now,
            "history": (*old.history, entry),
        }
    )
    return "revised", adv, changes, warnings


def _signed(adv: PublishedAdvisory, operator: str) -> PublishedAdvisory:
    last = adv.history[-1].model_copy(update={"operator": operator})
    return adv.model_copy(update={"history": (*adv.history[:-1], last)})


def _run_pipeline(store: Store, config: Config, adv: PublishedAdvisory, now: datetime) -> Any:
    """Ingest and plan the advisory with the batch path every feed's advisories take."""
    drafts = [adv.draft]
    for n in range(1, adv.revision):
        if (earlier := store.published_revision(adv.id, n)) is not None:
            drafts.append(earlier.draft)
    ids, unknown = recipient_ids(config, drafts)
    planning = planning_config(config, ids)
    index = {s.id: len(s.inventory) - 1 for s in planning.subscribers if s.id in ids}
    advisory = to_advisory(adv)
    # The pipeline's store handle is for the async poll; the batch path takes ``store``.
    pipeline = Pipeline(planning, cast(Any, None), None, clock=lambda: now)
    kinds = {f.id: f.kind for f in config.feeds} | {SOURCE: SOURCE}
    pipeline.matcher = RecipientMatcher(config.subscribers, kinds, advisory.key, index)
    # A feed state for srm, so that only the very first publish counts as a feed's first poll
    # (`planning.baseline`): later ones are never held back as a first-run backlog.
    batch = [(SRM_FEED, [advisory], SourceState())]
    planned = pipeline._ingest_and_plan_batch(store, batch)
    return planned[SOURCE][0], unknown, pipeline.matcher, planning


def _paths(case: Case, matcher: Matcher, planning: Config, now: datetime) -> dict[str, list[str]]:
    """The SSVC decision path per municipality, as `explain` prints it."""
    matches = matcher.match(case)
    out = {}
    for sub in planning.subscribers:
        if ms := matches.get(sub.id):
            path = _path_json(assess(case, ms, sub, planning.service.priority, now).path)
            out[sub.id] = _format_path(path) if path else []
    return out


def _plan(store: Store, config: Config, outcome: Outcome, now: datetime) -> Outcome:
    changes, outcome.unknown_recipients, matcher, planning = _run_pipeline(
        store, config, outcome.advisory, now
    )
    change = next((c for c in changes if c.advisory_key == f"{SOURCE}:{outcome.id}"), None)
    if change is None and changes:
        change = changes[0]
    if change is None or not change.material:
        outcome.material = False
        return outcome
    outcome.case_id = change.case_id
    case = store.load_case(change.case_id)
    if case is not None:
        outcome.deliveries = store.revision_deliveries(case.id, case.revision)
        outcome.paths = _paths(case, matcher, planning, now)
    return outcome


def publish_draft(
    store: Store,
    config: Config,
    draft: Draft,
    *,
    operator: str,
    now: datetime,
    confirm_tlp: bool = False,
) -> Outcome:
    _, unknown = recipient_ids(config, [draft])
    if unknown:
        raise PublishRefused(
            f"recipients not configured: {', '.join(unknown)}; name a kommunenummer or "
            "fylkesnummer of a municipality in subscribers/ (recipients.municipalities, "
            "recipients.counties)"
        )
    action, adv, changes, warnings = _next(store, config, draft, now, confirm_tlp)
    if adv is None:  # the same id with nothing changed: nothing is sent
        assert draft.id is not None
        current = store.published_advisory(draft.id)
        assert current is not None
        store.audit("publish_unchanged", actor=operator, detail={"id": draft.id}, now=now)
        return Outcome(draft.id, "unchanged", current.revision, current)
    adv = _signed(adv, operator)
    with store.tx():
        store.save_published_advisory(adv)
        detail = {"id": adv.id, "revision": adv.revision, "tlp": adv.draft.tlp, "changes": changes}
        name = "publish" if action == "published" else "revise"
        store.audit(name, actor=operator, decision=action, detail=detail, now=now)
    outcome = Outcome(adv.id, action, adv.revision, adv, changes=changes, warnings=warnings)
    return _plan(store, config, outcome, now)


def withdraw(
    store: Store,
    config: Config,
    advisory_id: str,
    *,
    operator: str,
    now: datetime,
    reason: str | None = None,
) -> Outcome:
    old = store.published_advisory(advisory_id)
    if old is None:
        raise PublishRefused(f"no published advisory {advisory_id}; see 'publish --list'")
    if old.status == "withdrawn":
        raise PublishRefused(f"{advisory_id} is already withdrawn")
    text = f"Trukket tilbake: {reason}" if reason else "Trukket tilbake"
    entry = Revision(number=old.revision + 1, date=now, summary=text, operator=operator)
    adv = old.model_copy(
        update={
            "revision": old.revision + 1,
            "status": "withdrawn",
            "current": now,
            "history": (*old.history, entry),
            "withdraw_reason": reason,
        }
    )
    with store.tx():
        store.save_published_advisory(adv)
        detail = {"id": adv.id, "revision": adv.revision, "reason": reason}
        store.audit("withdraw", actor=operator, decision="withdrawn", detail=detail, now=now)
    outcome = Outcome(adv.id, "withdrawn", adv.revision, adv, changes=[text])
    return _plan(store, config, outcome, now)


class _ThisThread(logging.Filter):
    """Drops the records of one thread: the operator notices a dry run plans on its scratch
    copy ("Blocked by TLP ...") are shown in its report, not logged as if they were sent."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread


def dry_run(store: Store | None, run: Callable[[Store], Outcome]) -> Outcome:
    """``run`` on a scratch copy of ``store`` (an empty database when None): what it would
    do, with nothing written to the real database."""
    quiet = _ThisThread()
    notices = logging.getLogger("certbot.notices")
    notices.addFilter(quiet)
    try:
        outcome = _on_scratch(store, run)
    finally:
        notices.removeFilter(quiet)
    outcome.dry_run = True
    return outcome


def _on_scratch(store: Store | None, run: Callable[[Store], Outcome]) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="certbot-dry-run-") as tmp:
        path = Path(tmp) / "scratch.db"
        if store is not None:
            store.backup(path)
        scratch = Store(path)
        try:
            outcome = run(scratch)
        finally:
            scratch.close()
    return outcome
