"""Benchmarks of the POS收款诊断助手: `python -m bench.run` (see bench/run.py)."""
