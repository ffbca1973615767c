"""maildiag's Hypothesis plugin: ``st.from_type(maildiag.Diagnosis)`` and friends.

Hypothesis runs every function registered under the ``hypothesis`` entry point group when
it is imported (``hypothesis/entry_points.py``; ``HYPOTHESIS_NO_PLUGINS=1`` turns that
off), so a shop's ``@given(d=...)`` with ``d: maildiag.Diagnosis`` draws realistic
diagnoses without importing anything from maildiag's testing kit. Declared in
``pyproject.toml`` as::

    [project.entry-points.hypothesis]
    _ = "maildiag.testing._hypothesis:_hypothesis_setup_hook"

The strategies are registered as functions of the type, not as strategy objects: that
way nothing is built or drawn while Hypothesis itself is still being imported (which
Hypothesis reports with ``HypothesisSideeffectWarning``).
"""

from __future__ import annotations

from typing import Any


def _hypothesis_setup_hook() -> None:
    """Register maildiag's model types with ``st.from_type``; safe to call more than once."""
    from hypothesis import strategies as st

    from maildiag.model import Diagnosis, DnsAnswer, Finding, MxHost, ProviderMatch

    def resolve(kind: type[Any]) -> Any:
        # Imported on first use: strategies.py loads the catalog and email-validator.
        from maildiag.testing import strategies

        return strategies._model_strategies()[kind]

    for kind in (Diagnosis, Finding, DnsAnswer, MxHost, ProviderMatch):
        st.register_type_strategy(kind, resolve)
