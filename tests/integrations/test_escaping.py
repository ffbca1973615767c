"""Messages are plain text; pages get them escaped exactly once (issue 9.4, docs/design.md).

The values inside a message (an address the customer typed, an MX host name a DNS server
gave, a mail server's reply) are hostile as far as a page is concerned.
"""

from __future__ import annotations

import html
from typing import Any

import jinja2
import pytest
from django import forms
from django.template import Context, Engine
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

import maildiag
from maildiag import catalog
from maildiag.messages import available_locales, templates
from maildiag.testing import FakeResolver

SCRIPT = '"<script>alert(1)</script>"@gmial.com'
SVG_HOST = "<svg/onload=alert(1)>.evil.example"


def as_text(shown: str) -> str:
    """What a browser shows for message_html's output: the isolates dropped, entities read."""
    return html.unescape(shown.replace("<bdi>", "").replace("</bdi>", ""))


def test_every_shipped_template_is_plain_text() -> None:
    # What message_html leaves unescaped is the template: it must hold no markup of its own.
    for locale in available_locales():
        for code, template in templates(locale).items():
            assert not set("<>&") & set(template), (locale, code)


def test_a_quoted_local_part_with_a_script_is_escaped_in_message_html() -> None:
    d = maildiag.diagnose(SCRIPT, offline=True)
    assert "<script>" in d.message()  # plain text: exactly what was typed
    for locale in ("en", "he"):
        shown = d.message_html(locale)
        assert "<script>" not in shown and "&lt;script&gt;" in shown
        assert as_text(shown) == d.message(locale)


def test_an_mx_host_name_with_markup_is_escaped() -> None:
    fake = FakeResolver().add("shop.example", "MX", f"10 {SVG_HOST}.").address(SVG_HOST, "10.0.0.1")
    d = maildiag.diagnose("jane@shop.example", resolver=fake)
    shown = " ".join(d.messages_html()) + " ".join(f.message_html("he") for f in d.findings)
    assert "<svg" not in shown
    assert any("&lt;svg" in f.message_html() for f in d.findings if "host" in f.params), d.codes


@given(st.sampled_from(sorted(catalog.codes())), st.text(max_size=40), st.sampled_from(["en", "he"]))
@hsettings(max_examples=300, deadline=None)
def test_message_html_is_message_escaped_whatever_the_values(code: str, value: str, locale: str) -> None:
    params = dict.fromkeys(catalog.info(code).params, value)
    finding = catalog.make(code, params)
    shown = finding.message_html(locale)
    markup = shown.replace("<bdi>", "").replace("</bdi>", "")
    assert "<" not in markup and ">" not in markup  # the only markup is maildiag's isolates
    assert as_text(shown) == finding.message(locale)


# -- right to left: each value is a bidi isolate ----------------------------------------------------


@pytest.mark.parametrize("address", ["12345@gmial.com", "דני@gmial.com", "jane@gmial.com"])
@pytest.mark.parametrize("locale", ["he", "en"])
def test_each_value_is_isolated_for_bidi(address: str, locale: str) -> None:
    # Inside a Hebrew sentence the bidi algorithm alone shows 12345@gmail.com as
    # gmail.com@12345 (the digits and the '@' take the sentence's direction); an isolate (<bdi>,
    # direction from its own first strong character) keeps the address whole, in any locale.
    d = maildiag.diagnose(address, offline=True)
    suggestion = d.suggestion
    assert suggestion is not None
    assert f"<bdi>{html.escape(suggestion)}</bdi>" in d.message_html(locale)
    assert "<bdi>" not in d.message(locale) and "\u2068" not in d.message(locale)  # plain text stays plain


# -- Django: its templates escape; maildiag must not escape a second time ------------------------


# -- Jinja2: a page the shop renders itself -------------------------------------------------------


@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("template", ["<p>{{ d.message_html('he') }}</p>", "<p>{{ d.message_html('he')|safe }}</p>"])
def test_jinja2_shows_message_html_escaped_once(autoescape: bool, template: str) -> None:
    # message_html() declares itself HTML (__html__): autoescape on or off, with or without
    # |safe, the page gets it escaped exactly once.
    d = maildiag.diagnose(SCRIPT, offline=True)
    page = jinja2.Environment(autoescape=autoescape).from_string(template).render(d=d)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&amp;" not in page and "&lt;bdi&gt;" not in page  # not escaped twice
    assert page == f"<p>{d.message_html('he')}</p>"


def test_jinja2_autoescape_escapes_the_plain_message_once() -> None:
    d = maildiag.diagnose(SCRIPT, offline=True)
    page = jinja2.Environment(autoescape=True).from_string("<p>{{ d.message() }}</p>").render(d=d)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp;lt;" not in page


def test_plain_text_in_jinja2_without_autoescape_is_the_shops_mistake_message_html_avoids() -> None:
    # What the issue reported: a template without autoescape shows the plain message raw.
    d = maildiag.diagnose(SCRIPT, offline=True)
    env = jinja2.Environment(autoescape=False)
    assert "<script>" in env.from_string("{{ d.message() }}").render(d=d)
    assert "<script>" not in env.from_string("{{ d.message_html() }}").render(d=d)



@pytest.mark.usefixtures("maildiag_offline")
@pytest.mark.parametrize("template", ["{{ form.email.errors }}", "{{ form.errors }}", "{{ form }}",
                                      "{% for e in form.email.errors %}<p>{{ e }}</p>{% endfor %}"])
def test_a_django_template_shows_the_error_escaped_once(dj: Any, template: str) -> None:
    class Signup(forms.Form):
        email = dj.MaildiagEmailField()

    form = Signup(data={"email": SCRIPT})
    assert not form.is_valid()
    page = Engine().from_string(template).render(Context({"form": form}))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "&amp;lt;" not in page  # not escaped twice


@pytest.mark.usefixtures("maildiag_offline")
def test_a_django_template_shows_message_html_as_it_is(dj: Any) -> None:
    # A shop that renders the Diagnosis itself in a Django template: __html__ is Django's
    # protocol too (conditional_escape), so message_html is not escaped a second time.
    d = maildiag.diagnose(SCRIPT, offline=True)
    page = Engine().from_string("{{ d.message_html }}|{{ d.message }}").render(Context({"d": d}))
    shown, plain = page.split("|")
    assert shown == d.message_html() and "<bdi>" in shown and "&lt;script&gt;" in shown
    assert "&lt;script&gt;" in plain and "&amp;lt;" not in plain


def test_a_pydantic_error_shown_on_a_jinja2_page_is_escaped_once() -> None:
    # FastAPI + Jinja2Templates (autoescape on, as Starlette sets it): the 422's plain-text
    # msg put back on the form page is escaped by the template, once.
    from pydantic import BaseModel, ValidationError

    from maildiag.pydantic import DiagEmail

    class Signup(BaseModel):
        email: DiagEmail

    with pytest.raises(ValidationError) as exc:
        Signup(email=SCRIPT)
    (error,) = exc.value.errors()
    assert "<script>" in error["msg"]  # plain text, as JSON wants it
    page = jinja2.Environment(autoescape=True).from_string("<p>{{ msg }}</p>").render(msg=error["msg"])
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp;lt;" not in page
