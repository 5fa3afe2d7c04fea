"""Domain ``gaming``: JSON-lines game events → ``gaming.user`` and ``gaming.revenue``."""
