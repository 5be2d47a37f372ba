"""Threads of one fit: ``n_jobs`` becomes kernel lanes (Numba's threads) and a BLAS thread
limit, set for the fit only and restored after it (joblib's and threadpoolctl's conventions).

``n_jobs=None`` changes nothing: the serial kernels run, and BLAS keeps the process's setting
(inside joblib workers, joblib has already limited it).  ``n_jobs=k`` (``-1``: all cores, as
``joblib.effective_n_jobs`` counts them) runs the threaded kernels on up to ``k`` of Numba's
threads, capped by ``NUMBA_NUM_THREADS`` (which joblib also sets in its workers) and by
``MIN_LANE_ROWS`` rows per thread, with BLAS single-threaded inside them; serial kernels
(batch size 1, small batches) get ``k`` BLAS threads.
"""

import contextlib
import os
import threading
import warnings

import numba

__all__ = ["fit_threads"]

_IMPORT_PID = os.getpid()  # imported on a fit's first use; a forked child inherits it
_LOCK = threading.Lock()
_launched_pid = None  # the process where a threaded fit has started Numba's threads
# Below this many rows per thread, starting the threads for each batch costs more than they
# save (measured on the benchmark workloads: break-even near 50 rows).
MIN_LANE_ROWS = 64
_controllers = {}  # per process: finding the loaded libraries costs milliseconds, a limit microseconds


def _threading_layer():
    try:
        return numba.threading_layer()
    except ValueError:  # not launched yet in this process
        return None


def _lanes_refused():
    """Why Numba's threads cannot be used in this fit (None when they can)."""
    pid = os.getpid()
    if _threading_layer() == "omp" and pid != _IMPORT_PID and pid != _launched_pid:
        # GNU OpenMP cannot run in a child forked from a process that used it: Numba would
        # terminate the child rather than let it hang.
        return "this process was forked from one that had started OpenMP threads"
    return None


def _controller():
    from threadpoolctl import ThreadpoolController

    pid = os.getpid()
    if pid not in _controllers:
        _controllers[pid] = ThreadpoolController()
    return _controllers[pid]


@contextlib.contextmanager
def fit_threads(n_jobs, batch_rows):
    """Set the threads of a fit; yield the number of lanes for the kernels.

    Parameters
    ----------
    n_jobs : int or None
        The estimator's ``n_jobs``.
    batch_rows : int
        Rows of the fit's batches (0 where the kernels have no threaded variant).  Each lane
        gets at least ``MIN_LANE_ROWS`` of them.
    """
    global _launched_pid
    if n_jobs is None:
        yield 1
        return
    from joblib import effective_n_jobs

    n = max(1, min(effective_n_jobs(n_jobs), numba.config.NUMBA_NUM_THREADS))
    lanes = max(1, min(n, batch_rows // MIN_LANE_ROWS))
    locked = False
    reason = _lanes_refused() if lanes > 1 else None
    if lanes > 1 and reason is None:
        previous = numba.get_num_threads()  # starts Numba's threading layer
        # The workqueue layer (Numba's fallback when neither TBB nor OpenMP loads) aborts the
        # process when two threads run parallel kernels at once: one threaded fit at a time.
        if _threading_layer() == "workqueue":
            locked = _LOCK.acquire(blocking=False)
            if not locked:
                reason = "another thread is running a threaded fit on Numba's workqueue threading layer"
    if reason is not None:
        warnings.warn(f"n_jobs={n_jobs}: training on one thread, because {reason}.", RuntimeWarning, stacklevel=4)
        lanes = 1
    try:
        if lanes > 1:
            numba.set_num_threads(lanes)
            _launched_pid = os.getpid()
        with _controller().limit(limits=1 if lanes > 1 else n, user_api="blas"):
            yield lanes
    finally:
        if lanes > 1:
            numba.set_num_threads(previous)
        if locked:
            _LOCK.release()
