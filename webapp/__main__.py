"""`python -m webapp ...`: the command line."""

import sys

from webapp.cli import main

sys.exit(main())
