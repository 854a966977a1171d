"""Sampling a command's process tree with psutil, and enforcing its timeout.

`TreeWatch` keeps the peaks of one command's tree. Its `tick()` takes a sample, or
SIGKILLs the whole tree once the deadline has passed; `next_tick_ns` says when it
is due. The first sample comes after min(interval, 10 ms), so a command that exits
within a few milliseconds is not disturbed at all.

Who calls `tick()`: the thread that waits for the command, between `poll()`s on the
spawner's reply pipe or, for a command spawned directly, on the command's pidfd (see
process.py): one thread, so nothing competes with it for the GIL when the command exits.
Where a directly spawned command has no pidfd (Linux < 5.3), `watch_in_thread()` hands
the watch to one long-lived daemon thread instead (starting a thread per iteration would
cost ~70 µs each); that thread ticks under a lock which `stop()` also takes, so the
waiting thread never reads half-updated peaks.
"""

from __future__ import annotations

import queue
import threading
import time

import psutil

from lanebench.runner import tree

FIRST_SAMPLE_AFTER = 0.010


class TreeWatch:
    """Peaks of one command's tree, gathered by `tick()` until `stop()`."""

    def __init__(
        self,
        root: int,
        reaper: int | None,
        known: set[int],
        interval: float,
        started_ns: int,
        deadline_ns: int | None,
    ) -> None:
        self.root = root
        self.reaper = reaper
        self.known = known
        self.interval_ns = int(max(interval, 0.001) * 1e9)
        self.deadline_ns = deadline_ns
        self.next_sample_ns = started_ns + min(self.interval_ns, int(FIRST_SAMPLE_AFTER * 1e9))
        self.samples = 0
        self.peak_rss = 0
        self.peak_threads = 0
        self.peak_processes = 0
        self.timed_out = False
        self.procs: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False

    @property
    def next_tick_ns(self) -> int:
        if self.deadline_ns is None:
            return self.next_sample_ns
        return min(self.next_sample_ns, self.deadline_ns)

    def tick(self) -> None:
        """Sample the tree if a sample is due; kill it if the deadline has passed."""
        with self._lock:
            if self._stopped:
                return
            now = time.perf_counter_ns()
            if self.deadline_ns is not None and now >= self.deadline_ns:
                self.timed_out = True
                tree.kill_tree(self.root, self.reaper, self.known)
                self.deadline_ns = None  # killed once; the waiting thread reaps
            elif now >= self.next_sample_ns:
                self._sample()
                self.next_sample_ns = max(
                    self.next_sample_ns + self.interval_ns, time.perf_counter_ns()
                )

    def stop(self) -> None:
        """No more ticks; returns once no tick is in progress."""
        with self._lock:
            self._stopped = True
        self._wake.set()

    def _sample(self) -> None:
        pids = {self.root} | tree.descendants({self.root})
        if self.reaper is not None:
            orphans = tree.orphans(self.root, self.reaper, self.known)
            pids |= orphans | tree.descendants(orphans)
        rss = threads = processes = 0
        for pid in pids:
            proc = self.procs.get(pid)
            try:
                if proc is None:
                    proc = self.procs[pid] = psutil.Process(pid)
                with proc.oneshot():
                    if proc.status() == psutil.STATUS_ZOMBIE:
                        continue
                    rss += proc.memory_info().rss
                    threads += proc.num_threads()
            except psutil.Error:
                continue
            processes += 1
        if processes:
            self.samples += 1
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_threads = max(self.peak_threads, threads)
            self.peak_processes = max(self.peak_processes, processes)

    def _run_until_stopped(self) -> None:
        """The fallback thread's loop for this watch."""
        while not self._stopped:
            wait_ns = self.next_tick_ns - time.perf_counter_ns()
            if wait_ns > 0 and self._wake.wait(wait_ns / 1e9):
                return
            self.tick()


def new_watch(
    root: int,
    interval: float,
    timeout: float | None,
    started_ns: int,
    *,
    reaper: int | None,
    known: set[int] | None = None,
) -> TreeWatch:
    """A watch of `root`'s tree that kills it `timeout` seconds after `started_ns` (None: never).

    `reaper` is the child subreaper the command's orphans go to (None: none); its
    children other than `root` and the `known` ones (there before the command started)
    are orphans of the command and belong to its tree (see tree.py).
    """
    deadline = None if timeout is None else started_ns + int(timeout * 1e9)
    return TreeWatch(root, reaper, known or set(), interval, started_ns, deadline)


class _SamplerThread(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="lanebench-sampler", daemon=True)
        self.jobs: queue.SimpleQueue[TreeWatch] = queue.SimpleQueue()

    def run(self) -> None:
        while True:
            watch = self.jobs.get()
            try:
                watch._run_until_stopped()
            except Exception:  # never let one odd process end sampling for the rest of the run
                pass


_thread: _SamplerThread | None = None
_thread_lock = threading.Lock()


def watch_in_thread(watch: TreeWatch) -> TreeWatch:
    """Have the background thread tick `watch` until it is stopped."""
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = _SamplerThread()
            _thread.start()
        _thread.jobs.put(watch)
    return watch
