"""Loading the whole configuration, and the checks that need all of it.

Contract: `load_config(root)` reads feeds.yaml and subscribers/*.yaml, collects every problem
in every file and raises one `ConfigError` listing them all (``file: key.path: what is wrong
(how to fix) (line N)``), or returns the frozen `Config`. Rules that need the whole
configuration (a file target's path against ``service.output_dir``) are asked of each
target's channel class (`Channel.config_problem`). `config_warnings` lists what check-config
warns about: secrets the environment lacks, and targets that are valid but probably not meant
(`Channel.target_warning`, e.g. a personal target at a shared mailbox).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from certbot.channels import channel_class, channel_classes
from certbot.config.api import api_problems, api_secrets
from certbot.config.common import SecretRef, read_secret
from certbot.config.feeds import FeedConfig, load_feeds
from certbot.config.inventories import inventory_items, load_inventory_file
from certbot.config.service import ServiceConfig
from certbot.config.subscribers import SubscriberConfig, forget_shared, load_subscriber
from certbot.config.targets import TargetConfig
from certbot.config.web import web_secrets
from certbot.config.yaml_lines import at, read_yaml
from certbot.errors import ConfigError


class Config(BaseModel):
    """The whole loaded configuration."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    root: Path
    service: ServiceConfig
    feeds: tuple[FeedConfig, ...]
    subscribers: tuple[SubscriberConfig, ...]
    _targets: dict[tuple[str, str], TargetConfig] = PrivateAttr(default_factory=dict)
    files: dict[str, str] = Field(default_factory=dict)  # subscriber id -> file label

    def feed(self, feed_id: str) -> FeedConfig:
        for f in self.feeds:
            if f.id == feed_id:
                return f
        raise KeyError(feed_id)

    def subscriber(self, sub_id: str) -> SubscriberConfig:
        for s in self.subscribers:
            if s.id == sub_id:
                return s
        raise KeyError(sub_id)

    def target(self, sub_id: str, target_id: str) -> TargetConfig | None:
        """The target of a municipality (or of the operator); one dict look-up."""
        if self._targets.get(("", "")) is not self:  # empty, or shared by a model_copy
            self._targets = {("", ""): self}  # type: ignore[dict-item]
            self._targets.update(
                {(OPERATOR, t.id): t for t in self.service.operator_targets}
                | {(s.id, t.id): t for s in self.subscribers for t in s.targets}
            )
        return self._targets.get((sub_id, target_id))

    def resolve_path(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.root / p

    def file_of(self, sub_id: str) -> str:
        """The file label a subscriber came from (``subscribers/0301-oslo.yaml``)."""
        return self.files.get(sub_id, f"subscribers/{sub_id}")

    def output_path(self) -> Path:
        """The directory file targets may write into (``service.output_dir``), resolved."""
        return self.resolve_path(self.service.output_dir).resolve()

    def all_targets(self) -> Iterator[tuple[str, int, TargetConfig]]:
        """(file label, index, target) of every target, the operator's first."""
        for i, t in enumerate(self.service.operator_targets):
            yield "feeds.yaml", i, t
        for sub in self.subscribers:
            for i, t in enumerate(sub.targets):
                yield self.file_of(sub.id), i, t


OPERATOR = "operator"  # the pseudo-subscriber id of the sector response team's own targets


def load_config(root: str | Path, *, only_subscribers: list[Path] | None = None) -> Config:
    """Load feeds.yaml and subscribers/*.yaml under ``root``; raise ConfigError with every
    problem found in every file."""
    root = Path(root).resolve()
    problems: list[str] = []
    feeds_file, feeds_node = load_feeds(root, problems)
    sub_dir = (root / feeds_file.service.subscribers_dir).resolve()
    files = only_subscribers
    if files is None:
        files = sorted(sub_dir.glob("*.y*ml")) if sub_dir.is_dir() else []
        if not sub_dir.is_dir():
            problems.append(f"subscribers/: (directory): not found in {root}; create it")
    subscribers: list[SubscriberConfig] = []
    seen: dict[str, str] = {}
    paths: dict[str, Path] = {}
    for path in files:
        sub = load_subscriber(path, problems)
        if sub is None:
            continue
        label = f"subscribers/{path.name}"
        if sub.id in seen:
            problems.append(
                f"{label}: id: '{sub.id}' is also used by {seen[sub.id]}; one file per municipality"
            )
            continue
        seen[sub.id] = label
        paths[label] = path
        subscribers.append(_with_inventory_file(root, sub, problems))
    forget_shared()  # the items read stay shared; the keys to find them are not needed
    config = Config(
        root=root,
        service=feeds_file.service,
        feeds=feeds_file.feeds,
        subscribers=tuple(subscribers),
        files=seen,
    )
    problems += _target_problems(config, feeds_node, paths)
    problems += api_problems(config.service.api, {s.id for s in config.subscribers})
    if problems:
        raise ConfigError(problems)
    return config


def config_stamp(config: Config) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime_ns, size) of every configuration file (feeds.yaml, subscribers/,
    inventories/): a running service reloads when this changes."""
    root = config.root
    files = [root / "feeds.yaml"]
    files += sorted((root / config.service.subscribers_dir).glob("*.y*ml"))
    files += sorted((root / "inventories").glob("*.y*ml"))
    files += [root / s.inventory_file for s in config.subscribers if s.inventory_file]
    out = []
    for f in dict.fromkeys(files):
        try:
            st = f.stat()
        except OSError:
            continue
        out.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(out)


def _with_inventory_file(
    root: Path, sub: SubscriberConfig, problems: list[str]
) -> SubscriberConfig:
    """The subscriber with the items of its ``inventory_file`` added (the file is checked)."""
    if sub.inventory_file is None:
        return sub
    inv = load_inventory_file(root / sub.inventory_file, sub.inventory_file, problems)
    if inv is None:
        return sub
    if inv.kommunenummer != sub.id:
        problems.append(
            f"{sub.inventory_file}: kommunenummer: '{inv.kommunenummer}' but the subscriber "
            f"file referencing it is '{sub.id}'; fix one of them"
        )
    return sub.model_copy(update={"inventory": sub.inventory + inventory_items(inv)})


def _target_problems(config: Config, feeds_node: object, paths: dict[str, Path]) -> list[str]:
    """What each target's channel finds wrong given the whole configuration, located."""
    out: list[str] = []
    for label, i, target in config.all_targets():
        channel = channel_class(target.kind)
        problem = channel.config_problem(target, config) if channel else None
        if problem is None:
            continue
        key, message = problem
        if label == "feeds.yaml":
            loc: tuple[str | int, ...] = ("service", "operator_targets", i, key)
            node = feeds_node
        else:
            loc = ("targets", i, key)
            node = read_yaml(paths[label], [], label)[1] if label in paths else None
        where = ".".join(str(p) for p in loc[:-2]) + f"[{i}].{key}"
        out.append(f"{label}: {where}: {message}{at(node, loc)}")  # type: ignore[arg-type]
    return out


