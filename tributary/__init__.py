"""Shared plumbing of the Tributary platform: settings, DuckDB connections, the warehouse
write lock and the serving snapshots the API reads."""
