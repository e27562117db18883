"""Trustgap benchmarks: the nightly job at demo-org scale, side by side with DuckDB alone.

`python -m benchmarks.run --sizes S,M` (or `make bench`); see benchmarks/README.md.
Kept out of the pytest suite: one run at M takes minutes.
"""
