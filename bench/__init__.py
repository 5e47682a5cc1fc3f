"""Benchmarks of the whole system (not timed tests): the whole state's photos through
intake, reading and reconciliation (`python -m bench.state`), and every precinct
uploading at once to `canvass serve` (`python -m bench.surge`).

Each prints a Rich table and writes its figures as JSON under `bench-out/`.
"""
