"""`python -m reconcile`: the same command line as `reconcile`."""

from __future__ import annotations

import sys

from reconcile._cli.main import main

if __name__ == "__main__":
    sys.exit(main())
