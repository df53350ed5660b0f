"""The thread that writes an import's prepared batches (`WriterThread`) while the reading
thread reads and derives the next, with a database connection of its own (PostgreSQL only).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable

from django.db import connection

from tickets.ingest.derive import Work
from tickets.ingest.tables import CopyData


class WriterThread:
    """Writes prepared batches on a thread with its own database connection.

    PostgreSQL spends about as long inserting a batch, updating its indexes and checking its
    foreign keys at commit as Python spends reading and deriving one; the two overlap. At most
    one batch waits in the queue, so memory stays flat.
    """

    def __init__(
        self, *, write: Callable[[list[Work], CopyData], None], lock: threading.Lock
    ) -> None:
        self.write = write  # one batch in its transaction, outcomes counted
        self.lock = lock  # the run's: outcomes are counted by both threads
        self.queue: queue.Queue[tuple[list[Work], CopyData] | None] = queue.Queue(maxsize=1)
        self.pending: set[str] = set()  # external ids queued or being written
        self.error: BaseException | None = None
        self.closed = False
        self.thread = threading.Thread(target=self._run, name="ticket-writer", daemon=True)
        self.thread.start()

    def put(self, work: list[Work], data: CopyData) -> None:
        self._check()
        with self.lock:
            self.pending.update(w.draft.external_id for w in work)
        self.queue.put((work, data))

    def holds(self, external_ids: Iterable[str]) -> bool:
        with self.lock:
            return not self.pending.isdisjoint(external_ids)

    def drain(self) -> None:
        self.queue.join()
        self._check()

    def close(self, *, check: bool = True) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put(None)
            self.thread.join()
        if check:
            self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                work, data = item
                try:
                    if self.error is None:
                        self.write(work, data)
                except BaseException as exc:  # handed to the reading thread
                    self.error = exc
                finally:
                    with self.lock:
                        self.pending.difference_update(w.draft.external_id for w in work)
                    self.queue.task_done()
            self.queue.task_done()
        finally:
            connection.close()  # this thread's own connection
