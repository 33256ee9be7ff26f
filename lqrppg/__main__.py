"""``python -m lqrppg``: the ``lqrppg`` command line (see :func:`lqrppg.cli.main`)."""

import sys

from lqrppg.cli import main

if __name__ == "__main__":
    sys.exit(main())
