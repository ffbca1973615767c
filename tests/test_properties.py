"""Properties over arbitrary input: diagnose never raises, and the verdict keeps its promises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import maildiag
from maildiag import Blame, Verdict
from maildiag.testing import FakeResolver

# A small fake internet: a working domain, a null MX, failures, and everything else NXDOMAIN.
FAKE = (
    FakeResolver()
    .mx("shop.example", "mx.shop.example")
    .null_mx("null.example")
    .fail("servfail.example", "servfail")
    .fail("timeout.example", "timeout")
)

address_like = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"[a-zA-Z0-9.+_ -]{0,12}@{1,2}[a-z0-9.,-]{0,20}(\.[a-z]{2,4})?", fullmatch=True),
    st.sampled_from(["shop.example", "null.example", "x.servfail.example", "x.timeout.example", "nope.example"]).map(
        lambda d: f"jane@{d}"
    ),
)


@given(address_like)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_diagnose_with_dns_never_raises_and_never_blames_the_customer_for_our_dns(text: str) -> None:
    d = maildiag.diagnose(text, resolver=FAKE, deadline=0.5, allow_private_addresses=True)
    assert isinstance(d.verdict, Verdict)
    assert 0.0 <= d.confidence <= 1.0
    if d.has("dns.servfail") or d.has("dns.timeout"):
        assert d.verdict in (Verdict.UNKNOWN, Verdict.FIX)  # never undeliverable: our DNS failed
    if d.verdict is Verdict.FIX:
        # A suggestion is a finished address: it needs no further fix and is not refused.
        assert d.suggestion
        again = maildiag.diagnose(d.suggestion, offline=True).verdict
        assert again not in (Verdict.FIX, Verdict.UNDELIVERABLE), (text, d.suggestion, again)
    if d.verdict is Verdict.UNKNOWN:
        assert d.blame is Blame.OUR_NETWORK


@given(address_like)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
async def test_sync_and_async_agree(text: str) -> None:
    sync = maildiag.diagnose(text, resolver=FAKE, deadline=0.5, allow_private_addresses=True)
    asynchronous = await maildiag.adiagnose(text, resolver=FAKE, deadline=0.5, allow_private_addresses=True)
    assert sync == asynchronous
