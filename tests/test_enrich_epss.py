"""EPSS enrichment: daily CSV (plain and gzip) and API JSON, hostile rows, gzip bomb."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certbot.config import FeedConfig
from certbot.enrich import epss as expert
from certbot.errors import ParseError
from certbot.sources.epss import EpssSource, parse_scores
from certbot.store import Store
from tests.factory import kev

CSV = (
    b"#model_version:v2023.03.01,score_date:2024-10-01T00:00:00+0000\n"
    b"cve,epss,percentile\n"
    b"CVE-2024-3400,0.95731,0.99950\n"
    b"CVE-2023-0001,0.00043,0.07510\n"
    b"cve-2021-44228,0.97565,0.99996\n"
    b"CVE-2024-0001,NaN,0.5\n"
    b"CVE-2024-0002,1.5,0.5\n"
    b"not-a-cve,0.1,0.1\n"
    b"short-row\n"
)


def test_csv_plain_and_gzip_agree() -> None:
    plain = parse_scores(CSV)
    assert plain.model_version == "v2023.03.01"
    assert plain.score_date == "2024-10-01T00:00:00+0000"
    assert plain.scores == {
        "CVE-2024-3400": (0.95731, 0.9995),
        "CVE-2023-0001": (0.00043, 0.0751),
        "CVE-2021-44228": (0.97565, 0.99996),
    }
    assert plain.skipped == 4
    assert parse_scores(gzip.compress(CSV)).scores == plain.scores


def test_api_json_with_string_numbers() -> None:
    doc = {
        "status": "OK",
        "data": [
            {
                "cve": "CVE-2022-27225",
                "epss": "0.000270000",
                "percentile": "0.058020000",
                "date": "2024-10-01",
            },
            {"cve": "CVE-2022-27223", "epss": "oops", "percentile": "0.1"},
        ],
    }
    scores = parse_scores(json.dumps(doc).encode())
    assert scores.scores == {"CVE-2022-27225": (0.00027, 0.05802)}
    assert scores.skipped == 1 and scores.score_date == "2024-10-01"


def test_source_contract_yields_no_advisories() -> None:
    source = EpssSource()
    feed = FeedConfig(id="epss", kind="epss", url="https://example.org/epss.csv.gz")
    assert source.enrichment is True and list(source.parse(CSV, feed)) == []
    assert source.parse_scores(CSV).scores["CVE-2024-3400"][0] == pytest.approx(0.95731)


def test_garbage_and_gzip_bomb_rejected(monkeypatch) -> None:
    monkeypatch.setattr("certbot.sources.epss.MAX_INFLATED", 1024 * 1024)
    with pytest.raises(ParseError):
        parse_scores(b"hello,world\n")
    with pytest.raises(ParseError):
        parse_scores(b"\x1f\x8b\x08\x00garbage")
    bomb = gzip.compress(b"0" * (2 * 1024 * 1024))  # 2 KB that inflates to 2 MB
    with pytest.raises(ParseError, match="inflated"):
        parse_scores(bomb)


def test_enrich_hook_stores_scores_per_cve_and_on_known_cases(tmp_path) -> None:
    from datetime import UTC, datetime

    from certbot.store import Store
    from tests.factory import kev

    store = Store(tmp_path / "c.db")
    store.ingest(
        [
            kev("CVE-2024-3400", "Palo Alto Networks", "PAN-OS"),
            kev("CVE-1999-0001", "Old", "Thing"),
        ],
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    feed = FeedConfig(id="epss", kind="epss", url="https://example.org/epss.csv.gz")
    assert EpssSource().enrich(store, gzip.compress(CSV), feed) == 1
    case = store.load_case("CVE-2024-3400")
    assert case is not None and case.epss == 0.95731
    assert case.enrichment["epss_percentile"] == 0.9995
    other = store.load_case("CVE-1999-0001")
    assert other is not None and other.epss is None
    # Every score is kept per CVE, for cases that appear after today's EPSS poll.
    assert store.epss_for(["CVE-2024-3400", "CVE-2099-0001"]) == (0.95731, 0.9995)
    store.close()


def test_the_epss_expert_keeps_looks_up_and_applies(tmp_path: Path) -> None:
    """certbot.enrich.epss: the day's file into the store and the cases; lookup per case."""
    store = Store(tmp_path / "s.db")
    (change,) = store.ingest(
        [kev("CVE-2024-3400", "Palo Alto Networks", "PAN-OS")], now=datetime.now(UTC)
    )
    assert expert.keep(store, parse_scores(CSV)) == 1
    fact = expert.lookup(store, ["CVE-2023-0001", "CVE-2024-3400", "CVE-2099-0001"])
    assert fact == expert.EpssFact(0.95731, 0.9995)
    assert expert.lookup(store, ["CVE-2099-0001"]) is None
    case = store.load_case(change.case_id)
    assert case is not None and case.enrichment["epss"] == 0.95731
    assert case.enrichment["epss_date"] == "2024-10-01T00:00:00+0000"
    expert.apply(store, change.case_id, expert.EpssFact(0.5, 0.6))
    again = store.load_case(change.case_id)
    assert again is not None and again.epss == 0.5
