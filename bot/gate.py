"""Admission for the web UI and API: a few questions are answered at once, a few more may wait,
the rest are told at once that the system is busy.

Gradio's own full queue answers with its English "Queue is full" (HTTP 503) and its JS client with
"This application is currently busy"; a question refused here gets the Chinese busy message instead.
For that to happen the refusal must come before gradio's queue fills: the ask events run without a
gradio concurrency limit, and this gate (well inside gradio's 40 worker slots) does the limiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Busy(Exception):
    """No answering slot: too many questions are waiting, or this one waited too long."""


class Gate:
    def __init__(self, active: int, waiting: int, wait_s: float) -> None:
        self.active = max(1, active)
        self.waiting = max(0, waiting)
        self.wait_s = wait_s
        self._cond = threading.Condition()
        self._running = 0
        self._queued = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one answering slot for the duration of the block; raises Busy when none comes."""
        with self._cond:
            if self._running >= self.active:
                if self._queued >= self.waiting:
                    raise Busy
                self._queued += 1
                try:
                    got = self._cond.wait_for(lambda: self._running < self.active, timeout=self.wait_s)
                finally:
                    self._queued -= 1
                if not got:
                    raise Busy
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify()

    def load(self) -> tuple[int, int]:
        """(answering, waiting) now."""
        with self._cond:
            return self._running, self._queued
