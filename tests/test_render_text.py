"""Golden renderings: e-mail text + HTML and the console text, every kind, nb and en.

Run ``pytest --update-golden tests/test_render_text.py`` after an intended wording change and
review the diff of tests/golden/email and tests/golden/console.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from certbot.channels import ChannelContext
from certbot.channels._clean import clean_notification, tidy
from certbot.channels.mail import MailChannel
from certbot.config import Config, ServiceConfig, SmtpConfig, TargetConfig
from certbot.model import TLP, Priority
from certbot.render import Renderer
from tests import notifications as tn

KINDS = ["alert", "update", "digest", "operator", "test", "reminder"]
LANGS = ["nb", "en"]
TARGET = TargetConfig(id="it-vakt", kind="email", address="it-vakt@oslo.kommune.no")


def mail_channel(tmp_path: Path) -> MailChannel:
    smtp = SmtpConfig(sender="certbot@kommunecert.no")
    config = Config(root=tmp_path, service=ServiceConfig(smtp=smtp), feeds=(), subscribers=())
    return MailChannel(ChannelContext(config=config, renderer=Renderer()))


def build(kind: str, lang: str):
    return getattr(tn, f"make_{kind}")(lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_email_golden(tmp_path, golden, kind, lang):
    msg = mail_channel(tmp_path).render(build(kind, lang), TARGET).body
    golden(f"email/{lang}/{kind}.txt", msg.get_body(("plain",)).get_content())
    golden(f"email/{lang}/{kind}.html", msg.get_body(("html",)).get_content())
    golden(f"email/{lang}/{kind}.subject", msg["Subject"] + "\n")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_console_golden(golden, kind, lang):
    n = clean_notification(build(kind, lang))
    golden(f"console/{lang}/{kind}.txt", tidy(Renderer().render("console", "alert.txt", n)))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_message_starts_with_tlp_then_priority_then_deadline(tmp_path, kind, lang):
    n = build(kind, lang)
    text = mail_channel(tmp_path).render(n, TARGET).text
    lines = text.splitlines()
    assert lines[0] == n.tlp.label
    rest = lines[1:4]
    if n.priority is not None:
        assert rest[0].startswith(n.priority.name + " ")
    if n.deadline is not None:
        assert rest[1].startswith(("Frist: ", "Deadline: "))


def test_test_message_is_clearly_marked(tmp_path):
    payload = mail_channel(tmp_path).render(tn.make_test(), TARGET)
    assert payload.text.splitlines()[1] == "TEST – dette er en testmelding fra certbot"
    assert "[TEST]" in payload.meta["subject"]
    html = payload.body.get_body(("html",)).get_content()
    assert "TEST – dette er en testmelding fra certbot" in html


def test_deadline_is_shown_in_oslo_time(tmp_path):
    text = mail_channel(tmp_path).render(tn.make_alert(), TARGET).text
    assert "Frist: 10.02.2024 kl. 11:00" in text  # 10:00 UTC is 11:00 in Oslo in winter


def test_digest_groups_by_priority(tmp_path):
    text = mail_channel(tmp_path).render(tn.make_digest(), TARGET).text
    p3, p4 = text.index("P3 Planlagt (3)"), text.index("P4 Til orientering (1)")
    assert p3 < text.index("OpenSSL") < p4 < text.index("VMware Tools")


def test_subject_carries_tlp_priority_and_strict_label(tmp_path):
    n = tn.make_alert(tlp=TLP.AMBER_STRICT, priority=Priority.P2)
    subject = mail_channel(tmp_path).render(n, TARGET).meta["subject"]
    assert subject.startswith("[TLP:AMBER+STRICT] [P2] Fortinet FortiOS")
