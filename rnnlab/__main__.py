"""``python -m rnnlab``: see :mod:`rnnlab.cli`."""

import sys

from rnnlab.cli import main

if __name__ == "__main__":
    sys.exit(main())
