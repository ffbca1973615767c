"""The MTA-STS policy file (RFC 8461 §3.2), fetched only when the caller opts in.

The TXT record is checked by :mod:`.transport` with the rest of the DNS; the policy lives at
``https://mta-sts.<domain>/.well-known/mta-sts.txt`` (§3.3) and is fetched here, after the
DNS flow, with whatever is left of the same deadline: certificate checked (§3.3, the default
TLS context), redirects not followed (§3.3: "HTTP 3xx redirects MUST NOT be followed"), at
most 64 KiB read. :func:`findings` is pure and takes the body, so the rules are tested
without a network.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Iterable

from maildiag import catalog
from maildiag.model import Finding

__all__ = ["MAX_BYTES", "fetch", "findings", "parse", "policy_url"]

MAX_BYTES = 64 * 1024
#: RFC 8461 §3.2: max_age at most 31557600 seconds (about a year).
MAX_AGE = 31_557_600


def policy_url(domain: str) -> str:
    """Where the policy of ``domain`` is served (RFC 8461 §3.3)."""
    return f"https://mta-sts.{domain}/.well-known/mta-sts.txt"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # §3.3: a 3xx is an error, never followed


def fetch(domain: str, timeout: float, context: ssl.SSLContext | None = None) -> tuple[str | None, str]:
    """(the policy text, "") or (None, why it could not be fetched); never raises."""
    if timeout <= 0:
        return None, "deadline"
    opener = urllib.request.build_opener(_NoRedirect(), urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(policy_url(domain), timeout=timeout) as response:
            if response.status != 200:
                return None, f"HTTP {response.status}"
            body: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        return None, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, f"{type(error).__name__}: {error}"[:200]
    if len(body) > MAX_BYTES:
        return None, "policy larger than 64 KiB"
    return body.decode("utf-8", "replace"), ""


def parse(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """The policy's fields (``mx`` may repeat) and what is wrong with it (§3.2)."""
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            return fields, [f"not a key: value line: {line[:80]!r}"]
        fields.setdefault(key.strip().lower(), []).append(value.strip())
    errors = []
    if fields.get("version") != ["STSv1"]:
        errors.append("version must be STSv1")
    mode = fields.get("mode", [""])
    if len(mode) != 1 or mode[0] not in ("enforce", "testing", "none"):
        errors.append("mode must be enforce, testing or none")
    age = fields.get("max_age", [""])
    if len(age) != 1 or not age[0].isdigit() or int(age[0]) > MAX_AGE:
        errors.append(f"max_age must be a number of seconds up to {MAX_AGE}")
    if mode and mode[0] != "none" and not fields.get("mx"):
        errors.append("no mx: line")
    return fields, errors


def _matches(host: str, pattern: str) -> bool:
    # §4.1: "*.example.com" matches exactly one leftmost label.
    host, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


def findings(domain: str, text: str | None, why: str, mx_hosts: Iterable[str]) -> list[Finding]:
    """The findings about a fetched policy (or the failure to fetch it)."""
    url = policy_url(domain)
    if text is None:
        return [catalog.make("doctor.mta_sts.policy_unreachable", {"domain": domain, "url": url, "detail": why})]
    fields, errors = parse(text)
    evidence = [f"{url}: " + " | ".join(line.strip() for line in text.splitlines()[:12])]
    if errors:
        return [catalog.make("doctor.mta_sts.policy_invalid", {"domain": domain, "detail": "; ".join(errors)},
                             evidence)]
    found: list[Finding] = []
    patterns = fields.get("mx", [])
    unmatched = [h for h in mx_hosts if not any(_matches(h, p) for p in patterns)]
    if unmatched and fields["mode"][0] != "none":
        found.append(catalog.make("doctor.mta_sts.mx_mismatch",
                                  {"domain": domain, "hosts": tuple(unmatched), "mode": fields["mode"][0]}, evidence))
    if fields["mode"][0] == "testing":
        found.append(catalog.make("doctor.mta_sts.testing", {"domain": domain}, evidence))
    return found
