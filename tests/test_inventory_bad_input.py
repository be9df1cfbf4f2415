"""Bad input to inventory import: each a clear error naming file, place and problem, and never
a half-written inventory (Hypothesis on the CSV reader)."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from certbot.cli import main
from certbot.config import load_config
from certbot.inventory import sbom
from certbot.inventory.importing import ImportRequest, run_import
from certbot.inventory.sbom import InputError
from certbot.inventory.table import Mapping, csv_safe, read_csv
from tests.test_inventory_import import SBOM, conf

GOOD = "Produkt,Leverandør,Versjon\nFortiOS,Fortinet,7.2.4\n"


def _import(root: Path, file: Path, **kw):
    return run_import(load_config(root), ImportRequest("0301", file, **kw))


@pytest.fixture
def root(tmp_path):
    r = conf(tmp_path / "conf")
    good = tmp_path / "good.csv"
    good.write_text(GOOD, "utf-8")
    _import(r, good)
    return r


def _unchanged(root: Path, before: bytes) -> None:
    assert (root / "inventories" / "0301.yaml").read_bytes() == before
    assert not [p for p in (root / "inventories").iterdir() if p.name.endswith(".tmp")]


def _bad(root: Path, path: Path, match: str, **kw) -> None:
    before = (root / "inventories" / "0301.yaml").read_bytes()
    with pytest.raises(InputError, match=match) as exc:
        _import(root, path, **kw)
    assert str(path) in str(exc.value) or path.name in str(exc.value)
    _unchanged(root, before)


def _half(name: str) -> bytes:
    """The first half of a real SBOM from tests/data/sbom."""
    text = (SBOM / name).read_text("utf-8")
    return text[: len(text) // 2].encode("utf-8")


# (file name, its content, what the error says, import options)
BAD_FILES = [
    pytest.param(
        "cut.cdx.json",
        _half("laravel-7.12.0.bom.1.4.json"),
        r"line \d+ column \d+: not valid JSON .*complete",
        {"fmt": "cyclonedx"},
        id="truncated_cyclonedx_json_names_the_line",
    ),
    pytest.param(
        "cut.xml",
        _half("valid-bom-1.6.xml"),
        r"line \d+ column \d+: not well-formed XML",
        {},
        id="truncated_cyclonedx_xml_names_the_line",
    ),
    pytest.param(
        "bad.spdx",
        b"SPDXVersion: SPDX-2.3\nPackageName: x\nPackageVersion\n",
        r"not an SPDX 2.2/2.3 document",
        {},
        id="spdx_that_does_not_parse",
    ),
    pytest.param("empty.csv", b"", r"\(file\): the file is empty", {}, id="empty_file"),
    pytest.param(
        "dup.csv",
        b"Produkt,Versjon,Produkt\nA,1,B\n",
        r"line 1: duplicate column\(s\) Produkt",
        {},
        id="duplicate_columns",
    ),
    pytest.param(
        "cols.csv",
        b"Program,Ver\nA,1\n",
        r"line 1: no product column .*'Program', 'Ver'.*--columns product=",
        {},
        id="no_product_column_names_the_headers",
    ),
    pytest.param(
        "n.csv",
        b"Produkt,Antall\nA,2\nB,mange\n",
        r"line 3: device count 'mange' is not a whole number",
        {},
        id="bad_device_count_names_the_line",
    ),
]


@pytest.mark.parametrize(("name", "content", "match", "kw"), BAD_FILES)
def test_a_bad_file_is_named_and_changes_nothing(root, tmp_path, name, content, match, kw):
    bad = tmp_path / name
    bad.write_bytes(content)
    _bad(root, bad, match, **kw)


def test_too_large_and_too_many_components(root, tmp_path, monkeypatch):
    big = tmp_path / "big.json"
    comps = [{"type": "library", "name": f"c{i}", "version": "1"} for i in range(50)]
    big.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": comps})
    )
    monkeypatch.setattr(sbom, "MAX_COMPONENTS", 10)
    _bad(root, big, r"50 components, more than the 10 certbot imports")
    monkeypatch.setattr(sbom, "MAX_BYTES", 100)
    _bad(root, big, r"MB is more than the 0 MB")


def test_unknown_kommunenummer(root, tmp_path, capsys):
    good = tmp_path / "good.csv"
    rc = main(["--config-dir", str(root), "inventory", "import", "9999", str(good)])
    err = capsys.readouterr().err
    assert rc == 2 and "9999: no municipality with this kommunenummer" in err
    assert not (root / "inventories" / "9999.yaml").exists()


@pytest.mark.parametrize(
    ("codec", "bom", "delimiter"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE, "\t"),
        ("utf-8", codecs.BOM_UTF8, ";"),
        ("cp1252", b"", ";"),
        ("utf-8", b"", "|"),
    ],
)
def test_excel_encodings_and_sniffed_delimiters(tmp_path, codec, bom, delimiter):
    f = tmp_path / "x.csv"
    text = f"Leverandør{delimiter}Produkt{delimiter}Versjon\r\nTietoevry{delimiter}Public 360{delimiter}5.1\r\n"
    f.write_bytes(bom + text.encode(codec))
    [c] = read_csv(f, Mapping.preset("generic"))
    assert (c.vendor, c.product, c.version) == ("Tietoevry", "Public 360", "5.1")


def test_csv_safe_neutralises_formulas():
    assert [csv_safe(c) for c in ("=1+1", "+1", "-2", "@SUM(A1)", "FortiOS")] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "FortiOS",
    ]


def test_a_bad_ignore_pattern_names_the_file(root, tmp_path):
    (root / "inventories" / "ignore.yaml").write_text("drivers: ['(']\n", "utf-8")
    before = (root / "inventories" / "0301.yaml").read_bytes()
    with pytest.raises(InputError, match=r"inventories/ignore.yaml: drivers: bad pattern"):
        _import(root, tmp_path / "good.csv")
    _unchanged(root, before)


cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=6).map(
            lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8")
        ),
    )
)
@example(data=b"\x00")
@example(data="A\u008cB,V\u0085,1\n".encode())  # C1 controls: YAML refuses them unescaped
def test_csv_reader_never_crashes_and_never_writes_partially(root, tmp_path, data):
    f = tmp_path / "h.csv"
    f.write_bytes(b"Produkt,Leverand\xc3\xb8r,Versjon\n" + data if data[:1] != b"\xff" else data)
    path = root / "inventories" / "0301.yaml"
    before = path.read_bytes()
    try:
        report = _import(root, f, fmt="csv")
    except InputError as exc:
        assert str(exc)
        _unchanged(root, before)
    else:
        load_config(root)  # whatever was written is a whole, valid inventory
        assert report.items >= 0
        path.write_bytes(before)
