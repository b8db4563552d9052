"""Benchmarks of the dbt project at a store's scale (`make bench-build`, BENCHMARKS.md)."""
