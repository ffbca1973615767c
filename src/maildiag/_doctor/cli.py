"""``maildiag doctor DOMAIN [--dkim-selector S]... [--ip IP]... [--eml FILE] [--json] [--nameserver ...]``.

Exit status: 0 nothing to fix, 1 something to fix (a warning or error finding), 3 nothing to
fix found but some check could not be made (unknown), 2 usage errors (a bad flag, an
unreadable ``--eml``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``doctor`` subcommand to a ``maildiag`` argument parser."""
    parser = subparsers.add_parser(
        "doctor",
        help="check the shop's own sending domain (SPF, DKIM, DMARC, MX, sending IPs)",
        description="Check the domain your emails are sent from: SPF, DKIM, DMARC, MX, MTA-STS, "
        "TLS-RPT, the sending IPs' reverse DNS and blocklists, a received message, and Gmail's, "
        "Yahoo's and Outlook.com's sender requirements.",
        epilog="Exit status: 0 nothing to fix, 1 something to fix, 3 some check could not be made "
        "(our DNS failed), 2 usage error. Human output shows control characters escaped; --json "
        "keeps the data exact.",
    )
    parser.add_argument("domain", metavar="DOMAIN", help="the domain your emails are sent from")
    parser.add_argument("--dkim-selector", action="append", default=[], metavar="S",
                        help="a DKIM selector you sign with (repeatable)")
    parser.add_argument("--ip", action="append", default=[], metavar="IP",
                        help="an address your mail leaves from (repeatable)")
    parser.add_argument("--dnsbl", action="append", metavar="ZONE",
                        help="ask this DNS blocklist instead of the default ones (repeatable)")
    parser.add_argument("--eml", metavar="FILE", help="a message you sent, saved as received (.eml)")
    parser.add_argument("--mta-sts-policy", action="store_true",
                        help="also fetch the MTA-STS policy over HTTPS and check it (opt-in)")
    parser.add_argument("--json", action="store_true", help="the report as one JSON object")
    parser.add_argument("--nameserver", metavar="HOST[:PORT]", help="ask this DNS server (an IP address)")
    parser.add_argument("--deadline", type=float, default=10.0, help="seconds for all DNS (default 10)")
    parser.add_argument("--locale", default="en", help="language of messages: en, he (default en)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """Run the doctor and print the report; returns the exit status."""
    import maildiag
    from maildiag import catalog
    from maildiag._doctor import Dnsbl, DoctorReport, doctor, ips
    from maildiag._safe_text import terminal
    from maildiag.cli import EXIT_OK, EXIT_PROBLEM, EXIT_UNKNOWN, EXIT_USAGE, _escaped, _resolver_for

    try:
        options = maildiag.Options(
            deadline=args.deadline, resolver=_resolver_for(args.nameserver) if args.nameserver else None
        )
        eml = None
        if args.eml:
            with open(args.eml, "rb") as handle:
                eml = handle.read()
    except (ValueError, TypeError, OSError) as error:
        sys.stderr.write(f"maildiag doctor: error: {terminal(str(error), keep_tab=False)}\n")
        return EXIT_USAGE
    dnsbls = None
    if args.dnsbl:
        known = {b.zone: b for b in ips.default_dnsbls()}  # a known zone keeps its refusal answers
        dnsbls = [known.get(z.strip().lower().rstrip("."), Dnsbl(z.strip().lower().rstrip("."))) for z in args.dnsbl]
    report = doctor(args.domain, dnsbls=dnsbls, dkim_selectors=args.dkim_selector, sending_ips=args.ip, eml=eml,
                    mta_sts_policy=args.mta_sts_policy, options=options)
    if args.json:
        out.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
    else:
        shown = DoctorReport.from_dict(_escaped(report.to_dict()))
        out.write(_human(shown, args.locale))
    problems = [f for f in report.findings if f.severity.value != "info"]
    if not problems:
        return EXIT_OK
    if all(catalog.info(f.code).verdict is maildiag.Verdict.UNKNOWN for f in problems):
        return EXIT_UNKNOWN
    return EXIT_PROBLEM


def _human(report: Any, locale: str) -> str:
    lines = [f"{report.domain}: {'ok' if report.ok else 'problems found'} (checked: {', '.join(report.checks)})"]
    for finding in report.findings:
        lines.append(f"  [{finding.severity.value}] {finding.code}")
        lines.append(f"    > {finding.message(locale)}")
        lines.extend(f"    - {e}" for e in finding.evidence[:6])
    lines.append("  provider requirements:")
    lines.extend(f"    {r.provider}: {r.requirement} ({r.scope}) {r.status}" for r in report.checklist)
    return "".join(line + "\n" for line in lines)
