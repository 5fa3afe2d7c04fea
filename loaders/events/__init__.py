"""Domain ``events``: JSON domain events → a Parquet lake partitioned by type and UTC hour.

Modules: ``config`` (env vars), ``lake`` (paths, storage, the writer lock), ``validation``
(vectorised DuckDB checks), ``commit`` (exactly-once batch commit), ``files`` and ``stream``
(the two inputs), ``compaction``, ``reconcile`` and ``kpis``. See docs/events_lake.md.
"""
