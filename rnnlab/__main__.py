"""``python -m rnnlab``: see :mod:`rnnlab.cli.main`."""

import sys

from rnnlab.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
