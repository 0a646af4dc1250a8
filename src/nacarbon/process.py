"""``python -m nacarbon.process``: see :mod:`nacarbon.commands.process`."""

import sys

from nacarbon.commands.process import main

if __name__ == "__main__":
    sys.exit(main())
