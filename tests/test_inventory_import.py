"""inventory import: real SBOMs (CycloneDX 1.4/1.6 JSON and XML, SPDX 2.2/2.3 JSON and
tag-value), an Intune discovered-apps export and a cp1252 CMDB export; re-import rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from certbot.cli import main
from certbot.config import load_config
from certbot.inventory.importing import ImportRequest, run_import

ROOT = Path(__file__).resolve().parents[1]
SBOM = ROOT / "tests" / "data" / "sbom"
INV = ROOT / "tests" / "data" / "inventory"


def conf(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "feeds.yaml", tmp_path / "feeds.yaml")
    shutil.copytree(ROOT / "subscribers", tmp_path / "subscribers")
    return tmp_path


def imp(root: Path, file: Path, **kw):
    return run_import(load_config(root), ImportRequest("0301", file, **kw))


def items(root: Path) -> list[dict]:
    return yaml.safe_load((root / "inventories" / "0301.yaml").read_text("utf-8"))["items"]


def loaded(root: Path):
    return load_config(root).subscriber("0301").inventory


def test_cyclonedx_json_and_xml_give_the_same_items(tmp_path):
    a = conf(tmp_path / "a")
    b = conf(tmp_path / "b")
    ra = imp(a, SBOM / "laravel-7.12.0.bom.1.4.json")
    rb = imp(b, SBOM / "laravel-7.12.0.bom.1.4.xml")
    assert ra.fmt == rb.fmt == "cyclonedx"
    assert ra.components == rb.components == 63  # 62 components and the metadata component
    assert items(a) == items(b)
    # group "laravel", name "framework": the catalogue's name for it.
    framework = next(i for i in items(a) if i["product"] == "Laravel Framework")
    assert framework["vendor"] == "Laravel"
    assert framework["version"] == "v7.30.6"
    assert framework["purl"] == "pkg:composer/laravel/framework@v7.30.6"


def test_cyclonedx_16_keeps_cpe_as_23_and_purls(tmp_path):
    root = conf(tmp_path)
    imp(root, SBOM / "valid-bom-1.6.json")
    got = {i["product"]: i for i in items(root)}
    assert got["mylibrary"]["cpe"] == "cpe:2.3:a:example:myapplication:1.0.0:*:*:*:*:*:*:*"
    assert (
        got["tomcat-catalina"]["purl"] == "pkg:maven/com.acme/tomcat-catalina@9.0.14?packaging=jar"
    )
    assert got["tomcat-catalina"]["vendor"] == "Acme Inc"  # the publisher
    assert got["Acme Application"]["vendor"] == "ukjent"  # the document names none
    xml = conf(tmp_path / "x")
    imp(xml, SBOM / "valid-bom-1.6.xml")
    assert items(xml) == items(root)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SPDXJSONExample-v2.3.spdx.json", {"glibc", "Apache Commons Lang", "Jena", "Saxon"}),
        ("SPDXJSONExample-v2.2.spdx.json", {"glibc", "Apache Commons Lang", "Jena", "Saxon"}),
        ("SPDXTagExample-v2.3.spdx", {"glibc", "Apache Commons Lang", "Jena", "Saxon"}),
        ("ACME-v2.3.spdx.json", {"Acme Applcation", "elliptic", "alpine", "OpenSSL"}),
        ("example6-bin.spdx", {"hello-go-bin"}),
    ],
)
def test_spdx_json_and_tag_value(tmp_path, name, expected):
    root = conf(tmp_path)
    report = imp(root, SBOM / name)
    assert report.fmt == "spdx"
    assert {i["product"] for i in items(root)} == expected


def test_spdx_refs_are_kept(tmp_path):
    root = conf(tmp_path)
    imp(root, SBOM / "SPDXTagExample-v2.3.spdx")
    got = {i["product"]: i for i in items(root)}
    assert got["Jena"]["purl"] == "pkg:maven/org.apache.jena/apache-jena@3.12.0"
    # The example's glibc carries a spring_framework 4.1.0 CPE whose version disagrees with
    # glibc's 2.11.1: the CPE is left out (and said so), the item stays.
    assert "cpe" not in got["glibc"] and got["glibc"]["version"] == "2.11.1"
    acme = conf(tmp_path / "acme")
    imp(acme, SBOM / "ACME-v2.3.spdx.json")
    openssl = next(i for i in items(acme) if i["product"] == "OpenSSL")
    assert openssl["purl"] == "pkg:alpine/openssl@3.0.4"


def test_intune_export_drops_noise_and_keeps_one_item_per_version(tmp_path):
    root = conf(tmp_path)
    report = imp(root, INV / "intune-discovered-apps.csv", preset="intune")
    assert report.dropped == {"runtime libraries": 3, "drivers": 1, "language packs": 1}
    chrome = sorted((i["version"], i["devices"]) for i in items(root) if i["product"] == "Chrome")
    # One item per version; the Windows and macOS rows of the same version are summed.
    assert chrome == [("125.0.6422.142", 31), ("126.0.6478.127", 217)]
    chrome_item = next(i for i in items(root) if i["product"] == "Chrome")
    assert chrome_item["vendor"] == "Google"  # "Google LLC" / "Google Chrome": the catalogue's name
    assert not any("Redistributable" in i["product"] for i in items(root))


def test_cp1252_cmdb_export(tmp_path):
    root = conf(tmp_path)
    imp(root, INV / "cmdb-cp1252.csv")
    got = {i["product"]: i for i in items(root)}
    assert got["FortiOS"]["criticality"] == "critical" and got["FortiOS"]["devices"] == 2
    assert got["Public 360"]["note"] == "Sak/arkiv – «P360»"  # cp1252 read right
    assert "version" not in got["Flyt Skole"]
    # Formula-looking cells are text, never evaluated.
    formula = got["@SUM(1)"]
    assert (
        formula["vendor"] == '=HYPERLINK("http://x.example")'
        and formula["version"] == "+1"
        and formula["note"] == "-2"
    )


def test_the_subscriber_file_references_the_inventory_and_run_reads_it(tmp_path):
    root = conf(tmp_path)
    report = imp(root, SBOM / "ACME-v2.3.spdx.json")
    assert report.reference_added is not None
    sub_text = (root / "subscribers" / "0301-oslo.yaml").read_text("utf-8")
    assert 'inventory_file: "inventories/0301.yaml"' in sub_text
    assert "# Oslo kommune." in sub_text  # comments kept
    inv = loaded(root)
    assert any(i.product == "OpenSSL" and i.purl == "pkg:alpine/openssl@3.0.4" for i in inv)
    assert any(i.product == "Exchange Server" for i in inv)  # the hand-written items stay


def test_reimport_is_idempotent_keeps_flags_and_hand_items_and_drops_removed(tmp_path):
    root = conf(tmp_path)
    csv = tmp_path / "apps.csv"
    csv.write_text(
        "Produkt,Leverandør,Versjon\nFortiOS,Fortinet,7.2.4\nZoom Workplace,Zoom,6.0.11\n", "utf-8"
    )
    imp(root, csv)
    path = root / "inventories" / "0301.yaml"
    first = path.read_bytes()
    again = imp(root, csv)
    assert not again.written and path.read_bytes() == first  # twice = no change
    assert again.diff.added == again.diff.removed == again.diff.changed == []
    # The operator flags an imported item and writes an item by hand.
    data = yaml.safe_load(first)
    data["items"][0] |= {"internet_facing": True, "criticality": "critical", "note": "VPN"}
    data["items"].append({"vendor": "Visma", "product": "Flyt Skole"})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    csv.write_text(
        "Produkt,Leverandør,Versjon\nFortiOS,Fortinet,7.2.4\nFortiOS,Fortinet,7.4.1\n", "utf-8"
    )
    report = imp(root, csv)
    assert report.diff.added == ["Fortinet FortiOS 7.4.1"]
    assert report.diff.removed == ["Zoom Workplace 6.0.11"] or report.diff.removed[0].endswith(
        "6.0.11"
    )
    got = items(root)
    forti = next(i for i in got if i.get("version") == "7.2.4")
    assert (
        forti["internet_facing"] is True
        and forti["criticality"] == "critical"
        and forti["note"] == "VPN"
    )
    assert {"vendor": "Visma", "product": "Flyt Skole"} in got
    assert not any("Zoom" in i["product"] for i in got)


def test_dry_run_shows_the_diff_and_writes_nothing(tmp_path, capsys):
    root = conf(tmp_path)
    sub_before = (root / "subscribers" / "0301-oslo.yaml").read_bytes()
    rc = main(
        [
            "--config-dir",
            str(root),
            "inventory",
            "import",
            "0301",
            str(SBOM / "ACME-v2.3.spdx.json"),
            "--dry-run",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "would write inventories/0301.yaml" in out
    assert "added: 4" in out and "unknown:" in out
    assert not (root / "inventories").exists()
    assert (root / "subscribers" / "0301-oslo.yaml").read_bytes() == sub_before


def test_template_round_trips(tmp_path, capsys):
    root = conf(tmp_path)
    dest = tmp_path / "mal.csv"
    assert main(["--config-dir", str(root), "inventory", "template", str(dest)]) == 0
    text = dest.read_text("utf-8-sig")
    assert (
        text.splitlines()[0]
        == "Leverandør;Produkt;Versjon;Antall enheter;Internett-eksponert;Kritikalitet;Merknad"
    )
    assert len(text.splitlines()) == 4
    imp(root, dest)
    got = {i["product"]: i for i in items(root)}
    assert got["FortiOS"]["internet_facing"] is True and got["FortiOS"]["criticality"] == "critical"
    assert main(["--config-dir", str(root), "inventory", "template", str(dest)]) == 2  # exists


@pytest.mark.parametrize(
    "name",
    [
        "laravel-7.12.0.bom.1.4.json",
        "laravel-7.12.0.bom.1.4.xml",
        "valid-bom-1.6.json",
        "valid-bom-1.6.xml",
    ],
)
def test_the_direct_reader_for_big_boms_agrees_with_cyclonedx_python_lib(name, monkeypatch):
    from certbot.inventory import sbom

    path = SBOM / name
    text = path.read_text("utf-8")

    def fields(components):  # the library keeps components in a sorted set: order aside
        return sorted((c.vendor, c.product, c.version, c.cpe, c.purl) for c in components)

    by_library = fields(sbom.read_cyclonedx(path, text))
    monkeypatch.setattr(sbom, "LIBRARY_LIMIT", 0)
    assert fields(sbom.read_cyclonedx(path, text)) == by_library
