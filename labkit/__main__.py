"""`python -m labkit` runs the console script."""

import sys

from labkit.admin.cli import main

sys.exit(main())
