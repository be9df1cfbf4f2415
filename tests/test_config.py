"""Configuration: the shipped feeds.yaml and subscribers/, good and bad config directories,
secrets, and the form of every problem line (file: key.path: message)."""

from __future__ import annotations

import json
import re
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from certbot.config import (
    OPERATOR,
    Config,
    DispatchConfig,
    FeedConfig,
    InventoryItem,
    Person,
    PriorityConfig,
    QuietHours,
    SmtpConfig,
    SubscriberConfig,
    TargetConfig,
    _parse_duration,
    config_warnings,
    format_validation,
    load_config,
    missing_secrets,
    read_secret,
)
from certbot.errors import ConfigError
from certbot.model import TLP, Priority

HERE = Path(__file__).parent
DATA = HERE / "data" / "config"
REPO = HERE.parent
BAD = sorted(p for p in (DATA / "bad").iterdir() if p.is_dir())
# "<file>: <key path>: <message>", the key path a dotted/indexed path or a "(pseudo key)".
PROBLEM = re.compile(
    r"^(?P<file>feeds\.yaml|subscribers/[^:/\s]+\.ya?ml): "
    r"(?P<key>[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*)*|\([a-z ]+\)): "
    r"(?P<msg>\S.*)$"
)


def _problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(root)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


# --- bad config directories -----------------------------------------------------------------


def test_there_are_enough_bad_cases() -> None:
    assert len(BAD) >= 16


@pytest.mark.parametrize("case", BAD, ids=[p.name for p in BAD])
def test_bad_case_reports_exactly_the_expected_problems(case: Path) -> None:
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert _problems(case) == expected


@pytest.mark.parametrize("case", BAD, ids=[p.name for p in BAD])
def test_bad_case_problem_lines_name_file_and_key(case: Path) -> None:
    for line in _problems(case):
        m = PROBLEM.match(line)
        assert m, f"not '<file>: <key path>: <message>': {line}"
        file = m["file"]
        assert (case / file).exists() or file.startswith("subscribers/")
        assert len(m["msg"]) > 20  # says what is wrong and what to do


def test_several_errors_in_several_files_are_all_listed() -> None:
    problems = _problems(DATA / "bad" / "several_errors")
    files = {PROBLEM.match(p)["file"] for p in problems}  # type: ignore[index]
    assert files == {"feeds.yaml", "subscribers/0301-oslo.yaml", "subscribers/4601-bergen.yaml"}
    assert len(problems) == 4


def test_each_other_bad_case_is_broken_in_one_way() -> None:
    for case in BAD:
        if case.name != "several_errors":
            assert len(_problems(case)) == 1, case.name


def test_yaml_syntax_error_gives_line_and_column() -> None:
    (problem,) = _problems(DATA / "bad" / "yaml_syntax")
    assert "line 7, column 4" in problem


def test_secret_pasted_into_address_is_not_echoed() -> None:
    for name, secret in (
        ("teams_webhook_in_address", "NOT-A-REAL-SIGNATURE"),
        ("slack_token_in_address", "xoxb-not-a-real-token"),
    ):
        problems = _problems(DATA / "bad" / name)
        assert secret in (DATA / "bad" / name / "subscribers" / "0301-oslo.yaml").read_text()
        assert not any(secret in p or "logic.azure.com" in p for p in problems)


# --- good configurations --------------------------------------------------------------------


def test_good_directory_loads() -> None:
    config = load_config(DATA / "good")
    assert [s.id for s in config.subscribers] == ["0301", "4601"]
    assert [f.id for f in config.feeds] == ["nsm-varsler", "cisa-kev"]
    bergen = config.subscriber("4601")
    assert bergen.targets[1].address == "-1001234567890"  # unquoted number read as text
    assert bergen.targets[0].tlp_max is TLP.GREEN  # default
    assert config.file_of("4601") == "subscribers/4601-bergen.yaml"


@pytest.fixture(scope="module")
def shipped() -> Config:
    return load_config(REPO)


