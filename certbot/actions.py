"""What a municipality should do, in its language: the action lines of a decision.

Contract: pure. ``actions(ctx)`` returns the localised steps for one case, one municipality and
its matched items; ``fixed_for_branch`` picks the fixed version for the branch an item runs;
``human_range`` renders a ``vers:`` range as text a person reads. Wording rules (DOMAIN.md):
the step names the version ("Oppgrader FortiOS 7.2.4 til 7.2.7 eller nyere innen …"); English
source text appears only as a labelled quote ("Leverandørens tekst (engelsk): «…»"); a version
the municipality declared is never asked for; KEV's ``requiredAction`` goes through the phrase
table in `certbot.kev_phrases`; CISA's instructions to US agencies are not orders to us.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from univers.version_constraint import VersionConstraint
from univers.version_range import VersionRange
from univers.versions import RpmVersion

from certbot.config import InventoryItem
from certbot.kev_phrases import COVERED_BY_UPGRADE, normalise, translate
from certbot.model import Case, Match, Priority, Remediation
from certbot.render import fmt_time
from certbot.version_sets import relation
from certbot.versions import ALL, normalise_version, parse_range

QUOTE_MAX = 400

T: dict[str, dict[str, str]] = {
    "nb": {
        "upgrade": "Oppgrader {product} {declared} til {fixed} eller nyere",
        "by": " innen {deadline}",
        "install_fix": "Installer leverandørens rettelse for {product}",
        "install_fix_v": "Installer leverandørens rettelse for {product} {declared}",
        "check_advisory": "Sjekk i leverandørens varsel om {product} {declared} er berørt",
        "add_version": "Legg inn versjon av {product} i inventaret for presise varsler",
        "see_advisory": "Leverandørens varsel: {url}",
        "temporary": "Ta i bruk midlertidig tiltak: {text}",
        "none_available": "Leverandøren har ingen rettelse ennå; bruk tiltakene over og følg med",
        "no_fix_planned": "Leverandøren planlegger ingen rettelse; vurder å erstatte eller "
        "isolere produktet",
        "kev_unknown": "Tiltak i CISAs katalog: {text}",
        "quote_en": "Leverandørens tekst ({language}): «{text}»",
        "quote_kev": "CISAs tekst (engelsk): «{text}»",
        "p1_isolate": "Vurder å koble {item} fra internett til rettelsen er installert",
        "p1_hunt": "Se etter tegn på kompromittering (logger, nye kontoer, ukjente filer)",
        "p1_report": "Meld fra til sektorresponsmiljøet med «hendelse» hvis dere finner spor",
        "p2_plan": "Planlegg oppdateringen denne uken",
        "p3_plan": "Ta med i neste planlagte oppdateringsrunde",
        "p4_info": "Til orientering; ingen handling kreves nå",
    },
    "en": {
        "upgrade": "Upgrade {product} {declared} to {fixed} or later",
        "by": " by {deadline}",
        "install_fix": "Install the vendor's fix for {product}",
        "install_fix_v": "Install the vendor's fix for {product} {declared}",
        "check_advisory": "Check the vendor's advisory for whether {product} {declared} is "
        "affected",
        "add_version": "Add the version of {product} to the inventory for precise alerts",
        "see_advisory": "Vendor advisory: {url}",
        "temporary": "Apply the temporary measure: {text}",
        "none_available": "The vendor has no fix yet; apply the measures above and keep watching",
        "no_fix_planned": "The vendor plans no fix; consider replacing or isolating the product",
        "kev_unknown": "Action in CISA's catalogue: {text}",
        "quote_en": "Source text ({language}): “{text}”",
        "quote_kev": "CISA's text: “{text}”",
        "p1_isolate": "Consider disconnecting {item} from the internet until the fix is installed",
        "p1_hunt": "Look for signs of compromise (logs, new accounts, unknown files)",
        "p1_report": "Report to the sector response team with 'incident' if you find traces",
        "p2_plan": "Plan the update this week",
        "p3_plan": "Include in the next planned patch cycle",
        "p4_info": "For information; no action needed now",
    },
}

LANGUAGE_NAMES = {
    "nb": {"en": "engelsk", "de": "tysk", "sv": "svensk", "da": "dansk", "nn": "nynorsk"},
    "en": {"nb": "Norwegian", "nn": "Norwegian", "de": "German", "sv": "Swedish", "da": "Danish"},
}

RANGE_WORDS = {
    "nb": {
        "all": "alle versjoner",
        "between": "{a} til før {b}",
        "between_incl": "{a} til og med {b}",
        ">=": "{v} og nyere",
        ">": "nyere enn {v}",
        "<": "før {v}",
        "<=": "til og med {v}",
        "=": "{v}",
        "!=": "unntatt {v}",
        "sep": ", ",
    },
    "en": {
        "all": "all versions",
        "between": "{a} up to before {b}",
        "between_incl": "{a} to {b}",
        ">=": "{v} and later",
        ">": "later than {v}",
        "<": "before {v}",
        "<=": "up to {v}",
        "=": "{v}",
        "!=": "except {v}",
        "sep": ", ",
    },
}


@dataclass(frozen=True, slots=True)
class ActionContext:
    """What the wording needs: the case, the matches with their items, the outcome."""

    case: Case
    matches: list[Match]
    items: list[InventoryItem]
    priority: Priority
    deadline: datetime | None
    lang: str


def _key(v: str) -> RpmVersion | None:
    try:
        return RpmVersion(normalise_version(v))
    except Exception:
        return None


def branch(version: str) -> tuple[str, ...]:
    """The release line a version belongs to: the part before a build suffix ("13.1-49.15"
    -> 13.1), else every dotted segment but the last ("7.2.4" -> 7.2, "10.0.17763.5458" ->
    10.0.17763); a two-segment version's branch is its major ("9.80" -> 9)."""
    v = normalise_version(version)
    if "-" in v:
        return tuple(re.split(r"[.]", v.split("-", 1)[0]))
    parts = v.split(".")
    return tuple(parts[:-1]) if len(parts) > 1 else tuple(parts)


