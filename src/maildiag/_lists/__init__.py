"""Lists of addresses and folders of bounces as files: ``maildiag bulk`` and its parts.

The library's bulk entry point is :func:`maildiag.diagnose_many`; this package is what a
*file* adds around it, one job per module:

- :mod:`.columns` the columns maildiag adds to a row (verdict, codes, ``canonical`` mailbox
  key, ``duplicate_of``), shared by ``maildiag bulk`` and :mod:`maildiag.dask`;
- :mod:`.formats` reading and writing CSV, JSON Lines and plain lines, gzip or not;
- :mod:`.resume` where an interrupted output file stops, and cutting off a partial row;
- :mod:`.summary` the counts at the end (by verdict, top codes and domains, duplicates);
- :mod:`.progress` the progress bar on a terminal (tqdm);
- :mod:`.cli` the ``maildiag bulk`` subcommand that puts them together.

See docs/bulk.md ("Files: maildiag bulk") for the decisions.
"""
