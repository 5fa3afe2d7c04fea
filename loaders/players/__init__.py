"""Football-manager player events: JSON-lines files landing in a folder or bucket, plus a small
country → time-zone file, loaded incrementally by file into ``players_raw`` of the warehouse."""
