"""maildiag.dask on a real distributed.LocalCluster (2 worker processes) against loopback unbound.

What a user relies on: every row gets what a sequential :func:`maildiag.diagnose` gives it,
the frame keeps its index, divisions and order, ``duplicate_of`` names the first row of a
mailbox, and spreading a list over processes does not multiply the DNS queries (counted by
a UDP proxy in front of unbound, per name and type). Bounce rows equal ``maildiag bounce
--csv``'s.
"""

from __future__ import annotations

import collections
import csv
import datetime
import io
import os
import pathlib
import selectors
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import dns.message
import dns.resolver
import pytest

try:
    import dask
    import dask.bag as db
    import dask.dataframe as dd
    import distributed
    import pandas as pd
except ImportError:  # a developer's machine without the extra; under CI a missing install fails
    if os.environ.get("CI"):
        raise
    pytest.skip("needs maildiag[dask] (pip install -e '.[test]')", allow_module_level=True)

import maildiag
from maildiag._lists.columns import COLUMNS, columns, empty
from maildiag._safe_text import csv_cell
from maildiag.dask import diagnose_frame, parse_bounces

pytestmark = pytest.mark.dns_server

HERE = pathlib.Path(__file__).parent
BOUNCES = HERE / "corpora" / "bounces-dev"

#: Rows over the test zone's domains (tests/dns/test.zone): good, dead, broken, a typo, a
#: provider's two domains for one mailbox, repeats, and cells that hold no address.
ADDRESSES: list[object] = [
    "jane@multi-mx.example", "J.Doe+news@googlemail.com", "bob@a-only.example", "x@null-mx.example",
    "ann@no-such-domain.example", "jdoe@gmail.com", "sam@mx-nxhost.example", "jane@multi-mx.example",
    "lea@gmial.com", "eve@yahoo.com", None, "  ", "not an address", "tom@workspace.example",
    "t.om@workspace.example", "zoe@half-broken.example", "kim@empty.example", "jane@Multi-MX.example",
    "max@xn--bcher-kva.example", "joe@mx-private.example", "ida@other-nowhere.example", "j.doe@gmail.com",
    "ray@yahoo.com", "pat@yaho.com", "amy@acme-pp.example", "ned@mailinator.com", "jdoe+x@gmail.com", 42,
]


# -- a DNS proxy that counts what reaches the server ---------------------------------------


class CountingProxy:
    """UDP on 127.0.0.1:<free port>, forwarding every query to unbound and counting it by
    (name, type): the real number of questions the resolvers asked."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.setblocking(False)
        self.port: int = self._sock.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._sock, selectors.EVENT_READ, None)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "stop")
        self._thread = threading.Thread(target=self._serve, name="counting-dns-proxy", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.data == "stop":
                    return
                if key.data is None:
                    data, client = self._sock.recvfrom(65535)
                    self._count(data)
                    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    out.setblocking(False)
                    out.sendto(data, self.upstream)
                    self._selector.register(out, selectors.EVENT_READ, client)
                else:
                    out = key.fileobj  # type: ignore[assignment]
                    reply = out.recv(65535)
                    self._sock.sendto(reply, key.data)
                    self._selector.unregister(out)
                    out.close()

    def _count(self, data: bytes) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        with self._lock:
            self.counts[(name, dns.rdatatype.to_text(question.rdtype))] += 1

    def snapshot(self) -> collections.Counter[tuple[str, str]]:
        with self._lock:
            return collections.Counter(self.counts)

    def close(self) -> None:
        self._wake_w.send(b"x")
        self._thread.join(10)
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()
        self._wake_w.close()


@pytest.fixture
def proxy(dns_server: tuple[str, int]) -> Iterator[CountingProxy]:
    p = CountingProxy(dns_server)
    yield p
    p.close()


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A real cluster: two worker processes, one thread each (module-scoped: starting one
    costs seconds)."""
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None, silence_logs=40)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def _resolver(port: int) -> dns.resolver.Resolver:
    r = dns.resolver.Resolver(configure=False)
    r.nameservers, r.port = ["127.0.0.1"], port
    r.timeout, r.lifetime = 1.0, 2.0
    r.cache = dns.resolver.LRUCache(10_000)
    return r


def _frame(addresses: list[object], *, npartitions: int, index: list[Any] | None = None) -> Any:
    labels = index if index is not None else list(range(len(addresses)))
    pdf = pd.DataFrame({"id": range(len(addresses)), "email": pd.Series(addresses, dtype=object, index=labels)},
                       index=labels)
    return dd.from_pandas(pdf, npartitions=npartitions, sort=index is None)


