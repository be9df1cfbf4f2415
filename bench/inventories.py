"""Realistic municipal inventories for the quality corpus and the steady-state simulation.

`LINES` lists the products Norwegian municipalities run, each under a truth key (what the
labels in ``bench/data/quality-cases.yaml`` name), with the spellings an IT person writes
(current and former product names, the vendor repeated in the product, a model number) and
versions on both sides of the fixes. `municipalities(n, seed)` draws n inventories from them
(40-80 items each) deterministically; ``python -m bench.inventories`` rewrites
``bench/data/quality-inventories.yaml`` (the six named ones the quality report runs).
The matcher never sees a truth key: it is kept next to the item, not in it.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import yaml

from bench.generate import _kommune

DATA = Path(__file__).resolve().parent / "data"
NAMES = ["Fjordvik", "Lyngdal indre", "Åsmark", "Nordre Holt", "Sørøy", "Elvebakken"]

# truth key: ([(vendor, product), ...], [versions], internet-facing?)
LINES: dict[str, tuple[list[tuple[str, str]], list[str | None], bool]] = {
    "fortios": ([("Fortinet", "FortiGate"), ("Fortinet", "FortiOS"), ("Fortinet", "Fortinet FortiOS"),
                 ("Fortinet", "FortiGate 100F")], ["7.2.4", "7.2.7", "7.2.10", "7.4.1", "7.4.3",
                 "7.0.12", "7.0.15", "6.4.15", "7.6.0", None], True),
    "fortiweb": ([("Fortinet", "FortiWeb")], ["7.4.6", "7.4.8", "7.6.2", "7.2.11"], True),
    "fortimanager": ([("Fortinet", "FortiManager")], ["7.4.2", "7.4.5", "7.2.8", "7.2.5"], False),
    "fortianalyzer": ([("Fortinet", "FortiAnalyzer")], ["7.4.2", "7.2.5"], False),
    "netscaler_adc": ([("Citrix", "NetScaler ADC"), ("Citrix", "Citrix ADC"), ("NetScaler", "ADC"),
                       ("Citrix", "NetScaler ADC VPX")], ["14.1-43.50", "14.1-47.46", "14.1-51.80",
                       "13.1-58.21", "13.1-59.19", "13.1-49.13", "13.0-92.21"], True),
    "netscaler_gateway": ([("Citrix", "Citrix Gateway"), ("Citrix", "NetScaler Gateway")],
                          ["14.1-43.50", "14.1-47.48", "13.1-58.32", "13.1-37.176"], True),
    "esxi": ([("VMware", "ESXi"), ("VMware", "VMware ESXi"), ("Broadcom", "VMware ESXi"),
              ("VMware", "vSphere ESXi")], ["7.0.3", "8.0.2", "8.0.3", "8.0.1"], False),
    "vcenter": ([("VMware", "vCenter Server"), ("Broadcom", "VMware vCenter")], ["8.0.2", "7.0.3"],
                False),
    "exchange_2016": ([("Microsoft", "Exchange Server 2016"), ("Microsoft", "Microsoft Exchange 2016")],
                      ["15.1.2507.35", "CU23"], True),
    "exchange_2019": ([("Microsoft", "Exchange Server 2019"), ("Microsoft", "Microsoft Exchange Server 2019")],
                      ["15.2.1258.28", "15.2.1544.4", "15.2.1544.11"], True),
    "sharepoint_2016": ([("Microsoft", "SharePoint Server 2016"), ("Microsoft", "SharePoint Enterprise Server 2016")],
                        ["16.0.5500.1001", "16.0.5513.1001"], False),
    "sharepoint_2019": ([("Microsoft", "SharePoint Server 2019"), ("Microsoft", "Microsoft SharePoint 2019")],
                        ["16.0.10417.20018", "16.0.10417.20027", "16.0.10417.20037"], False),
    "sharepoint_se": ([("Microsoft", "SharePoint Server Subscription Edition")],
                      ["16.0.18526.20424", "16.0.18526.20508"], True),
    "windows_server": ([("Microsoft", "Windows Server 2019"), ("Microsoft", "Windows Server 2022")],
                       ["10.0.17763.5936", "10.0.20348.2527", None], False),
    "sql_server": ([("Microsoft", "SQL Server 2019"), ("Microsoft", "Microsoft SQL Server 2022")],
                   ["15.0.4375.4", "16.0.4135.4"], False),
    "ssms": ([("Microsoft", "SQL Server Management Studio")], ["19.3", "20.2", "18.12.1"], False),
    "m365_apps": ([("Microsoft", "Microsoft 365 Apps for enterprise")], [None, "2408"], False),
    "edge": ([("Microsoft", "Edge")], ["138.0.3351.65", "139.0.3405.86"], False),
    "chrome": ([("Google", "Chrome"), ("Google", "Google Chrome")],
               ["138.0.7204.92", "138.0.7204.100", "138.0.7204.168", "137.0.7151.119"], False),
    "firefox": ([("Mozilla", "Firefox ESR")], ["128.12.0", "140.1.0"], False),
    "winrar": ([("RARLAB", "WinRAR"), ("win.rar GmbH", "WinRAR")], ["7.01", "7.12", "7.13", "6.24"], False),
    "7zip": ([("Igor Pavlov", "7-Zip")], ["24.09", "23.01"], False),
    "git": ([("Git", "Git"), ("Git SCM", "git")], ["2.43.0", "2.45.2", "2.50.1", "2.49.1"], False),
    # CVE-2025-48384 is not exploitable on Windows: Git for Windows is its own product here.
    "git_windows": ([("Git", "Git for Windows")], ["2.45.2.windows.1", "2.50.1.windows.1"], False),
    "openssh": ([("OpenBSD", "OpenSSH"), ("OpenSSH", "OpenSSH")], ["9.6p1", "9.8p1", "8.4p1", "9.2p1"], True),
    "apex_one": ([("Trend Micro", "Apex One"), ("Trend Micro", "Trend Micro Apex One")],
                 ["14.0.0.13028", "14.0.0.14136"], False),
    "ncentral": ([("N-able", "N-central"), ("N-able", "N-able N-central")], ["2025.2", "2025.3.1", "2025.4"], True),
    "cisco_ise": ([("Cisco", "Identity Services Engine"), ("Cisco", "ISE")],
                  ["3.3 Patch 4", "3.4 Patch 2", "3.2 Patch 7", "3.3 Patch 7"], False),
    "ios_xe": ([("Cisco", "IOS XE"), ("Cisco", "Cisco IOS XE Software")], ["16.6.4", "17.9.4a", "16.12.4", "16.3.5"],
               False),
    "anyconnect": ([("Cisco", "Secure Client"), ("Cisco", "AnyConnect Secure Mobility Client")], ["5.1.2.42"], False),
    "checkpoint_gw": ([("Check Point", "Quantum Security Gateway"), ("Check Point", "Quantum Gateway")],
                      ["R81.20", "R82", "R81.10"], True),
    "panos": ([("Palo Alto Networks", "PAN-OS")], ["11.1.2", "11.1.2-h3", "10.2.10", "10.1.11"], True),
    "crushftp": ([("CrushFTP", "CrushFTP")], ["11.3.1", "11.3.4_23", "10.8.4"], True),
    "wing_ftp": ([("Wing FTP", "Wing FTP Server")], ["7.4.3", "7.4.4"], True),
    "zimbra": ([("Synacor", "Zimbra Collaboration"), ("Zimbra", "Zimbra Collaboration Suite")], ["8.8.15", "10.0.8"],
               True),
    "veeam_br": ([("Veeam", "Backup & Replication"), ("Veeam", "Veeam Backup and Replication")],
                 ["12.1.2.172", "12.2.0.334", "12.0.0.1420"], False),
    "screenconnect": ([("ConnectWise", "ScreenConnect")], ["23.9.7", "23.9.8", "24.1"], True),
    "confluence": ([("Atlassian", "Confluence Data Center"), ("Atlassian", "Confluence Server")],
                   ["8.5.1", "8.5.3", "7.19.14"], True),
    "jira": ([("Atlassian", "Jira Software")], ["9.12.2"], True),
    "epmm": ([("Ivanti", "Endpoint Manager Mobile"), ("MobileIron", "MobileIron Core"), ("Ivanti", "EPMM")],
             ["11.8.1.0", "11.10.0.3", "11.9.1.0"], True),
    "teamviewer": ([("TeamViewer", "TeamViewer")], ["15.55.3"], False),
    "acrobat": ([("Adobe", "Acrobat Reader DC")], ["24.002.20759"], False),
    "apache_httpd": ([("Apache", "HTTP Server")], ["2.4.62"], True),
    "nginx": ([("F5", "nginx")], ["1.26.1"], True),
    "tomcat": ([("Apache", "Tomcat")], ["9.0.89"], False),
    "synology_dsm": ([("Synology", "DiskStation Manager")], ["7.2.1"], False),
    "ilo": ([("HPE", "iLO 5")], ["3.05"], False),
    "idrac": ([("Dell", "iDRAC9")], ["7.00.00.171"], False),
    "dse855": ([("Deep Sea Electronics", "DSE855")], ["1.0.26", "1.1.0"], False),
    "ecostruxure_ote": ([("Schneider Electric", "EcoStruxure Operator Terminal Expert")], ["3.4"], False),
    "siemens_s7": ([("Siemens", "SIMATIC S7-1500")], ["3.1.0"], False),
    "zyxel_usg": ([("Zyxel", "USG FLEX 200")], ["5.38"], True),
    "sophos_fw": ([("Sophos", "Firewall")], ["20.0.1"], True),
    "visma": ([("Visma", "Visma Flyt Skole")], [None], True),
    "acos": ([("Acos", "WebSak")], ["2024.1"], True),
    "public360": ([("Tietoevry", "Public 360")], [None], False),
    "moodle": ([("Moodle", "Moodle")], ["4.4.1"], True),
    "wordpress": ([("WordPress", "WordPress")], ["6.5.5"], True),
    "ubuntu": ([("Canonical", "Ubuntu Server")], ["22.04", "24.04"], False),
    "rhel": ([("Red Hat", "Enterprise Linux")], ["8.10", "9.4"], False),
    "ios": ([("Apple", "iOS")], ["17.5.1", "18.6"], False),
}  # fmt: skip

CORE = ("fortios", "windows_server", "m365_apps", "chrome", "edge", "exchange_2019")


def _item(key: str, rng: random.Random, k: int) -> dict[str, Any]:
    spellings, versions, exposed = LINES[key]
    vendor, product = rng.choice(spellings)
    version = rng.choice(versions)
    item: dict[str, Any] = {"vendor": vendor, "product": product}
    if version is not None:
        item["version"] = version
    if exposed and rng.random() < 0.8:
        item["internet_facing"] = True
    item["criticality"] = rng.choice(["medium", "medium", "high", "critical", "low"])
    return {"truth": key, "item": item, "k": k}


def municipalities(n: int, seed: int = 10) -> list[dict[str, Any]]:
    """n inventories: {"id", "name", "items": [{"truth", "item": InventoryItem fields}]}."""
    rng = random.Random(seed)
    keys = sorted(LINES)
    out = []
    for i in range(n):
        size = rng.randint(40, 80)
        rest = [k for k in keys if k not in CORE]
        picks = [*CORE, *rng.sample(rest, min(len(rest), size - len(CORE)))]
        # Larger municipalities run a product twice (two versions of FortiGate, two ESXi).
        while len(picks) < size:
            picks.append(rng.choice(keys))
        items = [_item(k, rng, j) for j, k in enumerate(picks)]
        name = NAMES[i] if i < len(NAMES) else f"Kommune {i + 1:03d}"
        sid, county = _kommune(i)
        out.append({"id": sid, "name": name, "county": county, "items": items})
    return out


def load_six() -> list[dict[str, Any]]:
    """The six inventories of the quality corpus, as checked in."""
    return yaml.safe_load((DATA / "quality-inventories.yaml").read_text())["municipalities"]


def main() -> int:
    six = municipalities(len(NAMES))
    head = (
        "# Generated by `python -m bench.inventories` (bench/inventories.py); see PROVENANCE.md.\n"
    )
    text = yaml.safe_dump({"municipalities": six}, allow_unicode=True, sort_keys=False, width=110)
    (DATA / "quality-inventories.yaml").write_text(head + text)
    print(f"{sum(len(m['items']) for m in six)} items in {len(six)} municipalities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
