"""The platform-neutral command layer: authorisation (row 18), rate limits (row 19), audit,
incident reports and acknowledge-after-commit (I3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certbot.inbound import records
from certbot.inbound.commands import Command, handle
from certbot.store import PlanRecord
from tests.factory import T0, kev
from tests.inbound_helpers import World, make_config, make_world


class Crash(Exception):
    pass


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def only_for(w: World, sub_id: str) -> str:
    """A second case alerted to one municipality only."""
    change = w.store.ingest([kev("CVE-2026-0002", "Fortinet", "FortiOS")], now=T0)[0]
    w.store.record_plan(PlanRecord(change.case_id, 1, sub_id, priority=1), now=T0)
    return change.case_id


def last_audit(w: World) -> dict:
    return w.store.audit_rows(1)[0]


def test_ack_records_status_who_and_audit(world: World) -> None:
    reply = world.run("telegram", "111", f"kvitter {world.case}")
    assert reply is not None and reply.ok
    row = records.ack_row(world.store, world.case, "0301")
    assert row is not None and row["status"] == "acknowledged" and row["by"] == "telegram:111"
    audit = last_audit(world)
    assert (audit["action"], audit["decision"], audit["subscriber_id"]) == (
        "ack",
        "allowed",
        "0301",
    )
    assert records.ack_row(world.store, world.case, "4601") is None  # not theirs to ack


def test_responder_of_a_acting_on_b_is_denied_and_audited(world: World) -> None:
    case_b = only_for(world, "4601")
    reply = world.run("telegram", "111", f"ack {case_b}")
    assert reply is not None and not reply.ok and "Ikke tillatt" in reply.text
    assert records.ack_row(world.store, case_b, "4601") is None
    audit = last_audit(world)
    assert audit["decision"] == "denied" and audit["actor"] == "telegram:111"
    assert json.loads(audit["detail"])["why"] == "not_yours"


def test_viewer_cannot_set_status(world: World) -> None:
    reply = world.run("telegram", "112", f"status {world.case} patchet")
    assert reply is not None and not reply.ok
    assert records.ack_row(world.store, world.case, "0301") is None
    assert json.loads(last_audit(world)["detail"])["why"] == "viewer"
    assert world.run("telegram", "112", "mine").ok  # type: ignore[union-attr]


@pytest.mark.parametrize("anon", ["1087968824", "777000"])
def test_anonymous_admin_ids_never_authorise(world: World, tmp_path: Path, anon: str) -> None:
    # The config refuses these ids, so force one in past validation to prove the runtime check.
    from certbot.config import Person

    sneaky = Person.model_construct(platform="telegram", user_id=anon, name="", role="responder")
    sub = world.config.subscriber("0301").model_copy(update={"people": (sneaky,)})
    world.ctx.config = world.config.model_copy(
        update={"subscribers": (sub, world.config.subscriber("4601"))}
    )
    reply = world.run("telegram", anon, f"ack {world.case}")
    assert reply is not None and not reply.ok
    assert records.ack_row(world.store, world.case, "0301") is None
    assert last_audit(world)["decision"] == "denied"


def test_user_removed_from_config_is_denied_on_next_command(world: World, tmp_path: Path) -> None:
    assert world.run("telegram", "111", "mine").ok  # type: ignore[union-attr]
    world.ctx.config = make_config(tmp_path, people_0301=[])  # the reload without them
    reply = world.run("telegram", "111", f"ack {world.case}")
    assert reply is not None and not reply.ok
    assert records.ack_row(world.store, world.case, "0301") is None
    assert last_audit(world)["decision"] == "denied"


def test_non_operator_cannot_use_operator_commands(world: World) -> None:
    reply = world.run("telegram", "111", f"berorte {world.case}")
    assert reply is not None and not reply.ok
    reply = world.run("telegram", "999", f"berorte {world.case}")
    assert reply is not None and "0301" in reply.text and "4601" in reply.text


def test_flood_from_one_user_cut_off_while_another_is_answered(world: World) -> None:
    replies = [world.run("telegram", "111", "mine") for _ in range(50)]
    cut = [r for r in replies if r is not None and not r.ok]
    assert 0 < len(cut) <= 40  # the burst of 10 passed, the rest were refused
    other = world.run("telegram", "222", "mine")
    assert other is not None and other.ok
    rows = world.store.db.query("SELECT count(*) n FROM audit WHERE decision = 'rate_limited'")
    assert next(rows)["n"] == len(cut)


def test_status_words_map_to_csaf_vocabulary(world: World) -> None:
    for word, status in (("pågår", "remediation_in_progress"), ("not-affected", "not_affected")):
        world.run("telegram", "111", f"status {world.case} {word} sjekket")
        row = records.ack_row(world.store, world.case, "0301")
        assert row is not None and row["status"] == status
    assert len(json.loads(row["history"])) == 2
    assert records.open_alerts(world.store, ["0301"]) == []  # not affected: no longer open


def test_english_municipality_gets_english(world: World) -> None:
    reply = world.run("telegram", "222", "help")
    assert reply is not None and reply.text.startswith("Commands")


def test_duplicate_update_has_one_effect(world: World) -> None:
    first = world.run("telegram", "111", f"status {world.case} patchet", update_id="42")
    records.mark_replied(world.store, "telegram", "42")
    again = world.run("telegram", "111", f"status {world.case} patchet", update_id="42")
    assert first is not None and again is None
    row = records.ack_row(world.store, world.case, "0301")
    assert row is not None and len(json.loads(row["history"])) == 1


def incident_dialogue(w: World, user: str = "111", base: int = 100) -> list[str]:
    lines = [
        "hendelse",
        "Løsepengevirus på en filserver",
        "malicious-code",
        "Filserver",
        "Begrenset",
        "Isolert serveren",
        "NSM NorCERT",
    ]
    out = []
    for i, line in enumerate(lines):
        reply = w.run("telegram", user, line, update_id=str(base + i), tick=7)
        assert reply is not None
        out.append(reply.text)
    return out


def test_full_incident_conversation_forwards_to_operator(world: World) -> None:
    texts = incident_dialogue(world)
    assert "Hva har skjedd" in texts[0] and "HEN-2026-0001" in texts[-1]
    inc = records.incident(world.store, "HEN-2026-0001")
    assert inc is not None and inc["municipality"] == "0301" and inc["tlp"] == "AMBER_STRICT"
    assert inc["what_happened"] == "Løsepengevirus på en filserver"
    assert inc["rsit_class"] == "malicious-code" and inc["others_notified"] == "NSM NorCERT"
    ops = world.store.db.query("SELECT * FROM deliveries WHERE kind = 'operator'")
    forwarded = [d for d in ops if "HEN-2026-0001" in d["notification"]]
    assert len(forwarded) == 1 and forwarded[0]["tlp"] == 3  # AMBER+STRICT, cleared target


def test_operator_update_is_relayed_and_history_is_append_only(world: World) -> None:
    incident_dialogue(world)
    reply = world.run("telegram", "999", "oppdater HEN-2026-0001 pågår vi ringer dere")
    assert reply is not None and reply.notices
    notice = reply.notices[0]
    assert (notice.platform, notice.chat_id) == ("telegram", "111")
    assert "HEN-2026-0001" in notice.text
    hist = records.history(world.store, "HEN-2026-0001")
    assert [h["status"] for h in hist] == ["new", "in-progress"]
    with pytest.raises(Exception, match="append-only"):
        world.store.db.execute("DELETE FROM incident_history")


def test_slack_form_incident(world: World) -> None:
    text = "hva: Phishing mot ansatte\nklasse: fraud\ntjenester: e-post"
    cmd = Command("slack", "U0AAA", "hendelse", text.split(), text)
    reply = handle(world.ctx, cmd)
    assert reply is not None and "HEN-2026-0001" in reply.text
    assert records.incident(world.store, "HEN-2026-0001")["rsit_class"] == "fraud"  # type: ignore[index]


def test_crash_before_commit_leaves_no_half_report(world: World) -> None:
    incident_dialogue(world)  # HEN-2026-0001
    lines = ["hendelse", "a", "b", "c", "d", "e"]
    for i, line in enumerate(lines):
        world.run("telegram", "111", line, update_id=str(200 + i), tick=7)

    def crash(point: str) -> None:
        if point == "before_commit":
            raise Crash(point)

    world.ctx.crash = crash
    with pytest.raises(Crash):
        world.run("telegram", "111", "f", update_id="206")
    assert [x["id"] for x in records.incidents(world.store)] == ["HEN-2026-0001"]
    assert records.seen(world.store, "telegram", "206") is None  # redelivery will process it
    world.ctx.crash = lambda point: None
    reply = world.run("telegram", "111", "f", update_id="206")
    assert reply is not None and "HEN-2026-0002" in reply.text  # the id was never handed out


def test_crash_after_commit_loses_nothing(world: World) -> None:
    lines = ["hendelse", "a", "b", "c", "d", "e"]
    for i, line in enumerate(lines):
        world.run("telegram", "111", line, update_id=str(300 + i), tick=7)

    def crash(point: str) -> None:
        if point == "after_commit":
            raise Crash(point)

    world.ctx.crash = crash
    with pytest.raises(Crash):
        world.run("telegram", "111", "f", update_id="306")
    world.ctx.crash = lambda point: None
    assert records.incident(world.store, "HEN-2026-0001") is not None
    # The platform redelivers the unanswered update: no second report, the same id is replied.
    reply = world.run("telegram", "111", "f", update_id="306")
    assert reply is not None and reply.duplicate and "HEN-2026-0001" in reply.text
    assert len(records.incidents(world.store)) == 1
