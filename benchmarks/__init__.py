"""Benchmarks that need a running server or real browsers (see README, "Benchmarks")."""
