"""Process bulk profile import jobs in a worker thread, row by row, like Klaviyo does:
a bad row becomes an import error and the rest are imported.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any

from .errors import SandboxError, invalid
from .ids import now_iso
from .store import Store

log = logging.getLogger(__name__)

MAX_PROFILE_BYTES = 100 * 1024
CHUNK = 500


class ImportWorker:
    def __init__(self, store: Store, delay: float = 0.0) -> None:
        self.store = store
        self.delay = delay
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="klaviyo-import", daemon=True)
        self._pending = 0
        self._idle = threading.Condition()

    def start(self) -> None:
        self._thread.start()
        for job_id in self.store.pending_import_jobs():
            self.submit(job_id)

    def submit(self, job_id: str) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(job_id)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted job is processed; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                if self.delay:
                    time.sleep(self.delay)
                self.process(job_id)
            except Exception:  # keep the worker alive; the job stays visible as processing
                log.exception("bulk import job %s crashed", job_id)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def process(self, job_id: str) -> None:
        job = self.store.get_import_job(job_id)
        if job is None or job["status"] == "complete":
            return
        profiles, list_ids = self.store.import_job_payload(job_id)
        self.store.update_import_job(job_id, status="processing", started_at=now_iso())
        completed = failed = 0
        for start in range(0, len(profiles), CHUNK):
            imported: list[str] = []
            for index in range(start, min(start + CHUNK, len(profiles))):
                resource = profiles[index]
                pointer = f"/data/attributes/profiles/data/{index}"
                try:
                    _check_size(resource, pointer)
                    profile, _ = self.store.upsert_profile(resource, pointer=pointer)
                    imported.append(profile["id"])
                    completed += 1
                except SandboxError as error:
                    self.store.add_import_error(job_id, error, resource)
                    failed += 1
            for list_id in list_ids:
                if self.store.get_list(list_id) is not None:
                    self.store.add_members(list_id, imported)
            self.store.update_import_job(job_id, completed_count=completed, failed_count=failed)
        self.store.update_import_job(
            job_id, status="complete", completed_at=now_iso(), payload=None
        )


def _check_size(resource: dict[str, Any], pointer: str) -> None:
    if len(json.dumps(resource).encode()) > MAX_PROFILE_BYTES:
        raise invalid("Profile payload exceeds the 100 KB limit.", pointer=pointer)
