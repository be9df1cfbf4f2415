"""``incidents draft ID``: an incident report turned into a draft advisory for the operator to
edit and publish (issue 13.6).

Contract: `incident_draft(row)` takes an ``incidents`` row and returns the text of a Markdown
draft with YAML front matter that `load.load_draft` reads: TLP AMBER, the title from the
RSIT class, the summary from what happened, and the RSIT class and type, the affected
services, the impact and the measures in the Markdown text. The reporter's identity (who
reported, their chat) is never written; neither is the municipality as a recipient (the
operator chooses who gets it; a comment says which municipality reported it).
"""

from __future__ import annotations

from typing import Any

import yaml

RSIT_NB = {
    "abusive-content": "Uønsket innhold",
    "malicious-code": "Skadevare",
    "information-gathering": "Informasjonsinnhenting",
    "intrusion-attempts": "Innbruddsforsøk",
    "intrusions": "Innbrudd",
    "availability": "Angrep på tilgjengelighet",
    "information-content-security": "Brudd på informasjonssikkerheten",
    "fraud": "Svindel",
    "vulnerable": "Sårbare systemer",
    "other": "Annen hendelse",
}


def _section(title: str, text: Any) -> list[str]:
    value = str(text or "").strip()
    return [f"## {title}", "", value, ""] if value else []


def incident_draft(row: dict[str, Any]) -> str:
    klass = str(row.get("rsit_class") or "other").strip().lower()
    label = RSIT_NB.get(klass, klass.capitalize() or "Hendelse")
    what = str(row.get("what_happened") or "").strip() or "Beskriv hva som har skjedd."
    front = {
        "title": f"{label}: erfaringer fra en hendelse i en kommune",
        "tlp": "AMBER",
        "summary": what[:1500],
        "exploited": klass in ("intrusions", "malicious-code", "fraud"),
        "actions": ["Skriv de anbefalte tiltakene for andre kommuner her."],
    }
    rsit = f"RSIT-klasse: {klass}" + (f", type: {row['rsit_type']}" if row.get("rsit_type") else "")
    body = ["## Hendelsen", "", rsit, ""]
    body += _section("Berørte tjenester", row.get("services"))
    body += _section("Konsekvens", row.get("impact"))
    body += _section("Tiltak som er gjort", row.get("measures"))
    head = (
        f"# Utkast fra hendelse {row['id']} (meldt av kommune {row['municipality']}; den som\n"
        "# meldte er utelatt). Rediger, legg til mottakere (recipients) og publiser med\n"
        f"# kommune-certbot publish FIL --dry-run\n"
    )
    dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=88)
    return f"---\n{head}{dumped}---\n" + "\n".join(body).rstrip() + "\n"
