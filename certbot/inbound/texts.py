"""What the bot says back, in bokmål (default) and English."""

from __future__ import annotations

from typing import Any

TEXT: dict[str, dict[str, str]] = {
    "nb": {
        "slack_received": "Mottatt – svaret kommer.",
        "slack_failed": "Kommandoen feilet – prøv igjen senere.",
        "unknown_user": "Du har ikke tilgang. Be sektorresponsmiljøet legge til bruker-id {user}.",
        "denied": "Ikke tillatt: {why}.",
        "not_yours": "varselet gjelder ikke en kommune du svarer for",
        "viewer": "du har bare lesetilgang",
        "not_operator": "bare for operatører",
        "rate": "For mange kommandoer. Vent litt og prøv igjen.",
        "no_case": "Fant ikke varsel {case}.",
        "usage_ack": "Bruk: kvitter ID",
        "usage_status": "Bruk: status ID patchet|pågår|ikke-berørt [kommentar]",
        "acked": "Kvittert: {case} for {subs}.",
        "status_set": "Status for {case} ({subs}): {status}.",
        "mine_none": "Ingen åpne varsler.",
        "mine_head": "Åpne varsler:",
        "unknown_cmd": "Ukjent kommando. Skriv «hjelp».",
        "help": (
            "Kommandoer:\nkvitter ID – bekreft at varselet er sett\n"
            "status ID patchet|pågår|ikke-berørt [kommentar]\nmine – åpne varsler\n"
            "hendelse – meld en hendelse\nhjelp – denne teksten"
        ),
        "help_op": "\nOperatør: berorte ID, hendelser, oppdater HEN-ID pågår|videresendt|løst [kommentar], "
        "publiser (varsel fra sektorresponsmiljøet)",
        "inc_start": "Hendelsesrapport (skriv «avbryt» for å avbryte).",
        "inc_what_happened": "Hva har skjedd?",
        "inc_rsit_class": "Type hendelse (RSIT-klasse), f.eks. malicious-code, intrusions, "
        "fraud, availability, information-content-security, vulnerable, other:",
        "inc_services": "Hvilke tjenester eller systemer er berørt?",
        "inc_impact": "Konsekvens (funksjon, informasjon, gjenoppretting)?",
        "inc_measures": "Hvilke tiltak er gjort og planlagt?",
        "inc_others_notified": "Hvem andre er varslet (f.eks. NSM, politiet, Datatilsynet)?",
        "inc_cancelled": "Hendelsesrapporten er avbrutt.",
        "inc_done": "Takk. Hendelsen er registrert med id {id}. Sektorresponsmiljøet er varslet.",
        "inc_form": "Skjema: skriv «hendelse» og deretter linjer «felt: verdi» med feltene "
        "hva, klasse, type, tjenester, konsekvens, tiltak, varslet.",
        "inc_missing": "Mangler feltet «hva».",
        "inc_none": "Ingen åpne hendelser.",
        "inc_unknown": "Fant ikke hendelse {id}.",
        "inc_updated": "Hendelse {id}: status {status}.",
        "inc_relay": "Hendelse {id} er oppdatert: {status}. {comment}",
        "usage_update": "Bruk: oppdater HEN-ID pågår|videresendt|løst [kommentar]",
        "affected_head": "Berørte kommuner for {case}:",
        "affected_none": "Ingen kommuner er varslet om {case}.",
        "withheld_title": "[tittel holdt tilbake: {label}]",
        "withheld_content": "[innhold holdt tilbake: {label}]",
        "withheld_list": "[listen holdes tilbake i denne chatten: {label}]",
    },
    "en": {
        "slack_received": "Received – the answer follows.",
        "slack_failed": "The command failed – try again later.",
        "unknown_user": "You have no access. Ask the response team to add user id {user}.",
        "denied": "Not allowed: {why}.",
        "not_yours": "the alert is not for a municipality you act for",
        "viewer": "you have read-only access",
        "not_operator": "operators only",
        "rate": "Too many commands. Wait a little and try again.",
        "no_case": "No alert {case}.",
        "usage_ack": "Usage: ack ID",
        "usage_status": "Usage: status ID patched|in-progress|not-affected [comment]",
        "acked": "Acknowledged: {case} for {subs}.",
        "status_set": "Status of {case} ({subs}): {status}.",
        "mine_none": "No open alerts.",
        "mine_head": "Open alerts:",
        "unknown_cmd": "Unknown command. Type 'help'.",
        "help": (
            "Commands:\nack ID – confirm you have seen the alert\n"
            "status ID patched|in-progress|not-affected [comment]\nmine – open alerts\n"
            "incident – report an incident\nhelp – this text"
        ),
        "help_op": "\nOperator: affected ID, incidents, update INC-ID in-progress|forwarded|resolved, "
        "publiser (an advisory from the response team)",
        "inc_start": "Incident report (type 'cancel' to stop).",
        "inc_what_happened": "What happened?",
        "inc_rsit_class": "Kind of incident (RSIT class), e.g. malicious-code, intrusions, "
        "fraud, availability, information-content-security, vulnerable, other:",
        "inc_services": "Which services or systems are affected?",
        "inc_impact": "Impact (functional, information, recoverability)?",
        "inc_measures": "Measures taken and planned?",
        "inc_others_notified": "Who else has been notified?",
        "inc_cancelled": "The incident report was cancelled.",
        "inc_done": "Thank you. The incident is registered as {id}. The response team is notified.",
        "inc_form": "Form: type 'incident' then lines 'field: value' with the fields what, "
        "class, type, services, impact, measures, notified.",
        "inc_missing": "The field 'what' is missing.",
        "inc_none": "No open incidents.",
        "inc_unknown": "No incident {id}.",
        "inc_updated": "Incident {id}: status {status}.",
        "inc_relay": "Incident {id} was updated: {status}. {comment}",
        "usage_update": "Usage: update INC-ID in-progress|forwarded|resolved [comment]",
        "affected_head": "Municipalities affected by {case}:",
        "affected_none": "No municipality was alerted about {case}.",
        "withheld_title": "[title withheld: {label}]",
        "withheld_content": "[content withheld: {label}]",
        "withheld_list": "[list withheld in this chat: {label}]",
    },
}

STATUS_LABEL = {
    "nb": {
        "not_remediated": "ikke utbedret",
        "acknowledged": "kvittert",
        "remediation_in_progress": "utbedring pågår",
        "remediation_done": "patchet",
        "not_affected": "ikke berørt",
    },
    "en": {
        "not_remediated": "not remediated",
        "acknowledged": "acknowledged",
        "remediation_in_progress": "remediation in progress",
        "remediation_done": "patched",
        "not_affected": "not affected",
    },
}


def t(lang: str, key: str, **kw: Any) -> str:
    return TEXT.get(lang, TEXT["nb"])[key].format(**kw)


def status_label(lang: str, status: str) -> str:
    return STATUS_LABEL.get(lang, STATUS_LABEL["nb"]).get(status, status)
