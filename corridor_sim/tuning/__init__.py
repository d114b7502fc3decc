"""Tuning tools: sweeps, one-at-a-time sensitivity, calibration, intervention ranking and the capacity curve.

Each tool builds variants of one scenario by changing values at key paths of its raw mapping (as `--set` does), runs
all variants with the same seed (common random numbers) and reduces each to a few KPIs.
"""
