"""Performance benchmarks of Tributary (not tests): ``python -m bench.gaming_latency`` and
``python -m bench.gaming_throughput``. Each prints a report and writes
``bench/results/<name>.json``; see ``bench/README.md``."""
