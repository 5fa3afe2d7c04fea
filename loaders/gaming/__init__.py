"""Game events: JSON-lines files (``0000.json``, ``0001.json`` …) landing in a folder or bucket,
loaded incrementally by file into ``gaming_raw`` of the warehouse."""
