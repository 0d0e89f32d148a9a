"""Benchmarks with fixed scales; they print figures and are not tests."""
