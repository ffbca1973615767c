"""The entry points: :func:`diagnose` and :func:`adiagnose`."""

from __future__ import annotations

import functools
from typing import Any

from maildiag._core import diagnose_offline, plan
from maildiag._shells import run_async, run_sync
from maildiag.model import Diagnosis
from maildiag.options import Options

__all__ = ["adiagnose", "clear_dns_cache", "diagnose"]


_DEFAULT = Options()


@functools.lru_cache(maxsize=256)
def _derived(base: Options, overrides: tuple[tuple[str, type, Any], ...]) -> Options:
    return base.replace(**{k: v for k, _, v in overrides})


def _options(options: Options | None, overrides: dict[str, Any]) -> Options:
    base = options if options is not None else _DEFAULT
    if not overrides:
        return base
    if "resolver" in overrides:
        # A resolver made per request would miss the cache and be kept alive by it.
        return base.replace(**overrides)
    # Checkout code calls diagnose(addr, offline=True) thousands of times: building and
    # validating the same Options each time would cost more than the syntax check.
    try:
        # The type is part of the key: deadline=True must not hit deadline=1's entry
        # (True == 1 and hash alike) and so skip the validation that refuses it.
        return _derived(base, tuple(sorted((k, type(v), v) for k, v in overrides.items())))
    except TypeError:  # an unhashable option value (extra_providers with dicts)
        return base.replace(**overrides)


def _check_input(address: object) -> str:
    if not isinstance(address, str):
        raise TypeError(f"address must be str, not {type(address).__name__}")
    return address


def diagnose(address: str, /, *, options: Options | None = None, **overrides: Any) -> Diagnosis:
    """Diagnose ``address``: will mail to it arrive, and if not, why and what to do.

    Args:
        address: the address as the customer typed it. Any string is accepted; problems
            with it are findings, never exceptions.
        options: an :class:`Options` value; keyword ``overrides`` (``offline=True``,
            ``deadline=1.0``, ``resolver=...``) are applied on top of it.

    Returns:
        A :class:`Diagnosis`. DNS failures on our side give the verdict ``unknown``,
        never ``undeliverable``. The call returns within ``deadline`` seconds of DNS time.

    Raises:
        TypeError: ``address`` is not a ``str`` (for example ``bytes`` or ``None``).
        ValueError / TypeError: an option has an invalid value.

    .. versionadded:: 0.1.0
    """
    opts = _options(options, overrides)
    if opts.offline:
        return diagnose_offline(_check_input(address), opts)
    flow = plan(_check_input(address), opts)
    return run_sync(flow, opts.resolver, opts.deadline)


async def adiagnose(address: str, /, *, options: Options | None = None, **overrides: Any) -> Diagnosis:
    """The asyncio twin of :func:`diagnose`: same arguments, same rules, same result.

    MX hosts' addresses are looked up concurrently and the deadline is kept with
    ``asyncio.timeout``. A synchronous ``dns.resolver.Resolver`` passed as ``resolver`` is
    mirrored by an async one with the same servers and cache.

    .. versionadded:: 0.1.0
    """
    opts = _options(options, overrides)
    flow = plan(_check_input(address), opts)
    return await run_async(flow, opts.resolver, opts.deadline)


def clear_dns_cache() -> None:
    """Forget every domain's DNS result kept by this process (docs/design.md "The per-domain cache").

    ``diagnose``, ``adiagnose`` and ``diagnose_many`` keep each domain's DNS result as long
    as its TTLs allow; call this after changing DNS you are testing against, or pass
    ``dns_cache=False`` to ask DNS every time. The testing kit's fixtures call it before
    every test. Lookups in flight are not interrupted.

    .. versionadded:: 0.2.0
    """
    from maildiag import _cache

    _cache.CACHE.clear()
