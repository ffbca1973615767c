"""maildiag's pytest plugin (registered through the ``pytest11`` entry point).

Fixtures for a shop's own tests, named with the ``maildiag_`` prefix so they do not
clash with other plugins (pytest-localserver owns ``smtpserver``):

- ``maildiag_dns``: a fresh :class:`maildiag.testing.FakeResolver`, pre-filled by the
  ``@pytest.mark.maildiag(dns={...})`` marker when present.

The module imports nothing heavy at load time; maildiag itself is imported inside the
fixtures, so merely having maildiag installed costs pytest nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from maildiag.testing import FakeResolver


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``maildiag`` marker."""
    config.addinivalue_line(
        "markers",
        "maildiag(dns=None, sane=True): configure the maildiag_dns fixture; dns maps a domain "
        "to a list of MX hosts, to 'null-mx', or to a failure ('servfail', 'refused', 'timeout').",
    )


@pytest.fixture
def maildiag_dns(request: pytest.FixtureRequest) -> FakeResolver:
    """An in-process fake DNS; pass it as ``resolver=`` to ``maildiag.diagnose``."""
    from maildiag.testing import FakeResolver

    marker = request.node.get_closest_marker("maildiag")
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker else {}
    fake = FakeResolver(sane=bool(kwargs.get("sane", True)))
    for domain, spec in (kwargs.get("dns") or {}).items():
        if spec == "null-mx":
            fake.null_mx(domain)
        elif spec in ("servfail", "refused", "timeout", "error"):
            fake.fail(domain, spec)
        elif isinstance(spec, str):
            fake.mx(domain, spec)
        else:
            fake.mx(domain, *spec)
    return fake
