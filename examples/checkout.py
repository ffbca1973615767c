"""Check the email address on a signup or checkout page, and decide what to show.

Copy ``signup_feedback`` (sync) or ``asignup_feedback`` (asyncio) into your view. The rule
that matters most: **never block a customer on ``unknown``**. It means *our* DNS or
network failed, and says nothing about the address.

Try it (``--scenarios`` answers from maildiag's reserved test addresses, ``--offline``
skips DNS; without either, your system's resolver is used)::

    python examples/checkout.py --scenarios jane@gmial.com jane@null-mx.maildiag.example
    python examples/checkout.py --offline --locale he "Jane Doe <jane@example.org>"
    python examples/checkout.py --async --scenarios --json jane@timeout.maildiag.example
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from typing import Any, Literal

import maildiag

# A checkout page cannot keep a customer waiting: at most this long for all DNS work.
# Past it, what was not checked is "unknown", and "unknown" never blocks.
DEADLINE = 1.5

Action = Literal["accept", "ask", "refuse"]


@dataclasses.dataclass(frozen=True)
class Feedback:
    """What the page does with the address.

    Attributes:
        action: ``accept`` (go on), ``ask`` (offer ``suggestion``; the customer may keep
            what they typed), or ``refuse`` (mail cannot arrive: ask for another address).
        message: text to show next to the field ("" for nothing).
        suggestion: the corrected address for a "Did you mean ...?" button.
        verdict: maildiag's verdict, for your logs.
        codes: the finding codes, for your logs and analytics (stable; messages are not).
    """

    action: Action
    message: str
    suggestion: str | None
    verdict: str
    codes: tuple[str, ...]


def feedback(d: maildiag.Diagnosis, *, confirmed: bool = False, locale: str = "en") -> Feedback:
    """Turn a diagnosis into what the page shows. ``confirmed``: the customer already saw
    the suggestion and chose to keep the address as typed."""
    verdict = d.verdict
    if verdict == "fix" and not confirmed:
        # A likely typo (gmial.com) or pasted junk ("Jane <jane@x.com>"): offer the fix,
        # once. Some typos are real addresses, so the customer has the last word.
        action: Action = "ask"
        message = d.message(locale)
    elif verdict == "undeliverable":
        # No such domain, a null MX, broken syntax: mail cannot arrive. Say why.
        action, message = "refuse", d.message(locale)
    elif verdict == "risky":
        # Mail may arrive but something is in the way (a disposable inbox, a role
        # account, a broken backup MX). Accept, and tell the customer what we noticed.
        action, message = "accept", d.message(locale)
    else:
        # ok, a confirmed fix, and unknown. Unknown means our lookup failed: accepting is
        # right; re-check later (a background job) if you like.
        action, message = "accept", ""
    return Feedback(action, message, d.suggestion if action == "ask" else None, verdict.value, d.codes)


def signup_feedback(address: str, *, confirmed: bool = False, locale: str = "en", **options: Any) -> Feedback:
    """Diagnose ``address`` (blocking; at most ``DEADLINE`` seconds of DNS) and decide."""
    d = maildiag.diagnose(address, deadline=DEADLINE, **options)
    return feedback(d, confirmed=confirmed, locale=locale)


async def asignup_feedback(address: str, *, confirmed: bool = False, locale: str = "en", **options: Any) -> Feedback:
    """The asyncio twin, for async views (Starlette, FastAPI, aiohttp, Django async)."""
    d = await maildiag.adiagnose(address, deadline=DEADLINE, **options)
    return feedback(d, confirmed=confirmed, locale=locale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("addresses", nargs="+")
    parser.add_argument("--async", dest="use_async", action="store_true", help="use adiagnose()")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--offline", action="store_true", help="skip DNS (syntax, typos and data flags only)")
    mode.add_argument("--scenarios", action="store_true", help="answer DNS from maildiag's reserved test zone")
    parser.add_argument("--locale", default="en", help="message language: en, he")
    parser.add_argument("--confirmed", action="store_true", help="the customer kept the address after a suggestion")
    parser.add_argument("--json", action="store_true", help="one JSON object per address")
    args = parser.parse_args(argv)

    options: dict[str, Any] = {"offline": args.offline}
    if args.scenarios:
        # The testing kit is part of maildiag; importing it costs nothing in production
        # because only this branch does.
        from maildiag.testing.addresses import scenario_resolver

        options["resolver"] = scenario_resolver()

    kwargs = {"confirmed": args.confirmed, "locale": args.locale, **options}
    if args.use_async:

        async def run_all() -> list[Feedback]:
            # A page checks one address; checking several concurrently is for the demo.
            return list(await asyncio.gather(*(asignup_feedback(a, **kwargs) for a in args.addresses)))

        results = asyncio.run(run_all())
    else:
        results = [signup_feedback(a, **kwargs) for a in args.addresses]

    for address, fb in zip(args.addresses, results, strict=True):
        if args.json:
            print(json.dumps({"address": address, **dataclasses.asdict(fb)}, ensure_ascii=False))
        else:
            extra = f"  [{fb.suggestion}]" if fb.suggestion else ""
            print(f"{address!r}: {fb.action.upper()} ({fb.verdict}) {fb.message}{extra}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