def test_shipped_config_loads_without_problems(shipped: Config) -> None:
    assert shipped.service.timezone == "Europe/Oslo"
    assert len(shipped.subscribers) >= 3


def test_shipped_feeds_cover_the_public_sources(shipped: Config) -> None:
    by_kind_enabled = {(f.kind, f.enabled) for f in shipped.feeds}
    assert {("rss", True), ("kev", True), ("csaf", False), ("epss", False), ("nvd", False)} <= (
        by_kind_enabled
    )
    nsm = next(f for f in shipped.feeds if "nsm.no" in (f.url or ""))
    assert (nsm.language, nsm.interval) == ("nb", 15 * 60)
    kev = next(f for f in shipped.feeds if f.kind == "kev")
    assert kev.interval == 3600
    for f in shipped.feeds:
        assert f.url and f.url.startswith("https://") and not f.allow_private
        assert f.interval >= 15 * 60


def test_shipped_operator_targets_obey_tlp_rules(shipped: Config) -> None:
    targets = shipped.service.operator_targets
    assert targets and all(t.tlp_max < TLP.RED or t.personal for t in targets)
    assert shipped.target(OPERATOR, targets[0].id) is targets[0]
    assert shipped.service.smtp.password is not None
    assert shipped.service.smtp.password.env == "CERTBOT_SMTP_PASSWORD"


def test_shipped_subscribers_are_realistic(shipped: Config) -> None:
    languages = set()
    for sub in shipped.subscribers:
        languages.add(sub.language)
        kinds = {t.kind for t in sub.targets}
        assert "email" in kinds
        assert any(t.personal and t.tlp_max is TLP.RED for t in sub.targets)
        assert any(t.escalation for t in sub.targets)
        assert any(t.min_priority is Priority.P4 and not t.personal for t in sub.targets)
        assert 10 <= len(sub.inventory) <= 20
        for t in sub.targets:
            if t.kind == "email":
                assert t.address and t.address.endswith(".example"), t.address
    assert languages == {"nb", "en"}
    quiet = QuietHours(start=time(22), end=time(7))
    assert any(s.quiet_hours == quiet for s in shipped.subscribers)


def test_shipped_fortios_versions_show_exclusion(shipped: Config) -> None:
    versions = {
        s.id: i.version for s in shipped.subscribers for i in s.inventory if i.product == "FortiOS"
    }
    assert "7.2.4" in versions.values() and "7.2.10" in versions.values()


def test_shipped_inventory_spells_products_as_kev_does(shipped: Config) -> None:
    kev = json.loads((DATA / "kev_products.json").read_text(encoding="utf-8"))["products"]
    names = {
        (item.vendor.casefold(), name.casefold())
        for sub in shipped.subscribers
        for item in sub.inventory
        for name in (item.product, *item.aliases)
    }
    missing = [
        (p["vendorProject"], p["product"])
        for p in kev
        if (p["vendorProject"].casefold(), p["product"].casefold()) not in names
    ]
    assert missing == []


def test_shipped_inventory_has_identifiers(shipped: Config) -> None:
    items = [i for s in shipped.subscribers for i in s.inventory]
    assert sum(1 for i in items if i.cpe) >= 3
    assert any(i.purl and i.purl.startswith("pkg:maven/org.apache.logging.log4j/") for i in items)
    assert any(i.versions for i in items)


# --- YAML reading ---------------------------------------------------------------------------


def _write(root: Path, feeds: str, subs: dict[str, str]) -> Path:
    (root / "subscribers").mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text(feeds, encoding="utf-8")
    for name, text in subs.items():
        (root / "subscribers" / name).write_text(text, encoding="utf-8")
    return root


FEEDS = "feeds:\n  - {id: kev, kind: kev, url: 'https://kev.example/kev.json'}\n"
OSLO_UNQUOTED = """id: 0301
name: Oslo kommune
county: Oslo
quiet_hours: {start: 22:00, end: 07:00}
targets:
  - {id: drift, kind: email, address: drift@oslo.kommune.example}
"""


