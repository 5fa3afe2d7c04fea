"""Domain ``events``: JSON domain events → a Parquet lake by type and hour → dbt KPI marts."""
