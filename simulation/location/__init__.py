"""Location traces: a generator of realistic phone traces with the seed's defects, and a
replay client that sends them to a running API at a chosen rate."""
