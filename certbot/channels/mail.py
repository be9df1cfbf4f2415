"""E-mail channel: a multipart/alternative message (text + HTML) sent over SMTP.

``render`` is pure: it cleans the untrusted advisory text, renders ``templates/email/<lang>/
<kind>.txt|.html|subject.txt`` and builds an `EmailMessage` with the TLP label in the subject,
a deterministic ``Message-ID`` derived from the delivery id (invariant I2: a re-send after a
crash carries the same id, so it can be spotted), ``List-Unsubscribe`` and
``Auto-Submitted``. Signed ack/status links planned for the recipient (``n.extra
["action_links"]``, issue 5) are offered in a short "Svar oss" / "Respond" section. The weekly
leadership report (kind ``report``) is built by `certbot.channels.mail_report`: its HTML and
chart PNG as ``multipart/related``, the chart referenced by ``cid:``. Both parts are quoted-printable, so any SMTP server takes them.

``deliver`` speaks SMTP through aiosmtplib, step by step, so it knows whether DATA had begun
when something failed (then the outcome is *ambiguous*). Transport security comes from
``service.smtp``: ``starttls: true`` makes STARTTLS mandatory (never a fallback to plain
text); port 465 means implicit TLS. A private CA can be trusted by passing an
`ssl.SSLContext` as ``MailChannel(ctx, tls_context=...)`` or in
``ctx.state["smtp_tls_context"]``. The password comes only from `read_secret` and never
appears in an error message.

Error mapping: 4xx replies, connection errors and timeouts are retryable; 5xx replies, a
refused recipient (5xx), a missing STARTTLS offer and an untrusted certificate are not.
"""

from __future__ import annotations

import re
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

import aiosmtplib
from aiosmtplib.email import flatten_message

from certbot.channels import Channel, ChannelContext, Payload, Sent, register
from certbot.channels._clean import clean_notification, one_line, tidy
from certbot.channels.mail_report import add_report_body
from certbot.config import read_secret
from certbot.errors import DeliveryError
from certbot.outbound.links import respond_links

if TYPE_CHECKING:
    from certbot.config import SmtpConfig, TargetConfig
    from certbot.model import Notification

SUBJECT_MAX = 200
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")


def sender_domain(sender: str) -> str:
    domain = sender.rpartition("@")[2]
    return domain if _DOMAIN.match(domain) else "certbot.invalid"


def message_id(delivery_id: str, sender: str) -> str:
    """``<delivery-id@sender-domain>``: the same delivery always gets the same Message-ID."""
    local = re.sub(r"[^A-Za-z0-9._+-]", "-", delivery_id)[:200] or "delivery"
    return f"<{local}@{sender_domain(sender)}>"


#: Local parts of addresses that usually reach a shared mailbox, not one person: a personal
#: (TLP:RED) target with one of them gets a check-config warning (README lists them).
SHARED_MAILBOXES = frozenset(
    "postmottak post it alle servicedesk firmapost kontakt support helpdesk "
    "postmaster drift sikkerhet security info".split()
)


