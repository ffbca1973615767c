"""DKIM key records (RFC 6376 §3.6.1, RFC 8301, RFC 8463) for the selectors the shop names.

The key's size comes from the ``cryptography`` package (it reads the SubjectPublicKeyInfo
DER that ``p=`` holds) when it is installed (``pip install maildiag[doctor]``); without it
the size is reported as unknown rather than guessed.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses

from maildiag._core import Query
from maildiag._doctor._flow import Ctx, DnsFlow, failed, tags, txt_strings

__all__ = ["Key", "check", "parse"]

#: RFC 8301 §3.2: verifiers MUST NOT consider RSA keys under 1024 bits valid.
RSA_MINIMUM = 1024
#: RFC 8301 §3.2: signers SHOULD use at least 2048 bits.
RSA_RECOMMENDED = 2048


@dataclasses.dataclass(frozen=True, slots=True)
class Key:
    """A parsed DKIM key record."""

    key_type: str  # rsa, ed25519, or what k= said
    public_key: bytes | None  # None: p= empty (revoked, RFC 6376 §3.6.1)
    error: str | None = None
    testing: bool = False


def parse(text: str) -> Key:
    """Parse one key record; never raises. ``error`` says what is wrong with it."""
    found = tags(text)
    if found is None:
        return Key("", None, "not a tag=value list (or a tag given twice)")
    if "v" in found and (found["v"] != "DKIM1" or not text.lstrip().lower().startswith("v")):
        return Key("", None, "v= must be DKIM1 and come first")
    key_type = found.get("k", "rsa").lower() or "rsa"
    if "p" not in found:
        return Key(key_type, None, "no p= tag")
    data = "".join(found["p"].split())
    testing = "y" in [f.strip() for f in found.get("t", "").split(":")]
    if not data:
        return Key(key_type, None, testing=testing)
    try:
        return Key(key_type, base64.b64decode(data, validate=True), testing=testing)
    except (binascii.Error, ValueError):
        return Key(key_type, None, "p= is not base64")


def key_bits(key: Key) -> int | None:
    """The key's size in bits, or ``None`` when it cannot be read (or ``cryptography`` is absent)."""
    if key.public_key is None:
        return None
    if key.key_type == "ed25519":
        return 256 if len(key.public_key) == 32 else None  # RFC 8463 §4.2: the raw 32-byte key
    try:
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_der_public_key
    except ImportError:
        return None
    try:
        loaded = load_der_public_key(key.public_key)
    except (ValueError, TypeError):
        return -1
    return loaded.key_size if isinstance(loaded, rsa.RSAPublicKey) else -1


def check(ctx: Ctx, selectors: tuple[str, ...]) -> DnsFlow:
    """Check each selector's key record; the ``dkim`` fact is True if one usable key was found."""
    if not selectors:
        ctx.facts.setdefault("dkim", None)
        return
    queries = [Query(f"{s}._domainkey.{ctx.domain}", "TXT") for s in selectors]
    answers = yield from ctx.ask(queries)
    usable = unknown = False
    for selector, answer in zip(selectors, answers, strict=True):
        params: dict[str, object] = {"domain": ctx.domain, "selector": selector}
        evidence = [answer.describe()]
        if failed(answer):
            ctx.dns_failed(answer, "dkim")
            unknown = True
            continue
        texts = txt_strings(answer)
        if not texts:
            ctx.add("doctor.dkim.missing", params, evidence)
            continue
        if len(texts) > 1:
            # RFC 6376 §3.6.2.2: results are undefined with several records; verifiers differ.
            ctx.add("doctor.dkim.syntax", {**params, "detail": f"{len(texts)} TXT records"}, evidence)
            continue
        key = parse(texts[0])
        if key.error:
            ctx.add("doctor.dkim.syntax", {**params, "detail": key.error}, evidence)
            continue
        if key.public_key is None:
            ctx.add("doctor.dkim.revoked", params, evidence)
            continue
        if key.key_type not in ("rsa", "ed25519"):
            ctx.add("doctor.dkim.key_type", {**params, "key_type": key.key_type}, evidence)
            continue
        if key.testing:
            ctx.add("doctor.dkim.testing", params, evidence)
        bits = key_bits(key)
        if bits == -1:
            ctx.add("doctor.dkim.syntax", {**params, "detail": "p= is not a public key"}, evidence)
            continue
        if bits is None:
            ctx.add("doctor.dkim.size_unknown", params, evidence)
        elif key.key_type == "rsa" and bits < RSA_MINIMUM:
            ctx.add("doctor.dkim.weak_key", {**params, "bits": bits}, evidence)
            continue
        elif key.key_type == "rsa" and bits < RSA_RECOMMENDED:
            ctx.add("doctor.dkim.short_key", {**params, "bits": bits}, evidence)
        usable = True
    ctx.facts["dkim"] = True if usable else (None if unknown else False)
