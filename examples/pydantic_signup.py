"""A signup endpoint with pydantic: "Did you mean jane@gmail.com?" in the 422 body.

This is what a FastAPI endpoint does, written without FastAPI so that it runs anywhere with
pydantic alone (``pip install 'maildiag[pydantic]'``). In FastAPI the same two steps are::

    @app.post("/signup", status_code=201)
    async def signup(body: SignupBody) -> dict[str, str]:
        # 1. FastAPI already validated SignupBody offline: typos came back as 422 email_typo.
        # 2. DNS, async and bounded; "unknown" (our DNS failed) never blocks.
        d = await maildiag.adiagnose(body.email, deadline=1.5, suggest_typos=not body.keep_as_typed)
        if d.verdict == "undeliverable":
            raise HTTPException(422, detail=[dns_error(d, "en")])
        return {"email": body.email}

FastAPI validates a body without a validation context, so the messages of step 1 are in the
field's locale. For a per-request language (``Accept-Language``), take the raw JSON and call
``SignupBody.model_validate(payload, context={"maildiag_locale": locale})`` yourself, as
:func:`signup` below does.

Try it (no network: DNS is answered by maildiag's reserved test zone unless ``--dns system``)::

    python examples/pydantic_signup.py
    python examples/pydantic_signup.py --locale he jane@gmial.com
    python examples/pydantic_signup.py --keep-as-typed jane@gmai.com
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

import maildiag
from maildiag.pydantic import LOCALE_CONTEXT_KEY, MaildiagEmail
from maildiag.testing.addresses import SCENARIOS, scenario_resolver

# A customer is waiting: at most this long for all DNS work of one signup.
DEADLINE = 1.5


class SignupBody(BaseModel):
    """The JSON body of POST /signup."""

    # Declared before `email`: pydantic shows a field's validator only the fields before it.
    # The frontend sets it when the customer saw "Did you mean ...?" and kept their address.
    keep_as_typed: bool = False
    # `diag_email(accept_as_typed_field="keep_as_typed")` is the same type, shorter; this
    # spelling is the one type checkers understand.
    email: Annotated[str, MaildiagEmail(accept_as_typed_field="keep_as_typed")]
    name: str = ""


def dns_error(d: maildiag.Diagnosis, locale: str) -> dict[str, Any]:
    """A 422 detail entry for a DNS refusal, shaped like pydantic's own errors."""
    finding = next(f for f in d.findings if f.severity == "error")
    return {
        "type": "email_undeliverable",
        "loc": ["body", "email"],
        "msg": d.message(locale),
        "ctx": {"code": finding.code},
    }


async def signup(payload: dict[str, Any], *, locale: str = "en", resolver: Any = None) -> tuple[int, dict[str, Any]]:
    """Handle one POST /signup: returns (HTTP status, JSON body)."""
    # Step 1, offline and synchronous: syntax, typos, repairable input, the shop's rules.
    try:
        body = SignupBody.model_validate(payload, context={LOCALE_CONTEXT_KEY: locale})
    except ValidationError as exc:
        detail = exc.errors(include_url=False, include_input=False)
        return 422, {"detail": [{**e, "loc": ["body", *e["loc"]]} for e in detail]}
    # Step 2, DNS: awaited here, in the endpoint, where it can be; never in a validator.
    d = await maildiag.adiagnose(
        body.email, deadline=DEADLINE, resolver=resolver, suggest_typos=not body.keep_as_typed
    )
    if d.verdict == "undeliverable":
        return 422, {"detail": [dns_error(d, locale)]}
    # ok, risky and unknown are accepted: unknown means *our* lookup failed. Store the
    # verdict to re-check later if you like; never make the customer pay for our network.
    return 201, {"email": body.email, "verdict": d.verdict.value}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("addresses", nargs="*", help="addresses to sign up (default: the reserved scenarios)")
    parser.add_argument("--locale", default="en", help="message language: en or he")
    parser.add_argument("--keep-as-typed", action="store_true", help="the customer kept the address as typed")
    parser.add_argument(
        "--dns", choices=("scenarios", "system"), default="scenarios",
        help="scenarios: maildiag's reserved test zone, no network (default); system: your resolver",
    )  # fmt: skip
    args = parser.parse_args(argv)
    addresses = args.addresses or [s.address for s in SCENARIOS]
    resolver = scenario_resolver() if args.dns == "scenarios" else None
    for address in addresses:
        payload = {"email": address, "keep_as_typed": args.keep_as_typed}
        status, body = asyncio.run(signup(payload, locale=args.locale, resolver=resolver))
        print(json.dumps({"email": address, "status": status, "body": body}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
