"""Load pending game-event files without Dagster: ``python -m loaders.gaming``; run the ingest
service that follows the landing location: ``python -m loaders.gaming --follow``."""

import sys

from loaders.file_domain import cli
from loaders.gaming.pipeline import DOMAIN

if __name__ == "__main__":
    if "--follow" in sys.argv[1:]:
        from loaders.gaming.follow import main

        sys.exit(main(sys.argv[1:]))
    sys.exit(cli(DOMAIN, __doc__))
