"""Background sampling of a command's process tree with psutil, and its timeout.

One long-lived daemon thread serves every iteration (starting a thread per
iteration would add ~70 µs to each one). For each command it samples the tree
every `interval` (the first sample after min(interval, 10 ms), so a command that
exits within a few milliseconds is not disturbed at all), keeps the peaks, and
SIGKILLs the whole tree when the deadline passes.

Sampling happens under a lock that `TreeWatch.stop()` also takes, so the main
thread never reads half-updated peaks and never starts cleaning up while a
sample is in progress.
"""

from __future__ import annotations

import queue
import threading
import time

import psutil

from lanebench.runner import tree

FIRST_SAMPLE_AFTER = 0.010


class TreeWatch:
    """Peaks of one command's tree, gathered by the sampler thread until `stop()`."""

    def __init__(
        self, root: int, before: set[int], interval: float, started_ns: int, deadline_ns: int | None
    ) -> None:
        self.root = root
        self.started_ns = started_ns
        self.before = before
        self.interval = max(interval, 0.001)
        self.deadline_ns = deadline_ns
        self.samples = 0
        self.peak_rss = 0
        self.peak_threads = 0
        self.peak_processes = 0
        self.timed_out = False
        self.procs: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False

    # --- called from the main thread ----------------------------------------------------

    def stop(self) -> None:
        """Stop sampling; returns once no sample is in progress."""
        with self._lock:
            self._stopped = True
        self._wake.set()

    # --- called from the sampler thread -------------------------------------------------

    def _loop(self) -> None:
        next_sample = self.started_ns + int(min(self.interval, FIRST_SAMPLE_AFTER) * 1e9)
        while True:
            now = time.perf_counter_ns()
            wake_at = next_sample if self.deadline_ns is None else min(next_sample, self.deadline_ns)
            if wake_at > now and self._wake.wait((wake_at - now) / 1e9):
                return
            with self._lock:
                if self._stopped:
                    return
                now = time.perf_counter_ns()
                if self.deadline_ns is not None and now >= self.deadline_ns:
                    self.timed_out = True
                    tree.kill_tree(self.root, self.before if tree.enable_subreaper() else None)
                    self.deadline_ns = None  # killed once; the main thread reaps
                    continue
                self._sample()
                next_sample = max(next_sample + int(self.interval * 1e9), time.perf_counter_ns())

    def _sample(self) -> None:
        pids = {self.root} | tree.descendants({self.root})
        if tree.enable_subreaper():
            orphans = tree.own_children() - self.before - {self.root}
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


class _SamplerThread(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="lanebench-sampler", daemon=True)
        self.jobs: queue.SimpleQueue[TreeWatch] = queue.SimpleQueue()

    def run(self) -> None:
        while True:
            watch = self.jobs.get()
            try:
                watch._loop()
            except Exception:  # never let one odd process end sampling for the rest of the run
                pass


_thread: _SamplerThread | None = None
_thread_lock = threading.Lock()


def watch(
    root: int, before: set[int], interval: float, timeout: float | None, started_ns: int
) -> TreeWatch:
    """Start sampling `root`'s tree; kill it `timeout` seconds after `started_ns` (None: never).

    `before` are this process's children that existed before the command started;
    any other child is an orphan of the command (see tree.enable_subreaper).
    """
    global _thread
    deadline = None if timeout is None else started_ns + int(timeout * 1e9)
    job = TreeWatch(root, before, interval, started_ns, deadline)
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = _SamplerThread()
            _thread.start()
        _thread.jobs.put(job)
    return job
