"""The weekly leadership report as e-mail: the body of a ``report`` notification (issue 14.4).

Outlook shows no SVG and blocks ``data:`` images, so the chart travels as a PNG inside the
message: the HTML part and the image form a ``multipart/related`` part, and the page refers to
the image as ``cid:<chart_cid>``. The whole message is ``multipart/alternative``: the short
text summary first, then the related HTML and image. The HTML was rendered (autoescaped) when
the report was planned (`certbot.report.weekly`); nothing here adds advisory text.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage

from certbot.model import Notification


def add_report_body(msg: EmailMessage, n: Notification) -> tuple[str, str]:
    """Set ``msg``'s body for report ``n``; returns (text, html) as put in the message."""
    extra = n.extra
    text, html = n.summary, str(extra["report_html"])
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    html_part = msg.get_body(("html",))
    assert html_part is not None  # added just above
    png = base64.b64decode(str(extra["chart_png"]))
    html_part.add_related(
        png,
        maintype="image",
        subtype="png",
        cid=f"<{extra['chart_cid']}>",
        filename="trend.png",
        disposition="inline",
    )
    return text, html
