"""Product identity: the normalisation table, catalogue look-ups, the generator reproducing the
shipped catalogue, "did you mean" suggestions and the check-config warning."""

from __future__ import annotations

import json
import re
import shutil
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certbot import identity
from certbot.cli import main as main_cli
from certbot.identity import build_number, catalogue, resolve, suggest
from certbot.identity.build import build, dumps, main
from certbot.identity.check import unknown_items
from certbot.identity.names import norm, split_compound, split_name
from tests.case_tables import cases
from tests.conftest import ROOT
from tests.factory import config, item, subscriber

DATA = Path(__file__).parent / "data" / "identity"
PACKAGE = Path(identity.__file__).parent


@pytest.mark.parametrize(
    ("vendor", "product", "expected"),
    [
        ("Fortinet", "Fortinet FortiOS", ("fortinet", "fortios", None, None)),
        ("Fortinet", "FortiOS", ("fortinet", "fortios", None, None)),
        ("Cisco", "Cisco Secure Firewall ASA", ("cisco", "secure firewall asa", None, None)),
        (
            "Microsoft",
            "Exchange Server 2016 CU23",
            ("microsoft", "exchange server", "2016", "CU23"),
        ),
        (
            "Microsoft",
            "Cumulative Update 23 for Microsoft Exchange Server 2016",
            ("microsoft", "exchange server", "2016", "CU23"),
        ),
        ("Veeam", "Veeam Backup & Replication", ("veeam", "backup replication", None, None)),
        ("Veeam", "Veeam Backup and Replication", ("veeam", "backup replication", None, None)),
        ("Microsoft", "Windows Server 2012 R2", ("microsoft", "windows server", "2012 r2", None)),
        (
            "Microsoft",
            "Windows Server 2008 Service Pack 2",
            ("microsoft", "windows server", "2008", "SP2"),
        ),
        ("Palo Alto Networks", "Palo Alto PAN-OS", ("palo alto networks", "pan os", None, None)),
        ("Fortinet, Inc.", "FortiOS®", ("fortinet", "fortios", None, None)),
        ("n/a", "VMware ESXi", ("", "vmware esxi", None, None)),
        # A product that is its vendor's name keeps it ("7-Zip" by "7-Zip").
        ("Zimbra", "Zimbra", ("zimbra", "zimbra", None, None)),
        ("Apache", "Struts 2", ("apache", "struts 2", None, None)),  # not a year
    ],
)
def test_normalisation_table(vendor, product, expected):
    n = split_name(vendor, product)
    assert (n.vendor, n.product, n.edition, n.update) == expected


def test_compound_split():
    assert split_compound("FortiOS and FortiProxy") == ["FortiOS", "FortiProxy"]
    assert split_compound("iOS, iPadOS, and macOS") == ["iOS", "iPadOS", "macOS"]
    assert split_compound("Backup & Replication") == ["Backup & Replication"]


@cases("identity-reviewed-entries")
def test_resolves_to_the_reviewed_entry(vendor, product, entry):
    r = resolve(vendor, product)
    assert r is not None and r.ids == (entry,)


def test_sql_server_is_not_sql_server_management_studio():
    assert resolve("Microsoft", "SQL Server").ids == ("microsoft/sql-server",)
    assert resolve("Microsoft", "SQL Server Management Studio").ids == (
        "microsoft/sql-server-management-studio",
    )


def test_veeam_and_nakivo_backup_and_replication_are_two_products():
    assert resolve("Veeam", "Backup and Replication").ids == ("veeam/backup-replication",)
    assert resolve("NAKIVO", "Backup and Replication").ids == ("nakivo/backup-replication",)


def test_vendor_must_agree():
    assert resolve("Other Vendor", "FortiOS") is None
    assert resolve("Apple", "iOS").ids == ("apple/ios",)
    assert resolve("Cisco", "IOS").ids == ("cisco/ios",)


def test_kev_compound_spelling_names_each_product():
    assert set(resolve("Fortinet", "FortiOS and FortiProxy").ids) == {
        "fortinet/fortios",
        "fortinet/fortiproxy",
    }
    r = resolve("Fortinet", "FortiManager and FortiWeb")  # not in KEV: the split rule
    assert r is not None and r.how == "compound"
    assert set(r.ids) == {"fortinet/fortimanager", "fortinet/fortiweb"}
    assert resolve("Fortinet", "FortiOS and Something Unknown") is None


def test_cpe_and_purl_resolve():
    assert resolve("x", "y", cpe="cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*").ids == (
        "fortinet/fortios",
    )
    r = resolve("x", "y", purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
    assert r is not None and r.ids == ("apache/log4j",) and r.how == "purl"


def test_exchange_cu_maps_to_the_build_of_its_release():
    # Microsoft/Get-ExchangeBuildNumber ExchangeBuildNumbers.csv: 2016 CU23 = 15.1.2507.6.
    assert build_number("Microsoft", "Exchange Server 2016 CU23") == "15.1.2507.6"
    assert build_number("Microsoft", "Exchange Server 2019", "CU14") == "15.2.1544.4"
    assert build_number("Microsoft", "Exchange Server", "CU14") is None  # which edition?
    assert build_number("Fortinet", "FortiOS", "7.2.4") is None


_any_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=40
)
_ascii_text = st.text(alphabet=string.ascii_letters + string.digits + " -_/,;:()&", max_size=40)


@given(_any_text)
def test_property_norm_is_idempotent(text):
    once = norm(text)
    assert norm(once) == once


