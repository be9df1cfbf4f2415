"""Reporting reads for the weekly leadership report (issue 14.4): read-only, no writes.

`Reporting.report_alerts` gives one row per (case, municipality) alert created before a
moment, with what the report needs and nothing more: the priority, when it was alerted, the
earliest deadline of its matches, the current status and when it was first declared handled
(``remediation_done`` or ``not_affected``, from the ack history), the case title and the TLP
labels of its advisories (``tlp_unknown`` counts advisories without one: routed as RED).
Times are returned as stored (ISO 8601 text); `certbot.report.figures` compares them as
datetimes, since deadlines carry the offset they were decided in.
"""

from __future__ import annotations

from typing import Any

from certbot.store.base import StoreBase

HANDLED = ("remediation_done", "not_affected")

_ALERTS = """
SELECT l.case_id, l.subscriber_id, l.priority, l.created_at, c.title, k.status,
  (SELECT min(m.deadline) FROM matches m
     WHERE m.case_id = l.case_id AND m.subscriber_id = l.subscriber_id) AS deadline,
  (SELECT min(json_extract(h.value, '$.at')) FROM json_each(coalesce(k.history, '[]')) h
     WHERE json_extract(h.value, '$.status') IN (?, ?)) AS handled_at,
  (SELECT group_concat(DISTINCT json_extract(a.data, '$.tlp')) FROM advisories a
     WHERE a.case_id = l.case_id) AS tlps,
  (SELECT count(*) FROM advisories a
     WHERE a.case_id = l.case_id AND json_extract(a.data, '$.tlp') IS NULL) AS tlp_unknown
FROM alerts l JOIN cases c ON c.id = l.case_id
LEFT JOIN acks k ON k.case_id = l.case_id AND k.subscriber_id = l.subscriber_id
WHERE l.created_at < ? AND l.subscriber_id != 'operator'
ORDER BY l.subscriber_id, l.created_at, l.case_id
"""


class Reporting(StoreBase):
    def report_alerts(self, before: str) -> list[dict[str, Any]]:
        """Every municipality's alerts created before ``before`` (ISO 8601 UTC text)."""
        return list(self.db.query(_ALERTS, [*HANDLED, before]))