def fixed_for_branch(declared: str, candidates: Iterable[str]) -> str | None:
    """The smallest fixed version greater than ``declared`` on the same branch; where the
    branch has none, the smallest greater one on any branch; None when nothing is greater."""
    mine = _key(declared)
    if mine is None:
        return None
    greater = [(k, c) for c in dict.fromkeys(candidates) if (k := _key(c)) is not None and k > mine]
    same = [(k, c) for k, c in greater if branch(c) == branch(declared)]
    pool = same or greater
    return normalise_version(min(pool)[1]) if pool else None


def human_range(text: str | None, lang: str = "nb") -> str | None:
    """'vers:generic/>=7.2.0|<7.2.7' -> '7.2.0 til før 7.2.7'; None when unreadable."""
    w = RANGE_WORDS.get(lang, RANGE_WORDS["en"])
    rng = parse_range(text)
    if rng is None:
        return None
    if rng is ALL:
        return w["all"]
    assert isinstance(rng, VersionRange)
    cons: list[VersionConstraint] = list(rng.constraints)
    shown = _as_written(text or "", len(cons))
    out: list[str] = []
    i = 0
    while i < len(cons):
        c = cons[i]
        nxt = cons[i + 1] if i + 1 < len(cons) else None
        if c.comparator in (">=", ">") and nxt is not None and nxt.comparator in ("<", "<="):
            key = "between" if nxt.comparator == "<" else "between_incl"
            out.append(w[key].format(a=shown.get(i, c.version), b=shown.get(i + 1, nxt.version)))
            i += 2
            continue
        out.append(w[c.comparator].format(v=shown.get(i, c.version)))
        i += 1
    return w["sep"].join(out)


def _as_written(text: str, n: int) -> dict[int, str]:
    """The versions of a plain `vers:` string as the source wrote them ('7.2.0', not the
    comparison form '7.2'), by position; empty when the string is not plain `vers:` or its
    constraints do not line up one to one with the parsed range."""
    if not text.startswith("vers:") or "/" not in text:
        return {}
    parts = [p.strip() for p in text.split("/", 1)[1].split("|") if p.strip()]
    if len(parts) != n:
        return {}
    return {i: p.lstrip("<>=!").strip() for i, p in enumerate(parts)}