@given(_ascii_text)
def test_property_norm_is_case_and_punctuation_insensitive(text):
    assert norm(text.upper()) == norm(text.lower()) == norm(text)
    assert norm(re.sub(r"[-_/,;:()&]", " ", text)) == norm(text)
    assert norm(f"{text}®") == norm(text)  # a trademark sign is not a word


@given(
    st.sampled_from(["Fortinet", "Microsoft", "Cisco", "Veeam", "VMware"]),
    st.sampled_from(
        ["FortiOS", "Exchange Server 2016 CU23", "Secure Firewall ASA", "Backup & Replication"]
    ),
    st.sampled_from([str.lower, str.upper, str.title, lambda s: s.replace(" ", ", ")]),
)
def test_property_split_name_ignores_case_and_punctuation(vendor, product, form):
    assert split_name(form(vendor), form(product)) == split_name(vendor, product)


def test_generator_reproduces_the_shipped_catalogue():
    doc = build(DATA / "known_exploited_vulnerabilities.json", DATA / "cve5")
    assert dumps(doc) == (PACKAGE / "catalogue.json").read_text(encoding="utf-8")


def test_generator_is_deterministic_and_uses_the_overrides(tmp_path):
    kev = DATA / "known_exploited_vulnerabilities.json"
    a = dumps(build(kev, DATA / "cve5"))
    assert dumps(build(kev, DATA / "cve5")) == a
    empty = tmp_path / "overrides.yaml"
    empty.write_text("entries: []\n", encoding="utf-8")
    bare = build(kev, DATA / "cve5", empty)
    # Without the reviewed overrides KEV's two spellings are two unrelated products.
    ids = {
        e["id"]
        for e in bare["entries"]
        if ["Pulse Secure", "Pulse Connect Secure"] in e.get("kev", [])
    }
    ids_ivanti = {
        e["id"]
        for e in bare["entries"]
        if ["Ivanti", "Connect Secure and Policy Secure"] in e.get("kev", [])
    }
    assert ids.isdisjoint(ids_ivanti)
    shipped = json.loads(a)
    (entry,) = [e for e in shipped["entries"] if e["id"] == "ivanti/connect-secure"]
    assert ["Pulse Secure", "Pulse Connect Secure"] in entry["kev"]
    assert ["Ivanti", "Connect Secure and Policy Secure"] in entry["kev"]


def test_generator_command_line(tmp_path):
    out = tmp_path / "catalogue.json"
    cve = tmp_path / "cve"
    shutil.copytree(DATA / "cve5", cve)
    assert (
        main(
            [
                "--kev",
                str(DATA / "known_exploited_vulnerabilities.json"),
                "--cve",
                str(cve),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_text(encoding="utf-8") == (PACKAGE / "catalogue.json").read_text(
        encoding="utf-8"
    )


def test_catalogue_stats_cover_kev():
    stats = catalogue().meta["stats"]
    assert stats["kev_resolved"] > 0.9 and stats["renamed"] >= 50


def test_suggestions_are_for_typos_of_known_products():
    assert suggest("Microsoft", "Exhange Server")[0] == "Microsoft Exchange Server"
    assert suggest("Fortinet", "FortiOSS")[0] == "Fortinet FortiOS"
    assert suggest("Visma", "Visma Enterprise") == []


def test_check_config_warns_about_unknown_items_with_suggestions(tmp_path):
    sub_dir = tmp_path / "subscribers"
    sub_dir.mkdir()
    (sub_dir / "0301-oslo.yaml").write_text(
        "id: '0301'\nname: Oslo\ncounty: Oslo\ntargets: []\ninventory:\n"
        "  - vendor: Microsoft\n    product: Exchange Server\n"
        "  - vendor: Microsoft\n    product: Exhange Server\n"
        "  - vendor: Acme\n    product: Widget\n    cpe: 'cpe:2.3:a:acme:widget:1:*:*:*:*:*:*:*'\n",
        encoding="utf-8",
    )
    sub = subscriber(
        "0301",
        "Oslo",
        [
            item("Microsoft", "Exchange Server"),
            item("Microsoft", "Exhange Server"),
            item("Acme", "Widget", cpe="cpe:2.3:a:acme:widget:1:*:*:*:*:*:*:*"),
        ],
    )
    cfg = config([sub], root=tmp_path)
    cfg.files["0301"] = "subscribers/0301-oslo.yaml"
    (warning,) = unknown_items(cfg)
    assert warning.startswith(
        "subscribers/0301-oslo.yaml: inventory[1]: 'Microsoft Exhange Server'"
    )
    assert "did you mean 'Microsoft Exchange Server'" in warning
    assert warning.endswith("(line 8)")


def test_check_config_command_prints_the_unknown_item_warnings(capsys):
    # The shipped municipalities run Norwegian products KEV and the CVE records never name.
    assert main_cli(["--config-dir", str(ROOT), "check-config"]) == 0
    out = capsys.readouterr().out
    assert (
        "warning: subscribers/0301-oslo.yaml: inventory[13]: 'Tietoevry Public 360' is not in "
        "the product catalogue"
    ) in out
    assert "inventory[0]" not in out  # Microsoft Exchange Server is known


def test_unknown_items_do_not_fail_strict_check_config(capsys, monkeypatch):
    # --strict guards deployments against unset secrets; an unknown product is advice only.
    for name in ("TEAMS_WEBHOOK_0301", "TEAMS_WEBHOOK_1134", "TEAMS_WEBHOOK_4601"):
        monkeypatch.setenv(name, "https://example.invalid/hook")
    for name in ("SLACK_BOT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.setenv(name, "x")
    assert (
        main_cli(["--config-dir", str(ROOT / "examples" / "demo"), "check-config", "--strict"]) == 0
    )
    assert "is not in the product catalogue" in capsys.readouterr().out
