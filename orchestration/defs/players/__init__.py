"""Domain ``players``: football-manager events → cleaned daily aggregates for the user-stats and
game-stats API."""
