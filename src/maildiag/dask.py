"""maildiag on a Dask cluster: a customer table and a folder of bounces, spread over workers.

Needs ``pip install 'maildiag[dask]'`` (``dask[dataframe]`` and ``distributed``). Importing
:mod:`maildiag` never imports Dask; only ``import maildiag.dask`` does.

- :func:`diagnose_frame` diagnoses the address column of a :class:`dask.dataframe.DataFrame`
  and adds maildiag's columns, the same names and values as ``maildiag bulk``'s JSON Lines
  output (:mod:`maildiag._lists.columns`, the one place they are computed);
- :func:`parse_bounces` reads bounce messages (files, mboxes, Maildirs, folders) into a
  :class:`dask.bag.Bag` of the rows ``maildiag bounce --csv`` writes.

Nothing here knows an email rule or schedules DNS: each partition is one
:func:`maildiag.diagnose_many` run. What this module adds is where rows go (docs/scale.md):

1. With DNS, rows are shuffled on their **domain** first, so every domain is in one partition:
   its DNS is asked once in the whole cluster (the run's shared lookups and the worker's
   per-domain cache serve the rest), and politeness towards one mail server stays on one
   worker. A domain that looks like a typo of a common one (``gmial.com``) goes with the
   domain it is a typo of (:func:`maildiag.typo.suggest`), because its diagnosis looks that
   domain up too.
2. The ``duplicate_of`` column needs every row of a mailbox together: a second shuffle, on
   the ``canonical`` key (``j.doe@googlemail.com`` and ``jdoe@gmail.com`` are one mailbox
   at two domains).
3. The results go back to the partition and place each row came from, and are put beside
   the input's own columns: **the input's index, divisions and row order are kept**.

Decisions (docs/scale.md, "maildiag.dask"):

- ``duplicate_of`` is the **index label** of the first row, in the frame's row order, with
  the same ``canonical`` key (``None`` for that first row and for rows with no key), which
  is what one pass over the computed frame gives. ``maildiag bulk`` writes a row number
  because a file has nothing else; a frame has its index. Labels are only as unique as the
  index: ``dd.read_csv`` numbers each partition from 0, so give the frame a unique index
  (a customer id) if you look rows up by it.
- A cell that is not text, is empty or is only blanks holds no address: the row is kept
  with every maildiag column null (``maildiag bulk``'s rule for a row without an address).
- Options travel to the workers as their fields, and are built again there once per
  worker process. A dnspython resolver with a cache cannot be pickled (the cache holds a
  lock), and one without would ask the same names again: it travels as its servers, port
  and timeouts and is rebuilt on each worker with a cache of its own;
  ``nameserver="127.0.0.1:5353"`` says the same in one string. With neither, each worker
  asks its own system resolver, as ``maildiag bulk`` does on one machine. Any other
  resolver object must pickle, and each worker gets its own copy.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import threading
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

try:
    import dask.bag as db
    import dask.dataframe as dd
    import pandas as pd
except ImportError as error:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        "maildiag.dask needs Dask: pip install 'maildiag[dask]' (dask[dataframe] and distributed)"
    ) from error

from maildiag._lists.columns import COLUMNS, Duplicates, columns, empty
from maildiag._lists.formats import PREFIX, prefixed
from maildiag.bulk import DEFAULT_CONCURRENCY, diagnose_many
from maildiag.options import Options, ascii_domain

if TYPE_CHECKING:
    import dns.resolver

__all__ = ["diagnose_frame", "parse_bounces"]

#: A row's place: its input partition in the high bits, its position in the partition in
#: the low ones. Sorting on it is the input's row order; no pass over the input is needed
#: to number the rows.
_POSITION_BITS = 40

# Internal columns, named so that no input column can be mistaken for them.
_POS = "__maildiag_pos"
_LABEL = "__maildiag_label"
_SHARD = "__maildiag_shard"
_ADDRESS = "__maildiag_address"
_PROBLEM = "__maildiag_problem"


# -- options, as they travel to the workers ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _ResolverRecipe:
    """A dnspython resolver as data: what a worker needs to build the same one again."""

    nameservers: tuple[str, ...]
    port: int
    timeout: float
    lifetime: float

    @classmethod
    def of(cls, resolver: dns.resolver.BaseResolver) -> _ResolverRecipe:
        return cls(tuple(str(n) for n in resolver.nameservers), int(resolver.port),
                   float(resolver.timeout), float(resolver.lifetime))

    def build(self) -> dns.resolver.Resolver:
        import dns.resolver

        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = list(self.nameservers)
        resolver.port = self.port
        resolver.timeout, resolver.lifetime = self.timeout, self.lifetime
        # One cache per worker process, shared by every partition the worker runs: a name
        # asked by two partitions (the sanity check's gmail.com) is asked once per worker.
        resolver.cache = dns.resolver.LRUCache(10_000)
        return resolver


@dataclasses.dataclass(frozen=True)
class _Settings:
    """Everything a partition's run needs, in a form that pickles.

    ``token`` names one :func:`diagnose_frame` call: each worker process builds its
    :class:`Options` (and resolver) once per call, so the per-domain cache and the
    resolver's cache serve every partition of the call that the worker runs.
    """

    token: str
    fields: Mapping[str, Any]
    resolver: Any
    locale: str
    concurrency: int

    def options(self) -> Options:
        with _BUILT_LOCK:
            built = _BUILT.get(self.token)
            if built is None:
                resolver = self.resolver.build() if isinstance(self.resolver, _ResolverRecipe) else self.resolver
                built = Options(**self.fields, resolver=resolver)
                _BUILT[self.token] = built
                while len(_BUILT) > _BUILT_KEPT:
                    del _BUILT[next(iter(_BUILT))]
            return built


#: Options built on this worker, by call, the latest few (a long-lived worker serves many calls).
_BUILT: dict[str, Options] = {}
_BUILT_KEPT = 8
_BUILT_LOCK = threading.Lock()


def _settings(options: Options | None, nameserver: str | None, locale: str | None, concurrency: int,
              overrides: dict[str, Any]) -> _Settings:
    import dns.resolver

    from maildiag.api import _options

    opts = _options(options, overrides)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, not {concurrency!r}")
    resolver: Any = opts.resolver
    if nameserver is not None:
        if resolver is not None:
            raise ValueError("give nameserver= or a resolver in the options, not both")
        from maildiag.cli import _resolver_for  # the CLI's --nameserver, one parser for both

        resolver = _resolver_for(nameserver)
    if isinstance(resolver, dns.resolver.BaseResolver):
        resolver = _ResolverRecipe.of(resolver)
    elif resolver is not None:
        try:
            pickle.dumps(resolver)
        except Exception as error:
            raise TypeError(
                f"the resolver ({type(resolver).__name__}) cannot be sent to Dask workers ({error}); "
                "give nameserver='HOST:PORT' or a dnspython resolver, which each worker builds again"
            ) from None
    fields = {f.name: getattr(opts, f.name) for f in dataclasses.fields(Options)
              if f.init and f.name != "resolver"}
    return _Settings(uuid.uuid4().hex, fields, resolver, locale or opts.locale, concurrency)


# -- diagnose_frame ---------------------------------------------------------------------------


def _address(value: object) -> str | None:
    """The address a cell holds, as ``maildiag bulk`` reads one (text, stripped), or ``None``."""
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _text(value: object) -> str | None:
    """A text cell back from a shuffle: a missing value (``None``, ``pd.NA``, NaN) is ``None``."""
    return value if isinstance(value, str) else None


@functools.lru_cache(maxsize=65536)
def _shard_of(domain: str, extra_domains: tuple[str, ...], typos: bool) -> str:
    """Where a domain's rows go: the domain, or the domain it is a typo of."""
    domain = domain.strip().rstrip(".").lower()
    domain = ascii_domain(domain) or domain
    if typos:
        from maildiag import typo

        hit = typo.suggest(domain, extra_domains=extra_domains)
        if hit is not None:
            return hit.suggestion
    return domain


