"""Domain ``commerce``: shop orders (SQL database) + product-view JSON → ``commerce.ctr_minute``."""
