"""The naive matcher: every advisory x every municipality x every inventory item.

Same inputs and the same decisions as `certbot.match.Matcher` for the generated load
(vendor/product equality after lower-casing, CPE vendor:product, the version checked with
`certbot.versions.version_in`; prose advisories by substring of the product name).
"""

from __future__ import annotations

from certbot.config import SubscriberConfig
from certbot.model import Advisory
from certbot.versions import version_in


def naive_match(adv: Advisory, subscribers: list[SubscriberConfig]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    text = f"{adv.title}\n{adv.summary}".lower()
    for sub in subscribers:
        for i, item in enumerate(sub.inventory):
            hit = False
            if adv.structured:
                for p in adv.products:
                    if p.status not in ("affected", "under_investigation"):
                        continue
                    same = (p.vendor.lower(), p.product.lower()) == (
                        item.vendor.lower(),
                        item.product.lower(),
                    )
                    if not same and p.cpe and item.cpe:
                        same = p.cpe.split(":")[3:5] == item.cpe.split(":")[3:5]
                    if not same:
                        continue
                    declared = item.version or (item.cpe.split(":")[5] if item.cpe else None)
                    if declared and p.versions and version_in(declared, p.versions) is False:
                        continue
                    hit = True
            elif item.product.lower() in text:
                hit = True
            if hit:
                out.setdefault(sub.id, []).append(i)
    return out
