"""Scale benchmark: `python -m benchmarks.scale` (see docs/performance.md)."""