def _plain(value: Any) -> Any:
    """A cell as JSON Lines has it: pandas' missing values are None."""
    return None if value is None or (not isinstance(value, str | list) and pd.isna(value)) else value


def _sequential(frame: pd.DataFrame, options: maildiag.Options) -> list[dict[str, Any]]:
    """One pass in row order with maildiag.diagnose: what every row of the result must hold."""
    first: dict[str, Any] = {}
    expected = []
    for label, cell in zip(frame.index, frame["email"], strict=True):
        address = cell.strip() if isinstance(cell, str) else ""
        values = columns(maildiag.diagnose(address, options=options), "en", options) if address else empty()
        key = values["canonical"]
        if key:
            values["duplicate_of"] = first.get(key)
            first.setdefault(key, label)
        expected.append(values)
    return expected


def _maildiag_columns(result: pd.DataFrame, prefix: str = "") -> list[dict[str, Any]]:
    return [{c: _plain(row[prefix + c]) for c in COLUMNS} for _, row in result.iterrows()]


# -- diagnose_frame ---------------------------------------------------------------------------


def _index(kind: str, count: int) -> list[Any] | None:
    if kind == "sorted":
        return None  # 0..n-1, known divisions
    if kind == "unsorted":
        return [f"row-{(i * 7919) % 1000:03d}-{i}" for i in range(count)]  # unknown divisions
    if kind == "repeating":
        return [i % 10 for i in range(count)]  # as dd.read_csv numbers each partition from 0
    # Labels of mixed types, which no Arrow column holds: they must survive the shuffles.
    return [i if i % 3 == 0 else f"r{i}" if i % 3 == 1 else datetime.date(2020, 1, 1) + datetime.timedelta(i)
            for i in range(count)]


@pytest.mark.parametrize("index_kind", ["sorted", "unsorted", "mixed", "repeating"])
def test_every_row_as_sequential_diagnose_index_and_order_kept(
    client: Any, dns_server: tuple[str, int], index_kind: str
) -> None:
    addresses = ADDRESSES * 3
    index = _index(index_kind, len(addresses))
    ddf = _frame(addresses, npartitions=4, index=index)
    options = maildiag.Options(resolver=_resolver(dns_server[1]), allow_private_addresses=True)
    out = diagnose_frame(ddf, "email", options=options, concurrency=8)
    assert out.npartitions == ddf.npartitions
    assert out.divisions == ddf.divisions
    result = client.compute(out).result()
    frame = ddf.compute()
    assert list(result.index) == list(frame.index)  # index and order kept
    assert list(result.columns) == [*frame.columns, *COLUMNS]
    assert result["id"].tolist() == frame["id"].tolist()
    maildiag.clear_dns_cache()
    expected = _sequential(frame, options)
    assert _maildiag_columns(result) == expected
    # The cases the test is there for did happen: a mailbox at two domains, repeats, a typo.
    dups = {r["canonical"]: r["duplicate_of"] for r in expected if r["duplicate_of"] is not None}
    assert dups["jdoe@gmail.com"] == frame.index[1]  # J.Doe+news@googlemail.com, the first
    assert any(r["suggestion"] == "lea@gmail.com" for r in expected)
    assert sum(r["verdict"] is None for r in expected) == 2 * 3  # None and blanks: kept, null columns


def test_a_one_partition_frame_is_spread_over_the_cluster(client: Any, dns_server: tuple[str, int]) -> None:
    ddf = _frame(ADDRESSES * 2, npartitions=1)
    options = maildiag.Options(resolver=_resolver(dns_server[1]), allow_private_addresses=True)
    before = client.run(_calls_seen)
    out = diagnose_frame(ddf, options=options)
    result = client.compute(out).result()
    assert out.npartitions == 1
    frame = ddf.compute()
    maildiag.clear_dns_cache()
    assert _maildiag_columns(result) == _sequential(frame, options)
    # Both workers diagnosed part of it: the shuffles have twice the cluster's threads.
    after = client.run(_calls_seen)
    assert all(after[w] - before[w] for w in after), (before, after)


def _calls_seen() -> set[str]:
    """The diagnose_frame calls this worker process has run a partition of."""
    import maildiag.dask

    return set(maildiag.dask._BUILT)


