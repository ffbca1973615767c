"""Flags from maintained data: disposable, role, free webmail; the shop's allow/deny lists.

PLACEHOLDER: the full version replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping

from maildiag.model import Finding
from maildiag.options import Options

__all__ = ["check", "data_versions"]


def check(local: str, domain: str, options: Options) -> tuple[Finding, ...]:
    """Findings for ``local@domain`` from the data sets (no I/O)."""
    return ()


def data_versions() -> Mapping[str, str]:
    """The versions of the data sets in use."""
    return {}
