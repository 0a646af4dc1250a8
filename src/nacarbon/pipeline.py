"""``python -m nacarbon.pipeline`` (``make run``): see :mod:`nacarbon.commands.pipeline`."""

import sys

from nacarbon.commands.pipeline import main

if __name__ == "__main__":
    sys.exit(main())
