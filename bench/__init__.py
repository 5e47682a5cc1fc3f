"""Benchmarks (not timed tests), each printing a Rich table and writing its figures as JSON
under `bench-out/`:

- `python -m bench.read`: the page reader on generated photos whose handwriting it never
  trained on, by digits.png's writers and by Semeion's (`read_results.py` what is measured,
  `read_report.py` the figures, `read_wrong.py` the wrong values tried by kind,
  `read_stats.py` the 95% bounds, `read_print.py` the tables, `read_support.py` what its
  worker processes share).
- `python -m bench.digits`: the digit model alone, against the tesseract baseline.
- `python -m bench.speed`: one core's read of one photo against that photo's own JPEG
  decode, stage by stage, on `canvass synth photos` and on phone-style photos made
  another way (`speed_photos.py`).
- `python -m bench.state`: the whole state's photos through intake, reading and
  reconciliation (`state_run.py`, `profile_read.py`).
- `python -m bench.surge`: every precinct uploading at once to `canvass serve`
  (`surge_*.py`, `http.py`).

Not shipped in the wheel: run them from a checkout.
"""
