"""CISA KEV source: golden over a trimmed real catalogue, strict JSON, bad entries skipped."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certbot.config import FeedConfig
from certbot.errors import ParseError
from certbot.model import Advisory
from certbot.sources import get_source
from certbot.sources.kev import KevSource, load_json

DATA = Path(__file__).parent / "data" / "kev" / "kev-sample.json"
FEED = FeedConfig(
    id="cisa-kev",
    kind="kev",
    url="https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
)


def parse(doc: bytes | str) -> list[Advisory]:
    raw = doc.encode() if isinstance(doc, str) else doc
    return list(KevSource().parse(raw, FEED))


def catalogue(entries: list[Any]) -> str:
    return json.dumps({"title": "t", "count": len(entries), "vulnerabilities": entries})


def entry(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "cveID": "CVE-2024-21762",
        "vendorProject": "Fortinet",
        "product": "FortiOS",
        "vulnerabilityName": "Fortinet FortiOS Out-of-bound Write Vulnerability",
        "dateAdded": "2024-02-09",
        "shortDescription": "Fortinet FortiOS contains an out-of-bound write vulnerability.",
        "requiredAction": "Apply mitigations per vendor instructions.",
        "dueDate": "2024-02-16",
        "knownRansomwareCampaignUse": "Unknown",
        "notes": "https://fortiguard.com/psirt/FG-IR-24-015 ; https://nvd.nist.gov/x",
        "cwes": ["CWE-787"],
    }
    base.update(over)
    return base


def test_registered() -> None:
    assert isinstance(get_source("kev"), KevSource) and KevSource.kind == "kev"


def test_golden(golden) -> None:  # type: ignore[no-untyped-def]
    advisories = parse(DATA.read_bytes())
    assert len(advisories) == json.loads(DATA.read_text())["count"] == 28
    rows = sorted((a.to_json() for a in advisories), key=lambda d: d["source_id"])
    golden("kev/kev-sample.json", json.dumps(rows, indent=2, ensure_ascii=False) + "\n")


def test_fields() -> None:
    [adv] = parse(catalogue([entry(knownRansomwareCampaignUse="Known")]))
    assert adv.source_id == "CVE-2024-21762" and adv.cves == ("CVE-2024-21762",)
    assert adv.exploited and adv.ransomware and adv.structured and adv.language == "en"
    assert adv.due_date == date(2024, 2, 16)
    assert adv.products[0].vendor == "Fortinet" and adv.products[0].product == "FortiOS"
    assert adv.products[0].versions is None and adv.products[0].entry == "CVE-2024-21762"
    assert adv.remediations[0].category == "required_action"
    assert adv.url == "https://fortiguard.com/psirt/FG-IR-24-015"
    assert adv.extra == {"cwes": ["CWE-787"], "date_added": "2024-02-09"}
    # the notes' links are the advisory's sources, not text to quote in a message
    assert adv.summary == "Fortinet FortiOS contains an out-of-bound write vulnerability."


@pytest.mark.parametrize(
    ("notes", "kept"),
    [
        ("https://a.example/x ; https://nvd.nist.gov/vuln/detail/CVE-2024-21762", ""),
        (
            "This vulnerability affects a common open-source component. For more information, "
            "please see: https://a.example/x ; https://nvd.nist.gov/y",
            "This vulnerability affects a common open-source component.",
        ),
        (
            "Reference CISA's ED 21-03 (https://www.cisa.gov/ed-21-03) for further guidance.",
            "Reference CISA's ED 21-03 for further guidance.",
        ),
        (
            "Please apply mitigations per vendor instructions.",
            "Please apply mitigations per vendor instructions.",
        ),
    ],
)
def test_notes_keep_their_words_and_drop_their_links(notes: str, kept: str) -> None:
    [adv] = parse(catalogue([entry(notes=notes)]))
    short = "Fortinet FortiOS contains an out-of-bound write vulnerability."
    assert adv.summary == (f"{short}\n\n{kept}" if kept else short)
    assert "http" not in adv.summary


def test_url_falls_back_to_catalogue_search() -> None:
    [adv] = parse(catalogue([entry(notes="see http://insecure.example/x")]))
    assert adv.url == (
        "https://www.cisa.gov/known-exploited-vulnerabilities-catalog?search=CVE-2024-21762"
    )


def test_bad_entries_skipped_with_log(caplog: pytest.LogCaptureFixture) -> None:
    entries = [
        entry(),
        {"vendorProject": "x"},
        "junk",
        entry(cveID="CVE-2023-4966", dueDate="soon"),
    ]
    with caplog.at_level(logging.WARNING, logger="certbot.sources.kev"):
        advisories = parse(catalogue(entries))
    assert [a.source_id for a in advisories] == ["CVE-2024-21762", "CVE-2023-4966"]
    assert advisories[1].due_date is None  # garbage date -> None, not a crash
    assert len([r for r in caplog.records if "skipped" in r.getMessage()]) == 2


def test_duplicate_keys_rejected() -> None:
    dup = '{"vulnerabilities": [{"cveID": "CVE-2024-0001", "cveID": "CVE-2024-0002"}]}'
    with pytest.raises(ParseError, match="duplicate JSON key 'cveID'"):
        parse(dup)
    with pytest.raises(ParseError, match="duplicate"):
        load_json('{"tlp": "CLEAR", "tlp": "RED"}')


def test_deep_nesting_is_parse_error() -> None:
    for doc in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        with pytest.raises(ParseError):
            parse(doc)


def test_huge_number_and_junk_are_parse_errors() -> None:
    for doc in ("1" * 10_000, b"\xff\xfe\x00garbage", "", "[]", '{"vulnerabilities": 3}'):
        with pytest.raises(ParseError):
            parse(doc)


def test_full_size_catalogue() -> None:
    sample = json.loads(DATA.read_text())
    big = dict(sample)
    big["vulnerabilities"] = [
        dict(e, cveID=f"CVE-2099-{i:05d}")
        for i in range(1404)
        for e in [sample["vulnerabilities"][i % 28]]
    ]
    doc = json.dumps(big).encode()
    advisories = parse(doc)  # the speed of this is measured in bench/, not asserted here
    assert len(advisories) == 1404
    assert len({a.source_id for a in advisories}) == 1404


def test_deterministic_and_diffable() -> None:
    doc = DATA.read_bytes()
    first = {a.source_id: a.content_hash() for a in parse(doc)}
    data = json.loads(doc)
    data["vulnerabilities"][0]["dueDate"] = "2030-01-01"
    second = {a.source_id: a.content_hash() for a in parse(json.dumps(data))}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == [data["vulnerabilities"][0]["cveID"]]


TEXT = st.text(max_size=40)
FIELD = st.one_of(TEXT, st.none(), st.integers(), st.lists(TEXT, max_size=3), st.booleans())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from([*entry().keys(), "extra"]), FIELD, max_size=12)
        | st.builds(entry, cveID=st.from_regex(r"CVE-\d{4}-\d{4,7}", fullmatch=True), notes=TEXT),
        max_size=5,
    )
)
def test_arbitrary_entries_never_crash(entries: list[dict[str, Any]]) -> None:
    advisories = parse(catalogue(entries))
    assert len(advisories) <= len(entries)
    assert all(a.exploited and a.cves == (a.source_id,) for a in advisories)
