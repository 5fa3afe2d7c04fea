"""The location write path's storage: validation, local time → UTC, the operational store
(PostgreSQL or embedded SQLite) with its migrations, and the group committer. Shared by the
API (``PUT /location``), the location loader and the simulation."""
