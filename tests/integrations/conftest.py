"""Fixtures shared by the form-integration tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def dj() -> Any:
    """Django set up for forms, translations and unsaved models; yields maildiag.django.

    No database: forms and ``Model.full_clean`` do not query one here. Configured once per
    process (Django's settings are global), whichever module asks first.
    """
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            USE_I18N=True,
            LANGUAGE_CODE="en",
            INSTALLED_APPS=["django.contrib.contenttypes"],
            DATABASES={},
        )
        django.setup()
    import maildiag.django

    return maildiag.django
