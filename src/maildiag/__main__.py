"""``python -m maildiag``: the same as the ``maildiag`` command."""

import sys

from maildiag.cli import main

sys.exit(main())
