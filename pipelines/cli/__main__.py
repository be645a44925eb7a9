"""`python -m pipelines.cli …` (same as the `intercom-sync` console script)."""

import sys

from pipelines.cli import main

if __name__ == "__main__":
    sys.exit(main())
