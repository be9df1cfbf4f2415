"""feeds.yaml: the ``feeds:`` list and the file as a whole (``service:`` + ``feeds:``).

Contract: `FeedConfig` holds the keys every feed kind shares (id, kind, url or path, name,
interval, enabled, language, tlp, allow_private, max_bytes, timeout, max_items). The keys only some kinds
take are declared by the source itself (``Source.options``, see `certbot.sources`): a feed's
other keys are validated against its kind's options model, kept in ``feed.options`` and
readable as attributes (``feed.fingerprints``). The list of kinds comes from the source
registry. `load_feeds` reads and validates feeds.yaml and reports every problem with its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from certbot.config.common import (
    SecretRef,
    Strict,
    no_secret,
    parse_duration,
    parse_tlp,
    unique_ids,
)
from certbot.config.service import ServiceConfig
from certbot.config.targets import known_kind
from certbot.config.yaml_lines import FieldProblem, at, format_validation, read_yaml
from certbot.model import TLP
from certbot.sources import NoOptions, get_source, options_model, source_kinds

_DOMAIN = re.compile(r"(?i)^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}(?::\d{1,5})?/?$")


def _details(exc: ValidationError, known: list[str]) -> list[Any]:
    """``exc``'s errors as input for a new ValidationError; an unknown key carries the keys
    that are known for this kind, so the message can suggest the right one."""
    out: list[Any] = []
    for err in exc.errors():
        if err["type"] == "extra_forbidden":
            kind: Any = PydanticCustomError(
                "extra_forbidden", "Extra inputs are not permitted", {"known": known}
            )
            out.append({"type": kind, "loc": err["loc"], "input": err["input"]})
        else:
            ctx = {"ctx": err["ctx"]} if "ctx" in err else {}
            out.append({"type": err["type"], "loc": err["loc"], "input": err["input"], **ctx})
    return out


class FeedConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: str  # a registered source kind (certbot.sources)
    url: str | None = None
    path: str | None = None
    name: str = ""
    interval: int = 900
    enabled: bool = True
    language: Literal["nb", "nn", "en", "de", "sv", "da"] = "en"
    tlp: TLP = TLP.CLEAR  # label for items that carry none (RSS)
    allow_private: bool = False  # explicit opt-in to loopback/private addresses and http
    max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    timeout: float = Field(default=30.0, gt=0)
    max_items: int = Field(default=2000, ge=1)  # items taken per poll; the rest come later
    options: SerializeAsAny[BaseModel] = NoOptions()  # the kind's own keys (Source.options)

    _dur = field_validator("interval", mode="before")(classmethod(lambda cls, v: parse_duration(v)))
    _t = field_validator("tlp", mode="before")(classmethod(lambda cls, v: parse_tlp(v)))
    _u = field_validator("url")(classmethod(lambda cls, v: no_secret(v)))

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> str:
        return known_kind(v, source_kinds())

    @model_validator(mode="wrap")
    @classmethod
    def _split_options(cls, data: Any, handler: Any) -> FeedConfig:
        """Validate the common keys here and the rest with the kind's options model, and
        report the problems of both together."""
        model = options_model(data.get("kind")) if isinstance(data, dict) else None
        if model is None or not isinstance(data, dict):
            return handler(data)
        common = {k: v for k, v in data.items() if k in cls.model_fields and k != "options"}
        extra = {k: v for k, v in data.items() if k not in common and k != "options"}
        if isinstance(data.get("options"), dict):
            extra = {**data["options"], **extra}
        elif isinstance(data.get("options"), model):
            extra = {**data["options"].model_dump(exclude_unset=True), **extra}
        known = [k for k in cls.model_fields if k != "options"] + list(model.model_fields)
        errors: list[Any] = []
        options: BaseModel = model()
        try:
            options = model.model_validate(extra)
        except ValidationError as exc:
            errors = _details(exc, known)
        try:
            feed = handler({**common, "options": options})
        except ValidationError as exc:
            errors = _details(exc, known) + errors
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return feed

    def __getattr__(self, name: str) -> Any:
        """The kind's own options read like fields (``feed.fingerprints``)."""
        options = self.__dict__.get("options")
        if options is not None and name in type(options).model_fields:
            return getattr(options, name)
        return super().__getattr__(name)  # type: ignore[misc]

    def secrets(self) -> tuple[SecretRef, ...]:
        """The secrets this feed's options name (token, client_cert...)."""
        return tuple(v for _, v in self.options if isinstance(v, SecretRef))

    @field_validator("interval")
    @classmethod
    def _interval_bounds(cls, v: int) -> int:
        if v < 60:
            raise ValueError("poll no more often than every 60 seconds; use '1m' or more")
        return v

    @model_validator(mode="after")
    def _url_or_path(self) -> FeedConfig:
        if self.url is None and self.path is None:
            raise FieldProblem("url", "give 'url' (https://...) or 'path' (a local file)")
        if self.url is not None and self.path is not None:
            raise FieldProblem("path", "give either 'url' or 'path', not both; remove one")
        if self.url is not None:
            if self.url.startswith("http://") and not self.allow_private:
                raise FieldProblem(
                    "url",
                    "the address is http://, not https://; use https, or set "
                    "allow_private: true for a local test server",
                )
            source = get_source(self.kind)
            domain = source.url_may_be_domain and _DOMAIN.match(self.url)
            if not self.url.startswith(("https://", "http://")) and not domain:
                raise FieldProblem("url", f"{self.url!r} must start with https://")
        return self


class FeedsFile(Strict):
    service: ServiceConfig = ServiceConfig()
    feeds: tuple[FeedConfig, ...] = ()

    @field_validator("feeds")
    @classmethod
    def _unique_ids(cls, v: tuple[FeedConfig, ...]) -> tuple[FeedConfig, ...]:
        unique_ids(v, "feed")
        return v


def load_feeds(root: Path, problems: list[str]) -> tuple[FeedsFile, yaml.Node | None]:
    """feeds.yaml under ``root`` and its node tree; an empty `FeedsFile` after problems."""
    feeds_path = root / "feeds.yaml"
    if not feeds_path.exists():
        problems.append(
            f"feeds.yaml: (file): not found in {root}; pass --config-dir or set CERTBOT_CONFIG_DIR"
        )
        return FeedsFile(), None
    raw, node = read_yaml(feeds_path, problems, "feeds.yaml")
    if raw is None:
        return FeedsFile(), None
    if not isinstance(raw, dict):
        problems.append("feeds.yaml: (top level): expected a mapping with 'service:' and 'feeds:'")
        return FeedsFile(), None
    try:
        feeds_file = FeedsFile.model_validate(raw)
    except ValidationError as exc:
        problems.extend(format_validation("feeds.yaml", exc, node, FeedsFile))
        return FeedsFile(), None
    for idx, f in enumerate(feeds_file.feeds):
        if f.path is not None and not (root / f.path).exists():
            problems.append(
                f"feeds.yaml: feeds[{idx}].path: file {f.path!r} does not exist "
                f"(paths are relative to the config directory){at(node, ('feeds', idx, 'path'))}"
            )
        try:  # the kind's own rules that need the common keys too (CSAF: something pinned)
            get_source(f.kind).check_feed(f)
        except FieldProblem as exc:
            key = ".".join(str(k) for k in exc.key)
            line = at(node, ("feeds", idx, *exc.key))
            problems.append(f"feeds.yaml: feeds[{idx}].{key}: {exc}{line}")
    return feeds_file, node
