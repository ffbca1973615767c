"""Transport: can the sending domain take replies and bounces (MX), and its TLS reporting.

MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3) are looked up as TXT records here; the
MTA-STS policy file, served over HTTPS, is fetched only on request (:mod:`.mta_sts`).
"""

from __future__ import annotations

from maildiag._core import Query
from maildiag._doctor._flow import Ctx, DnsFlow, failed, tags, txt_strings
from maildiag.model import DnsStatus

__all__ = ["check"]


def check(ctx: Ctx) -> DnsFlow:
    """MX, ``_mta-sts`` and ``_smtp._tls`` of the domain, in one batch."""
    domain = ctx.domain
    mx, sts, rpt = yield from ctx.ask(
        [Query(domain, "MX"), Query(f"_mta-sts.{domain}", "TXT"), Query(f"_smtp._tls.{domain}", "TXT")]
    )
    if failed(mx):
        ctx.dns_failed(mx, "mx")
    elif mx.status is DnsStatus.NXDOMAIN:
        ctx.add("doctor.domain.not_found", {"domain": domain}, [mx.describe()])
    elif mx.status is DnsStatus.NODATA or not mx.records:
        # RFC 5321 §5.1 would fall back to the address records, but a sending domain
        # without MX is what receivers check (Gmail and Yahoo reject From domains that
        # cannot receive bounces): it is named either way.
        ctx.add("doctor.mx.missing", {"domain": domain}, [mx.describe()])
    elif [r.split()[-1] for r in mx.records] == ["."]:
        ctx.add("doctor.mx.null", {"domain": domain}, [mx.describe()])  # RFC 7505
    if failed(sts):
        ctx.dns_failed(sts, "mta-sts")
    else:
        records = [t for t in txt_strings(sts) if t.lower().startswith("v=stsv1")]
        if not records:
            ctx.add("doctor.mta_sts.missing", {"domain": domain}, [sts.describe()])
        else:
            found = tags(records[0]) if len(records) == 1 else None
            # RFC 8461 §3.1: v=STSv1 first, id= 1-32 alphanumerics; exactly one record.
            good = found is not None and found.get("v") == "STSv1" and found.get("id", "").isalnum() \
                and len(found.get("id", "")) <= 32
            if not good:
                ctx.add("doctor.mta_sts.syntax", {"domain": domain}, [sts.describe()])
    if failed(rpt):
        ctx.dns_failed(rpt, "tls-rpt")
    else:
        records = [t for t in txt_strings(rpt) if t.lower().startswith("v=tlsrptv1")]
        if not records:
            ctx.add("doctor.tlsrpt.missing", {"domain": domain}, [rpt.describe()])
        else:
            found = tags(records[0]) if len(records) == 1 else None
            # RFC 8460 §3: v=TLSRPTv1; rua= mailto: or https: URIs.
            rua = (found or {}).get("rua", "")
            good = found is not None and found.get("v") == "TLSRPTv1" and bool(rua) and all(
                u.strip().lower().startswith(("mailto:", "https:")) for u in rua.split(","))
            if not good:
                ctx.add("doctor.tlsrpt.syntax", {"domain": domain}, [rpt.describe()])
