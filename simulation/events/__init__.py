"""Synthetic domain events for the events lake (see generator.py)."""
