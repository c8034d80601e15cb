"""govqa evaluation harness, metrics, reports and benchmarks."""
