"""subscribers/*.yaml: one municipality per file (targets, inventory, people, quiet hours).

Contract: the file is named ``<kommunenummer>-<name>.yaml`` and its ``id`` agrees with the
name and with the county; inventory items carry valid CPE 2.3 names, package URLs and vers:
ranges. `load_subscriber` reads one file (libyaml first, the line-tracking loader again only
when there is a problem) and appends every problem, located by line, to ``problems``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import time
from pathlib import Path
from typing import Any, Literal

import yaml
from packageurl import PackageURL
from pydantic import (
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from certbot.channels import channel_classes
from certbot.config.common import Person, Strict, unique_ids
from certbot.config.targets import TargetConfig
from certbot.config.yaml_lines import (
    FieldProblem,
    at,
    format_validation,
    read_yaml,
    read_yaml_text,
)
from certbot.versions import parse_range

SUBSCRIBER_FILE = re.compile(r"^(\d{4})-[a-z0-9æøå-]+\.ya?ml$")
# County number (first two digits of a kommunenummer, 2024 numbering) -> accepted county names.
COUNTIES: dict[str, tuple[str, ...]] = {
    "03": ("Oslo",),
    "11": ("Rogaland",),
    "15": ("Møre og Romsdal",),
    "18": ("Nordland",),
    "31": ("Østfold",),
    "32": ("Akershus",),
    "33": ("Buskerud",),
    "34": ("Innlandet",),
    "39": ("Vestfold",),
    "40": ("Telemark",),
    "42": ("Agder",),
    "46": ("Vestland",),
    "50": ("Trøndelag", "Trööndelage"),
    "55": ("Troms", "Romsa", "Tromssa"),
    "56": ("Finnmark", "Finnmárku", "Finmarkku"),
}
# NIST IR 7695 formatted-string pattern for CPE 2.3 names.
_CPE_AVSTRING = (
    r"(((\?*|\*?)([a-zA-Z0-9\-._]|(\\[\\*?!\"#$%&'()+,/:;<=>@\[\]\^`{|}~]))+(\?*|\*?))|[*\-])"
)
CPE23 = re.compile(
    rf"^cpe:2\.3:[aho*\-](:{_CPE_AVSTRING}){{5}}"
    rf"(:(([a-zA-Z]{{2,3}}(-([a-zA-Z]{{2}}|[0-9]{{3}}))?)|[*\-]))(:{_CPE_AVSTRING}){{4}}$"
)


@functools.lru_cache(maxsize=65536)
def _is_cpe23(cpe: str) -> bool:
    return CPE23.match(cpe) is not None


@functools.lru_cache(maxsize=65536)
def _purl_problem(purl: str) -> str | None:
    """Why ``purl`` is not a package URL, or None; parsed once per distinct string (400
    inventories name the same packages: start-up parsed ~12,000 of them)."""
    try:
        PackageURL.from_string(purl)
    except ValueError as exc:
        return str(exc)
    return None


class InventoryItem(Strict):
    vendor: str = Field(min_length=1)
    product: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    version: str | None = None  # one exact version
    versions: str | None = None  # a vers: range, when several versions run
    cpe: str | None = None
    purl: str | None = None
    internet_facing: bool = False
    criticality: Literal["low", "medium", "high", "critical"] = "medium"
    # SSVC system exposure when not internet-facing (internet_facing means open).
    exposure: Literal["small", "controlled", "open"] | None = None
    note: str = ""

    @field_validator("version", mode="before")
    @classmethod
    def _version_str(cls, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            raise ValueError(
                f"YAML read the version as the number {v}; put it in quotes, e.g. "
                f'version: "{v}" (unquoted, 7.10 would become 7.1)'
            )
        return v

    @field_validator("cpe")
    @classmethod
    def _cpe(cls, v: str | None) -> str | None:
        if v is None or _is_cpe23(v):
            return v
        if v.startswith("cpe:/"):
            raise ValueError(
                "this is the old CPE 2.2 URI form; write the CPE 2.3 name, e.g. "
                "cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"
            )
        parts = len(re.split(r"(?<!\\):", v))
        why = (
            f"it has {parts} of the 13 colon-separated parts"
            if parts != 13
            else "the third part must be a, o or h, and no part may contain spaces"
        )
        raise ValueError(
            f"not a CPE 2.3 name: {why}; write e.g. cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"
        )

    @field_validator("purl")
    @classmethod
    def _purl(cls, v: str | None) -> str | None:
        if v is not None and (problem := _purl_problem(v)) is not None:
            raise ValueError(
                f"not a valid package URL ({problem}); write e.g. "
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
            )
        return v

    @field_validator("versions")
    @classmethod
    def _vers(cls, v: str | None) -> str | None:
        if v is not None:
            if parse_range(v) is None:
                raise ValueError(
                    "give a vers: range such as 'vers:generic/>=7.0.0|<7.2.9', or one exact "
                    "'version'"
                )
        return v

    @model_validator(mode="after")
    def _one_version_form(self) -> InventoryItem:
        if self.version is not None and self.versions is not None:
            raise FieldProblem(
                "versions", "give either 'version' (one) or 'versions' (a vers: range), not both"
            )
        if self.version is not None and self.cpe is not None:
            cpe_version = re.split(r"(?<!\\):", self.cpe)[5]
            if cpe_version not in ("*", "-") and cpe_version != self.version:
                raise FieldProblem(
                    "cpe",
                    f"the CPE names version {cpe_version!r} but 'version' is {self.version!r}; "
                    "make them agree (or put * in the CPE's version part)",
                )
        return self

    @property
    def display(self) -> str:
        v = self.version or self.versions or ""
        return f"{self.vendor} {self.product} {v}".strip()


# Identical inventory items share one frozen object: municipalities declare the same products
# at the same versions over and over (ten times the sector: 1.2 M items, ~200,000 distinct).
# Keyed by the raw mapping as written (its keys are the item's fields set, which
# `certbot.ssvc` reads), so an item validates once however many files declare it.
_SHARED: dict[tuple[Any, ...], InventoryItem] = {}
_SHARED_MAX = 1 << 18  # then start again: a bound, whatever a long-running process loads
_KEYS: dict[frozenset[str], set[str]] = {}  # the fields set of an item, one per combination


def _item_key(raw: Any) -> tuple[Any, ...] | None:
    """The raw item as a tuple of its (key, value) pairs; where a value is a list (aliases),
    one flat tuple (key, value, key, value...); None when it is not plain (left to plain
    validation). Values that compare equal validate alike (true, 1 and 1.0 are all true)."""
    if type(raw) is not dict:
        return None
    pairs = tuple(raw.items())
    try:
        hash(pairs)
    except TypeError:
        pass
    else:
        return pairs
    out: list[Any] = []
    for k, v in raw.items():
        if type(v) is list:
            if not all(type(a) is str for a in v):
                return None
            v = tuple(v)
        elif v is not None and type(v) is not str and type(v) is not bool:
            return None
        out += (k, v)
    return tuple(out)


def _shared_items(raw: Any) -> tuple[InventoryItem, ...] | None:
    """The validated items of a raw inventory list, shared with every identical item seen
    before; None when any item is not plain or not valid (the caller validates the list as
    usual, so every problem is reported exactly as before)."""
    if type(raw) is not list:
        return None
    out: list[InventoryItem] = []
    for entry in raw:
        key = _item_key(entry)
        if key is None:
            return None
        if (item := _SHARED.get(key)) is None:
            try:
                item = InventoryItem.model_validate(entry)
            except ValidationError:
                return None
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.clear()
            # Items with the same keys written share one fields-set too (a frozen model never
            # changes its own; model_copy copies it first).
            fields = item.__pydantic_fields_set__
            object.__setattr__(
                item, "__pydantic_fields_set__", _KEYS.setdefault(frozenset(fields), fields)
            )
            _SHARED[key] = item
        out.append(item)
    return tuple(out)


class QuietHours(Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise FieldProblem("end", "start and end are equal; remove quiet_hours to have none")
        return self


class SubscriberConfig(Strict):
    id: str = Field(pattern=r"^\d{4}$", description="kommunenummer")
    name: str = Field(min_length=1)
    county: str = Field(min_length=1)
    language: Literal["nb", "en"] = "nb"
    targets: tuple[TargetConfig, ...] = Field(min_length=1)
    inventory: tuple[InventoryItem, ...] = ()
    # inventories/<kommunenummer>.yaml (written by 'inventory import'); its items are added.
    inventory_file: str | None = Field(default=None, pattern=r"^[\w-]+(/[\w-]+)*\.ya?ml$")
    people: tuple[Person, ...] = ()
    quiet_hours: QuietHours | None = None
    daily_cap: int = Field(default=20, ge=1)

    @field_validator("inventory", mode="wrap")
    @classmethod
    def _inventory(cls, v: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        shared = _shared_items(v)
        return handler(v) if shared is None else shared

    @field_validator("targets")
    @classmethod
    def _unique_targets(cls, v: tuple[TargetConfig, ...]) -> tuple[TargetConfig, ...]:
        unique_ids(v, "target")
        return v


def _county_problem(sub: SubscriberConfig, label: str, node: yaml.Node | None) -> str | None:
    names = COUNTIES.get(sub.id[:2])
    if names is None:
        known = ", ".join(f"{k} {v[0]}" for k, v in COUNTIES.items())
        return (
            f"{label}: id: '{sub.id}' is not a kommunenummer (2024 numbering): the first two "
            f"digits are the county number ({known}){at(node, ('id',))}"
        )
    if not any(sub.county.casefold().startswith(n.casefold()) for n in names):
        return (
            f"{label}: county: kommunenummer {sub.id} lies in {names[0]}, not {sub.county!r}; "
            f"fix the county or the id{at(node, ('county',))}"
        )
    return None


# Files read without a problem, by path: (digest of the bytes, the channel registry the
# targets were checked against, the subscriber). A reload reads every file again but parses
# and validates only those that changed.
_LOADED: dict[Path, tuple[bytes, tuple[Any, ...], SubscriberConfig]] = {}


def forget_shared() -> None:
    """Forget the items seen (after a whole configuration is read: its items stay shared)."""
    _SHARED.clear()


def forget_loaded() -> None:
    """Forget the files read and the items shared (what a fresh process starts from)."""
    _LOADED.clear()
    forget_shared()


def load_subscriber(path: Path, problems: list[str]) -> SubscriberConfig | None:
    """Read with libyaml first; a file with any problem is read again with the line-tracking
    loader, which gives the located messages (start-up with 400 files: ~20 s -> ~2 s). A file
    whose bytes are those read last time is not parsed again."""
    try:
        data = path.read_bytes()
        text: str | None = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        data, text = b"", None  # read_yaml reports it
    stamp = hashlib.blake2b(data, digest_size=16).digest(), tuple(channel_classes().items())
    if text is not None and (hit := _LOADED.get(path)) is not None and hit[:2] == stamp:
        return hit[2]
    found: list[str] = []
    sub = _load_subscriber_with(path, found, fast=True, text=text)
    if not found:
        if text is not None and sub is not None:
            if len(_LOADED) >= _SHARED_MAX:  # a bound, whatever directories a process reads
                _LOADED.clear()
            _LOADED[path] = (*stamp, sub)
        return sub
    _LOADED.pop(path, None)
    return _load_subscriber_with(path, problems, fast=False)


def _load_subscriber_with(
    path: Path, problems: list[str], *, fast: bool, text: str | None = None
) -> SubscriberConfig | None:
    label = f"subscribers/{path.name}"
    m = SUBSCRIBER_FILE.match(path.name)
    if not m:
        problems.append(
            f"{label}: (file name): name the file <kommunenummer>-<name>.yaml in lowercase, "
            "e.g. 0301-oslo.yaml"
        )
    if text is None:
        raw, node = read_yaml(path, problems, label, fast=fast)
    else:
        raw, node = read_yaml_text(text, problems, label, fast=fast)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{label}: (top level): expected a mapping with id, name, county, targets")
        return None
    if isinstance(raw.get("id"), int) and not isinstance(raw.get("id"), bool):
        raw["id"] = f"{raw['id']:04d}"
    try:
        sub = SubscriberConfig.model_validate(raw)
    except ValidationError as exc:
        problems.extend(format_validation(label, exc, node, SubscriberConfig))
        return None
    if m and m.group(1) != sub.id:
        problems.append(
            f"{label}: id: '{sub.id}' does not match the kommunenummer '{m.group(1)}' in the "
            f"file name; rename the file or fix the id{at(node, ('id',))}"
        )
    county = _county_problem(sub, label, node)
    if county:
        problems.append(county)
    return sub
