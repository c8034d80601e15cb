"""The index's write lock: an flock on `write.lock` in the index directory, held by every writer
(ingest, remove, doctor --repair, UI upload and remove) so that one index can serve many processes.

fcntl.flock has no timeout, so a waiting writer polls with a short back-off until its deadline. The
lock belongs to the process (to one IndexStore), not to a thread: an ingest batch holds it on its
calling thread while its writer thread commits documents. Threads of one process that write
independently coordinate among themselves (the UI serialises its uploads and removals).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "write.lock"


class LockBusy(RuntimeError):
    """Another process kept the lock for longer than the caller was willing to wait."""


class LockUnavailable(RuntimeError):
    """The lock file cannot be opened for writing (a read-only index)."""


class IndexLock:
    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / LOCK_NAME
        self._mutex = threading.Lock()  # guards _depth and _fd; held while polling for the flock
        self._depth = 0
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._depth > 0

    @property
    def depth(self) -> int:
        return self._depth

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LockUnavailable(f"cannot open {self.path} for writing: {exc.strerror or exc}") from exc

    def _try_flock(self, fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def acquire(self, wait_s: float, on_wait: Callable[[], None] | None = None) -> None:
        """Take the lock (re-entrant within this object), waiting at most wait_s seconds for another
        process to release it; on_wait is called once if the lock is not free at once."""
        deadline = time.monotonic() + max(wait_s, 0.0)
        got = self._mutex.acquire(timeout=wait_s) if wait_s > 0 else self._mutex.acquire(blocking=False)
        if not got:
            raise LockBusy(f"{self.path} is being taken by another thread")
        try:
            if self._depth > 0:
                self._depth += 1
                return
            fd = self._open()
            delay, told = 0.02, False
            while not self._try_flock(fd):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    os.close(fd)
                    raise LockBusy(f"{self.path} is held by another process")
                if not told and on_wait is not None:
                    told = True
                    on_wait()
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.5)
            self._fd = fd
            self._depth = 1
        finally:
            self._mutex.release()

    def release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None

    @contextmanager
    def if_free(self) -> Iterator[bool]:
        """Hold the lock for the block if it is free now (or already ours); yields whether it is held.
        For work that another process's writer does itself when it holds the lock."""
        try:
            self.acquire(0)
        except (LockBusy, LockUnavailable):
            yield False
            return
        try:
            yield True
        finally:
            self.release()

    @contextmanager
    def hold(self, wait_s: float, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        self.acquire(wait_s, on_wait)
        try:
            yield
        finally:
            self.release()
