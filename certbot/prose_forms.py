"""The phrase forms certbot reads in prose advisories (bokmål, nynorsk, English), as regexes.

Data only, no logic beyond compiling: `certbot.prose` applies them. Every form here is one a
Norwegian or English security advisory actually writes; a form missing here is simply not
read (the item stays "possibly affected"), so add a form only with a test in tests/test_prose.py.

Version tokens need at least one dot ("7.2.7", "12.1", "v9.80"): bare integers are years,
counts and CVE fragments far more often than versions.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

# A version: "7.2.7", "v9.80", "10.0.17763.5458". Not inside a longer token, a date or a path.
# A version followed by an update, build or patch qualifier ("8.0 U3", "2019 CU14",
# "12.0.0.1420 P20230223") is not a version this module can compare: it is not one.
_QUALIFIER = r"(?!\s*(?:u|cu|sp|hf|mr|p|r|update|build|patch|hotfix|service\s+pack)\s?\d)"
# OpenSSH's portable "9.8p1" and PAN-OS's hotfix "10.2.9-h1" are one version each.
VER = rf"(?<![\w.\-/])v?\d+(?:\.\d+)+(?:p\d+|-h\d+)?(?![\w/]|\.\d){_QUALIFIER}"
VERSION = re.compile(VER, _I)
# Anything that looks like a dotted number: one no form accounts for makes a range unreadable.
NUMBER = re.compile(r"\d+(?:\.\d+)+")
_V = rf"({VER})"
# A list of versions: "7.4.3, 7.2.7, 7.0.14", "7.2.7 og 7.4.3", "7.2.7 or 7.4.3".
_VLIST = rf"({VER}(?:\s*(?:,|\bog\b|\beller\b|\band\b|\bor\b|&)\s*{VER})*)"
_VWORD = r"(?:versjon(?:en|ene|ane|ar|er)?\s+|versions?\s+|releases?\s+|utgåve\s+)?"

_BEFORE = (
    r"(?:før|fyre|eldre\s+enn|prior\s+to|before|earlier\s+than|older\s+than|lower\s+than|below)"
)
_AFTER = r"(?:nyere\s+enn|nyare\s+enn|etter|later\s+than|newer\s+than|after|above)"
_THROUGH = r"(?:til\s+og\s+med|t\.o\.m\.|up\s+to\s+and\s+including|through|thru)"
_BETWEEN_INCL = rf"(?:{_THROUGH}|til|to)"
_BETWEEN_EXCL = (
    r"(?:til,?\s+men\s+ikke\s+med|til,?\s+men\s+ikkje\s+med|up\s+to\s+but\s+not\s+including|"
    r"up\s+to\s+but\s+excluding|up\s+to,?\s+excluding)"
)
_FROM = r"(?:fra\s+og\s+med|frå\s+og\s+med|f\.o\.m\.|fra|frå|from|between|mellom)?\s*"
_EARLIER = r"(?:eldre|tidligere|tidlegare|earlier|older|prior|lower|below)"
_NEWER = r"(?:nyere|nyare|senere|seinare|later|newer|above|higher|høyere|høgare)"
_FIXED_VERB = (
    r"(?:rettet|retta|fikset|fiksa|løst|løyst|utbedret|fixed|resolved|patched|addressed|corrected)"
)
_UPGRADE_VERB = r"(?:oppdater\w*|oppgrader\w*|upgrad\w*|updat\w*|installer\w*|install)"

# A release branch written with a wildcard ("8.8.x"), and a version with a patch level
# ("8.8.11 patch 3"): the number and the patch count.
_BRANCH = r"(?<![\w.\-/])(\d+(?:\.\d+)*)\.x\b"
_PATCHED = r"(?<![\w.\-/])(\d+(?:\.\d+)+)\s+patch\s+(\d+)\b"
_BOUND = rf"(?:{_PATCHED}|{_V})"

# The range forms, tried left to right in the text; at one position the first form wins.
RANGE_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, _I))
    for name, pattern in (
        # "fixed in 7.2.7 and 7.4.3", "rettet i versjon 7.2.7", "retta i 7.2.7"
        ("fixed", rf"\b{_FIXED_VERB}\s+(?:i|in)\s+(?:[^\s\d]+\s+){{0,4}}?{_VWORD}{_VLIST}"),
        # "oppdater til 12.1 eller nyere", "upgrade to version 7.2.7 or later",
        # "oppdatere FortiOS til en rettet versjon (7.4.3, 7.2.7, 7.0.14 eller nyere)"
        (
            "upgrade",
            rf"\b{_UPGRADE_VERB}(?:\s+[^\s\d]+){{0,6}}?\s+(?:til|to)\s+(?:[^\s\d(]+\s+){{0,3}}?"
            rf"\(?{_VLIST}(?:\s*,?\s*(?:eller|or)\s+{_NEWER})?\)?",
        ),
        # "versions after 2.0 and before 3.0", "nyere enn 2.0 og eldre enn 3.0"
        ("after_before", rf"\b{_AFTER}\s+{_VWORD}{_V}\s*(?:,|og|and)?\s*{_BEFORE}\s+{_VWORD}{_V}"),
        # "2.0.0 up to but not including 2.1.0", "2.0.0 til, men ikke med 2.1.0"
        ("between_excl", rf"{_FROM}{_VWORD}{_V}\s*{_BETWEEN_EXCL}\s+{_VWORD}{_V}"),
        # "2.0.0 til og med 2.0.7", "fra og med 6.0 til 6.4.14", "2.0.0 through 2.0.7"
        ("between", rf"{_FROM}{_VWORD}{_V}\s*({_BETWEEN_INCL})\s*{_VWORD}{_V}"),
        # "7.2.0-7.2.6", "7.2.0 – 7.2.6" (same major version on both sides, else unreadable)
        (
            "dash",
            rf"(?<![\w.\-/])v?(\d+(?:\.\d+)+)\s*[-–]\s*v?(\d+(?:\.\d+)+)(?![\w/]|\.\d){_QUALIFIER}",
        ),
        # CVE descriptions: "8.7.x before 8.7.11 patch 10", "8.8.x before 8.8.11": that
        # branch below the bound; with a patch level the bound's own version stays affected
        ("branch_before", rf"{_BRANCH}\s+{_BEFORE}\s+{_VWORD}{_BOUND}"),
        # "before 8.6 patch 13": the patch level is not comparable, so 8.6 itself is affected
        ("before_patch", rf"\b{_BEFORE}\s+{_VWORD}{_PATCHED}"),
        # "versjoner før 3.4.1", "eldre enn 3.4.1", "versions prior to 3.4.1", "before 3.4.1"
        ("before", rf"\b{_BEFORE}\s+{_VWORD}{_V}"),
        # "til og med 7.2.6", "up to and including 7.2.6", "through 7.2.6"
        ("through", rf"\b{_THROUGH}\s+{_VWORD}{_V}"),
        # "7.2.6 og eldre", "7.2.6 and earlier", "7.2.6 or older"
        ("and_earlier", rf"{_V}\s*,?\s*(?:og|eller|and|or)\s+{_EARLIER}\b"),
    )
)
# A list of bare major versions ("SQL Server Management Studio 19 og 20", "versjon 19 og 20",
# "versions 19 and 20"): each number is its whole major line (19.x, 20.x). Read only right
# after the product's name or after a version word, one to three digits each ("Exchange Server
# 2016 og 2019" names editions, not versions), at least two of them, nothing glued on ("20H2").
_MAJOR = r"(?<![\w.])\d{1,3}(?!\w|[.,]\d)"
_LIST_GLUE = r"(?:,(?:\s*(?:og|and|eller|or)\b)?|\bog\b|\band\b|\beller\b|\bor\b|&)"
_MAJORS = rf"({_MAJOR}(?:\s*{_LIST_GLUE}\s*{_MAJOR})+)"
MAJOR_LIST_AFTER_NAME = re.compile(rf"\s+{_VWORD}{_MAJORS}", _I)
MAJOR_LIST = re.compile(
    rf"\b(?:versjon(?:ene|ane|ar|er)?|versions?|releases?|utgåve)\s+{_MAJORS}", _I
)
MAJOR = re.compile(r"\d+")
# A sentence that goes on about the product the text just named without naming it again:
# "Sårbarheten gjelder versjoner til og med 12.1.2.172.", "Versions 8.0.0 through 8.3.2 are
# affected.", "Oppdater til 12.2 eller nyere.", "Rettet i 9.8p1." (prose.read_all).
CARRY_ON = re.compile(
    r"^(?:sårbarhet(?:en|ene|a)|sårbarheit(?:a|ene)|feilen|feila|versjon\w*|versions?|releases?|"
    r"the\s+(?:vulnerability|flaw|issue)|this\s+(?:vulnerability|flaw|issue)|"
    r"rettet|retta|fikset|fiksa|fixed|patched|oppdater\w*|oppgrader\w*|upgrad\w*|updat\w*|"
    r"alle\s+versjon\w*|all\s+versions)\b",
    _I,
)
# A capitalised word after the first: the sentence names something (a product, a vendor).
NAMES_SOMETHING = re.compile(r"(?<=\s)[A-ZÆØÅ]")
UPGRADE_WORD = re.compile(rf"\b{_UPGRADE_VERB}\b", _I)
BARE_BETWEEN = {"til", "to", "-", "–"}  # "A to B" right after "upgrade" means from/to, not a range

# "alle versjoner av X", "all versions of X" -- unless a bound follows ("alle versjoner før 7.2").
ALL_VERSIONS = re.compile(
    rf"\b(?:alle\s+versjon(?:er|ar)|all\s+versions|every\s+version|samtlige\s+versjoner)\b"
    rf"(?!\s+(?:{_BEFORE}|{_THROUGH}|{_AFTER}|til|fra|from|up\s+to)\b)",
    _I,
)

# Negations that take a product out: "gjelder ikke X", "X er ikke berørt", "X er ikkje råka",
# "X is not affected", "does not affect X".
NEGATION = re.compile(
    r"\b(?:gjelder\s+ikke|gjeld\s+ikkje|berører\s+ikke|rører\s+ikkje|påvirker\s+ikke|"
    r"påverkar\s+ikkje|rammer\s+ikke|rammar\s+ikkje|"
    r"(?:er|blir|vert)\s+ikke\s+(?:berørt|rammet|påvirket|sårbar\w*|omfattet)|"
    r"(?:er|blir|vert)\s+ikkje\s+(?:berørt|råka|ramma|påverka|sårbar\w*|omfatta)|"
    r"ikke\s+berørt|ikkje\s+berørt|ikkje\s+råka|ikke\s+rammet|"
    r"berøres\s+ikke|påvirkes\s+ikke|rammes\s+ikke|"
    r"does\s+not\s+affect|doesn't\s+affect|do\s+not\s+affect|"
    r"(?:is|are)\s+not\s+(?:affected|vulnerable|impacted)|not\s+affected|unaffected)\b",
    _I,
)
NOT_BEFORE = re.compile(r"\b(?:ikke|ikkje|not)\s*$", _I)  # "..., men ikke FortiOS"

# A withdrawn or rejected CVE or advisory (the item then makes nobody affected).
WITHDRAWN = (
    re.compile(r"\*\*\s*REJECT\s*\*\*|\bREJECT(?:ED)?\b"),  # the CVE list's marker, upper case
    re.compile(
        r"^\s*\[?(?:trukket\s+tilbake|trekt\s+tilbake|avvist|withdrawn|rejected|revoked)\b", _I
    ),
    re.compile(
        r"\b(?:CVE-\d{4}-\d{4,}|CVE(?:-ID|-nummeret|-en)?|varsel(?:et)?|sårbarheten|meldinga|"
        r"advisory|bulletin|this\s+CVE|the\s+CVE)\b[^.]{0,80}?\b(?:er|har\s+blitt|blir|ble|"
        r"vart|er\s+no|is|has\s+been|was|were|have\s+been)\s+(?:nå\s+|now\s+|formally\s+)?"
        r"(?:trukket\s+tilbake|trekt\s+tilbake|avvist|withdrawn|rejected|revoked)\b",
        _I,
    ),
)

# A CVSS score written out: "CVSS 9.8", "CVSS-score 8,1", "CVSS v3.1: 9.6",
# "CVSSv3 score of 7.5", "CVSS 3.1-score på 9,8", "CVSS base score: 10.0".
CVSS = re.compile(
    r"\bCVSS(?:\s*[-:]?\s*(?:v(?:ersion)?\s*\d(?:\.\d)?|[234]\.[01x](?=\s*[-:]?\s*"
    r"(?:base|score|skår|poeng|\()))|\s*v\d)?"
    r"(?:\s*[-:]?\s*(?:base\s*)?(?:score|skår|poengsum|poeng|verdi|rating))?"
    r"(?:\s*(?:of|på|er|is|:|=|\(|av))*\s*"
    r"(\d{1,2}(?:[.,]\d)?)(?![\d/]|[.,]\d)",
    _I,
)

# Words that, right after an inventory name, make it part of a longer product name:
# "SQL Server Management Studio" is not "SQL Server", "Exchange Online" is not "Exchange Server".
CONTINUATION_WORDS = frozenset(
    {
        "management",
        "studio",
        "online",
        "cloud",
        "connector",
        "plugin",
        "plug",
        "addin",
        "extension",
        "sdk",
        "toolkit",
        "tools",
        "emulator",
        "mobile",
    }
)
# Known longer product names (normalised) that contain a common inventory name.
KNOWN_LONGER_NAMES = frozenset(
    {
        "sql server management studio",
        "sql server reporting services",
        "exchange online",
        "exchange online protection",
        "teams rooms",
        "outlook for android",
        "outlook for ios",
    }
)

SENTENCE_END = re.compile(r"(?<=[.!?])[\"»”)]?\s+(?=[\"«“(]?[A-ZÆØÅ0-9])|\n+")
# Where a sentence moves on to another product: "..., og FortiProxy 7.0.0 til 7.0.15".
OTHER_PRODUCT = re.compile(
    r"(?:,|;|\bog\b|\band\b|\bsamt\b|\beller\b|\bor\b|\bmens\b|\bwhile\b)\s+"
    r"(?=[A-ZÆØÅ][\w\-]*[A-Za-z]\s+(?:[A-ZÆØÅ]|v?\d))"
)
CLAUSE_END = re.compile(
    r"\s*;\s*|,?\s+(?:men|but|mens|while|whereas)\s+|,\s+(?!(?:og|and|eller|or)?\s*v?\d)", _I
)
