"""The performance shortcuts give what the slow paths they replace gave.

- `Advisory.to_json` (no `dataclasses.asdict` deep copy) serialises exactly like asdict did;
- ingest's case fingerprint (the advisory in hand plus its siblings parsed once per call) is
  the fingerprint of the case `load_case` reads back.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from certbot.model import TLP, Advisory, AffectedProduct, Remediation
from certbot.store import Store
from certbot.store.cases import _fingerprint

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _asdict_json(a: Advisory) -> dict:
    data = dataclasses.asdict(a)
    for k in ("published", "updated", "due_date"):
        if data[k] is not None:
            data[k] = data[k].isoformat()
    data["tlp"] = None if a.tlp is None else a.tlp.name
    return data


def _advisory(source: str, sid: str, cve: str, **kw) -> Advisory:
    return Advisory(
        source=source,
        source_id=sid,
        title=f"{source} {sid}",
        cves=(cve,),
        published=T0,
        due_date=date(2026, 3, 20),
        products=(AffectedProduct("Fortinet", "FortiOS", "vers:generic/<7.2.9"),),
        remediations=(Remediation("vendor_fix", "Oppgrader"),),
        **kw,
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@given(extra=st.dictionaries(st.text(max_size=4), json_values, max_size=3))
def test_to_json_is_what_asdict_gave(extra: dict) -> None:
    a = _advisory("csaf", "x-1", "CVE-2026-0001", tlp=None, extra=extra, exploited=True)
    assert a.to_json() == _asdict_json(a)
    assert json.dumps(a.to_json(), sort_keys=True) == json.dumps(_asdict_json(a), sort_keys=True)


def test_to_json_leaves_the_advisory_untouched() -> None:
    a = _advisory("kev", "k-1", "CVE-2026-0002", extra={"nested": {"list": [1, 2]}})
    data = a.to_json()
    data["extra"]["nested"]["list"].append(3)
    assert a.extra == {"nested": {"list": [1, 2]}}


def test_ingest_fingerprint_is_that_of_the_stored_case(tmp_path) -> None:
    store = Store(tmp_path / "c.db")
    cve = "CVE-2026-0003"
    # Three sources for one CVE, in separate ingest calls and one call with two of them;
    # then a changed version of the first (exploited, a new product).
    store.ingest([_advisory("nsm", "n-1", cve, tlp=TLP.GREEN)], now=T0)
    store.ingest(
        [_advisory("kev", cve, cve, exploited=True), _advisory("csaf", "c-1", cve)], now=T0
    )
    changed = dataclasses.replace(
        _advisory("nsm", "n-1", cve, tlp=TLP.GREEN),
        products=(AffectedProduct("Fortinet", "FortiProxy"),),
        cvss=9.8,
    )
    [change] = store.ingest([changed], now=T0)
    case = store.load_case(cve)
    assert case is not None and len(case.advisories) == 3
    stored = next(store.db.query("SELECT fingerprint, revision FROM cases WHERE id = ?", [cve]))
    assert json.loads(stored["fingerprint"]) == json.loads(json.dumps(_fingerprint(case)))
    assert stored["revision"] == 3  # new, exploited (kev), then the changed nsm advisory
    assert set(change.changes) == {"new_products", "severity_up"}
    store.close()
