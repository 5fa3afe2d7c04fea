"""Game-event files like the ones landing on S3: ``0000.json``, ``0001.json`` …"""
