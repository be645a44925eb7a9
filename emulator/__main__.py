"""`python -m emulator serve …` (same as the `intercom-emulator` console script)."""

import sys

from emulator.cli import main

sys.exit(main())
