"""The location write path: validation, local time → UTC, the operational store (PostgreSQL or
embedded SQLite) with its migrations, and the group committer behind ``PUT /location``."""
