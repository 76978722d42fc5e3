"""The threads one part of the local stack starts, so that it can wait for them when it stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class ThreadGroup:
    """Daemon threads started (or served) for one purpose; `close` refuses new ones, `join` waits."""

    def __init__(self) -> None:
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self, name: str, target: Callable[..., object], *args: Any) -> bool:
        """Start `target(*args)` in a thread of this group; False, and no thread, once it is closed."""
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            if self._closed:
                return False
            self._add(thread)
            # Under the lock: a `close` that returned has seen every thread started before it.
            thread.start()
        return True

    def track_current(self) -> None:
        """Count the calling thread (started by someone else, such as the HTTP server) in the group."""
        with self._lock:
            self._add(threading.current_thread())

    def _add(self, thread: threading.Thread) -> None:
        self._threads = {t for t in self._threads if t.is_alive()}
        self._threads.add(thread)

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def join(self, timeout_s: float) -> list[str]:
        """Wait up to `timeout_s` for every thread, those started meanwhile included (a failed custom
        resource Create starts a rollback); returns the names of the threads still running."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                me = threading.current_thread()
                running = [t for t in self._threads if t.is_alive() and t is not me]
            if not running or time.monotonic() >= deadline:
                return sorted(thread.name for thread in running)
            for thread in running:
                thread.join(max(0.0, deadline - time.monotonic()))


# Event invokes, custom resource Creates and rollbacks, process-wide as moto's state is: the local stack
# waits for them when it stops.
BACKGROUND = ThreadGroup()