def test_dns_queries_per_domain_same_as_one_process(client: Any, dns_server: tuple[str, int]) -> None:
    addresses = ADDRESSES * 4
    maildiag.clear_dns_cache()
    one = CountingProxy(dns_server)
    many = CountingProxy(dns_server)
    try:
        options = maildiag.Options(allow_private_addresses=True)
        list(maildiag.diagnose_many([a if isinstance(a, str) else "" for a in addresses],
                                    options=options.replace(resolver=_resolver(one.port)), concurrency=8))
        ddf = _frame(addresses, npartitions=5)
        client.compute(diagnose_frame(ddf, options=options, nameserver=f"127.0.0.1:{many.port}",
                                      concurrency=8)).result()
        sequential, spread = one.snapshot(), many.snapshot()
    finally:
        one.close()
        many.close()
    assert sequential, "the one-process run asked no DNS at all: the proxy counted nothing"

    # The resolver-lie check (issue 9.2) asks the sanity name (gmail.com: its MX and its
    # hosts) and a name that cannot exist (random per process) in every run that meets a
    # dead domain: once per worker process at most, its resolver's cache serving the
    # worker's other partitions (docs/scale.md). Every other name: exactly as on one process.
    def sanity(key: tuple[str, str]) -> bool:
        name = key[0]
        return name == "gmail.com" or name.endswith("gmail-smtp-in.l.google.com") or name.startswith("maildiag-canary-")

    workers = 2
    for key in {k for k in sequential | spread if sanity(k) and not k[0].startswith("maildiag-canary-")}:
        assert 1 <= spread[key] <= workers * sequential[key], (key, spread[key], sequential[key])
    canaries = [sum(v for k, v in c.items() if k[0].startswith("maildiag-canary-")) for c in (sequential, spread)]
    assert 1 <= canaries[1] <= workers * canaries[0]
    assert {k: v for k, v in spread.items() if not sanity(k)} == {k: v for k, v in sequential.items() if not sanity(k)}
    # Every address domain was asked exactly once, on one process and on the cluster.
    domains = {a.strip().rpartition("@")[2].lower() for a in addresses if isinstance(a, str) and "@" in a}
    assert all(spread[(d, "MX")] == 1 for d in domains - {"gmail.com"}), domains


def test_offline_and_prefixed_columns(client: Any) -> None:
    addresses = ADDRESSES * 2
    labels = range(100, 100 + len(addresses))
    pdf = pd.DataFrame({"email": pd.Series(addresses, dtype=object, index=labels), "verdict": "customer's own"},
                       index=labels)
    with dask.config.set({"dataframe.convert-string": False}):  # 42 stays a number: no address
        ddf = dd.from_pandas(pdf, npartitions=3)
    assert 42 in ddf["email"].compute().tolist()
    out = diagnose_frame(ddf, offline=True, locale="he")
    result = client.compute(out).result()
    frame = ddf.compute()
    assert list(result.index) == list(frame.index)
    # Without a cluster (Dask's local schedulers shuffle in tasks, not through Arrow): the same.
    with dask.config.set({"dataframe.shuffle.method": "tasks"}):
        local = diagnose_frame(ddf, offline=True, locale="he").compute(scheduler="sync")
    pd.testing.assert_frame_equal(local, result)
    assert result["verdict"].tolist() == ["customer's own"] * len(addresses)  # never overwritten
    assert [c for c in result.columns if c.startswith("maildiag_")] == [f"maildiag_{c}" for c in COLUMNS]
    options = maildiag.Options(offline=True)
    expected = _sequential(frame, options)
    got = _maildiag_columns(result, "maildiag_")
    hebrew = [
        columns(maildiag.diagnose(c.strip(), offline=True), "he", options)["message"]
        if isinstance(c, str) and c.strip() else None for c in frame["email"]
    ]
    assert [g["message"] for g in got] == hebrew  # the locale travelled to the workers
    assert any(m and any("\u0590" <= ch <= "\u05ff" for ch in m) for m in hebrew)
    assert [{k: v for k, v in g.items() if k != "message"} for g in got] == [
        {k: v for k, v in e.items() if k != "message"} for e in expected]


