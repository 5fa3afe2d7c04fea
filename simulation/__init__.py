"""Sample-data generators and local stand-ins for outside providers, one package per domain."""
