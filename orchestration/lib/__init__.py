"""Reusable pieces of the code location: dbt and dlt wiring, warehouse access."""