def test_unquoted_kommunenummer_and_times_keep_their_meaning(tmp_path: Path) -> None:
    # YAML 1.1 reads 0301 as octal 193 and 22:00 as the base-60 number 1320.
    config = load_config(_write(tmp_path, FEEDS, {"0301-oslo.yaml": OSLO_UNQUOTED}))
    oslo = config.subscriber("0301")
    assert oslo.quiet_hours is not None
    assert (oslo.quiet_hours.start, oslo.quiet_hours.end) == (time(22, 0), time(7, 0))


def test_missing_files_and_directories_are_reported(tmp_path: Path) -> None:
    problems = _problems(tmp_path)
    assert [p.split(": ")[0] for p in problems] == ["feeds.yaml", "subscribers/"]


def test_unknown_kommunenummer_prefix(tmp_path: Path) -> None:
    text = OSLO_UNQUOTED.replace("id: 0301", "id: '9901'")
    problems = _problems(_write(tmp_path, FEEDS, {"9901-oslo.yaml": text}))
    assert len(problems) == 1
    assert problems[0].startswith("subscribers/9901-oslo.yaml: id: '9901' is not a kommunenummer")


def test_duplicate_subscriber_ids_across_files(tmp_path: Path) -> None:
    subs = {"0301-oslo.yaml": OSLO_UNQUOTED, "0301-oslo-kopi.yaml": OSLO_UNQUOTED}
    problems = _problems(_write(tmp_path, FEEDS, subs))
    assert problems == [
        "subscribers/0301-oslo.yaml: id: '0301' is also used by "
        "subscribers/0301-oslo-kopi.yaml; one file per municipality"
    ]


def test_feed_path_must_exist(tmp_path: Path) -> None:
    feeds = "feeds:\n  - {id: demo, kind: rss, path: demo/nsm.xml}\n"
    problems = _problems(_write(tmp_path, feeds, {"0301-oslo.yaml": OSLO_UNQUOTED}))
    assert problems == [
        "feeds.yaml: feeds[0].path: file 'demo/nsm.xml' does not exist "
        "(paths are relative to the config directory) (line 2)"
    ]
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "nsm.xml").write_text("<rss/>", encoding="utf-8")
    assert load_config(tmp_path).feed("demo").path == "demo/nsm.xml"


# --- single rules, through the same formatter -----------------------------------------------