# --- warnings at start-up --------------------------------------------------------------------


def _secret_warning(where: str, ref: SecretRef, environ: Mapping[str, str] | None) -> str | None:
    try:
        if read_secret(ref.env, environ) is not None:
            return None
    except ConfigError as exc:
        return f"{where}: {exc.problems[0].split(': ', 2)[-1]}"
    return f"{where}: environment variable {ref.env} (or {ref.env}_FILE) is not set; set it"


def _service_secret(config: Config, dotted: str) -> SecretRef | None:
    value: object = config.service
    for part in dotted.split("."):
        value = getattr(value, part, None)
    return value if isinstance(value, SecretRef) else None


def missing_secrets(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """Warnings for secrets the configuration names but the environment does not provide,
    each as ``file: key.path: message``."""
    checks: list[tuple[str, SecretRef]] = []
    for label, i, t in config.all_targets():
        if t.secret:
            where = "service.operator_targets" if label == "feeds.yaml" else "targets"
            checks.append((f"{label}: {where}[{i}].secret.env", t.secret))
    # Operator targets were listed first above; keep the subscribers' lines first, as before.
    checks.sort(key=lambda c: c[0].startswith("feeds.yaml"))
    kinds_used = {t.kind for _, _, t in config.all_targets()}
    classes = channel_classes()
    for kind in sorted(kinds_used):
        for dotted in getattr(classes.get(kind), "service_secrets", ()):
            if (ref := _service_secret(config, dotted)) is not None:
                checks.append((f"feeds.yaml: service.{dotted}.env", ref))
    for i, f in enumerate(config.feeds):
        for name, value in f.options:
            if isinstance(value, SecretRef) and f.enabled:
                checks.append((f"feeds.yaml: feeds[{i}].{name}.env", value))
    checks += api_secrets(config.service.api)
    checks += web_secrets(config.service.web)
    if (provider := config.service.provider) is not None:
        checks += [(f"feeds.yaml: service.provider.{k}.env", ref) for k, ref in provider.all_refs()]
    warnings = (_secret_warning(where, ref, environ) for where, ref in checks)
    return [w for w in warnings if w]


def config_warnings(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """Everything check-config warns about: missing secrets, then doubtful targets."""
    out = missing_secrets(config, environ)
    for label, i, t in config.all_targets():
        channel = channel_class(t.kind)
        if channel is not None and (warning := channel.target_warning(t)) is not None:
            where = "service.operator_targets" if label == "feeds.yaml" else "targets"
            out.append(f"{label}: {where}[{i}].address: {warning}")
    return out
