"""FIRST EPSS scores: an enrichment source (``kind: epss``), not an advisory source.

The daily file ``epss_scores-YYYY-MM-DD.csv.gz`` (gzip or plain) starts with a comment line
``#model_version:v2023.03.01,score_date:2024-10-01T00:00:00+0000`` and a header
``cve,epss,percentile``; the JSON API (``https://api.first.org/data/v1/epss``) returns
``{"data": [{"cve": ..., "epss": "0.00043", "percentile": "0.0751", "date": ...}]}`` with the
numbers as strings. Both are read.

Contract with the pipeline: ``EpssSource.parse`` yields nothing (``enrichment = True``); for
enrichment sources the pipeline calls ``parse_scores(doc) -> EpssScores`` and stores
``scores[cve] = (epss, percentile)`` with ``model_version`` and ``score_date``.

Hostile input: a gzip body is inflated with a cap (``MAX_INFLATED``), rows that are not a CVE
with two numbers in 0..1 are skipped and counted in ``skipped``.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from certbot.enrich import epss as epss_expert
from certbot.errors import ParseError
from certbot.sources import Source
from certbot.sources.jsonload import load_json

if TYPE_CHECKING:
    from certbot.config import FeedConfig
    from certbot.model import Advisory

MAX_INFLATED = 256 * 1024 * 1024
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


@dataclass(slots=True)
class EpssScores:
    model_version: str | None = None
    score_date: str | None = None
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)
    skipped: int = 0


def _inflate(doc: bytes) -> bytes:
    if not doc.startswith(b"\x1f\x8b"):
        return doc
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(doc, MAX_INFLATED)
    except zlib.error:
        raise ParseError("EPSS file: corrupt gzip") from None
    if inflater.unconsumed_tail:
        raise ParseError(f"EPSS file: over {MAX_INFLATED} bytes once inflated")
    return out


def _score(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and 0.0 <= number <= 1.0 else None


def _add(result: EpssScores, cve: Any, epss: Any, percentile: Any) -> None:
    e, p = _score(epss), _score(percentile)
    cve = str(cve).strip().upper()
    if e is None or p is None or not _CVE.match(cve):
        result.skipped += 1
        return
    result.scores[cve] = (e, p)


def _comment(result: EpssScores, line: str) -> None:
    for part in line.lstrip("#").split(","):
        key, _, value = part.partition(":")
        if key.strip() == "model_version":
            result.model_version = value.strip()
        elif key.strip() == "score_date":
            result.score_date = value.strip()


def parse_scores(doc: bytes) -> EpssScores:
    """Daily CSV (gzip or plain) or API JSON -> EpssScores; ParseError if it is neither."""
    text = _inflate(doc).decode("utf-8", "replace")
    result = EpssScores()
    if text.lstrip().startswith("{"):
        data = load_json(text)
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise ParseError("EPSS JSON without a 'data' list")
        for row in rows:
            if isinstance(row, dict):
                _add(result, row.get("cve"), row.get("epss"), row.get("percentile"))
                result.score_date = result.score_date or row.get("date")
            else:
                result.skipped += 1
        return result
    header_seen = False
    for line in text.splitlines():
        if line.startswith("#"):
            _comment(result, line)
        elif not header_seen and line.replace(" ", "").lower().startswith("cve,epss"):
            header_seen = True
        elif line.strip():
            parts = line.split(",")
            if len(parts) < 3:
                result.skipped += 1
                continue
            _add(result, parts[0], parts[1], parts[2])
    if not header_seen:
        raise ParseError("EPSS CSV without a 'cve,epss,percentile' header")
    return result


class EpssSource(Source):
    """EPSS daily scores; see the module docstring for the enrichment contract."""

    kind = "epss"
    enrichment = True

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        return iter(())

    def parse_scores(self, doc: bytes) -> EpssScores:
        return parse_scores(doc)

    def enrich(self, store: Any, doc: bytes, feed: FeedConfig) -> int:
        """Pipeline hook (run in the store's writer thread): the EPSS expert keeps the scores
        (`certbot.enrich.epss.keep`); returns how many cases were updated."""
        return epss_expert.keep(store, parse_scores(doc))
