"""Reserved test addresses with guaranteed diagnoses, in the manner of payment test cards.

A payment provider's sandbox has ``4242 4242 4242 4242`` (always succeeds) and
``4000 0000 0000 0002`` (always declined). maildiag's testing kit has an address for each
outcome a signup page must handle, and :func:`scenario_resolver`, a fake DNS that serves
all of them::

    import maildiag
    from maildiag.testing import addresses

    dns = addresses.scenario_resolver()
    d = maildiag.diagnose(addresses.NULL_MX, resolver=dns)
    assert d.verdict == "undeliverable" and d.has("mx.null")

With ``resolver=scenario_resolver()`` and otherwise default options, sync or async, each
address gets the verdict and (at least) the finding codes listed in :data:`SCENARIOS`;
maildiag's own test suite checks every row. The addresses live under
``maildiag.example`` (RFC 2606 §2: ``.example`` is never delegated), except where the
scenario needs a real name: ``gmial.com`` and ``hotmail.con`` (typos) and
``mailinator.com`` (a disposable-address service). None of them is ever looked up on the
internet through the scenario resolver.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import dataclasses

from maildiag.model import Verdict
from maildiag.testing._fake import _GLOBAL_TEST_ADDRESS, FakeResolver

__all__ = [
    "BACKUP_MX_MISSING",
    "DISPOSABLE",
    "DNS_REFUSED",
    "DNS_SERVFAIL",
    "DNS_TIMEOUT",
    "FIXABLE",
    "IMPLICIT_MX",
    "INVALID",
    "MX_ADDRESS",
    "MX_HOST_MISSING",
    "MX_PRIVATE",
    "NO_DOMAIN",
    "NO_MX_NO_ADDRESS",
    "NULL_MX",
    "OK",
    "ROLE",
    "SCENARIOS",
    "TYPO_DOT_CON",
    "TYPO_GMAIL",
    "Scenario",
    "scenario_resolver",
]

#: The address every mail host of the scenario zone has, and the default of
#: :meth:`FakeResolver.mx`: ``2001:20::25``, an ORCHIDv2 address (RFC 7343). IANA's
#: special-purpose registry marks 2001:20::/28 globally reachable, so maildiag counts the
#: host as a real mail server with default options; yet ORCHIDs are identifiers that are
#: not routable at the IP layer (RFC 7343 §2): no test that ever tried to connect could
#: reach anyone. Loopback counts as unroutable unless ``allow_private_addresses=True``.
MX_ADDRESS = _GLOBAL_TEST_ADDRESS

_ZONE = "maildiag.example"

#: Nothing wrong: verdict ``ok``, no finding.
OK = f"jane@ok.{_ZONE}"
#: No MX record, but an address record acting as the mail exchanger (RFC 5321 §5.1):
#: ``ok`` with ``mx.implicit``.
IMPLICIT_MX = f"jane@implicit-mx.{_ZONE}"
#: A transposed provider domain: ``fix`` with ``domain.typo``, suggestion ``jane@gmail.com``.
TYPO_GMAIL = "jane@gmial.com"
#: ``.con`` for ``.com``: ``fix`` with ``domain.typo``, suggestion ``jane@hotmail.com``.
TYPO_DOT_CON = "jane@hotmail.con"
#: Pasted with a display name: ``fix`` with ``syntax.repaired.display_name``, suggestion :data:`OK`.
FIXABLE = f"Jane Doe <{OK}>"
#: Nothing after the ``@``: ``undeliverable`` with a ``syntax.*`` finding.
INVALID = "jane@"
#: RFC 7505 null MX (``0 .``): ``undeliverable`` with ``mx.null``.
NULL_MX = f"jane@null-mx.{_ZONE}"
#: The domain does not exist (NXDOMAIN): ``undeliverable`` with ``domain.not_found``.
NO_DOMAIN = f"jane@no-such-domain.{_ZONE}"
#: The domain exists with neither MX nor address records: ``undeliverable`` with
#: ``domain.no_mail_route``.
NO_MX_NO_ADDRESS = f"jane@no-mail-route.{_ZONE}"
#: The only MX host does not exist: ``undeliverable`` with ``mx.host_not_found`` and
#: ``mx.no_usable_host``.
MX_HOST_MISSING = f"jane@mx-host-missing.{_ZONE}"
#: The only MX host has a private address (10.0.0.25): ``undeliverable`` with
#: ``mx.host_not_routable`` and ``mx.no_usable_host``.
MX_PRIVATE = f"jane@mx-private.{_ZONE}"
#: The backup MX host does not exist, the primary works: ``risky`` with ``mx.host_not_found``.
BACKUP_MX_MISSING = f"jane@backup-mx-missing.{_ZONE}"
#: Our DNS query times out (answered at once, no waiting): ``unknown`` with ``dns.timeout``,
#: blamed on ``our_network``. Never block a customer on it.
DNS_TIMEOUT = f"jane@timeout.{_ZONE}"
#: Our resolver answers SERVFAIL: ``unknown`` with ``dns.servfail``, blamed on ``our_network``.
DNS_SERVFAIL = f"jane@servfail.{_ZONE}"
#: Our resolver answers REFUSED: ``unknown`` with ``dns.refused``, blamed on ``our_network``.
DNS_REFUSED = f"jane@refused.{_ZONE}"
#: A disposable-address service: ``risky`` with ``flag.disposable``.
DISPOSABLE = "x@mailinator.com"
#: An RFC 2142 role mailbox: ``risky`` with ``flag.role``.
ROLE = f"postmaster@ok.{_ZONE}"


@dataclasses.dataclass(frozen=True, slots=True)
class Scenario:
    """One reserved address and the diagnosis it is guaranteed to get.

    Attributes:
        name: the constant's name in this module (``"NULL_MX"``).
        address: the address.
        verdict: the verdict it always gets with :func:`scenario_resolver`.
        codes: finding codes (or code prefixes, as :meth:`~maildiag.Diagnosis.has` reads
            them) that are always present; others may be added in later versions.
        suggestion: the suggestion it always gets (``fix`` scenarios), else ``None``.
    """

    name: str
    address: str
    verdict: Verdict
    codes: tuple[str, ...] = ()
    suggestion: str | None = None


#: Every reserved address with its guarantee, in the order a signup page meets them.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("OK", OK, Verdict.OK),
    Scenario("IMPLICIT_MX", IMPLICIT_MX, Verdict.OK, ("mx.implicit",)),
    Scenario("TYPO_GMAIL", TYPO_GMAIL, Verdict.FIX, ("domain.typo",), "jane@gmail.com"),
    Scenario("TYPO_DOT_CON", TYPO_DOT_CON, Verdict.FIX, ("domain.typo",), "jane@hotmail.com"),
    Scenario("FIXABLE", FIXABLE, Verdict.FIX, ("syntax.repaired.display_name",), OK),
    Scenario("INVALID", INVALID, Verdict.UNDELIVERABLE, ("syntax",)),
    Scenario("NULL_MX", NULL_MX, Verdict.UNDELIVERABLE, ("mx.null",)),
    Scenario("NO_DOMAIN", NO_DOMAIN, Verdict.UNDELIVERABLE, ("domain.not_found",)),
    Scenario("NO_MX_NO_ADDRESS", NO_MX_NO_ADDRESS, Verdict.UNDELIVERABLE, ("domain.no_mail_route",)),
    Scenario("MX_HOST_MISSING", MX_HOST_MISSING, Verdict.UNDELIVERABLE, ("mx.host_not_found", "mx.no_usable_host")),
    Scenario("MX_PRIVATE", MX_PRIVATE, Verdict.UNDELIVERABLE, ("mx.host_not_routable", "mx.no_usable_host")),
    Scenario("BACKUP_MX_MISSING", BACKUP_MX_MISSING, Verdict.RISKY, ("mx.host_not_found",)),
    Scenario("DNS_TIMEOUT", DNS_TIMEOUT, Verdict.UNKNOWN, ("dns.timeout",)),
    Scenario("DNS_SERVFAIL", DNS_SERVFAIL, Verdict.UNKNOWN, ("dns.servfail",)),
    Scenario("DNS_REFUSED", DNS_REFUSED, Verdict.UNKNOWN, ("dns.refused",)),
    Scenario("DISPOSABLE", DISPOSABLE, Verdict.RISKY, ("flag.disposable",)),
    Scenario("ROLE", ROLE, Verdict.RISKY, ("flag.role",)),
)


def scenario_resolver() -> FakeResolver:
    """A fresh :class:`~maildiag.testing.FakeResolver` serving every reserved address.

    It also knows ``gmail.com`` and ``outlook.com``, as every FakeResolver does, so an
    NXDOMAIN it gives is trusted. Add your own names to it as to any FakeResolver.

    .. versionadded:: 0.1.0
    """
    zone = _ZONE
    fake = FakeResolver()
    fake.mx(f"ok.{zone}", f"mx1.ok.{zone}", f"mx2.ok.{zone}", address=MX_ADDRESS)
    fake.address(f"implicit-mx.{zone}", MX_ADDRESS)
    fake.null_mx(f"null-mx.{zone}")
    fake.exists(f"no-mail-route.{zone}")
    fake.mx(f"mx-host-missing.{zone}", f"ghost.mx-host-missing.{zone}", address=None)
    fake.mx(f"mx-private.{zone}", f"mx.mx-private.{zone}", address="10.0.0.25")
    fake.mx(f"backup-mx-missing.{zone}", f"mx.backup-mx-missing.{zone}", address=MX_ADDRESS)
    fake.add(f"backup-mx-missing.{zone}", "MX", f"20 ghost.backup-mx-missing.{zone}.")
    fake.fail(f"timeout.{zone}", "timeout")
    fake.fail(f"servfail.{zone}", "servfail")
    fake.fail(f"refused.{zone}", "refused")
    fake.mx("mailinator.com", "mail.mailinator.com", address=MX_ADDRESS)
    # A name for the zone itself, so "no-such-domain" is an NXDOMAIN under a live parent,
    # as on the internet.
    fake.exists(zone)
    return fake
