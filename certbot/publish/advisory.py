"""A published advisory as certbot's own `Advisory` (source ``srm``), and what a revision
changed, in bokmål.

Contract: pure. `to_advisory(published)` is the structured advisory the publish path ingests
like any feed's: the team's products with their ``vers:`` ranges (`load.range_of`), the fixed
versions as vendor fixes, the recommended actions as mitigations, ``exploited`` (SSVC
exploitation "active"), the TLP label, ``withdrawn`` after a withdrawal. `what_changed(old,
new)` lists the changes between two drafts as short bokmål sentences (the revision history
entry and the text of the update the municipalities get); empty when nothing changed.
"""

from __future__ import annotations

from certbot.model import TLP, Advisory, AffectedProduct, Remediation
from certbot.publish.draft import Draft, PublishedAdvisory
from certbot.publish.load import range_of

SOURCE = "srm"  # the sector response team's own advisories


def tlp_of(label: str) -> TLP:
    return TLP[label.replace("+", "_")]


def _products(d: Draft) -> tuple[AffectedProduct, ...]:
    return tuple(
        AffectedProduct(
            vendor=p.vendor,
            product=p.product,
            versions=range_of(p),
            cpe=p.cpe,
            purl=p.purl,
            fixed_version=p.fixed[0] if len(p.fixed) == 1 else None,
            entry=f"products[{i}]",
            evidence=p.versions or "",
        )
        for i, p in enumerate(d.products)
    )


def _remediations(d: Draft) -> tuple[Remediation, ...]:
    out = [
        Remediation("vendor_fix", f"Oppdater {p.vendor} {p.product} til {f}", fixed_version=f)
        for p in d.products
        for f in p.fixed
    ]
    out += [Remediation("mitigation", text) for text in d.actions]
    return tuple(out)


def to_advisory(adv: PublishedAdvisory) -> Advisory:
    d = adv.draft
    summary = d.summary
    if adv.status == "withdrawn":
        summary = f"Varselet er trukket tilbake. {adv.withdraw_reason or ''}".strip()
    elif adv.revision > 1:
        summary = f"Oppdatert (versjon {adv.revision}): {adv.history[-1].summary}.\n\n{summary}"
    if d.details and adv.status != "withdrawn":
        summary = f"{summary}\n\n{d.details}"
    return Advisory(
        source=SOURCE,
        source_id=adv.id,
        title=d.title,
        summary=summary,
        url=d.references[0] if d.references else None,
        published=adv.initial,
        updated=adv.current,
        cves=d.cves,
        aliases=(adv.id,),
        tlp=tlp_of(d.tlp),
        language="nb",
        cvss=d.cvss,
        exploited=d.exploited,
        products=_products(d),
        remediations=_remediations(d),
        structured=True,
        revision=str(adv.revision),
        withdrawn=adv.status == "withdrawn",
        extra={"publisher": "srm", "revision": adv.revision},
    )


def _product_lines(old: Draft, new: Draft) -> list[str]:
    out = []
    before = {(p.vendor, p.product): p for p in old.products}
    after = {(p.vendor, p.product): p for p in new.products}
    for key, p in after.items():
        name = f"{p.vendor} {p.product}"
        q = before.get(key)
        if q is None:
            out.append(f"Nytt berørt produkt: {name}")
            continue
        if p.versions != q.versions:
            out.append(f"Berørte versjoner av {name} er endret: {p.versions or 'alle'}")
        if added := [f for f in p.fixed if f not in q.fixed]:
            out.append(f"Rettet versjon for {name}: {', '.join(added)}")
    out += [f"Ikke lenger berørt: {v} {p}" for (v, p) in before if (v, p) not in after]
    return out


def what_changed(old: Draft, new: Draft) -> list[str]:
    """The changes from ``old`` to ``new`` in bokmål (ids are not compared)."""
    out = []
    if old.title != new.title:
        out.append("Ny tittel")
    if old.tlp != new.tlp:
        out.append(f"TLP endret fra {old.tlp} til {new.tlp}")
    if new.exploited and not old.exploited:
        out.append("Sårbarheten er nå kjent utnyttet")
    elif old.exploited and not new.exploited:
        out.append("Sårbarheten er ikke lenger kjent utnyttet")
    if added := [c for c in new.cves if c not in old.cves]:
        out.append(f"Nye CVE-er: {', '.join(added)}")
    if old.cvss != new.cvss:
        out.append(f"CVSS-poeng endret fra {old.cvss or 'ingen'} til {new.cvss or 'ingen'}")
    out += _product_lines(old, new)
    if old.actions != new.actions:
        out.append("Anbefalte tiltak er endret")
    if old.recipients != new.recipients:
        out.append("Mottakerlisten er endret")
    texts = (
        "summary",
        "details",
        "references",
        "title_en",
        "summary_en",
        "details_en",
        "actions_en",
    )
    if any(getattr(old, k) != getattr(new, k) for k in texts):
        out.append("Teksten er oppdatert")
    return out