def test_settings_refused_before_any_work() -> None:
    ddf = _frame(["a@b.example"], npartitions=1)
    with pytest.raises(TypeError, match="from_pandas"):
        diagnose_frame(ddf.compute())
    with pytest.raises(KeyError, match="mail"):
        diagnose_frame(ddf, "mail")
    with pytest.raises(ValueError, match="concurrency"):
        diagnose_frame(ddf, concurrency=0)
    with pytest.raises(ValueError, match="not both"):
        diagnose_frame(ddf, nameserver="127.0.0.1:53", resolver=_resolver(53))
    with pytest.raises(ValueError, match="SMTP probing in bulk"):
        diagnose_frame(ddf, smtp_probe=True, helo="mx.shop.example", mail_from="probe@shop.example")
    clash = dd.from_pandas(pd.DataFrame({"email": ["a@b.example"], "verdict": ["x"], "maildiag_verdict": ["y"]}),
                           npartitions=1)
    with pytest.raises(ValueError, match="maildiag_verdict"):
        diagnose_frame(clash)


def test_public_names_are_the_ones_docs_api_lists() -> None:
    import maildiag.dask

    assert sorted(maildiag.dask.__all__) == ["diagnose_frame", "parse_bounces"]
    row = next(line for line in (HERE.parent / "docs" / "api.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| `maildiag.dask` |"))
    assert all(f"`{name}`" in row for name in maildiag.dask.__all__)


def test_importing_maildiag_does_not_import_dask_and_a_missing_dask_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "import maildiag\n"
        "maildiag.diagnose('a@b.example', offline=True)\n"
        "assert 'dask' not in sys.modules, 'import maildiag imported dask'\n"
        "sys.modules['dask'] = None\n"
        "try:\n"
        "    import maildiag.dask\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'maildiag[dask]'" in out.stdout, out.stdout + out.stderr


# -- parse_bounces ----------------------------------------------------------------------------


def _bounce_paths(tmp_path: pathlib.Path) -> list[str]:
    files = sorted(p for p in BOUNCES.iterdir() if p.suffix == ".eml")[:12]
    folder = tmp_path / "folder"
    folder.mkdir()
    for p in files[6:]:
        (folder / p.name).write_bytes(p.read_bytes())
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(b"".join(b"From MAILER-DAEMON Sat Dec  5 10:00:00 2026\n" + p.read_bytes().replace(
        b"\nFrom ", b"\n>From ") + b"\n" for p in files[:3]))
    return [*map(str, files[:6]), str(folder), str(mbox), str(tmp_path / "missing.eml")]


def _bounce_csv(paths: list[str]) -> list[dict[str, str]]:
    """The rows ``maildiag bounce --csv PATHS`` writes."""
    from maildiag.cli import main

    out = io.StringIO()
    main(["bounce", "--csv", *paths], out=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_parse_bounces_rows_equal_maildiag_bounce_csv(client: Any, tmp_path: pathlib.Path) -> None:
    paths = _bounce_paths(tmp_path)
    expected = _bounce_csv(paths)
    bag = parse_bounces(paths, npartitions=3)
    assert isinstance(bag, db.Bag)
    rows = client.compute(bag).result()
    assert len(rows) == len(expected) > len(paths)
    assert [{k: str(csv_cell(v)) for k, v in r.items()} for r in rows] == expected
    assert any(r["source"].endswith("box.mbox:3") for r in rows)
    assert any(r["source"].endswith("missing.eml") and "unreadable" in r["message"] for r in rows)
    # A Bag of paths (a big folder's files, spread by the caller) gives the same rows.
    again = client.compute(parse_bounces(db.from_sequence(paths, npartitions=2))).result()
    assert again == rows


def test_parse_bounces_refuses_stdin_and_a_single_path() -> None:
    with pytest.raises(ValueError, match="standard input"):
        parse_bounces(["-"])
    with pytest.raises(TypeError, match="single path"):
        parse_bounces("folder")


def test_one_big_folder_is_spread_over_the_workers_in_maildiag_bounce_order(
    client: Any, tmp_path: pathlib.Path
) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    for p in sorted(q for q in BOUNCES.iterdir() if q.suffix == ".eml")[:40]:
        (folder / p.name).write_bytes(p.read_bytes())
    (tmp_path / "link").symlink_to(folder)  # the same folder twice: read once, as the command does
    paths = [str(folder), str(tmp_path / "link")]
    expected = _bounce_csv(paths)
    bag = parse_bounces(paths, npartitions=8)
    assert bag.npartitions == 8  # one folder, eight tasks
    rows = client.compute(bag).result()
    assert [{k: str(csv_cell(v)) for k, v in r.items()} for r in rows] == expected
    assert len({r["source"] for r in rows}) == 40
