"""SPF (RFC 7208): one test per rule, each failing without the rule."""

from __future__ import annotations

import pytest
from tests.doctor._zone import GOOD, good_zone, problems, run, txt

from maildiag._doctor import spf


def test_good_domain_has_no_spf_problem() -> None:
    report = run(good_zone(), sending_ips=["192.0.2.10", "2001:db8::25"])
    assert not {c for c in problems(report) if c.startswith("doctor.spf")}
    assert report.find("doctor.spf.ip_not_permitted") is None


def _with_spf(*records: str) -> set[str]:
    fake = good_zone()
    fake._records[(GOOD, "TXT")] = [txt(r) for r in records]
    return problems(run(fake))


@pytest.mark.parametrize(
    ("records", "code"),
    [
        ((), "doctor.spf.missing"),  # §4.5: no record
        (("google-site-verification=abc",), "doctor.spf.missing"),  # other TXT is no SPF
        (("v=spf10 -all",), "doctor.spf.missing"),  # §4.5: version must be exactly v=spf1
        (("v=spf1 -all", "v=spf1 ~all"), "doctor.spf.multiple"),  # §4.5: two records
        (("v=spf1 ip4:192.0.2.300 -all",), "doctor.spf.syntax"),
        (("v=spf1 ip4:192.0.2.0/33 -all",), "doctor.spf.syntax"),
        (("v=spf1 ip6:192.0.2.1 -all",), "doctor.spf.syntax"),
        (("v=spf1 foo:bar -all",), "doctor.spf.syntax"),  # unknown mechanism
        (("v=spf1 include -all",), "doctor.spf.syntax"),  # include needs a domain
        (("v=spf1 redirect=a.example redirect=b.example",), "doctor.spf.syntax"),  # §6: once
        (("v=spf1 +all",), "doctor.spf.all_pass"),
        (("v=spf1 all",), "doctor.spf.all_pass"),  # no qualifier means +
        (("v=spf1 ip4:192.0.2.0/24 ?all",), "doctor.spf.all_neutral"),
        (("v=spf1 ip4:192.0.2.0/24",), "doctor.spf.no_all"),  # §4.7 default neutral
        (("v=spf1 ptr -all",), "doctor.spf.ptr_used"),  # §5.5
        (("v=spf1 include:nospf.example -all",), "doctor.spf.include_no_record"),
    ],
)
def test_each_rule_fires(records: tuple[str, ...], code: str) -> None:
    assert code in _with_spf(*records)


def test_unknown_modifiers_and_redirect_with_all_are_fine() -> None:
    # §6: unknown modifiers are ignored; redirect is ignored when all is present (§6.1).
    assert not {c for c in _with_spf("v=spf1 foo=bar ip4:192.0.2.0/24 -all") if c.startswith("doctor.spf")}


def _chain(fake: object, count: int) -> None:
    """A domain whose SPF includes ``count`` nested records (one lookup each)."""
    names = [f"i{n}.{GOOD}" for n in range(count)]
    for name, nxt in zip(names, [*names[1:], None], strict=True):
        body = f"v=spf1 include:{nxt} -all" if nxt else "v=spf1 ip4:198.51.100.1 -all"
        fake.add(name, "TXT", txt(body))  # type: ignore[attr-defined]
    fake._records[(GOOD, "TXT")] = [txt(f"v=spf1 include:{names[0]} -all")]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("includes", "too_many"), [(10, False), (11, True)])
def test_ten_lookup_limit_counts_nested_includes(includes: int, too_many: bool) -> None:
    """§4.6.4: 10 terms causing lookups are allowed, the 11th is a permerror."""
    fake = good_zone()
    _chain(fake, includes)
    report = run(fake, sending_ips=["198.51.100.1"])
    assert report.has("doctor.spf.too_many_lookups") is too_many
    # A message from the innermost range passes only within the limit.
    assert report.has("doctor.spf.ip_not_permitted") is too_many
    if too_many:
        finding = report.find("doctor.spf.too_many_lookups")
        assert finding is not None and finding.params["count"] == 11
        assert finding.evidence  # the records seen


def test_lookup_count_includes_a_mx_exists_and_redirect() -> None:
    fake = good_zone()
    fake._records[(GOOD, "TXT")] = [txt("v=spf1 a mx a:a1.example mx:m1.example exists:e.example "
                                        "a:a2.example a:a3.example a:a4.example a:a5.example redirect=r.example")]
    fake.add("r.example", "TXT", txt("v=spf1 a -all"))
    for n in range(1, 6):
        fake.address(f"a{n}.example", "192.0.2.99")
    fake.mx("m1.example", "mx.m1.example")
    fake.address("e.example", "127.0.0.2")
    fake.address("r.example", "192.0.2.98")
    report = run(fake)
    finding = report.find("doctor.spf.too_many_lookups")
    assert finding is not None and finding.params["count"] == 11  # 10 terms + the redirect's a


