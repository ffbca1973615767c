"""Bounces whose RFC 3464 part was lost: the same real DSNs read from their text part alone.

A support desk rarely gets the whole report: a customer forwards the notice (the mail client
keeps the text and drops the ``message/delivery-status`` part), or pastes its text into a
ticket (no headers at all). This takes every labelled failure DSN of a corpus and scores three
readings against the corpus labels, side by side with flufl.bounce on the same inputs:

- ``whole``: the message as it is (the DSN part read);
- ``forwarded``: its human-readable text part only, under the notice's own From/To/Subject/Date;
- ``pasted``: that text alone, with no header at all.

The notices' wording is the MTAs' own (real messages); only the cutting is ours. Run:

    python bench/bench_bounce_text_only.py [CORPUS ...]
"""

from __future__ import annotations

import argparse
import email
import email.message
import email.policy
import sys
from pathlib import Path

from bench_bounce import DEFAULT_CORPUS, FAILURE_KINDS, Found, Row, load, run_flufl, run_maildiag, score

from maildiag.bounce import parse_bounce


def _flufl(data: bytes) -> Found:
    """flufl.bounce, counting a crash (it raises IndexError on a message without From) as
    finding nothing."""
    try:
        return run_flufl(data)
    except Exception:
        return "not_a_bounce", {}, {}


def _text_part(raw: bytes) -> tuple[email.message.Message, str | None]:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return msg, payload.decode("utf-8", "replace")
    return msg, None


def _forwarded(msg: email.message.Message, text: str) -> bytes:
    flat = email.message.Message()
    for name in ("From", "To", "Subject", "Date"):
        if msg.get(name):
            flat[name] = str(msg[name])
    flat.set_payload(text, "utf-8")
    return flat.as_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("corpora", nargs="*", type=Path, default=[DEFAULT_CORPUS])
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}\n")
    print("| corpus | reading | messages | maildiag P | maildiag R | reason | hard/soft "
          "| flufl.bounce P | flufl.bounce R |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for corpus in args.corpora:
        rows: list[Row] = []
        readings: dict[str, dict[str, bytes]] = {"whole": {}, "forwarded": {}, "pasted": {}}
        for row in load(corpus):
            raw = (corpus / row.file).read_bytes()
            if row.kind not in FAILURE_KINDS or parse_bounce(raw).decoder != "rfc3464":
                continue  # only the DSNs: what is lost is their RFC 3464 part
            msg, text = _text_part(raw)
            if text is None:
                continue
            rows.append(row)
            readings["whole"][row.file] = raw
            readings["forwarded"][row.file] = _forwarded(msg, text)
            readings["pasted"][row.file] = text.encode("utf-8")
        for name, datas in readings.items():
            ours = score(rows, datas, run_maildiag, True)["all"]
            theirs = score(rows, datas, _flufl, False)["all"]
            (p, r), (fp, fr) = ours.pr(), theirs.pr()
            n = max(ours.rows, 1)
            print(f"| {corpus.name} | {name} | {len(rows)} | {p:.3f} | {r:.3f} | {ours.reason_ok / n:.3f} "
                  f"| {ours.hard_ok / n:.3f} | {fp:.3f} | {fr:.3f} |")
    print("\nReason and hard/soft are over every labelled recipient (not found = wrong).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
