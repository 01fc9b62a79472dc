"""`python -m labkit` runs the console script."""

import sys

from labkit.cli import main

sys.exit(main())