@register
class MailChannel(Channel):
    kind = "email"
    rate_per_second = 10.0
    signed_links = True  # acknowledge/status links in the text and HTML parts (issue 5)
    address_help = "an e-mail address"
    service_secrets = ("smtp.password",)
    address_pattern = r"[^@\s]+@[^@\s]+\.[^@\s]+"
    address_problem = "{address!r} is not an e-mail address (name@example.no)"

    @classmethod
    def target_warning(cls, target: TargetConfig) -> str | None:
        local = (target.address or "").partition("@")[0].casefold()
        if target.personal and local in SHARED_MAILBOXES:
            return (
                f"'{target.address}' looks like a shared mailbox, not one person; "
                "use the person's own address or set personal: false"
            )
        return None

    def __init__(self, ctx: ChannelContext, *, tls_context: ssl.SSLContext | None = None):
        super().__init__(ctx)
        self.tls_context = tls_context or ctx.state.get("smtp_tls_context")

    # --- render (pure) --------------------------------------------------------------------

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        smtp = self.ctx.config.service.smtp
        sender = one_line(smtp.sender, 254)
        safe = clean_notification(n)
        r = self.ctx.renderer
        subject = one_line(r.render("email", "subject.txt", safe), SUBJECT_MAX)
        mid = message_id(n.delivery_id, sender)

        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = sender
        msg["To"] = one_line(target.address or "", 254)
        msg["Message-ID"] = mid
        msg["List-Unsubscribe"] = f"<mailto:{sender}?subject=unsubscribe>"
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Certbot-Delivery"] = mid.strip("<>").partition("@")[0]
        msg["X-Certbot-TLP"] = n.tlp.label
        if n.kind == "report":  # the leadership report: HTML with its chart as a CID image
            text, _html = add_report_body(msg, safe)
        else:
            respond = respond_links(n)
            text = tidy(r.render("email", f"{n.kind}.txt", safe, sender=sender, respond=respond))
            html = tidy(
                r.render("email", f"{n.kind}.html", safe, html=True, sender=sender, respond=respond)
            )
            msg.set_content(text, cte="quoted-printable")
            msg.add_alternative(html, subtype="html", cte="quoted-printable")
        meta = {"message_id": mid, "subject": subject, "delivery_id": n.delivery_id}
        return Payload(channel="email", body=msg, text=text, meta=meta)

    # --- deliver (I/O) --------------------------------------------------------------------

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        smtp = self.ctx.config.service.smtp
        msg: EmailMessage = payload.body
        del msg["Date"]
        msg["Date"] = format_datetime(datetime.now(UTC))
        password = self._password(smtp)
        client = self._client(smtp)
        stage, accepted = "connect", False
        try:
            await client.connect()
            if smtp.username:
                stage = "auth"
                await client.login(smtp.username, password or "")
            stage = "mail"
            await client.mail(parseaddr(smtp.sender)[1])
            stage = "rcpt"
            await client.rcpt(parseaddr(target.address or "")[1])
            stage = "data"
            await client.data(flatten_message(msg))
            accepted = True
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise _delivery_error(exc, stage, password) from None
        finally:
            if not accepted:
                client.close()
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()  # the message was accepted; a failed QUIT changes nothing
        return Sent(external_id=payload.meta["message_id"], detail={"stage": "accepted"})

    def _password(self, smtp: SmtpConfig) -> str | None:
        if smtp.password is None:
            return None
        value = read_secret(smtp.password.env, self.ctx.environ)
        if value is None:
            raise DeliveryError(
                f"SMTP password variable {smtp.password.env} (or {smtp.password.env}_FILE) "
                "is not set",
                retryable=False,
            )
        return value

    def _client(self, smtp: SmtpConfig) -> aiosmtplib.SMTP:
        implicit_tls = smtp.port == 465
        return aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            use_tls=implicit_tls,
            start_tls=smtp.starttls and not implicit_tls,
            validate_certs=smtp.validate_certs,
            tls_context=self.tls_context,
            timeout=smtp.timeout,
            local_hostname=sender_domain(smtp.sender),
        )


def _delivery_error(exc: BaseException, stage: str, password: str | None) -> DeliveryError:
    """Map an aiosmtplib/OS error to a DeliveryError whose message holds no secret."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        code = exc.code
        text = "" if stage == "auth" else one_line(exc.message, 120)
        if password:
            text = text.replace(password, "[redacted]")
        what = "recipient refused" if isinstance(exc, aiosmtplib.SMTPRecipientRefused) else "reply"
        return DeliveryError(
            f"SMTP {what} {code} at {stage}: {text}".rstrip(": "),
            retryable=400 <= code < 500,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(
            f"SMTP TLS certificate not trusted at {stage} ({exc.verify_message})",
            retryable=False,
        )
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return DeliveryError(f"SMTP timeout at {stage}", retryable=True, ambiguous=stage == "data")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError | OSError):
        return DeliveryError(
            f"SMTP connection failed at {stage} ({type(exc).__name__})",
            retryable=True,
            ambiguous=stage == "data",
        )
    if "STARTTLS" in str(exc).upper():
        return DeliveryError(
            "SMTP server does not offer STARTTLS; refusing to send in clear text",
            retryable=False,
        )
    return DeliveryError(f"SMTP error at {stage}: {one_line(str(exc), 120)}", retryable=False)
