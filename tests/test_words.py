"""The web pages and the leadership report keep one markup; their words live per language.

Rules that keep it so (`certbot.words`): no page exists for one language only (no
``templates/web/<lang>/`` or ``templates/report/<lang>/`` folder comes back), every language's
table has the same keys with the same placeholders, every key a template names is in every
table, and neither language's table carries the other's common words. Plus the filling itself:
placeholders, the one/other forms, escaping in HTML and none in plain text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import Markup

from certbot.words import fill, load, words

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
AREAS = ("web", "report")
LANGS = ("nb", "en")
# Common function words of the other language ("Traffic Light Protocol" is a quoted name).
FOREIGN = {
    "nb": {"the", "and", "of", "is", "are", "was", "were", "not", "with", "from", "you"},
    "en": {"og", "ikke", "er", "av", "til", "med", "fra", "som", "det", "den", "du"},
}
NAMES_OTHER_LANGUAGE = {"site.other_name", "notes.tlp"}  # the switch's label; a quoted name


def flat(node: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def table(area: str, lang: str) -> dict[str, str]:
    return flat(load(TEMPLATES / area / f"{lang}.toml"))


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)[|}]", text))


@pytest.mark.parametrize("area", AREAS)
def test_no_page_for_one_language_only(area: str) -> None:
    folders = sorted(p.name for p in (TEMPLATES / area).iterdir() if p.is_dir())
    assert folders == [], f"templates/{area}/ must keep one page for all languages: {folders}"
    assert sorted(p.stem for p in (TEMPLATES / area).glob("*.toml")) == sorted(LANGS)


@pytest.mark.parametrize("area", AREAS)
def test_every_language_has_every_key_with_the_same_placeholders(area: str) -> None:
    nb, en = table(area, "nb"), table(area, "en")
    assert sorted(nb.keys() - en.keys()) == [], "only in nb.toml"
    assert sorted(en.keys() - nb.keys()) == [], "only in en.toml"
    differ = [k for k in nb if placeholders(nb[k]) != placeholders(en[k])]
    assert differ == [], "the languages take different values"


def keys_named(source: str) -> tuple[set[str], set[str]]:
    """The literal keys a template passes to ``t(…)`` and ``t.table(…)``, and ``w.<name>``."""
    called = set(re.findall(r"""\bt\(\s*["']([\w.-]+)["']""", source))
    tables = re.findall(r"""t\.table\(\s*["']([\w.-]+)["']\s*\)""", source)
    fields = {f"{t}.{name}" for t in tables for name in re.findall(r"\bw\.(\w+)", source)}
    return {k.rstrip(".") for k in called | set(tables)}, fields  # "advice." ~ key: a prefix


@pytest.mark.parametrize("area", AREAS)
def test_every_key_a_template_names_is_in_every_table(area: str) -> None:
    missing = []
    for path in sorted((TEMPLATES / area).glob("*.*")):
        if path.suffix not in (".html", ".txt"):
            continue
        called, fields = keys_named(path.read_text(encoding="utf-8"))
        for lang in LANGS:
            entries = table(area, lang)
            prefixes = {k.rsplit(".", n)[0] for k in entries for n in range(k.count(".") + 1)}
            missing += [f"{path.name}: {lang} {k}" for k in called | fields if k not in prefixes]
    assert missing == []


@pytest.mark.parametrize(("area", "lang"), [(a, lang) for a in AREAS for lang in LANGS])
def test_no_words_of_the_other_language(area: str, lang: str) -> None:
    leaks = []
    for key, text in table(area, lang).items():
        plain = re.sub(r"<[^>]+>|\{[^{}]*\}|\([^()]*Protocol\)", " ", text).lower()
        found = FOREIGN[lang] & set(re.findall(r"[a-zæøå]+", plain))
        if found and key.split(".", 1)[-1] not in NAMES_OTHER_LANGUAGE:
            leaks.append(f"{key}: {sorted(found)}")
    assert leaks == []


def test_fill_places_values_and_picks_the_form() -> None:
    text = "{n} {n|sak|saker}; {m|den ene|de {m} andre}"
    assert fill(text, {"n": 1, "m": 3}) == "1 sak; de 3 andre"
    assert fill(text, {"n": 2, "m": 1}) == "2 saker; den ene"
    with pytest.raises(KeyError):
        fill("{missing}", {})
    with pytest.raises(ValueError, match="two forms"):
        fill("{n|a|b|c}", {"n": 1})


def render(source: str, autoescape: bool, **values: Any) -> str:
    env = jinja2.Environment(autoescape=autoescape, undefined=jinja2.StrictUndefined)
    return env.from_string(source).render(t=words(TEMPLATES, "web", "nb"), **values)


def test_html_escapes_the_values_not_the_entry() -> None:
    out = render(
        '{{ t("case.match", item=x, rule="r", confidence="c", source="s", entry="e") }}',
        True,
        x="<b>A&B</b>",
    )
    assert out == "&lt;b&gt;A&amp;B&lt;/b&gt;: regel r, sikkerhet c, fra s e"
    report = words(TEMPLATES, "report", "en")
    env = jinja2.Environment(autoescape=True)
    assert (
        env.from_string('{{ t("notes.case_number") }}')
        .render(t=report)
        .startswith("The <b>case number</b>")
    )


def test_plain_text_escapes_nothing() -> None:
    out = render('{{ t("outbox.requeued", id=x) }}', False, x="<1&2>")
    assert out == "Leveranse <1&2> er lagt i køen igjen."
    assert not isinstance(out, Markup)


def test_a_missing_key_fails_loudly() -> None:
    with pytest.raises(KeyError, match=r"no 'site\.nothing'"):
        render('{{ t("site.nothing") }}', True)
    with pytest.raises(KeyError, match="a table, not a text"):
        render('{{ t("link.status") }}', True)
