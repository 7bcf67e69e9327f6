"""The benchmark's measurements, one module each; ``scripts/benchmark.py`` is the entry point."""