def _one_problem(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    problems = format_validation("x.yaml", info.value, model=model)
    assert len(problems) == 1, problems
    return problems[0].removeprefix("x.yaml: ")


MAIL = {"id": "m", "kind": "email", "address": "a@b.example"}
RULES = [
    (TargetConfig, {**MAIL, "address": "not-an-address"}, "address: 'not-an-address' is not"),
    (TargetConfig, {"id": "s", "kind": "slack", "address": "#it-drift"}, "address: '#it-drift'"),
    (TargetConfig, {"id": "t", "kind": "telegram", "address": "kommune"}, "address: 'kommune'"),
    (
        TargetConfig,
        {"id": "s", "kind": "slack", "address": "C0123ABCD", "personal": True, "tlp_max": "RED"},
        "personal: 'C0123ABCD' is a channel",
    ),
    (TargetConfig, {**MAIL, "public": True, "tlp_max": "GREEN"}, "tlp_max: a public target"),
    (TargetConfig, {**MAIL, "public": True, "personal": True, "tlp_max": "CLEAR"}, "personal: "),
    (TargetConfig, {**MAIL, "min_priority": "P0"}, "min_priority: 'P0' is not a priority"),
    (TargetConfig, {**MAIL, "secret": {"env": "xoxb-123"}}, "secret.env: name an environment"),
    (TargetConfig, {"id": "Oslo IT", "kind": "email", "address": "a@b.example"}, "id: use lower"),
    (TargetConfig, {**MAIL, "kind": "sms"}, "kind: 'sms' is not allowed; use 'email'"),
    (FeedConfig, {"id": "x", "kind": "rss"}, "url: give 'url' (https://...) or 'path'"),
    (FeedConfig, {"id": "x", "kind": "rss", "url": "ftp://x.example/f"}, "url: 'ftp://x"),
    (FeedConfig, {"id": "x", "kind": "rss", "url": "https://x.example/?token=abc"}, "url: this"),
    (
        FeedConfig,
        {"id": "x", "kind": "rss", "url": "https://x.example/", "interval": 30},
        "interval: poll no more often",
    ),
    (
        FeedConfig,
        {"id": "x", "kind": "csaf", "url": "https://x.example/", "fingerprints": ["144A ED0A"]},
        "fingerprints: '144A ED0A' is not",
    ),
    (
        FeedConfig,
        {"id": "x", "kind": "taxii", "url": "https://x.example/", "username": "u"},
        "token: 'username' needs",
    ),
    (
        FeedConfig,
        {"id": "x", "kind": "rss", "url": "https://x.example/", "enabled": "maybe"},
        "enabled: use true or false",
    ),
    (
        InventoryItem,
        {"vendor": "Fortinet", "product": "FortiOS", "cpe": "cpe:/o:fortinet:fortios"},
        "cpe: this is the old CPE 2.2 URI form",
    ),
    (
        InventoryItem,
        {
            "vendor": "Fortinet",
            "product": "FortiOS",
            "version": "7.2.4",
            "cpe": "cpe:2.3:o:fortinet:fortios:7.2.5:*:*:*:*:*:*:*",
        },
        "cpe: the CPE names version '7.2.5'",
    ),
    (
        InventoryItem,
        {"vendor": "A", "product": "B", "version": "1", "versions": "vers:generic/<2"},
        "versions: give either",
    ),
    (InventoryItem, {"vendor": "A", "product": "B", "versions": "whatever"}, "versions: give a"),
    (InventoryItem, {"vendor": "A", "product": "B", "purl": "log4j"}, "purl: not a valid"),
    (InventoryItem, {"vendor": "", "product": "B"}, "vendor: must not be empty"),
    (
        SubscriberConfig,
        {"id": "0301", "name": "Oslo", "county": "Oslo", "targets": []},
        "targets: give at least one entry",
    ),
    (
        SubscriberConfig,
        {"id": "301", "name": "Oslo", "county": "Oslo", "targets": [MAIL]},
        "id: give the four-digit kommunenummer",
    ),
    (
        SubscriberConfig,
        {"id": "0301", "name": "Oslo", "county": "Oslo", "targets": [MAIL, MAIL]},
        "targets[1].id: target id 'm' is used twice",
    ),
    (
        SubscriberConfig,
        {
            "id": "0301",
            "name": "Oslo",
            "county": "Oslo",
            "targets": [MAIL],
            "quiet_hours": {"start": "22:00", "end": "22:00"},
        },
        "quiet_hours.end: start and end are equal",
    ),
    (
        SubscriberConfig,
        {
            "id": "0301",
            "name": "Oslo",
            "county": "Oslo",
            "targets": [MAIL],
            "quiet_hours": {"start": "late", "end": "07:00"},
        },
        "quiet_hours.start: use a time of day",
    ),
    (Person, {"platform": "telegram", "user_id": 1087968824}, "user_id: 1087968824 is Telegram"),
    (Person, {"platform": "slack", "user_id": "kari"}, "user_id: 'kari' is not a Slack user id"),
    (SmtpConfig, {"sender": "certbot"}, "sender: 'certbot' is not an e-mail address"),
    (SmtpConfig, {"username": "u"}, "password: 'username' needs"),
    (SmtpConfig, {"port": 0}, "port: must be at least 1"),
    (PriorityConfig, {"p1_cvss": 6.0}, "p2_cvss: the CVSS thresholds"),
    (PriorityConfig, {"p2_epss": 10}, "p2_epss: must be at most 1"),
    (DispatchConfig, {"backoff_base": 600, "backoff_cap": 60}, "backoff_cap: must be at least"),
]


@pytest.mark.parametrize(("model", "data", "start"), RULES, ids=[r[2][:30] for r in RULES])
def test_rule_reports_the_key_to_fix(
    model: type[BaseModel], data: dict[str, Any], start: str
) -> None:
    assert _one_problem(model, data).startswith(start)


def test_valid_targets_of_every_kind() -> None:
    ok = [
        {"id": "a", "kind": "slack", "address": "U0123ABCD", "personal": True, "tlp_max": "RED"},
        {"id": "b", "kind": "telegram", "address": 5012345678, "personal": True, "tlp_max": "RED"},
        {
            "id": "c",
            "kind": "telegram",
            "address": "@kommunecert_varsler",
            "public": True,
            "tlp_max": "CLEAR",
        },
        {"id": "d", "kind": "teams", "secret": {"env": "TEAMS_WEBHOOK_0301"}},
        {"id": "e", "kind": "file", "address": "out/alerts.jsonl", "tlp_max": "AMBER+STRICT"},
        {
            "id": "f",
            "kind": "email",
            "address": "x@y.example",
            "suppliers": True,
            "tlp_max": "AMBER",
        },
    ]
    for data in ok:
        assert TargetConfig.model_validate(data).id == data["id"]


# --- secrets ------------------------------------------------------------------------------------


def test_read_secret_from_env_and_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "hook"
    secret_file.write_text("https://hook.example/secret-from-file\n", encoding="utf-8")
    assert read_secret("HOOK", {"HOOK": " from-env \n"}) == "from-env"
    assert read_secret("HOOK", {"HOOK_FILE": str(secret_file)}) == (
        "https://hook.example/secret-from-file"
    )
    both = {"HOOK": "from-env", "HOOK_FILE": str(secret_file)}
    assert read_secret("HOOK", both) == "from-env"  # the variable wins
    assert read_secret("HOOK", {}) is None
    assert read_secret("HOOK", {"HOOK": "  "}) is None
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    assert read_secret("HOOK", {"HOOK_FILE": str(tmp_path / "empty")}) is None


def test_read_secret_from_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTBOT_TEST_SECRET", "s3cret")
    assert read_secret("CERTBOT_TEST_SECRET") == "s3cret"


def test_unreadable_secret_file_names_the_path_only(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError) as info:
        read_secret("HOOK", {"HOOK_FILE": str(missing)})
    (problem,) = info.value.problems
    assert problem.startswith(f"environment: HOOK_FILE: cannot read {missing}")


def test_missing_secrets_lists_every_unset_variable(shipped: Config) -> None:
    warnings = missing_secrets(shipped, {})
    assert (
        "subscribers/0301-oslo.yaml: targets[2].secret.env: environment variable "
        "TEAMS_WEBHOOK_0301 (or TEAMS_WEBHOOK_0301_FILE) is not set; set it" in warnings
    )
    joined = "\n".join(warnings)
    for name in (
        "TEAMS_WEBHOOK_4601",
        "TEAMS_WEBHOOK_1134",
        "CERTBOT_SMTP_PASSWORD",
        "SLACK_BOT_TOKEN",
        "TELEGRAM_BOT_TOKEN",
    ):
        assert name in joined
    for line in warnings:
        assert PROBLEM.match(line), line
    assert "NVD_API_KEY" not in joined  # disabled feeds need no secrets


def test_missing_secrets_is_quiet_when_everything_is_set(shipped: Config, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("smtp-password", encoding="utf-8")
    env = {
        "TEAMS_WEBHOOK_0301": "x",
        "TEAMS_WEBHOOK_4601": "x",
        "TEAMS_WEBHOOK_1134": "x",
        "SLACK_BOT_TOKEN": "x",
        "TELEGRAM_BOT_TOKEN": "x",
        "CERTBOT_SMTP_PASSWORD_FILE": str(tmp_path / "pw"),
    }
    assert missing_secrets(shipped, env) == []


def test_missing_secrets_reports_unreadable_file_without_secret(shipped: Config) -> None:
    env = {"TEAMS_WEBHOOK_0301_FILE": "/nonexistent/hook"}
    warnings = [w for w in missing_secrets(shipped, env) if "0301" in w]
    assert warnings == [
        "subscribers/0301-oslo.yaml: targets[2].secret.env: cannot read /nonexistent/hook "
        "(No such file or directory); fix the path or permissions"
    ]


def test_only_subscribers_loads_the_named_files(tmp_path: Path) -> None:
    config = load_config(REPO, only_subscribers=[REPO / "subscribers" / "1134-suldal.yaml"])
    assert [s.id for s in config.subscribers] == ["1134"]
    assert config.subscriber("1134").language == "en"
    with pytest.raises(KeyError):
        config.subscriber("0301")


# --- properties ---------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["", "s", "m", "h", "d"]))
def test_duration_units(n: int, unit: str) -> None:
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    assert _parse_duration(f"{n}{unit}") == n * factor
    assert _parse_duration(f" {n} {unit} ") == n * factor


@given(st.text(min_size=1, max_size=12).filter(lambda t: not t.strip().isdigit()))
def test_durations_without_a_number_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        _parse_duration(text + "x")


# --- the two YAML readers ----------------------------------------------------------------------

SCALARS = "a: 0301\nb: 22:00\nc: 010\nd: yes\ne: 0x1F\nf: 1_000\ng: ~\nh: '7'\ni: 7.10\n"


def test_fast_and_line_tracking_loaders_read_the_same() -> None:
    import yaml

    from certbot.config import _FastLoader, _Loader

    fast, slow = (yaml.load(SCALARS, Loader=cls) for cls in (_FastLoader, _Loader))
    assert fast == slow
    assert fast["a"] == "0301" and fast["b"] == "22:00" and fast["e"] == 31
    for cls in (_FastLoader, _Loader):
        with pytest.raises(yaml.YAMLError):
            yaml.load("a: 1\nb: 2\na: 3\n", Loader=cls)


def test_a_problem_found_on_the_fast_reading_is_located(tmp_path: Path) -> None:
    dup = OSLO_UNQUOTED + "county: Oslo\n"
    problems = _problems(_write(tmp_path, FEEDS, {"0301-oslo.yaml": dup}))
    assert len(problems) == 1 and "the key appears twice" in problems[0]
    assert re.search(r"\(lines \d+ and \d+\)", problems[0])


@pytest.mark.parametrize(
    "text",
    [
        SCALARS + "j: 2024-01-02\nk: [1, {x: y}]\nl: {}\nm: []\nn: .inf\no: null\np: True\n",
        "",
        "# only a comment\n",
        "- a\n- b: [c, d]\n",
        "x",
        "a: &x 1\nb: *x\n",
        "a: 1\na: 2\n",
        "<<: {a: 1}\nb: 2\n",
        "a: !!str 1\n",
        "--- 1\n--- 2\n",
        "? [a]\n: 1\n",
        "a: {b: 1, b: 2}\n",
        "a: '1'\nb: \"true\"\nc: [x, 'null', {d: ~, e: '2024-01-02'}]\nf: 1\ng: '1'\n",
        "- &a x\n- *a\n",
    ],
)
def test_the_event_reader_builds_what_the_loader_builds_or_steps_aside(text: str) -> None:
    import yaml

    from certbot.config import _Loader, _NotSimple, _simple_yaml

    try:
        expected: Any = ("data", yaml.load(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        expected = ("error", type(exc).__name__)
    try:
        got: Any = ("data", _simple_yaml(text))
    except _NotSimple:  # anchors, tags, merge keys, duplicates, several documents
        assert any(mark in text for mark in ("&", "!!", "<<", "---", "?", "a: 1\na:", "b: 1, b"))
        return
    except yaml.YAMLError as exc:
        got = ("error", type(exc).__name__)
    assert got == expected


# --- issue 12.4 / 12.5: file targets stay in the output directory; RED only to one person ----

OSLO_FILE = OSLO_UNQUOTED + "  - {id: logg, kind: file, address: '%s'}\n"


def test_a_symlink_in_the_output_directory_cannot_lead_out(tmp_path: Path) -> None:
    root = _write(tmp_path / "cfg", FEEDS, {"0301-oslo.yaml": OSLO_FILE % "out/link/a.jsonl"})
    (root / "out").mkdir()
    (root / "out" / "link").symlink_to(tmp_path)
    assert _problems(root) == [
        "subscribers/0301-oslo.yaml: targets[1].address: 'out/link/a.jsonl' lies outside the "
        "output directory 'out' (after following symlinks); write a path inside it, e.g. "
        "'out/alerts.jsonl', or change service.output_dir (line 7)"
    ]


def test_service_output_dir_moves_where_file_targets_may_write(tmp_path: Path) -> None:
    elsewhere = tmp_path / "spool"
    feeds = f"service:\n  output_dir: '{elsewhere}'\n" + FEEDS
    root = _write(tmp_path / "cfg", feeds, {"0301-oslo.yaml": OSLO_FILE % f"{elsewhere}/a.jsonl"})
    config = load_config(root)
    assert config.output_path() == elsewhere.resolve()
    (root / "subscribers" / "0301-oslo.yaml").write_text(OSLO_FILE % "out/a.jsonl")
    (problem,) = _problems(root)
    assert f"outside the output directory '{elsewhere}'" in problem


@pytest.mark.parametrize(
    "local", ["postmottak", "post", "it", "alle", "servicedesk", "firmapost", "kontakt"]
)
def test_personal_target_at_a_shared_mailbox_gets_a_warning(tmp_path: Path, local: str) -> None:
    sub = OSLO_UNQUOTED + (
        f"  - {{id: leder, kind: email, address: {local}@oslo.kommune.example, "
        "personal: true, tlp_max: RED}\n"
    )
    config = load_config(_write(tmp_path, FEEDS, {"0301-oslo.yaml": sub}))
    assert config_warnings(config, {}) == [
        f"subscribers/0301-oslo.yaml: targets[1].address: '{local}@oslo.kommune.example' looks "
        "like a shared mailbox, not one person; use the person's own address or set "
        "personal: false"
    ]


def test_named_person_and_shared_non_personal_mailbox_get_no_warning(tmp_path: Path) -> None:
    sub = OSLO_UNQUOTED + (
        "  - {id: leder, kind: email, address: kari.nordmann@oslo.kommune.example, "
        "personal: true, tlp_max: RED}\n"
        "  - {id: post, kind: email, address: postmottak@oslo.kommune.example}\n"
    )
    config = load_config(_write(tmp_path, FEEDS, {"0301-oslo.yaml": sub}))
    assert config_warnings(config, {}) == []


# --- kind-specific feed options live with the source -------------------------------------------


def test_a_kinds_own_option_is_unknown_on_another_kind(tmp_path: Path) -> None:
    feeds = (
        "feeds:\n"
        "  - {id: nsm, kind: rss, url: 'https://nsm.example/rss', fingerprints: []}\n"
        "  - {id: t, kind: taxii, url: 'https://taxii.example/root/', colection: c1}\n"
    )
    problems = _problems(_write(tmp_path, feeds, {"0301-oslo.yaml": OSLO_UNQUOTED}))
    assert problems == [
        "feeds.yaml: feeds[0].fingerprints: unknown key; remove it or fix its spelling "
        "(the README lists every key) (line 2)",
        "feeds.yaml: feeds[1].colection: unknown key (did you mean 'collection'?); remove it or "
        "fix its spelling (line 3)",
    ]


def test_source_options_read_like_fields_and_keep_their_types() -> None:
    from certbot.sources.csaf import CsafSource
    from certbot.sources.taxii import TaxiiOptions

    fpr = "A" * 40
    csaf = FeedConfig(id="c", kind="csaf", url="https://x.example/", fingerprints=[fpr])
    assert isinstance(csaf.options, CsafSource.options) and csaf.fingerprints == (fpr,)
    taxii = FeedConfig(id="t", kind="taxii", url="https://x.example/", collection="c1")
    assert isinstance(taxii.options, TaxiiOptions) and taxii.collection == "c1"
    assert FeedConfig.model_validate(taxii.model_dump()) == taxii  # a round trip keeps them
    with pytest.raises(AttributeError):
        _ = FeedConfig(id="r", kind="rss", url="https://x.example/").collection
