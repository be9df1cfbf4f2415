"""EPSS enrichment: daily CSV (plain and gzip) and API JSON, hostile rows, gzip bomb."""

from __future__ import annotations

import gzip
import json

import pytest

from certbot.config import FeedConfig
from certbot.errors import ParseError
from certbot.sources.epss import EpssSource, parse_scores

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


def test_enrich_hook_writes_case_enrichment() -> None:
    import sqlite_utils

    class Store:  # the two things the hook uses from certbot.store
        def __init__(self) -> None:
            self.db = sqlite_utils.Database(memory=True)
            self.db["aliases"].insert_all(
                [
                    {"alias": "CVE-2024-3400", "case_id": "c1"},
                    {"alias": "GHSA-xxxx", "case_id": "c1"},
                    {"alias": "CVE-1999-0001", "case_id": "c2"},
                ]
            )
            self.set: dict[tuple[str, str], object] = {}

        def set_enrichment(self, case_id: str, key: str, value: object) -> None:
            self.set[(case_id, key)] = value

    store = Store()
    feed = FeedConfig(id="epss", kind="epss", url="https://example.org/epss.csv.gz")
    assert EpssSource().enrich(store, gzip.compress(CSV), feed) == 1
    assert store.set[("c1", "epss")] == 0.95731
    assert store.set[("c1", "epss_percentile")] == 0.9995
    assert ("c2", "epss") not in store.set
