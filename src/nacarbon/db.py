"""``python -m nacarbon.db``: see :mod:`nacarbon.commands.db`."""

import sys

from nacarbon.commands.db import main

if __name__ == "__main__":
    sys.exit(main())
