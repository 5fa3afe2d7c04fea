"""``python -m simulation.players [--users N]``: write a season of player events and the
time-zone file into the players landing locations (files named after the season's chunks)."""

from __future__ import annotations

import argparse
from pathlib import Path

from loaders.players.settings import PlayersSettings
from simulation.players.expected import clean_events
from simulation.players.generator import generate, write_season


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--defects-each", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    season = generate(args.users, args.seed, args.defects_each)
    env = PlayersSettings()
    paths = write_season(season, Path(env.events_url), Path(env.timezones_url), args.files)
    clean = clean_events(season.lines, season.timezones)
    print(
        f"players: {len(paths)} files, {len(season.lines)} lines "
        f"({sum(clean.rules.values())} to quarantine: {clean.rules}) in {env.events_url}"
    )


if __name__ == "__main__":
    main()
