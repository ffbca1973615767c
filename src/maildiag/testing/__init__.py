"""maildiag's testing kit: an in-process fake DNS for your own tests.

A shop's signup tests need to say "this domain has a null MX", "this one times out"
without a network. :class:`FakeResolver` is a small fake internet you pass as
``resolver=``; it works with :func:`maildiag.diagnose` and :func:`maildiag.adiagnose`::

    from maildiag.testing import FakeResolver
    dns = FakeResolver()
    dns.mx("shop-customer.example", "mx1.shop-customer.example")
    dns.null_mx("no-mail.example")
    dns.fail("broken.example", "servfail")
    d = maildiag.diagnose("jane@no-mail.example", resolver=dns)
    assert d.has("mx.null")

A domain built with ``.mx()`` takes mail unless the test says otherwise: its hosts get
:data:`maildiag.testing.addresses.MX_ADDRESS`, an address maildiag's default options count
as a usable mail server but that no connection can reach. The marker
``@pytest.mark.maildiag(dns=...)`` builds domains the same way. For a real test server on
loopback pass ``address="127.0.0.1"`` and diagnose with ``allow_private_addresses=True``.
Like the real internet, the fake knows that ``gmail.com`` and ``outlook.com`` exist
(maildiag uses them to notice a resolver that lies); ``sane=False`` leaves them out.

Code that calls ``maildiag.diagnose(email)`` with no ``resolver=`` is served from the fake
inside ``with fake_dns() as dns:`` (or the pytest fixture ``maildiag_default_dns``), in
every thread and task of the process.

See also :mod:`maildiag.testing.addresses` (reserved test addresses with guaranteed
diagnoses), :mod:`maildiag.testing.strategies` (Hypothesis strategies) and the pytest
plugin's fixtures ``maildiag_dns``, ``maildiag_scenarios`` and ``maildiag_offline``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maildiag.testing._fake import FakeResolver, fake_dns

__all__ = ["FakeResolver", "fake_dns"]


def __getattr__(name: str) -> Any:
    # Lazy, so that pytest loading the plugin (maildiag.testing.pytest_plugin) imports
    # nothing but this package's name.
    if name in ("FakeResolver", "fake_dns"):
        value = getattr(importlib.import_module("maildiag.testing._fake"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'maildiag.testing' has no attribute {name!r}")