def _shortened(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters: after its last whole sentence when that
    keeps at least half, else after a whole word, with "…" where words were left out."""
    head = text[: limit - 1]
    end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if end >= limit // 2:
        return head[: end + 1] + " …"
    cut = head.rfind(" ")
    return (head[:cut] if cut >= limit // 2 else head).rstrip(" ,;:") + "…"


def _quote(text: str, lang: str, kind: str = "quote_en", source: str = "en") -> str:
    """Source text as a labelled quote, shortened to QUOTE_MAX characters."""
    t = T.get(lang, T["en"])
    names = LANGUAGE_NAMES.get(lang, LANGUAGE_NAMES["en"])
    short = " ".join(text.split())
    if len(short) > QUOTE_MAX:
        short = _shortened(short, QUOTE_MAX)
    return t[kind].format(text=short, language=names.get(source, source))


def _source_language(case: Case, r: Remediation) -> str:
    for a in case.advisories:
        if r in a.remediations:
            return a.language
    return "en"


def _said(case: Case, r: Remediation, lang: str) -> str:
    """The remediation's own words: as they are when in the reader's language, else quoted."""
    source = _source_language(case, r)
    if source == lang:
        return " ".join(r.text.split())[:QUOTE_MAX]
    return _quote(r.text, lang, source=source)


def declared_version(item: InventoryItem) -> str | None:
    """The one version the municipality declared (``version``, or the CPE's version part)."""
    if item.version:
        return item.version
    if item.cpe:
        parts = item.cpe.split(":")
        if len(parts) > 5 and parts[5] not in ("*", "-", ""):
            return parts[5]
    return None


def _fixed_candidates(ctx: ActionContext, item: InventoryItem) -> list[str]:
    """The fixed versions that may apply to the item: the case's remediations, the products
    spelled as the item is, and the very entries that matched it (a CVE record's "Microsoft
    SharePoint Server 2019" matched "SharePoint Server" through the catalogue: its range's
    fix is the item's fix)."""
    case = ctx.case
    names = {item.product.lower(), *(a.lower() for a in item.aliases)}
    entries = {
        (m.source, m.entry) for m, i in zip(ctx.matches, ctx.items, strict=True) if i is item
    }
    out = [r.fixed_version for r in case.remediations if r.fixed_version]
    out += [
        p.fixed_version
        for adv, p in case.products
        if p.fixed_version and (p.product.lower() in names or (adv.source, p.entry) in entries)
    ]
    return [v for v in out if v]


def _fixed_above(declared_range: str, candidates: Iterable[str]) -> str | None:
    """The smallest fixed version above every version of a declared range."""
    above = [
        (k, c)
        for c in dict.fromkeys(candidates)
        if (k := _key(c)) is not None and relation(declared_range, f"vers:generic/<{c}") is True
    ]
    return normalise_version(min(above)[1]) if above else None


def _item_step(
    ctx: ActionContext, item: InventoryItem, confirmed: bool, t: dict[str, str]
) -> tuple[list[str], bool]:
    """The item's own step, and whether it is an upgrade to a named version."""
    declared = declared_version(item)
    by = t["by"].format(deadline=fmt_time(ctx.deadline, ctx.lang)) if ctx.deadline else ""
    url = ctx.case.urls[0] if ctx.case.urls else None
    link = [t["see_advisory"].format(url=url)] if url else []
    if declared is None:
        if item.versions:  # a declared range: say it as text, not as a vers: string
            declared_range = human_range(item.versions, ctx.lang) or item.versions
            if confirmed:  # all of the range is affected (certbot.version_sets)
                shown = f"({declared_range})"
                fixed = _fixed_above(item.versions, _fixed_candidates(ctx, item))
                if fixed is not None:
                    step = t["upgrade"].format(product=item.product, declared=shown, fixed=fixed)
                    return [step + by], True
                step = t["install_fix_v"].format(product=item.product, declared=shown)
                return [step + by, *link], False
            step = t["check_advisory"].format(product=item.product, declared=declared_range)
            return [step, *link], False
        return [t["add_version"].format(product=item.product), *link], False
    fixed = fixed_for_branch(declared, _fixed_candidates(ctx, item))
    if fixed is not None:
        return [
            t["upgrade"].format(product=item.product, declared=declared, fixed=fixed) + by
        ], True
    if confirmed or any(r.category == "vendor_fix" for r in ctx.case.remediations):
        step = t["install_fix_v"].format(product=item.product, declared=declared)
        return [step + by, *link], False
    return [t["check_advisory"].format(product=item.product, declared=declared), *link], False


def _remediation_steps(ctx: ActionContext, upgrading: bool, t: dict[str, str]) -> list[str]:
    out: list[str] = []
    has_fix = any(r.category == "vendor_fix" for r in ctx.case.remediations)
    for r in ctx.case.remediations:
        if r.category == "vendor_fix" and r.text and not upgrading:
            out.append(_said(ctx.case, r, ctx.lang))
        elif r.category in ("workaround", "mitigation") and r.text:
            out.append(t["temporary"].format(text=_said(ctx.case, r, ctx.lang)))
        elif r.category in ("none_available", "no_fix_planned") and not has_fix:
            out.append(t[r.category] + (f". {_said(ctx.case, r, ctx.lang)}" if r.text else ""))
        elif r.category == "required_action" and r.text:
            if upgrading and normalise(r.text) in COVERED_BY_UPGRADE:
                continue  # the upgrade step above says it with the version
            said = translate(r.text, ctx.lang)
            out.append(said or t["kev_unknown"].format(text=_quote(r.text, ctx.lang, "quote_kev")))
    return out


def _priority_steps(ctx: ActionContext, t: dict[str, str]) -> list[str]:
    if ctx.priority == Priority.P1:
        out = [t["p1_isolate"].format(item=i.display) for i in ctx.items if i.internet_facing][:1]
        return [*out, t["p1_hunt"], t["p1_report"]]
    key = {Priority.P2: "p2_plan", Priority.P3: "p3_plan"}.get(ctx.priority, "p4_info")
    return [t[key]]


def actions(ctx: ActionContext) -> list[str]:
    """The steps, most specific first, without repeats."""
    t = T.get(ctx.lang, T["en"])
    out: list[str] = []
    upgrading = False
    seen: set[int] = set()
    for match, item in zip(ctx.matches, ctx.items, strict=True):
        if id(item) not in seen:
            seen.add(id(item))
            lines, upgrade = _item_step(ctx, item, match.confirmed, t)
            out += lines
            upgrading = upgrading or upgrade
    out += _remediation_steps(ctx, upgrading, t)
    out += _priority_steps(ctx, t)
    return list(dict.fromkeys(out))
