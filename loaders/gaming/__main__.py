"""Load pending game-event files without Dagster: ``python -m loaders.gaming``."""

import sys

from loaders.file_domain import cli
from loaders.gaming.pipeline import DOMAIN

if __name__ == "__main__":
    sys.exit(cli(DOMAIN, __doc__))
