"""Messages are plain text; pages get them escaped exactly once (issue 9.4, docs/design.md).

The values inside a message (an address the customer typed, an MX host name a DNS server
gave, a mail server's reply) are hostile as far as a page is concerned.
"""

from __future__ import annotations

import html
from typing import Any

import django
import pytest
from django import forms
from django.conf import settings
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
        assert html.unescape(shown) == d.message(locale)


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
    assert "<" not in shown and ">" not in shown
    assert html.unescape(shown) == finding.message(locale)


# -- Django: its templates escape; maildiag must not escape a second time ------------------------


@pytest.fixture(scope="module")
def dj() -> Any:
    if not settings.configured:
        settings.configure(USE_I18N=True, LANGUAGE_CODE="en", INSTALLED_APPS=["django.contrib.contenttypes"],
                           DATABASES={})
        django.setup()
    import maildiag.django

    return maildiag.django


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
