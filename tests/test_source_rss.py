"""RSS/Atom source: golden output over samples, bad entries skipped, revisions, no crashes."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbot.config import FeedConfig
from certbot.errors import ParseError
from certbot.model import TLP, Advisory
from certbot.sources import get_source
from certbot.sources.rss import RssSource, find_cves, plain_text

DATA = Path(__file__).parent / "data" / "rss"
SAMPLES = sorted(p.name for p in DATA.iterdir())
LANG = {"nsm-varsler.xml": "nb", "cert-bund.xml": "de"}


def feed_for(name: str) -> FeedConfig:
    return FeedConfig(
        id=name.split(".")[0],
        kind="rss",
        url=f"https://feeds.example.org/{name}",
        language=LANG.get(name, "en"),  # type: ignore[arg-type]
    )


def parse(doc: bytes, name: str = "test.xml") -> list[Advisory]:
    return list(RssSource().parse(doc, feed_for(name)))


def as_golden(advisories: list[Advisory]) -> str:
    rows = sorted((a.to_json() for a in advisories), key=lambda d: d["source_id"])
    return json.dumps(rows, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


ONE_ITEM = (
    "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
    "<item><title>{title}</title><link>https://x.example/{guid}</link>"
    "<guid>{guid}</guid><description>{description}</description></item>"
    "</channel></rss>"
)


def item(title: str, guid: str = "g-1", description: str = "text") -> bytes:
    return ONE_ITEM.format(title=title, guid=guid, description=description).encode()


def test_registered() -> None:
    assert isinstance(get_source("rss"), RssSource) and RssSource.kind == "rss"


@pytest.mark.parametrize("name", SAMPLES)
def test_golden(name: str, golden) -> None:  # type: ignore[no-untyped-def]
    advisories = parse((DATA / name).read_bytes(), name)
    assert advisories, f"{name} gave no advisories"
    golden(f"rss/{name}.json", as_golden(advisories))


def test_nsm_sample_fields() -> None:
    by_id = {
        a.source_id: a for a in parse((DATA / "nsm-varsler.xml").read_bytes(), "nsm-varsler.xml")
    }
    fortios = by_id["nsm-varsel-2024-0042"]
    assert fortios.cves == ("CVE-2024-21762",)
    assert fortios.language == "nb" and fortios.tlp == TLP.CLEAR and not fortios.structured
    assert fortios.products == () and fortios.published is not None
    assert (
        fortios.published.tzinfo is not None and fortios.published.utcoffset().total_seconds() == 0
    )  # type: ignore[union-attr]
    assert "<" not in fortios.summary and "kritisk" in fortios.summary
    ivanti = by_id["nsm-varsel-2024-0007"]
    assert ivanti.cves == ("CVE-2023-46805", "CVE-2024-21887")  # lower-case cve upper-cased


def test_revision_markers() -> None:
    bund = {a.source_id: a for a in parse((DATA / "cert-bund.xml").read_bytes())}
    assert bund["WID-SEC-2024-0321"].revision == "UPDATE"
    assert bund["WID-SEC-2025-1800"].revision is None
    nl = {a.source_id: a for a in parse((DATA / "ncsc-nl.atom").read_bytes())}
    assert nl["NCSC-2024-0071"].revision == "1.01"
    assert nl["NCSC-2024-0220"].revision == "1.00"  # marker inside an HTML title


def test_two_digit_year_dates() -> None:
    cisa = parse((DATA / "cisa-advisories.xml").read_bytes())
    assert {a.published.year for a in cisa if a.published} == {2024}
    assert len([a for a in cisa if a.published]) == 2


def test_broken_entry_skipped_with_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="certbot.sources.rss"):
        advisories = parse((DATA / "broken-entry.xml").read_bytes(), "broken-entry.xml")
    assert [a.source_id for a in advisories][:2] == ["psirt-1", "psirt-3"]
    assert len(advisories) == 4  # 5 entries, one skipped
    skipped = [r for r in caplog.records if r.name == "certbot.sources.rss"]
    assert len(skipped) == 1 and "entry 1 skipped" in skipped[0].getMessage()
    garbage = next(a for a in advisories if a.source_id == "psirt-3")
    assert garbage.published is None and garbage.updated is None
    title_only = next(a for a in advisories if a.title.startswith("Title only"))
    assert title_only.source_id.startswith("sha256:") and title_only.url is None


def test_non_http_links_dropped() -> None:
    nl = {a.source_id: a for a in parse((DATA / "ncsc-nl.atom").read_bytes())}
    assert nl["urn:example:ncsc-nl:no-link"].url is None


def test_changed_item_changes_only_its_hash() -> None:
    doc = (DATA / "nsm-varsler.xml").read_bytes()
    before = {a.source_id: a.content_hash() for a in parse(doc)}
    changed = doc.replace(b"Aktivt utnyttet", b"Aktivt utnyttet (oppdatert)")
    after = {a.source_id: a.content_hash() for a in parse(changed)}
    assert before.keys() == after.keys()
    differ = [k for k in before if before[k] != after[k]]
    assert differ == ["nsm-varsel-2024-0007"]
    assert parse(doc)[0].content_hash() == parse(doc)[0].content_hash()  # deterministic


def test_html_and_whitespace_stripped_and_capped() -> None:
    assert plain_text("<p>a <b>b</b></p><p>c\n\n d</p>") == "a b c d"
    assert plain_text("x" * 5000).endswith("…") and len(plain_text("x" * 5000)) == 4000
    [adv] = parse(item("&lt;script&gt;alert(1)&lt;/script&gt;Hei", description="y" * 9000))
    assert "<script>" not in adv.title and len(adv.summary) <= 4000


def test_find_cves_dedupes_and_sorts() -> None:
    assert find_cves("cve-2024-0002 CVE-2024-0001", "CVE‑2024‑0001 CVE-2023-12345") == (
        "CVE-2023-12345",
        "CVE-2024-0001",
        "CVE-2024-0002",
    )


@pytest.mark.parametrize("doc", [b"", b"not xml", b"<html><body>hi</body></html>", b"{}"])
def test_not_a_feed_is_parse_error(doc: bytes) -> None:
    with pytest.raises(ParseError):
        parse(doc)


def test_bytes_are_never_a_path_or_url() -> None:
    for doc in (b"/etc/passwd", b"https://example.org/feed", b"file:///etc/passwd"):
        with pytest.raises(ParseError):
            parse(doc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_arbitrary_bytes_never_crash(doc: bytes) -> None:
    try:
        advisories = parse(doc)
    except ParseError:
        return
    assert all(isinstance(a, Advisory) for a in advisories)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_titles_never_crash(title: str) -> None:
    try:
        advisories = parse(item(escape(title)))
    except ParseError:
        return  # e.g. control characters XML does not allow
    assert len(advisories) == 1
    assert len(advisories[0].title) <= 500 and "\x00" not in advisories[0].title
