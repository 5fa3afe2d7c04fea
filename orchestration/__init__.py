"""Dagster code location of Tributary: ``definitions.py`` assembles ``defs/<domain>/``."""
