"""A reader process keeps numpy's BLAS and OpenCV to one thread even when numpy was loaded
before it could set the environment (a spawned process imports its target's module first:
the server's readers load the reader, and numpy, before their first line runs). Measured
before the fix: 331 ms of CPU a photo instead of 113, the extra thread spinning."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from ingest.queue import hold_to_one_core


def _threads_after_holding() -> tuple[list[int], list[int], int]:
    import cv2
    import numpy  # noqa: F401  (loaded first, as in the server's reader processes)
    from threadpoolctl import threadpool_info

    before = [int(pool["num_threads"]) for pool in threadpool_info()]
    hold_to_one_core()
    after = [int(pool["num_threads"]) for pool in threadpool_info()]
    return before, after, int(cv2.getNumThreads())


def test_a_reader_process_holds_its_libraries_to_one_thread() -> None:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        before, after, opencv = pool.submit(_threads_after_holding).result()
    assert after and all(n == 1 for n in after), after
    assert opencv == 1
    assert before  # numpy's BLAS was loaded and seen
