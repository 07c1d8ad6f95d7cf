"""Benchmarks: load generators and measurements. Results under bench/results/."""