def _keys(part: pd.DataFrame, column: str, settings: _Settings,
          partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """Each row's address, place, index label and shard: all that leaves its partition."""
    number = partition_info["number"] if partition_info is not None else 0
    addresses = [_address(v) for v in part[column].tolist()]
    extra = tuple(settings.fields["extra_domains"])
    typos = bool(settings.fields["suggest_typos"])
    if settings.fields["offline"]:
        shards = [""] * len(addresses)  # not shuffled: no DNS to share
    else:
        shards = [_shard_of(a.rpartition("@")[2], extra, typos) if a else "" for a in addresses]
    start = number << _POSITION_BITS
    return pd.DataFrame({
        _POS: pd.Series(range(start, start + len(part)), dtype="int64"),
        # Pickled: a shuffle may go through Arrow (Dask's peer-to-peer shuffle), which carries
        # bytes but not every label an index can hold (a tuple, a date beside an int).
        _LABEL: pd.Series([pickle.dumps(label) for label in part.index], dtype=object),
        _ADDRESS: pd.Series(addresses, dtype=object),
        _SHARD: pd.Series(shards, dtype=object),
    })


def _keys_meta() -> pd.DataFrame:
    return pd.DataFrame({
        _POS: pd.Series([], dtype="int64"), _LABEL: pd.Series([], dtype=object),
        _ADDRESS: pd.Series([], dtype=object), _SHARD: pd.Series([], dtype=object),
    })


def _results_meta() -> pd.DataFrame:
    data: dict[str, pd.Series] = {_POS: pd.Series([], dtype="int64"), _LABEL: pd.Series([], dtype=object)}
    data.update({c: pd.Series([], dtype=object) for c in COLUMNS})
    return pd.DataFrame(data)


def _diagnose_partition(part: pd.DataFrame, settings: _Settings) -> pd.DataFrame:
    """One partition of one or more whole domains: one :func:`diagnose_many` run."""
    part = part.sort_values(_POS, kind="stable")  # the same run whatever order the rows arrived in
    opts = settings.options()
    addresses = [_address(v) for v in part[_ADDRESS].tolist()]
    results = diagnose_many((a or "" for a in addresses), options=opts, concurrency=settings.concurrency)
    rows = [columns(d, settings.locale, opts) if a else empty()
            for a, d in zip(addresses, results, strict=True)]
    data: dict[str, pd.Series] = {
        _POS: pd.Series(part[_POS].to_numpy(), dtype="int64"),
        _LABEL: pd.Series(part[_LABEL].tolist(), dtype=object),
    }
    data.update({c: pd.Series([r[c] for r in rows], dtype=object) for c in COLUMNS})
    return pd.DataFrame(data)


def _mark_duplicates(part: pd.DataFrame) -> pd.DataFrame:
    """``duplicate_of`` for a partition holding every row of its mailboxes."""
    part = part.sort_values(_POS, kind="stable")
    labels = dict(zip(part[_POS].tolist(), part[_LABEL].tolist(), strict=True))
    duplicates = Duplicates()
    firsts = [duplicates.seen(_text(key), pos) for key, pos in zip(part["canonical"].tolist(), part[_POS].tolist(),
                                                                   strict=True)]
    part = part.copy()
    part["duplicate_of"] = pd.Series([None if f is None else labels[f] for f in firsts], index=part.index,
                                     dtype=object)
    return part


def _by_mailbox(part: pd.DataFrame) -> pd.DataFrame:
    """The second shuffle's key: the mailbox, or the row's own place when it has none."""
    part = part.copy()
    keys = [_text(k) for k in part["canonical"].tolist()]
    part[_SHARD] = pd.Series([k if k else f"\0{p}" for k, p in zip(keys, part[_POS].tolist(), strict=True)],
                             index=part.index, dtype=object)
    return part


def _attach(part: pd.DataFrame, results: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The input partition with its rows' results beside it, in its own order."""
    if len(results) != len(part):  # pragma: no cover - a broken invariant, never a silent misalignment
        raise RuntimeError(f"maildiag.dask: {len(results)} results for a partition of {len(part)} rows")
    out = part.copy()
    for name, column in zip(names, COLUMNS, strict=True):
        if column == "duplicate_of":
            # Labels this module pickled itself (_keys), never bytes from outside the graph.
            values = [pickle.loads(v) if isinstance(v, bytes) else None  # noqa: S301
                      for v in results[column].tolist()]
        else:
            values = [_text(v) for v in results[column].tolist()]
        out[name] = pd.Series(values, index=part.index, dtype=object)
    return out


def _shuffle_partitions(count: int) -> int:
    """Partitions of the shuffles by default: the input's, or twice the cluster's threads if
    more. ``dd.read_csv`` makes one partition per 64 MB: a few million rows would otherwise
    be diagnosed by two or three tasks, whatever the size of the cluster."""
    try:
        from distributed import default_client

        threads = int(sum(default_client().nthreads().values()))
    except (ImportError, ValueError):  # no distributed, or no client: Dask's local schedulers
        return count
    return max(count, 2 * threads)


def diagnose_frame(
    ddf: dd.DataFrame,
    column: str = "email",
    *,
    locale: str | None = None,
    options: Options | None = None,
    nameserver: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    npartitions: int | None = None,
    **overrides: Any,
) -> dd.DataFrame:
    """Diagnose the addresses in ``ddf[column]`` on the cluster; lazy, like any Dask frame.

    Returns ``ddf`` with maildiag's columns after its own, named and valued as in
    ``maildiag bulk``'s JSON Lines output: ``verdict``, ``suggestion``, ``codes``, ``blame``,
    ``provider``, ``message``, ``canonical`` and ``duplicate_of`` (object columns holding
    ``str`` or ``None``; all prefixed ``maildiag_`` when ``ddf`` already has a column of one
    of those names). The index, divisions, partitions and row order are ``ddf``'s own. Every
    row is kept: a cell with no address gets null columns.

    Args:
        ddf: the table; any index.
        column: the column holding the addresses.
        locale: the language of ``message`` (default: the options' ``locale``, ``"en"``).
        options: :class:`maildiag.Options`; keyword arguments (``offline=True``,
            ``deadline=2``...) override its fields, as in :func:`maildiag.diagnose`.
        nameserver: ``"HOST"`` or ``"HOST:PORT"`` (an IP address): the DNS server every worker
            asks, as ``maildiag bulk --nameserver``. Default: the options' resolver, else each
            worker's system resolver.
        concurrency: diagnoses in flight at once in each partition's run
            (:func:`maildiag.diagnose_many`); a worker thread runs one partition at a time.
        npartitions: partitions of the shuffles (default: ``ddf``'s count, or twice the
            threads of the cluster of the default client when that is more).

    ``duplicate_of`` holds the index label of the first row, in row order, with the same
    ``canonical`` mailbox key; see the module's notes on non-unique indexes.

    Raises:
        TypeError: ``ddf`` is not a Dask DataFrame.
        KeyError: ``column`` is not a column of ``ddf``.
        ValueError: ``ddf`` already holds both a maildiag column name and its prefixed form;
            bad settings (as :func:`maildiag.diagnose_many` raises them, before any work).
        TypeError: the options' resolver cannot be sent to the workers.
    """
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"ddf must be a dask.dataframe.DataFrame (dd.from_pandas(df, npartitions=N) for a pandas "
                        f"one), not {type(ddf).__name__}")
    if column not in ddf.columns:
        raise KeyError(f"no column named {column!r}; the frame has: {', '.join(map(repr, ddf.columns))}")
    names = [(PREFIX if prefixed(list(ddf.columns)) else "") + c for c in COLUMNS]
    clash = [n for n in names if n in ddf.columns]
    if clash:
        raise ValueError(f"the frame already has columns named {', '.join(clash)}: rename them first")
    settings = _settings(options, nameserver, locale, concurrency, overrides)
    # Refuse bad settings now, on the caller's machine, not in the middle of a cluster run.
    diagnose_many((), options=settings.options(), concurrency=concurrency).close()

    count = ddf.npartitions
    shuffled = npartitions or _shuffle_partitions(count)
    keys = ddf.map_partitions(_keys, column, settings, meta=_keys_meta())
    # Offline there is no DNS to share: the rows are diagnosed where they are.
    by_domain = keys if settings.fields["offline"] else keys.shuffle(_SHARD, npartitions=shuffled)
    diagnosed = by_domain.map_partitions(_diagnose_partition, settings, meta=_results_meta())
    marked = (diagnosed.map_partitions(_by_mailbox, meta={**_results_meta().dtypes.to_dict(), _SHARD: object})
              .shuffle(_SHARD, npartitions=shuffled)
              .map_partitions(_mark_duplicates, meta={**_results_meta().dtypes.to_dict(), _SHARD: object}))
    # Back to where each row came from: input partition i holds positions [i << 40, (i+1) << 40).
    divisions = [i << _POSITION_BITS for i in range(count)] + [(count << _POSITION_BITS) - 1]
    back = marked.set_index(_POS, divisions=divisions)
    meta = ddf._meta.copy()
    for name in names:
        meta[name] = pd.Series([], dtype=object)
    return ddf.map_partitions(_attach, back, names, align_dataframes=False, meta=meta)


# -- parse_bounces ----------------------------------------------------------------------------


def _bounce_rows(item: tuple[str, str | OSError], locale: str, max_bytes: int) -> list[dict[str, Any]]:
    """The rows of the messages of one listed path, as ``maildiag bounce --csv`` writes them."""
    from maildiag.bounce._io import read_path
    from maildiag.bounce.cli import _COLUMNS, _report, _rows

    path, what = item
    return [
        {c: row[c] for c in _COLUMNS}  # without the terminal rendering the CLI keeps aside
        for source, data in read_path(path, what, max_bytes)
        for row in _rows(_report(source, data, max_bytes), locale)
    ]


def _listed(path: str) -> list[tuple[str, str | OSError]]:
    from maildiag.bounce._io import list_paths

    return list(list_paths([path]))


def parse_bounces(
    paths_or_bag: Iterable[str | os.PathLike[str]] | db.Bag,
    *,
    locale: str = "en",
    max_bytes: int | None = None,
    npartitions: int | None = None,
) -> db.Bag:
    """Bounce rows from message files, mboxes, Maildirs and folders, parsed on the workers.

    ``paths_or_bag`` is a list of paths, or a :class:`dask.bag.Bag` of paths (say, of every
    file of a big folder: ``db.from_sequence(sorted(paths), npartitions=64)``). Each path is
    read on a worker with :func:`maildiag.bounce.iter_messages` (the paths must be readable
    there: a shared file system on a real cluster) and each message becomes the rows
    ``maildiag bounce --csv`` writes for it (dicts keyed by its header: ``source``, ``kind``,
    ``recipient``, ``reason``, ``message`` in ``locale``...), in the order of the paths and,
    within a path, of ``maildiag bounce``. A path that cannot be read is a row saying why.

    A list of paths is listed on the client as ``maildiag bounce`` lists it (folders walked in
    name order, each file once however many paths lead to it) and its files are read on the
    workers, so one big folder is spread over the cluster. A Bag's paths are listed on the
    workers, each on its own (a file reached through two of them is read under each).

    Raises:
        ValueError: a path is ``-`` (a worker has no standard input to read).
    """
    from maildiag.bounce._parse import DEFAULT_MAX_BYTES

    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"max_bytes must be a positive integer, not {max_bytes!r}")
    if isinstance(paths_or_bag, db.Bag):
        # Each path of the Bag is listed where it is (a folder's files stay in its partition).
        items = paths_or_bag.map(os.fspath).map(_listed).flatten()
        return items.map(_bounce_rows, locale, limit).flatten()
    if isinstance(paths_or_bag, str | bytes | os.PathLike):
        raise TypeError("paths_or_bag must be a list of paths or a Bag of paths, not a single path")
    paths = [os.fspath(p) for p in paths_or_bag]
    if "-" in paths:
        raise ValueError("'-' (standard input) cannot be read by a Dask worker: give file paths")
    # Listed here, as maildiag bounce lists them (each file once, in its order), then read on
    # the workers a file at a time: one big folder is spread over the cluster, not one task.
    from maildiag.bounce._io import list_paths

    listed = list(list_paths(paths))
    bag = db.from_sequence(listed, npartitions=npartitions or max(1, min(len(listed), 100)))
    return bag.map(_bounce_rows, locale, limit).flatten()