def test_void_lookup_limit() -> None:
    """§4.6.4: more than two lookups returning NXDOMAIN/no answer is a permerror."""
    two = _with_spf("v=spf1 a:gone1.example a:gone2.example ip4:192.0.2.0/24 -all")
    three = _with_spf("v=spf1 a:gone1.example a:gone2.example a:gone3.example ip4:192.0.2.0/24 -all")
    assert "doctor.spf.too_many_void_lookups" not in two
    assert "doctor.spf.too_many_void_lookups" in three


def test_include_loop_is_found_and_ends() -> None:
    fake = good_zone()
    fake._records[(GOOD, "TXT")] = [txt("v=spf1 include:loop1.example -all")]
    fake.add("loop1.example", "TXT", txt("v=spf1 include:loop2.example -all"))
    fake.add("loop2.example", "TXT", txt("v=spf1 include:loop1.example -all"))
    report = run(fake)
    assert report.has("doctor.spf.include_loop")
    assert len([q for q in fake.queries if q == ("loop1.example", "TXT")]) == 1


@pytest.mark.parametrize(
    ("record", "ip", "result"),
    [
        ("v=spf1 ip4:192.0.2.0/24 -all", "192.0.2.77", "pass"),
        ("v=spf1 ip4:192.0.2.0/24 -all", "198.51.100.1", "fail"),
        ("v=spf1 ip4:192.0.2.0/24 ~all", "198.51.100.1", "softfail"),
        ("v=spf1 ip4:192.0.2.0/24 ?all", "198.51.100.1", "neutral"),
        ("v=spf1 ip4:192.0.2.0/24", "198.51.100.1", "neutral"),  # §4.7
        ("v=spf1 -ip4:192.0.2.77 ip4:192.0.2.0/24 -all", "192.0.2.77", "fail"),  # first match wins
        ("v=spf1 ip6:2001:db8::/32 -all", "2001:db8::1", "pass"),
        ("v=spf1 ip4:192.0.2.0/24 -all", "::ffff:192.0.2.1", "pass"),  # §5: mapped = IPv4
        ("v=spf1 a/24 -all", "192.0.2.200", "pass"),  # the domain's A 192.0.2.10 with a /24
        ("v=spf1 a -all", "192.0.2.200", "fail"),
        ("v=spf1 mx -all", "192.0.2.25", "pass"),
        ("v=spf1 include:_spf.good.example -all", "2001:db8::9", "pass"),
        ("v=spf1 -include:_spf.good.example ip6:2001:db8::/32 -all", "2001:db8::9", "fail"),
        ("v=spf1 ip4:192.0.2.1 redirect=_spf.good.example", "2001:db8::9", "pass"),  # §6.1
        ("v=spf1 include:nospf.example -all", "192.0.2.1", "permerror"),  # §5.2
        ("v=spf1 exists:e.example -all", "203.0.113.1", "pass"),
        # A macro term (§7) is not evaluated: before a match it leaves the result unknown,
        # after one it does not matter.
        ("v=spf1 exists:%{i}.rbl.example -all", "203.0.113.1", "undetermined"),
        ("v=spf1 ip4:203.0.113.1 exists:%{i}.rbl.example -all", "203.0.113.1", "pass"),
        ("v=spf1 ptr -all", "203.0.113.1", "undetermined"),
    ],
)
def test_sending_ip_evaluation(record: str, ip: str, result: str) -> None:
    fake = good_zone()
    fake._records[(GOOD, "TXT")] = [txt(record)]
    fake.address(GOOD, "192.0.2.10")
    fake._records[(f"mx.{GOOD}", "AAAA")] = []
    fake.address(f"mx.{GOOD}", "192.0.2.25")
    fake.address("e.example", "127.0.0.2")
    report = run(fake, sending_ips=[ip])
    found = report.find("doctor.spf.ip_not_permitted")
    if result in ("pass", "undetermined"):
        assert found is None
    else:
        assert found is not None and found.params["result"] == result


def test_parse_is_linear_and_total() -> None:
    """A hostile record costs time in proportion to its size and never raises."""
    record = spf.parse("v=spf1 " + "ip4:1.2.3.4 " * 20_000)
    assert len(record.terms) == 20_000
    assert spf.parse("v=spf1 " + "%{" * 10_000).errors


def test_a_failed_lookup_is_unknown_not_a_verdict() -> None:
    fake = good_zone().fail(GOOD, "servfail")
    report = run(fake)
    assert report.has("doctor.dns_failed")
    assert not report.has("doctor.spf.missing")


def test_a_failed_lookup_inside_the_tree_never_says_fail() -> None:
    """The sending IP might have matched the name whose lookup failed: unknown, not "fail"."""
    fake = good_zone()
    fake._records[(GOOD, "TXT")] = [txt("v=spf1 a:flaky.example -all")]
    fake.fail("flaky.example", "timeout")
    report = run(fake, sending_ips=["198.51.100.1"])
    assert not report.has("doctor.spf.ip_not_permitted")
    assert report.has("doctor.dns_failed")
