"""Load pending player-event files without Dagster: ``python -m loaders.players``.

Only loads ``players_raw``; the marts and the serving snapshot need ``dbt build`` (the
``players_refresh`` job does all three).
"""

import sys

from loaders.file_domain import cli
from loaders.players.pipeline import DOMAIN

if __name__ == "__main__":
    sys.exit(cli(DOMAIN, __doc__))
