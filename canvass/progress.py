"""Progress is a callback passed in: `progress(done, total)` after each unit of work. The
command line shows a bar, the web a percentage; the stages never print."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int, int], None]
